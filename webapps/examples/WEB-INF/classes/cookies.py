"""Cookies: lists the cookies the browser sent and sets a new one from a form."""

import html

from catalina_py.servlet import Cookie, HttpServlet

import example_page


class CookieExample(HttpServlet):
    """Tomcat's CookieExample."""

    def do_get(self, request, response):
        name = request.get_parameter("cookiename")
        value = request.get_parameter("cookievalue")
        set_message = ""
        if name and value is not None:
            # Not caught, as in Tomcat's CookieExample: a name or value the
            # container refuses (a space in the name, CR LF in the value)
            # raises here, and the client gets the error page, a 500.
            cookie = Cookie(name, value)
            cookie.set_path(request.get_context_path() or "/")
            response.add_cookie(cookie)
            set_message = f"<p>Set cookie <b>{html.escape(name)}={html.escape(value)}</b>.</p>"
        response.set_content_type("text/html")
        rows = "".join(f"<tr><td>{html.escape(c.get_name())}</td><td>{html.escape(c.get_value())}</td></tr>"
                       for c in request.get_cookies())
        response.get_writer().write(
            example_page.head(request.get_context_path(), "Cookies", "cookies.py")
            + "<h1>Cookies</h1>"
            f"{set_message}<h2>Your browser sent</h2>"
            f"<table><tr><th>Name</th><th>Value</th></tr>{rows or '<tr><td colspan=2>no cookies</td></tr>'}</table>"
            '<h2>Set a cookie</h2><form method="post">Name <input name="cookiename"> '
            'Value <input name="cookievalue"> <button>Set</button></form>' + example_page.tail())

    do_post = do_get
