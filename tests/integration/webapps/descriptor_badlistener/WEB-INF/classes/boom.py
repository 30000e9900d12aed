from catalina_py.servlet import HttpServlet, ServletContextListener


class Boom(ServletContextListener):
    def context_initialized(self, event):
        raise RuntimeError("the listener exploded on purpose")


class X(HttpServlet):
    def do_get(self, request, response):
        response.get_writer().write("x")
