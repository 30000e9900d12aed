"""Two catalina_py instances with a Redis ``<Cluster>`` behind a real nginx.

A real ``redis-server`` and a real nginx (round-robin ``upstream``,
``proxy_http_version 1.1``, the Upgrade/Connection headers) on loopback
ports, written and started by the test in its tmp dir and stopped by PID;
two instances of the examples webapp, each with
``<Cluster className="RedisCluster" url="redis://127.0.0.1:PORT/0">``.

* The chat at scale: :data:`CLIENTS` WebSocket clients through nginx (so
  split over both instances: checked in nginx's log of upstream
  addresses) send :data:`MESSAGES` chat messages between them; every
  client must receive every message exactly once (counted). The fan-out
  latency (from a client's send to each client's receipt) is printed with
  its p50/p99: a figure for docs/deployment.md, not an assertion.
* A session made through nginx on one instance is seen on the other: the
  sessions example's counter goes on across round-robin requests.

Skipped when nginx or redis-server is missing, unless CI=true (then it fails).
"""

from __future__ import annotations

import array
import base64
import os
import re
import selectors
import socket
import time
from pathlib import Path

import pytest
import requests

from tests.nginx import NginxProcess, nginx_or_skip
from tests.redis_server import RedisServer, require_redis_server
from tests.server import REPO, free_port

#: Chat clients, and chat messages sent between them in all.
CLIENTS = 200
MESSAGES = 10_000
#: Messages sent but not yet received by every client, at most (keeps each
#: session's queue far below its bound, so nothing is dropped).
WINDOW = 50
#: The whole exchange must end within this many seconds.
DEADLINE = 240.0

CLUSTER_XML = """<?xml version="1.0" encoding="UTF-8"?>
<Server port="{shutdown_port}" shutdown="SHUTDOWN">
  <Service name="Catalina">
    <Connector port="{port}" address="127.0.0.1" protocol="HTTP/1.1" {connector_attrs}/>
    <Engine name="Catalina" defaultHost="localhost">
      <Cluster className="RedisCluster" url="REDIS_URL"/>
      <Host name="localhost" appBase="webapps" autoDeploy="false"/>
    </Engine>
  </Service>
</Server>
"""

#: The inside of nginx's ``http`` block (tests/nginx.py writes the rest):
#: round robin over the two instances, and a log of which one served each
#: request (the split of the clients).
HTTP_BODY = """\
    log_format upstream '$upstream_addr $status $request_uri';
    access_log {base}/upstream.log upstream;

    map $http_upgrade $connection_upgrade {{
        default upgrade;
        ''      close;
    }}

    upstream catalina {{
        server 127.0.0.1:{p1};
        server 127.0.0.1:{p2};
    }}

    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://catalina;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $http_host;
            proxy_read_timeout 300s;
        }}
    }}
"""


@pytest.fixture
def cluster(make_server, tmp_path):
    """(nginx port, [instances], nginx's folder): Redis, two clustered instances, nginx."""
    nginx_or_skip()
    redis_server = RedisServer(require_redis_server(), tmp_path / "redis").start()
    site = None
    try:
        xml = CLUSTER_XML.replace("REDIS_URL", redis_server.url)
        servers = [make_server(webapps={"examples": REPO / "webapps" / "examples"}, server_xml=xml) for _ in range(2)]
        for server in servers:
            server.start()
        base = tmp_path / "nginx"
        port = free_port()
        body = HTTP_BODY.format(base=base, p1=servers[0].port, p2=servers[1].port, port=port)
        # 200 WebSockets through one worker: 400 connections, client and upstream.
        site = NginxProcess(base, body, worker_connections=2048).start([port])
        yield port, servers, base
    finally:
        if site is not None:
            site.stop()
        redis_server.stop()


# -- a small, fast WebSocket client: raw sockets and one selector -----------------


