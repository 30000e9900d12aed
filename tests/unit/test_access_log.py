"""Tests for catalina_py.container.valves.access_log, access_log_pattern, access_log_dates
and access_log_file (Tomcat's AccessLogValve).

No sockets: small fake request/response/channel objects carry what the
valve reads, and the valve's ``clock`` is replaced so tests move time.
"""

from __future__ import annotations

import os
import time
from types import SimpleNamespace
from typing import Any

import pytest

from catalina_py.container.valves import access_log_file as al
from catalina_py.container.valves.access_log import AccessLogValve
from catalina_py.container.valves.access_log_dates import compile_date_format
from catalina_py.container.valves.access_log_pattern import escape
from catalina_py.errors import ConfigError
from catalina_py.http.errors import ClientAbortError
from catalina_py.http.headers import Headers

# 2026-11-22 03:04:05 UTC
T0 = 1795316645.0
DAY = 86400.0


@pytest.fixture(autouse=True)
def utc(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Run every test in UTC so dates are predictable."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


class Clock:
    """A settable time source for the valve."""

    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class FakeRequest:
    """What the access log reads of HttpServletRequest."""

    def __init__(
        self,
        method: str = "GET",
        uri: str = "/app/x",
        query: str | None = None,
        version: str = "HTTP/1.1",
        headers: list[tuple[str, str]] | None = None,
        **channel: Any,
    ) -> None:
        defaults = dict(
            remote_addr="10.0.0.7",
            remote_port=54321,
            local_addr="10.0.0.1",
            local_port=8080,
            bytes_sent=1234,
            keep_alive=True,
        )
        defaults.update(channel)
        self._channel = SimpleNamespace(**defaults)
        self._head = SimpleNamespace(method=method, target=uri, version=version)
        self._request_uri = uri
        self._query_string = query
        self._headers = Headers(headers or [("Host", "example.org:8080")])
        self._attributes: dict[str, Any] = {}
        self.cookies: list[Any] = []

    def get_remote_addr(self) -> str:
        return self._channel.remote_addr

    def get_local_addr(self) -> str:
        return self._channel.local_addr

    def get_remote_port(self) -> int:
        return self._channel.remote_port

    def get_socket_local_port(self) -> int:
        return self._channel.local_port

    def get_bytes_sent(self) -> int:
        return self._channel.bytes_sent

    def is_keep_alive(self) -> bool:
        return self._channel.keep_alive

    def is_connection_aborted(self) -> bool:
        return getattr(self._channel, "aborted", False)

    def get_servlet_connection(self) -> Any:
        channel = self._channel
        ident = getattr(channel, "connection_id", None)
        return SimpleNamespace(get_connection_id=lambda: str(ident) if ident is not None else "%x" % id(channel))

    def get_method(self) -> str:
        return self._head.method

    def get_protocol(self) -> str:
        return self._head.version

    def get_request_uri(self) -> str:
        return self._request_uri

    def get_query_string(self) -> str | None:
        return self._query_string

    def get_session(self, create: bool = True) -> Any:
        return None

    def get_headers(self, name: str) -> list[str]:
        return self._headers.get_all(name)

    def get_attribute(self, name: str) -> Any:
        return self._attributes.get(name)

    def set_attribute(self, name: str, value: Any) -> None:
        self._attributes[name] = value

    def get_cookies(self) -> list[Any]:
        return list(self.cookies)

    def get_server_name(self) -> str:
        return (self._headers.get("host") or "").split(":")[0]


class FakeResponse:
    """What the access log reads of HttpServletResponse."""

    def __init__(
        self, status: int = 200, headers: list[tuple[str, str]] | None = None, content_type: str | None = None
    ) -> None:
        self._status = status
        self._headers = Headers(headers or [])
        self.content_type = content_type

    def get_header(self, name: str) -> str | None:
        if name.lower() == "content-type":
            return self.content_type
        return self._headers.get(name)

    def get_headers(self, name: str) -> list[str]:
        return self._headers.get_all(name)

    def get_status(self) -> int:
        return self._status

    def header_items(self) -> list[tuple[str, str]]:
        return self._headers.items()


def make_valve(tmp_path: Any, clock: Clock | None = None, start: bool = True, **attrs: Any) -> AccessLogValve:
    valve = AccessLogValve()
    valve.catalina_base = str(tmp_path)
    valve.clock = clock or Clock()
    for name, value in attrs.items():
        setattr(valve, name, value)
    if start:
        valve.start()
    return valve


def line(pattern: str, request: Any = None, response: Any = None, elapsed: float = 0.25, now: float = T0 + 0.25) -> str:
    valve = AccessLogValve()
    valve.pattern = pattern
    return valve.format_line(request or FakeRequest(), response or FakeResponse(), elapsed, now)


def read(path: str) -> str:
    with open(path, encoding="utf-8") as fh:
        return fh.read()


# ------------------------------------------------------------------ patterns


def test_common_pattern() -> None:
    request = FakeRequest(uri="/app/x", query="a=1&b=2")
    assert (
        line("common", request, FakeResponse(404))
        == '10.0.0.7 - - [22/Nov/2026:03:04:05 +0000] "GET /app/x?a=1&b=2 HTTP/1.1" 404 1234'
    )


def test_combined_pattern() -> None:
    request = FakeRequest(headers=[("Host", "h"), ("Referer", "http://r/"), ("User-Agent", "UA/1")])
    assert line("combined", request).endswith(' 200 1234 "http://r/" "UA/1"')
    assert line("combined", FakeRequest()).endswith(' 200 1234 "-" "-"')


def test_alias_is_exact_name_only() -> None:
    assert line("Common") == "Common"


@pytest.mark.parametrize(
    "code, expected",
    [
        ("%a", "10.0.0.7"),
        ("%A", "10.0.0.1"),
        ("%b", "1234"),
        ("%B", "1234"),
        ("%h", "10.0.0.7"),
        ("%H", "HTTP/1.1"),
        ("%l", "-"),
        ("%m", "GET"),
        ("%p", "8080"),
        ("%q", ""),
        ("%r", "GET /app/x HTTP/1.1"),
        ("%s", "200"),
        ("%S", "-"),
        ("%t", "[22/Nov/2026:03:04:05 +0000]"),
        ("%u", "-"),
        ("%U", "/app/x"),
        ("%v", "example.org"),
        ("%D", "250000"),
        ("%T", "0"),
        ("%F", "250"),
        ("%X", "+"),
    ],
)
def test_simple_codes(code: str, expected: str) -> None:
    assert line(code) == expected


def test_bytes_zero() -> None:
    request = FakeRequest(bytes_sent=0)
    assert line("%b", request) == "-"
    assert line("%B", request) == "0"


def test_query_string() -> None:
    assert line("%q", FakeRequest(query="x=1")) == "?x=1"
    assert line("%q", FakeRequest(query="")) == "?"  # present but empty, as Tomcat


def test_elapsed_units() -> None:
    assert line("%T %{ms}T %{us}T %{ns}T %{fracsec}T %{s}T", elapsed=2.0345) == "2 2034 2034500 2034500000 2.034 2"
    assert line("%D", elapsed=1.5) == "1500000"


def test_thread_name() -> None:
    assert line("%I")
    import gevent

    names = []
    greenlet = gevent.spawn(lambda: names.append(line("%I")))
    greenlet.join()
    assert names == [greenlet.name]


def test_connection_status() -> None:
    assert line("%X", FakeRequest(keep_alive=False)) == "-"
    request = FakeRequest()
    request.set_attribute("jakarta.servlet.error.exception", ClientAbortError("gone"))
    assert line("%X", request) == "X"
    assert line("%X", FakeRequest(aborted=True)) == "X"


def test_remote_user_and_session() -> None:
    class WithUser(FakeRequest):
        def get_remote_user(self) -> str:
            return "alice"

        def get_session(self, create: bool = True) -> Any:
            assert create is False
            return SimpleNamespace(get_id=lambda: "ABC123", get_attribute={"k": "v"}.get)

    request = WithUser()
    assert line("%u %S %{k}s %{missing}s", request) == "alice ABC123 v -"
    assert line("%{k}s", FakeRequest()) == "-"


def test_request_headers_joined() -> None:
    request = FakeRequest(headers=[("Host", "h"), ("Accept", "a/b"), ("accept", "c/d")])
    assert line("%{Accept}i|%{X-None}i", request) == "a/b,c/d|-"


def test_response_headers() -> None:
    response = FakeResponse(
        headers=[("X-A", "1"), ("X-A", "2"), ("Set-Cookie", "s=1")], content_type="text/plain;charset=UTF-8"
    )
    assert (
        line("%{x-a}o %{Content-Type}o %{Set-Cookie}o %{X-B}o", response=response)
        == "1,2 text/plain;charset=UTF-8 s=1 -"
    )


def test_cookie_and_request_attribute() -> None:
    request = FakeRequest()
    request.cookies = [
        SimpleNamespace(name="sid", value="1"),
        SimpleNamespace(name="x", value="2"),
        SimpleNamespace(name="sid", value="3"),
    ]
    request.set_attribute("user.id", 42)
    assert line("%{sid}c %{nope}c %{user.id}r %{nope}r", request) == "1,3 - 42 -"


def test_ports() -> None:
    assert line("%{local}p %{remote}p %{bogus}p") == "8080 54321 8080"


def test_remote_address_types() -> None:
    assert line("%{remote}a %{peer}a") == "10.0.0.7 10.0.0.7"


def test_connection_identifier() -> None:
    request = FakeRequest(connection_id=17)
    assert line("%{c}L %{z}L", request) == "17 ???"


def test_time_formats() -> None:
    # The request started at T0 (now - elapsed) and ended 0.25 s later.
    now = T0 + 1.25
    text = line("%{sec}t %{msec}t %{msec_frac}t %{end:sec}t %{end:msec_frac}t", elapsed=1.0, now=now)
    assert text == f"{int(T0)} {int(T0 * 1000) + 250} 250 {int(T0) + 1} 250"
    assert line("%{yyyy-MM-dd HH:mm:ss}t", elapsed=0.0, now=T0) == "2026-11-22 03:04:05"
    assert line("%{begin:dd/MMM/yyyy:HH:mm:ss.SSS Z}t", elapsed=0.0, now=T0 + 0.007) == "22/Nov/2026:03:04:05.007 +0000"
    assert (
        line("%{end:}t %{begin}t", elapsed=2.0, now=T0 + 2)
        == "[22/Nov/2026:03:04:07 +0000] [22/Nov/2026:03:04:05 +0000]"
    )
    assert line("%{EEE, d MMMM yy 'at' h a}t", elapsed=0.0, now=T0) == "Sun, 22 November 26 at 3 AM"


def test_time_format_uses_local_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "EST+05")
    time.tzset()
    assert line("%t %{Z}t", elapsed=0.0, now=T0) == "[21/Nov/2026:22:04:05 -0500] -0500"


