"""The authenticator valves (Tomcat's ``org.apache.catalina.authenticator``):
a valve at the head of a context's pipeline that applies the webapp's
``<security-constraint>`` elements and its ``<login-config>`` before any
filter, servlet or WebSocket handshake sees the request."""
