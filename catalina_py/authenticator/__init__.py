"""The authenticator valves (Tomcat's ``org.apache.catalina.authenticator``):
a valve in a context's pipeline (before its basic valve) that applies the webapp's
``<security-constraint>`` elements and its ``<login-config>`` before any
filter, servlet or WebSocket handshake sees the request."""
