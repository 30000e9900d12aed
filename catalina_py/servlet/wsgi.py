"""The WSGI bridge: serve a PEP 3333 application as a servlet.

``WsgiServlet`` is an ordinary servlet; its init-param ``application``
names the WSGI callable as ``module:callable`` (``module`` is looked up in
the webapp's ``WEB-INF/classes`` first, then among installed packages)::

    <servlet>
      <servlet-name>flask</servlet-name>
      <servlet-class>catalina_py.servlet.wsgi.WsgiServlet</servlet-class>
      <init-param><param-name>application</param-name><param-value>site:app</param-value></init-param>
    </servlet>
    <servlet-mapping><servlet-name>flask</servlet-name><url-pattern>/site/*</url-pattern></servlet-mapping>

The mapping decides the split of the path: ``SCRIPT_NAME`` is the context
path plus the servlet path (``/ctx/site`` for ``/site/*``), ``PATH_INFO``
the rest; for the default mapping ``/`` (and ``/*``), ``SCRIPT_NAME`` is
the context path. Both are the %-decoded path as "bytes in a str" (each
byte one latin-1 character), as PEP 3333 asks.

The response: ``start_response`` sets status and headers on the servlet
response (nothing is sent yet); a body returned as a list or tuple is
buffered, so a short one goes out with a ``Content-Length``; any other
iterable is streamed, each non-empty block flushed as it comes (chunked
unless the application set a ``Content-Length``), as PEP 3333 requires.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any
from wsgiref.util import FileWrapper

from ..http.grammar import TOKEN_RE
from .exceptions import ServletException
from .http import HttpServlet

if TYPE_CHECKING:  # pragma: no cover
    from .request import HttpServletRequest
    from .response import HttpServletResponse

__all__ = [
    "WsgiServlet",
    "WsgiInput",
    "WsgiErrors",
    "WsgiResponder",
    "build_environ",
    "load_application",
    "run_application",
]

log = logging.getLogger("catalina_py.wsgi")

WsgiApp = Callable[[dict, Callable], Iterable[bytes]]

# Hop-by-hop fields (RFC 9110 7.6.1) an application must not set (PEP 3333);
# "Connection: close" is accepted and closes the connection after the response.
_HOP_BY_HOP = frozenset(
    (
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
    )
)
_STATUS = re.compile(r"([1-9][0-9]{2}) [^\x00-\x08\x0a-\x1f\x7f]*\Z")


# -- the application --------------------------------------------------------------


def load_application(spec: str, loader: Any = None) -> WsgiApp:
    """Resolve ``module:callable`` (the callable may be a dotted attribute
    path, ``module:factory.app``) through *loader* (a webapp's
    ``WebappLoader``: its ``load_class`` looks in ``WEB-INF/classes``
    first), or by a plain import without one.

    :raises ValueError: *spec* is not of the form ``module:callable``.
    :raises ImportError: the module or attribute does not exist.
    :raises TypeError: the object found is not callable.
    """
    if not isinstance(spec, str):
        raise ValueError(f"the WSGI application must be named as 'module:callable', not {spec!r}")
    module_name, sep, attr_path = spec.strip().partition(":")
    attrs = attr_path.split(".")
    if not sep or not module_name or not all(attrs):
        raise ValueError(f"the WSGI application must be named as 'module:callable', not {spec!r}")
    if loader is not None:
        obj = loader.load_class(f"{module_name}.{attrs[0]}")
    else:
        import importlib

        module = importlib.import_module(module_name)
        try:
            obj = getattr(module, attrs[0])
        except AttributeError:
            raise ImportError(f"module {module_name!r} has no attribute {attrs[0]!r}") from None
    for attr in attrs[1:]:
        try:
            obj = getattr(obj, attr)
        except AttributeError:
            raise ImportError(f"{spec!r}: no attribute {attr!r}") from None
    if not callable(obj):
        raise TypeError(f"the WSGI application {spec!r} is a {type(obj).__name__}, not a callable")
    return obj


# -- environ ------------------------------------------------------------------------


class WsgiInput:
    """``wsgi.input``: the request body (de-chunked, ending where the
    message ends) with ``read(n)``, ``readline``, ``readlines`` and
    iteration, over the servlet input stream."""

    def __init__(self, stream: Any) -> None:
        self._buffered = stream if isinstance(stream, io.BufferedIOBase) else io.BufferedReader(stream, 65536)

    def read(self, size: int | None = -1) -> bytes:
        return self._buffered.read(-1 if size is None else size)

    def readline(self, size: int | None = -1) -> bytes:
        return self._buffered.readline(-1 if size is None else size)

    def readlines(self, hint: int | None = -1) -> list[bytes]:
        return self._buffered.readlines(-1 if hint is None else hint)

    def __iter__(self) -> WsgiInput:
        return self

    def __next__(self) -> bytes:
        line = self._buffered.readline()
        if not line:
            raise StopIteration
        return line


class WsgiErrors:
    """``wsgi.errors``: text written here goes to the webapp's log, a
    line at a time."""

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self._logger = logger or log
        self._pending = ""

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"wsgi.errors takes str, not {type(text).__name__}")
        lines = (self._pending + text).split("\n")
        self._pending = lines.pop()
        for line in lines:
            self._logger.error("%s", line)
        return len(text)

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        if self._pending:
            self._logger.error("%s", self._pending)
            self._pending = ""


def _as_latin1(text: str, encoding: str) -> str:
    """A decoded path as PEP 3333's "bytes in a str": its bytes in the URI
    encoding, one latin-1 character each."""
    if text.isascii():
        return text
    return text.encode(encoding, "surrogateescape").decode("latin-1")


def build_environ(request: HttpServletRequest, default_mapping: bool = False, errors: Any = None) -> dict[str, Any]:
    """The PEP 3333 environ of *request*.

    With *default_mapping* (the servlet was reached through its ``/``
    mapping) the servlet path belongs to ``PATH_INFO`` and ``SCRIPT_NAME``
    is the context path.
    """
    encoding = getattr(request, "_uri_encoding", None) or "UTF-8"
    context_path = request.get_context_path()
    servlet_path = request.get_servlet_path()
    path_info = request.get_path_info()
    if default_mapping:
        script_name, path = context_path, servlet_path + (path_info or "")
    else:
        script_name, path = context_path + servlet_path, path_info or ""
    content_length = request.get_content_length()
    environ: dict[str, Any] = {
        "REQUEST_METHOD": request.get_method(),
        "SCRIPT_NAME": _as_latin1(script_name, encoding),
        "PATH_INFO": _as_latin1(path, encoding),
        "QUERY_STRING": request.get_query_string() or "",
        "SERVER_NAME": request.get_server_name(),
        "SERVER_PORT": str(request.get_server_port()),
        "SERVER_PROTOCOL": request.get_protocol(),
        "REMOTE_ADDR": request.get_remote_addr(),
        "REMOTE_PORT": str(request.get_remote_port()),
        "REQUEST_URI": request.get_request_uri() + (f"?{query}" if (query := request.get_query_string()) else ""),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": request.get_scheme(),
        "wsgi.input": WsgiInput(request.get_input_stream()),
        "wsgi.errors": errors if errors is not None else WsgiErrors(),
        "wsgi.multithread": True,  # greenlets: many requests at once
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        # The body ends where the HTTP message ends, chunked or not.
        "wsgi.input_terminated": True,
        "wsgi.file_wrapper": FileWrapper,
        "catalina_py.request": request,
    }
    content_type = request.get_content_type()
    if content_type:
        environ["CONTENT_TYPE"] = content_type
    if content_length >= 0:
        environ["CONTENT_LENGTH"] = str(content_length)
    for name in request.get_header_names():
        lower = name.lower()
        if lower in ("content-type", "content-length"):
            continue
        if "_" in name:
            # HTTP_X_A would be ambiguous between "X-A" and "X_A": drop
            # the underscore spelling, as nginx and gunicorn do.
            continue
        values = request.get_headers(name)
        key = "HTTP_" + name.upper().replace("-", "_")
        environ[key] = ("; " if lower == "cookie" else ",").join(values)
    return environ


# -- the response side ---------------------------------------------------------------


class WsgiResponder:
    """``start_response``, ``write`` and the body of one WSGI call, on a
    servlet response."""

    def __init__(self, response: HttpServletResponse) -> None:
        self._response = response
        self._stream = response.get_output_stream()
        self.status: str | None = None
        self.headers_sent = False  # a non-empty block was handed over

    def start_response(
        self, status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Callable[[bytes], None]:
        """PEP 3333 ``start_response``: record status and headers on the
        response. With *exc_info* after the headers were sent, the
        exception is raised again; before, the new status and headers
        replace the old ones."""
        if exc_info is not None:
            try:
                if self.headers_sent:
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None
        elif self.status is not None:
            raise RuntimeError("start_response() was called again without exc_info")
        code = self._check_status(status)
        checked = self._check_headers(headers)
        response = self._response
        if self.status is not None:
            response.reset()
        response.set_status(code)
        for name, value in checked:
            if name.lower() == "content-length":
                try:
                    length = int(value)
                except ValueError:
                    raise ValueError(f"Content-Length {value!r} is not a number") from None
                response.set_content_length(length)
            else:
                response.add_header(name, value)
        self.status = status
        return self.write

    @staticmethod
    def _check_status(status: Any) -> int:
        if not isinstance(status, str):
            raise TypeError(f"the WSGI status must be a str, not {type(status).__name__}")
        match = _STATUS.match(status)
        if match is None:
            raise ValueError(f"the WSGI status {status!r} is not of the form '200 OK'")
        return int(match.group(1))

    @staticmethod
    def _check_headers(headers: Any) -> list[tuple[str, str]]:
        if type(headers) is not list:
            raise TypeError(f"the WSGI headers must be a list, not {type(headers).__name__}")
        checked = []
        for item in headers:
            if type(item) is not tuple or len(item) != 2:
                raise TypeError(f"a WSGI header must be a (name, value) tuple, not {item!r}")
            name, value = item
            if not isinstance(name, str) or not isinstance(value, str):
                raise TypeError(f"WSGI header names and values must be str: {item!r}")
            if not TOKEN_RE.match(name):
                raise ValueError(f"invalid header name {name!r}")
            if "\r" in value or "\n" in value or "\x00" in value:
                raise ValueError(f"header {name!r}: the value must not contain CR, LF or NUL")
            try:
                value.encode("latin-1")
            except UnicodeEncodeError:
                raise ValueError(f"header {name!r}: the value must be latin-1 text") from None
            lower = name.lower()
            if lower in _HOP_BY_HOP and not (lower == "connection" and value.strip().lower() == "close"):
                raise ValueError(f"hop-by-hop header {name!r} is not allowed in a WSGI response")
            checked.append((name, value))
        return checked

    def write(self, data: bytes) -> None:
        """The ``write`` callable: send *data* now (PEP 3333 wants it
        transmitted before ``write`` returns)."""
        self.send(data, flush=True)

    def send(self, data: bytes, flush: bool) -> None:
        """Hand a body block to the response; *flush* sends it now."""
        if type(data) is not bytes:
            if isinstance(data, (bytearray, memoryview)):
                data = bytes(data)
            else:
                raise TypeError(f"a WSGI application must produce bytes, not {type(data).__name__}")
        if self.status is None:
            raise RuntimeError("the WSGI application produced body data before calling start_response()")
        if not data:
            return
        self.headers_sent = True
        self._stream.write(data)
        if flush:
            self._response.flush_buffer()


def run_application(app: WsgiApp, environ: dict[str, Any], response: HttpServletResponse) -> None:
    """Call *app* and write what it produces to *response*; the result's
    ``close()`` is called in every case."""
    responder = WsgiResponder(response)
    result = app(environ, responder.start_response)
    try:
        # A list or tuple is all there: buffer it (a Content-Length when it
        # fits). Anything else may be slow to produce: stream each block.
        streaming = not isinstance(result, (list, tuple))
        for block in result:
            responder.send(block, flush=streaming)
        if responder.status is None:
            raise RuntimeError("the WSGI application returned without calling start_response()")
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()


# -- the servlet ------------------------------------------------------------------------


class WsgiServlet(HttpServlet):
    """Serves a WSGI application named by the init-param ``application``
    (``module:callable``); every method goes to the application."""

    application: WsgiApp | None = None

    def on_init(self) -> None:
        spec = self.get_init_parameter("application")
        if not spec:
            raise ServletException(
                f"servlet [{self.get_servlet_name()}]: the init-param 'application' "
                "(module:callable of a WSGI application) is missing"
            )
        context = self.get_servlet_context()
        container = getattr(context, "_context", None)
        loader = getattr(container, "loader", None)
        try:
            self.application = load_application(spec, loader)
        except (ImportError, ValueError, TypeError) as exc:
            raise ServletException(
                f"servlet [{self.get_servlet_name()}]: cannot load the WSGI application " f"{spec!r}: {exc}"
            ) from exc
        self._exact: set[str] = set()
        self._extensions: set[str] = set()
        self._has_default = False
        web_xml = getattr(container, "web_xml", None)
        for pattern, name in (getattr(web_xml, "servlet_mappings", None) or {}).items():
            if name != self.get_servlet_name():
                continue
            if pattern == "/":
                self._has_default = True
            elif pattern.startswith("*."):
                self._extensions.add(pattern[1:])
            elif not pattern.endswith("/*") and pattern != "":
                self._exact.add(pattern)
        self._logger = logging.getLogger(f"catalina_py.wsgi.{self.get_servlet_name()}")

    def is_default_mapping(self, request: HttpServletRequest) -> bool:
        """Whether *request* reached this servlet through its ``/``
        mapping (the servlet path is then the whole path in the context)."""
        if not self._has_default or request.get_path_info() is not None:
            return False
        servlet_path = request.get_servlet_path()
        if servlet_path in self._exact:
            return False
        return not any(servlet_path.endswith(ext) for ext in self._extensions)

    def service(self, request: HttpServletRequest, response: HttpServletResponse) -> None:
        assert self.application is not None, "WsgiServlet used before init()"
        environ = build_environ(request, self.is_default_mapping(request), WsgiErrors(self._logger))
        try:
            run_application(self.application, environ, response)
        finally:
            environ["wsgi.errors"].flush()
