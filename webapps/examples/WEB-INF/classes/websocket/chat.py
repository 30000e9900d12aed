"""Chat: everyone connected to ``/websocket/chat`` sees every message.

Each connection gets a nickname: the ``name`` query parameter when the
page gives one (``/websocket/chat?name=Ann``), otherwise ``Guest0``,
``Guest1``, ... in the order of arrival. A join is announced to everyone
as ``* Guest0 has joined.``, a departure as ``* Guest0 has
disconnected.``, and a message as ``Guest0: text``.

Never trust the client: the nickname and the text are HTML-escaped here,
on the server, before they are broadcast, so a page that shows them with
``innerHTML`` cannot be made to run someone else's markup or script.

The room is every open session of this endpoint, in this process and --
with a ``<Cluster>`` in server.xml -- in every other worker and instance
sharing the same Redis: a message goes out with the container's broadcast
(``session.get_container().broadcast("/websocket/chat", text)``), which
queues it on every local client's async remote at once and publishes it
for the other processes. The broadcast never waits for a client: one that
reads nothing lets its queue fill (``broadcastQueueSize`` messages) and
then misses messages (counted in the container's ``broadcast_stats``)
instead of holding up the room. Each session's sends leave in the order
they were queued, so two broadcasts never interleave within one message.
"""

import html
import itertools
import logging

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
#: The endpoint's path: the broadcast target naming every chat session.
CHAT_PATH = "/websocket/chat"
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


@server_endpoint(CHAT_PATH, max_text_message_size=MAX_MESSAGE)
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
    """Sends ``text`` to every open chat session, here and (with a
    ``<Cluster>``) in every other process, with or without ``origin``
    itself. Returns the number of local clients it was queued to; a client
    whose connection broke is closed by the container, one that is too slow
    misses the message (see the module text)."""
    exclude = None if include_self else origin
    return origin.get_container().broadcast(CHAT_PATH, text, exclude=exclude)
