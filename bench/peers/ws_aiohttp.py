"""Peer of bench/ws_echo.py: an aiohttp web.Application whose WebSocketResponse echoes every message unchanged.

    bench/.venv/bin/python bench/peers/ws_aiohttp.py PORT           # ws://127.0.0.1:PORT/echo

One process, ``web.run_app`` on 127.0.0.1 with the default asyncio event loop and no access log. The
handler reads the messages with ``async for`` and sends text back with ``send_str`` and binary with
``send_bytes``. Set apart from the defaults: compression off (``compress=False``; the client offers no
permessage-deflate anyway) and ``max_msg_size`` written out (1 MiB: a 64 KiB message fits; the default
is 4 MiB). Kept as shipped: no heartbeat (aiohttp sends no pings unless asked to) and autoping (the
client's pings are answered). SIGTERM stops the server (run_app's signal handling).
"""

from __future__ import annotations

import sys

from aiohttp import WSMsgType, web

#: Largest message accepted, in bytes.
MAX_SIZE = 1 << 20


async def echo(request: web.Request) -> web.WebSocketResponse:
    """Upgrades the request and sends every message back, until the client closes."""
    ws = web.WebSocketResponse(compress=False, max_msg_size=MAX_SIZE)
    await ws.prepare(request)
    async for message in ws:
        if message.type is WSMsgType.TEXT:
            await ws.send_str(message.data)
        elif message.type is WSMsgType.BINARY:
            await ws.send_bytes(message.data)
    return ws


def main(port: int) -> None:
    """Serves /echo on 127.0.0.1:``port`` until SIGTERM."""
    app = web.Application()
    app.router.add_get("/echo", echo)
    print(f"aiohttp echo on ws://127.0.0.1:{port}/echo", flush=True)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


if __name__ == "__main__":
    main(int(sys.argv[1]))
