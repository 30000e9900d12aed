"""Fuzz a running catalina_py through its socket: mutated HTTP requests,
and mutated WebSocket frames after a valid handshake to the examples' echo
endpoint, for a bounded time; then the server's logs must hold no
traceback and no ERROR/SEVERE line.

The server is started by tests/server.py's CatalinaProcess (a temporary
CATALINA_BASE with ROOT and examples, the Connector on 127.0.0.1, stopped
by its PID). The inputs come from the in-process fuzzers' generators
(http_fuzz.generate, ws_fuzz.generate), and what the server must answer is
worked out in-process first:

* HTTP: each input goes on a fresh connection, followed by a half-close
  (so that a truncated request ends instead of waiting for the timeout).
  The answer must come within ``--timeout`` seconds and be a status line
  with a sane status; when the in-process parser refuses the first request
  the status must be the parser's (400, 417, 501, 505); a silent close is
  right only when the parser says the head was never complete (or there
  was no request at all). 500 counts as a finding.
* WebSocket: handshake (with or without a permessage-deflate offer), then
  the fuzzed client stream, then (when the stream leaves the connection
  open) a close frame. The server's frames are read with the RFC 6455
  reference reader: the echoes must be the messages the reference reader
  finds (in order, a prefix when the connection fails), and the close
  frame must carry the code the reference expects (1002/1007/1009 for a
  violation, the peer's code echoed for a close), or the server closes TCP
  when the stream ended inside a frame.

Run (about 10 minutes, 8 client threads)::

    .venv/bin/python bench/hardening/server_fuzz.py --seconds 600 --threads 8

It prints the counts per outcome, the exchanges per second and the log
check, and writes reproducers of any failure to ``--out``.
"""

from __future__ import annotations

import argparse
import base64
import os
import random
import re
import socket
import sys
import tempfile
import threading
import time
import zlib
from collections import Counter
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.hardening import http_fuzz, ws_fuzz
from bench.hardening.mutate import Mutator
from bench.hardening.ws_reference import RefDeflate, RefFrame, RefViolation, ref_frames, ref_session
from tests.server import REPO, CatalinaProcess

#: Statuses a fuzzed request may get (anything else is a finding).
SANE_STATUSES = frozenset(
    (200, 204, 206, 301, 302, 304, 400, 403, 404, 405, 408, 411, 412, 413, 414, 416, 417, 431, 501, 503, 505)
)
_STATUS_RE = re.compile(rb"HTTP/1\.1 (\d{3}) ")
_TRUNCATED_HEAD = "Connection closed before the request head was complete"


class Tally:
    """Thread-safe counters and the first failures' reproducers."""

    def __init__(self, out: Path) -> None:
        self.lock = threading.Lock()
        self.counts: Counter[str] = Counter()
        self.failures = 0
        self.out = out

    def count(self, label: str) -> None:
        with self.lock:
            self.counts[label] += 1

    def fail(self, what: str, data: bytes, text: str) -> None:
        with self.lock:
            self.counts[f"FAILURE: {what}"] += 1
            self.failures += 1
            if self.failures <= 50:
                self.out.mkdir(parents=True, exist_ok=True)
                (self.out / f"server-{self.failures}.bin").write_bytes(data)
                (self.out / f"server-{self.failures}.txt").write_text(f"{what}: {text}\n")


def _read_all(sock: socket.socket, deadline: float) -> tuple[bytes, str]:
    """Everything the server sends until it closes: (bytes, how it ended)."""
    chunks = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return b"".join(chunks), "timeout"
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            return b"".join(chunks), "timeout"
        except ConnectionResetError:
            return b"".join(chunks), "reset"
        if not chunk:
            return b"".join(chunks), "eof"
        chunks.append(chunk)


def _send(sock: socket.socket, data: bytes) -> bool:
    """Send *data*; False if the server closed first (it may answer early)."""
    try:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        return True
    except OSError:  # EPIPE, ECONNRESET, or ENOTCONN from shutdown()
        return False


