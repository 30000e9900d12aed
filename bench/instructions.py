"""Instructions per request and per WebSocket message, counted by valgrind.

The wall-clock benchmarks of this machine spread by 15 % and more between
rounds of identical code (``docs/performance.md``), so they cannot show a
change of a few per cent. The number of machine instructions the CPU runs
for one request does not depend on what else the machine does: this script
runs ``pipeline_cost.py`` (one HTTP request, no network) and ``ws_cost.py``
(one echoed 16-byte WebSocket message) under ``valgrind --tool=cachegrind``
twice each, with a small and a large count, and divides the difference of
the two totals by the difference of the counts, so start-up, imports and
warm-up cancel out. With ``--home A,B`` it does that for each checkout and
prints B's count over A's.

    .venv/bin/python bench/instructions.py [--home BEFORE,AFTER] [--small 1000] [--large 6000]

Needs valgrind (``apt-get install valgrind``); about 15 s a run, 4 runs a
checkout. Each checkout's own ``.venv`` is used when it has one.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

BENCHES = {
    "http": ("pipeline_cost.py", "--requests", "instructions per HTTP request (hello servlet, keep-alive)"),
    "ws": ("ws_cost.py", "--messages", "instructions per WebSocket message (16-byte text echo, 32 per read)"),
}


def python_of(home: str) -> str:
    """The checkout's own interpreter (its .venv), else this one."""
    candidate = os.path.join(home, ".venv", "bin", "python")
    return candidate if os.path.exists(candidate) else sys.executable


def count(home: str, script: str, flag: str, n: int) -> int:
    """Total instructions of one run of *script* with *n* requests or messages."""
    command = [
        "valgrind",
        "--tool=cachegrind",
        "--cache-sim=no",
        "--cachegrind-out-file=/dev/null",
        python_of(home),
        os.path.join(HERE, script),
        "--home",
        home,
        flag,
        str(n),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{script} failed under valgrind (exit {done.returncode}):\n{done.stdout}\n{done.stderr}")
    match = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
    if match is None:
        raise SystemExit(f"no instruction count in valgrind's output:\n{done.stderr[-2000:]}")
    return int(match.group(1).replace(",", ""))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--home", default=os.path.dirname(HERE), help="checkouts to measure, comma-separated")
    parser.add_argument("--small", type=int, default=1000, help="requests or messages of the short run")
    parser.add_argument("--large", type=int, default=6000, help="requests or messages of the long run")
    parser.add_argument("--only", default="http,ws", help="which of http, ws")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (apt-get install valgrind)", file=sys.stderr)
        return 2
    if args.large <= args.small:
        parser.error("--large must be more than --small")
    homes = [os.path.abspath(h) for h in args.home.split(",") if h]
    results: dict[str, list[float]] = {}
    for name in [n for n in args.only.split(",") if n]:
        script, flag, label = BENCHES[name]
        per: list[float] = []
        for home in homes:
            small = count(home, script, flag, args.small)
            large = count(home, script, flag, args.large)
            # ws_cost.py rounds the count down to whole bursts of 32.
            n_small, n_large = (
                (args.small, args.large) if name == "http" else (args.small // 32 * 32, args.large // 32 * 32)
            )
            value = (large - small) / (n_large - n_small)
            per.append(value)
            print(f"{name} {home}: {value:,.0f} {label} ({small:,} and {large:,} in all)", flush=True)
        results[name] = per
    if len(homes) == 2:
        for name, (a, b) in results.items():
            print(f"{name}: {os.path.basename(homes[1]) or homes[1]} / {os.path.basename(homes[0])} = {b / a:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
