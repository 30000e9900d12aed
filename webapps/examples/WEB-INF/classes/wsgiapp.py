"""A small WSGI application (no framework), mounted at /wsgi/* through
catalina_py.servlet.wsgi.WsgiServlet: any PEP 3333 app, Flask or Django
included, is deployed the same way."""

import html


def application(environ, start_response):
    """Greets, and shows what the bridge put in the WSGI environ."""
    keys = ("REQUEST_METHOD", "SCRIPT_NAME", "PATH_INFO", "QUERY_STRING", "SERVER_PROTOCOL", "wsgi.url_scheme")
    rows = "".join(f"<tr><th>{k}</th><td>{html.escape(str(environ.get(k)))}</td></tr>" for k in keys)
    body = ("<!doctype html><html><head><title>WSGI</title>"
            '<link rel="stylesheet" href="/catalina.css"></head><body>'
            "<h1>Hello from a WSGI app</h1>"
            "<p>This page is made by <code>WEB-INF/classes/wsgiapp.py</code>, a plain WSGI "
            "callable, running inside the examples webapp.</p>"
            f"<table>{rows}</table></body></html>").encode("utf-8")
    start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"),
                              ("Content-Length", str(len(body)))])
    return [body]
