"""``DefaultServlet``: serves a webapp's static files, as Tomcat's does.

Content-Type from the context's MIME mappings; a weak ETag and
Last-Modified on every file; conditional requests (304/412); byte ranges
(206, ``multipart/byteranges`` for several, 416 when unsatisfiable); HEAD;
a redirect from a directory without its trailing slash; no directory
listings unless ``listings`` is true. Files are streamed in blocks, never
read whole. The header logic lives in :mod:`.conditional` (pure, tested
without files). The files are :class:`~.resources.WebResource` objects: in
the webapp's folder, or in its WAR when it is served without expanding it.
"""

from __future__ import annotations

import codecs
import html
import os
from typing import TYPE_CHECKING, BinaryIO, Protocol
from urllib.parse import quote

from ..servlet.http import HttpServlet
from . import conditional
from .resources import RESOURCES_ATTR, ArchiveResources, WebResource, file_resource

if TYPE_CHECKING:  # pragma: no cover
    from ..servlet.request import HttpServletRequest
    from ..servlet.response import HttpServletResponse

BLOCK_SIZE = 64 * 1024


class _ByteSink(Protocol):
    """Where file bytes go: the response's output stream, or the writer
    adapter of :meth:`DefaultServlet._output`."""

    def write(self, data: bytes) -> object: ...


