"""For tests/integration/test_reload.py and bench/reload_load.py: the
deployment API without the Manager, called from a request greenlet.

``POST /reloader/do?op=reload|redeploy|undeploy&path=/app`` calls
``HostConfig.<op>(path)`` of the request's Host and answers ``OK`` (a
reload or redeploy answers ``FAIL`` when the new version did not start:
the old one keeps serving).
"""

from catalina_py.deploy.host_config import SERVER_ATTRIBUTE, find_host_config
from catalina_py.servlet import HttpServlet, web_servlet

OPERATIONS = ("reload", "redeploy", "undeploy")


@web_servlet("/do")
class Deployer(HttpServlet):
    def do_post(self, request, response):
        response.set_content_type("text/plain")
        op = request.get_parameter("op")
        path = request.get_parameter("path") or ""
        host_config = find_host_config(self.get_servlet_context().get_attribute(SERVER_ATTRIBUTE), "localhost")
        if op not in OPERATIONS or host_config is None:
            response.set_status(400)
            response.get_writer().write("unknown operation or host")
            return
        result = getattr(host_config, op)(path)
        response.get_writer().write("FAIL" if op != "undeploy" and result is None else "OK")
