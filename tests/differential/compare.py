"""Replays the exchanges on both servers and compares the answers.

What is compared, per step of an exchange: the status line (version,
code, reason phrase), every response header but ``Date`` (values
normalised: ports, session ids, multipart boundaries), the body, the
framing (Content-Length, chunked, until close), what the server did with
the connection afterwards (closed, kept, silent), and after a 101 the
WebSocket frames it sent (close frames by their code).

Bodies: a body the webapp wrote (it starts with ``DIFF ``) and a
successful response's body (static files) must be equal; an error page
the container wrote differs in markup on purpose, so only whether there
is one counts (and its Content-Type).
"""

from __future__ import annotations

import fnmatch
import re
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from tests.differential.exchanges import Exchange, Step
from tests.differential.wire import Outcome, Response, run_step

#: The known differences: ``id glob | aspect glob | deliberate: ...`` or
#: ``open: ...`` lines (see the file's head).
KNOWN_FILE = Path(__file__).resolve().parent / "known_differences.txt"
#: Headers whose value follows the clock: only whether they are there counts.
IGNORED_HEADERS = {"date"}
_SID = re.compile(rb"(?i)(jsessionid=|cookie JSESSIONID: )\"?[^;&\s\"?/,]+\"?")
#: Dates that follow the clock (a cookie's Expires for a Max-Age).
_EXPIRES = re.compile(r"Expires=(?!Thu, 01 Jan 1970)[^;]+")


@dataclass(frozen=True)
class Difference:
    """One aspect of one exchange where the two servers answered apart."""

    exchange: str
    aspect: str
    ours: str
    tomcat: str

    def line(self, width: int = 160) -> str:
        return f"{self.exchange} | {self.aspect} | ours {_cut(self.ours, width)} vs Tomcat {_cut(self.tomcat, width)}"


@dataclass(frozen=True)
class Known:
    """One line of the known-differences file."""

    exchange: str
    aspect: str
    reason: str
    lineno: int
    text: str = ""

    def matches(self, diff: Difference) -> bool:
        return (
            fnmatch.fnmatchcase(diff.exchange, self.exchange)
            and fnmatch.fnmatchcase(diff.aspect, self.aspect)
            and self.text in f"ours {diff.ours} vs Tomcat {diff.tomcat}"
        )


def unlisted(diffs: list[Difference], known: list[Known]) -> list[Difference]:
    """The differences no known-differences line covers."""
    return [d for d in diffs if not any(k.matches(d) for k in known)]


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def load_known(path: Path = KNOWN_FILE) -> list[Known]:
    """Parses the known-differences file (``aspect ~ text``: only the
    differences whose "ours ... vs Tomcat ..." contains ``text``); a line
    without a reason saying
    ``deliberate:`` or ``open:`` is an error naming file:line."""
    known = []
    for lineno, text in enumerate(path.read_text().splitlines(), 1):
        text = text.strip()
        if not text or text.startswith("#"):
            continue
        parts = [p.strip() for p in text.split(" | ", 2)]
        if len(parts) != 3 or not parts[2].startswith(("deliberate: ", "open: ")):
            raise ValueError(
                f"{path}:{lineno}: expected 'exchange glob | aspect glob | deliberate: reason' "
                f"(or 'open: reason'), got {text!r}"
            )
        aspect, _, text = parts[1].partition(" ~ ")
        known.append(Known(parts[0], aspect.strip(), parts[2], lineno, text.strip()))
    return known


def _fill(step: Step, previous: list[Outcome]) -> Step:
    """The step with ``{sid}``/``{etag}``/``{lastmod}`` from earlier answers."""
    data = step.data
    if b"{" not in data:
        return step
    values = {b"{sid}": b"none", b"{etag}": b'"none"', b"{lastmod}": b"none"}
    for outcome in previous:
        for response in outcome.responses:
            for name, value in response.headers:
                lname = name.lower()
                if lname == "set-cookie" and value.startswith("JSESSIONID="):
                    values[b"{sid}"] = value.split(";")[0].split("=", 1)[1].encode("latin-1")
                elif lname == "etag":
                    values[b"{etag}"] = value.encode("latin-1")
                elif lname == "last-modified":
                    values[b"{lastmod}"] = value.encode("latin-1")
    for key, value in values.items():
        data = data.replace(key, value)
    return Step(data, step.head, step.responses, step.frames, step.probe, step.split)


