"""What the inspector and the JSON trace cost on the HTTP hello benchmark.

Four catalina_py servers from this checkout, started side by side and
measured with wrk in interleaved rounds (A B C D, D C B A, ...), server on
CPU 0, wrk and the page on CPU 1, as bench/http_hello.py measures:

* ``plain`` -- the examples webapp only (http_hello's catalina row);
* ``inspector`` -- the examples and webapps/inspector, no page open (the
  inspector records nothing: the event stream has no subscriber);
* ``page-open`` -- the same with an inspector page connected to
  ``/inspector/live`` for the whole run (bench/peers/inspector_page.py, a
  raw WebSocket client that watches the busiest connection, as a learner
  would): the stream is observed, the inspector admits 50 requests a
  second to its trace, every other request pays only for the checks;
* ``json-trace`` -- the examples with the JSON trace on
  (``<Listener className="catalina_py.trace_json.JsonTraceListener">``):
  every request traced in full and written to logs/trace.jsonl (for
  information; issue 9 sets no bound on it).

Prints req/s and server CPU per request of each, and for each variant the
median over the rounds of its ratio to ``plain`` (the figures of
docs/performance.md, "The inspector and the trace").

    .venv/bin/python bench/inspector_cost.py [--repeat 5] [--duration 10] [--connections 50]
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import http_hello as hh  # noqa: E402

PAGE = hh.PEERS / "inspector_page.py"
VARIANTS = ["plain", "inspector", "page-open", "json-trace"]


class Variant(hh.CatalinaServer):
    """catalina_py from this checkout with one of the set-ups above."""

    def __init__(self, workdir: Path, variant: str) -> None:
        self.variant = variant
        self.name = variant
        super().__init__(workdir)
        self.name = variant
        self.page: subprocess.Popen | None = None

    def prepare(self) -> None:
        super().prepare()
        base = self.base
        if self.variant in ("inspector", "page-open"):
            shutil.copytree(hh.REPO / "webapps" / "inspector", base / "webapps" / "inspector")
        if self.variant == "json-trace":
            xml = (base / "conf" / "server.xml").read_text()
            listener = '<Listener className="catalina_py.trace_json.JsonTraceListener" file="logs/trace.jsonl"/>'
            xml = xml.replace("<Service", listener + "\n  <Service", 1)
            (base / "conf" / "server.xml").write_text(xml)

    def open_page(self) -> None:
        """Start the inspector page stand-in (CPU 1, beside wrk)."""
        self.page = subprocess.Popen(
            ["taskset", "-c", hh.WRK_CPU, str(hh.PROJECT_PYTHON), str(PAGE), str(self.port)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(1.0)
        if self.page.poll() is not None:
            raise hh.BenchError(f"the inspector page failed: {self.page.stderr.read() if self.page.stderr else ''}")

    def close_page(self) -> dict:
        """Stop the page by its PID; what it received."""
        if self.page is None:
            return {}
        self.page.send_signal(signal.SIGTERM)
        try:
            out, err = self.page.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.page.kill()
            out, err = self.page.communicate(timeout=10)
        self.page = None
        try:
            return json.loads(out.strip().splitlines()[-1])
        except (ValueError, IndexError):
            raise hh.BenchError(f"the inspector page printed nothing usable: {out!r} {err!r}") from None

    def trace_lines(self) -> int:
        path = self.base / "logs" / "trace.jsonl"
        if not path.exists():
            return 0
        with open(path, "rb") as f:
            return sum(1 for _ in f)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--only", default=",".join(VARIANTS), help="comma-separated subset of " + ",".join(VARIANTS))
    parser.add_argument("--quiet-wait", type=float, default=60.0)
    args = parser.parse_args(argv)
    if not 0 < args.duration <= 120 or not 1 <= args.repeat <= 9:
        parser.error("--duration in (0, 120], --repeat in [1, 9]")
    variants = [v for v in args.only.split(",") if v]
    if "plain" not in variants or set(variants) - set(VARIANTS):
        parser.error(f"--only: a subset of {VARIANTS} that includes plain")
    hh.ensure_project_venv()
    workdir = Path(tempfile.mkdtemp(prefix="inspector_cost-"))
    servers: dict[str, Variant] = {}
    runs: dict[str, list[dict]] = {v: [] for v in variants}
    pages: list[dict] = []
    try:
        for variant in variants:
            server = servers[variant] = Variant(workdir, variant)
            server.start()
            server.check()
            hh.log(f"{variant}: warm-up {args.warmup:g} s")
            hh.run_wrk(server.url, args.warmup, args.connections, latency=False)
        for i in range(args.repeat):
            order = variants[::-1] if i % 2 else variants
            for variant in order:
                server = servers[variant]
                hh.wait_for_quiet(timeout=args.quiet_wait)
                if variant == "page-open":
                    server.open_page()
                hh.log(f"{variant}: measuring {args.duration:g} s (round {i + 1}/{args.repeat})")
                try:
                    runs[variant].append(hh.measure(server, args.duration, args.connections))
                finally:
                    if variant == "page-open":
                        pages.append(server.close_page())
                last = runs[variant][-1]
                hh.log(f"{variant}:   {last['rps']:,.0f} req/s, {last['server_cpu_us_per_request']:.1f} µs CPU/request")
        notes = {"json_trace_lines": servers["json-trace"].trace_lines()} if "json-trace" in servers else {}
    finally:
        for server in servers.values():
            if server.page is not None:
                server.close_page()
            server.stop()
    print()
    print(
        f"HTTP hello, wrk -c{args.connections}, {args.duration:g} s x {args.repeat} rounds; "
        f"server on CPU {hh.SERVER_CPU}, wrk and page on CPU {hh.WRK_CPU}; {hh.cpu_model()}"
    )
    print(f"{'variant':<12} {'req/s':>9} {'µs CPU/req':>11}  {'req/s vs plain (rounds)':<40} CPU/req vs plain")
    results = {}
    for variant in variants:
        rps = [r["rps"] for r in runs[variant]]
        cpu = [r["server_cpu_us_per_request"] for r in runs[variant]]
        row = {"rps_median": hh.median(rps), "cpu_us_median": hh.median(cpu), "runs": runs[variant]}
        text = ""
        if variant != "plain":
            rate = [a / b for a, b in zip(rps, [r["rps"] for r in runs["plain"]], strict=True)]
            per = [a / b for a, b in zip(cpu, [r["server_cpu_us_per_request"] for r in runs["plain"]], strict=True)]
            row.update(rate_ratio=hh.median(rate), cpu_ratio=hh.median(per), rate_rounds=rate, cpu_rounds=per)
            text = (
                f"{hh.median(rate):.3f} ({'/'.join(f'{x:.3f}' for x in rate)})".ljust(40)
                + f" {hh.median(per):.3f} ({'/'.join(f'{x:.3f}' for x in per)})"
            )
        results[variant] = row
        print(f"{variant:<12} {row['rps_median']:>9,.0f} {row['cpu_us_median']:>11.1f}  {text}")
    if pages:
        print(f"page-open: the page got {', '.join(str(p.get('messages')) for p in pages)} messages per round")
    if notes:
        print(f"json-trace: {notes['json_trace_lines']:,} lines written")
    hh.RESULTS.mkdir(exist_ok=True)
    out = hh.RESULTS / f"inspector_cost-{time.strftime('%Y%m%d-%H%M%S')}.json"
    for row in results.values():
        for run in row["runs"]:
            run.pop("wrk_output", None)
    out.write_text(json.dumps({"args": vars(args), "results": results, "pages": pages, "notes": notes}, indent=1))
    print(f"results: {out}")
    shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
