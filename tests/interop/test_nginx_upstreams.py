"""The files of ``conf/nginx/`` with a real nginx and two real catalina_py
instances on loopback: stickiness, TLS at nginx, failover.

Every test runs a shipped file, with only its ports and certificate paths
rewritten (``tests/nginx.py``, ``shipped_config``), or the same file with
one line removed, to show what that line is for (docs/nginx.md):

* ``upstream-ip-hash.conf`` and ``upstream-hash.conf`` keep a client on one
  instance, so its HTTP session is there on every request; without the
  ``ip_hash`` line requests take turns and the session is lost;
* ``tls.conf``: https and wss to nginx, http to the instances; with a
  RemoteIpValve (or the Connector's ``scheme``/``secure``/``proxyPort``)
  the servlet sees a secure https request on the public port and an
  absolute redirect says https; without ``X-Forwarded-Proto`` it says http
  and a browser's wss handshake is refused;
* ``single.conf``: without the Upgrade/Connection lines, 426 with the
  container's explanation; without the Host line, 403 for a browser;
* failover: twenty WebSocket clients through ``upstream-hash.conf``, one
  instance killed (SIGKILL, or a graceful stop); its clients reconnect
  through nginx to the other and carry on; only the messages sent after
  the last echo on the dead socket are lost, and they are counted.

Clients are spread over the instances by connecting from different
loopback addresses (127.0.0.0/8 is all loopback on Linux), which nginx
hashes. Skipped without nginx or openssl, unless ``CI=true``.
"""

from __future__ import annotations

import contextlib
import re
import signal
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from requests.adapters import HTTPAdapter
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from tests.ci import skip_or_fail
from tests.nginx import CONF_NGINX, NginxProcess, check_config, nginx_or_skip, shipped_config
from tests.server import TEST_WEBAPPS, CatalinaProcess, free_port
from tests.tls_certs import missing_openssl, self_signed

PROXIED = TEST_WEBAPPS / "proxied"

#: server.xml of an instance behind nginx: a RemoteIpValve first on the
#: Host, reading the headers conf/nginx/tls.conf sends.
VALVE_SERVER_XML = """<?xml version="1.0" encoding="UTF-8"?>
<Server port="{shutdown_port}" shutdown="SHUTDOWN">
  <Service name="Catalina">
    <Connector port="{port}" address="127.0.0.1" protocol="HTTP/1.1" {connector_attrs}/>
    <Engine name="Catalina" defaultHost="localhost">
      <Host name="localhost" appBase="webapps" autoDeploy="false">
        <Valve className="org.apache.catalina.valves.RemoteIpValve"
               protocolHeader="X-Forwarded-Proto" portHeader="X-Forwarded-Port" />
        <Valve className="org.apache.catalina.valves.AccessLogValve" directory="logs"
               prefix="localhost_access_log" suffix=".txt" pattern="{log_pattern}"/>
      </Host>
    </Engine>
  </Service>
</Server>
"""


@pytest.fixture(autouse=True)
def _nginx_needed() -> None:
    nginx_or_skip()


