"""Sessions without sockets: StandardSession, StandardManager, the JSON
persistence and the request/response side of session tracking."""

from __future__ import annotations

import json
import logging
import math
import os
import re

import gevent
import pytest

from catalina_py.config.web_xml import CookieConfig, SessionConfig, WebXml
from catalina_py.container.context import StandardContext
from catalina_py.container.mapper import MappingData
from catalina_py.container.request import Request
from catalina_py.container.response import Response
from catalina_py.errors import ConfigError
from catalina_py.http.parser import RequestParser
from catalina_py.http.uri import parse_uri
from catalina_py.servlet.exceptions import IllegalStateError
from catalina_py.servlet.listeners import (
    HttpSessionAttributeListener,
    HttpSessionIdListener,
    HttpSessionListener,
)
from catalina_py.session import (
    HttpSessionBindingListener,
    StandardManager,
    StandardSession,
    TooManyActiveSessionsError,
)
from catalina_py.session.store import (
    SessionFileError,
    plain_data_problem,
    read_sessions_file,
)


# -- fixtures -------------------------------------------------------------------
class Recorder(HttpSessionListener, HttpSessionAttributeListener, HttpSessionIdListener):
    """Records every session event as a tuple."""

    def __init__(self) -> None:
        self.events: list[tuple] = []

    def session_created(self, event):
        self.events.append(("created", event.get_session().get_id()))

    def session_destroyed(self, event):
        session = event.get_session()
        # The spec: attributes are still there when destroyed is called.
        self.events.append(("destroyed", session.get_id(), sorted(session.get_attribute_names())))

    def attribute_added(self, event):
        self.events.append(("added", event.get_name(), event.get_value()))

    def attribute_replaced(self, event):
        self.events.append(("replaced", event.get_name(), event.get_value()))

    def attribute_removed(self, event):
        self.events.append(("removed", event.get_name(), event.get_value()))

    def session_id_changed(self, event, old_session_id):
        self.events.append(("id_changed", old_session_id, event.get_session().get_id()))


def make_context(tmp_path, path="/app", web_xml=None, listeners=()) -> StandardContext:
    context = StandardContext(None, path, str(tmp_path), web_xml or WebXml())  # type: ignore[arg-type]
    context.listeners = list(listeners)
    return context


@pytest.fixture
def recorder():
    return Recorder()


@pytest.fixture
def manager(tmp_path, recorder):
    context = make_context(tmp_path, listeners=[recorder])
    manager = StandardManager(
        context, max_inactive_interval=600, sweep_seconds=0, pathname=str(tmp_path / "work" / "SESSIONS.json")
    )
    context.manager = manager
    manager.start()
    yield manager
    manager.stop()


class FakeChannel:
    #: The request is not traced (no observer admitted it).
    traced = False

    uri_encoding = "utf-8"
    remote_addr, remote_port, local_addr, local_port = "10.0.0.1", 5555, "127.0.0.1", 8080

    proxy_name, proxy_port = None, 0  # Connector proxyName/proxyPort unset

    def __init__(self, scheme="http"):
        self.scheme = scheme
        self.secure = scheme == "https"
        self.commits = []

    def commit(self, status, headers, content_length, body):
        self.commits.append(list(headers))

    def write_body(self, data):
        pass

    def end_body(self):
        pass


def make_request(context, target="/app/page", headers=b"", scheme="http"):
    """A mapped request and its response, with the requested session id
    parsed as the adapter does it."""
    parser = RequestParser()
    parser.feed(b"GET " + target.encode() + b" HTTP/1.1\r\nHost: example.com:8080\r\n" + headers + b"\r\n")
    head = parser.next_event()
    path, _, query = head.target.partition("?")
    parsed = parse_uri(path, query or None, "utf-8")
    request = Request(FakeChannel(scheme), head, parsed.raw_path, parsed.decoded_path, parsed.query, parsed.path_params)
    response = Response(request._channel, request)
    request.response = response
    request.mapping = MappingData(context=context, context_path=context.path)
    if parsed.path_params or "cookie" in head.headers:
        context.manager.parse_requested_session_id(request, parsed.path_params)
    return request, response


def set_cookies(response):
    return [value for name, value in response.header_items() if name == "Set-Cookie"]


