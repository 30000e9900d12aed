"""The pure RFC 6455 / RFC 7692 core of catalina_py's WebSocket: no I/O, no
clock, no socket, standard library only.

``frames`` (the wire format), ``protocol`` (the server-side state machine
and :class:`~catalina_py.websocket.core.protocol.WsState`), ``handshake``
(the opening-handshake checks and the ``Sec-WebSocket-Accept``),
``permessage_deflate`` (RFC 7692), ``utf8`` (incremental validation) and
``uri_template`` (endpoint paths such as ``/chat/{room}``). The server side
in :mod:`catalina_py.websocket` drives it with the bytes of a socket.
"""
