"""Shows what the container made of a request: the request line, the
mapping (context path, servlet path, path info), headers and parameters."""

import html

from catalina_py.servlet import HttpServlet

import example_page


def _row(name, value):
    return f"<tr><th>{html.escape(name)}</th>{example_page.cell(value)}</tr>"


class RequestInfoExample(HttpServlet):
    """Tomcat's RequestInfoExample, extended with the mapping and parameters."""

    def do_get(self, request, response):
        response.set_content_type("text/html")
        rows = [
            _row("Method", request.get_method()),
            _row("Request URI", request.get_request_uri()),
            _row("Protocol", request.get_protocol()),
            _row("Context path", request.get_context_path()),
            _row("Servlet path", request.get_servlet_path()),
            _row("Path info", request.get_path_info()),
            _row("Query string", request.get_query_string()),
            _row("Remote address", request.get_remote_addr()),
            _row("Scheme", request.get_scheme()),
            _row("Secure", request.is_secure()),
            _row("Server name", request.get_server_name()),
            _row("Server port", request.get_server_port()),
            _row("Content type", request.get_content_type()),
            _row("Content length", request.get_content_length()),
        ]
        headers = [_row(name, ", ".join(request.get_headers(name)))
                   for name in request.get_header_names()]
        params = [_row(name, ", ".join(values))
                  for name, values in request.get_parameter_map().items()]
        out = response.get_writer()
        out.write(example_page.head(request.get_context_path(), "Request Information", "requestinfo.py")
                  + "<h1>Request Information</h1>"
                  f"<table>{''.join(rows)}</table>"
                  f"<h2>Headers</h2><table>{''.join(headers)}</table>"
                  f"<h2>Parameters</h2><table>{''.join(params) or '<tr><td>none</td></tr>'}</table>"
                  '<form method="post"><input name="name" value="value">'
                  "<button>POST this form</button></form>"
                  + example_page.tail())

    def do_post(self, request, response):
        self.do_get(request, response)
