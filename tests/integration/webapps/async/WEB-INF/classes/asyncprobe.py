"""Asynchronous servlets for tests/integration/test_async.py.

Listener calls are recorded per ``key`` query parameter in ``EVENTS`` and
read back with ``GET /events?key=...``.
"""

import json

import gevent

from catalina_py.servlet import AsyncListener, HttpServlet, IllegalStateError

EVENTS: dict[str, list[str]] = {}


def record(key, what):
    if key:
        EVENTS.setdefault(key, []).append(what)


class RecordingListener(AsyncListener):
    """Records what it hears; on timeout it may complete (mode=complete)
    or dispatch (mode=dispatch) the request itself."""

    def __init__(self, key, mode=None):
        self.key = key
        self.mode = mode

    def on_complete(self, event):
        record(self.key, "complete")

    def on_timeout(self, event):
        record(self.key, "timeout")
        context = event.get_async_context()
        if self.mode == "complete":
            response = context.get_response()
            response.set_content_type("text/plain")
            response.get_writer().write("completed by the timeout listener")
            context.complete()
        elif self.mode == "dispatch":
            context.dispatch("/target/after-timeout")

    def on_error(self, event):
        record(self.key, f"error:{type(event.get_throwable()).__name__}")

    def on_start_async(self, event):
        record(self.key, "start_async")


class CompleteLaterServlet(HttpServlet):
    """Parks the request; another greenlet answers and completes."""

    def do_get(self, request, response):
        key = request.get_parameter("key")
        delay = float(request.get_parameter("delay") or "0.1")
        context = request.start_async()
        context.add_listener(RecordingListener(key))
        record(key, f"started:{request.is_async_started()}")

        def later():
            gevent.sleep(delay)
            response.set_content_type("text/plain")
            response.set_header("X-Async", "yes")
            response.get_writer().write(f"completed from another greenlet after {delay}")
            context.complete()
        gevent.spawn(later)
        record(key, "servlet returned")


class StreamServlet(HttpServlet):
    """Sends pieces of the body from another greenlet (chunked)."""

    def do_get(self, request, response):
        context = request.start_async()
        response.set_content_type("text/plain")

        def produce():
            writer = response.get_writer()
            for i in range(3):
                writer.write(f"piece {i}\n")
                writer.flush()
                gevent.sleep(0.05)
            context.complete()
        gevent.spawn(produce)


class StartServlet(HttpServlet):
    """Uses AsyncContext.start(); mode=raise makes the runnable fail."""

    def do_get(self, request, response):
        key = request.get_parameter("key")
        mode = request.get_parameter("mode")
        context = request.start_async()
        context.add_listener(RecordingListener(key))

        def run():
            gevent.sleep(0.05)
            if mode == "raise":
                raise ValueError("the runnable failed")
            context.get_response().get_writer().write("written by start()")
            context.complete()
        context.start(run)


class DispatchServlet(HttpServlet):
    """First pass: start async and dispatch later (to ?to=..., or to the
    same URI without it). The ASYNC pass writes what it sees."""

    def do_get(self, request, response):
        key = request.get_parameter("key")
        if request.get_dispatcher_type() == "ASYNC":
            record(key, "async pass")
            response.set_content_type("text/plain")
            response.get_writer().write(
                f"second pass type={request.get_dispatcher_type()} "
                f"uri={request.get_request_uri()} path_info={request.get_path_info()}")
            return
        request.set_attribute("carried", "from the first pass")
        context = request.start_async()
        context.add_listener(RecordingListener(key))
        target = request.get_parameter("to")

        def later():
            gevent.sleep(0.05)
            if target:
                context.dispatch(target)
            else:
                context.dispatch()
        gevent.spawn(later)