class DefaultServlet(HttpServlet):
    """Static file servlet mapped to ``/`` in ``conf/web.xml``."""

    def on_init(self) -> None:
        self.listings = (self.get_init_parameter("listings") or "false").lower() == "true"
        #: The webapp's ServletContext: its files (get_real_path) and MIME types.
        self.context = self.get_servlet_context()
        resources = self.context.get_attribute(RESOURCES_ATTR)
        #: The webapp's WAR when it is served without expanding it.
        self._archive = resources if isinstance(resources, ArchiveResources) else None

    # -- methods ----------------------------------------------------------
    def do_get(self, request: HttpServletRequest, response: HttpServletResponse) -> None:
        self._serve(request, response, content=True)

    def do_head(self, request: HttpServletRequest, response: HttpServletResponse) -> None:
        self._serve(request, response, content=False)

    def do_post(self, request: HttpServletRequest, response: HttpServletResponse) -> None:
        # As Tomcat: a POST to a static resource is answered like a GET.
        self._serve(request, response, content=True)

    def do_put(self, request: HttpServletRequest, response: HttpServletResponse) -> None:
        self._read_only(request, response)

    def do_delete(self, request: HttpServletRequest, response: HttpServletResponse) -> None:
        self._read_only(request, response)

    def _read_only(self, request: HttpServletRequest, response: HttpServletResponse) -> None:
        # readonly="true" (the default): writing methods are not allowed.
        response.set_header("Allow", "GET, HEAD, POST, OPTIONS")
        response.send_error(405, f"HTTP method {request.get_method()} is not supported by this URL")

    def do_options(self, request: HttpServletRequest, response: HttpServletResponse) -> None:
        response.set_header("Allow", "GET, HEAD, POST, OPTIONS")

    # -- serving ------------------------------------------------------------
    @staticmethod
    def relative_path(request: HttpServletRequest) -> str:
        """The path inside the webapp: the path info for a prefix mapping,
        else the servlet path (Tomcat's ``getRelativePath``). When included,
        the included paths (``jakarta.servlet.include.*``), not the caller's."""
        if request.get_attribute("jakarta.servlet.include.request_uri") is not None:
            path = request.get_attribute("jakarta.servlet.include.path_info")
            if path is None:
                path = request.get_attribute("jakarta.servlet.include.servlet_path")
        else:
            path = request.get_path_info()
            if path is None:
                path = request.get_servlet_path()
        return path or "/"

    @staticmethod
    def directory_redirect(request: HttpServletRequest) -> str:
        """Where a folder requested without its trailing slash redirects:
        the request URI (as sent, path parameters kept) plus ``/`` and the
        query, as Tomcat's ``doDirectoryRedirect``. Leading slashes are
        collapsed to one (and a backslash after the first dropped):
        ``GET //evil.com/..;/examples/x`` must not send ``Location:
        //evil.com/...``, which a browser reads as another host."""
        query = request.get_query_string()
        location = request.get_request_uri() + "/" + ("?" + query if query else "")
        while len(location) > 1 and location[1] in "/\\":
            location = location[1:]
        return location

    def _serve(self, request: HttpServletRequest, response: HttpServletResponse, content: bool) -> None:
        # WEB-INF and META-INF are refused for requests by the context valve
        # (and for links by resolve_path); a forward or include the webapp
        # makes into them is served, as Tomcat (the /WEB-INF/view pattern).
        path = self.relative_path(request)
        resource = self.lookup(path)
        if resource is None:
            self._not_found(request, response, path)
            return
        if resource.is_directory:
            if not path.endswith("/"):
                # encode_redirect_url: a session tracked in the URL stays (Tomcat).
                response.send_redirect(response.encode_redirect_url(self.directory_redirect(request)))
                return
            if self.listings:
                self._listing(request, response, path, content)
            else:
                self._not_found(request, response, path)
            return
        self._serve_file(request, response, path, resource, content)

    def lookup(self, path: str) -> WebResource | None:
        """The file or folder at the webapp path *path*: from the archive, or
        from the folder through ``get_real_path`` (its link rules)."""
        if self._archive is not None:
            return self._archive.get(path)
        return file_resource(path, self.context.get_real_path(path))

    @staticmethod
    def _not_found(request: HttpServletRequest, response: HttpServletResponse, path: str) -> None:
        """404 with Tomcat's message (the error page's
        ``jakarta.servlet.error.message``); in an include, where a status
        cannot be set, FileNotFoundError, so the including request fails
        with 500 as in Tomcat."""
        if request.get_attribute("jakarta.servlet.include.request_uri") is not None:
            raise FileNotFoundError(f"The requested resource [{path}] is not available")
        response.send_error(404, f"The requested resource [{request.get_request_uri()}] is not available")

    def _serve_file(
        self,
        request: HttpServletRequest,
        response: HttpServletResponse,
        path: str,
        resource: WebResource,
        content: bool,
    ) -> None:
        length = resource.length
        last_modified_ms = int(resource.last_modified * 1000)
        last_modified = last_modified_ms / 1000.0
        etag = conditional.make_etag(length, last_modified_ms)
        headers_get = request.get_header
        content_type = self.context.get_mime_type(path)
        if request.get_dispatcher_type() == "ERROR":
            # An error page: the whole file, with none of the validators or
            # range headers (they would describe the error response), as Tomcat.
            if content_type:
                response.set_content_type(content_type)
            response.set_content_length(length)
            if content:
                self._copy(resource, response, [(0, length - 1)] if length else [])
            return
        # Header order and presence as Tomcat's serveResource: a 304 carries
        # only the ETag, a 412 none of them, a 416 only Accept-Ranges.
        status = conditional.check_conditions(request.get_method(), headers_get, etag, last_modified)
        if status is not None:
            if status == 304:
                response.set_header("ETag", etag)
                response.set_status(304)
            else:
                response.send_error(status)
            return
        response.set_header("Accept-Ranges", "bytes")
        ranges = conditional.parse_range(
            headers_get("range"), headers_get("if-range"), length, etag, last_modified, method=request.get_method()
        )
        if ranges.kind == "bad_request":
            response.send_error(400, "Invalid If-Range header")
            return
        if ranges.kind == "unsatisfiable":
            response.set_header("Content-Range", f"bytes */{length}")
            response.send_error(416)
            return
        response.set_header("ETag", etag)
        response.set_header("Last-Modified", conditional.http_date(last_modified))
        if ranges.kind == "full":
            if content_type:
                response.set_content_type(content_type)
            response.set_content_length(length)
            if content:
                self._copy(resource, response, [(0, length - 1)] if length else [])
            return
        response.set_status(206)
        if len(ranges.ranges) == 1:
            start, end = ranges.ranges[0]
            if content_type:
                response.set_content_type(content_type)
            response.set_header("Content-Range", conditional.content_range(start, end, length))
            response.set_content_length(end - start + 1)
            if content:
                self._copy(resource, response, [(start, end)])
            return
        boundary = conditional.MIME_BOUNDARY
        part_type = content_type or "application/octet-stream"
        response.set_content_type(conditional.multipart_content_type(boundary))
        response.set_content_length(conditional.multipart_length(boundary, part_type, ranges.ranges, length))
        if not content:
            return
        out = self._output(response)
        with resource.open() as fh:
            for start, end in ranges.ranges:
                out.write(conditional.multipart_part_header(boundary, part_type, start, end, length))
                self._copy_range(fh, out, start, end)
            out.write(conditional.multipart_end(boundary))

    @staticmethod
    def _output(response: HttpServletResponse) -> _ByteSink:
        """The response's byte stream; or, when the including servlet already
        took the writer, an adapter that decodes the file's bytes (as UTF-8,
        incrementally, so a character split between blocks survives) onto
        it, as Tomcat's DefaultServlet falls back to the writer."""
        try:
            return response.get_output_stream()
        except RuntimeError:
            writer = response.get_writer()
            decoder = codecs.getincrementaldecoder("utf-8")("replace")

            class _Decoding:
                @staticmethod
                def write(data: bytes) -> None:
                    writer.write(decoder.decode(data))

            return _Decoding()

    def _copy(self, resource: WebResource, response: HttpServletResponse, ranges: list[tuple[int, int]]) -> None:
        out = self._output(response)
        with resource.open() as fh:
            for start, end in ranges:
                self._copy_range(fh, out, start, end)

    @staticmethod
    def _copy_range(fh: BinaryIO, out: _ByteSink, start: int, end: int) -> None:
        fh.seek(start)
        remaining = end - start + 1
        while remaining > 0:
            block = fh.read(min(BLOCK_SIZE, remaining))
            if not block:
                break  # the file shrank under us; the connection will close
            out.write(block)
            remaining -= len(block)

    def _listing(self, request: HttpServletRequest, response: HttpServletResponse, path: str, content: bool) -> None:
        """A plain HTML listing, only when ``listings`` is true."""
        uri = request.get_request_uri()
        entries = []
        for name, suffix in self._children(path):
            if name.upper() in ("WEB-INF", "META-INF"):
                continue
            entries.append(f'<li><a href="{quote(name)}{suffix}">{html.escape(name)}{suffix}</a></li>')
        title = html.escape(f"Directory Listing For [{uri}]")
        body = (
            f"<!doctype html><html><head><title>{title}</title></head><body>"
            f"<h1>{title}</h1><ul>{''.join(entries)}</ul></body></html>"
        )
        response.set_content_type("text/html;charset=UTF-8")
        if content:
            response.get_writer().write(body)

    def _children(self, path: str) -> list[tuple[str, str]]:
        """(name, "/" for a folder else "") of what the folder *path* holds."""
        if self._archive is not None:
            names = self._archive.list(path) or []
            return [(name.rstrip("/"), "/" if name.endswith("/") else "") for name in names]
        full = self.context.get_real_path(path)
        if full is None:
            return []
        return [(name, "/" if os.path.isdir(os.path.join(full, name)) else "") for name in sorted(os.listdir(full))]
