"""StandardContext's configurator hooks and deploy's WebappConfigurator:
the container learns its loader, annotations and WebSocket container from
outside, in Tomcat's start order (no server, no socket)."""

from __future__ import annotations

from catalina_py.config.web_xml import ListenerDef, ServletDef, WebXml
from catalina_py.container.context import StandardContext
from catalina_py.deploy.context_config import WebappConfigurator
from catalina_py.deploy.loader import WebappLoader
from catalina_py.servlet.listeners import ServletContextListener
from catalina_py.websocket.server import SERVER_CONTAINER_ATTRIBUTE, ServerContainer

CALLS: list[str] = []


class Probe(ServletContextListener):
    def context_initialized(self, event):
        CALLS.append("listener")


class Loader:
    def load_class(self, dotted):
        return Probe

    def unload(self):
        CALLS.append("unload")


class Recorder:
    def configure_start(self, context):
        CALLS.append(f"configure_start servlets={len(context.wrappers)}")
        context.loader = Loader()

    def on_startup(self, context):
        CALLS.append(f"on_startup servlets={len(context.wrappers)} listeners={len(context.listeners)}")


def test_configurators_run_before_the_servlets_and_before_the_listeners(tmp_path):
    CALLS.clear()
    web = WebXml()
    web.servlets["s"] = ServletDef("s", "catalina_py.servlets.default.DefaultServlet")
    web.listeners.append(ListenerDef("probe.Probe"))
    context = StandardContext(None, "/c", str(tmp_path), web)  # type: ignore[arg-type]
    context.configurators.append(Recorder())
    context.start()
    try:
        assert CALLS == ["configure_start servlets=0", "on_startup servlets=1 listeners=0", "listener"]
        assert context.manager is not None and context.ws_container is None
    finally:
        context.stop()
    assert CALLS[-1] == "unload"


def test_webapp_configurator_gives_a_loader_and_a_server_container(tmp_path):
    context = StandardContext(None, "/ws", str(tmp_path), WebXml())  # type: ignore[arg-type]
    context.configurators.append(WebappConfigurator())
    context.start()
    try:
        assert isinstance(context.loader, WebappLoader)
        container = context.get_servlet_context().get_attribute(SERVER_CONTAINER_ATTRIBUTE)
        assert isinstance(container, ServerContainer) and context.ws_container is container
    finally:
        context.stop()
    assert context.ws_container is None
