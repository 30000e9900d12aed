"""Multipart requests on the container side: the parts of a
``multipart/form-data`` body read from the connection, stored in memory or
in temporary files, and offered as the servlet API's
:class:`~catalina_py.servlet.part.Part` (Tomcat's ``Request.parseParts`` and
``ApplicationPart`` over its fork of Commons FileUpload).

The body is read in pieces through the sans-I/O
:class:`~catalina_py.http.multipart.MultipartParser`; a part's content stays
in memory while it is at most ``file-size-threshold`` bytes and is written
to a temporary file (``upload_*.tmp`` in the multipart ``location``) as
soon as it grows past it, so an upload of any size needs a bounded amount
of memory. The temporary files are deleted when the request ends
(:meth:`MultipartState.cleanup`, called by ``Request.recycle``), when the
parse fails, or by ``Part.delete``.

Errors are Tomcat's: a request that is not ``multipart/*``:
:class:`ServletException`; a servlet without a multipart configuration:
:class:`IllegalStateError`; ``max-file-size``, ``max-request-size``, the
Connector's ``maxPartCount``, ``maxPartHeaderSize`` and (for the form
fields) ``maxPostSize`` exceeded: :class:`IllegalStateError`; a malformed
body or an unusable ``location``: :class:`MultipartIOError` (an ``OSError``,
Java's ``IOException``). Uncaught, each is a 500.
"""

from __future__ import annotations

import io
import logging
import os
import shutil
import tempfile
import weakref
from collections.abc import Callable
from typing import IO, Any

from ..http.multipart import (
    DEFAULT_MAX_HEADER_SIZE,
    MultipartFailed,
    MultipartParser,
    PartData,
    PartEnd,
    PartStart,
    content_disposition,
    get_boundary,
    parse_part_headers,
)
from ..servlet.context import TEMPDIR
from ..servlet.exceptions import IllegalStateError, ServletException
from ..servlet.part import MultipartConfigElement, Part

__all__ = [
    "DEFAULT_MAX_PART_COUNT",
    "ApplicationPart",
    "MultipartIOError",
    "MultipartState",
    "context_temp_dir",
    "parse_request_parts",
    "read_parts",
]

log = logging.getLogger("catalina_py.container")

#: Tomcat 10.1.60's Connector ``maxPartCount`` default.
DEFAULT_MAX_PART_COUNT = 50
#: Tomcat 10.1.60's Connector ``maxPartHeaderSize`` default.
DEFAULT_MAX_PART_HEADER_SIZE = DEFAULT_MAX_HEADER_SIZE

#: How much of the body is read at a time.
_READ_SIZE = 65536


class MultipartIOError(OSError):
    """A multipart body could not be read: malformed, cut short, without a
    boundary, or its ``location`` is unusable (Tomcat's ``IOException``
    from ``getParts``)."""


