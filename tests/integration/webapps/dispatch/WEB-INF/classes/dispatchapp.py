"""Servlets and filters of the dispatch test webapp.

Filters record their names in the request attribute "trace"; most servlets
answer a JSON document describing what they saw, so the tests can check
paths, attributes and dispatcher types.
"""

import json

from catalina_py.servlet import (
    Filter,
    HttpFilter,
    HttpServlet,
    HttpServletRequestWrapper,
    HttpServletResponseWrapper,
    IllegalStateError,
)

import errors

ATTRIBUTES = [
    "jakarta.servlet.forward.request_uri", "jakarta.servlet.forward.context_path",
    "jakarta.servlet.forward.servlet_path", "jakarta.servlet.forward.path_info",
    "jakarta.servlet.forward.query_string",
    "jakarta.servlet.include.request_uri", "jakarta.servlet.include.context_path",
    "jakarta.servlet.include.servlet_path", "jakarta.servlet.include.path_info",
    "jakarta.servlet.include.query_string",
    "jakarta.servlet.error.status_code", "jakarta.servlet.error.message",
    "jakarta.servlet.error.request_uri", "jakarta.servlet.error.servlet_name",
]


def describe(request):
    """What a servlet sees of the request, as a dict."""
    data = {
        "request_uri": request.get_request_uri(),
        "context_path": request.get_context_path(),
        "servlet_path": request.get_servlet_path(),
        "path_info": request.get_path_info(),
        "query_string": request.get_query_string(),
        "dispatcher_type": request.get_dispatcher_type(),
        "params": {name: request.get_parameter_values(name) for name in sorted(request.get_parameter_names())},
        "trace": list(request.get_attribute("trace") or []),
        "attributes": {name: request.get_attribute(name) for name in ATTRIBUTES
                       if request.get_attribute(name) is not None},
        "wrapped": request.get_header("X-Wrapped"),
    }
    for kind in ("forward", "include"):
        mapping = request.get_attribute(f"jakarta.servlet.{kind}.mapping")
        if mapping is not None:
            data[f"{kind}_mapping"] = [mapping.get_mapping_match(), mapping.get_pattern(),
                                       mapping.get_match_value(), mapping.get_servlet_name()]
    mapping = request.get_http_servlet_mapping()
    if mapping is not None:
        data["mapping"] = [mapping.get_mapping_match(), mapping.get_pattern(),
                           mapping.get_match_value(), mapping.get_servlet_name()]
    exc = request.get_attribute("jakarta.servlet.error.exception")
    if exc is not None:
        data["exception"] = f"{type(exc).__name__}: {exc}"
    exc_type = request.get_attribute("jakarta.servlet.error.exception_type")
    if exc_type is not None:
        data["exception_type"] = exc_type.__name__
    return data


# -- filters ------------------------------------------------------------------------
class TraceFilter(Filter):
    """Appends its init parameter "name" to the request's trace."""

    def init(self, filter_config):
        self.name = filter_config.get_init_parameter("name") or filter_config.get_filter_name()

    def do_filter(self, request, response, chain):
        trace = request.get_attribute("trace")
        if trace is None:
            trace = []
            request.set_attribute("trace", trace)
        trace.append(f"{self.name}:{request.get_dispatcher_type()}")
        chain.do_filter(request, response)


class BlockFilter(HttpFilter):
    """Answers by itself (never calls the chain) when ?block=1."""

    def do_http_filter(self, request, response, chain):
        if request.get_parameter("block") == "1":
            response.set_content_type("text/plain")
            response.get_writer().write("blocked by filter")
            return
        chain.do_filter(request, response)


class _HeaderRequest(HttpServletRequestWrapper):
    def get_header(self, name):
        if name.lower() == "x-wrapped":
            return "request-wrapper"
        return super().get_request().get_header(name)


class _TagResponse(HttpServletResponseWrapper):
    def set_content_type(self, content_type):
        self.get_response().set_header("X-Content-Type-Seen", content_type)
        self.get_response().set_content_type(content_type)


class WrappingFilter(Filter):
    """Passes wrapped request and response objects down the chain."""

    def do_filter(self, request, response, chain):
        chain.do_filter(_HeaderRequest(request), _TagResponse(response))


# -- servlets -----------------------------------------------------------------------
def write_json(response, data):
    response.set_content_type("application/json")
    response.get_writer().write(json.dumps(data, sort_keys=True))


class DescribeServlet(HttpServlet):
    """Answers the description of the request. During an include it also
    tries to change the status and headers (which must be ignored)."""

    def do_get(self, request, response):
        if request.get_dispatcher_type() == "INCLUDE":
            response.set_status(418)
            response.set_header("X-Included", "yes")
            response.add_header("X-Included-Add", "yes")
            response.set_content_type("text/x-included")
            response.send_error(500)
            response.get_writer().write(json.dumps(describe(request), sort_keys=True))
            return
        write_json(response, describe(request))

    do_post = do_get


