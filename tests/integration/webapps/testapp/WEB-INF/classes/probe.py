"""Servlets the integration tests probe the container with."""

import json
import time

from catalina_py.servlet import Cookie, HttpServlet, ServletException


class EchoServlet(HttpServlet):
    """Answers with what it read: body, length, type and trailers."""

    def do_post(self, request, response):
        body = request.get_input_stream().read()
        response.set_content_type("application/octet-stream")
        response.set_header("X-Content-Length", str(request.get_content_length()))
        response.set_header("X-Received", str(len(body)))
        trailers = request.get_trailer_fields()
        if trailers:
            response.set_header("X-Trailers", json.dumps(trailers, sort_keys=True))
        response.get_output_stream().write(body)

    do_put = do_post


class InfoServlet(HttpServlet):
    """JSON of everything a servlet can ask of its request."""

    def do_get(self, request, response):
        cookies = {c.get_name(): c.get_value() for c in request.get_cookies()}
        data = {
            "method": request.get_method(),
            "protocol": request.get_protocol(),
            "request_uri": request.get_request_uri(),
            "request_url": request.get_request_url(),
            "context_path": request.get_context_path(),
            "servlet_path": request.get_servlet_path(),
            "path_info": request.get_path_info(),
            "query_string": request.get_query_string(),
            "parameters": request.get_parameter_map(),
            "headers": {n.lower(): request.get_headers(n) for n in request.get_header_names()},
            "content_type": request.get_content_type(),
            "content_length": request.get_content_length(),
            "character_encoding": request.get_character_encoding(),
            "remote_addr": request.get_remote_addr(),
            "scheme": request.get_scheme(),
            "server_name": request.get_server_name(),
            "server_port": request.get_server_port(),
            "cookies": cookies,
            "init_param": self.get_init_parameter("color"),
            "context_param": self.get_servlet_context().get_init_parameter("greeting"),
            "jsessionid": request.get_path_parameter("jsessionid"),
        }
        response.set_content_type("application/json")
        response.get_writer().write(json.dumps(data))

    do_post = do_get


class GetOnlyServlet(HttpServlet):
    def do_get(self, request, response):
        response.get_writer().write("only GET")


