"""Request parameters: a form posted back to the same servlet, showing what
``get_parameter`` and ``get_parameter_values`` return for the query string
and the form body."""

import html

from catalina_py.servlet import HttpServlet

import example_page


class RequestParamExample(HttpServlet):
    """Tomcat's RequestParamExample."""

    def do_get(self, request, response):
        response.set_content_type("text/html")
        first = request.get_parameter("firstname")
        last = request.get_parameter("lastname")
        colours = request.get_parameter_values("colour") or []
        out = response.get_writer()
        out.write(example_page.head(request.get_context_path(), "Request Parameters", "params.py")
                  + "<h1>Request Parameters</h1>")
        if first is not None or last is not None:
            out.write(f"<p>First name: <b>{html.escape(first or '')}</b><br>"
                      f"Last name: <b>{html.escape(last or '')}</b><br>"
                      f"Colours: <b>{html.escape(', '.join(colours)) or 'none'}</b></p>")
        else:
            out.write("<p>No parameters yet: fill in the form.</p>")
        out.write('<form method="post">'
                  'First name <input name="firstname"> Last name <input name="lastname"><br>'
                  '<label><input type="checkbox" name="colour" value="red"> red</label> '
                  '<label><input type="checkbox" name="colour" value="blue"> blue</label> '
                  "<button>POST</button></form>"
                  "<p>The same works in the query string: "
                  '<a href="?firstname=Ada&amp;lastname=Lovelace&amp;colour=red&amp;colour=blue">try it</a>.</p>'
                  + example_page.tail())

    do_post = do_get
