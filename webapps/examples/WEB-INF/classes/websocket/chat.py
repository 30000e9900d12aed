"""Chat: everyone connected to ``/websocket/chat`` sees every message.

Each connection gets a nickname: the ``name`` query parameter when the
page gives one (``/websocket/chat?name=Ann``), otherwise ``Guest0``,
``Guest1``, ... in the order of arrival. A join is announced to everyone
as ``* Guest0 has joined.``, a departure as ``* Guest0 has
disconnected.``, and a message as ``Guest0: text``.

Never trust the client: the nickname and the text are HTML-escaped here,
on the server, before they are broadcast, so a page that shows them with
``innerHTML`` cannot be made to run someone else's markup or script.

The room is the set of open sessions of this endpoint
(``session.get_open_sessions()``). A broadcast queues the message on each
client's async remote and waits for the writes, all together, at most
``SEND_WAIT`` seconds: a client that reads nothing holds the room up that
long once, then it is closed (1008) and its ``leave`` tells the others.
Each session's sends are serialised by the container and leave in the
order they were queued, so two broadcasts never interleave within one
message.
"""

import html
import itertools
import logging
import time

import gevent

from catalina_py.websocket.endpoint import (
    on_close,
    on_error,
    on_message,
    on_open,
    server_endpoint,
)

log = logging.getLogger(__name__)

#: Prefix of the nicknames given to clients that do not choose one.
GUEST_PREFIX = "Guest"
#: Longest nickname kept from the ``name`` parameter, in characters.
MAX_NICKNAME = 32
#: Largest chat message accepted, in bytes of UTF-8 (a larger one closes the
#: sender's connection with 1009, "message too big").
MAX_MESSAGE = 4096
#: Longest a broadcast waits for one client's writes, in seconds: a client
#: that reads nothing for that long is closed (1008) instead of holding up
#: the room.
SEND_WAIT = 2.0
#: Key of the nickname in each session's user properties.
NICKNAME = "chat.nickname"

_guest_numbers = itertools.count()


def escape(text):
    """``text`` made safe to insert into HTML (``<``, ``>``, ``&`` and
    both quotes replaced by character references)."""
    return html.escape(text, quote=True)


def nickname_for(session):
    """The escaped nickname a new session is known by: its ``name``
    parameter if it has a usable one, else the next ``GuestN``."""
    names = session.get_request_parameter_map().get("name") or []
    if isinstance(names, str):
        names = [names]
    for name in names:
        name = " ".join(name.split())[:MAX_NICKNAME]
        if name:
            return escape(name)
    return f"{GUEST_PREFIX}{next(_guest_numbers)}"


@server_endpoint("/websocket/chat", max_text_message_size=MAX_MESSAGE)
class ChatEndpoint:
    """One chat participant (the container makes one per connection)."""

    def __init__(self):
        self.nickname = None

    @on_open
    def join(self, session, config):
        """Names the newcomer and tells everyone, the newcomer included."""
        self.nickname = nickname_for(session)
        session.get_user_properties()[NICKNAME] = self.nickname
        broadcast(session, f"* {self.nickname} has joined.", include_self=True)

    @on_message
    def incoming(self, session, message):
        """Broadcasts a text message as ``nickname: text``; binary
        messages have no meaning in a chat and are ignored."""
        if not isinstance(message, str):
            return
        text = message.strip()
        if text:
            broadcast(session, f"{self.nickname}: {escape(text)}", include_self=True)

    @on_close
    def leave(self, session, close_reason):
        """Tells the others that this participant has left."""
        if self.nickname is not None:
            broadcast(session, f"* {self.nickname} has disconnected.", include_self=False)

    @on_error
    def error(self, session, error):
        """Errors of one connection only end that connection."""
        log.info("chat session %s (%s): %s", session.get_id(), self.nickname, error)


def broadcast(origin, text, include_self):
    """Sends ``text`` to every open session of the chat endpoint (those
    ``origin`` sees), with or without ``origin`` itself.

    The message is queued on every client's *async* remote at once, then
    the broadcast waits for the writes, all together, for at most
    :data:`SEND_WAIT` seconds: readers that keep up slow the sender down
    to their pace (nothing piles up in memory), and a client that reads
    nothing holds the others for that long once. It is then closed with
    1008 "slow consumer", and its ``leave`` tells the others. A client
    whose connection broke is closed by the container. Returns the number
    of clients that got ``text``.
    """
    recipients = [s for s in origin.get_open_sessions() if s is not origin]
    if include_self and origin.is_open():
        recipients.append(origin)
    pending = []
    for session in recipients:
        try:
            pending.append((session, session.get_async_remote().send_text(text)))
        except Exception as exc:  # that client is gone; go on
            log.info("chat: cannot send to session %s: %s", session.get_id(), exc)
    delivered = 0
    deadline = time.monotonic() + SEND_WAIT
    for session, future in pending:
        try:
            future.result(max(0.0, deadline - time.monotonic()))
            delivered += 1
        except gevent.Timeout:
            log.info("chat: session %s reads nothing for %s s; closing it", session.get_id(), SEND_WAIT)
            # In its own greenlet: the close waits for that client's writes
            # (bounded by the close timeout), the broadcast does not.
            gevent.spawn(_close_quietly, session, 1008, "slow consumer")
        except Exception as exc:  # the container closes that session
            log.info("chat: cannot send to session %s: %s", session.get_id(), exc)
    return delivered


def _close_quietly(session, code, reason):
    try:
        session.close(code, reason)
    except Exception:
        pass
