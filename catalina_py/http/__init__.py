"""The pure HTTP/1.1 core: the RFC 9110/9112 grammar (``grammar``),
``Headers``, request-target and URI parsing (``uri``), the request-head
parser (``parser``), body framing (``body``), response planning
(``plan``), the response writer (``writer``) and the errors (``errors``).

Standard library only: nothing here does I/O or imports the rest of
catalina_py; the connector is the gevent I/O around it.
"""
