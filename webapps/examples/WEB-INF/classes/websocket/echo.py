"""Echo: every message comes back to its sender unchanged, text as text
and binary as binary. The smallest endpoint there is, and the first
thing to try when checking that WebSocket works through a proxy.

Two variants of the same endpoint:

- ``/websocket/echo`` answers through the *basic* remote, whose sends
  block the handler until the frame is written;
- ``/websocket/echoAsync`` answers through the *async* remote, whose
  sends return a future at once; a callback on the future logs a send
  that failed.
"""

import logging

import gevent

from catalina_py.websocket.endpoint import on_error, on_message, server_endpoint

log = logging.getLogger(__name__)

#: Largest message either echo endpoint accepts, in bytes (of UTF-8 for
#: text); a larger one closes the connection with 1009.
MAX_MESSAGE_SIZE = 64 * 1024


@server_endpoint("/websocket/echo",
                 max_text_message_size=MAX_MESSAGE_SIZE,
                 max_binary_message_size=MAX_MESSAGE_SIZE)
class EchoEndpoint:
    """Sends each message back with a blocking send."""

    @on_message
    def echo(self, session, message):
        """Text arrives as ``str`` and goes back as a text message; binary
        arrives as ``bytes`` and goes back as a binary message."""
        remote = session.get_basic_remote()
        if isinstance(message, str):
            remote.send_text(message)
        else:
            remote.send_binary(message)

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