# -- StandardSession and StandardManager -------------------------------------------
def test_session_ids_are_random_upper_hex_and_unique(manager):
    ids = {manager.create_session().get_id() for _ in range(50)}
    assert len(ids) == 50
    assert all(re.fullmatch(r"[0-9A-F]{32}", i) for i in ids)
    assert manager.get_active_sessions() == 50 and manager.session_counter == 50


def test_create_and_find_fire_session_created(manager, recorder):
    session = manager.create_session()
    assert recorder.events == [("created", session.get_id())]
    assert manager.find_session(session.get_id()) is session
    assert manager.find_session("nope") is None
    assert session.is_new()
    assert session.get_max_inactive_interval() == 600
    assert session.get_creation_time() == session.get_last_accessed_time()
    assert session.get_servlet_context() is manager.context.get_servlet_context()


def test_attribute_events_carry_new_then_old_values(manager, recorder):
    session = manager.create_session()
    recorder.events.clear()
    session.set_attribute("a", 1)
    session.set_attribute("a", 2)
    assert session.get_attribute("a") == 2
    session.set_attribute("b", "x")
    assert sorted(session.get_attribute_names()) == ["a", "b"]
    session.remove_attribute("a")
    session.set_attribute("b", None)  # None removes, as the spec says
    session.remove_attribute("never-set")  # no event
    assert recorder.events == [
        ("added", "a", 1),
        ("replaced", "a", 1),
        ("added", "b", "x"),
        ("removed", "a", 2),
        ("removed", "b", "x"),
    ]
    assert session.get_attribute_names() == []
    with pytest.raises(TypeError):
        session.set_attribute(None, 1)  # type: ignore[arg-type]


def test_binding_listener_values_are_told(manager):
    calls = []

    class Bound(HttpSessionBindingListener):
        def value_bound(self, event):
            calls.append(("bound", event.get_name()))

        def value_unbound(self, event):
            calls.append(("unbound", event.get_name()))

    session = manager.create_session()
    first, second = Bound(), Bound()
    session.set_attribute("x", first)
    session.set_attribute("x", first)  # the same object again: no new bound/unbound
    session.set_attribute("x", second)
    session.invalidate()
    assert calls == [("bound", "x"), ("bound", "x"), ("unbound", "x"), ("unbound", "x")]


def test_invalidate_fires_destroyed_before_attributes_go(manager, recorder):
    session = manager.create_session()
    session.set_attribute("user", "ann")
    session.set_attribute("cart", [1, 2])
    recorder.events.clear()
    sid = session.get_id()
    session.invalidate()
    assert recorder.events[0] == ("destroyed", sid, ["cart", "user"])
    assert sorted(recorder.events[1:]) == [("removed", "cart", [1, 2]), ("removed", "user", "ann")]
    assert manager.find_session(sid) is None
    assert session.get_id() == sid  # still answers, as Tomcat
    for call in (
        session.invalidate,
        session.is_new,
        session.get_creation_time,
        session.get_last_accessed_time,
        session.get_attribute_names,
        lambda: session.get_attribute("user"),
        lambda: session.set_attribute("a", 1),
        lambda: session.remove_attribute("a"),
    ):
        with pytest.raises(IllegalStateError):
            call()
    assert manager.expired_sessions == 1


def test_lazy_expiry_and_sweep(manager, recorder):
    idle = manager.create_session()
    idle.set_max_inactive_interval(1)
    forever = manager.create_session()
    forever.set_max_inactive_interval(0)
    busy = manager.create_session()
    busy.set_max_inactive_interval(1)
    for session in (idle, forever, busy):
        session._this_accessed_time -= 3600
    busy.access()  # a request uses it now
    assert manager.process_expires() == 1
    assert manager.find_session(idle.get_id()) is None
    assert ("destroyed", idle.get_id(), []) in recorder.events
    assert forever.is_valid() and busy.is_valid()
    # Lazy: an expired session is seen as invalid on its next use.
    busy._this_accessed_time -= 2
    assert not busy.is_valid()
    with pytest.raises(TypeError):
        busy.set_max_inactive_interval("10")  # type: ignore[arg-type]


def test_background_sweep_greenlet_expires_sessions(tmp_path, recorder):
    context = make_context(tmp_path, listeners=[recorder])
    manager = StandardManager(context, sweep_seconds=0.05)
    manager.start()
    try:
        session = manager.create_session()
        session.set_max_inactive_interval(1)
        session._this_accessed_time -= 5
        gevent.sleep(0.3)
        assert session.get_id() not in manager.sessions
        assert ("destroyed", session.get_id(), []) in recorder.events
    finally:
        manager.stop()
    assert manager._sweeper is None


