"""WebSocket examples of the examples webapp, modelled on Tomcat's
``websocket`` example package.

Each module holds one or more classes decorated with ``@server_endpoint``;
the container finds them when the webapp is deployed (as it finds
``@web_servlet`` classes), so nothing about them is in ``web.xml``.
Their paths are relative to the context, like a servlet mapping:

- ``echo``: ``/websocket/echo`` and ``/websocket/echoAsync``, each
  message sent straight back;
- ``chat``: ``/websocket/chat``, a chat room broadcasting every message
  to everyone connected;
- ``drawboard``: ``/websocket/drawboard``, a shared canvas where every
  user's strokes appear for everyone.

The pages that use them are ``/examples/websocket/*.html``.
"""
