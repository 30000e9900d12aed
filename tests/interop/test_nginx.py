"""catalina_py behind a real nginx, deployed the way people deploy Tomcat.

Two catalina_py instances (the examples webapp) behind one nginx
``upstream``, and three nginx servers in front of it, each on a port of
its own:

* ``good``: the recommended settings (docs/nginx.md): HTTP/1.1 to the
  upstream, ``Upgrade``/``Connection`` forwarded (they are hop-by-hop, so
  nginx drops them unless told), the client's ``Host`` forwarded,
  ``X-Forwarded-For``/``-Proto``;
* ``plain``: the common misconfiguration, a bare ``proxy_pass``: the
  upgrade headers never reach the container, which answers 426;
* ``nohost``: upgrade forwarded but ``Host`` left at nginx's default
  (``$proxy_host``, here ``catalina``): the same-origin check refuses a
  browser's ``Origin`` with 403.

``proxy_read_timeout`` is 3 s everywhere, so the heartbeat tests can show
that the server's pings (``webSocketPingInterval``) keep an idle
WebSocket open through nginx, and that without them nginx cuts it.

The WebSocket client is python-websockets (not our own code), with an
``Origin`` like a browser's on the proxy's address and its own keepalive
pings off (``ping_interval=None``) so that only the server's traffic
crosses the proxy.

Skipped when nginx is not installed, unless ``CI=true`` (then it fails).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from tests.nginx import MISSING, NGINX, NginxProcess
from tests.server import REPO, CatalinaProcess, free_port

if NGINX is None and os.environ.get("CI", "").lower() != "true":
    pytest.skip(MISSING, allow_module_level=True)

#: nginx's proxy_read_timeout in these tests, seconds.
READ_TIMEOUT = 3
#: How long the client stays silent in the heartbeat tests, seconds.
IDLE = 5

#: The inside of nginx's ``http`` block (tests/nginx.py adds the rest).
NGINX_CONF = """\
    map $http_upgrade $connection_upgrade {{
        default upgrade;
        ''      close;
    }}

    upstream catalina {{
        server 127.0.0.1:{p1};
        server 127.0.0.1:{p2};
    }}

    # The recommended configuration (docs/nginx.md).
    server {{
        listen 127.0.0.1:{good};
        location / {{
            proxy_pass http://catalina;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            # $http_host keeps the port (127.0.0.1:{good}); $host would drop it.
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_read_timeout {read_timeout}s;
        }}
    }}

    # Misconfigured the common way: Upgrade/Connection are not forwarded.
    server {{
        listen 127.0.0.1:{plain};
        location / {{
            proxy_pass http://catalina;
            proxy_set_header Host $http_host;
            proxy_read_timeout {read_timeout}s;
        }}
    }}

    # Upgrade forwarded, Host not: the container sees Host: catalina.
    server {{
        listen 127.0.0.1:{nohost};
        location / {{
            proxy_pass http://catalina;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_read_timeout {read_timeout}s;
        }}
    }}
