"""The smallest servlet: answers every GET with a short HTML page."""

from catalina_py.servlet import HttpServlet


class HelloWorldExample(HttpServlet):
    """Tomcat's HelloWorldExample, in Python."""

    def do_get(self, request, response):
        response.set_content_type("text/html")
        out = response.get_writer()
        out.write("<!doctype html><html><head><title>Hello World!</title></head>"
                  "<body><h1>Hello World!</h1></body></html>")