def _mask(payload: bytes) -> bytes:
    key = os.urandom(4)
    n = len(payload)
    repeated = (key * (n // 4 + 1))[:n]
    masked = (int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")).to_bytes(n, "big")
    return key + masked


def client_frame(opcode: int, payload: bytes) -> bytes:
    """A masked frame with FIN (client to server)."""
    n = len(payload)
    if n < 126:
        head = bytes([0x80 | opcode, 0x80 | n])
    elif n < 65536:
        head = bytes([0x80 | opcode, 0x80 | 126]) + n.to_bytes(2, "big")
    else:
        head = bytes([0x80 | opcode, 0x80 | 127]) + n.to_bytes(8, "big")
    return head + _mask(payload)


class Client:
    """One chat participant on a non-blocking socket."""

    def __init__(self, index: int, port: int) -> None:
        self.index = index
        self.name = f"c{index}"
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            (
                f"GET /examples/websocket/chat?name={self.name} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                "Sec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError(f"{self.name}: closed during the handshake: {head!r}")
            head += chunk
        status, _, rest = head.partition(b"\r\n\r\n")
        assert status.startswith(b"HTTP/1.1 101"), status
        self.buffer = bytearray(rest)
        self.sock.setblocking(False)
        self.out = bytearray()
        self.received = 0  # chat messages (not joins)
        self.joined: set[str] = set()

    def frames(self) -> list[tuple[int, bytes]]:
        """The whole frames in the buffer, taken out of it."""
        buf = self.buffer
        pos, size, found = 0, len(buf), []
        while size - pos >= 2:
            length = buf[pos + 1] & 0x7F
            head = 2
            if length == 126:
                if size - pos < 4:
                    break
                length = int.from_bytes(buf[pos + 2 : pos + 4], "big")
                head = 4
            elif length == 127:
                if size - pos < 10:
                    break
                length = int.from_bytes(buf[pos + 2 : pos + 10], "big")
                head = 10
            end = pos + head + length
            if end > size:
                break
            found.append((buf[pos] & 0x0F, bytes(buf[pos + head : end])))
            pos = end
        del buf[:pos]
        return found


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process *pid* so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.mark.slow
def test_chat_200_clients_10000_messages_across_two_instances(cluster, capsys):
    port, servers, nginx_base = cluster
    clients = [Client(i, port) for i in range(CLIENTS)]
    selector = selectors.DefaultSelector()
    for client in clients:
        selector.register(client.sock, selectors.EVENT_READ, client)
    sent_at = array.array("d", [0.0]) * MESSAGES
    counts = array.array("i", [0]) * MESSAGES
    latencies = array.array("d")
    last_join = f"* c{CLIENTS - 1} has joined."
    message_line = re.compile(r"c(\d+): m(\d+)\Z")
    done = 0
    sent = 0
    deadline = time.monotonic() + DEADLINE

    def pump(timeout: float) -> None:
        nonlocal done
        for key, events in selector.select(timeout):
            client: Client = key.data
            if events & selectors.EVENT_WRITE and client.out:
                written = client.sock.send(client.out)
                del client.out[:written]
                if not client.out:
                    selector.modify(client.sock, selectors.EVENT_READ, client)
            if not events & selectors.EVENT_READ:
                continue
            try:
                chunk = client.sock.recv(262144)
            except BlockingIOError:
                continue
            assert chunk, f"{client.name}: the server closed the connection"
            client.buffer += chunk
            now = time.monotonic()
            for opcode, payload in client.frames():
                if opcode == 9:  # ping
                    send(client, client_frame(10, payload))
                    continue
                assert opcode == 1, (client.name, opcode, payload[:100])
                text = payload.decode()
                match = message_line.match(text)
                if match is None:
                    if text.endswith("has joined."):
                        client.joined.add(text)
                    continue
                number = int(match.group(2))
                assert int(match.group(1)) == number % CLIENTS, text
                client.received += 1
                latencies.append(now - sent_at[number])
                counts[number] += 1
                if counts[number] == CLIENTS:
                    done += 1

    def send(client: Client, data: bytes) -> None:
        if not client.out:
            try:
                written = client.sock.send(data)
            except BlockingIOError:
                written = 0
            data = data[written:]
            if not data:
                return
            selector.modify(client.sock, selectors.EVENT_READ | selectors.EVENT_WRITE, client)
        client.out += data

    try:
        # Everyone is in the room (on either instance) before the first message.
        while not all(last_join in c.joined for c in clients):
            assert time.monotonic() < deadline, "the joins did not reach every client"
            pump(0.5)
        started = time.monotonic()
        cpu_before = [_cpu_seconds(s.proc.pid) for s in servers], time.process_time()
        while done < MESSAGES:
            assert time.monotonic() < deadline, f"{done} of {MESSAGES} messages reached everyone in time"
            while sent < MESSAGES and sent - done < WINDOW:
                sent_at[sent] = time.monotonic()
                send(clients[sent % CLIENTS], client_frame(1, f"m{sent}".encode()))
                sent += 1
            pump(0.5)
        elapsed = time.monotonic() - started
        cpu = [_cpu_seconds(s.proc.pid) - b for s, b in zip(servers, cpu_before[0], strict=True)]
        cpu_client = time.process_time() - cpu_before[1]
    finally:
        for client in clients:
            try:
                client.sock.setblocking(True)
                client.sock.settimeout(1)
                client.sock.sendall(client_frame(8, (1000).to_bytes(2, "big")))
            except OSError:
                pass
            client.sock.close()
        selector.close()

    # Every client got every message, exactly once.
    assert [c.received for c in clients] == [MESSAGES] * CLIENTS
    assert set(counts) == {CLIENTS}
    assert len(latencies) == CLIENTS * MESSAGES
    ordered = sorted(latencies)
    p50, p99 = ordered[len(ordered) // 2], ordered[int(len(ordered) * 0.99)]

    # The clients were split over both instances (nginx logs each upgrade's upstream).
    expected = {f"127.0.0.1:{s.port}" for s in servers}
    deadline = time.monotonic() + 10
    upstreams: dict[str, int] = {}
    while time.monotonic() < deadline:
        log = (nginx_base / "upstream.log").read_text() if (nginx_base / "upstream.log").exists() else ""
        upstreams = {}
        for line in log.splitlines():
            address, status, uri = line.split(" ", 2)
            if status == "101" and uri.startswith("/examples/websocket/chat"):
                upstreams[address] = upstreams.get(address, 0) + 1
        if sum(upstreams.values()) == CLIENTS:
            break
        time.sleep(0.1)
    assert set(upstreams) == expected and sum(upstreams.values()) == CLIENTS, upstreams
    with capsys.disabled():
        print(
            f"\ncluster chat: {CLIENTS} clients ({', '.join(f'{n} on {a}' for a, n in sorted(upstreams.items()))}), "
            f"{MESSAGES} messages, {CLIENTS * MESSAGES} deliveries in {elapsed:.1f} s "
            f"({CLIENTS * MESSAGES / elapsed:,.0f} deliveries/s); fan-out latency p50 {p50 * 1000:.1f} ms, "
            f"p99 {p99 * 1000:.1f} ms, max {ordered[-1] * 1000:.1f} ms; CPU seconds: instances "
            f"{cpu[0]:.1f} and {cpu[1]:.1f}, this test's clients {cpu_client:.1f}"
        )


def test_session_follows_the_user_through_nginx(cluster):
    port, servers, nginx_base = cluster
    cookies: dict[str, str] = {}
    counts = []
    for _ in range(6):
        response = requests.get(f"http://127.0.0.1:{port}/examples/servlets/sessions", cookies=cookies, timeout=10)
        assert response.status_code == 200
        cookies.update(response.cookies.get_dict())
        counts.append(int(re.search(r"loaded this page <b>(\d+)</b>", response.text).group(1)))
    assert counts == [1, 2, 3, 4, 5, 6]  # one session, whichever instance answered
    upstreams = [line.split(" ")[0] for line in (nginx_base / "upstream.log").read_text().splitlines()]
    assert set(upstreams[-6:]) == {f"127.0.0.1:{s.port}" for s in servers}  # round robin: both answered
