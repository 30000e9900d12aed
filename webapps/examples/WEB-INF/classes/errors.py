"""Error pages: a servlet that fails on purpose, and the error page the
container forwards to, showing the ``jakarta.servlet.error.*`` attributes."""

import html

from catalina_py.servlet import HttpServlet

import example_page


class ExampleFailure(Exception):
    """Raised by FailingServlet; web.xml maps it to /servlets/errorpage."""


class FailingServlet(HttpServlet):
    def do_get(self, request, response):
        kind = request.get_parameter("kind") or "exception"
        if kind == "404":
            response.send_error(404, "This resource was never here")
            return
        raise ExampleFailure("FailingServlet failed on purpose")


class ErrorPageServlet(HttpServlet):
    """The error page: reached by an ERROR dispatch."""

    def do_get(self, request, response):
        names = ("status_code", "message", "exception_type", "exception", "request_uri", "servlet_name")
        # Classes by the name web.xml uses (errors.ExampleFailure), exceptions
        # as "Class: message", null for an attribute that is not set.
        rows = "".join(
            f"<tr><th>jakarta.servlet.error.{n}</th>"
            f"{example_page.cell(request.get_attribute('jakarta.servlet.error.' + n))}</tr>"
            for n in names)
        response.set_content_type("text/html")
        response.get_writer().write(
            example_page.head(request.get_context_path(), "Something went wrong", "errors.py")
            + "<h1>This is the webapp's own error page</h1>"
            "<p>The container forwarded here (dispatcher type "
            f"{html.escape(request.get_dispatcher_type())}) with these attributes:</p>"
            f"<table>{rows}</table>" + example_page.tail())

    do_post = do_get