def test_is_new_until_the_request_ends(manager):
    session = manager.create_session()
    created = session.get_creation_time()
    assert session.is_new()
    session.end_access()
    assert not session.is_new()
    assert session.get_last_accessed_time() >= created


def test_change_session_id(manager, recorder):
    session = manager.create_session()
    old = session.get_id()
    new = manager.change_session_id(session)
    assert new != old and session.get_id() == new
    assert manager.find_session(old) is None and manager.find_session(new) is session
    assert recorder.events[-1] == ("id_changed", old, new)
    session.invalidate()
    with pytest.raises(IllegalStateError):
        manager.change_session_id(session)


def test_max_active_sessions(tmp_path):
    manager = StandardManager(make_context(tmp_path), sweep_seconds=0, max_active_sessions=2)
    first = manager.create_session()
    manager.create_session()
    with pytest.raises(TooManyActiveSessionsError):
        manager.create_session()
    assert manager.rejected_sessions == 1
    first.invalidate()
    manager.create_session()
    assert manager.max_active == 2
    with pytest.raises(ValueError):
        StandardManager(make_context(tmp_path), max_active_sessions=-2)


def test_stop_without_persistence_expires_with_listeners(tmp_path, recorder):
    context = make_context(tmp_path, listeners=[recorder])
    manager = StandardManager(context, sweep_seconds=0)
    manager.start()
    session = manager.create_session()
    manager.stop()
    assert ("destroyed", session.get_id(), []) in recorder.events
    assert manager.sessions == {}


# -- configuration -------------------------------------------------------------------
def test_for_context_reads_descriptor_and_context_params(tmp_path):
    web = WebXml(
        session_config=SessionConfig(session_timeout=2),
        context_params={"catalina_py.session.sweep_seconds": "0.5", "catalina_py.session.max_active_sessions": "7"},
    )
    context = make_context(tmp_path, web_xml=web)
    context.work_dir = str(tmp_path / "work")
    manager = StandardManager.for_context(context)
    assert manager.max_inactive_interval == 120
    assert manager.sweep_seconds == 0.5 and manager.max_active_sessions == 7
    assert manager.pathname == str(tmp_path / "work" / "SESSIONS.json")
    # The older field, then the default of 30 minutes; no work dir: no file.
    assert (
        StandardManager.for_context(make_context(tmp_path, web_xml=WebXml(session_timeout=5))).max_inactive_interval
        == 300
    )
    default = StandardManager.for_context(make_context(tmp_path))
    assert default.max_inactive_interval == 1800 and default.pathname is None
    assert default.tracking_modes == ("COOKIE", "URL")


@pytest.mark.parametrize(
    "name, value",
    [
        ("catalina_py.session.sweep_seconds", "soon"),
        ("catalina_py.session.sweep_seconds", "-1"),
        ("catalina_py.session.sweep_seconds", "inf"),
        ("catalina_py.session.max_active_sessions", "1.5"),
        ("catalina_py.session.max_active_sessions", "-3"),
    ],
)
def test_bad_context_params_are_config_errors(tmp_path, name, value):
    context = make_context(tmp_path, web_xml=WebXml(context_params={name: value}))
    with pytest.raises(ConfigError, match=re.escape(name)):
        StandardManager.for_context(context)


def test_bad_tracking_mode_and_cookie_name(tmp_path):
    with pytest.raises(ConfigError, match="tracking mode"):
        StandardManager(make_context(tmp_path), tracking_modes=["COOKIES"])
    with pytest.raises(ConfigError, match="cookie name"):
        StandardManager(make_context(tmp_path), cookie_config=CookieConfig(name="bad name"))


# -- persistence -----------------------------------------------------------------------
class Opaque:
    pass


