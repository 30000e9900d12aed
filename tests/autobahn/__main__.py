"""``python -m tests.autobahn``: the Autobahn|Testsuite against catalina_py's
echo example and Tomcat 10.1's, with figures by section and the per-case
time comparison. Run it with the project's interpreter from the repository
root: ``.venv/bin/python -m tests.autobahn`` (``--help`` for the options).
Exits 1 when catalina_py has a FAILED case or a deflate case not OK.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from tests.autobahn import suite


def main(argv: list[str] | None = None) -> int:
    """Parses the options, runs the agents, prints the tables."""
    parser = argparse.ArgumentParser(prog="python -m tests.autobahn", description=__doc__)
    parser.add_argument("--cases", default="*", help="case ids, comma separated, wildcards allowed (default: *)")
    parser.add_argument(
        "--agent",
        action="append",
        choices=suite.AGENTS,
        help="server(s) to test, repeatable (default: catalina_py and tomcat when installed)",
    )
    parser.add_argument(
        "--report-dir",
        type=Path,
        help="where the suite's reports go (HTML and JSON per agent; default: a temporary directory, removed)",
    )
    parser.add_argument("--timeout", type=float, default=3600.0, help="bound on each server's run, seconds")
    parser.add_argument("--top", type=int, default=40, help="how many slower cases to list")
    parser.add_argument(
        "--pin",
        action="store_true",
        help="servers on CPU 0, the suite's client on CPU 1 (for time comparisons; needs 2 CPUs)",
    )
    parser.add_argument(
        "--recheck",
        type=int,
        default=0,
        metavar="N",
        help="run the cases catalina_py was slower on N more times on both servers and compare medians",
    )
    parser.add_argument(
        "--paired",
        type=int,
        default=0,
        metavar="N",
        help="compare times case by case: both servers up, each case run N times on each, alternating "
        "(catalina_py, tomcat, tomcat, catalina_py, ...), after a warm-up pass; medians compared",
    )
    parser.add_argument("--no-warmup", action="store_true", help="with --paired: no warm-up pass")
    options = parser.parse_args(argv)
    client_cpus: set[int] | None = None
    if options.pin:
        if len(os.sched_getaffinity(0)) < 2:
            parser.error("--pin needs 2 CPUs")
        os.sched_setaffinity(0, {0})  # this process and the servers it starts
        client_cpus = {1}
    try:
        cases = suite.parse_cases(options.cases)
    except ValueError as exc:
        parser.error(str(exc))
    agents = options.agent or list(suite.AGENTS)
    if options.agent is None and suite.missing_tomcat_examples():
        print(f"tomcat left out: {suite.missing_tomcat_examples()}", file=sys.stderr)
        agents.remove("tomcat")
    missing = suite.missing_autobahn()
    if missing:
        print(missing, file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="autobahn-") as tmp:
        report_dir = options.report_dir or Path(tmp) / "reports"
        report_dir.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        samples: list[suite.CaseSamples] = []
        if options.paired > 0:
            if agents != list(suite.AGENTS):
                parser.error(f"--paired needs both servers ({suite.missing_tomcat_examples() or 'see --agent'})")
            runs, samples = suite.run_paired(
                cases,
                options.paired,
                report_dir.resolve(),
                Path(tmp),
                options.timeout,
                client_cpus=client_cpus,
                warmup=not options.no_warmup,
            )
        else:
            runs = suite.run_agents(
                agents, cases, report_dir.resolve(), Path(tmp), options.timeout, client_cpus=client_cpus
            )
        print(f"\nAutobahn|Testsuite {suite.AUTOBAHN_VERSION}, {time.monotonic() - started:.0f} s in all")
        if samples:
            print(f"(paired: each case {options.paired} times on each server; durations below are medians)")
        print(suite.format_sections(runs))
        for run in runs.values():
            bad = suite.format_failures(run, limit=options.top)
            if bad:
                print(f"\n{run.agent}: cases not OK/NON-STRICT/INFORMATIONAL ({suite.close_codes(run)}):\n{bad}")
        if samples:
            title = f"paired comparison of {len(samples)} cases"
            print("\n" + suite.format_samples(samples, title, top=options.top))
        elif "catalina_py" in runs and "tomcat" in runs:
            print("\n" + suite.format_slower(runs["catalina_py"], runs["tomcat"], options.top))
            if options.recheck > 0:
                rechecked = suite.recheck_slower(
                    runs, options.recheck, report_dir.resolve(), Path(tmp), options.timeout, client_cpus=client_cpus
                )
                print("\n" + suite.format_recheck(rechecked, options.top))
        if options.report_dir:
            print(f"\nreports: {options.report_dir}/<agent>/index.html")
    ours = runs.get("catalina_py")
    if ours is not None and (ours.failed() or ours.deflate_not_ok()):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
