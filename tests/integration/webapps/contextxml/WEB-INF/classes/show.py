"""What a webapp sees of its <Context>: init parameters, environment
entries, its session cookie."""

import json

from catalina_py.servlet import HttpServlet


class ShowServlet(HttpServlet):
    """Answers JSON: ?param=a,b -> init parameters, ?env=a,b -> environment entries."""

    def do_get(self, request, response):
        context = self.get_servlet_context()
        params = [n for n in (request.get_parameter("param") or "").split(",") if n]
        envs = [n for n in (request.get_parameter("env") or "").split(",") if n]
        body = {
            "params": {name: context.get_init_parameter(name) for name in params},
            "env": {name: context.get_environment(name) for name in envs},
            "env_names": context.get_environment_names(),
            "loaded": LOADED,
        }
        response.set_content_type("application/json")
        response.get_writer().write(json.dumps(body))


class SessionServlet(HttpServlet):
    """Creates a session and answers its id."""

    def do_get(self, request, response):
        session = request.get_session(True)
        response.set_content_type("text/plain")
        response.get_writer().write(session.get_id())


#: Changes with each import: a reload is seen as a new value.
LOADED = __import__("time").monotonic_ns()