def run_exchange(port: int, exchange: Exchange, timeout: float) -> list[Outcome]:
    """Runs an exchange's steps in order against one server."""
    outcomes: list[Outcome] = []
    for step in exchange.steps:
        step = _fill(step, outcomes)
        try:
            outcomes.append(
                run_step(
                    port,
                    step.data,
                    head=step.head,
                    responses=step.responses,
                    frames=step.frames,
                    probe=step.probe,
                    timeout=timeout,
                    split=step.split,
                )
            )
        except OSError as exc:
            outcomes.append(Outcome([], "refused", error=f"{type(exc).__name__}: {exc}"))
    return outcomes


def replay(
    exchanges: list[Exchange], ours: int, tomcat: int, timeout: float = 5.0, workers: int = 24
) -> dict[str, tuple[list[Outcome], list[Outcome]]]:
    """Every exchange on both servers (in parallel); id -> (ours, Tomcat's)."""
    with ThreadPoolExecutor(workers) as pool:
        mine = {ex.id: pool.submit(run_exchange, ours, ex, timeout) for ex in exchanges}
        theirs = {ex.id: pool.submit(run_exchange, tomcat, ex, timeout) for ex in exchanges}
        return {ex.id: (mine[ex.id].result(), theirs[ex.id].result()) for ex in exchanges}


class Normaliser:
    """Takes out of a server's bytes what differs by nature: its port and
    its session ids."""

    def __init__(self, port: int) -> None:
        self.port = re.compile(rb"\b%d\b" % port)

    def __call__(self, data: bytes) -> bytes:
        data = self.port.sub(b"PORT", data)
        return _SID.sub(rb"\1SID", data)

    def text(self, value: str) -> str:
        return self(value.encode("latin-1")).decode("latin-1")


def _boundary(response: Response) -> bytes | None:
    ctype = response.header("content-type") or ""
    match = re.search(r"boundary=([^;\s]+)", ctype)
    return match.group(1).encode("latin-1") if match else None


def _body(response: Response, norm: Normaliser) -> bytes:
    body = norm(response.body)
    boundary = _boundary(response)
    if boundary:
        body = body.replace(boundary, b"BOUNDARY")
    return body


def _show(body: bytes) -> str:
    return repr(body)[2:-1]


def _body_diff(a: bytes, b: bytes) -> tuple[str, str]:
    """Two bodies shown by the lines only one of them has (whole when
    they are not text of lines)."""
    la, lb = a.split(b"\n"), b.split(b"\n")
    if len(la) < 3 and len(lb) < 3:
        return _show(a), _show(b)
    only_a = [line for line in la if line not in lb]
    only_b = [line for line in lb if line not in la]
    if not only_a and not only_b:
        return "lines in another order: " + _show(a), _show(b)
    return " / ".join(_show(x) for x in only_a) or "(no other line)", " / ".join(
        _show(x) for x in only_b
    ) or "(no other line)"


def _header_values(response: Response, norm: Normaliser) -> dict[str, str]:
    values: dict[str, list[str]] = {}
    for name, value in response.headers:
        lname = name.lower()
        value = norm.text(value)
        if lname in IGNORED_HEADERS:
            value = "(a date)"
        elif lname == "allow":
            value = ", ".join(sorted(v.strip() for v in value.split(",")))  # a set: Tomcat's order is a HashSet's
        elif lname == "set-cookie":
            value = _EXPIRES.sub("Expires=DATE", value)
        elif lname == "content-type":
            boundary = _boundary(response)
            if boundary:
                value = value.replace(boundary.decode("latin-1"), "BOUNDARY")
        values.setdefault(lname, []).append(value)
    return {k: " // ".join(v) for k, v in values.items()}


def _is_app_body(response: Response) -> bool:
    return response.body.startswith(b"DIFF ")