def test_unload_saves_plain_data_and_reports_the_rest(manager, recorder, caplog):
    session = manager.create_session()
    session.set_attribute("count", 3)
    session.set_attribute("profile", {"name": "ann", "tags": ["a", None, True, 1.5]})
    session.set_attribute("object", Opaque())
    session.set_attribute("pair", (1, 2))
    session.set_attribute("nan", math.nan)
    session.set_attribute("intkeys", {1: "x"})
    session.set_max_inactive_interval(900)
    recorder.events.clear()
    with caplog.at_level(logging.WARNING, logger="catalina_py.session"):
        assert manager.unload() == 1
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 4
    prefix = session.get_id()[:8]
    for name, kind in (("object", "test_session.Opaque"), ("pair", "tuple"), ("nan", "float"), ("intkeys", "dict")):
        assert any(f"[{prefix}...]" in w and f"[{name}]" in w and kind in w for w in warnings), name
    # Saved sessions end without listeners being told (they live on).
    assert recorder.events == []
    assert manager.sessions == {}
    document = json.loads(open(manager.pathname).read())
    saved = document["sessions"][0]
    assert saved["id"] == session.get_id()
    assert saved["attributes"] == {"count": 3, "profile": {"name": "ann", "tags": ["a", None, True, 1.5]}}
    assert saved["max_inactive_interval"] == 900


def test_load_restores_unexpired_sessions_and_deletes_the_file(manager, recorder):
    keep = manager.create_session()
    keep.set_attribute("cart", ["book"])
    keep.end_access()
    manager.unload()
    document = json.loads(open(manager.pathname).read())
    stale = dict(document["sessions"][0], id="STALE", max_inactive_interval=60)
    stale["this_accessed_time"] -= 120  # idle past its interval while the server was down
    document["sessions"].append(stale)
    open(manager.pathname, "w").write(json.dumps(document))
    recorder.events.clear()
    assert manager.load() == 1
    restored = manager.find_session(keep.get_id())
    assert restored is not None and restored is not keep
    assert restored.get_attribute("cart") == ["book"]
    assert not restored.is_new()
    assert restored.get_creation_time() == keep._creation_time
    assert restored.get_max_inactive_interval() == 600
    assert manager.find_session("STALE") is None
    assert recorder.events == []  # no session_created for restored sessions
    assert not os.path.exists(manager.pathname)


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        "[]",
        '{"format": "other", "version": 1, "sessions": []}',
        '{"format": "catalina_py.sessions", "version": 2, "sessions": []}',
        '{"format": "catalina_py.sessions", "version": 1, "sessions": [{"id": 5}]}',
        '{"format": "catalina_py.sessions", "version": 1, "sessions": [{"id": "a b", "creation_time": 1,'
        ' "last_accessed_time": 1, "this_accessed_time": 1, "max_inactive_interval": 1}]}',
        '{"format": "catalina_py.sessions", "version": 1, "sessions": [{"id": "AB", "creation_time": NaN,'
        ' "last_accessed_time": 1, "this_accessed_time": 1, "max_inactive_interval": 1}]}',
        "\x80\x03cos\nsystem\n(S'echo pwned'\ntR.",  # a pickle: never run, just not JSON
        "[" * 100000,
    ],
)
def test_malformed_file_warns_and_starts_without_sessions(tmp_path, content, caplog):
    path = tmp_path / "SESSIONS.json"
    path.write_text(content, encoding="utf-8", errors="surrogateescape")
    manager = StandardManager(make_context(tmp_path), sweep_seconds=0, pathname=str(path))
    with caplog.at_level(logging.WARNING, logger="catalina_py.session"):
        manager.start()
    try:
        assert manager.sessions == {}
        assert any("Ignoring the saved sessions file" in r.getMessage() for r in caplog.records)
        assert not path.exists()
    finally:
        manager.stop()


def test_read_sessions_file_checks_types(tmp_path):
    path = tmp_path / "s.json"
    path.write_text(
        '{"format": "catalina_py.sessions", "version": 1, "sessions": [{"id": "AB",'
        ' "creation_time": 1, "last_accessed_time": 2, "this_accessed_time": 2,'
        ' "max_inactive_interval": 1.5}]}'
    )
    with pytest.raises(SessionFileError, match="max_inactive_interval"):
        read_sessions_file(str(path))


def test_plain_data_problem():
    assert plain_data_problem({"a": [1, 2.5, "x", None, True, {"b": []}]}) is None
    assert "tuple" in plain_data_problem((1,))
    assert "set" in plain_data_problem({1})
    assert "bytes" in plain_data_problem(b"x")
    assert "key 'a'" in plain_data_problem({"a": object()})
    assert "inf" in plain_data_problem(float("inf"))
    cycle: list = []
    cycle.append(cycle)
    assert "itself" in plain_data_problem(cycle)
    deep: list = []
    for _ in range(100):
        deep = [deep]
    assert "deeper" in plain_data_problem(deep)

    class Name(str):
        pass

    assert plain_data_problem(Name("x")) is not None


