"""The hello servlet of webapp 'one': imports its own util absolutely."""

import time

import util
from catalina_py.servlet import HttpServlet


class HelloServlet(HttpServlet):
    """Answers with the webapp's name, from its own util module."""

    def do_get(self, request, response):
        response.set_content_type("text/plain")
        response.get_writer().write(f"hello from {util.NAME}")


class SlowServlet(HttpServlet):
    """Sleeps ?ms= milliseconds, then answers: a request in flight."""

    destroyed = False

    def do_get(self, request, response):
        time.sleep(int(request.get_parameter("ms") or "0") / 1000)
        response.set_content_type("text/plain")
        early = " (destroyed while in flight)" if self.destroyed else ""
        response.get_writer().write(f"slow done in {util.NAME}{early}")

    def destroy(self):
        self.destroyed = True


class ImportProbeServlet(HttpServlet):
    """Tries to import ?module= from webapp code: what it resolves to."""

    def do_get(self, request, response):
        response.set_content_type("text/plain")
        try:
            module = __import__(request.get_parameter("module"))
        except ImportError as exc:
            response.get_writer().write(f"ImportError: {exc}")
            return
        response.get_writer().write(f"{module.__name__} {getattr(module, 'VALUE', '-')}")
