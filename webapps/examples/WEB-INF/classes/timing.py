"""A filter that times requests and says so in an ``X-Response-Time``
header (declared in web.xml and mapped there to the example servlets)."""

import time

from catalina_py.servlet.filter import HttpFilter


class TimingFilter(HttpFilter):
    """Tomcat's examples have a similar ``ExampleFilter``."""

    def do_filter(self, request, response, chain):
        started = time.perf_counter()
        chain.do_filter(request, response)
        # A small response is still in the buffer here, so its headers can
        # change; a large or flushed one was committed by the servlet, and
        # then it is too late for a header.
        if not response.is_committed():
            elapsed_ms = (time.perf_counter() - started) * 1000
            response.set_header("X-Response-Time", f"{elapsed_ms:.2f} ms")
