"""The Redis ``<Cluster>`` with a real redis-server and two real instances.

Each test starts ``redis-server`` on a free loopback port in its tmp dir
(stopped by PID) and catalina_py instances whose ``server.xml`` has
``<Cluster className="RedisCluster" url="redis://127.0.0.1:PORT/0">``.
Skipped when redis-server (or the ``redis`` client library) is missing,
unless CI=true (then it fails).
"""

from __future__ import annotations

import contextlib
import json
import re
import time

import pytest
import requests
from websockets.sync.client import connect

from tests.redis_server import RedisServer, require_redis_server
from tests.server import REPO, CatalinaProcess

#: Seconds a test waits for one expected message or state.
WAIT = 10.0

CLUSTER_XML = """<?xml version="1.0" encoding="UTF-8"?>
<Server port="{{shutdown_port}}" shutdown="SHUTDOWN">
  <Service name="Catalina">
    <Connector port="{{port}}" address="127.0.0.1" protocol="HTTP/1.1" {{connector_attrs}}/>
    <Engine name="Catalina" defaultHost="localhost">
      <Cluster className="{class_name}" url="{url}" {attrs}/>
      <Host name="localhost" appBase="webapps" autoDeploy="false"/>
    </Engine>
  </Service>
</Server>
"""


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(require_redis_server(), tmp_path / "redis")
    server.start()
    yield server
    server.stop()


def cluster_xml(url: str, class_name: str = "RedisCluster", attrs: str = "") -> str:
    return CLUSTER_XML.format(url=url, class_name=class_name, attrs=attrs)


@pytest.fixture
def instances(make_server, redis_server):
    """Two instances of the examples webapp sharing the Redis."""
    servers = [
        make_server(webapps={"examples": REPO / "webapps" / "examples"}, server_xml=cluster_xml(redis_server.url))
        for _ in range(2)
    ]
    for server in servers:
        server.start()
    return servers


def chat(server: CatalinaProcess, name: str):
    return connect(f"ws://127.0.0.1:{server.port}/examples/websocket/chat?name={name}", open_timeout=WAIT)