class ForwardServlet(HttpServlet):
    """Forwards to the path in ?to= (relative or absolute); what it writes
    before is discarded, what it writes after is dropped."""

    def do_get(self, request, response):
        response.set_header("X-Before-Forward", "kept")
        response.get_writer().write("discarded before forward")
        target = request.get_parameter("to")
        dispatcher = request.get_request_dispatcher(target)
        if dispatcher is None:
            response.set_content_type("text/plain")
            response.reset_buffer()
            response.get_writer().write(f"no dispatcher for {target}")
            return
        dispatcher.forward(request, response)
        response.get_writer().write("written after forward")
        response.set_header("X-After-Forward", "ignored")
        response.set_status(299)


class ContextForwardServlet(HttpServlet):
    """Forwards with the ServletContext's dispatcher (absolute paths)."""

    def do_get(self, request, response):
        target = request.get_parameter("to")
        self.get_servlet_context().get_request_dispatcher(target).forward(request, response)


class IncludeServlet(HttpServlet):
    """Writes before|<included>|after."""

    def do_get(self, request, response):
        response.set_content_type("text/plain")
        response.set_header("X-Outer", "set")
        out = response.get_writer()
        out.write("before|")
        request.get_request_dispatcher(request.get_parameter("to")).include(request, response)
        out.write("|after")
        out.write("|outer-path=" + request.get_servlet_path() + (request.get_path_info() or ""))
        out.write("|outer-query=" + str(request.get_query_string()))
        out.write("|outer-type=" + request.get_dispatcher_type())
        leftover = request.get_attribute("jakarta.servlet.include.request_uri")
        out.write("|include-attr-after=" + str(leftover))


class NamedServlet(HttpServlet):
    """Forwards (?mode=forward) or includes to the servlet named ?name=."""

    def do_get(self, request, response):
        dispatcher = self.get_servlet_context().get_named_dispatcher(request.get_parameter("name"))
        if dispatcher is None:
            response.set_content_type("text/plain")
            response.get_writer().write("no such servlet")
            return
        if request.get_parameter("mode") == "include":
            response.set_content_type("text/plain")
            response.get_writer().write("named-include:")
            dispatcher.include(request, response)
        else:
            dispatcher.forward(request, response)


class CommitThenForwardServlet(HttpServlet):
    """Commits the response, then tries to forward."""

    def do_get(self, request, response):
        response.set_content_type("text/plain")
        out = response.get_writer()
        out.write("committed|")
        response.flush_buffer()
        try:
            request.get_request_dispatcher("/target/late").forward(request, response)
        except IllegalStateError as exc:
            out.write(f"IllegalStateError: {exc}")


class FailServlet(HttpServlet):
    """Fails as ?mode= says."""

    def do_get(self, request, response):
        mode = request.get_parameter("mode")
        if mode == "value":
            raise ValueError("bad value")
        if mode == "key":
            raise KeyError("missing key")
        if mode == "quota":
            raise errors.QuotaError("over quota")
        if mode == "special":
            raise errors.SpecialQuotaError("way over quota")
        if mode == "runtime":
            raise RuntimeError("unexpected")
        if mode == "send":
            response.send_error(int(request.get_parameter("code")), request.get_parameter("msg"))
            return
        response.set_content_type("text/plain")
        response.get_writer().write("did not fail")


class ErrorPageServlet(HttpServlet):
    """An error page: describes the error; tries to set 200 (ignored)."""

    def do_get(self, request, response):
        response.set_status(200)
        write_json(response, describe(request))

    do_post = do_get


class BrokenErrorPageServlet(HttpServlet):
    """An error page that raises."""

    def do_get(self, request, response):
        response.get_writer().write("partial error page")
        raise RuntimeError("the error page itself is broken")


class SendingErrorPageServlet(HttpServlet):
    """An error page that calls send_error itself."""

    def do_get(self, request, response):
        response.send_error(404, "error page sends an error")


class ContextServlet(HttpServlet):
    """Reports what the ServletContext's resource and context lookups give."""

    def do_get(self, request, response):
        ctx = self.get_servlet_context()
        stream = ctx.get_resource_as_stream("/static/a.txt")
        text = stream.read().decode() if stream is not None else None
        if stream is not None:
            stream.close()
        other = ctx.get_context("/examples")
        own = ctx.get_context(ctx.get_context_path() + "/anything")
        write_json(response, {
            "other": other is not None,
            "own_is_self": own is ctx,
            "resource": ctx.get_resource("/static/a.txt"),
            "missing": ctx.get_resource("/static/missing.txt"),
            "outside": ctx.get_resource("/../../etc/passwd"),
            "stream": text,
            "stream_outside": ctx.get_resource_as_stream("/../ROOT/index.html") is not None,
            "paths": sorted(ctx.get_resource_paths("/")),
            "outside_dispatcher": request.get_request_dispatcher("/../other") is None,
        })
