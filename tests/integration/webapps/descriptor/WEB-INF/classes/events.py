"""Listeners, a filter and servlets that record the container's calls
into the context attribute "log" (and, on the way down, into
WEB-INF/destroyed.log, read by the test after the server stopped)."""

import json

from catalina_py.servlet import (
    HttpServlet,
    ServletContextAttributeListener,
    ServletContextListener,
    ServletRequestAttributeListener,
    ServletRequestListener,
)


def record(context, entry):
    log = context.get_attribute("log")
    if log is not None:
        log.append(entry)


def record_destroyed(context, entry):
    with open(context.get_real_path("/WEB-INF/destroyed.log"), "a") as handle:
        handle.write(entry + "\n")


class EventLog(ServletContextListener, ServletContextAttributeListener, ServletRequestListener):
    def context_initialized(self, event):
        event.get_servlet_context().set_attribute("log", ["context_initialized:EventLog"])

    def context_destroyed(self, event):
        record_destroyed(event.get_servlet_context(), "context_destroyed:EventLog")

    def attribute_added(self, event):
        value = "" if event.get_name() == "log" else f"={event.get_value()}"
        record(event.get_servlet_context(), f"attribute_added:{event.get_name()}{value}")

    def attribute_replaced(self, event):
        context = event.get_servlet_context()
        record(context, f"attribute_replaced:{event.get_name()}={event.get_value()}"
                        f"->{context.get_attribute(event.get_name())}")

    def attribute_removed(self, event):
        record(event.get_servlet_context(), f"attribute_removed:{event.get_name()}={event.get_value()}")

    def request_initialized(self, event):
        request = event.get_servlet_request()
        record(event.get_servlet_context(), f"request_initialized:{request.get_request_uri()}")

    def request_destroyed(self, event):
        request = event.get_servlet_request()
        record(event.get_servlet_context(), f"request_destroyed:{request.get_request_uri()}")


class RequestAttributeLog(ServletRequestAttributeListener):
    """Records the request attribute events of the attributes named probe.*"""

    def _record(self, kind, event):
        if event.get_name().startswith("probe."):
            record(event.get_servlet_context(), f"request_{kind}:{event.get_name()}={event.get_value()}")

    def attribute_added(self, event):
        self._record("attribute_added", event)

    def attribute_replaced(self, event):
        self._record("attribute_replaced", event)

    def attribute_removed(self, event):
        self._record("attribute_removed", event)


class RecordingFilter:
    def init(self, config):
        self.context = config.get_servlet_context()
        record(self.context, "filter_init:recording")

    def do_filter(self, request, response, chain):
        chain.do_filter(request, response)

    def destroy(self):
        record_destroyed(self.context, "filter_destroy:recording")


class EventsServlet(HttpServlet):
    def on_init(self):
        record(self.get_servlet_context(), "servlet_init:events")

    def destroy(self):
        record_destroyed(self.get_servlet_context(), "servlet_destroy:events")

    def do_get(self, request, response):
        response.set_content_type("application/json")
        response.get_writer().write(json.dumps(self.get_servlet_context().get_attribute("log")))


class AttributeServlet(HttpServlet):
    """/attr?op=set&name=n&value=v or /attr?op=remove&name=n"""

    def do_get(self, request, response):
        context = self.get_servlet_context()
        name = request.get_parameter("name")
        if request.get_parameter("op") == "set":
            context.set_attribute(name, request.get_parameter("value"))
        else:
            context.remove_attribute(name)
        response.set_content_type("text/plain")
        response.get_writer().write("ok")


class RequestAttributeServlet(HttpServlet):
    def do_get(self, request, response):
        request.set_attribute("probe.a", "1")
        request.set_attribute("probe.a", "2")
        request.set_attribute("probe.a", None)
        request.remove_attribute("probe.a")
        response.get_writer().write("ok")
