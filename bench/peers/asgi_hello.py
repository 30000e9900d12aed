"""Peer 3: a raw ASGI hello-world app (no framework) for uvicorn.

    bench/.venv/bin/python -m uvicorn --app-dir bench/peers asgi_hello:app \
        --host 127.0.0.1 --port PORT --loop uvloop --http httptools --no-access-log
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hello_body import CONTENT_TYPE, HELLO_BODY  # noqa: E402

START = {
    "type": "http.response.start",
    "status": 200,
    "headers": [(b"content-type", CONTENT_TYPE), (b"content-length", str(len(HELLO_BODY)).encode())],
}
BODY = {"type": "http.response.body", "body": HELLO_BODY}


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    await send(START)
    await send(BODY)
