"""The Python twin of tests/differential/java/diffapp/*.java.

The differential test deploys this webapp on catalina_py and the Java
classes (with the same web.xml) on a real Tomcat 10.1, sends both the
same raw requests and compares the answers. Every behaviour here has the
same lines in DiffServlet.java, ErrorPage.java and WsEcho.java, and writes
the same text: ASCII, other characters as ``\\uXXXX`` UTF-16 code units
(as Java's ``char``), bytes of a body as ``\\xXX``.
"""

from catalina_py.servlet import Cookie, HttpServlet, ServletException
from catalina_py.websocket.endpoint import on_message, server_endpoint


def esc(text):
    """``text`` in printable ASCII, as DiffServlet.esc writes it."""
    if text is None:
        return "null"
    out = []
    raw = str(text).encode("utf-16-be", "surrogatepass")
    for i in range(0, len(raw), 2):
        code = raw[i] << 8 | raw[i + 1]
        out.append(chr(code) if 0x20 <= code < 0x7F and code != 0x5C else f"\\u{code:04x}")
    return "".join(out)


def esc_bytes(data):
    """A body's bytes in printable ASCII, as DiffServlet.echo writes them."""
    return "".join(chr(b) if 0x20 <= b < 0x7F and b != 0x5C else f"\\x{b:02x}" for b in data)


def java_bool(value):
    """``true``/``false``, as Java prints a boolean."""
    return "true" if value else "false"


