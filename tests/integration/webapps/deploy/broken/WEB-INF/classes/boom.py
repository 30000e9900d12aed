"""A servlet module that cannot be imported: its webapp fails to deploy."""

import a_module_that_does_not_exist  # noqa: F401

from catalina_py.servlet import HttpServlet


class BoomServlet(HttpServlet):
    def do_get(self, request, response):
        response.get_writer().write("unreachable")
