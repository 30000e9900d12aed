"""Start-up and graceful shutdown of a real server process."""

from __future__ import annotations

import socket
import threading
import time

import requests

from tests.server import SERVER_XML, raw_request


def test_shutdown_command_stops_with_exit_0(make_server):
    server = make_server().start()
    server.shutdown_command()
    assert server.wait(15) == 0
    assert "Server stopped" in server.output()


def test_wrong_shutdown_command_is_ignored(make_server):
    server = make_server().start()
    server.shutdown_command(b"NOPE")
    time.sleep(0.3)
    assert server.proc.poll() is None
    assert requests.get(server.url + "/testapp/exact", timeout=10).status_code == 200
    assert "Invalid shutdown command" in server.output()


def test_sigterm_stops_gracefully(make_server):
    server = make_server().start()
    server.proc.terminate()
    assert server.wait(15) == 0


def test_in_flight_request_finishes_and_idle_connection_closes(make_server):
    server = make_server().start()
    idle = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    idle.sendall(b"GET /testapp/exact HTTP/1.1\r\nHost: a\r\n\r\n")
    assert idle.recv(65536).startswith(b"HTTP/1.1 200")
    result = {}

    def slow():
        result["raw"] = raw_request(
            server.port, b"GET /testapp/behave/sleep?s=1.5 HTTP/1.1\r\nHost: a\r\n\r\n", timeout=10
        )

    thread = threading.Thread(target=slow)
    thread.start()
    time.sleep(0.5)
    started = time.monotonic()
    server.shutdown_command()
    assert idle.recv(1024) == b""  # the idle keep-alive connection is closed at once
    assert time.monotonic() - started < 1.0
    thread.join(10)
    raw = result["raw"]
    assert raw.startswith(b"HTTP/1.1 200") and raw.endswith(b"slept")
    assert b"Connection: close" in raw
    assert server.wait(15) == 0


def test_shutdown_port_disabled(make_server):
    xml = SERVER_XML.replace('port="{shutdown_port}"', 'port="-1"')
    server = make_server(server_xml=xml).start()
    assert requests.get(server.url + "/testapp/exact", timeout=10).status_code == 200
    server.proc.terminate()
    assert server.wait(15) == 0


def test_catalina_base_without_web_xml_uses_home(make_server):
    server = make_server()
    assert not (server.base / "conf" / "web.xml").exists()
    server.start()
    response = requests.get(server.url + "/testapp/static/hello.txt", timeout=10)
    assert response.headers["Content-Type"].startswith("text/plain")


def test_port_in_use_fails_before_serving(make_server):
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen(1)
    port = holder.getsockname()[1]
    try:
        server = make_server()
        text = (server.base / "conf" / "server.xml").read_text().replace(f'port="{server.port}"', f'port="{port}"')
        (server.base / "conf" / "server.xml").write_text(text)
        try:
            server.start(timeout=20)
        except RuntimeError as exc:
            message = str(exc)
        else:
            raise AssertionError("the server started on a port in use")
        assert "already in use" in message and "server.xml" in message
    finally:
        holder.close()