class SourceAddressAdapter(HTTPAdapter):
    """Connections from a given local address (a client of its own for nginx)."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def client(address: str = "127.0.0.1", verify: str | bool = True) -> requests.Session:
    """A requests session connecting from *address*, no proxy from the environment."""
    session = requests.Session()
    session.trust_env = False
    session.verify = verify
    session.mount("http://", SourceAddressAdapter(address))
    session.mount("https://", SourceAddressAdapter(address))
    return session


@dataclass
class Deployment:
    """The instances and nginx in front, on loopback ports."""

    servers: list[CatalinaProcess]
    nginx: NginxProcess
    port: int
    http_port: int = 0

    def pid_of(self, index: int) -> int:
        proc = self.servers[index].proc
        assert proc is not None
        return proc.pid


@pytest.fixture
def deploy(make_server, tmp_path) -> Callable[..., Deployment]:
    """``deploy(conf_name, drop=(), tls=None, connector_attrs="", valve=True,
    replace=None)``: the instances the file names (one or two) with the
    ``proxied`` webapp, nginx with
    ``conf/nginx/<conf_name>`` (ports and paths rewritten, and the texts of
    *replace*; lines with any text of *drop* removed). Everything is stopped by PID afterwards."""
    proxies: list[NginxProcess] = []

    def factory(
        name: str,
        drop: tuple[str, ...] = (),
        tls: tuple[Path, Path] | None = None,
        connector_attrs: str | Callable[[int], str] = "",
        valve: bool = True,
        replace: dict[str, str] | None = None,
    ) -> Deployment:
        port, http_port = free_port(), free_port()
        attrs = connector_attrs(port) if callable(connector_attrs) else connector_attrs
        text = (CONF_NGINX / name).read_text()
        servers = [
            make_server(
                webapps={"proxied": PROXIED},
                server_xml=VALVE_SERVER_XML if valve else None,
                connector_attrs=attrs,
            )
            for _ in range(2 if "127.0.0.1:8081" in text else 1)
        ]
        for server in servers:
            server.start()
        replacements = {"127.0.0.1:8080": f"127.0.0.1:{servers[0].port}", **(replace or {})}
        if len(servers) == 2:
            replacements["127.0.0.1:8081"] = f"127.0.0.1:{servers[1].port}"
        ports = [port]
        if tls is not None:
            replacements["listen 443 ssl;"] = f"listen 127.0.0.1:{port} ssl;"
            replacements["listen 80;"] = f"listen 127.0.0.1:{http_port};"
            replacements["/etc/ssl/example.com/fullchain.pem"] = str(tls[0])
            replacements["/etc/ssl/example.com/privkey.pem"] = str(tls[1])
            ports.append(http_port)
        else:
            replacements["listen 80;"] = f"listen 127.0.0.1:{port};"
        proxy = NginxProcess(tmp_path / "nginx", shipped_config(name, replacements, drop))
        proxies.append(proxy)
        proxy.start(ports)
        return Deployment(servers, proxy, port, http_port)

    yield factory
    for proxy in proxies:
        proxy.stop()


@pytest.fixture
def certificate(tmp_path) -> tuple[Path, Path]:
    """A self-signed certificate for localhost and 127.0.0.1, and its key."""
    reason = missing_openssl()
    if reason is not None:
        skip_or_fail(reason)
    pair = self_signed(tmp_path / "certs")
    return pair.cert, pair.key


# -- every file is valid ---------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(p.name for p in CONF_NGINX.glob("*.conf")))
def test_every_shipped_config_passes_nginx_t(name, tmp_path, certificate):
    """``nginx -t`` on each file of conf/nginx/ (the tour's templates get a
    port for each placeholder; the others their listen ports on loopback
    and the test's certificate)."""
    text = (CONF_NGINX / name).read_text()
    ports: dict[str, str] = {}
    text = re.sub(r"\{(\w+)\}", lambda m: ports.setdefault(m.group(1), str(free_port())), text)
    text = re.sub(r"listen (80|443)( ssl)?;", lambda m: f"listen 127.0.0.1:{free_port()}{m.group(2) or ''};", text)
    text = text.replace("/etc/ssl/example.com/fullchain.pem", str(certificate[0]))
    text = text.replace("/etc/ssl/example.com/privkey.pem", str(certificate[1]))
    done = check_config(tmp_path / "nginx", text)
    assert done.returncode == 0, done.stderr
    assert "syntax is ok" in done.stderr and "test is successful" in done.stderr


# -- stickiness ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, addresses",
    [
        # ip_hash keys on the first three bytes: one address per /24.
        ("upstream-ip-hash.conf", [f"127.0.{n}.1" for n in range(1, 33)]),
        # hash $remote_addr: the whole address.
        ("upstream-hash.conf", [f"127.0.0.{n}" for n in range(11, 43)]),
    ],
)
def test_sticky_upstream_keeps_each_client_and_its_session_on_one_instance(deploy, name, addresses):
    site = deploy(name)
    served_by: dict[str, int] = {}
    for index, address in enumerate(addresses):
        with client(address) as http:
            first = http.get(f"http://127.0.0.1:{site.port}/proxied/who", timeout=10).json()
            assert first["new"] is True and first["count"] == 1
            # X-Forwarded-For and X-Forwarded-Port, read by the RemoteIpValve.
            assert first["remote_addr"] == address and first["server_port"] == site.port
            served_by[address] = first["pid"]
            if index >= 8:
                continue  # the others only show the spread
            for count in range(2, 22):
                again = http.get(f"http://127.0.0.1:{site.port}/proxied/who", timeout=10).json()
                assert again["pid"] == first["pid"], (address, count)
                assert again["session"] == first["session"] and again["new"] is False
                assert again["count"] == count
    # The clients are spread: each instance has some of them. (The
    # consistent hash places the instances by their address and port, which
    # change from run to run: with 32 clients, all on one instance would be
    # a chance of 2 in 2**32.)
    assert set(served_by.values()) == {site.pid_of(0), site.pid_of(1)}, served_by


