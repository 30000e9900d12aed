"""The WebSocket examples of the examples webapp (echo, chat, drawboard),
driven end to end by an independent client (the ``websockets`` library)
against a real server, plus the pages that use them.

The examples keep state (chat nicknames, the drawboard's history) for as
long as the webapp is deployed, so this module starts a server of its
own rather than sharing the session-wide one with other tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import importlib.util
import json
import re
import socket
import time

import pytest
import requests
from websockets.asyncio.client import connect as connect_async
from websockets.exceptions import ConnectionClosed, InvalidHandshake
from websockets.sync.client import connect

from tests.server import REPO, CatalinaProcess

CLASSES = REPO / "webapps" / "examples" / "WEB-INF" / "classes" / "websocket"

#: Upper bound of any single wait for a message, in seconds.
WAIT = 5.0
#: How long to listen to be reasonably sure nothing more is coming.
QUIET = 0.5


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    """ROOT and examples on a server used by this module only."""
    process = CatalinaProcess(
        tmp_path_factory.mktemp("ws_examples"),
        webapps={"ROOT": REPO / "webapps" / "ROOT", "examples": REPO / "webapps" / "examples"},
    )
    process.start()
    yield process
    process.stop()


@pytest.fixture(autouse=True)
def no_server_errors(server):
    """Fails a test during which the server logged a traceback (an
    example endpoint raising, or a callback failing in the event loop)."""
    start = len(server.output())
    yield
    time.sleep(0.1)  # let the last closes be handled
    logged = server.output()[start:]
    assert "Traceback" not in logged, logged


def ws_url(server: CatalinaProcess, path: str) -> str:
    return f"ws://127.0.0.1:{server.port}/examples/websocket/{path}"


def open_ws(server: CatalinaProcess, path: str, **kwargs):
    """A client connection to an example endpoint. Same origin as the
    server (a browser on the example pages sends exactly that), no proxy
    from the environment, short timeouts."""
    kwargs.setdefault("origin", server.url)
    return connect(ws_url(server, path), proxy=None, open_timeout=WAIT, close_timeout=2, compression=None, **kwargs)


def recv_json(ws, timeout: float = WAIT) -> dict:
    return json.loads(ws.recv(timeout=timeout))


def assert_silent(ws, timeout: float = QUIET) -> None:
    """Nothing arrives on ``ws`` within ``timeout``."""
    with pytest.raises(TimeoutError):
        message = ws.recv(timeout=timeout)
        pytest.fail(f"unexpected message {message!r}")


def load_example(name: str):
    """An example module imported from its file, outside any webapp, for
    testing its logic without a connection."""
    spec = importlib.util.spec_from_file_location(f"ws_example_{name}", CLASSES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- the pages ---------------------------------------------------------------


@pytest.mark.parametrize("page", ["echo.html", "chat.html", "drawboard.html", "upload.html", "calculator.html"])
def test_pages_are_served_and_open_a_websocket(server, page):
    response = requests.get(f"{server.url}/examples/websocket/{page}", timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    text = response.text
    assert "new WebSocket(" in text
    # The address is built from the page's own location, not hard-coded.
    assert 'location.protocol === "https:" ? "wss:" : "ws:"' in text
    assert "location.host" in text and "ws://127.0.0.1" not in text
    for handler in ("onmessage", "onclose"):
        assert f"ws.{handler} =" in text


def test_echo_page_sends_a_blob(server):
    text = requests.get(f"{server.url}/examples/websocket/echo.html", timeout=10).text
    assert "new Blob(" in text and "ws.send(blob)" in text
    assert "ws.onopen =" in text and "arrayBuffer()" in text


def test_index_pages_link_the_examples(server):
    index = requests.get(f"{server.url}/examples/websocket/", timeout=10)
    assert index.status_code == 200
    for page in ("echo.html", "chat.html", "drawboard.html", "upload.html", "calculator.html"):
        assert f'href="{page}"' in index.text
    examples = requests.get(f"{server.url}/examples/", timeout=10).text
    assert 'href="websocket/"' in examples
    root = requests.get(f"{server.url}/", timeout=10).text
    assert 'href="/examples/websocket/' in root


# -- echo ----------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ["echo", "echoAsync"])
def test_echo_round_trips_text_and_binary(server, endpoint):
    with open_ws(server, endpoint) as ws:
        ws.send("Hello, WebSocket!")
        assert ws.recv(timeout=WAIT) == "Hello, WebSocket!"
        ws.send("héllo ✓ 🌍")
        reply = ws.recv(timeout=WAIT)
        assert isinstance(reply, str) and reply == "héllo ✓ 🌍"
        payload = bytes(range(256)) * 3
        ws.send(payload)
        reply = ws.recv(timeout=WAIT)
        assert isinstance(reply, bytes) and reply == payload
        ws.send(b"")
        assert ws.recv(timeout=WAIT) == b""
        large = "x" * 60_000
        ws.send(large)
        assert ws.recv(timeout=WAIT) == large
        # Messages come back in order, each as its own message.
        for i in range(20):
            ws.send(f"m{i}")
        assert [ws.recv(timeout=WAIT) for _ in range(20)] == [f"m{i}" for i in range(20)]


def test_echo_async_refuses_a_message_over_its_limit(server):
    # echoAsync takes whole messages: its buffer size is a message limit.
    limit = load_example("echo").MAX_MESSAGE_SIZE
    with open_ws(server, "echoAsync") as ws:
        ws.send(b"\0" * (limit + 1))
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=WAIT)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009


async def _echo_fragments(uri: str, origin: str, message: str | bytes) -> tuple[list[str | bytes], str]:
    """Send *message* and collect its echo frame by frame, then one more
    round trip. The asyncio client reads while it sends (the sync client
    holds its lock while writing, and an echo of parts must be read while
    the message is still going out, or both sides' buffers fill up)."""
    async with connect_async(
        uri, origin=origin, proxy=None, max_size=None, max_queue=None, compression=None, open_timeout=WAIT
    ) as ws:
        sender = asyncio.ensure_future(ws.send(message))
        got: list[str | bytes] = []
        async for fragment in ws.recv_streaming():
            got.append(fragment)
        await sender
        await ws.send("after")
        after = await asyncio.wait_for(ws.recv(), WAIT)
    return got, after


@pytest.mark.parametrize("kind", ["text", "binary"])
def test_echo_takes_a_16_mib_message_in_parts(server, kind):
    # Far over the part size: echoed in parts, each at most PART_SIZE bytes
    # (the reply's frames are the parts), the whole message unchanged.
    part_size = load_example("echo").PART_SIZE
    size = 16 << 20
    if kind == "text":
        message: str | bytes = ("héllo ✓ 🌍 " * (size // 16))[: size // 2]
    else:
        message = bytes(range(256)) * (size // 256)
    got, after = asyncio.run(asyncio.wait_for(_echo_fragments(ws_url(server, "echo"), server.url, message), 120))
    assert type(got[0]) is type(message)
    joined = "".join(got) if kind == "text" else b"".join(got)
    assert len(joined) == len(message) and joined == message
    assert len(got) > 1
    assert max(len(p.encode() if isinstance(p, str) else p) for p in got) <= part_size
    # The session is still open and in step.
    assert after == "after"


def test_upload_hashes_a_large_message_in_parts(server):
    module = load_example("upload")
    data = bytes((i * 31 + (i >> 8)) & 0xFF for i in range(1 << 16)) * 80  # 5 MiB
    with open_ws(server, "upload", max_size=None) as ws:
        ws.send("data.bin")
        ws.send(data)  # nothing comes back until the last part: no need to read while sending
        summary = recv_json(ws, timeout=WAIT * 4)
        assert summary["name"] == "data.bin"
        assert summary["bytes"] == len(data)
        assert summary["sha256"] == hashlib.sha256(data).hexdigest()
        assert summary["parts"] > 1 and summary["largest_part"] <= module.PART_SIZE
        # A second upload on the same session, without a name.
        ws.send(b"abc")
        second = recv_json(ws)
        assert second["name"] is None and second["bytes"] == 3
        assert second["sha256"] == hashlib.sha256(b"abc").hexdigest()


def test_calculator_decodes_and_encodes_typed_messages(server):
    with open_ws(server, "calculator") as ws:
        ws.send(json.dumps({"op": "*", "a": 6, "b": 7}))
        assert recv_json(ws) == {"kind": "result", "op": "*", "a": 6.0, "b": 7.0, "value": 42.0}
        ws.send(json.dumps({"op": "/", "a": 1, "b": 0}))
        assert recv_json(ws) == {"kind": "problem", "message": "division by zero"}
        # Refused by the decoder: on_error answers, the session stays open.
        for bad in ('{"op": "%", "a": 1, "b": 2}', '{"op": "+", "a": "1", "b": 2}', "{not json"):
            ws.send(bad)
            reply = recv_json(ws)
            assert reply["kind"] == "problem", reply
        # will_decode refuses what is not a JSON object at all: no decoder
        # takes it, which is also reported, and the session stays open.
        ws.send("[1, 2]")
        assert recv_json(ws)["kind"] == "problem"
        ws.send(json.dumps({"op": "-", "a": 1.5, "b": 2}))
        assert recv_json(ws)["value"] == -0.5


def test_calculator_decoder_and_encoder_without_a_connection():
    module = load_example("calculator")
    decoder = module.CalculationDecoder()
    assert decoder.will_decode(' {"op": "+"}') and not decoder.will_decode("[1]")
    assert decoder.decode('{"op": "+", "a": 1, "b": 2}') == module.Calculation("+", 1.0, 2.0)
    with pytest.raises(module.DecodeError):
        decoder.decode('{"op": "+", "a": true, "b": 2}')
    assert json.loads(module.ReplyEncoder().encode(module.Problem("problem", "x"))) == {
        "kind": "problem",
        "message": "x",
    }


def test_echo_rejects_a_foreign_origin(server):
    # The examples rely on the container's same-origin default.
    with pytest.raises(InvalidHandshake), open_ws(server, "echo", origin="http://evil.example"):
        pass


# -- chat ----------------------------------------------------------------------


def test_chat_between_three_clients(server):
    with contextlib.ExitStack() as stack:
        ann = stack.enter_context(open_ws(server, "chat?name=Ann"))
        assert ann.recv(timeout=WAIT) == "* Ann has joined."
        with open_ws(server, "chat?name=Bob") as bob:
            assert bob.recv(timeout=WAIT) == "* Bob has joined."
            assert ann.recv(timeout=WAIT) == "* Bob has joined."
            with open_ws(server, "chat") as guest:
                joined = guest.recv(timeout=WAIT)
                match = re.fullmatch(r"\* (Guest\d+) has joined\.", joined)
                assert match, joined
                nick = match.group(1)
                assert ann.recv(timeout=WAIT) == joined
                assert bob.recv(timeout=WAIT) == joined

                ann.send("hello everyone")
                for client in (ann, bob, guest):
                    assert client.recv(timeout=WAIT) == "Ann: hello everyone"

                guest.send('<b>bold</b> & "quoted"')
                expected = f"{nick}: &lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot;"
                for client in (ann, bob, guest):
                    assert client.recv(timeout=WAIT) == expected

            # The guest closed: the two others hear it, and carry on.
            assert ann.recv(timeout=WAIT) == f"* {nick} has disconnected."
            assert bob.recv(timeout=WAIT) == f"* {nick} has disconnected."
            bob.send("still here")
            assert ann.recv(timeout=WAIT) == "Bob: still here"
            assert bob.recv(timeout=WAIT) == "Bob: still here"
        assert ann.recv(timeout=WAIT) == "* Bob has disconnected."
        assert_silent(ann)


def test_chat_escapes_the_chosen_name_and_numbers_guests(server):
    with open_ws(server, "chat?name=%3Cscript%3Ex%3C/script%3E") as evil:
        assert evil.recv(timeout=WAIT) == "* &lt;script&gt;x&lt;/script&gt; has joined."
        with open_ws(server, "chat") as first:
            one = re.fullmatch(r"\* Guest(\d+) has joined\.", first.recv(timeout=WAIT))
            with open_ws(server, "chat") as second:
                two = re.fullmatch(r"\* Guest(\d+) has joined\.", second.recv(timeout=WAIT))
                assert one and two and int(two.group(1)) > int(one.group(1))
                assert first.recv(timeout=WAIT) == f"* Guest{two.group(1)} has joined."
                first.send("   ")  # blank: nothing to say, nothing broadcast
                assert_silent(second)


def test_chat_survives_a_client_that_vanishes(server):
    """A client whose connection drops without a closing handshake is
    announced as gone; the others keep receiving."""
    with open_ws(server, "chat?name=Ann") as ann, open_ws(server, "chat?name=Cy") as cy:
        with open_ws(server, "chat?name=Ghost") as ghost:
            deadline = time.monotonic() + WAIT
            seen = []
            while "* Ghost has joined." not in seen and time.monotonic() < deadline:
                seen.append(ann.recv(timeout=WAIT))
            assert "* Ghost has joined." in seen
            while cy.recv(timeout=WAIT) != "* Ghost has joined.":
                pass
            # Gone without a closing handshake, as when a laptop lid shuts.
            ghost.socket.shutdown(socket.SHUT_RDWR)
            ann_heard = ann.recv(timeout=WAIT)
        assert ann_heard == "* Ghost has disconnected."
        assert cy.recv(timeout=WAIT) == "* Ghost has disconnected."
        for i in range(5):
            ann.send(f"line {i}")
        assert [cy.recv(timeout=WAIT) for _ in range(5)] == [f"Ann: line {i}" for i in range(5)]


class FakeFuture:
    """A SendFuture already done."""

    def __init__(self, error=None):
        self.error = error

    def done(self):
        return True

    def exception(self, timeout=None):
        return self.error


class FakeSession:
    """Just enough of a session for the container's broadcast; ``fail``
    makes its sends fail as on a broken connection, ``queued`` is how many
    messages wait in its async queue."""

    def __init__(self, name, room, fail=False, queued=0):
        self.name, self.fail, self.room, self.queued = name, fail, room, queued
        self.received, self.closed = [], None

    def get_id(self):
        return self.name

    def is_open(self):
        return self.closed is None

    def queued_messages(self):
        return self.queued

    def get_async_remote(self):
        return self

    def get_container(self):
        return self.room

    def send_text(self, text):
        if self.fail:
            self.closed = 1011
            raise ConnectionResetError("broken pipe")
        self.received.append(text)
        return FakeFuture()


class FakeRoom:
    """The chat endpoint's sessions, behind a real Broadcaster."""

    def __init__(self):
        from catalina_py.websocket.broadcast import Broadcaster

        self.sessions = []
        self.broadcaster = Broadcaster(self, "/examples")

    def sessions_at(self, path):
        assert path == "/websocket/chat"
        return list(self.sessions)

    def broadcast(self, target, text, exclude=None):
        return self.broadcaster.broadcast(target, text, exclude)


def test_chat_broadcast_goes_on_past_a_failing_send_and_drops_for_a_full_queue():
    chat = load_example("chat")
    room = FakeRoom()
    a, b, c = FakeSession("a", room), FakeSession("b", room, fail=True), FakeSession("c", room)
    slow = FakeSession("slow", room, queued=room.broadcaster.queue_size)
    room.sessions += [a, b, c, slow]
    assert chat.broadcast(a, "hi", include_self=True) == 2
    assert a.received == ["hi"] and c.received == ["hi"]
    assert slow.received == [] and room.broadcaster.stats.dropped == 1  # its queue is full: dropped, counted
    slow.queued = 0
    assert chat.broadcast(c, "bye", include_self=False) == 2
    assert a.received == ["hi", "bye"] and c.received == ["hi"] and slow.received == ["bye"]


# -- drawboard -------------------------------------------------------------------


def stroke(x0=10, y0=20, x1=30, y1=40, color="#1e90ff", width=3):
    return {"x0": x0, "y0": y0, "x1": x1, "y1": y1, "color": color, "width": width}


def recv_type(ws, kind: str, timeout: float = WAIT) -> dict:
    """The next message of type ``kind`` (users counts may come between)."""
    deadline = time.monotonic() + timeout
    while True:
        message = recv_json(ws, max(0.01, deadline - time.monotonic()))
        if message["type"] == kind:
            return message


def wait_users(ws, count: int, timeout: float = WAIT) -> None:
    """Reads users counts until one says ``count``."""
    deadline = time.monotonic() + timeout
    while recv_type(ws, "users", max(0.01, deadline - time.monotonic()))["count"] != count:
        pass


def test_drawboard_history_live_strokes_and_user_count(server):
    with open_ws(server, "drawboard") as alice:
        first = recv_json(alice)
        assert first["type"] == "history" and isinstance(first["strokes"], list)
        wait_users(alice, 1)
        mark = stroke(x0=1, y0=2, x1=3.25, y1=4, color="#ABCDEF", width=7)
        alice.send(json.dumps(mark))
        time.sleep(0.2)  # let the server record it before bob arrives

        with open_ws(server, "drawboard") as bob:
            history = recv_json(bob)
            assert history["type"] == "history"
            # The server keeps only validated values (the color normalised).
            assert history["strokes"][-1] == dict(mark, color="#abcdef")
            wait_users(bob, 2)
            wait_users(alice, 2)

            live = stroke(x0=100, y0=200, x1=300, y1=400, color="#ff0000", width=12)
            alice.send(json.dumps(live))
            assert recv_type(bob, "stroke") == dict(live, type="stroke")
            assert_silent(alice)  # the author drew it already

            bob.send(json.dumps(stroke(x0=5)))
            assert recv_type(alice, "stroke")["x0"] == 5

        wait_users(alice, 1)


@pytest.mark.parametrize(
    "bad",
    [
        "not json",
        json.dumps([1, 2, 3]),
        json.dumps(stroke(x0=-1)),
        json.dumps(stroke(y1=100_000)),
        json.dumps(stroke(x1="30")),
        json.dumps(stroke(y0=True)),
        json.dumps(stroke(color="red")),
        json.dumps(stroke(color="#12345")),
        json.dumps(stroke(color="#1234567")),
        json.dumps(stroke(width=0)),
        json.dumps(stroke(width=1000)),
        json.dumps({k: v for k, v in stroke().items() if k != "y0"}),
        '{"x0": NaN, "y0": 1, "x1": 2, "y1": 3, "color": "#000000", "width": 1}',
    ],
)
def test_drawboard_drops_invalid_strokes(server, bad):
    with open_ws(server, "drawboard") as alice, open_ws(server, "drawboard") as bob:
        recv_type(bob, "history")
        alice.send(bad)
        alice.send(b"\x01\x02")  # binary means nothing here either
        good = stroke(x0=42, y0=43, color="#00ff00")
        alice.send(json.dumps(good))
        # The next stroke bob sees is the valid one: the others were dropped.
        assert recv_type(bob, "stroke") == dict(good, type="stroke")
        with open_ws(server, "drawboard") as carol:
            history = recv_type(carol, "history")["strokes"]
            assert history[-1] == good
            assert all(s["x0"] != -1 and s["color"].startswith("#") for s in history)


def test_drawboard_parse_and_bounded_history():
    drawboard = load_example("drawboard")
    parse = drawboard.parse_stroke
    assert parse(json.dumps(dict(stroke(), extra="<script>"))) == stroke()
    assert parse(json.dumps(stroke(x0=drawboard.WIDTH, y0=drawboard.HEIGHT))) is not None
    assert parse(json.dumps(stroke(x0=drawboard.WIDTH + 1))) is None
    assert parse(json.dumps(stroke(width=drawboard.MAX_WIDTH + 1))) is None
    assert parse("null") is None

    board = drawboard.Board(history_size=3)
    a, b = object(), object()
    assert board.join(a) == ([], [a])
    for i in range(5):
        assert board.draw(a, i) == []
    history, everyone = board.join(b)
    assert history == [2, 3, 4] and everyone == [a, b]
    assert board.draw(b, 5) == [a]
    assert board.leave(a) == [b]
    assert board.leave(a) == [b]
    assert drawboard.HISTORY_SIZE == 2000