def test_date_format_quotes_and_errors() -> None:
    assert compile_date_format("'day' dd ''")(T0) == "day 22 '"
    with pytest.raises(ValueError):
        compile_date_format("yyyy-qq")
    with pytest.raises(ValueError):
        compile_date_format("'open")


def test_literals_and_unknown_codes() -> None:
    # As Tomcat: there is no escape for a literal %; "% " is an unknown code.
    assert line("100% sure %s") == "100??? ???sure 200"
    assert line("%z|%%|%{x}") == "???z???|???%???|???{???x}"
    assert line("end %") == "end "
    assert line("") == ""


# ------------------------------------------------------------------ escaping


def test_escape_function() -> None:
    assert escape(None) == "-"
    assert escape("") == "-"
    assert escape("plain text") == "plain text"
    assert escape('say "hi" \\ there') == 'say \\"hi\\" \\\\ there'
    assert escape("a\nb\rc\td\fe") == "a\\nb\\rc\\td\\fe"
    assert escape("\x00\x7f\u00e9\u20ac") == "\\u0000\\u007f\\u00e9\\u20ac"
    assert escape("\U0001f600") == "\\ud83d\\ude00"


def test_headers_are_escaped() -> None:
    request = FakeRequest(headers=[("Host", "h"), ("User-Agent", 'evil" 200 -\nforged')])
    assert line("combined", request).endswith('"-" "evil\\" 200 -\\nforged"')