def test_without_ip_hash_requests_take_turns_and_the_session_is_lost(deploy):
    site = deploy("upstream-ip-hash.conf", drop=("ip_hash;",))
    answers = []
    with client() as http:
        for _ in range(10):
            answers.append(http.get(f"http://127.0.0.1:{site.port}/proxied/who", timeout=10).json())
    # Round robin: both instances answer one client...
    assert {a["pid"] for a in answers} == {site.pid_of(0), site.pid_of(1)}
    # ... and each request reaches the instance that did not create the
    # session the cookie names: a new, empty session every time.
    for previous, answer in zip(answers, answers[1:], strict=False):
        assert answer["pid"] != previous["pid"]
        assert answer["requested_session"] == previous["session"]
        assert answer["new"] is True and answer["count"] == 1


@pytest.mark.parametrize("next_upstream", ["error timeout", "off"])
def test_a_stopped_instance_s_clients_go_to_the_other(deploy, next_upstream):
    """With ``proxy_next_upstream error timeout`` (the file's line, nginx's
    default) a request whose instance is down is passed to the other at
    once; with ``off`` its first request gets 502, and the following ones
    skip the instance marked failed (``max_fails=1``) for ``fail_timeout``."""
    replacements = {} if next_upstream != "off" else {"proxy_next_upstream error timeout;": "proxy_next_upstream off;"}
    site = deploy("upstream-hash.conf", replace=replacements)
    # A client address that the hash sends to the first instance.
    addresses = [f"127.0.0.{n}" for n in range(11, 31)]
    on_first = []
    for address in addresses:
        with client(address) as http:
            if http.get(f"http://127.0.0.1:{site.port}/proxied/who", timeout=10).json()["pid"] == site.pid_of(0):
                on_first.append(address)
    assert on_first
    site.servers[0].stop()
    with client(on_first[0]) as http:
        statuses = [http.get(f"http://127.0.0.1:{site.port}/proxied/who", timeout=10) for _ in range(3)]
    if next_upstream == "off":
        assert statuses[0].status_code == 502
        assert "502 Bad Gateway" in statuses[0].text
        statuses = statuses[1:]
    assert all(s.status_code == 200 and s.json()["pid"] == site.pid_of(1) for s in statuses)


# -- TLS at nginx ----------------------------------------------------------------------


@pytest.mark.parametrize("container_side", ["RemoteIpValve", "Connector attributes"])
def test_tls_at_nginx_the_servlet_sees_https(deploy, certificate, container_side):
    if container_side == "RemoteIpValve":
        site = deploy("tls.conf", tls=certificate)
    else:
        site = deploy(
            "tls.conf",
            tls=certificate,
            valve=False,
            connector_attrs=lambda port: f'scheme="https" secure="true" proxyPort="{port}"',
        )
    base = f"https://127.0.0.1:{site.port}/proxied"
    with client(verify=str(certificate[0])) as https:
        who = https.get(f"{base}/who", timeout=10).json()
        assert who["scheme"] == "https" and who["secure"] is True
        assert who["server_port"] == site.port
        go = https.get(f"{base}/go", allow_redirects=False, timeout=10)
        assert go.status_code == 302
        assert go.headers["Location"] == f"{base}/who"
        followed = https.get(f"{base}/go", timeout=10)
        assert followed.status_code == 200 and followed.json()["secure"] is True
    # The plain http server of the file sends browsers to https.
    with client() as http:
        moved = http.get(f"http://127.0.0.1:{site.http_port}/proxied/who", allow_redirects=False, timeout=10)
        assert moved.status_code == 301
        assert moved.headers["Location"] == "https://127.0.0.1/proxied/who"
    # wss through nginx, with a browser's Origin: the same-origin check
    # passes because the container sees https.
    context = ssl.create_default_context(cafile=str(certificate[0]))
    with connect(
        f"wss://127.0.0.1:{site.port}/proxied/ws", ssl=context, origin=f"https://127.0.0.1:{site.port}",
        proxy=None, ping_interval=None, open_timeout=10, close_timeout=5,
    ) as ws:  # fmt: skip
        assert ws.recv(timeout=5).startswith("pid ")
        ws.send("secure?")
        assert ws.recv(timeout=5) == "secure=True"
        ws.send("over wss")
        assert ws.recv(timeout=5) == "over wss"


