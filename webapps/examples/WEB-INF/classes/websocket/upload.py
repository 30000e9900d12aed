"""Upload: a large file sent as one binary WebSocket message, taken in
parts as it arrives, so the server never holds more than one part of it.

The page (``websocket/upload.html``) sends the file the user picked as a
single binary message; a browser frames it however it likes. The endpoint
has an ``@on_message`` method with a ``last: bool`` parameter, so the
container hands it the message in parts of at most ``PART_SIZE`` bytes
(the session's binary buffer size) as they come off the socket. Each part
goes into a SHA-256 and a byte count, then is dropped; when the last part
is in, the endpoint answers with a JSON summary that the page compares
with the digest the browser computed itself.

A text message before the file names it (optional): the name only appears
in the summary.
"""

import hashlib
import json
import logging

from catalina_py.websocket.endpoint import on_error, on_message, on_open, server_endpoint

log = logging.getLogger(__name__)

#: The most bytes of the upload the endpoint is given at once.
PART_SIZE = 64 * 1024

#: The longest file name kept (characters).
MAX_NAME = 200


@server_endpoint("/websocket/upload", max_text_message_size=4096, max_binary_message_size=PART_SIZE)
class UploadEndpoint:
    """Hashes each binary message in parts and answers with a summary."""

    @on_open
    def start(self, session):
        """A new connection: nothing received yet."""
        self.name = None
        self._reset()

    def _reset(self):
        self.digest = hashlib.sha256()
        self.received = 0
        self.parts = 0
        self.largest_part = 0

    @on_message
    def name_file(self, session, name: str):
        """The name of the file that comes next (a whole text message)."""
        self.name = name[:MAX_NAME]

    @on_message
    def receive(self, session, part: bytes, last: bool):
        """One part of the upload: counted, hashed and let go. The last one
        sends the summary and gets ready for the next file."""
        self.digest.update(part)
        self.received += len(part)
        self.parts += 1
        self.largest_part = max(self.largest_part, len(part))
        if not last:
            return
        summary = {
            "name": self.name,
            "bytes": self.received,
            "sha256": self.digest.hexdigest(),
            "parts": self.parts,
            "largest_part": self.largest_part,
            "part_size": PART_SIZE,
        }
        log.info("upload session %s: %s", session.get_id(), summary)
        self.name = None
        self._reset()
        session.get_basic_remote().send_text(json.dumps(summary))

    @on_error
    def error(self, session, error):
        """A failed send or a protocol error ends this session only."""
        log.info("upload session %s: %s", session.get_id(), error)