def test_request_line_is_escaped_defensively() -> None:
    request = FakeRequest(uri='/a"b', query="q=\u00e9")
    assert line("%r|%U|%q", request) == 'GET /a\\"b?q=\\u00e9 HTTP/1.1|/a\\"b|?q=\\u00e9'


# ------------------------------------------------------------------ files and buffering


def today_file(tmp_path: Any, stamp: str = "2026-11-22") -> str:
    return os.path.join(str(tmp_path), "logs", f"localhost_access_log.{stamp}.txt")


def test_default_file_name_and_directory(tmp_path: Any) -> None:
    valve = make_valve(tmp_path)
    assert valve.current_file() == today_file(tmp_path)
    assert os.path.isfile(today_file(tmp_path))  # opened (created) at start
    valve.stop()


def test_absolute_directory_and_custom_names(tmp_path: Any) -> None:
    target = tmp_path / "elsewhere"
    valve = make_valve(tmp_path, directory=str(target), prefix="acc", suffix=".log", file_date_format="_yyyyMMdd")
    assert valve.current_file() == str(target / "acc_20261122.log")
    valve.stop()


def test_buffered_lines_reach_the_file_on_stop(tmp_path: Any) -> None:
    valve = make_valve(tmp_path)
    for _ in range(10):
        valve.log_access(FakeRequest(), FakeResponse(), 0.0)
    assert read(today_file(tmp_path)) == ""  # nothing written yet
    valve.stop()
    lines = read(today_file(tmp_path)).splitlines()
    assert len(lines) == 10
    assert lines[0] == '10.0.0.7 - - [22/Nov/2026:03:04:05 +0000] "GET /app/x HTTP/1.1" 200 1234'


