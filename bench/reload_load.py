#!/usr/bin/env python3
"""Reloads under a running load: the figures of "reload without a 503".

    python bench/reload_load.py [--rate 300] [--reloads 6] [--keepalive 4] [--new-connections 2]

Starts catalina_py (the checkout's .venv, a temporary CATALINA_BASE with
tests/integration/webapps/reload: the ``app`` webapp and the privileged
``reloader``), runs the paced load of tests/reload_load.py on
``/app/hello`` (threads on kept-alive connections and threads opening a
connection per request), and reloads the webapp *reloads* times, in turn by
a code change (reloadable), by the API (``HostConfig.reload`` from a
request), by a ``web.xml`` change (redeploy) and by the API's redeploy,
each time waiting until the new version answers. Prints the requests/s
achieved, the reloads done, the non-2xx answers, the reset connections and
the longest response time of a request started during a reload, beside
the longest outside one. The whole run is bounded (about 30 s by default,
never more than 60 s of load).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import requests  # noqa: E402  (the repository root first)

from tests.reload_load import Load  # noqa: E402
from tests.server import TEST_WEBAPPS, CatalinaProcess  # noqa: E402

SERVER_XML = """<?xml version="1.0" encoding="UTF-8"?>
<Server port="{shutdown_port}" shutdown="SHUTDOWN">
  <Service name="Catalina">
    <Connector port="{port}" address="127.0.0.1" protocol="HTTP/1.1" {connector_attrs}/>
    <Engine name="Catalina" defaultHost="localhost">
      <Host name="localhost" appBase="webapps" autoDeploy="true" backgroundProcessorDelay="1"/>
    </Engine>
  </Service>
</Server>
"""

TRIGGERS = ("code", "api-reload", "web.xml", "api-redeploy")


def token(server: CatalinaProcess) -> str:
    response = requests.get(server.url + "/app/hello", timeout=10)
    response.raise_for_status()
    return response.text.split()[1]


def trigger(server: CatalinaProcess, how: str, step: int) -> None:
    app = server.base / "webapps" / "app" / "WEB-INF"
    if how == "code":
        (app / "classes" / "version.py").write_text(f'VERSION = "{step + 2}"\n')
    elif how == "web.xml":
        web_xml = app / "web.xml"
        web_xml.write_text(web_xml.read_text().replace("</web-app>", f"<!-- {step} -->\n</web-app>"))
    else:
        op = how.removeprefix("api-")
        answer = requests.post(f"{server.url}/reloader/do", params={"op": op, "path": "/app"}, timeout=30)
        if answer.text != "OK":
            raise SystemExit(f"the API's {op} answered {answer.status_code} {answer.text!r}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=300.0, help="target requests/s, all threads together")
    parser.add_argument("--reloads", type=int, default=6)
    parser.add_argument("--keepalive", type=int, default=4, help="threads on kept-alive connections")
    parser.add_argument("--new-connections", type=int, default=2, help="threads opening a connection per request")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="reload-bench-"))
    server = CatalinaProcess(
        base / "base",
        webapps={"app": TEST_WEBAPPS / "reload" / "app", "reloader": TEST_WEBAPPS / "reload" / "reloader"},
        server_xml=SERVER_XML,
    )
    windows: list[tuple[float, float]] = []
    try:
        server.start()
        current = token(server)
        load = Load(
            server.port,
            "/app/hello",
            rate=args.rate,
            keepalive=args.keepalive,
            new_connections=args.new_connections,
            max_seconds=55,
        ).start()
        try:
            time.sleep(1.0)
            for step in range(args.reloads):
                began = time.monotonic()
                trigger(server, TRIGGERS[step % len(TRIGGERS)], step)
                deadline = began + 15
                while token(server) == current and time.monotonic() < deadline:
                    time.sleep(0.05)
                new = token(server)
                if new == current:
                    raise SystemExit(f"reload {step + 1} did not bring a new version within 15 s")
                current = new
                windows.append((began, time.monotonic()))
                time.sleep(1.0)
        finally:
            result = load.stop()
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)
    during = max((result.longest_between(a, b) for a, b in windows), default=0.0)
    outside = max((s.seconds for s in result.samples if not any(a <= s.started <= b for a, b in windows)), default=0.0)
    print(
        f"load:        {args.keepalive} keep-alive + {args.new_connections} new-connection threads, "
        f"target {args.rate:.0f} req/s"
    )
    print(f"requests:    {result.requests} in {result.ended - result.started:.1f} s = {result.rate:.0f} req/s")
    print(f"reloads:     {len(windows)} ({', '.join(TRIGGERS[i % len(TRIGGERS)] for i in range(len(windows)))})")
    print(f"reload time: {', '.join(f'{(b - a) * 1000:.0f}' for a, b in windows)} ms (trigger -> new version answers)")
    print(f"non-2xx:     {len(result.non_2xx)}")
    print(f"resets:      {len(result.resets)}")
    print(f"longest response started during a reload: {during * 1000:.1f} ms; outside: {outside * 1000:.1f} ms")
    return 0 if not result.non_2xx and not result.resets else 1


if __name__ == "__main__":
    sys.exit(main())