def http_exchange(port: int, data: bytes, timeout: float, tally: Tally) -> None:
    """One fuzzed request on a fresh connection, checked."""
    try:
        expected = http_fuzz.run_parser([data])
    except http_fuzz.Problem:
        tally.count("http: skipped (the in-process fuzzer reports this one)")
        return
    deadline = time.monotonic() + timeout
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sent = _send(sock, data)
        raw, how = _read_all(sock, deadline)
    if how == "timeout":
        tally.fail("http: no answer and no close within the timeout (hang)", data, raw[:200].decode("latin-1"))
        return
    if not raw:
        silent_ok = (not expected.requests and expected.end == "closed") or expected.reason == _TRUNCATED_HEAD
        if silent_ok:
            tally.count("http: closed without an answer (no complete head: right)")
        elif how == "reset" or not sent:
            tally.count("http: reset before the answer could be read (the server answered early)")
        else:
            tally.fail("http: closed without an answer", data, f"expected {expected.end} {expected.reason}")
        return
    m = _STATUS_RE.match(raw)
    if m is None:
        tally.fail("http: answer without a status line", data, raw[:200].decode("latin-1"))
        return
    status = int(m.group(1))
    if b"Traceback" in raw:
        tally.fail("http: traceback in the answer", data, raw[:300].decode("latin-1"))
        return
    if not expected.requests and expected.partial is None and expected.end != "closed":
        if status != int(expected.end):
            tally.fail(
                "http: status differs from the parser's", data, f"got {status}, parser {expected.end} {expected.reason}"
            )
            return
        tally.count(f"http: refused {status} (as the parser)")
        return
    if status not in SANE_STATUSES:
        tally.fail(f"http: status {status}", data, raw[:300].decode("latin-1"))
        return
    tally.count(f"http: answered {status}")


_OFFERS = [
    None,
    "permessage-deflate",
    "permessage-deflate; client_no_context_takeover",
    "permessage-deflate; client_max_window_bits",
]


