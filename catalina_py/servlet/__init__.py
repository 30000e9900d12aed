"""The servlet API webapps import: Jakarta Servlet names in PEP 8 spelling."""

from .context import ServletContext
from .cookies import Cookie
from .exceptions import ServletException, UnavailableException
from .http import GenericServlet, HttpServlet, ServletConfig
from .request import HttpServletRequest
from .response import HttpServletResponse

__all__ = [
    "Cookie",
    "GenericServlet",
    "HttpServlet",
    "HttpServletRequest",
    "HttpServletResponse",
    "ServletConfig",
    "ServletContext",
    "ServletException",
    "UnavailableException",
]
