"""Receiving endpoints for tests/integration/test_ws_receive_e2e.py.

``GET /wsrecv/memory?start`` starts tracemalloc in the server process,
``GET /wsrecv/memory`` answers its figures (JSON: current and peak bytes
since the start) and stops it.
"""

import hashlib
import json
import tracemalloc
import typing
from dataclasses import dataclass

from catalina_py.servlet import HttpServlet, web_servlet
from catalina_py.websocket import on_error, on_message, server_endpoint
from catalina_py.websocket.coders import DecodeError, Decoder
from catalina_py.websocket.handlers import PongMessage

PART = 64 * 1024


def send_part(session, part, last):
    """A part back as a part of the reply (a whole message per part where
    the send side has no parts)."""
    remote = session.get_basic_remote()
    send = remote.send_text if isinstance(part, str) else remote.send_binary
    try:
        send(part, last)
    except TypeError:
        send(part)


@server_endpoint("/echo-parts", max_text_message_size=PART, max_binary_message_size=PART)
class EchoParts:
    """Echoes each part as it comes."""

    @on_message
    def text(self, session, part: str, last: bool):
        send_part(session, part, last)

    @on_message
    def binary(self, last: bool, session, part: bytes):
        send_part(session, part, last)

    @on_message
    def pong(self, session, pong: PongMessage):
        session.get_basic_remote().send_text("pong:" + pong.get_application_data().decode())


@server_endpoint("/streams", max_text_message_size=1024, max_binary_message_size=1024)
class Streams:
    """Reads each message as a stream and answers a summary."""

    @on_message
    def lines(self, reader: typing.TextIO):
        count = sum(1 for _ in reader)
        return json.dumps({"lines": count})

    @on_message
    def digest(self, session, stream: typing.BinaryIO):
        digest = hashlib.sha256()
        size = 0
        while chunk := stream.read(4096):
            digest.update(chunk)
            size += len(chunk)
        return json.dumps({"bytes": size, "sha256": digest.hexdigest()})


@dataclass
class Move:
    piece: str
    to: str


class MoveDecoder(Decoder.Text):
    object_type = Move

    def will_decode(self, text):
        return text.startswith("{")

    def decode(self, text):
        try:
            fields = json.loads(text)
            return Move(str(fields["piece"]), str(fields["to"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise DecodeError(text, f"not a move: {exc}") from None


@server_endpoint("/game/{table}", decoders=[MoveDecoder])
class Game:
    """A decoded parameter and a path parameter; DecodeError keeps the session."""

    @on_message
    def move(self, session, move: Move, table):
        return f"table {table}: {move.piece} to {move.to}"

    @on_error
    def error(self, session, error):
        session.get_basic_remote().send_text(f"error: {type(error).__name__}")


@web_servlet("/memory")
class MemoryServlet(HttpServlet):
    """tracemalloc in this process: ``?start`` starts it, else its figures."""

    def do_get(self, request, response):
        response.set_content_type("application/json")
        if request.get_parameter("start") is not None:
            tracemalloc.start()
            response.get_writer().write("{}")
            return
        current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        response.get_writer().write(json.dumps({"current": current, "peak": peak}))