class ApplicationPart(Part):
    """One part received: its headers, and its content in memory (up to the
    threshold) or in a temporary file."""

    def __init__(
        self, name: str, file_name: str | None, headers: list[tuple[str, str]], location: str, threshold: int
    ) -> None:
        self._name = name
        self._file_name = file_name
        self._headers = headers
        self._location = location
        self._threshold = threshold
        self._memory: bytearray | None = bytearray()
        self._file: IO[bytes] | None = None
        #: The temporary file holding the content (None while in memory).
        self.path: str | None = None
        self._moved_to: str | None = None
        self._size = 0
        # Deletes the temporary file if the part is dropped without
        # delete() (a connection greenlet killed before the request's
        # recycle) or at interpreter exit.
        self._finalizer: weakref.finalize | None = None

    # -- filled by the parser -------------------------------------------------
    def append(self, data: bytes) -> None:
        """Add content; past the threshold the content moves to a file."""
        self._size += len(data)
        memory = self._memory
        if memory is not None:
            if self._size <= self._threshold:
                memory += data
                return
            handle = tempfile.NamedTemporaryFile(dir=self._location, prefix="upload_", suffix=".tmp", delete=False)
            self._file = handle
            self.path = handle.name
            self._finalizer = weakref.finalize(self, _unlink_quietly, handle.name)
            handle.write(memory)
            self._memory = None
        assert self._file is not None
        self._file.write(data)

    def finish(self) -> None:
        """The content is complete (the temporary file is closed)."""
        if self._file is not None:
            self._file.close()
            self._file = None

    def is_in_memory(self) -> bool:
        """Whether the content is held in memory (not over the threshold)."""
        return self._memory is not None

    # -- the servlet API ------------------------------------------------------
    def get_name(self) -> str:
        return self._name

    def get_submitted_file_name(self) -> str | None:
        return self._file_name

    def get_content_type(self) -> str | None:
        return self.get_header("content-type")

    def get_size(self) -> int:
        return self._size

    def get_header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((value for key, value in self._headers if key == lowered), None)

    def get_headers(self, name: str) -> list[str]:
        lowered = name.lower()
        return [value for key, value in self._headers if key == lowered]

    def get_header_names(self) -> list[str]:
        return list(dict.fromkeys(key for key, _ in self._headers))

    def get_input_stream(self) -> io.BufferedIOBase:
        if self._memory is not None:
            return io.BytesIO(bytes(self._memory))
        path = self._moved_to or self.path
        if path is None:
            raise FileNotFoundError(f"the content of part '{self._name}' was deleted")
        return open(path, "rb")  # noqa: SIM115 - the caller closes the stream

    def get_string(self, encoding: str) -> str:
        """The content as text (Tomcat's ``ApplicationPart.getString``)."""
        with self.get_input_stream() as stream:
            return stream.read().decode(encoding, "replace")

    def write(self, file_name: str) -> None:
        target = file_name if os.path.isabs(file_name) else os.path.join(self._location, file_name)
        if self._memory is not None:
            with open(target, "wb") as out:
                out.write(self._memory)
            return
        self.finish()
        source = self._moved_to or self.path
        if source is None:
            raise FileNotFoundError(f"the content of part '{self._name}' was deleted")
        if self._moved_to is None:
            # Move the temporary file (a rename when on the same file system).
            shutil.move(source, target)
            self.path = None
            self._moved_to = target
            if self._finalizer is not None:
                self._finalizer.detach()  # the file is the application's now
        elif os.path.abspath(source) != os.path.abspath(target):
            shutil.copyfile(source, target)

    def delete(self) -> None:
        self.finish()
        path, self.path = self.path, None
        if self._finalizer is not None:
            self._finalizer.detach()
        if path is not None:
            _unlink_quietly(path)
        if self._memory is not None:
            self._memory = bytearray()

    def __repr__(self) -> str:
        where = "memory" if self._memory is not None else self.path or self._moved_to
        return f"<ApplicationPart {self._name!r} {self._size} bytes in {where}>"


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


class MultipartState:
    """What a request learnt from its multipart body: its parts, or the
    error that stopped the parse (raised again by every ``get_parts``)."""

    __slots__ = ("parts", "error", "fields")

    def __init__(
        self,
        parts: list[ApplicationPart],
        error: Exception | None = None,
        fields: list[tuple[str, str]] | None = None,
    ) -> None:
        self.parts = parts
        self.error = error
        #: The form fields (parts without a file name) as request
        #: parameters: (name, value decoded with the request's encoding).
        self.fields = fields or []

    def get_parts(self) -> list[Part]:
        """The parts, or the parse's error raised."""
        if self.error is not None:
            raise self.error
        return list(self.parts)

    def cleanup(self) -> None:
        """Delete every temporary file (the request has ended)."""
        for part in self.parts:
            try:
                part.delete()
            except OSError:
                log.warning("Could not delete the temporary file of part %r", part.get_name(), exc_info=True)
        self.parts = []


