"""catalina_py: a Tomcat-style servlet container for Python on gevent.

The package is split the way Tomcat is: ``connector`` speaks HTTP/1.1 on
sockets (Tomcat's Coyote), ``container`` is the Engine/Host/Context/Wrapper
pipeline (Catalina), ``servlet`` is the API webapps import, ``servlets`` holds
the container's own servlets, ``config`` reads ``conf/*.xml`` and ``deploy``
turns folders under ``webapps/`` into running contexts.
"""

__version__ = "0.1.0"

#: The Tomcat release whose behaviour this version follows.
TOMCAT_REFERENCE = "10.1"
