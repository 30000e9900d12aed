"""Drawboard: a shared canvas at ``/websocket/drawboard`` where every
user's strokes appear for everyone connected.

The protocol is compact JSON text, one object per message.

Client to server, one line segment of a stroke::

    {"x0": 10, "y0": 20, "x1": 14, "y1": 26, "color": "#1e90ff", "width": 3}

Coordinates are canvas pixels (``0..WIDTH`` and ``0..HEIGHT``), the
color is ``#rrggbb`` and the width ``MIN_WIDTH..MAX_WIDTH``. Anything
else (bad JSON, a missing key, a number out of range, a string where a
number belongs) is dropped without an answer: never trust the client.
The server rebuilds each segment from the validated values, so nothing
the client added travels further.

Server to client:

- ``{"type": "history", "strokes": [...]}``, first, to a newcomer only:
  the last ``HISTORY_SIZE`` segments drawn, oldest first;
- ``{"type": "stroke", ...segment...}`` to everyone but its author (who
  drew it already);
- ``{"type": "users", "count": n}`` to everyone when someone joins or
  leaves.

A lock keeps the board consistent: a newcomer takes its copy of the
history, has it queued and joins the broadcast group ``drawboard`` in one
step, and a segment is added to the history and broadcast to the group in
one step, so every segment reaches each client exactly once, in the
history or live. Every send is queued on the session's async remote (in
order: the history first), so a slow client never holds up the board.

Strokes travel with the container's broadcast (``container.broadcast``),
so with a ``<Cluster>`` in server.xml users connected to different
workers or instances draw on one board. What stays per process: the
history a newcomer gets (the strokes drawn through this process since it
started) and the users count (the users connected to this process).
"""

import json
import logging
import math
import re
import threading
from collections import deque

from catalina_py.websocket.endpoint import (
    on_close,
    on_error,
    on_message,
    on_open,
    server_endpoint,
)

log = logging.getLogger(__name__)

#: Size of the canvas in pixels; the page draws on one of the same size.
WIDTH = 900
HEIGHT = 600
#: Line widths accepted, in pixels.
MIN_WIDTH = 1
MAX_WIDTH = 40
#: How many segments a newcomer receives.
HISTORY_SIZE = 2000
#: A segment is well under 100 characters; anything larger is not one.
MAX_MESSAGE = 512

_COLOR = re.compile(r"#[0-9a-fA-F]{6}")
_COORDINATES = (("x0", WIDTH), ("y0", HEIGHT), ("x1", WIDTH), ("y1", HEIGHT))


def _number(value, low, high):
    """``value`` if it is a finite number in ``low..high``, else None
    (``True`` is not a number here, though Python says it is an int)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if not math.isfinite(value) or not low <= value <= high:
        return None
    return value if isinstance(value, int) else round(value, 2)


def parse_stroke(text):
    """The segment described by the JSON ``text`` as a new dict holding
    only the validated keys, or None if ``text`` is not a valid segment."""
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    stroke = {}
    for key, high in _COORDINATES:
        value = _number(data.get(key), 0, high)
        if value is None:
            return None
        stroke[key] = value
    color = data.get("color")
    if not isinstance(color, str) or not _COLOR.fullmatch(color):
        return None
    stroke["color"] = color.lower()
    width = _number(data.get("width"), MIN_WIDTH, MAX_WIDTH)
    if width is None:
        return None
    stroke["width"] = width
    return stroke


class Board:
    """The shared state of the drawboard: who is connected and what has
    been drawn recently."""

    def __init__(self, history_size=HISTORY_SIZE):
        self._lock = threading.Lock()
        self._sessions = []
        self._history = deque(maxlen=history_size)

    def join(self, session, joined=None):
        """Adds ``session``; returns (the history it must be sent, everyone
        now connected). ``joined(history)``, when given, runs inside the
        lock (to queue the history and join the broadcast group)."""
        with self._lock:
            self._sessions.append(session)
            history = list(self._history)
            if joined is not None:
                joined(history)
            return history, list(self._sessions)

    def leave(self, session):
        """Removes ``session``; returns everyone still connected."""
        with self._lock:
            if session in self._sessions:
                self._sessions.remove(session)
            return list(self._sessions)

    def draw(self, author, stroke, drawn=None):
        """Records ``stroke``; returns the sessions it must be sent to.
        ``drawn()``, when given, runs inside the lock (the broadcast)."""
        with self._lock:
            self._history.append(stroke)
            if drawn is not None:
                drawn()
            return [s for s in self._sessions if s is not author]


#: The one board of this webapp (module state lives as long as the
#: deployed webapp; a redeployment starts a blank board).
BOARD = Board()


#: The broadcast group of the drawboard's sessions.
GROUP = "drawboard"


def send(sessions, text):
    """Queues ``text`` on each of ``sessions``' async remote; a session
    that cannot take it is skipped (the container closes a broken one, and
    its ``@on_close`` takes it off the board)."""
    for session in sessions:
        try:
            session.get_async_remote().send_text(text)
        except Exception as exc:
            log.info("drawboard: cannot send to session %s: %s", session.get_id(), exc)


def _users(sessions):
    return json.dumps({"type": "users", "count": len(sessions)}, separators=(",", ":"))


@server_endpoint("/websocket/drawboard", max_text_message_size=MAX_MESSAGE)
class DrawboardEndpoint:
    """One user of the drawboard (one instance per connection)."""

    board = BOARD

    @on_open
    def join(self, session, config):
        """Sends the newcomer the history, then tells everyone how many
        users there are now."""
        container = session.get_container()

        def joined(history):
            send([session], json.dumps({"type": "history", "strokes": history}, separators=(",", ":")))
            container.join_group(GROUP, session)

        _, everyone = self.board.join(session, joined)
        send(everyone, _users(everyone))

    @on_message
    def draw(self, session, message):
        """Validates a segment and passes it on to everyone else; binary
        messages and invalid segments are dropped."""
        if not isinstance(message, str):
            return
        stroke = parse_stroke(message)
        if stroke is None:
            log.debug("drawboard: dropped invalid segment from %s", session.get_id())
            return
        text = json.dumps({"type": "stroke", **stroke}, separators=(",", ":"))
        container = session.get_container()
        self.board.draw(session, stroke, lambda: container.broadcast(GROUP, text, exclude=session))

    @on_close
    def leave(self, session, close_reason):
        """Takes the user off the board and tells the others."""
        others = self.board.leave(session)
        send(others, _users(others))

    @on_error
    def error(self, session, error):
        """Errors of one connection only end that connection."""
        log.info("drawboard session %s: %s", session.get_id(), error)
