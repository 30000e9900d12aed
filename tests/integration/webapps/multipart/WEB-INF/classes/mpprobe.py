"""Multipart servlets for tests/integration/test_multipart.py.

``UpServlet`` and its siblings print what they received in the same text
format as the Java servlets the behaviour was compared with on Tomcat
10.1.60 (docs/multipart.md), so the two outputs can be compared line by
line: exceptions are printed with the Java class they stand for.
"""

import hashlib
import os

from catalina_py.servlet import HttpServlet, IllegalStateError, ServletException
from catalina_py.servlet.annotation import multipart_config, web_servlet
from catalina_py.servlet.context import TEMPDIR

JAVA_NAMES = {
    IllegalStateError: "java.lang.IllegalStateException",
    ServletException: "jakarta.servlet.ServletException",
}


def java_name(exc):
    for kind, name in JAVA_NAMES.items():
        if isinstance(exc, kind):
            return name
    if isinstance(exc, OSError):
        return "java.io.IOException"
    return type(exc).__name__


def temp_files(request):
    """upload_* files in the context's temporary directory."""
    directory = request.get_servlet_context().get_attribute(TEMPDIR)
    return sum(1 for name in os.listdir(directory) if name.startswith("upload_"))


def java_list(values):
    return "[" + ", ".join(values) + "]"


def report(request, response):
    response.set_content_type("text/plain;charset=UTF-8")
    out = response.get_writer()
    if request.get_parameter("throw") is not None:
        request.get_parts()
    try:
        parts = request.get_parts()
        out.write(f"parts {len(parts)}\n")
        for part in parts:
            file_name = part.get_submitted_file_name()
            out.write(
                f"part name={part.get_name()} file={'null' if file_name is None else file_name} "
                f"ctype={part.get_content_type() or 'null'} size={part.get_size()}\n"
            )
            for name in part.get_header_names():
                out.write(f"  header {name}: {java_list(part.get_headers(name))} first={part.get_header(name)}\n")
            with part.get_input_stream() as stream:
                data = stream.read()
            text = data.decode("latin-1").replace("\r", "\\r").replace("\n", "\\n")
            out.write(f"  body {text}\n")
            out.write(f"  class {'ByteArrayInputStream' if part.is_in_memory() else 'ChannelInputStream'}\n")
        out.write(f"getPart(nosuch)={request.get_part('nosuch') or 'null'}\n")
    except Exception as exc:
        out.write(f"EXC {java_name(exc)}: {exc}\n")
    for name, values in sorted(request.get_parameter_map().items()):
        out.write(f"param {name}={java_list(values)}\n")
    out.write(f"tempfiles {temp_files(request)}\n")


class UpServlet(HttpServlet):
    """Twin of Up.java (its multipart-config is in web.xml)."""

    def do_post(self, request, response):
        report(request, response)

    def do_put(self, request, response):
        report(request, response)


class NoConfigServlet(HttpServlet):
    """No multipart configuration: parameters first, then get_parts()."""

    def do_post(self, request, response):
        report(request, response)


class NoConfigPartsFirstServlet(HttpServlet):
    """No multipart configuration: get_parts() first."""

    def do_post(self, request, response):
        response.set_content_type("text/plain")
        out = response.get_writer()
        if request.get_query_string() is None:
            try:
                request.get_parts()
                out.write("ok\n")
            except Exception as exc:
                out.write(f"EXC {java_name(exc)}: {exc}\n")
            value = request.get_parameter("a")
            out.write(f"param {'null' if value is None else value}\n")
        else:
            request.get_part("a")


@web_servlet("/big")
@multipart_config()
class BigServlet(HttpServlet):
    """Twin of Big.java: the annotation's defaults (threshold 0, no limits)."""

    def do_post(self, request, response):
        report(request, response)


@web_servlet("/digest")
@multipart_config(file_size_threshold=65536)
class DigestServlet(HttpServlet):
    """The SHA-256 and size of each part, read from its stream; where it
    was kept; the temporary files seen while the request runs."""

    def do_post(self, request, response):
        response.set_content_type("text/plain")
        out = response.get_writer()
        for part in request.get_parts():
            digest = hashlib.sha256()
            with part.get_input_stream() as stream:
                while True:
                    block = stream.read(65536)
                    if not block:
                        break
                    digest.update(block)
            where = "memory" if part.is_in_memory() else "disk"
            out.write(f"{part.get_name()} {part.get_size()} {digest.hexdigest()} {where}\n")
        out.write(f"tempfiles {temp_files(request)}\n")


class SaveServlet(HttpServlet):
    """Part.write() into the multipart location (relative: under the
    context's temporary directory), then Part.delete()."""

    def do_post(self, request, response):
        response.set_content_type("text/plain")
        out = response.get_writer()
        location = os.path.join(request.get_servlet_context().get_attribute(TEMPDIR), "uploads")
        os.makedirs(location, exist_ok=True)  # Tomcat does not create it either (createUploadTargets)
        part = request.get_part("f")
        target = request.get_parameter("as") or "saved.bin"
        part.write(target)
        with open(os.path.join(location, target), "rb") as saved:
            out.write(f"saved {len(saved.read())}\n")
        part.delete()
        out.write(f"tempfiles {sum(1 for n in os.listdir(location) if n.startswith('upload_'))}\n")


@web_servlet("/fwd")
class ForwardServlet(HttpServlet):
    """No multipart configuration; forwards to /nocfg2 (twin of Fwd.java)."""

    def do_post(self, request, response):
        request.get_request_dispatcher("/nocfg2").forward(request, response)


@web_servlet("/fwdcfg")
@multipart_config()
class ForwardWithConfigServlet(HttpServlet):
    """A multipart configuration; forwards to /nocfg2, which has none: the
    parts are there, as in Tomcat (twin of FwdCfg.java)."""

    def do_post(self, request, response):
        request.get_request_dispatcher("/nocfg2").forward(request, response)


@web_servlet("/fwd2")
class ForwardToConfiguredServlet(HttpServlet):
    """No multipart configuration; forwards to /big, which has one: no
    parts, as in Tomcat (twin of Fwd2.java)."""

    def do_post(self, request, response):
        request.get_request_dispatcher("/big").forward(request, response)