def test_tls_at_nginx_without_forwarded_proto_the_container_believes_http(deploy, certificate):
    site = deploy("tls.conf", tls=certificate, drop=("proxy_set_header X-Forwarded-Proto $scheme;",))
    base = f"https://127.0.0.1:{site.port}/proxied"
    with client(verify=str(certificate[0])) as https:
        who = https.get(f"{base}/who", timeout=10).json()
        assert who["scheme"] == "http" and who["secure"] is False
        go = https.get(f"{base}/go", allow_redirects=False, timeout=10)
        # The absolute redirect sends the user to http:// on the TLS port...
        assert go.headers["Location"] == f"http://127.0.0.1:{site.port}/proxied/who"
    with client() as http:
        followed = http.get(go.headers["Location"], timeout=10)
    # ... where nginx refuses plain HTTP.
    assert followed.status_code == 400
    assert "The plain HTTP request was sent to HTTPS port" in followed.text
    # A browser's wss handshake: Origin https://..., the container expects http://...
    context = ssl.create_default_context(cafile=str(certificate[0]))
    with pytest.raises(InvalidStatus) as caught:
        connect(
            f"wss://127.0.0.1:{site.port}/proxied/ws", ssl=context, origin=f"https://127.0.0.1:{site.port}",
            proxy=None, ping_interval=None, open_timeout=10,
        ).close()  # fmt: skip
    assert caught.value.response.status_code == 403
    assert "scheme http" in caught.value.response.body.decode()


def test_tls_at_nginx_without_forwarded_port_the_valve_assumes_443(deploy, certificate):
    site = deploy("tls.conf", tls=certificate, drop=("proxy_set_header X-Forwarded-Port",))
    base = f"https://127.0.0.1:{site.port}/proxied"
    with client(verify=str(certificate[0])) as https:
        who = https.get(f"{base}/who", timeout=10).json()
        assert who["scheme"] == "https" and who["secure"] is True
        # Right when nginx listens on 443; here it listens elsewhere.
        assert who["server_port"] == 443
        go = https.get(f"{base}/go", allow_redirects=False, timeout=10)
        assert go.headers["Location"] == "https://127.0.0.1/proxied/who"


# -- single.conf: what each WebSocket line is for ---------------------------------------


def test_single_instance_file_proxies_websockets(deploy):
    site = deploy("single.conf")
    with connect(
        f"ws://127.0.0.1:{site.port}/proxied/ws", origin=f"http://127.0.0.1:{site.port}", proxy=None,
        ping_interval=None, open_timeout=10, close_timeout=5,
    ) as ws:  # fmt: skip
        assert ws.recv(timeout=5) == f"pid {site.pid_of(0)}"
        ws.send("through single.conf")
        assert ws.recv(timeout=5) == "through single.conf"


def test_single_instance_file_without_upgrade_lines_gives_426(deploy):
    site = deploy("single.conf", drop=("proxy_set_header Upgrade", "proxy_set_header Connection"))
    with pytest.raises(InvalidStatus) as caught:
        connect(f"ws://127.0.0.1:{site.port}/proxied/ws", proxy=None, open_timeout=10).close()
    response = caught.value.response
    assert response.status_code == 426
    body = response.body.decode()
    assert "Upgrade: websocket (absent)" in body
    assert "Connection: upgrade (got Connection: close)" in body


def test_single_instance_file_without_host_line_refuses_browsers(deploy):
    site = deploy("single.conf", drop=("proxy_set_header Host",))
    origin = f"http://127.0.0.1:{site.port}"
    with pytest.raises(InvalidStatus) as caught:
        connect(f"ws://127.0.0.1:{site.port}/proxied/ws", origin=origin, proxy=None, open_timeout=10).close()
    assert caught.value.response.status_code == 403
    # nginx sent the proxy_pass address as Host.
    assert f"Host '127.0.0.1:{site.servers[0].port}'" in caught.value.response.body.decode()