class DiffServlet(HttpServlet):
    """One behaviour per servlet path (see the switch in DiffServlet.java)."""

    def do_get(self, request, response):
        self.handle(request, response)

    def do_post(self, request, response):
        self.handle(request, response)

    def do_put(self, request, response):
        self.handle(request, response)

    def do_delete(self, request, response):
        self.handle(request, response)

    def handle(self, request, response):
        what = request.get_attribute("jakarta.servlet.include.servlet_path") or request.get_servlet_path()
        if what.endswith(".do"):
            what = "/echo"
        if what == "/echo":
            self.echo(request, response)
        elif what == "/session":
            self.session(request, response)
        elif what == "/redirect":
            response.send_redirect(request.get_parameter("to"))
        elif what == "/forward":
            request.get_request_dispatcher(request.get_parameter("to")).forward(request, response)
        elif what == "/include":
            response.set_content_type("text/plain")
            response.get_writer().write("DIFF include\n")
            request.get_request_dispatcher(request.get_parameter("to")).include(request, response)
        elif what == "/error":
            code = int(request.get_parameter("code"))
            msg = request.get_parameter("msg")
            if msg is None:
                response.send_error(code)
            else:
                response.send_error(code, msg)
        elif what == "/status":
            response.set_status(int(request.get_parameter("code")))
            response.set_content_type("text/plain")
            response.get_writer().write("DIFF status\n")
        elif what == "/throw":
            raise ServletException("failed on purpose")
        elif what == "/flushthrow":
            response.set_content_type("text/plain")
            response.get_writer().write("DIFF partial\n")
            response.flush_buffer()
            raise ServletException("failed after commit")
        elif what == "/type":
            response.set_content_type(request.get_parameter("ct"))
            enc = request.get_parameter("enc")
            if enc is not None:
                response.set_character_encoding(enc)
            response.get_writer().write("DIFF type " + esc(request.get_parameter("text")) + "\n")
        elif what == "/cookie":
            cookie = Cookie(request.get_parameter("name"), request.get_parameter("value"))
            if request.get_parameter("path") is not None:
                cookie.set_path(request.get_parameter("path"))
            if request.get_parameter("domain") is not None:
                cookie.set_domain(request.get_parameter("domain"))
            if request.get_parameter("attr") is not None:
                cookie.set_attribute(request.get_parameter("attr"), request.get_parameter("attrvalue"))
            if request.get_parameter("maxage") is not None:
                cookie.set_max_age(int(request.get_parameter("maxage")))
            if request.get_parameter("httponly") is not None:
                cookie.set_http_only(True)
            if request.get_parameter("secure") is not None:
                cookie.set_secure(True)
            response.add_cookie(cookie)
            response.set_content_type("text/plain")
            response.get_writer().write("DIFF cookie\n")
        elif what == "/header":
            response.set_header(request.get_parameter("name"), request.get_parameter("value"))
            response.set_content_type("text/plain")
            response.get_writer().write("DIFF header\n")
        elif what == "/encode":
            if request.get_parameter("create") is not None:
                request.get_session(True)
            response.set_content_type("text/plain")
            out = ["DIFF encode\n"]
            for url in request.get_parameter_values("url"):
                out.append(
                    f"url {esc(url)}: {esc(response.encode_url(url))} | {esc(response.encode_redirect_url(url))}\n"
                )
            response.get_writer().write("".join(out))
        elif what == "/reader":
            text = request.get_reader().read()
            response.set_content_type("text/plain")
            response.get_writer().write(f"DIFF reader {esc(request.get_character_encoding())} {esc(text)}\n")
        elif what == "/bytes":
            n = int(request.get_parameter("n"))
            block = bytes(ord("a") + i % 26 for i in range(n))
            if request.get_parameter("flush") is not None:
                response.flush_buffer()
            response.get_output_stream().write(block)
        else:
            response.send_error(500, "unknown behaviour")

    def echo(self, request, response):
        out = ["DIFF echo\n"]
        out.append(f"method: {esc(request.get_method())}\n")
        out.append(f"protocol: {esc(request.get_protocol())}\n")
        out.append(f"uri: {esc(request.get_request_uri())}\n")
        out.append(f"url: {esc(request.get_request_url())}\n")
        out.append(f"context: {esc(request.get_context_path())}\n")
        out.append(f"servlet: {esc(request.get_servlet_path())}\n")
        out.append(f"info: {esc(request.get_path_info())}\n")
        out.append(f"query: {esc(request.get_query_string())}\n")
        out.append(f"scheme: {esc(request.get_scheme())}\n")
        out.append(f"server: {esc(request.get_server_name())} {request.get_server_port()}\n")
        out.append(f"encoding: {esc(request.get_character_encoding())}\n")
        out.append(f"type: {esc(request.get_content_type())}\n")
        out.append(f"length: {request.get_content_length()}\n")
        for name, values in request.get_parameter_map().items():
            out.append(f"param {esc(name)}:" + "".join(f" [{esc(v)}]" for v in values) + "\n")
        for name in request.get_header_names():
            for value in request.get_headers(name):
                out.append(f"header {esc(name.lower())}: {esc(value)}\n")
        for cookie in request.get_cookies() or ():
            out.append(f"cookie {esc(cookie.get_name())}: {esc(cookie.get_value())}\n")
        body = request.get_input_stream().read()
        out.append(f"body {len(body)}: {esc_bytes(body)}\n")
        if request.is_trailer_fields_ready():
            for name, value in request.get_trailer_fields().items():
                out.append(f"trailer {esc(name)}: {esc(value)}\n")
        response.set_content_type("text/plain")
        response.get_writer().write("".join(out))

    def session(self, request, response):
        op = request.get_parameter("op")
        out = ["DIFF session\n"]
        out.append(f"requested: {java_bool(request.get_requested_session_id() is not None)}\n")
        out.append(f"valid: {java_bool(request.is_requested_session_id_valid())}\n")
        out.append(f"cookie: {java_bool(request.is_requested_session_id_from_cookie())}\n")
        out.append(f"url: {java_bool(request.is_requested_session_id_from_url())}\n")
        session = request.get_session(op in ("create", "invalidate"))
        if session is None:
            out.append("session: null\n")
        else:
            out.append(f"new: {java_bool(session.is_new())}\n")
            out.append(f"same: {java_bool(session.get_id() == request.get_requested_session_id())}\n")
            count = (session.get_attribute("count") or 0) + 1
            session.set_attribute("count", count)
            out.append(f"count: {count}\n")
            if op == "invalidate":
                session.invalidate()
                out.append("invalidated\n")
        response.set_content_type("text/plain")
        response.get_writer().write("".join(out))


class ErrorPage(HttpServlet):
    """The error page: what the container tells it, for every method."""

    def service(self, request, response):
        out = ["DIFF errpage\n"]
        out.append(f"dispatcher: {request.get_dispatcher_type()}\n")
        out.append(f"method: {esc(request.get_method())}\n")
        out.append(f"status: {esc(request.get_attribute('jakarta.servlet.error.status_code'))}\n")
        out.append(f"uri: {esc(request.get_attribute('jakarta.servlet.error.request_uri'))}\n")
        out.append(f"message: {esc(request.get_attribute('jakarta.servlet.error.message'))}\n")
        response.set_content_type("text/plain")
        response.get_writer().write("".join(out))


@server_endpoint("/ws", subprotocols=("chat", "superchat"))
class WsEcho:
    """Echoes text as text and binary as binary (WsEcho.java)."""

    @on_message
    def echo(self, session, message):
        remote = session.get_basic_remote()
        if isinstance(message, str):
            remote.send_text(message)
        else:
            remote.send_binary(message)


@server_endpoint("/ws/plain")
class WsPlain:
    """The same echo without subprotocols (WsPlain.java)."""

    @on_message
    def echo(self, session, message):
        remote = session.get_basic_remote()
        if isinstance(message, str):
            remote.send_text(message)
        else:
            remote.send_binary(message)