def test_stop_then_start_round_trip(tmp_path, recorder):
    pathname = str(tmp_path / "work" / "SESSIONS.json")
    context = make_context(tmp_path, listeners=[recorder])
    first = StandardManager(context, sweep_seconds=0, pathname=pathname)
    first.start()
    session = first.create_session()
    session.set_attribute("n", 41)
    recorder.events.clear()
    first.stop()
    assert recorder.events == []  # saved, not destroyed: no listener is told
    second = StandardManager(context, sweep_seconds=0, pathname=pathname)
    second.start()
    try:
        assert second.find_session(session.get_id()).get_attribute("n") == 41
    finally:
        second.stop()


# -- tracking: request and response ---------------------------------------------------------
@pytest.fixture
def context(tmp_path, recorder):
    context = make_context(tmp_path, listeners=[recorder])
    context.manager = StandardManager(context, sweep_seconds=0)
    context.manager.start()
    yield context
    context.manager.stop()


def test_get_session_creates_and_sends_the_cookie(context):
    request, response = make_request(context)
    assert request.get_session(False) is None
    session = request.get_session()
    assert request.get_session() is session
    assert set_cookies(response) == [f"JSESSIONID={session.get_id()}; Path=/app; HttpOnly"]
    assert request.get_requested_session_id() is None
    assert not request.is_requested_session_id_valid()


def test_cookie_finds_the_session_and_sends_no_new_cookie(context):
    session = context.manager.create_session()
    request, response = make_request(context, headers=f"Cookie: a=b; JSESSIONID={session.get_id()}\r\n".encode())
    assert request.get_requested_session_id() == session.get_id()
    assert request.is_requested_session_id_from_cookie() and not request.is_requested_session_id_from_url()
    assert request.is_requested_session_id_valid()
    assert request.get_session(False) is session
    assert set_cookies(response) == []


def test_unknown_id_gets_a_new_session_only_on_create(context):
    request, response = make_request(context, headers=b"Cookie: JSESSIONID=0123456789ABCDEF\r\n")
    assert not request.is_requested_session_id_valid()
    assert request.get_session(False) is None
    assert context.manager.get_active_sessions() == 0
    session = request.get_session(True)
    assert session.get_id() != "0123456789ABCDEF"
    assert len(set_cookies(response)) == 1


def test_url_id_and_cookie_precedence(context):
    live = context.manager.create_session()
    request, _ = make_request(context, target=f"/app/page;jsessionid={live.get_id()}?q=1")
    assert request.get_requested_session_id() == live.get_id()
    assert request.is_requested_session_id_from_url()
    assert request.get_session(False) is live
    # The cookie overrides the URL.
    request, _ = make_request(
        context, target="/app/page;jsessionid=URLID", headers=f"Cookie: JSESSIONID={live.get_id()}\r\n".encode()
    )
    assert request.get_requested_session_id() == live.get_id()
    assert request.is_requested_session_id_from_cookie() and not request.is_requested_session_id_from_url()
    # Several session cookies: the first unless it names no live session.
    request, _ = make_request(context, headers=f"Cookie: JSESSIONID=STALE; JSESSIONID={live.get_id()}\r\n".encode())
    assert request.get_requested_session_id() == live.get_id()


def test_tracking_modes_restrict_where_the_id_comes_from(tmp_path):
    context = make_context(tmp_path)
    context.manager = StandardManager(context, sweep_seconds=0, tracking_modes=["COOKIE"])
    live = context.manager.create_session()
    request, response = make_request(context, target=f"/app/p;jsessionid={live.get_id()}")
    assert request.get_requested_session_id() is None
    request, response = make_request(context, headers=f"Cookie: JSESSIONID={live.get_id()}\r\n".encode())
    assert request.get_session(False) is live
    context.manager = StandardManager(context, sweep_seconds=0, tracking_modes=["URL"])
    live = context.manager.create_session()
    request, response = make_request(context, headers=f"Cookie: JSESSIONID={live.get_id()}\r\n".encode())
    assert request.get_requested_session_id() is None
    request.get_session()
    assert set_cookies(response) == []  # URL only: no cookie is ever sent
    assert ";jsessionid=" in response.encode_url("/app/x")