def test_buffer_makes_no_write_per_line(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    valve = make_valve(tmp_path)
    writes = []
    real_file = valve.log_file._file
    real_write = real_file.write
    monkeypatch.setattr(
        valve.log_file,
        "_file",
        SimpleNamespace(write=lambda data: writes.append(data) or real_write(data), close=real_file.close),
    )
    for _ in range(100):
        valve.log_access(FakeRequest(), FakeResponse(), 0.001)
    assert writes == []
    valve.stop()
    assert len(writes) == 1 and writes[0].count(b"\n") == 100


def test_buffer_flushes_past_threshold(tmp_path: Any) -> None:
    valve = make_valve(tmp_path)
    request = FakeRequest(uri="/" + "x" * 1000)
    count = al.FLUSH_THRESHOLD // 1000 + 2
    for _ in range(count):
        valve.log_access(request, FakeResponse(), 0.001)
    assert read(today_file(tmp_path)).count("\n") >= al.FLUSH_THRESHOLD // 1100
    valve.stop()
    assert read(today_file(tmp_path)).count("\n") == count


def test_buffer_flushes_when_the_second_changes(tmp_path: Any) -> None:
    clock = Clock()
    valve = make_valve(tmp_path, clock)
    valve.log_access(FakeRequest(uri="/one"), FakeResponse(), 0.0)
    clock.now += 1.0
    valve.log_access(FakeRequest(uri="/two"), FakeResponse(), 0.0)
    text = read(today_file(tmp_path))
    assert "/one" in text and "/two" not in text
    valve.flush()
    assert "/two" in read(today_file(tmp_path))
    valve.stop()


def test_unbuffered_writes_each_line(tmp_path: Any) -> None:
    valve = make_valve(tmp_path, buffered=False)
    valve.log_access(FakeRequest(), FakeResponse(), 0.0)
    assert read(today_file(tmp_path)).count("\n") == 1
    valve.stop()


def test_rotation_on_a_new_day(tmp_path: Any) -> None:
    clock = Clock(T0)
    valve = make_valve(tmp_path, clock)
    valve.log_access(FakeRequest(uri="/day1"), FakeResponse(), 0.0)
    clock.now = T0 + DAY
    valve.log_access(FakeRequest(uri="/day2"), FakeResponse(), 0.0)
    valve.stop()
    assert "/day1" in read(today_file(tmp_path)) and "/day2" not in read(today_file(tmp_path))
    assert "/day2" in read(today_file(tmp_path, "2026-11-23"))
    assert "[23/Nov/2026:03:04:05 +0000]" in read(today_file(tmp_path, "2026-11-23"))


def test_not_rotatable(tmp_path: Any) -> None:
    clock = Clock(T0)
    valve = make_valve(tmp_path, clock, rotatable=False)
    valve.log_access(FakeRequest(), FakeResponse(), 0.0)
    clock.now += DAY
    valve.log_access(FakeRequest(), FakeResponse(), 0.0)
    valve.stop()
    path = os.path.join(str(tmp_path), "logs", "localhost_access_log.txt")
    assert read(path).count("\n") == 2
    assert os.listdir(os.path.join(str(tmp_path), "logs")) == ["localhost_access_log.txt"]


def test_rename_on_rotate(tmp_path: Any) -> None:
    clock = Clock(T0)
    valve = make_valve(tmp_path, clock, rename_on_rotate=True)
    current = os.path.join(str(tmp_path), "logs", "localhost_access_log.txt")
    assert valve.current_file() == current
    valve.log_access(FakeRequest(uri="/day1"), FakeResponse(), 0.0)
    clock.now += DAY
    valve.log_access(FakeRequest(uri="/day2"), FakeResponse(), 0.0)
    valve.stop()
    assert "/day1" in read(today_file(tmp_path))
    assert "/day2" in read(current)


def test_max_days_deletes_old_files(tmp_path: Any) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    old = logs / "localhost_access_log.2026-11-01.txt"
    recent = logs / "localhost_access_log.2026-11-20.txt"
    other = logs / "catalina.2026-11-01.log"
    for path, age_days in ((old, 21), (recent, 2), (other, 21)):
        path.write_text("x\n")
        os.utime(path, (T0 - age_days * DAY, T0 - age_days * DAY))
    valve = make_valve(tmp_path, max_days=7)
    assert not old.exists()
    assert recent.exists() and other.exists()
    valve.stop()


def test_missing_file_is_recreated_with_check_exists(tmp_path: Any) -> None:
    clock = Clock()
    valve = make_valve(tmp_path, clock, check_exists=True)
    os.remove(today_file(tmp_path))
    clock.now += 1
    valve.log_access(FakeRequest(), FakeResponse(), 0.0)
    valve.stop()
    assert read(today_file(tmp_path)).count("\n") == 1


def test_encoding(tmp_path: Any) -> None:
    valve = make_valve(tmp_path, pattern="caf\u00e9 %s", encoding="ISO-8859-1")
    valve.log_access(FakeRequest(), FakeResponse(), 0.0)
    valve.stop()
    with open(today_file(tmp_path), "rb") as fh:
        assert fh.read() == b"caf\xe9 200" + os.linesep.encode()


def test_not_started_or_disabled_logs_nothing(tmp_path: Any) -> None:
    valve = make_valve(tmp_path, start=False)
    valve.log_access(FakeRequest(), FakeResponse(), 0.0)
    assert not os.path.exists(os.path.join(str(tmp_path), "logs"))
    valve.start()
    valve.enabled = False
    valve.log_access(FakeRequest(), FakeResponse(), 0.0)
    valve.stop()
    assert read(today_file(tmp_path)) == ""
    valve.log_access(FakeRequest(), FakeResponse(), 0.0)  # stopped: ignored
    assert read(today_file(tmp_path)) == ""


def test_conditions(tmp_path: Any) -> None:
    valve = make_valve(tmp_path, condition_unless="skip", condition_if="keep", pattern="%U")
    plain = FakeRequest(uri="/plain")
    skipped = FakeRequest(uri="/skipped")
    kept = FakeRequest(uri="/kept")
    skipped.set_attribute("skip", True)
    skipped.set_attribute("keep", True)
    kept.set_attribute("keep", True)
    for request in (plain, skipped, kept):
        valve.log_access(request, FakeResponse(), 0.0)
    valve.stop()
    assert read(today_file(tmp_path)).split() == ["/kept"]


def test_pattern_change_recompiles(tmp_path: Any) -> None:
    valve = make_valve(tmp_path, pattern="%s")
    valve.log_access(FakeRequest(), FakeResponse(201), 0.0)
    valve.pattern = "%m"
    valve.log_access(FakeRequest(), FakeResponse(201), 0.0)
    valve.stop()
    assert read(today_file(tmp_path)).split() == ["201", "GET"]


# ------------------------------------------------------------------ configuration


def test_configure_with_tomcat_attribute_names() -> None:
    valve = AccessLogValve()
    warnings = valve.configure(
        {
            "className": "org.apache.catalina.valves.AccessLogValve",
            "directory": "access",
            "prefix": "p",
            "suffix": ".s",
            "fileDateFormat": "yyyy",
            "pattern": "combined",
            "rotatable": "false",
            "renameOnRotate": "true",
            "buffered": "false",
            "encoding": "ISO-8859-1",
            "maxDays": "3",
            "requestAttributesEnabled": "true",
            "conditionIf": "c",
            "bogus": "1",
        }
    )
    assert (valve.directory, valve.prefix, valve.suffix, valve.file_date_format) == ("access", "p", ".s", "yyyy")
    assert valve.pattern == "combined" and valve.rotatable is False
    assert valve.rename_on_rotate is True and valve.buffered is False
    assert valve.encoding == "ISO-8859-1" and valve.max_days == 3
    assert valve.request_attributes_enabled is True and valve.condition_if == "c"
    assert len(warnings) == 1 and "bogus" in warnings[0]


@pytest.mark.parametrize(
    "name, value",
    [
        ("fileDateFormat", "yyyy-qq"),
        ("pattern", "%{yyyy-bb}t"),
        ("encoding", "no-such-charset"),
        ("maxDays", "soon"),
        ("buffered", "maybe"),
    ],
)
def test_configure_rejects_bad_values(name: str, value: str) -> None:
    with pytest.raises(ConfigError):
        AccessLogValve().configure({name: value})


def test_defaults() -> None:
    valve = AccessLogValve()
    assert valve.catalina_base == os.getcwd()
    assert (valve.directory, valve.prefix, valve.suffix, valve.file_date_format) == (
        "logs",
        "localhost_access_log",
        ".txt",
        ".yyyy-MM-dd",
    )
    assert (valve.pattern, valve.rotatable, valve.buffered, valve.encoding, valve.max_days) == (
        "common",
        True,
        True,
        "UTF-8",
        -1,
    )
    assert valve.clock is time.time


def test_invoke_passes_the_request_on() -> None:
    valve = AccessLogValve()
    seen = []
    valve.next = SimpleNamespace(invoke=lambda rq, rs: seen.append((rq, rs)))
    valve.invoke("rq", "rs")  # type: ignore[arg-type]
    assert seen == [("rq", "rs")]


# ------------------------------------------------------------------ the event stream


def test_on_event_logs_the_completed_request(tmp_path: Any) -> None:
    from catalina_py.events import RequestCompleted

    valve = make_valve(tmp_path, buffered=False, pattern="%m %U %s %D")
    event = RequestCompleted(connection=5, request=FakeRequest(uri="/ev"), response=FakeResponse(201), elapsed=0.5)
    valve.on_event(event)
    valve.stop()
    assert read(today_file(tmp_path)) == "GET /ev 201 500000" + os.linesep


def test_on_event_and_log_access_write_the_same_line(tmp_path: Any) -> None:
    from catalina_py.events import RequestCompleted

    valve = make_valve(tmp_path)
    request, response = FakeRequest(query="a=1"), FakeResponse(404)
    valve.log_access(request, response, 0.25)
    valve.on_event(RequestCompleted(connection=1, request=request, response=response, elapsed=0.25))
    valve.stop()
    first, second = read(today_file(tmp_path)).splitlines()
    assert (
        first == second == '10.0.0.7 - - [22/Nov/2026:03:04:04 +0000] "GET /app/x?a=1 HTTP/1.1" 404 1234'
    )  # began 0.25 s earlier


def test_on_event_follows_the_conditions(tmp_path: Any) -> None:
    from catalina_py.events import RequestCompleted

    valve = make_valve(tmp_path, condition_unless="skip", pattern="%U")
    skipped = FakeRequest(uri="/skipped")
    skipped.set_attribute("skip", True)
    for request in (skipped, FakeRequest(uri="/kept")):
        valve.on_event(RequestCompleted(connection=1, request=request, response=FakeResponse(), elapsed=0.0))
    valve.stop()
    assert read(today_file(tmp_path)).split() == ["/kept"]


def test_the_file_settings_live_on_the_log_file(tmp_path: Any) -> None:
    valve = make_valve(tmp_path, start=False, prefix="acc", rotatable=False)
    assert valve.log_file.prefix == "acc" and valve.log_file.rotatable is False
    assert valve.log_file.catalina_base == str(tmp_path)
    assert valve.current_file() == os.path.join(str(tmp_path), "logs", "acc.txt")


def test_the_real_request_and_response() -> None:
    """The elements read HttpServletRequest/HttpServletResponse through their
    public methods only (the connection through its container-side views)."""
    from catalina_py.container.request import Request as HttpServletRequest
    from catalina_py.container.response import Response as HttpServletResponse
    from catalina_py.http.parser import RequestParser

    channel = SimpleNamespace(
        uri_encoding="utf-8",
        traced=False,
        remote_addr="10.0.0.7",
        remote_port=54321,
        local_addr="10.0.0.1",
        local_port=8080,
        bytes_sent=1234,
        keep_alive=True,
        abort_after_response=False,
        scheme="http",
        secure=False,
        proxy_name=None,
        proxy_port=0,
        connection_id=17,
    )
    parser = RequestParser()
    parser.feed(b"GET /app/x?a=1 HTTP/1.1\r\nHost: example.org:8080\r\n\r\n")
    request = HttpServletRequest(channel, parser.next_event(), "/app/x", "/app/x", "a=1")
    response = HttpServletResponse(channel, request)
    request.set_local_port(443)  # a RemoteIpValve's changeLocalPort: %p still shows the socket's port
    assert (
        line('%h %A %p %{remote}p "%r" %s %b %X %{c}L', request, response)
        == '10.0.0.7 10.0.0.1 8080 54321 "GET /app/x?a=1 HTTP/1.1" 200 1234 + 17'
    )
    channel.abort_after_response = True
    assert line("%X", request, response) == "X"
