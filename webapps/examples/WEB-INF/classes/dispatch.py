"""Forward and include with a RequestDispatcher.

``/servlets/dispatch?mode=forward`` hands the whole request to the
``/servlets/target`` servlet, which then sees its own paths and the
``jakarta.servlet.forward.*`` attributes with the original ones;
``?mode=include`` writes a header, includes the target's output in the
middle of its own page, and then writes a footer."""

import html

from catalina_py.servlet import HttpServlet

import example_page

FORWARD = ("request_uri", "context_path", "servlet_path", "path_info", "query_string")


class DispatchExample(HttpServlet):
    """Chooses forward or include."""

    def do_get(self, request, response):
        mode = request.get_parameter("mode") or "include"
        dispatcher = request.get_request_dispatcher("/servlets/target?from=dispatch")
        if mode == "forward":
            dispatcher.forward(request, response)
            return
        response.set_content_type("text/html")
        out = response.get_writer()
        out.write(example_page.head(request.get_context_path(), "Include", "dispatch.py")
                  + "<h1>Include</h1><p>This part is written by <code>DispatchExample</code>. "
                  "Below, the output of <code>/servlets/target</code>:</p><blockquote>")
        dispatcher.include(request, response)
        out.write('</blockquote><p>And this again by <code>DispatchExample</code>. '
                  '<a href="?mode=forward">Try forward instead</a>.</p>' + example_page.tail())


class DispatchTarget(HttpServlet):
    """Shows what a dispatched-to servlet sees."""

    def do_get(self, request, response):
        dispatcher_type = request.get_dispatcher_type()
        if dispatcher_type != "INCLUDE":
            response.set_content_type("text/html")
        rows = [("dispatcher type", dispatcher_type),
                ("request URI", request.get_request_uri()),
                ("servlet path", request.get_servlet_path()),
                ("query string", request.get_query_string()),
                ("parameter from", request.get_parameter("from"))]
        prefix = "jakarta.servlet.forward." if dispatcher_type == "FORWARD" else "jakarta.servlet.include."
        rows += [(prefix + name, request.get_attribute(prefix + name)) for name in FORWARD]
        table = "".join(f"<tr><th>{html.escape(n)}</th>{example_page.cell(v)}</tr>" for n, v in rows)
        out = response.get_writer()
        if dispatcher_type == "FORWARD":
            out.write(example_page.head(request.get_context_path(), "Forward", "dispatch.py")
                      + f"<h1>Forwarded</h1><table>{table}</table>"
                      '<p><a href="dispatch?mode=include">Try include instead</a>.</p>' + example_page.tail())
        else:
            out.write(f"<table>{table}</table>")
