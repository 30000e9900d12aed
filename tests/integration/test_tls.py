"""The TLS Connector against real clients: ``requests``, the ``websockets``
client (wss://), ``openssl s_client`` and curl, with certificates the
tests make with the openssl command (a root CA -> intermediate ->
server chain, and a self-signed certificate for a second SNI name).

Also what is not TLS on the TLS port: plain HTTP (Tomcat's 400), a client
that never starts the handshake (closed after connectionTimeout), garbage
(closed, and no other connection notices).
"""

from __future__ import annotations

import os
import shutil
import socket
import ssl
import subprocess
import threading
import time
from pathlib import Path

import pytest
import requests
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from catalina_py.http.tls_sniff import USE_TLS_RESPONSE
from tests import tls_certs
from tests.ci import skip_or_fail
from tests.server import TEST_WEBAPPS, CatalinaProcess

#: connectionTimeout of the server under test (ms): the handshake's bound.
CONNECTION_TIMEOUT_MS = 2000

SERVER_XML = """<?xml version="1.0" encoding="UTF-8"?>
<Server port="{shutdown_port}" shutdown="SHUTDOWN">
  <Service name="Catalina">
    <Connector port="{port}" address="127.0.0.1" SSLEnabled="true"
               connectionTimeout="%(timeout)d" {connector_attrs}>
      <SSLHostConfig>
        <Certificate certificateFile="certs/leaf.pem" certificateKeyFile="certs/leaf-key.pem"
                     certificateChainFile="certs/intermediate.pem"/>
      </SSLHostConfig>
      <SSLHostConfig hostName="other.test">
        <Certificate certificateFile="certs/other.pem" certificateKeyFile="certs/other-key.pem"/>
      </SSLHostConfig>
    </Connector>
    <Engine name="Catalina" defaultHost="localhost">
      <Host name="localhost" appBase="webapps" autoDeploy="false"/>
    </Engine>
  </Service>
</Server>
""" % {"timeout": CONNECTION_TIMEOUT_MS}


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory):
    missing = tls_certs.missing_openssl()
    if missing:
        skip_or_fail(missing)
    base = tmp_path_factory.mktemp("tls_base")
    certs = base / "certs"
    chain = tls_certs.chain(certs)
    tls_certs.self_signed(certs, "other", cn="other.test", san="subjectAltName=DNS:other.test")
    proc = CatalinaProcess(base, webapps={"tls": TEST_WEBAPPS / "tls"}, server_xml=SERVER_XML)
    proc.root_ca = chain.root  # type: ignore[attr-defined]
    proc.start()
    yield proc
    proc.stop()


def _client_context(server: CatalinaProcess) -> ssl.SSLContext:
    """A client context that trusts the test root CA only."""
    context = ssl.create_default_context(cafile=str(server.root_ca))  # type: ignore[attr-defined]
    return context


def _tls_connect(server: CatalinaProcess, timeout: float = 10.0) -> ssl.SSLSocket:
    raw = socket.create_connection(("127.0.0.1", server.port), timeout=timeout)
    return _client_context(server).wrap_socket(raw, server_hostname="localhost")


def _read_until_close(sock: socket.socket, limit: int = 64 << 20) -> bytes:
    data = bytearray()
    while len(data) < limit:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return bytes(data)


def _s_client(server: CatalinaProcess, *args: str, stdin: bytes = b"") -> str:
    """``openssl s_client`` against the server; stdout and stderr together."""
    done = subprocess.run(
        [tls_certs.OPENSSL, "s_client", "-connect", f"127.0.0.1:{server.port}", *args],
        input=stdin,
        capture_output=True,
        timeout=30,
    )
    return (done.stdout + done.stderr).decode("utf-8", "replace")


# -- HTTPS with requests -------------------------------------------------------


def test_requests_sees_https_and_the_servlet_sees_a_secure_request(tls_server):
    response = requests.get(f"https://localhost:{tls_server.port}/tls/info", verify=tls_server.root_ca, timeout=10)
    assert response.status_code == 200
    assert response.json() == {
        "scheme": "https",
        "secure": True,
        "server_port": tls_server.port,
        "request_url": f"https://localhost:{tls_server.port}/tls/info",
        "path": "/tls/info",
    }


def test_a_client_that_does_not_trust_the_root_refuses_the_server(tls_server):
    # The system's trust store has not the test root: verification must fail.
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"https://localhost:{tls_server.port}/tls/info", timeout=10)


