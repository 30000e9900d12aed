"""RemoteAddrValve: Tomcat's RequestFilterValve decision, whole-address
matching, addConnectorPort, denyStatus, and configuration errors."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from catalina_py.container.valves.remote_addr import RemoteAddrValve
from catalina_py.errors import ConfigError


class Request:
    def __init__(self, addr: str, port: int = 8080) -> None:
        self.addr = addr
        self.port = port

    def get_remote_addr(self) -> str:
        return self.addr

    def get_socket_local_port(self) -> int:
        return self.port


class Response:
    def __init__(self) -> None:
        self.errors: list[int] = []

    def send_error(self, status: int) -> None:
        self.errors.append(status)


class Next:
    def __init__(self) -> None:
        self.calls = 0

    def invoke(self, request: object, response: object) -> None:
        self.calls += 1


def valve(**attributes: str) -> tuple[RemoteAddrValve, Next]:
    made = RemoteAddrValve()
    assert made.configure(attributes) == []
    after = Next()
    made.next = after  # type: ignore[assignment]
    return made, after


def run(made: RemoteAddrValve, after: Next, addr: str, port: int = 8080) -> list[int]:
    response = Response()
    before = after.calls
    made.invoke(Request(addr, port), response)
    assert (after.calls - before == 1) == (not response.errors)
    return response.errors


def test_tomcats_decision_table() -> None:
    both, after = valve(allow=r"10\..*", deny=r"10\.0\.0\.66")
    assert run(both, after, "10.1.2.3") == []  # allow matches
    assert run(both, after, "10.0.0.66") == [403]  # deny wins
    assert run(both, after, "192.168.0.1") == [403]  # neither: refused
    only_deny, after = valve(deny=r"192\.168\..*")
    assert run(only_deny, after, "8.8.8.8") == []  # deny set, allow not: passes
    assert run(only_deny, after, "192.168.1.1") == [403]
    nothing, after = valve()
    assert run(nothing, after, "127.0.0.1") == [403]  # neither set: refused


def test_the_whole_address_must_match() -> None:
    made, after = valve(allow=r"127\.0\.0\.1")
    assert run(made, after, "127.0.0.1") == []
    assert run(made, after, "127.0.0.10") == [403]
    assert run(made, after, "1127.0.0.1") == [403]


def test_connector_port_and_deny_status() -> None:
    made, after = valve(allow=r".*;8080|127\.0\.0\.1;\d+", addConnectorPort="true", denyStatus="404")
    assert run(made, after, "203.0.113.9", 8080) == []
    assert run(made, after, "203.0.113.9", 8443) == [404]
    assert run(made, after, "127.0.0.1", 8443) == []


def test_bad_values_are_configuration_errors() -> None:
    with pytest.raises(ConfigError, match="allow"):
        RemoteAddrValve().configure({"allow": "(unclosed"})
    with pytest.raises(ConfigError, match="denyStatus"):
        RemoteAddrValve().configure({"denyStatus": "200"})
    assert (
        RemoteAddrValve()
        .configure({"alow": "x"})[0]
        .endswith("(known: addConnectorPort, allow, deny, denyStatus, invalidAuthenticationWhenDeny)")
    )


# -- configure ----------------------------------------------------------------------
def test_configure_sets_each_attribute() -> None:
    made = RemoteAddrValve()
    assert made.allow is None and made.deny is None and made.deny_status == 403 and made.add_connector_port is False
    warnings = made.configure(
        {
            "className": "org.apache.catalina.valves.RemoteAddrValve",
            "allow": r"127\.\d+\.\d+\.\d+",
            "deny": r"127\.0\.0\.2",
            "denyStatus": "404",
            "addConnectorPort": "TRUE",
            "invalidAuthenticationWhenDeny": "true",
        }
    )
    assert warnings == []
    assert made.allow is not None and made.allow.pattern == r"127\.\d+\.\d+\.\d+"
    assert made.deny is not None and made.deny.pattern == r"127\.0\.0\.2"
    assert made.deny_status == 404
    assert made.add_connector_port is True
    assert made.invalid_authentication_when_deny is True


def test_an_empty_pattern_is_no_pattern() -> None:
    made, after = valve(allow="", deny=r"10\.0\.0\.1")
    assert made.allow is None
    assert run(made, after, "10.0.0.2") == []  # deny set, allow not: passes
    assert run(made, after, "10.0.0.1") == [403]


@pytest.mark.parametrize("pattern", ["(unclosed", "[a-", "*", "a{2,1}"])
def test_an_invalid_regular_expression_is_a_configuration_error(pattern: str) -> None:
    for attribute in ("allow", "deny"):
        with pytest.raises(ConfigError) as raised:
            RemoteAddrValve().configure({attribute: pattern})
        message = str(raised.value)
        assert f"RemoteAddrValve.{attribute}" in message and "not a regular expression" in message


def test_the_error_names_the_element_it_came_from() -> None:
    where = SimpleNamespace(file="conf/server.xml", line=42)
    with pytest.raises(ConfigError) as raised:
        RemoteAddrValve().configure({"allow": "(x"}, where)
    assert raised.value.file == "conf/server.xml" and raised.value.line == 42
    assert str(raised.value).startswith("conf/server.xml:42")


@pytest.mark.parametrize(
    ("attribute", "value"),
    [
        ("denyStatus", "abc"),
        ("denyStatus", "399"),
        ("denyStatus", "600"),
        ("addConnectorPort", "yes"),
        ("invalidAuthenticationWhenDeny", "1"),
    ],
)
def test_other_bad_values(attribute: str, value: str) -> None:
    with pytest.raises(ConfigError, match=attribute):
        RemoteAddrValve().configure({attribute: value})


@pytest.mark.parametrize("status", ["400", "404", "599"])
def test_any_error_status_may_be_the_deny_status(status: str) -> None:
    made, after = valve(allow="x", denyStatus=status)
    assert run(made, after, "127.0.0.1") == [int(status)]


# -- the decision ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("allow", "deny", "addr", "allowed"),
    [
        # 1. deny matches: refused, whatever allow says
        (r".*", r"10\.0\.0\.1", "10.0.0.1", False),
        (None, r"10\.0\.0\.1", "10.0.0.1", False),
        # 2. allow matches: passes
        (r"10\..*", r"10\.0\.0\.1", "10.9.9.9", True),
        (r"10\..*", None, "10.9.9.9", True),
        # 3. deny set, allow unset: passes
        (None, r"10\.0\.0\.1", "192.0.2.1", True),
        # 4. otherwise: refused
        (r"10\..*", r"10\.0\.0\.1", "192.0.2.1", False),
        (r"10\..*", None, "192.0.2.1", False),
        (None, None, "192.0.2.1", False),
    ],
)
def test_decision_table(allow: str | None, deny: str | None, addr: str, allowed: bool) -> None:
    attributes = {k: v for k, v in (("allow", allow), ("deny", deny)) if v is not None}
    made, after = valve(**attributes)
    assert made.is_allowed(addr) is allowed
    assert run(made, after, addr) == ([] if allowed else [403])
    assert after.calls == (1 if allowed else 0)


@pytest.mark.parametrize(
    ("addr", "allowed"),
    [
        ("127.0.0.1", True),
        ("::1", True),
        ("127.0.0.10", False),
        ("127.0.0.1x", False),
        ("x127.0.0.1", False),
        ("::10", False),
        ("0::1", False),
    ],
)
def test_an_alternation_must_match_the_whole_address(addr: str, allowed: bool) -> None:
    made, _after = valve(allow=r"127\.0\.0\.1|::1")
    assert made.is_allowed(addr) is allowed


def test_a_deny_pattern_matches_whole_too() -> None:
    made, after = valve(deny=r"10\.0\.0\.1")
    assert run(made, after, "10.0.0.1") == [403]
    assert run(made, after, "10.0.0.12") == []  # a search would have refused it


@pytest.mark.parametrize(
    ("addr", "allowed"),
    [("127.0.0.1", True), ("127.255.3.4", True), ("::1", True), ("0:0:0:0:0:0:0:1", True), ("10.0.0.1", False)],
)
def test_the_inspectors_own_pattern(addr: str, allowed: bool) -> None:
    made, _after = valve(allow=r"127\.\d+\.\d+\.\d+|::1|0:0:0:0:0:0:0:1")
    assert made.is_allowed(addr) is allowed


def test_without_add_connector_port_the_port_is_not_part_of_the_value() -> None:
    made, after = valve(allow=r"127\.0\.0\.1;8080")
    assert run(made, after, "127.0.0.1", 8080) == [403]
    with_port, after = valve(allow=r"127\.0\.0\.1;8080", addConnectorPort="true")
    assert run(with_port, after, "127.0.0.1", 8080) == []
    assert run(with_port, after, "127.0.0.1", 8081) == [403]
    assert run(with_port, after, "127.0.0.1", 18080) == [403]


def test_add_connector_port_applies_to_deny_as_well() -> None:
    made, after = valve(deny=r".*;8443", addConnectorPort="true")
    assert run(made, after, "127.0.0.1", 8443) == [403]
    assert run(made, after, "127.0.0.1", 8080) == []


class RecordingNext:
    def __init__(self) -> None:
        self.seen: list[tuple[object, object]] = []

    def invoke(self, request: object, response: object) -> None:
        self.seen.append((request, response))


def test_an_allowed_request_goes_on_with_the_same_objects_and_no_error() -> None:
    made = RemoteAddrValve()
    made.configure({"allow": r"127\.0\.0\.1"})
    after = RecordingNext()
    made.next = after  # type: ignore[assignment]
    request, response = Request("127.0.0.1"), Response()
    made.invoke(request, response)
    assert after.seen == [(request, response)] and response.errors == []
    refused, answer = Request("10.0.0.1"), Response()
    made.invoke(refused, answer)
    assert after.seen == [(request, response)] and answer.errors == [403]
