"""A small WSGI application (no framework), mounted at /wsgi/* through
catalina_py.servlet.wsgi.WsgiServlet: any PEP 3333 app, Flask or Django
included, is deployed the same way."""

import html

import example_page


def application(environ, start_response):
    """Greets, and shows what the bridge put in the WSGI environ."""
    keys = ("REQUEST_METHOD", "SCRIPT_NAME", "PATH_INFO", "QUERY_STRING", "SERVER_PROTOCOL", "wsgi.url_scheme")
    rows = "".join(f"<tr><th>{k}</th>{example_page.cell(environ.get(k))}</tr>" for k in keys)
    # The servlet is mapped to /wsgi/*: the webapp's context path is what
    # SCRIPT_NAME has before that.
    context_path = environ.get("SCRIPT_NAME", "").removesuffix("/wsgi")
    body = (example_page.head(context_path, "WSGI", "wsgiapp.py")
            + "<h1>Hello from a WSGI app</h1>"
            "<p>This page is made by <code>WEB-INF/classes/wsgiapp.py</code>, a plain WSGI "
            "callable, running inside the examples webapp.</p>"
            f"<table>{rows}</table>" + example_page.tail()).encode("utf-8")
    start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"),
                              ("Content-Length", str(len(body)))])
    return [body]