def recv_until(ws, expected: str, timeout: float = WAIT) -> list[str]:
    """Messages read until *expected* (included); fails after *timeout*."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = ws.recv(timeout=max(0.01, deadline - time.monotonic()))
        seen.append(message)
        if message == expected:
            return seen
    pytest.fail(f"{expected!r} not received within {timeout} s; got {seen}")


def visit(base_url: str, cookies: dict[str, str]) -> int:
    """Load the sessions example; returns its visit counter."""
    response = requests.get(f"{base_url}/examples/servlets/sessions", cookies=cookies, timeout=WAIT)
    assert response.status_code == 200
    cookies.update(response.cookies.get_dict())
    match = re.search(r"loaded this page <b>(\d+)</b>", response.text)
    assert match, response.text[:500]
    return int(match.group(1))


def wait_until(predicate, timeout: float = WAIT) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def test_chat_across_two_instances(instances):
    one, two = instances
    with chat(one, "Ann") as ann, chat(two, "Bob") as bob:
        recv_until(ann, "* Ann has joined.")
        recv_until(bob, "* Bob has joined.")
        recv_until(ann, "* Bob has joined.")  # Bob joined on the other instance
        ann.send("hello from one")
        assert recv_until(bob, "Ann: hello from one")
        bob.send("hello from two")
        # Each message exactly once: Ann's own line came back once, then Bob's.
        assert recv_until(ann, "Bob: hello from two") == ["Ann: hello from one", "Bob: hello from two"]
    with chat(one, "Cy") as cy:
        recv_until(cy, "* Cy has joined.")
        cy.send("alone")
        assert recv_until(cy, "Cy: alone") == ["Cy: alone"]


def test_drawboard_strokes_cross_instances(instances):
    one, two = instances
    url = "ws://127.0.0.1:{}/examples/websocket/drawboard"
    with connect(url.format(one.port), open_timeout=WAIT) as alice, connect(url.format(two.port)) as bob:
        assert json.loads(alice.recv(timeout=WAIT))["type"] == "history"
        assert json.loads(bob.recv(timeout=WAIT))["type"] == "history"
        mark = {"x0": 1, "y0": 2, "x1": 3, "y1": 4, "color": "#00ff00", "width": 3}
        alice.send(json.dumps(mark))
        deadline = time.monotonic() + WAIT
        while True:
            message = json.loads(bob.recv(timeout=max(0.01, deadline - time.monotonic())))
            if message["type"] == "stroke":
                break
        assert message == dict(mark, type="stroke")


def test_session_follows_the_user_across_instances(instances):
    one, two = instances
    cookies: dict[str, str] = {}
    assert visit(one.url, cookies) == 1
    assert "JSESSIONID" in cookies
    session_id = cookies["JSESSIONID"]
    assert visit(two.url, cookies) == 2  # made on one, seen (and counted) on two
    assert visit(one.url, cookies) == 3  # two's change seen on one
    assert cookies["JSESSIONID"] == session_id
    # Invalidated on two: one starts a new session.
    requests.get(
        f"{two.url}/examples/servlets/sessions?invalidate=1", cookies=cookies, timeout=WAIT, allow_redirects=False
    )
    assert visit(one.url, cookies) == 1
    assert cookies["JSESSIONID"] != session_id


def test_session_expiry_is_kept_in_redis(instances, redis_server):
    import redis

    one, _ = instances
    cookies: dict[str, str] = {}
    visit(one.url, cookies)
    client = redis.Redis.from_url(redis_server.url)
    try:
        keys = client.keys("catalina_py:session:*")
        assert keys == [f"catalina_py:session:/examples:{cookies['JSESSIONID']}".encode()]
        ttl = client.ttl(keys[0])
        assert 0 < ttl <= 30 * 60  # the examples' session-timeout, as Redis TTL
        record = json.loads(client.get(keys[0]))
        assert record["attributes"] == {"count": 1} and record["max_inactive_interval"] == 30 * 60
    finally:
        client.close()


def test_redis_down_then_back(instances, redis_server):
    one, two = instances
    cookies: dict[str, str] = {}
    assert visit(one.url, cookies) == 1
    redis_server.stop()
    # Local traffic goes on, and nothing hangs: the session falls back to
    # the instance's own copy; the chat delivers to local clients.
    started = time.monotonic()
    assert visit(one.url, cookies) == 2
    with chat(one, "Local") as local:
        recv_until(local, "* Local has joined.")
        local.send("still here")
        recv_until(local, "Local: still here")
    assert time.monotonic() - started < WAIT
    assert wait_until(lambda: "cannot be reached" in one.output())
    redis_server.start()  # a new, empty Redis on the same port
    assert wait_until(lambda: "reachable again" in one.output() and "reachable again" in two.output(), 30)
    assert one.output().count("cannot be reached") == 1  # logged once per outage
    # Broadcast resumes across instances.
    with chat(one, "Ann") as ann, chat(two, "Bob") as bob:
        recv_until(ann, "* Ann has joined.")
        recv_until(bob, "* Bob has joined.")
        ann.send("back")
        recv_until(bob, "Ann: back")


def test_cluster_off_imports_nothing_new(make_server):
    """A normal start (no <Cluster>), a page, a session and a chat import
    neither redis nor the cluster code (Python's own import log says so)."""
    server = make_server(webapps={"examples": REPO / "webapps" / "examples"})
    server.start(env={"PYTHONPROFILEIMPORTTIME": "1"})
    cookies: dict[str, str] = {}
    assert visit(server.url, cookies) == 1
    with chat(server, "Solo") as solo:
        recv_until(solo, "* Solo has joined.")
    server.stop()
    imported = [line.rpartition("|")[2].strip() for line in server.output().splitlines() if "import time:" in line]
    assert "catalina_py.websocket.broadcast" in imported  # the log is there: the chat imported this
    assert [name for name in imported if name.split(".")[0] == "redis" or "catalina_py.cluster" in name] == []


def test_tomcat_cluster_class_is_a_clear_error(make_server):
    server = make_server(
        webapps={},
        server_xml=cluster_xml("redis://127.0.0.1:1/0", class_name="org.apache.catalina.ha.tcp.SimpleTcpCluster"),
    )
    with pytest.raises(RuntimeError) as info:
        server.start()
    text = str(info.value)
    assert "server.xml:6" in text and "SimpleTcpCluster" in text and 'className="RedisCluster"' in text


def test_a_redis_that_stops_answering_hangs_no_request(instances, redis_server):
    """redis-server frozen (SIGSTOP: connections open, no answer), the
    worst case for a client: requests and chats still complete (each Redis
    command gives up after socketTimeout, then the outage skips Redis)."""
    import signal

    one, two = instances
    cookies: dict[str, str] = {}
    assert visit(one.url, cookies) == 1
    redis_server.proc.send_signal(signal.SIGSTOP)
    try:
        for expected in (2, 3, 4):
            assert visit(one.url, cookies) == expected  # requests' own timeout is WAIT
        with chat(two, "Frozen") as frozen:
            recv_until(frozen, "* Frozen has joined.")
            frozen.send("no hang")
            recv_until(frozen, "Frozen: no hang")
        assert wait_until(lambda: "cannot be reached" in one.output())
    finally:
        redis_server.proc.send_signal(signal.SIGCONT)
    assert wait_until(lambda: "reachable again" in one.output(), 30)


def test_workers_share_sessions_and_broadcasts(make_server, redis_server):
    """One instance with two worker processes and a <Cluster>: a session
    goes on whichever worker takes each new connection, and chat clients
    on any worker hear each other."""
    server = make_server(webapps={"examples": REPO / "webapps" / "examples"}, server_xml=cluster_xml(redis_server.url))
    server.start(run_args=("--workers", "2"))
    assert "share HTTP sessions and WebSocket broadcasts through the <Cluster>" in server.output()
    cookies: dict[str, str] = {}
    for expected in range(1, 9):
        # A new connection each time (requests.get), so the kernel may pick either worker.
        assert visit(server.url, cookies) == expected
    names = [f"w{i}" for i in range(8)]
    with contextlib.ExitStack() as stack:
        clients = [stack.enter_context(chat(server, name)) for name in names]
        for client, name in zip(clients, names, strict=True):
            recv_until(client, f"* {name} has joined.")
        for client in clients[:-1]:  # the last one read its own join above
            recv_until(client, f"* {names[-1]} has joined.")
        clients[0].send("to every worker")
        for client in clients:
            recv_until(client, "w0: to every worker")