def resolve_location(config: MultipartConfigElement, temp_dir: str) -> str:
    """The directory for parts on disk: ``location`` (relative to the
    context's temporary directory), or that directory itself."""
    location = config.location
    if not location:
        return temp_dir
    if not os.path.isabs(location):
        return os.path.abspath(os.path.join(temp_dir, location))
    return location


def read_parts(
    read: Callable[[int], bytes],
    content_type: str | None,
    content_length: int | None,
    encoding: str,
    config: MultipartConfigElement,
    temp_dir: str,
    *,
    max_part_count: int = DEFAULT_MAX_PART_COUNT,
    max_part_header_size: int = DEFAULT_MAX_PART_HEADER_SIZE,
    max_post_size: int = -1,
) -> MultipartState:
    """Read a multipart body with *read* (the request body, *size* bytes at
    a time) and store its parts as *config* says; the form fields (parts
    without a file name) become the state's ``fields``, decoded with
    *encoding*.

    Never raises for the body itself: the error is kept in the returned
    state (and its parts deleted), as Tomcat keeps ``partsParseException``.
    """
    location = resolve_location(config, temp_dir)
    if not os.path.isdir(location):
        return MultipartState([], MultipartIOError(f"The multipart location [{location}] is not a valid directory"))
    # Then Tomcat's order (its FileUpload): the type, the declared size, the boundary.
    ctype = (content_type or "").strip()
    if not ctype.lower().startswith("multipart/"):
        return MultipartState(
            [],
            ServletException(
                "the request doesn't contain a multipart/form-data or multipart/mixed stream, "
                f"content type header is {'null' if content_type is None else content_type}"
            ),
        )
    limit = config.max_request_size
    if limit >= 0 and content_length is not None and content_length > limit:
        return MultipartState(
            [],
            IllegalStateError(
                f"the request was rejected because its size ({content_length}) "
                f"exceeds the configured maximum ({limit})"
            ),
        )
    boundary = get_boundary(ctype)
    if boundary is None:
        return MultipartState([], MultipartIOError("the request was rejected because no multipart boundary was found"))
    parser = MultipartParser(
        boundary,
        max_header_size=max_part_header_size,
        max_body_size=limit,
    )
    parts: list[ApplicationPart] = []
    fields: list[tuple[str, str]] = []
    try:
        error = _consume(read, parser, parts, encoding, config, location, max_part_count)
        if error is None:
            error = _add_fields(parts, encoding, max_post_size, fields)
    except BaseException:
        MultipartState(parts).cleanup()
        raise
    if error is not None:
        MultipartState(parts).cleanup()
        # Tomcat keeps the fields added before the failure as parameters.
        return MultipartState([], error, fields)
    return MultipartState(parts, None, fields)


def _consume(
    read: Callable[[int], bytes],
    parser: MultipartParser,
    parts: list[ApplicationPart],
    encoding: str,
    config: MultipartConfigElement,
    location: str,
    max_part_count: int,
) -> Exception | None:
    """Feed the parser until the body ends; the error, if any."""
    current: ApplicationPart | None = None
    name = ""
    while not parser.done:
        data = read(_READ_SIZE)
        events = parser.feed(data) if data else parser.feed_eof()
        for event in events:
            if isinstance(event, PartData):
                if current is not None:
                    # max-file-size counts only the parts kept (Tomcat
                    # discards a part without a name unchecked).
                    if 0 <= config.max_file_size < current.get_size() + len(event.data):
                        return IllegalStateError(
                            f"The field {name} exceeds its maximum permitted size of {config.max_file_size} bytes."
                        )
                    current.append(event.data)
            elif isinstance(event, PartStart):
                headers = parse_part_headers(event.raw_headers, encoding)
                name_or_none, file_name = content_disposition(headers)
                if name_or_none is None:  # Tomcat ignores a part without a form-data name
                    current = None
                    continue
                name = name_or_none
                if 0 <= max_part_count <= len(parts):
                    return IllegalStateError(
                        f"the request has more than {max_part_count} parts (the Connector's maxPartCount)"
                    )
                current = ApplicationPart(name, file_name, headers, location, config.file_size_threshold)
                parts.append(current)
            elif isinstance(event, PartEnd):
                if current is not None:
                    current.finish()
                current = None
            elif isinstance(event, MultipartFailed):
                if event.reason == "malformed":
                    return MultipartIOError(f"Processing of multipart/form-data request failed. {event.message}")
                return IllegalStateError(event.message)
    return None


