"""Components declared by annotation only (no web.xml entry), and one
(greeter) that web.xml also declares."""

from catalina_py.servlet import HttpServlet, ServletContextListener, web_filter, web_listener, web_servlet

from events import record, record_destroyed


@web_listener
class AnnotatedListener(ServletContextListener):
    def context_initialized(self, event):
        record(event.get_servlet_context(), "context_initialized:AnnotatedListener")

    def context_destroyed(self, event):
        record_destroyed(event.get_servlet_context(), "context_destroyed:AnnotatedListener")


@web_servlet(url_patterns=["/annotated", "/annotated/*"], init_params={"greeting": "hello"})
class AnnotatedServlet(HttpServlet):
    def do_get(self, request, response):
        response.set_content_type("text/plain")
        response.get_writer().write(f"{self.get_init_parameter('greeting')} from "
                                    f"{self.get_servlet_name()}")


@web_servlet("/ignored", name="greeter",
             init_params={"greeting": "from the annotation", "extra": "annotation only"})
class Greeter(HttpServlet):
    def do_get(self, request, response):
        response.set_content_type("text/plain")
        response.get_writer().write(f"{self.get_init_parameter('greeting')}; "
                                    f"{self.get_init_parameter('extra')}")


@web_filter("/annotated/*", dispatcher_types=["REQUEST"])
class AnnotatedFilter:
    def init(self, config):
        pass

    def do_filter(self, request, response, chain):
        response.set_header("X-Annotated-Filter", "yes")
        chain.do_filter(request, response)

    def destroy(self):
        pass
