"""The container's Request/Response against the servlet API interfaces,
the mapping kept as one value, Servlet 6's ServletConnection, and the
events of the filter chain and of observed pipelines. No sockets."""

from __future__ import annotations

import dataclasses
import types

import pytest

from catalina_py import events
from catalina_py.container import pipeline
from catalina_py.container.application_context import ApplicationContext
from catalina_py.container.filter_chain import new_chain
from catalina_py.container.mapper import UNMAPPED, MappingData
from catalina_py.container.pipeline import Pipeline, ValveBase, sync_observation
from catalina_py.container.response import Response
from catalina_py.servlet import (
    HttpServletMapping,
    HttpServletRequest,
    HttpServletRequestWrapper,
    HttpServletResponse,
    RequestDispatcher,
    ServletConnection,
    ServletContext,
)
from tests.unit.test_servlet_api import FakeChannel, make_request


class Recorder:
    def __init__(self) -> None:
        self.events: list[events.Event] = []

    def on_event(self, event: events.Event) -> None:
        self.events.append(event)


@pytest.fixture
def recorder():
    rec = Recorder()
    events.BUS.subscribe(rec)
    yield rec
    events.BUS.unsubscribe(rec)
    sync_observation()


def test_the_api_classes_are_interfaces():
    for interface in (HttpServletRequest, HttpServletResponse, ServletContext, RequestDispatcher, ServletConnection):
        with pytest.raises(TypeError):
            interface()  # type: ignore[abstract]


def test_the_container_objects_implement_the_interfaces():
    request = make_request(b"GET /x HTTP/1.1\r\nHost: h\r\n\r\n")
    response = Response(request._channel, request)
    assert isinstance(request, HttpServletRequest) and isinstance(response, HttpServletResponse)
    assert isinstance(HttpServletRequestWrapper(request), HttpServletRequestWrapper)
    assert issubclass(ApplicationContext, ServletContext)


def test_servlet_connection_names_the_channel():
    channel = FakeChannel()
    channel.connection_id = 42  # type: ignore[attr-defined]
    request = make_request(b"GET /x HTTP/1.1\r\nHost: h\r\n\r\n")
    request._channel = channel
    connection = request.get_servlet_connection()
    assert isinstance(connection, ServletConnection)
    assert connection.get_connection_id() == "42"
    assert connection.get_protocol() == "http/1.1"
    assert connection.get_protocol_connection_id() == ""
    assert connection.is_secure() is False


def test_an_unmapped_request_has_empty_paths():
    request = make_request(b"GET /x HTTP/1.1\r\nHost: h\r\n\r\n")
    assert request.mapping is UNMAPPED
    assert (request.get_context_path(), request.get_servlet_path(), request.get_path_info()) == ("", "", None)
    assert request.get_servlet_context() is None and request.get_http_servlet_mapping() is None


def test_the_paths_come_from_the_mapping():
    request = make_request(b"GET /app/s/x HTTP/1.1\r\nHost: h\r\n\r\n")
    request.mapping = MappingData(context_path="/app", servlet_path="/s", path_info="/x", relative_path="/s/x")
    assert (request.get_context_path(), request.get_servlet_path(), request.get_path_info()) == ("/app", "/s", "/x")


def test_a_dispatch_is_put_back_whole():
    request = make_request(b"GET /app/s?a=1 HTTP/1.1\r\nHost: h\r\n\r\n")
    request.mapping = MappingData(context_path="/app", servlet_path="/s", relative_path="/s")
    saved = request.dispatch_state()
    target = dataclasses.replace(request.mapping, servlet_path="/t", path_info="/u")
    request.set_dispatch(target, "FORWARD", request_uri="/app/t/u", query_string="b=2")
    assert (
        request.get_servlet_path(),
        request.get_request_uri(),
        request.get_query_string(),
        request.get_dispatcher_type(),
    ) == ("/t", "/app/t/u", "b=2", "FORWARD")
    request.restore_dispatch_state(saved)
    assert (
        request.get_servlet_path(),
        request.get_request_uri(),
        request.get_query_string(),
        request.get_dispatcher_type(),
    ) == ("/s", "/app/s", "a=1", "REQUEST")


def test_mapping_data_gives_the_servlet_mapping():
    md = MappingData(wrapper=types.SimpleNamespace(name="w"), servlet_path="/a", match_type="exact", match_pattern="/a")
    assert md.wrapper_name == "w" and MappingData().wrapper_name is None
    assert HttpServletMapping.from_mapping_data(md).get_mapping_match() == "EXACT"


def test_recycle_breaks_the_links():
    request = make_request(b"GET /x HTTP/1.1\r\nHost: h\r\n\r\n")
    response = Response(request._channel, request)
    request.response = response
    response.get_writer()
    request.recycle()
    assert request.response is None and response._request is None and response._writer is None


class Named:
    def __init__(self, name: str) -> None:
        self.name = name

    def do_filter(self, request, response, chain):
        chain.do_filter(request, response)


def _config(name: str):
    return types.SimpleNamespace(filter=Named(name), async_supported=True, get_filter_name=lambda: name)


def test_filter_chain_events_only_with_a_subscriber(recorder):
    served = []
    servlet = types.SimpleNamespace(service=lambda rq, rs: served.append(1))
    request = types.SimpleNamespace(connection_id=3)
    new_chain([_config("a"), _config("b")], servlet, observed=False).do_filter(request, None)
    assert served == [1] and recorder.events == []  # a request no observer admitted
    new_chain([_config("a"), _config("b")], servlet, observed=True).do_filter(request, None)
    assert served == [1, 1]
    assert [(type(e).__name__, e.filter) for e in recorder.events] == [
        ("FilterEntered", "a"),
        ("FilterEntered", "b"),
        ("FilterLeft", "b"),
        ("FilterLeft", "a"),
    ]
    assert all(e.connection == 3 for e in recorder.events)
    events.BUS.unsubscribe(recorder)
    recorder.events.clear()
    new_chain([_config("a")], servlet, observed=True).do_filter(request, None)
    assert recorder.events == []


class Passing(ValveBase):
    def invoke(self, request, response):
        self.next.invoke(request, response)


class Basic(ValveBase):
    def invoke(self, request, response):
        response.append("basic")


def test_pipelines_are_linked_through_observers_only_while_observed(recorder):
    container = types.SimpleNamespace(lifecycle_name=lambda: "StandardHost[h]")
    basic = Basic()
    basic.container = container
    line = Pipeline(basic)
    valve = Passing()
    valve.container = container
    line.add_valve(valve)
    sync_observation()
    out: list[str] = []
    line.first.invoke(types.SimpleNamespace(connection_id=5, traced=False), out)
    assert out == ["basic"] and recorder.events == []  # observed, but this request was not admitted
    out.clear()
    line.first.invoke(types.SimpleNamespace(connection_id=5, traced=True), out)
    assert out == ["basic"]
    assert [(type(e).__name__, e.container, e.valve) for e in recorder.events] == [
        ("ValveEntered", "StandardHost[h]", "Passing"),
        ("ValveEntered", "StandardHost[h]", "Basic"),
        ("ValveLeft", "StandardHost[h]", "Basic"),
        ("ValveLeft", "StandardHost[h]", "Passing"),
    ]
    events.BUS.unsubscribe(recorder)
    sync_observation()
    assert line.first is valve and valve.next is basic
    assert not pipeline.observing
