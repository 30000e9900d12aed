"""An endpoint that sends on command, for tests/integration/test_ws_send_e2e.py.

Each text message is a command (``name`` or ``name:argument``); what went
wrong or right on the server side is recorded in ``EVENTS`` (``GET
/wssend/events``, JSON).
"""

import json

import gevent

from catalina_py.servlet import HttpServlet, web_servlet
from catalina_py.websocket import CloseReason, on_close, on_message, on_open, server_endpoint
from catalina_py.websocket.coders import Encoder
from catalina_py.websocket.session import BLOCKING_SEND_TIMEOUT_PROPERTY

EVENTS: list[dict] = []


class Point:
    def __init__(self, x, y):
        self.x, self.y = x, y


class PointEncoder(Encoder.Text):
    object_type = Point

    def encode(self, obj):
        return json.dumps({"x": obj.x, "y": obj.y})


class Rows:
    def __init__(self, count):
        self.count = count


class RowsEncoder(Encoder.BinaryStream):
    object_type = Rows

    def encode(self, obj, stream):
        for i in range(obj.count):
            stream.write(i.to_bytes(4, "big"))


@server_endpoint("/send", encoders=[PointEncoder, RowsEncoder])
class SendProbe:
    @on_open
    def opened(self, session, config):
        session.set_max_text_message_buffer_size(4096)
        session.set_max_binary_message_buffer_size(4096)

    @on_message
    def command(self, session, message):
        name, _, arg = message.partition(":")
        basic, remote = session.get_basic_remote(), session.get_async_remote()
        if name == "parts":  # parts:a,b,c -> one text message in these parts
            pieces = arg.split(",")
            for i, piece in enumerate(pieces):
                basic.send_text(piece, i == len(pieces) - 1)
        elif name == "binparts":  # binparts:N -> N binary parts of 3 bytes
            for i in range(int(arg)):
                basic.send_binary(bytes([i]) * 3, i == int(arg) - 1)
        elif name == "writer":  # writer:N -> N characters through the send writer
            with basic.get_send_writer() as writer:
                for i in range(int(arg)):
                    writer.write("abcdefghij"[i % 10])
        elif name == "stream":  # stream:N -> N bytes through the send stream
            with basic.get_send_stream() as stream:
                stream.write(bytes(i % 256 for i in range(int(arg))))
        elif name == "object":
            basic.send_object(Point(1, 2))
            basic.send_object(Rows(3))
            basic.send_object(7)
        elif name == "future":
            future = remote.send_text("by future")
            future.result(5)
            basic.send_text("future done")
        elif name == "handler":
            def done(result):
                # In a greenlet of its own: it may send.
                session.get_basic_remote().send_text(f"handler ok={result.is_ok()}")

            remote.send_text("by handler", done)
        elif name == "batch":  # batch:N -> N messages in one batch
            basic.set_batching_allowed(True)
            for i in range(int(arg)):
                basic.send_text(f"m{i}")
            basic.flush_batch()
            basic.set_batching_allowed(False)
        elif name == "flood":  # flood:ms -> async 1 MiB messages, async send timeout ms
            session.max_queued_bytes = 1 << 30
            remote.set_send_timeout(int(arg) / 1000)

            def failed(result):
                if not result.is_ok():
                    EVENTS.append({"event": "async failed", "error": type(result.get_exception()).__name__})

            for _ in range(24):  # 24 MiB: more than the loopback buffers hold
                remote.send_binary(b"x" * (1 << 20), failed)
        elif name == "block":  # block:ms -> blocking 1 MiB messages, BLOCKING_SEND_TIMEOUT ms
            session.get_user_properties()[BLOCKING_SEND_TIMEOUT_PROPERTY] = int(arg)
            started = gevent.get_hub().loop.now()
            try:
                for _ in range(24):
                    basic.send_binary(b"x" * (1 << 20))
            except Exception as exc:
                EVENTS.append({"event": "blocking failed", "error": type(exc).__name__,
                               "after": gevent.get_hub().loop.now() - started})
        elif name == "getters":
            basic.send_text(json.dumps({
                "principal": session.get_user_principal(),
                "secure": session.is_secure(),
                "version": session.get_protocol_version(),
                "extensions": [[e.get_name(), [[p.get_name(), p.get_value()] for p in e.get_parameters()]]
                               for e in session.get_negotiated_extensions()],
                "query": session.get_query_string(),
                "params": session.get_request_parameter_map(),
                "container": type(session.get_container()).__name__,
            }))
        return None

    @on_close
    def closed(self, session, reason: CloseReason):
        EVENTS.append({"event": "close", "code": reason.get_close_code()})


@web_servlet("/events")
class EventsServlet(HttpServlet):
    def do_get(self, request, response):
        response.set_content_type("application/json")
        response.get_writer().write(json.dumps(EVENTS))

    def do_delete(self, request, response):
        EVENTS.clear()
