"""The servlet API webapps import: Jakarta Servlet names in PEP 8 spelling."""

from .annotation import multipart_config, web_filter, web_listener, web_servlet
from .asynchronous import AsyncContext, AsyncEvent, AsyncListener, IllegalStateError
from .context import ServletContext
from .cookies import Cookie
from .exceptions import ServletException, UnavailableException
from .filter import (
    DispatcherType,
    Filter,
    FilterChain,
    FilterConfig,
    GenericFilter,
    HttpFilter,
    HttpServletRequestWrapper,
    HttpServletResponseWrapper,
)
from .http import GenericServlet, HttpServlet, ServletConfig
from .listeners import (
    HttpSessionAttributeListener,
    HttpSessionBindingEvent,
    HttpSessionEvent,
    HttpSessionIdListener,
    HttpSessionListener,
    ServletContextAttributeEvent,
    ServletContextAttributeListener,
    ServletContextEvent,
    ServletContextListener,
    ServletRequestAttributeEvent,
    ServletRequestAttributeListener,
    ServletRequestEvent,
    ServletRequestListener,
)
from .mapping import HttpServletMapping, RequestDispatcher
from .part import MultipartConfigElement, Part
from .request import HttpServletRequest, ServletConnection, ServletInputStream
from .response import HttpServletResponse, ServletOutputStream, ServletWriter

__all__ = [
    "AsyncContext",
    "AsyncEvent",
    "AsyncListener",
    "IllegalStateError",
    "Cookie",
    "MultipartConfigElement",
    "Part",
    "GenericServlet",
    "HttpServlet",
    "HttpServletRequest",
    "HttpServletResponse",
    "ServletConfig",
    "ServletConnection",
    "ServletContext",
    "ServletException",
    "ServletInputStream",
    "ServletOutputStream",
    "ServletWriter",
    "UnavailableException",
    # listeners (listeners.py)
    "HttpSessionAttributeListener",
    "HttpSessionBindingEvent",
    "HttpSessionEvent",
    "HttpSessionIdListener",
    "HttpSessionListener",
    "ServletContextAttributeEvent",
    "ServletContextAttributeListener",
    "ServletContextEvent",
    "ServletContextListener",
    "ServletRequestAttributeEvent",
    "ServletRequestAttributeListener",
    "ServletRequestEvent",
    "ServletRequestListener",
    # filters, wrappers and dispatching (filter.py, mapping.py)
    "DispatcherType",
    "Filter",
    "FilterChain",
    "FilterConfig",
    "GenericFilter",
    "HttpFilter",
    "HttpServletMapping",
    "HttpServletRequestWrapper",
    "HttpServletResponseWrapper",
    "RequestDispatcher",
    # annotations (annotation.py)
    "multipart_config",
    "web_filter",
    "web_listener",
    "web_servlet",
]
