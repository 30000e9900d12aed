"""Error pages: a servlet that fails on purpose, and the error page the
container forwards to, showing the ``jakarta.servlet.error.*`` attributes."""

import html

from catalina_py.servlet import HttpServlet


class ExampleFailure(Exception):
    """Raised by FailingServlet; web.xml maps it to /servlets/errorpage."""


class FailingServlet(HttpServlet):
    def do_get(self, request, response):
        kind = request.get_parameter("kind") or "exception"
        if kind == "404":
            response.send_error(404, "This resource was never here")
            return
        raise ExampleFailure("FailingServlet failed on purpose")


def _show(value):
    """Classes by their dotted name, exceptions as ``Type: message``."""
    if isinstance(value, type):
        return f"{value.__module__}.{value.__qualname__}"
    if isinstance(value, BaseException):
        return f"{type(value).__name__}: {value}"
    return str(value)


class ErrorPageServlet(HttpServlet):
    """The error page: reached by an ERROR dispatch."""

    def do_get(self, request, response):
        names = ("status_code", "message", "exception_type", "exception", "request_uri", "servlet_name")
        rows = "".join(
            f"<tr><th>jakarta.servlet.error.{n}</th>"
            f"<td>{html.escape(_show(request.get_attribute('jakarta.servlet.error.' + n)))}</td></tr>"
            for n in names)
        response.set_content_type("text/html")
        response.get_writer().write(
            "<!doctype html><html><head><title>Something went wrong</title>"
            '<link rel="stylesheet" href="/catalina.css"></head><body>'
            "<h1>This is the webapp's own error page</h1>"
            "<p>The container forwarded here (dispatcher type "
            f"{html.escape(request.get_dispatcher_type())}) with these attributes:</p>"
            f"<table>{rows}</table></body></html>")

    do_post = do_get