def test_streamed_answer_passes_nginx_buffering_as_it_is_flushed(deploy):
    """proxy_buffering is on (nginx's default) in every file: nginx still
    passes each flushed chunk on at once; what it buffers is what a slow
    client has not taken yet (docs/nginx.md)."""
    site = deploy("single.conf")
    with socket.create_connection(("127.0.0.1", site.port), timeout=5) as sock:
        sock.sendall(f"GET /proxied/stream HTTP/1.1\r\nHost: 127.0.0.1:{site.port}\r\n\r\n".encode())
        received = _read_until(sock, b"first\n")
        # "first" came through while the servlet is still waiting.
        assert b"last" not in received
        with client() as http:
            assert http.get(f"http://127.0.0.1:{site.port}/proxied/release", timeout=10).text == "released\n"
        received += _read_until(sock, b"last\n")
    assert received.startswith(b"HTTP/1.1 200 ") and b"Transfer-Encoding: chunked" in received


def _read_until(sock: socket.socket, marker: bytes, limit: int = 100) -> bytes:
    """Read from *sock* until *marker* has come (at most *limit* reads, each
    bounded by the socket's timeout)."""
    data = b""
    for _ in range(limit):
        if marker in data:
            return data
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    assert marker in data, data
    return data


# -- failover --------------------------------------------------------------------------

#: WebSocket clients in the failover test, each from a loopback address of its own.
CLIENTS = 20
#: Seconds between two messages of one client.
INTERVAL = 0.05
#: Upper bound of the whole failover exchange, seconds.
BUDGET = 60.0


@dataclass
class Socket:
    """One WebSocket connection of a client: its instance, what was sent and
    echoed on it, how it ended."""

    pid: int
    sent: list[int] = field(default_factory=list)
    echoed: list[int] = field(default_factory=list)
    #: Close code received when the server side ended it; None: no close frame.
    close_code: int | None = None
    ended_by_server: bool = False


@dataclass
class Client:
    """A client that sends numbered messages at a steady rate and reconnects
    through nginx when its socket ends."""

    address: str
    port: int
    stop: threading.Event
    deadline: float
    sockets: list[Socket] = field(default_factory=list)
    connect_failures: int = 0
    error: str | None = None

    def echoed(self) -> int:
        return sum(len(s.echoed) for s in self.sockets)

    def run(self) -> None:
        try:
            self._run()
        except Exception as error:  # noqa: BLE001 -- reported by the test
            self.error = f"{type(error).__name__}: {error}"

    def _connect(self, stack: contextlib.ExitStack) -> tuple[ClientConnection, Socket]:
        for _ in range(50):
            if time.monotonic() > self.deadline:
                break
            try:
                ws = stack.enter_context(connect(
                    f"ws://127.0.0.1:{self.port}/proxied/ws", source_address=(self.address, 0), proxy=None,
                    ping_interval=None, open_timeout=5, close_timeout=5,
                ))  # fmt: skip
                hello = ws.recv(timeout=5)
                return ws, Socket(int(hello.split()[1]))
            except (OSError, InvalidStatus, ConnectionClosed, TimeoutError):
                self.connect_failures += 1
                time.sleep(0.1)
        raise RuntimeError(f"{self.address}: no connection through nginx after {self.connect_failures} tries")

    def _run(self) -> None:
        seq = 0
        for _ in range(5):  # at most five connections
            with contextlib.ExitStack() as stack:
                ws, sock = self._connect(stack)
                self.sockets.append(sock)
                try:
                    while not self.stop.is_set() and time.monotonic() < self.deadline:
                        seq += 1
                        sock.sent.append(seq)
                        ws.send(f"{self.address} {seq}")
                        self._receive(ws, sock, time.monotonic() + INTERVAL)
                    # Stopping: the echoes still due, then a normal close.
                    self._receive(ws, sock, time.monotonic() + 5, until_all=True)
                    ws.close(1000, "done")
                    return
                except ConnectionClosed as closed:
                    sock.ended_by_server = True
                    sock.close_code = closed.rcvd.code if closed.rcvd is not None else None
        raise RuntimeError(f"{self.address}: more than five connections")

    @staticmethod
    def _receive(ws: ClientConnection, sock: Socket, until: float, until_all: bool = False) -> None:
        while not until_all or len(sock.echoed) < len(sock.sent):
            left = until - time.monotonic()
            if left <= 0:
                return
            try:
                message = ws.recv(timeout=left)
            except TimeoutError:
                return
            sock.echoed.append(int(message.split()[1]))