def test_a_large_request_body_and_a_large_response_over_tls(tls_server):
    body = os.urandom(5 << 20)
    with requests.Session() as session:
        response = session.post(
            f"https://localhost:{tls_server.port}/tls/echo", data=body, verify=tls_server.root_ca, timeout=60
        )
        assert response.status_code == 200
        assert response.headers["X-Received"] == str(len(body))
        assert response.content == body
        size = 3 * (1 << 20) + 17
        response = session.get(
            f"https://localhost:{tls_server.port}/tls/big?size={size}", verify=tls_server.root_ca, timeout=60
        )
        assert len(response.content) == size
        assert response.content == (bytes(range(256)) * (size // 256 + 1))[:size]


def test_pipelined_requests_in_one_tls_write_are_all_answered_in_order(tls_server):
    body = b"x" * 40000  # more than two TLS records
    requests_bytes = (
        b"GET /tls/info?n=1 HTTP/1.1\r\nHost: localhost\r\n\r\n"
        + b"POST /tls/echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: %d\r\n\r\n" % len(body)
        + body
        + b"GET /tls/info?n=3 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    with _tls_connect(tls_server) as sock:
        sock.sendall(requests_bytes)
        answer = _read_until_close(sock)
    assert answer.count(b"HTTP/1.1 200 ") == 3
    first, second, third = (answer.index(b"HTTP/1.1 200 ", pos) for pos in (0, 1, answer.rindex(b"HTTP/1.1 200 ")))
    assert first < second < third
    assert b'"path": "/tls/info"' in answer[first:second]
    assert body in answer[second:third]
    assert b"Connection: close" in answer[third:]


def test_keep_alive_over_tls_serves_many_requests_on_one_connection(tls_server):
    with _tls_connect(tls_server) as sock:
        reader = sock.makefile("rb")
        for index in range(20):
            sock.sendall(b"GET /tls/info?i=%d HTTP/1.1\r\nHost: localhost\r\n\r\n" % index)
            status = reader.readline()
            assert status.startswith(b"HTTP/1.1 200"), status
            length = 0
            while (line := reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            assert b'"secure": true' in reader.read(length)


def test_curl_with_the_root_ca(tls_server):
    curl = shutil.which("curl")
    if curl is None:
        skip_or_fail("curl is not installed")
    done = subprocess.run(
        [curl, "-sS", "--cacert", str(tls_server.root_ca), f"https://localhost:{tls_server.port}/tls/info"],
        capture_output=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    assert b'"scheme": "https"' in done.stdout


# -- openssl s_client ----------------------------------------------------------


def test_s_client_verifies_the_chain_and_negotiates_tls13_and_http11(tls_server):
    out = _s_client(tls_server, "-CAfile", str(tls_server.root_ca), "-servername", "localhost", "-alpn", "h2,http/1.1")
    assert "Verify return code: 0 (ok)" in out, out
    assert "depth=2 CN = catalina_py test root CA" in out, out  # the intermediate was sent
    assert "New, TLSv1.3," in out, out
    assert "ALPN protocol: http/1.1" in out, out


def test_tls12_is_accepted(tls_server):
    out = _s_client(tls_server, "-CAfile", str(tls_server.root_ca), "-tls1_2")
    assert "New, TLSv1.2, Cipher is ECDHE-" in out, out
    assert "Verify return code: 0 (ok)" in out, out


@pytest.mark.parametrize("version", ["-tls1_1", "-tls1"])
def test_tls11_and_tls10_are_refused_by_default(tls_server, version):
    # The client's own security level would refuse them before asking:
    # lowered, so that the refusal seen is the server's.
    out = _s_client(tls_server, version, "-cipher", "DEFAULT@SECLEVEL=0")
    assert "alert protocol version" in out, out
    assert "Cipher is (NONE)" in out, out


def test_sni_selects_the_certificate_of_the_name(tls_server):
    other = _s_client(tls_server, "-servername", "other.test")
    assert "subject=CN = other.test" in other, other
    unknown = _s_client(tls_server, "-servername", "unknown.test")
    assert "subject=CN = localhost" in unknown, unknown
    none = _s_client(tls_server, "-noservername")
    assert "subject=CN = localhost" in none, none


def test_an_http_request_through_s_client(tls_server):
    out = _s_client(
        tls_server,
        "-CAfile",
        str(tls_server.root_ca),
        "-quiet",  # and -ign_eof: it reads until the server closes (Connection: close)
        stdin=b"GET /tls/info HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    )
    assert "HTTP/1.1 200 " in out, out
    assert '"secure": true' in out, out


# -- WebSocket over TLS --------------------------------------------------------

SIZES = [0, 1, 125, 126, 127, 1000, 16383, 16384, 16385, 65535, 65536, 65537, 100_000, 1 << 20, (3 << 20) + 5]


def test_wss_echoes_messages_of_many_sizes(tls_server):
    url = f"wss://localhost:{tls_server.port}/tls/ws"
    with connect(url, ssl=_client_context(tls_server), max_size=None, open_timeout=10) as client:
        client.send("secure?")
        assert client.recv(timeout=10) == "secure=True"
        for size in SIZES:
            payload = os.urandom(size)
            client.send(payload)
            assert client.recv(timeout=30) == payload, size
            text = "é" * (size // 2)
            client.send(text)
            assert client.recv(timeout=30) == text, size


def test_wss_many_messages_sent_at_once_are_all_answered(tls_server):
    # Many small frames land in few TLS records: the server must read the
    # bytes OpenSSL already decrypted, not wait for the socket to be readable.
    url = f"wss://localhost:{tls_server.port}/tls/ws"
    with connect(url, ssl=_client_context(tls_server), max_size=None, open_timeout=10) as client:
        messages = [f"message {index} " + "x" * (index % 300) for index in range(500)]
        for message in messages:
            client.send(message)
        answers = [client.recv(timeout=30) for _ in messages]
    assert answers == messages


def test_two_wss_clients_interleaved(tls_server):
    url = f"wss://localhost:{tls_server.port}/tls/ws"
    context = _client_context(tls_server)
    with connect(url, ssl=context, max_size=None) as one, connect(url, ssl=context, max_size=None) as two:
        for index in range(50):
            one.send(b"1" * (index * 997))
            two.send("2" * (index * 991))
            assert two.recv(timeout=30) == "2" * (index * 991)
            assert one.recv(timeout=30) == b"1" * (index * 997)


# -- what is not TLS on the TLS port ------------------------------------------


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n",
        b"GET /tls/info HTTP/1.0\r\n\r\n",
        b"POST /tls/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc",
    ],
)
def test_plain_http_on_the_tls_port_gets_tomcats_400(tls_server, request_bytes):
    with socket.create_connection(("127.0.0.1", tls_server.port), timeout=10) as sock:
        sock.sendall(request_bytes)
        answer = _read_until_close(sock)
    assert answer == USE_TLS_RESPONSE
    assert answer.startswith(b"HTTP/1.1 400 ")
    assert answer.endswith(b"\r\n\r\nBad Request\r\nThis combination of host and port requires TLS.\r\n")


def test_a_handshake_that_never_comes_is_closed_after_the_connection_timeout(tls_server):
    with socket.create_connection(("127.0.0.1", tls_server.port), timeout=CONNECTION_TIMEOUT_MS / 1000 * 5) as sock:
        # recv returns b"" when the server closes; a socket timeout here
        # (five times connectionTimeout) would fail the test.
        assert sock.recv(100) == b""


def test_a_handshake_that_stops_half_way_is_closed_after_the_connection_timeout(tls_server):
    with socket.create_connection(("127.0.0.1", tls_server.port), timeout=CONNECTION_TIMEOUT_MS / 1000 * 5) as sock:
        sock.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")  # the start of a ClientHello
        assert sock.recv(100) == b""


def test_garbage_and_stalled_clients_do_not_disturb_a_good_request(tls_server):
    stalled = [socket.create_connection(("127.0.0.1", tls_server.port), timeout=10) for _ in range(5)]
    garbage = []
    try:
        for index in range(5):
            sock = socket.create_connection(("127.0.0.1", tls_server.port), timeout=10)
            sock.sendall(os.urandom(1000) if index % 2 else b"\x16\x03\x01\x00\x05hello" + os.urandom(200))
            garbage.append(sock)
        results: list[int] = []

        def good() -> None:
            response = requests.get(
                f"https://localhost:{tls_server.port}/tls/info", verify=tls_server.root_ca, timeout=10
            )
            results.append(response.status_code)

        threads = [threading.Thread(target=good) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert results == [200, 200, 200, 200]
        for sock in garbage:  # each is closed by the server (a reset or an alert, then EOF)
            try:
                while sock.recv(4096):
                    pass
            except ConnectionResetError:
                pass
    finally:
        for sock in stalled + garbage:
            sock.close()
    assert "Traceback" not in tls_server.output()


def test_the_start_up_log_names_each_certificate(tls_server):
    output = tls_server.output()
    assert f"Connector [https-gevent-{tls_server.port}], TLS virtual host [_default_]" in output
    assert "TLS virtual host [other.test]" in output
    assert f'Starting ProtocolHandler ["https-gevent-{tls_server.port}"]' in output


# -- client certificates -------------------------------------------------------


def test_required_client_certificates(make_server, tmp_path: Path):
    missing = tls_certs.missing_openssl()
    if missing:
        skip_or_fail(missing)
    certs = tmp_path / "certs"
    chain = tls_certs.chain(certs)
    client_ca = tls_certs.self_signed(certs, "clientca", cn="client CA", san="basicConstraints=critical,CA:TRUE")
    client = tls_certs.signed(certs, "client", client_ca, cn="a client", san="subjectAltName=DNS:client.test")
    tls_certs.self_signed(certs, "other", cn="other.test", san="subjectAltName=DNS:other.test")
    xml = SERVER_XML.replace("certs/", f"{certs}/").replace(
        "<SSLHostConfig", f'<SSLHostConfig certificateVerification="required" caCertificateFile="{client_ca.cert}"'
    )
    server = make_server(server_xml=xml, webapps={"tls": TEST_WEBAPPS / "tls"})
    server.start()
    url = f"https://localhost:{server.port}/tls/info"
    ok = requests.get(url, verify=chain.root, cert=(str(client.cert), str(client.key)), timeout=10)
    assert ok.status_code == 200
    with pytest.raises((requests.exceptions.SSLError, requests.exceptions.ConnectionError)):
        requests.get(url, verify=chain.root, timeout=10)


# -- stopping --------------------------------------------------------------------


def test_a_graceful_stop_does_not_wait_for_handshakes(make_server, tmp_path: Path):
    missing = tls_certs.missing_openssl()
    if missing:
        skip_or_fail(missing)
    certs = tmp_path / "certs"
    tls_certs.chain(certs)
    tls_certs.self_signed(certs, "other", cn="other.test", san="subjectAltName=DNS:other.test")
    # connectionTimeout far beyond the stop's grace: only the stop can end the handshakes.
    xml = SERVER_XML.replace("certs/", f"{certs}/").replace(
        f'connectionTimeout="{CONNECTION_TIMEOUT_MS}"', 'connectionTimeout="600000"'
    )
    server = make_server(server_xml=xml, webapps={"tls": TEST_WEBAPPS / "tls"}).start()
    stalled = [socket.create_connection(("127.0.0.1", server.port), timeout=30) for _ in range(3)]
    half = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    half.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")
    root = certs / "root.pem"
    try:
        with connect(
            f"wss://localhost:{server.port}/tls/ws", ssl=ssl.create_default_context(cafile=str(root))
        ) as client:
            assert requests.get(f"https://localhost:{server.port}/tls/info", verify=root, timeout=10).status_code == 200
            client.send("before the stop")
            assert client.recv(timeout=10) == "before the stop"
            assert server.stop() == 0
            for sock in [*stalled, half]:
                assert sock.recv(100) == b""  # closed by the stop
            with pytest.raises(ConnectionClosed) as closed:
                client.recv(timeout=10)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1001  # Going Away, over TLS
    finally:
        for sock in [*stalled, half]:
            sock.close()
    assert "still open at the end of the" not in server.output()
    assert "Traceback" not in server.output()


def test_a_quiet_wss_connection_parks_and_resumes(tmp_path: Path):
    """A wss session parks like a plain one (docs/architecture.md "Parked
    connections"): the reader waits for the descriptor only when OpenSSL
    holds no decrypted bytes (``pending``), so parking loses nothing; the
    next message resumes it, decrypted and echoed."""
    missing = tls_certs.missing_openssl()
    if missing:
        skip_or_fail(missing)
    certs = tmp_path / "certs"
    chain = tls_certs.chain(certs)
    tls_certs.self_signed(certs, "other", cn="other.test", san="subjectAltName=DNS:other.test")
    server = CatalinaProcess(
        tmp_path,
        webapps={"tls": TEST_WEBAPPS / "tls"},
        server_xml=SERVER_XML,
        connector_attrs='webSocketParkAfter="0.1"',
    )
    server.root_ca = chain.root  # type: ignore[attr-defined]
    server.start(env={"CATALINA_TRACE": "1"})
    try:
        url = f"wss://localhost:{server.port}/tls/ws"
        with connect(url, ssl=_client_context(server), max_size=None, open_timeout=10) as client:
            for round_ in range(3):
                deadline = time.monotonic() + 10
                while server.output().count("] park ") <= round_ and time.monotonic() < deadline:
                    time.sleep(0.05)
                assert server.output().count("] park ") > round_, "the wss connection did not park"
                payload = os.urandom(40000 + round_)  # several TLS records
                client.send(payload)
                assert client.recv(timeout=10) == payload
        assert server.output().count("] resume ") >= 3
    finally:
        server.stop()