class TargetServlet(HttpServlet):
    """The target of async dispatches: reports the request as it sees it."""

    def do_get(self, request, response):
        response.set_content_type("application/json")
        names = ("request_uri", "context_path", "servlet_path", "path_info", "query_string")
        info = {
            "dispatcher_type": request.get_dispatcher_type(),
            "request_uri": request.get_request_uri(),
            "servlet_path": request.get_servlet_path(),
            "path_info": request.get_path_info(),
            "query_string": request.get_query_string(),
            "x": request.get_parameter_values("x"),
            "carried": request.get_attribute("carried"),
            "async": {n: request.get_attribute(f"jakarta.servlet.async.{n}") for n in names},
            "async_started": request.is_async_started(),
        }
        response.get_writer().write(json.dumps(info))


class TimeoutServlet(HttpServlet):
    """Never completes by itself: the timeout (?ms=) ends it."""

    def do_get(self, request, response):
        key = request.get_parameter("key")
        context = request.start_async()
        context.set_timeout(int(request.get_parameter("ms") or "300"))
        context.add_listener(RecordingListener(key, request.get_parameter("mode")))
        if request.get_parameter("commit"):
            response.get_writer().write("partial")
            response.flush_buffer()


class FailServlet(HttpServlet):
    """Raises after start_async: on_error, then the container's 500."""

    def do_get(self, request, response):
        context = request.start_async()
        context.add_listener(RecordingListener(request.get_parameter("key")))
        raise RuntimeError("failed after start_async")


class StateServlet(HttpServlet):
    """Reports what start_async allows (mapped async and not async)."""

    def do_get(self, request, response):
        response.set_content_type("application/json")
        out = {"supported": request.is_async_supported(),
               "type": request.get_dispatcher_type(),
               "started_before": request.is_async_started()}
        try:
            request.get_async_context()
        except IllegalStateError as exc:
            out["get_before"] = f"IllegalStateError: {exc}"
        try:
            context = request.start_async()
        except IllegalStateError as exc:
            out["start"] = f"IllegalStateError: {exc}"
            response.get_writer().write(json.dumps(out))
            return
        out["started"] = request.is_async_started()
        out["same_context"] = request.get_async_context() is context
        out["timeout"] = context.get_timeout()
        out["original"] = context.has_original_request_and_response()
        try:
            request.start_async()
        except IllegalStateError as exc:
            out["second_start"] = f"IllegalStateError: {exc}"
        try:
            context.dispatch("relative")
        except ValueError as exc:
            out["relative_dispatch"] = f"ValueError: {exc}"
        response.get_writer().write(json.dumps(out))
        context.complete()
        try:
            context.complete()
        except IllegalStateError as exc:
            out["second_complete"] = f"IllegalStateError: {exc}"
        request.set_attribute("out", out)

        def after():
            gevent.sleep(0.3)
            try:
                context.complete()
                record(request.get_parameter("key"), "late complete accepted")
            except IllegalStateError as exc:
                record(request.get_parameter("key"), f"late: {exc}")
            record(request.get_parameter("key"), json.dumps(out))
        gevent.spawn(after)


class LongPollServlet(HttpServlet):
    """Long polling: GET parks the request, POST answers every parked one."""

    def on_init(self):
        self.parked = []

    def do_get(self, request, response):
        context = request.start_async()
        context.set_timeout(int(request.get_parameter("ms") or "10000"))
        servlet = self

        class Unpark(AsyncListener):
            def on_complete(self, event):
                if context in servlet.parked:
                    servlet.parked.remove(context)

            def on_timeout(self, event):
                event.get_async_context().get_response().set_status(204)
                event.get_async_context().complete()
            on_error = on_complete
        context.add_listener(Unpark())
        self.parked.append(context)

    def do_post(self, request, response):
        message = request.get_reader().read()
        waiting, self.parked = self.parked, []
        for context in waiting:
            reply = context.get_response()
            reply.set_content_type("text/plain;charset=UTF-8")
            reply.get_writer().write(message)
            context.complete()
        response.set_content_type("text/plain")
        response.get_writer().write(f"delivered to {len(waiting)}")


class EventsServlet(HttpServlet):
    def do_get(self, request, response):
        response.set_content_type("application/json")
        response.get_writer().write(json.dumps(EVENTS.get(request.get_parameter("key"), [])))


class SyncServlet(HttpServlet):
    def do_get(self, request, response):
        response.set_content_type("text/plain")
        response.get_writer().write("sync")
