"""RemoteAddrValve: Tomcat's RequestFilterValve decision, whole-address
matching, addConnectorPort, denyStatus, and configuration errors."""

from __future__ import annotations

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
