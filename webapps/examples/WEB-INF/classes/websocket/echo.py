"""Echo: every message comes back to its sender unchanged, text as text
and binary as binary. The smallest endpoint there is, and the first
thing to try when checking that WebSocket works through a proxy.

Two variants of the same endpoint:

- ``/websocket/echo`` takes each message **in parts** (an ``@on_message``
  method with a ``last: bool`` parameter) and sends every part straight
  back with a blocking partial send, as Tomcat's own ``EchoAnnotation``
  does. A message of any size goes through while the server holds one
  part of it (at most ``PART_SIZE`` bytes) at a time: the Autobahn
  testsuite's 16 MiB messages included;
- ``/websocket/echoAsync`` takes whole messages (at most
  ``MAX_MESSAGE_SIZE`` bytes; a larger one closes the session with 1009)
  and answers through the *async* remote, whose sends return a future at
  once; a callback on the future logs a send that failed.
"""

import logging

import gevent

from catalina_py.websocket.endpoint import on_error, on_message, server_endpoint
from catalina_py.websocket.handlers import PongMessage

log = logging.getLogger(__name__)

#: The largest part ``/websocket/echo`` is given at once, in bytes (of
#: UTF-8 for text): the session's buffer size, which for a handler of
#: parts bounds each part, not the message.
PART_SIZE = 64 * 1024

#: Largest message ``/websocket/echoAsync`` accepts, in bytes (of UTF-8
#: for text); a larger one closes the connection with 1009.
MAX_MESSAGE_SIZE = 64 * 1024


@server_endpoint("/websocket/echo",
                 max_text_message_size=PART_SIZE,
                 max_binary_message_size=PART_SIZE)
class EchoEndpoint:
    """Sends each part of each message back as it arrives."""

    @on_message
    def echo_text(self, session, part: str, last: bool):
        """A part of a text message (never splitting a character): sent
        back as a part of the reply, which ends where the message ends."""
        session.get_basic_remote().send_text(part, last)

    @on_message
    def echo_binary(self, session, part: bytes, last: bool):
        """A part of a binary message, sent back the same way."""
        session.get_basic_remote().send_binary(part, last)

    @on_message
    def pong(self, session, pong: PongMessage):
        """A pong (an answer to the container's keepalive ping, or one the
        client sent unasked): nothing to echo, it only shows how to take them."""
        log.debug("echo session %s: pong %r", session.get_id(), pong.get_application_data())

    @on_error
    def error(self, session, error):
        """A failed send or a protocol error ends this session only."""
        log.info("echo session %s: %s", session.get_id(), error)


def _log_failure(session_id, future):
    """Logs why the async echo ``future`` (which is done) failed, if it did."""
    error = future.exception(0)
    if error is not None:
        log.info("echoAsync session %s: send failed: %s", session_id, error)


@server_endpoint("/websocket/echoAsync",
                 max_text_message_size=MAX_MESSAGE_SIZE,
                 max_binary_message_size=MAX_MESSAGE_SIZE)
class EchoAsyncEndpoint:
    """Sends each message back through the async remote."""

    @on_message
    def echo(self, session, message):
        """Starts the send and returns at once: the container writes the
        message (in order with the others of this session) while this
        handler is already free for the next one. A send that fails is
        logged by the future's callback."""
        remote = session.get_async_remote()
        if isinstance(message, str):
            future = remote.send_text(message)
        else:
            future = remote.send_binary(message)
        session_id = session.get_id()
        # Done-callbacks run in gevent's event loop, where nothing may
        # block: the check runs in a greenlet of its own.
        future.add_done_callback(lambda done: gevent.spawn(_log_failure, session_id, done))

    @on_error
    def error(self, session, error):
        """A failed send or a protocol error ends this session only."""
        log.info("echoAsync session %s: %s", session.get_id(), error)