def _handshake(sock: socket.socket, port: int, offer: str | None, deadline: float) -> tuple[bytes, str | None]:
    key = base64.b64encode(os.urandom(16)).decode()
    head = (
        f"GET /examples/websocket/echo HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
        f"Origin: http://127.0.0.1:{port}\r\n"
    )
    if offer:
        head += f"Sec-WebSocket-Extensions: {offer}\r\n"
    sock.sendall((head + "\r\n").encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("closed during the handshake")
        buf += chunk
    head_bytes, _, rest = buf.partition(b"\r\n\r\n")
    if not head_bytes.startswith(b"HTTP/1.1 101 "):
        raise ConnectionError(f"handshake refused: {head_bytes[:100]!r}")
    m = re.search(rb"(?im)^Sec-WebSocket-Extensions:[ \t]*(.*?)\r?$", head_bytes)
    return rest, (m.group(1).decode() if m else None)


def ws_exchange(port: int, rng: random.Random, mutator: Mutator, timeout: float, tally: Tally) -> None:
    """One WebSocket connection: handshake, fuzzed frames, checked answer."""
    offer = rng.choice(_OFFERS)
    deadline = time.monotonic() + timeout
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        rest, answer = _handshake(sock, port, offer, deadline)
        deflate = answer is not None and answer.startswith("permessage-deflate")
        nct = deflate and "client_no_context_takeover" in answer  # type: ignore[operator]
        bits = 15
        if deflate:
            m = re.search(r"client_max_window_bits=(\d+)", answer or "")
            bits = int(m.group(1)) if m else 15
        case = ws_fuzz.generate(rng, mutator, deflate=deflate, nct=nct, bits=bits, limit=64 * 1024)
        data = case.data
        ref_deflate = RefDeflate(nct, bits) if deflate else None
        opened = ref_session(data, max_text=65536, max_binary=65536, deflate=ref_deflate, eof=False)
        if not opened or opened[-1][0] not in ("fail", "close"):
            data += ws_fuzz.frame(0x8, (1000).to_bytes(2, "big") + b"end", key=os.urandom(4))
        expected = ref_session(data, max_text=65536, max_binary=65536, deflate=ref_deflate, eof=True)
        sent = _send(sock, data)
        raw, how = _read_all(sock, deadline)
    raw = rest + raw
    if how == "timeout":
        tally.fail("ws: no close within the timeout (hang)", data, f"{case.describe()} got {raw[:100]!r}")
        return
    try:
        frames = [f for f in ref_frames(raw, from_client=False, rsv1_ok=True) if isinstance(f, RefFrame)]
    except RefViolation as exc:
        tally.fail("ws: the server sent an invalid frame", data, f"{exc.why} {case.describe()}")
        return
    inflater = zlib.decompressobj(-15)
    echoes: list[tuple[object, ...]] = []
    close_code: int | None = None
    fragments: list[bytes] = []
    first_rsv1 = False
    kind = 1
    for f in frames:
        op = f.header.opcode
        if op == 0x8:
            close_code = int.from_bytes(f.payload[:2], "big") if len(f.payload) >= 2 else 1005
            break
        if op in (0x9, 0xA):
            continue
        if op != 0:
            fragments, first_rsv1, kind = [], bool(f.header.rsv & 4), op
        fragments.append(f.payload)
        if f.header.fin:
            payload = b"".join(fragments)
            if first_rsv1:
                payload = inflater.decompress(payload + b"\x00\x00\xff\xff")
            echoes.append(("text", payload.decode("utf-8")) if kind == 1 else ("binary", payload))
    messages = [e for e in expected if e[0] in ("text", "binary")]
    last = expected[-1]
    if echoes != messages[: len(echoes)]:
        tally.fail(
            "ws: echoes differ from the messages sent", data, f"{len(echoes)} vs {len(messages)} {case.describe()}"
        )
        return
    if last[0] == "close" and echoes != messages:
        # Known (FINDINGS.md, [websocket], found by difftest): when a
        # message and the close arrive in one read, the close is answered
        # before the endpoint echoes the message; Tomcat echoes it first.
        tally.count("KNOWN DEFECT: echo lost, message and close in one read")
    if last[0] == "fail":
        codes = last[1] if isinstance(last[1], frozenset) else (last[1],)
        if close_code not in codes:
            if close_code is None and (how == "reset" or not sent):
                tally.count("ws: reset before the close frame could be read")
                return
            tally.fail("ws: wrong close code", data, f"got {close_code}, expected {codes} {case.describe()}")
            return
        tally.count(f"ws: failed with {close_code} (as the reference)")
        if echoes != messages:
            tally.count("ws: fewer echoes than messages before the failure")
    elif last[0] == "close":
        want = last[1]
        if close_code != want and not (want == 1005 and close_code == 1000):
            tally.fail("ws: close not echoed", data, f"got {close_code}, expected {want} {case.describe()}")
            return
        tally.count("ws: closed cleanly, close code echoed")
    else:
        if close_code is not None:
            tally.fail("ws: close frame for a stream cut inside a frame", data, f"{close_code} {case.describe()}")
            return
        tally.count("ws: stream cut inside a frame: TCP closed")
    tally.count(f"ws: deflate {'on' if deflate else 'off'}")


def _run(kind: str, port: int, seed: int, stop: float, timeout: float, tally: Tally) -> None:
    rng = random.Random(seed)
    if kind == "http":
        corpus = [http_fuzz.valid_request(rng) for _ in range(200)] + [http_fuzz.game_request(rng) for _ in range(200)]
        mutator = Mutator(rng, corpus, http_fuzz.DICTIONARY)
    else:
        cases = [ws_fuzz.generate(rng, Mutator(rng, [b"\x81\x80"], ws_fuzz.DICTIONARY)) for _ in range(200)]
        mutator = Mutator(rng, [c.data for c in cases if c.data], ws_fuzz.DICTIONARY)
    while time.monotonic() < stop:
        try:
            if kind == "http":
                data, _ = http_fuzz.generate(rng, mutator)
                http_exchange(port, data, timeout, tally)
            else:
                ws_exchange(port, rng, mutator, timeout, tally)
            tally.count(f"exchanges: {kind}")
        except Exception as exc:  # the client's own trouble: counted and kept
            tally.fail(f"{kind}: client error {type(exc).__name__}", b"", str(exc))


def scan_logs(base: Path, out: Path) -> tuple[int, int, Counter[str]]:
    """(tracebacks, ERROR/SEVERE lines, the exceptions that ended the
    tracebacks) in base/logs; a log with either is copied to *out*."""
    tracebacks = errors = 0
    kinds: Counter[str] = Counter()
    for path in sorted((base / "logs").glob("*")):
        if not path.is_file() or "access_log" in path.name:
            continue
        text = path.read_text(errors="replace")
        in_tb = False
        last = ""
        for line in text.splitlines():
            if "Traceback" in line:
                tracebacks += 1
                in_tb = True
            elif re.search(r"\b(ERROR|SEVERE|CRITICAL)\b", line):
                errors += 1
            if in_tb:
                if line.startswith((" ", "Traceback", "During handling", "The above")) or not line:
                    last = line
                    continue
                kinds[line[:160]] += 1
                in_tb = False
        if in_tb:
            kinds[last[:160]] += 1
        if tracebacks or errors:
            out.mkdir(parents=True, exist_ok=True)
            (out / f"server-log-{path.name}").write_text(text)
    return tracebacks, errors, kinds


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=600)
    ap.add_argument("--threads", type=int, default=8, help="client threads (half HTTP, half WebSocket)")
    ap.add_argument("--timeout", type=float, default=10.0, help="per exchange, seconds")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--out",
        default=str(Path(tempfile.gettempdir()) / "catalina_py-fuzz"),
        help="where reproducers of failures go (default: $TMPDIR/catalina_py-fuzz)",
    )
    a = ap.parse_args(argv)
    tally = Tally(Path(a.out))
    with tempfile.TemporaryDirectory(prefix="catalina-fuzz-") as tmp:
        base = Path(tmp)
        server = CatalinaProcess(
            base, webapps={"ROOT": REPO / "webapps" / "ROOT", "examples": REPO / "webapps" / "examples"}
        )
        server.start()
        assert server.proc is not None
        print(f"server PID {server.proc.pid} on 127.0.0.1:{server.port}, CATALINA_BASE {base}")
        start = time.monotonic()
        stop = start + a.seconds
        threads = [
            threading.Thread(
                target=_run,
                args=("http" if i % 2 == 0 else "ws", server.port, a.seed * 100 + i, stop, a.timeout, tally),
                daemon=True,
            )
            for i in range(a.threads)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(a.seconds + a.timeout + 30)
        elapsed = time.monotonic() - start
        time.sleep(0.5)
        server.stop()
        tracebacks, errors, kinds = scan_logs(base, Path(a.out))
    counts = tally.counts
    total = counts["exchanges: http"] + counts["exchanges: ws"]
    print(f"through the server: {total} exchanges in {elapsed:.0f} s ({total / elapsed:.0f}/s), {a.threads} threads")
    for label, n in sorted(counts.items()):
        print(f"  {n:9d}  {label}")
    print(f"server log: {tracebacks} tracebacks, {errors} ERROR/SEVERE lines")
    for line, n in kinds.most_common():
        print(f"    {n:6d}  {line}")
    return 1 if tally.failures or tracebacks or errors else 0


if __name__ == "__main__":
    sys.exit(main())
