"""Sessions: a per-visitor counter and attributes kept in the HttpSession,
with the session id tracked by the JSESSIONID cookie (or by URL rewriting
when cookies are off: every link goes through ``encode_url``)."""

import html

from catalina_py.servlet import HttpServlet

import example_page


class SessionExample(HttpServlet):
    """Tomcat's SessionExample, with a visit counter."""

    def do_get(self, request, response):
        session = request.get_session(True)
        if request.get_parameter("invalidate"):
            session.invalidate()
            response.send_redirect(response.encode_redirect_url(request.get_request_uri()))
            return
        name = request.get_parameter("dataname")
        value = request.get_parameter("datavalue")
        if name and value is not None:
            session.set_attribute(name, value)
        count = (session.get_attribute("count") or 0) + 1
        session.set_attribute("count", count)
        response.set_content_type("text/html")
        rows = "".join(f"<tr><td>{html.escape(n)}</td>{example_page.cell(session.get_attribute(n))}</tr>"
                       for n in session.get_attribute_names())
        self_url = html.escape(response.encode_url(request.get_request_uri()))
        response.get_writer().write(
            example_page.head(request.get_context_path(), "Sessions", "sessions.py")
            + "<h1>Sessions</h1>"
            f"<p>Session id: <code>{html.escape(session.get_id())}</code> "
            f"({'new in this request' if session.is_new() else 'not new: your browser sent its id'}, "
            f"expires after {session.get_max_inactive_interval()} s idle)</p>"
            f"<p>You have loaded this page <b>{count}</b> time(s) in this session.</p>"
            f"<table><tr><th>Attribute</th><th>Value</th></tr>{rows}</table>"
            f'<form method="post" action="{self_url}">Name <input name="dataname"> '
            'Value <input name="datavalue"> <button>Store in the session</button></form>'
            f'<p><a href="{self_url}">Reload</a> · '
            f'<a href="{self_url}{"&" if "?" in self_url else "?"}invalidate=1">Invalidate the session</a></p>'
            + example_page.tail())

    do_post = do_get