def test_cookie_config_shapes_the_cookie_and_the_parameter_name(tmp_path):
    context = make_context(tmp_path, path="")
    config = CookieConfig(
        name="SID",
        path="/shop",
        http_only=False,
        secure=True,
        max_age=60,
        domain="Example.COM",
        attributes={"SameSite": "Lax"},
    )
    context.manager = StandardManager(context, sweep_seconds=0, cookie_config=config)
    request, response = make_request(context, target="/x")
    session = request.get_session()
    cookie = set_cookies(response)[0]
    assert cookie.startswith(f"SID={session.get_id()}; Max-Age=60; Expires=")
    assert cookie.endswith("; Domain=example.com; Path=/shop; Secure; SameSite=Lax")
    assert "HttpOnly" not in cookie
    assert response.encode_url("/x") == f"/x;SID={session.get_id()}"
    # ROOT without a configured path: Path=/ ; https requests get Secure.
    context.manager = StandardManager(context, sweep_seconds=0)
    request, response = make_request(context, target="/x", scheme="https")
    request.get_session()
    assert set_cookies(response)[0].endswith("; Path=/; Secure; HttpOnly")


def test_committed_response_refuses_a_new_session(context):
    request, response = make_request(context)
    response.flush_buffer()
    with pytest.raises(IllegalStateError):
        request.get_session()
    assert request.get_session(False) is None


def test_change_session_id_on_the_request(context, recorder):
    request, response = make_request(context)
    with pytest.raises(IllegalStateError):
        request.change_session_id()
    session = request.get_session()
    old = session.get_id()
    new = request.change_session_id()
    assert new == session.get_id() != old
    # One cookie, with the new id (the first one was replaced).
    assert set_cookies(response) == [f"JSESSIONID={new}; Path=/app; HttpOnly"]
    assert ("id_changed", old, new) in recorder.events
    request, _ = make_request(context, headers=f"Cookie: JSESSIONID={old}\r\n".encode())
    assert not request.is_requested_session_id_valid()


def test_encode_url_rules(context):
    request, response = make_request(context, target="/app/dir/page")
    assert response.encode_url("/app/x") == "/app/x"  # no session yet
    sid = request.get_session().get_id()
    tok = f";jsessionid={sid}"
    # Tomcat's toEncoded puts the fragment before the query it split off.
    assert response.encode_url("/app/x?a=1#top") == f"/app/x{tok}?a=1#top"
    assert response.encode_url("/app/x?a=1") == f"/app/x{tok}?a=1"
    assert response.encode_url("/app/x#frag") == f"/app/x{tok}#frag"
    assert response.encode_url("next?b=2") == f"next{tok}?b=2"
    assert response.encode_url("../app/y") == f"../app/y{tok}"
    assert response.encode_url("http://example.com:8080/app/z") == f"http://example.com:8080/app/z{tok}"
    assert response.encode_url("http://example.com:8080") == "http://example.com:8080"  # not in /app
    assert response.encode_redirect_url("/app/r") == f"/app/r{tok}"
    # Not encodeable: another context, host, port or scheme; a fragment;
    # already encoded; a path climbing above the root.
    for url in (
        "/other/x",
        "/application/x",
        "http://other.com:8080/app/x",
        "http://example.com/app/x",
        "https://example.com:8080/app/x",
        "#top",
        f"/app/x{tok}",
        "../../../x",
        "mailto:a@b",
    ):
        assert response.encode_url(url) == url, url


def test_encode_url_of_empty_url(context):
    request, response = make_request(context, target="/app/dir/page")
    sid = request.get_session().get_id()
    # "" becomes the absolute URL of the request's folder (Tomcat).
    assert response.encode_url("") == f"http://example.com:8080/app/dir/;jsessionid={sid}"


def test_encode_url_not_when_the_id_came_in_a_cookie(context):
    session = context.manager.create_session()
    request, response = make_request(context, headers=f"Cookie: JSESSIONID={session.get_id()}\r\n".encode())
    assert request.get_session() is session
    assert response.encode_url("/app/x") == "/app/x"