def _add_fields(
    parts: list[ApplicationPart],
    encoding: str,
    max_post_size: int,
    fields: list[tuple[str, str]],
) -> Exception | None:
    """The form fields as parameters, counted against ``maxPostSize`` as
    Tomcat counts them (``name=value&``)."""
    post_size = 0
    for part in parts:
        if part.get_submitted_file_name() is not None:
            continue
        name = part.get_name()
        if max_post_size >= 0:
            post_size += len(name.encode(encoding, "replace")) + 1 + part.get_size() + 1
            if post_size > max_post_size:
                return IllegalStateError(
                    "Parameters were not parsed because the size of the posted data was too big. "
                    "Because this request was a multi-part request, the data was not read "
                    "(the Connector's maxPostSize)"
                )
        fields.append((name, part.get_string(encoding)))
    return None


def context_temp_dir(context: object) -> str:
    """The context's temporary directory: its ``jakarta.servlet.context.tempdir``
    attribute (its work directory, set at deployment), read as Tomcat
    reads it; else its work directory (created if missing); else the
    system's temporary directory."""
    get_servlet_context = getattr(context, "get_servlet_context", None)
    if get_servlet_context is not None:
        value = get_servlet_context().get_attribute(TEMPDIR)
        if value:
            return os.fspath(value)
    work_dir = getattr(context, "work_dir", None)
    if not work_dir:
        return tempfile.gettempdir()
    os.makedirs(work_dir, exist_ok=True)
    return str(work_dir)


def _part_limit(channel: Any) -> int:
    """The Connector's ``maxPartCount``, lowered to its ``maxParameterCount``
    when that is smaller (Tomcat takes the smaller of the two, less the
    parameters already parsed; catalina_py does not subtract those)."""
    limit: int = getattr(channel, "max_part_count", DEFAULT_MAX_PART_COUNT)
    parameters: int = getattr(channel, "max_parameter_count", -1)
    if parameters >= 0 and (limit < 0 or parameters < limit):
        return parameters
    return limit


def parse_request_parts(
    request: Any, mapping: Any, channel: Any, read: Callable[[int], bytes], explicit: bool
) -> MultipartState:
    """The parts of *request* (Tomcat's ``Request.parseParts``): read with
    the multipart configuration of the servlet of *mapping* (the one the
    request was first mapped to, not a forward's target: Tomcat's
    ``Request.getWrapper``); without
    one, an ``IllegalStateError`` when asked for explicitly (``get_parts``)
    and no parts when only the parameters are wanted, unless the context
    has ``allowCasualMultipartParsing`` (then the Connector's
    ``maxPostSize`` is every limit)."""
    config: MultipartConfigElement | None = getattr(mapping.wrapper, "multipart_config", None)
    context = mapping.context
    max_post_size: int = getattr(channel, "max_post_size", -1)
    if config is None:
        if getattr(context, "allow_casual_multipart_parsing", False):
            config = MultipartConfigElement("", max_post_size, max_post_size, max(max_post_size, 0))
        elif explicit:
            return MultipartState(
                [], IllegalStateError("Unable to process parts as no multi-part configuration has been provided")
            )
        else:
            return MultipartState([])
    length = request.get_content_length()
    return read_parts(
        read,
        request.get_content_type(),
        None if length < 0 else length,
        request.get_character_encoding() or "utf-8",
        config,
        context_temp_dir(context),
        max_part_count=_part_limit(channel),
        max_part_header_size=getattr(channel, "max_part_header_size", DEFAULT_MAX_PART_HEADER_SIZE),
        max_post_size=max_post_size,
    )
