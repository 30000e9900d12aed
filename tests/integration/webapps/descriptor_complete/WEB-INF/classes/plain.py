from catalina_py.servlet import HttpServlet


class Plain(HttpServlet):
    def do_get(self, request, response):
        response.set_content_type("text/plain")
        response.get_writer().write("plain")
