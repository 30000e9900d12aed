"""The container's events (catalina_py/events.py) for one request through
the whole pipeline: mapped, each valve entered and left, the servlet
called and returned, the request completed; and none with no subscriber.
Runs a real Http11Processor over a fake socket, in this process, so an
observer sees the stream."""

from __future__ import annotations

import shutil

import pytest

from catalina_py import events
from catalina_py.container import pipeline
from tests.integration.test_no_garbage_cycles import LoopSocket
from tests.server import REPO, SERVER_XML, free_port


class Recorder:
    def __init__(self) -> None:
        self.events: list[events.Event] = []

    def on_event(self, event: events.Event) -> None:
        self.events.append(event)


@pytest.fixture
def endpoint(tmp_path, monkeypatch):
    base = tmp_path / "base"
    (base / "conf").mkdir(parents=True)
    (base / "logs").mkdir()
    (base / "conf" / "server.xml").write_text(
        SERVER_XML.format(port=free_port(), shutdown_port=-1, connector_attrs="", log_pattern="common")
    )
    shutil.copytree(REPO / "webapps" / "examples", base / "webapps" / "examples")
    monkeypatch.setenv("CATALINA_BASE", str(base))
    monkeypatch.setenv("CATALINA_HOME", str(REPO))
    from catalina_py.bootstrap import Catalina, Layout

    catalina = Catalina(Layout.from_environment())
    catalina.start()
    try:
        yield catalina.server.services[0].connectors[0].endpoint
    finally:
        catalina.stop()


def serve(endpoint, path: str) -> None:
    from catalina_py.connector.processor import Http11Processor

    request = f"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode()
    Http11Processor(endpoint, LoopSocket(request, 1), ("127.0.0.1", 1)).run()


def test_one_request_tells_its_way_through_the_container(endpoint):
    recorder = Recorder()
    events.BUS.subscribe(recorder)
    try:
        serve(endpoint, "/examples/servlets/helloworld")
    finally:
        events.BUS.unsubscribe(recorder)
        pipeline.sync_observation()
    kinds = [type(e).__name__ for e in recorder.events]
    container = [
        k
        for k in kinds
        if k in ("RequestMapped", "ValveEntered", "ValveLeft", "ServletCalled", "ServletReturned", "RequestCompleted")
    ]
    assert container[0] == "RequestMapped" and container[-1] == "RequestCompleted"
    assert container.count("ValveEntered") == container.count("ValveLeft") >= 4
    assert container.index("ServletCalled") < container.index("ServletReturned")
    mapped = next(e for e in recorder.events if isinstance(e, events.RequestMapped))
    assert (mapped.host, mapped.context_path, mapped.wrapper) == ("localhost", "/examples", "HelloWorldExample")
    assert mapped.match_type == "exact" and mapped.servlet_path == "/servlets/helloworld"
    assert mapped.path_info is None and mapped.redirect is None
    assert "HelloWorldExample" in mapped.reason
    entered = [(e.container, e.valve) for e in recorder.events if isinstance(e, events.ValveEntered)]
    assert entered[0] == ("StandardEngine[Catalina]", "StandardEngineValve")
    assert ("StandardWrapper[HelloWorldExample]", "StandardWrapperValve") in entered
    called = next(e for e in recorder.events if isinstance(e, events.ServletCalled))
    assert (called.servlet, called.method) == ("HelloWorldExample", "GET")
    returned = next(e for e in recorder.events if isinstance(e, events.ServletReturned))
    assert returned.error is None and returned.elapsed >= 0
    completed = (
        recorder.events[-1]
        if isinstance(recorder.events[-1], events.RequestCompleted)
        else next(e for e in recorder.events if isinstance(e, events.RequestCompleted))
    )
    assert completed.response.get_status() == 200
    assert completed.connection == mapped.connection


def test_a_context_root_redirect_is_mapped_with_its_reason(endpoint):
    recorder = Recorder()
    events.BUS.subscribe(recorder)
    try:
        serve(endpoint, "/examples")
    finally:
        events.BUS.unsubscribe(recorder)
        pipeline.sync_observation()
    mapped = next(e for e in recorder.events if isinstance(e, events.RequestMapped))
    assert mapped.redirect == "/examples/" and "redirect" in mapped.reason


def test_no_subscriber_no_observed_links(endpoint):
    assert not events.BUS.active
    serve(endpoint, "/examples/servlets/helloworld")
    engine = endpoint.adapter.engine
    assert type(engine.pipeline.first).__name__ != "_ObservedValve"