def compare_response(
    prefix: str, ours: Response, tomcat: Response, nours: Normaliser, ntom: Normaliser
) -> list[tuple[str, str, str]]:
    """(aspect, ours, Tomcat's) for each way two responses differ."""
    diffs = []
    if ours.status != tomcat.status:
        # Different answers: the rest of them would only repeat that.
        return [(prefix + "status", str(ours.status), str(tomcat.status))]
    if ours.version != tomcat.version:
        diffs.append((prefix + "version", ours.version, tomcat.version))
    if ours.reason != tomcat.reason:
        diffs.append((prefix + "reason", repr(ours.reason), repr(tomcat.reason)))
    app = _is_app_body(ours) or _is_app_body(tomcat)
    exact = app or (ours.status < 400 and tomcat.status < 400)
    bours, btom = _body(ours, nours), _body(tomcat, ntom)
    hours, htom = _header_values(ours, nours), _header_values(tomcat, ntom)
    for name in sorted(set(hours) | set(htom)):
        a, b = hours.get(name, "(none)"), htom.get(name, "(none)")
        if (
            name == "content-length"
            and "(none)" not in (a, b)
            and (not exact or bours != btom or len(ours.body) != len(bours))
        ):
            continue  # a length of bodies compared otherwise
        if a != b:
            diffs.append((prefix + "header " + name, a, b))
    if exact:
        if bours != btom:
            diffs.append((prefix + "body", *_body_diff(bours, btom)))
        if ours.framing != tomcat.framing:
            diffs.append((prefix + "framing", ours.framing, tomcat.framing))
    elif bool(ours.body) != bool(tomcat.body):
        diffs.append((prefix + "body-presence", f"{len(ours.body)} bytes", f"{len(tomcat.body)} bytes"))
    if ours.trailers != tomcat.trailers:
        diffs.append((prefix + "trailers", str(ours.trailers), str(tomcat.trailers)))
    return diffs


def _frames(outcome: Outcome) -> list[str]:
    shown = []
    for f in outcome.frames:
        if f.opcode == 8:
            code = int.from_bytes(f.payload[:2], "big") if len(f.payload) >= 2 else None
            shown.append(f"close {code}")
        else:
            payload = f.payload
            if f.rsv & 4 and f.opcode in (1, 2):
                try:
                    payload = b"inflated:" + zlib.decompressobj(-15).decompress(payload + b"\x00\x00\xff\xff")
                except zlib.error:
                    pass
            payload = payload if len(payload) <= 40 else payload[:20] + b"...%d bytes" % len(payload)
            shown.append(f"op{f.opcode}{'' if f.fin else ' nofin'}{' rsv%d' % f.rsv if f.rsv else ''} {_show(payload)}")
    return shown


def compare(
    exchange_id: str, ours: list[Outcome], tomcat: list[Outcome], ours_port: int, tomcat_port: int
) -> list[Difference]:
    """The differences between the two servers' outcomes of one exchange."""
    nours, ntom = Normaliser(ours_port), Normaliser(tomcat_port)
    diffs: list[tuple[str, str, str]] = []
    for index, (a, b) in enumerate(zip(ours, tomcat, strict=False)):
        step = f"s{index}." if index else ""
        if b.error and b.error.startswith("not a status line") and not b.responses:
            # Tomcat answered HTTP/0.9-style: a bare body, no status line.
            if a.responses or a.error:
                shown = a.error or str([r.status for r in a.responses])
                diffs.append((step + "http09", shown, "a bare body without status line"))
            continue
        ia = [r.status for r in a.responses if r.status < 200 and r.status != 101]
        ib = [r.status for r in b.responses if r.status < 200 and r.status != 101]
        if ia != ib:
            diffs.append((step + "interim", str(ia), str(ib)))
        fa = [r for r in a.responses if r.status >= 200 or r.status == 101]
        fb = [r for r in b.responses if r.status >= 200 or r.status == 101]
        if len(fa) != len(fb):
            diffs.append((step + "responses", str([r.status for r in fa]), str([r.status for r in fb])))
        for rindex, (ra, rb) in enumerate(zip(fa, fb, strict=False)):
            diffs += compare_response(step + (f"r{rindex}." if rindex else ""), ra, rb, nours, ntom)
        if a.connection != b.connection:
            diffs.append((step + "connection", a.connection, b.connection))
        wa, wb = _frames(a), _frames(b)
        if wa != wb:
            diffs.append((step + "frames", ", ".join(wa) or "(none)", ", ".join(wb) or "(none)"))
        if (a.error is None) != (b.error is None):
            diffs.append((step + "unparsable", str(a.error), str(b.error)))
    return [Difference(exchange_id, aspect, x, y) for aspect, x, y in diffs]
