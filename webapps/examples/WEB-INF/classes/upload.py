"""File upload: a ``multipart/form-data`` form posted back to the same
servlet, which lists the parts it received (``request.get_parts()``).

The servlet is declared by its decorators alone: ``@web_servlet`` maps it
and ``@multipart_config`` lets it receive parts (the same settings as a
``<multipart-config>`` in ``web.xml``). Parts larger than
``file_size_threshold`` are written to a temporary file as they arrive and
deleted when the request ends; the limits answer with an
``IllegalStateError``, which this servlet turns into a 413 page.
"""

import hashlib
import html

from catalina_py.servlet import HttpServlet, IllegalStateError
from catalina_py.servlet.annotation import multipart_config, web_servlet

MAX_FILE_SIZE = 10 * 1024 * 1024
MAX_REQUEST_SIZE = 20 * 1024 * 1024
THRESHOLD = 64 * 1024

FORM = (
    '<form method="post" enctype="multipart/form-data">'
    '<p><label>Description <input name="description"></label></p>'
    '<p><label>Files <input type="file" name="files" multiple></label></p>'
    "<p><button>Upload</button></p></form>"
    f"<p>Limits: {MAX_FILE_SIZE // 1048576} MiB a file, {MAX_REQUEST_SIZE // 1048576} MiB a request; "
    f"parts over {THRESHOLD // 1024} KiB are kept on disk while the request runs.</p>"
)


def _size(count):
    return f"{count:,} bytes"


@web_servlet("/servlets/upload")
@multipart_config(max_file_size=MAX_FILE_SIZE, max_request_size=MAX_REQUEST_SIZE, file_size_threshold=THRESHOLD)
class UploadExample(HttpServlet):
    """Shows the parts of an upload: name, file name, type, size, SHA-256,
    where the container kept it, and its headers."""

    def do_get(self, request, response):
        self._page(response, "<p>Choose one or more files and upload them.</p>" + FORM)

    def do_post(self, request, response):
        try:
            parts = request.get_parts()
        except IllegalStateError as exc:
            response.set_status(413)
            self._page(response, f"<p class=\"error\">Refused: {html.escape(str(exc))}</p>" + FORM)
            return
        rows = []
        for part in parts:
            digest = hashlib.sha256()
            with part.get_input_stream() as stream:
                for block in iter(lambda: stream.read(65536), b""):
                    digest.update(block)
            file_name = part.get_submitted_file_name()
            headers = "<br>".join(
                html.escape(f"{name}: {value}") for name in part.get_header_names() for value in part.get_headers(name)
            )
            rows.append(
                "<tr>"
                f"<td>{html.escape(part.get_name())}</td>"
                f"<td>{'<em>not a file</em>' if file_name is None else html.escape(file_name)}</td>"
                f"<td>{html.escape(part.get_content_type() or '')}</td>"
                f"<td>{_size(part.get_size())}</td>"
                f"<td>{'memory' if part.get_size() <= THRESHOLD else 'temporary file'}</td>"
                f"<td><code>{digest.hexdigest()[:16]}</code></td>"
                f"<td>{headers}</td>"
                "</tr>"
            )
        description = request.get_parameter("description")
        body = (
            f"<p>{len(parts)} part(s) received. The form field <code>description</code> is also a "
            f"request parameter: <b>{html.escape(description or '')}</b></p>"
            "<table><tr><th>Name</th><th>File name</th><th>Content type</th><th>Size</th>"
            "<th>Kept in</th><th>SHA-256 (start)</th><th>Headers</th></tr>" + "".join(rows) + "</table>"
            "<p>The temporary files are deleted now that the request has ended.</p>" + FORM
        )
        self._page(response, body)

    def _page(self, response, body):
        response.set_content_type("text/html;charset=UTF-8")
        response.get_writer().write(
            "<!doctype html><html><head><meta charset=\"utf-8\"><title>File Upload</title>"
            '<link rel="stylesheet" href="/catalina.css"></head><body>'
            "<h1>File Upload</h1>" + body + '<p><a href="../">Examples</a></p></body></html>'
        )
