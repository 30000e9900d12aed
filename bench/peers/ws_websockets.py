"""Peer of bench/ws_echo.py: the websockets library's asyncio server, echoing every message unchanged.

    bench/.venv/bin/python bench/peers/ws_websockets.py PORT        # ws://127.0.0.1:PORT/echo

``websockets.asyncio.server.serve`` as its documentation shows it, on the default asyncio event loop:
the handler iterates over the connection's messages (text decoded to str, binary as bytes) and sends
each one back, so text stays text and binary stays binary. Set apart from the defaults: compression
off (the benchmark's client does not offer permessage-deflate anyway) and ``max_size`` written out
(1 MiB, the default: a 64 KiB message fits). Kept as shipped: the keepalive ping every 20 s
(``ping_interval``), which the client answers. The handler answers on any path; the benchmark uses
/echo. SIGTERM closes the server and its connections and exits.
"""

from __future__ import annotations

import asyncio
import signal
import sys

from websockets.asyncio.server import ServerConnection, serve

#: Largest message accepted, in bytes (the library's default, stated).
MAX_SIZE = 1 << 20


async def echo(websocket: ServerConnection) -> None:
    """Sends every message of the connection back, until the client closes it."""
    async for message in websocket:
        await websocket.send(message)


async def main(port: int) -> None:
    """Serves the echo on 127.0.0.1:``port`` until SIGTERM or SIGINT."""
    loop = asyncio.get_running_loop()
    stop: asyncio.Future[None] = loop.create_future()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, lambda: stop.done() or stop.set_result(None))
    async with serve(echo, "127.0.0.1", port, compression=None, max_size=MAX_SIZE):
        print(f"websockets echo on ws://127.0.0.1:{port}/echo", flush=True)
        await stop


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
