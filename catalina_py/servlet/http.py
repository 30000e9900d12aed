"""``HttpServlet``: the base class of webapp servlets.

``service`` dispatches on the method to ``do_get``, ``do_post`` ... as
``jakarta.servlet.http.HttpServlet`` does; a method the servlet does not
implement gets 405 with an ``Allow`` header listing the ones it does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from .context import ServletContext
    from .request import HttpServletRequest
    from .response import HttpServletResponse


class ServletConfig:
    """A servlet's name, init parameters and context (``jakarta.servlet.ServletConfig``)."""

    def __init__(self, name: str, init_params: dict[str, str], context: ServletContext) -> None:
        self._name = name
        self._init_params = dict(init_params)
        self._context = context

    def get_servlet_name(self) -> str:
        return self._name

    def get_init_parameter(self, name: str) -> str | None:
        return self._init_params.get(name)

    def get_init_parameter_names(self) -> list[str]:
        return list(self._init_params)

    def get_servlet_context(self) -> ServletContext:
        return self._context


class GenericServlet:
    """A protocol-independent servlet: ``init``, ``service``, ``destroy``."""

    def __init__(self) -> None:
        self._config: ServletConfig | None = None

    def init(self, config: ServletConfig) -> None:
        """Called once before the first request; override ``on_init`` for set-up."""
        self._config = config
        self.on_init()

    def on_init(self) -> None:
        """Set-up hook, the Python spelling of the no-argument ``init()``."""

    def destroy(self) -> None:
        """Called once when the context stops."""

    def get_servlet_config(self) -> ServletConfig:
        assert self._config is not None, "servlet used before init()"
        return self._config

    def get_servlet_context(self) -> ServletContext:
        return self.get_servlet_config().get_servlet_context()

    def get_init_parameter(self, name: str) -> str | None:
        return self.get_servlet_config().get_init_parameter(name)

    def get_servlet_name(self) -> str:
        return self.get_servlet_config().get_servlet_name()

    def log(self, message: str, exc: BaseException | None = None) -> None:
        self.get_servlet_context().log(f"{self.get_servlet_name()}: {message}", exc)

    def service(self, request: Any, response: Any) -> None:  # pragma: no cover - abstract
        raise NotImplementedError


_METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "TRACE")


class HttpServlet(GenericServlet):
    """Base class for HTTP servlets; override the ``do_*`` methods you need."""

    def service(self, request: HttpServletRequest, response: HttpServletResponse) -> None:
        method = request.get_method()
        if method == "GET":
            self.do_get(request, response)
        elif method == "POST":
            self.do_post(request, response)
        elif method == "HEAD":
            self.do_head(request, response)
        elif method == "PUT":
            self.do_put(request, response)
        elif method == "DELETE":
            self.do_delete(request, response)
        elif method == "OPTIONS":
            self.do_options(request, response)
        elif method == "TRACE":
            self.do_trace(request, response)
        else:
            # Tomcat answers 501 for a method HttpServlet does not know.
            response.send_error(501, f"Method {method} is not implemented by this servlet")

    def _not_allowed(self, request: HttpServletRequest, response: HttpServletResponse) -> None:
        response.set_header("Allow", self._allowed_methods())
        method = request.get_method()
        response.send_error(405, f"HTTP method {method} is not supported by this URL")

    def _implements(self, name: str) -> bool:
        return getattr(type(self), name) is not getattr(HttpServlet, name)

    def _allowed_methods(self) -> str:
        allowed = []
        if self._implements("do_get"):
            allowed += ["GET", "HEAD"]
        for method, name in (("POST", "do_post"), ("PUT", "do_put"), ("DELETE", "do_delete")):
            if self._implements(name):
                allowed.append(method)
        allowed += ["OPTIONS"]
        if self._trace_allowed():
            allowed.append("TRACE")
        return ", ".join(allowed)

    def _trace_allowed(self) -> bool:
        # Tomcat disables TRACE by default (Connector allowTrace="false").
        return False

    def do_get(self, request: HttpServletRequest, response: HttpServletResponse) -> None:
        self._not_allowed(request, response)

    def do_head(self, request: HttpServletRequest, response: HttpServletResponse) -> None:
        """Runs ``do_get`` and sends only its head (the connection drops the body)."""
        if self._implements("do_get"):
            self.do_get(request, response)
        else:
            self._not_allowed(request, response)

    def do_post(self, request: HttpServletRequest, response: HttpServletResponse) -> None:
        self._not_allowed(request, response)

    def do_put(self, request: HttpServletRequest, response: HttpServletResponse) -> None:
        self._not_allowed(request, response)

    def do_delete(self, request: HttpServletRequest, response: HttpServletResponse) -> None:
        self._not_allowed(request, response)

    def do_options(self, request: HttpServletRequest, response: HttpServletResponse) -> None:
        response.set_header("Allow", self._allowed_methods())

    def do_trace(self, request: HttpServletRequest, response: HttpServletResponse) -> None:
        self._not_allowed(request, response)

    def get_last_modified(self, request: HttpServletRequest) -> float:
        """Seconds since the epoch the resource last changed, or -1 if unknown."""
        return -1