class BehaviourServlet(HttpServlet):
    """One behaviour per path info: /behave/<name>?..."""

    def do_get(self, request, response):
        name = (request.get_path_info() or "/").strip("/")
        getattr(self, "b_" + name)(request, response)

    do_post = do_get

    def b_raise(self, request, response):
        raise RuntimeError("boom <script>alert(1)</script>")

    def b_servlet_exception(self, request, response):
        raise ServletException("wrapped failure")

    def b_raise_after_commit(self, request, response):
        out = response.get_writer()
        out.write("partial")
        response.flush_buffer()
        raise RuntimeError("too late")

    def b_status(self, request, response):
        response.set_status(int(request.get_parameter("code")))
        response.get_writer().write("own body")

    def b_send_error(self, request, response):
        response.send_error(int(request.get_parameter("code")), request.get_parameter("msg"))

    def b_redirect(self, request, response):
        response.send_redirect(request.get_parameter("to"))

    def b_stream(self, request, response):
        """Flushes before the end: sent chunked."""
        response.set_content_type("text/plain")
        out = response.get_writer()
        for i in range(int(request.get_parameter("parts") or 3)):
            out.write(f"part {i}\n")
            response.flush_buffer()
        if not response.is_committed():
            raise AssertionError("flush_buffer() did not commit")

    def b_big(self, request, response):
        """Writes n bytes in 1000-byte writes without flushing."""
        n = int(request.get_parameter("n"))
        response.set_content_type("text/plain")
        out = response.get_output_stream()
        block = b"x" * 1000
        while n > 0:
            out.write(block[:n])
            n -= 1000

    def b_length(self, request, response):
        response.set_content_length(5)
        response.get_output_stream().write(b"12345")

    def b_headers(self, request, response):
        response.set_header("X-One", "1")
        response.add_header("X-Multi", "a")
        response.add_header("X-Multi", "b")
        response.set_character_encoding("ISO-8859-1")
        response.set_content_type("text/plain")
        response.get_writer().write("caf\u00e9")

    def b_cookie(self, request, response):
        cookie = Cookie("flavour", "oatmeal")
        cookie.set_path(request.get_context_path())
        cookie.set_http_only(True)
        cookie.set_max_age(60)
        response.add_cookie(cookie)
        response.get_writer().write("cookie set")

    def b_sleep(self, request, response):
        time.sleep(float(request.get_parameter("s")))
        response.get_writer().write("slept")

    def b_form(self, request, response):
        response.set_content_type("application/json")
        response.get_writer().write(json.dumps(request.get_parameter_map()))

    def b_close(self, request, response):
        response.set_header("Connection", "close")
        response.get_writer().write("closing")

    def b_nobody(self, request, response):
        response.set_status(204)

    # -- what Tomcat 10.1 does differently from a naive container (issue 10) --
    def b_encodings(self, request, response):
        """JSON: the request's and response's encodings, the context's,
        parameters, trailer fields (after reading the body), server and
        local names. Written through the output stream: no charset added."""
        body = request.get_input_stream().read()
        context = self.get_servlet_context()
        data = {
            "request": request.get_character_encoding(),
            "response": response.get_character_encoding(),
            "context_request": context.get_request_character_encoding(),
            "context_response": context.get_response_character_encoding(),
            "body_length": len(body),
            "trailers": request.get_trailer_fields(),
            "server_name": request.get_server_name(),
            "server_port": request.get_server_port(),
            "local_name": request.get_local_name(),
        }
        response.set_content_type("application/json")
        response.get_output_stream().write(json.dumps(data).encode())

    def b_params(self, request, response):
        """JSON of the parameters (written with the writer: charset added)."""
        response.set_content_type("application/json")
        response.get_writer().write(json.dumps(request.get_parameter_map()))

    def b_content_type(self, request, response):
        """Sets ?type= (if given), then ?encoding= (if given), then writes
        "h\u00e9" with the writer (?out=writer) or b"hi" with the stream."""
        if request.get_parameter("type") is not None:
            response.set_content_type(request.get_parameter("type"))
        if request.get_parameter("encoding") is not None:
            response.set_character_encoding(request.get_parameter("encoding"))
        if request.get_parameter("out") == "writer":
            response.get_writer().write("h\u00e9")
        elif request.get_parameter("out") == "stream":
            response.get_output_stream().write(b"hi")

    def b_raw_cookie(self, request, response):
        """add_cookie with ?name= and ?value= as given, not caught: an
        invalid cookie must fail here (500), not at commit."""
        response.add_cookie(Cookie(request.get_parameter("name") or "n", request.get_parameter("value")))
        response.get_writer().write("added")

    def b_header(self, request, response):
        """?how=set|add|redirect with ?v= as the header value or location."""
        how, value = request.get_parameter("how"), request.get_parameter("v")
        if how == "redirect":
            response.send_redirect(value)
            return
        name = request.get_parameter("name") or "X-Echo"
        if how == "add":
            response.add_header(name, value)
        else:
            response.set_header(name, value)
        response.get_writer().write("set")

    def b_dispatch(self, request, response):
        """?mode=forward|include to ?to= (a context-relative path)."""
        dispatcher = request.get_request_dispatcher(request.get_parameter("to"))
        if request.get_parameter("mode") == "include":
            response.get_writer().write("[")
            dispatcher.include(request, response)
            response.get_writer().write("]")
        else:
            dispatcher.forward(request, response)

    def b_status_then_write(self, request, response):
        """set_status(?code=) and then a text body."""
        response.set_status(int(request.get_parameter("code")))
        response.set_content_type("text/plain")
        response.get_writer().write("body")

    def b_short_length(self, request, response):
        """Declares Content-Length 3 and writes 12 bytes."""
        response.set_header("Content-Length", "3")
        response.get_output_stream().write(b"DIFFERENTIAL")

    def b_utf16(self, request, response):
        """Two writes through a UTF-16 writer."""
        response.set_content_type("text/plain")
        response.set_character_encoding("UTF-16")
        out = response.get_writer()
        out.write("a")
        out.write("b")

    def b_cookies(self, request, response):
        """JSON of the request's cookies."""
        response.set_content_type("application/json")
        cookies = [[c.get_name(), c.get_value()] for c in request.get_cookies()]
        response.get_output_stream().write(json.dumps(cookies).encode())

    def b_reader(self, request, response):
        """The body read with get_reader(), echoed as JSON."""
        text = request.get_reader().read()
        response.set_content_type("application/json")
        response.get_output_stream().write(json.dumps({"text": text}).encode())

class BrokenInitServlet(HttpServlet):
    """A servlet whose class imports but whose init fails: its first request
    is a 500 (a class that does not exist fails the whole deployment)."""

    def init(self, config):
        raise RuntimeError("this servlet cannot start")