"""


@dataclass
class Stack:
    servers: list[CatalinaProcess]
    good: int
    plain: int
    nohost: int
    base: Path

    def url(self, port: int, path: str) -> str:
        return f"http://127.0.0.1:{port}{path}"

    def ws(self, port: int, path: str = "/examples/websocket/echo", **kwargs):
        """A python-websockets client with a browser-like Origin on the
        proxy's own address, no keepalive pings of its own, no proxy from
        the environment."""
        kwargs.setdefault("origin", f"http://127.0.0.1:{port}")
        return connect(
            f"ws://127.0.0.1:{port}{path}", ping_interval=None, proxy=None, open_timeout=10, close_timeout=5, **kwargs
        )


@pytest.fixture
def make_stack(make_server, tmp_path):
    """``make_stack(ping_interval)``: two catalina_py instances with the
    examples webapp, and nginx in front (the three servers above).
    Everything started here is stopped by PID afterwards."""
    if NGINX is None:
        pytest.fail("CI=true but nginx is not installed: the reverse-proxy interop tests must run on CI")
    proxies: list[NginxProcess] = []

    def factory(ping_interval: float = 1) -> Stack:
        attrs = f'webSocketPingInterval="{ping_interval:g}"'
        servers = [
            make_server(webapps={"examples": REPO / "webapps" / "examples"}, connector_attrs=attrs) for _ in range(2)
        ]
        for server in servers:
            server.start()
        base = tmp_path / "nginx"
        good, plain, nohost = free_port(), free_port(), free_port()
        body = NGINX_CONF.format(
            p1=servers[0].port,
            p2=servers[1].port,
            good=good,
            plain=plain,
            nohost=nohost,
            read_timeout=READ_TIMEOUT,
        )
        proxy = NginxProcess(base, body)
        proxies.append(proxy)
        proxy.start([good, plain, nohost])
        return Stack(servers, good, plain, nohost, base)

    yield factory
    for proxy in proxies:
        proxy.stop()


@pytest.fixture
def stack(make_stack) -> Stack:
    return make_stack(ping_interval=1)


@pytest.fixture
def http():
    session = requests.Session()
    session.trust_env = False  # never an HTTP proxy from the environment
    yield session
    session.close()


def _wait_until(predicate, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


# -- HTTP ----------------------------------------------------------------------------


def test_http_through_nginx_reaches_both_instances(stack, http):
    for _ in range(3):
        hello = http.get(stack.url(stack.good, "/examples/servlets/helloworld"), timeout=10)
        assert hello.status_code == 200
        assert "Hello World!" in hello.text
        static = http.get(stack.url(stack.good, "/examples/index.html"), timeout=10)
        assert static.status_code == 200
        assert "catalina_py examples" in static.text
    # nginx's default round robin: six requests, three to each instance.
    assert _wait_until(lambda: all(s.access_log().count("GET /examples/") >= 1 for s in stack.servers)), [
        s.access_log() for s in stack.servers
    ]
    total = sum(s.access_log().count("GET /examples/") for s in stack.servers)
    assert total == 6


def test_forwarded_headers_reach_the_container(stack, http):
    info = http.get(stack.url(stack.good, "/examples/servlets/requestinfo"), timeout=10)
    assert info.status_code == 200
    text = info.text
    # The client's Host (with the proxy's port) arrives, so the container's
    # server name and port are the proxy's, not its own.
    assert f"<th>Host</th><td>127.0.0.1:{stack.good}</td>" in text
    assert f"<th>Server port</th><td>{stack.good}</td>" in text
    assert "<th>X-Forwarded-For</th><td>127.0.0.1</td>" in text
    assert "<th>X-Forwarded-Proto</th><td>http</td>" in text
    # No RemoteIpValve yet: the container itself still reports the proxy
    # as the client and its own connector's scheme.
    assert "<th>Remote address</th><td>127.0.0.1</td>" in text
    assert "<th>Scheme</th><td>http</td>" in text
    # Upgrade/Connection are hop-by-hop: nginx sends its own Connection
    # (from the map: "close" when the client asked no upgrade).
    assert "<th>Connection</th><td>close</td>" in text
    assert "<th>Upgrade</th>" not in text


# -- WebSocket -----------------------------------------------------------------------


def test_websocket_echo_through_nginx(stack):
    with stack.ws(stack.good) as ws:
        ws.send("Hello through nginx")
        assert ws.recv(timeout=5) == "Hello through nginx"
        payload = bytes(range(256)) * 16
        ws.send(payload)
        assert ws.recv(timeout=5) == payload
        ws.close(1000, "done")
    # The close handshake completed: the server's close frame came back.
    assert ws.close_code == 1000
    protocol = ws.protocol
    assert protocol.close_sent is not None and protocol.close_sent.code == 1000
    assert protocol.close_rcvd is not None and protocol.close_rcvd.code == 1000
    assert protocol.close_rcvd_then_sent is False  # we started it, the server answered


def test_misconfigured_proxy_gets_426_naming_the_headers(stack):
    with pytest.raises(InvalidStatus) as caught, stack.ws(stack.plain):
        pass
    response = caught.value.response
    assert response.status_code == 426
    body = response.body.decode()
    assert "WebSocket endpoint" in body
    assert "Upgrade: websocket (absent)" in body
    assert "Connection: upgrade (got Connection: close)" in body
    assert "proxy_http_version 1.1;" in body
    assert "proxy_set_header Upgrade $http_upgrade;" in body
    assert 'proxy_set_header Connection "upgrade";' in body


def test_host_not_forwarded_refuses_browser_origin_with_403(stack):
    origin = f"http://127.0.0.1:{stack.nohost}"
    with pytest.raises(InvalidStatus) as caught, stack.ws(stack.nohost, origin=origin):
        pass
    response = caught.value.response
    assert response.status_code == 403
    body = response.body.decode()
    assert f"Origin '{origin}'" in body
    assert "Host 'catalina'" in body
    assert "proxy_set_header Host $http_host;" in body
    # The same proxy is fine for a non-browser client (no Origin).
    with stack.ws(stack.nohost, origin=None) as ws:
        ws.send("no origin")
        assert ws.recv(timeout=5) == "no origin"


# -- heartbeats vs proxy_read_timeout -----------------------------------------------


def test_server_pings_keep_idle_websocket_open_past_proxy_read_timeout(stack):
    with stack.ws(stack.good) as ws:
        ws.send("before")
        assert ws.recv(timeout=5) == "before"
        # Silent for longer than proxy_read_timeout; the server's pings
        # (every second) are answered by the client's library.
        with pytest.raises(TimeoutError):
            ws.recv(timeout=IDLE)
        ws.send("after")
        assert ws.recv(timeout=5) == "after"


def test_without_pings_nginx_closes_idle_websocket(make_stack):
    stack = make_stack(ping_interval=0)
    with stack.ws(stack.good) as ws:
        ws.send("before")
        assert ws.recv(timeout=5) == "before"
        start = time.monotonic()
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=READ_TIMEOUT + 7)
        elapsed = time.monotonic() - start
    # nginx drops the upstream and the client connection (no close frame).
    assert READ_TIMEOUT - 0.5 <= elapsed <= READ_TIMEOUT + 3, elapsed
    assert ws.protocol.close_rcvd is None
    assert _wait_until(lambda: "upstream timed out" in (stack.base / "error.log").read_text(), 5)