def _wait(predicate: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


@pytest.mark.parametrize("how", ["SIGKILL", "graceful stop"])
def test_failover_clients_reconnect_through_nginx_and_lose_only_unacknowledged_messages(deploy, how):
    site = deploy("upstream-hash.conf")
    stop = threading.Event()
    deadline = time.monotonic() + BUDGET
    clients = [Client(f"127.0.0.{10 + n}", site.port, stop, deadline) for n in range(CLIENTS)]
    threads = [threading.Thread(target=c.run, name=f"ws-{c.address}", daemon=True) for c in clients]
    for thread in threads:
        thread.start()
    try:
        assert _wait(lambda: all(c.echoed() >= 10 or c.error for c in clients), 30), [c.error for c in clients]
        assert not [c.error for c in clients if c.error]
        victim, survivor = site.pid_of(0), site.pid_of(1)
        on_victim = [c for c in clients if c.sockets[0].pid == victim]
        on_survivor = [c for c in clients if c.sockets[0].pid == survivor]
        # The hash spread the clients over both instances.
        assert on_victim and on_survivor and len(on_victim) + len(on_survivor) == CLIENTS

        server = site.servers[0]
        assert server.proc is not None
        if how == "SIGKILL":
            server.proc.send_signal(signal.SIGKILL)
        else:
            server.proc.send_signal(signal.SIGTERM)  # the graceful stop: WebSockets get 1001
        assert server.wait(20) is not None
        echoed_at_kill = {c.address: c.echoed() for c in clients}

        # The victim's clients reconnect through nginx and carry on there.
        def moved_on() -> bool:
            return all(c.error or (len(c.sockets) >= 2 and len(c.sockets[-1].echoed) >= 10) for c in on_victim) and all(
                c.error or c.echoed() >= echoed_at_kill[c.address] + 10 for c in on_survivor
            )

        assert _wait(moved_on, 30), [(c.address, len(c.sockets), c.error) for c in on_victim]
    finally:
        stop.set()
        for thread in threads:
            thread.join(15)
    assert not [t.name for t in threads if t.is_alive()]
    assert not [c.error for c in clients if c.error]

    lost_total = 0
    for c in clients:
        for sock in c.sockets:
            # Echoes come back in order, each message once: what was echoed
            # is exactly the first messages sent on that socket.
            assert sock.echoed == sock.sent[: len(sock.echoed)], c.address
        last = c.sockets[-1]
        # Every client finishes on the surviving instance, everything echoed
        # there, closed normally by the client.
        assert last.pid == survivor and not last.ended_by_server
        assert last.echoed == last.sent
        if c in on_survivor:
            assert len(c.sockets) == 1, c.address  # never disturbed
        else:
            dead, *_ = c.sockets
            assert len(c.sockets) == 2 and dead.pid == victim and dead.ended_by_server
            # SIGKILL: the connection just ends (nginx closes the client's
            # side, no close frame); graceful: the server's 1001 Going Away.
            assert dead.close_code == (None if how == "SIGKILL" else 1001)
            # Lost: only what was sent after the last echo on the dead
            # socket, the messages in flight when it ended.
            lost = dead.sent[len(dead.echoed) :]
            lost_total += len(lost)
            # Numbering goes on across the reconnect: nothing resent, nothing skipped.
            assert c.sockets[1].sent[0] == dead.sent[-1] + 1
    sent_total = sum(len(s.sent) for c in clients for s in c.sockets)
    echoed_total = sum(len(s.echoed) for c in clients for s in c.sockets)
    assert sent_total == echoed_total + lost_total
    print(
        f"\n{how}: {CLIENTS} clients ({len(on_victim)} on the stopped instance), {sent_total} messages sent, "
        f"{echoed_total} echoed, {lost_total} lost in flight, "
        f"{sum(c.connect_failures for c in clients)} failed reconnect attempts"
    )
    # nginx noticed the dead instance (SIGKILL): a refused connection, or,
    # when the reset of the proxied WebSockets came first and max_fails=1
    # had already marked the instance down (then no connection is tried),
    # that reset.
    if how == "SIGKILL":
        log = site.nginx.error_log()
        assert any(
            sign in log
            for sign in (
                "connect() failed (111: Connection refused)",
                "(104: Connection reset by peer)",
                "upstream prematurely closed",
            )
        ), log[-2000:]