def test_request_without_manager_has_no_session(tmp_path):
    context = make_context(tmp_path)
    parser = RequestParser()
    parser.feed(b"GET /app/x HTTP/1.1\r\nHost: h\r\n\r\n")
    head = parser.next_event()
    request = Request(FakeChannel(), head, "/app/x", "/app/x", None)
    request.mapping = MappingData(context=context)  # no manager
    assert request.get_session() is None
    assert not request.is_requested_session_id_valid()
    assert Response(request._channel, request).encode_url("/app/x") == "/app/x"


# -- persistence records and the tracking rules, without a server -------------------
def test_a_session_round_trips_through_its_saved_record(manager):
    session = manager.create_session()
    session.set_attribute("n", 3)
    session.set_max_inactive_interval(77)
    saved = session.to_saved({"n": 3})
    assert (saved.id, saved.max_inactive_interval, saved.is_new, saved.attributes) == (
        session.get_id(),
        77,
        True,
        {"n": 3},
    )
    assert saved.creation_time == session.get_creation_time()
    assert session.attribute_items() == [("n", 3)]
    again = StandardSession.from_saved(manager, saved)
    assert again.get_id() == session.get_id() and again.get_attribute("n") == 3
    assert again.get_max_inactive_interval() == 77 and again.is_new()
    assert again.get_creation_time() == session.get_creation_time()


def test_set_id_tells_the_id_listeners_only_with_an_old_id(manager, recorder):
    session = manager.create_session()
    recorder.events.clear()
    session.set_id("NEW", None)
    assert recorder.events == [] and session.get_id() == "NEW"
    session.set_id("NEWER", "NEW")
    assert recorder.events == [("id_changed", "NEW", "NEWER")]


class TrackedFake:
    """A request as SessionTracking sees it (the TrackedRequest protocol)."""

    def __init__(self, cookies=()):
        from catalina_py.servlet.cookies import Cookie

        self.cookies = [Cookie(name, value) for name, value in cookies]
        self.calls = []
        self.requested = None
        self.from_cookie = False

    def get_header(self, name):
        return "x" if name == "cookie" and self.cookies else None

    def get_cookies(self):
        return list(self.cookies)

    def get_requested_session_id(self):
        return self.requested

    def is_requested_session_id_from_cookie(self):
        return self.from_cookie

    def set_requested_session_id(self, session_id, *, from_cookie=None, from_url=None):
        self.calls.append((session_id, from_cookie, from_url))
        self.requested = session_id
        if from_cookie is not None:
            self.from_cookie = from_cookie


def test_tracking_takes_the_url_id_then_the_first_live_cookie():
    from catalina_py.session.tracking import SessionTracking

    tracking = SessionTracking("/app", CookieConfig())
    request = TrackedFake([("JSESSIONID", "DEAD"), ("other", "x"), ("JSESSIONID", "LIVE"), ("JSESSIONID", "LATER")])
    tracking.parse_requested_session_id(request, {"jsessionid": "URL"}, lambda sid: sid == "LIVE")
    assert request.calls == [("URL", None, True), ("DEAD", True, False), ("LIVE", None, None)]
    assert request.requested == "LIVE"


def test_tracking_modes_are_checked_once():
    from catalina_py.session.tracking import SessionTracking, check_tracking_modes

    assert check_tracking_modes(None) == ("COOKIE", "URL")
    assert check_tracking_modes(["url", "SSL", "URL", " cookie "]) == ("URL", "COOKIE")
    with pytest.raises(ConfigError):
        check_tracking_modes(["COOKIES"])
    tracking = SessionTracking("", CookieConfig(name="SID"), ["COOKIE"])
    assert (tracking.session_cookie_name, tracking.uri_param_name) == ("SID", "SID")
    assert tracking.cookie_tracking and not tracking.url_tracking
    assert tracking.create_session_cookie("ABC", secure=False).get_path() == "/"


def test_request_records_the_requested_session_id_and_its_source(context):
    request, response = make_request(context)
    assert request.get_response() is response
    request.set_requested_session_id("A", from_url=True)
    assert (
        request.get_requested_session_id(),
        request.is_requested_session_id_from_url(),
        request.is_requested_session_id_from_cookie(),
    ) == ("A", True, False)
    request.set_requested_session_id("B", from_cookie=True, from_url=False)
    request.set_requested_session_id("C")
    assert (
        request.get_requested_session_id(),
        request.is_requested_session_id_from_url(),
        request.is_requested_session_id_from_cookie(),
    ) == ("C", False, True)
