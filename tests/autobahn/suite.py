"""Install, run and read the Autobahn|Testsuite fuzzing client.

The suite (PyPI ``autobahntestsuite``, the last release still Python 2
only) goes into a virtualenv cached outside the repository
(``$XDG_CACHE_HOME/catalina_py/autobahn``, default ``~/.cache/...``): a
Python 3 tool venv holds ``virtualenv<20.22`` (the last line that can
create Python 2 environments), which makes ``py2/`` from a Python 2.7
interpreter (Debian bullseye's ``/usr/bin/python2.7`` on CI, see
``.ci/run``) and seeds pip 20.3.4; pip then installs the suite with its
pinned dependencies (Twisted 19.10, autobahn 0.10.9 with wsaccel/ujson).

The servers are catalina_py (``tests/server.py`` ``CatalinaProcess``, the
shipped ``webapps/examples``, URL ``/examples/websocket/echo``) and
Tomcat 10.1 (``tests/tomcat.py`` ``TomcatProcess``, Debian's
``tomcat10-examples`` webapp, URL ``/examples/websocket/echoAnnotation``:
partial text and binary messages echoed part by part). Each server is run
alone: start it, run ``wstest -m fuzzingclient`` with a spec naming only
that agent, stop it, read ``<report-dir>/<agent>/index.json``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.server import REPO, CatalinaProcess
from tests.tomcat import TomcatProcess, missing_tomcat

#: The release installed; the newest on PyPI, still Python 2 only.
AUTOBAHN_VERSION = "25.10.1"
#: The last virtualenv line that can create Python 2.7 environments.
VIRTUALENV_REQUIREMENT = "virtualenv<20.22"
#: Debian's examples webapp of Tomcat 10.1 (package tomcat10-examples).
TOMCAT_EXAMPLES = Path("/usr/share/tomcat10-examples/examples")
#: catalina_py's echo example (webapps/examples/WEB-INF/classes/websocket/echo.py).
CATALINA_ECHO_PATH = "/examples/websocket/echo"
#: Tomcat's echo example (EchoAnnotation: partial text and binary).
TOMCAT_ECHO_PATH = "/examples/websocket/echoAnnotation"
#: A page of Tomcat's examples webapp: it answers 200 once the webapp is deployed.
TOMCAT_READY_PATH = "/examples/index.html"
#: The agents ``run_agents`` knows.
AGENTS = ("catalina_py", "tomcat")
#: What each section of the suite tests (there is no section 8 or 11).
SECTIONS = {
    1: "Framing",
    2: "Pings/Pongs",
    3: "Reserved Bits",
    4: "Opcodes",
    5: "Fragmentation",
    6: "UTF-8 Handling",
    7: "Close Handling",
    9: "Limits/Performance",
    10: "Misc",
    12: "Compression (payloads)",
    13: "Compression (parameters)",
}
#: The behaviours a case can end with, in the order the tables show them.
BEHAVIORS = ("OK", "NON-STRICT", "INFORMATIONAL", "UNIMPLEMENTED", "FAILED")
#: Sections whose cases need permessage-deflate.
DEFLATE_SECTIONS = (12, 13)
#: Tomcat with its full JIT (C1 and C2): the time comparison is against
#: Tomcat at its best, not the quick-start setting of the other tests.
TOMCAT_JAVA_OPTS = "-Djava.awt.headless=true"


def say(text: str) -> None:
    """Progress on standard output, flushed at once (a long run's lines
    show as they come even when the output goes to a file)."""
    print(text, flush=True)


def cache_dir() -> Path:
    """Where the suite's virtualenvs live (outside the repository)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "catalina_py" / "autobahn"


def _is_python27(candidate: str) -> bool:
    """Whether ``candidate`` runs and is a CPython 2.7."""
    try:
        done = subprocess.run(
            [candidate, "-c", "import sys; sys.stdout.write('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0 and done.stdout.strip() == "2.7"


def python2_candidates() -> Iterator[str]:
    """Python 2.7 interpreters to try, best first: ``$AUTOBAHN_PYTHON2``,
    Debian's (bullseye's package, what ``.ci/run`` installs), one on PATH,
    then pyenv builds."""
    explicit = os.environ.get("AUTOBAHN_PYTHON2")
    if explicit:
        yield explicit
    yield "/usr/bin/python2.7"
    for name in ("python2.7", "python2"):
        found = shutil.which(name)
        if found:
            yield found
    roots = [Path(os.environ.get("PYENV_ROOT", str(Path.home() / ".pyenv"))), Path("/root/.pyenv")]
    for root in roots:
        for interp in sorted((root / "versions").glob("2.7*/bin/python2.7"), reverse=True):
            yield str(interp)


def find_python2() -> str | None:
    """The first working Python 2.7 interpreter, or None."""
    for candidate in python2_candidates():
        if _is_python27(candidate):
            return candidate
    return None


def missing_autobahn() -> str | None:
    """Why the suite cannot run here (no Python 2.7), or None when it can
    (it is installed on first use, which needs PyPI)."""
    if wstest_path().exists():
        return None
    if find_python2() is None:
        return (
            "no Python 2.7 interpreter (the Autobahn|Testsuite is Python 2 software): install Debian "
            "bullseye's python2.7 and python2.7-dev (see .ci/run) or set AUTOBAHN_PYTHON2"
        )
    return None


def wstest_path() -> Path:
    """The cached ``wstest`` executable (present once installed)."""
    return cache_dir() / "py2" / "bin" / "wstest"


def ensure_wstest(log: Callable[[str], None] = say) -> Path:
    """Returns the ``wstest`` of the cached Python 2 virtualenv, creating
    it first when missing or made for another interpreter or release.
    Raises RuntimeError with the failing step's output."""
    root = cache_dir()
    python2 = find_python2()
    marker = root / "installed.json"
    wanted = {"autobahntestsuite": AUTOBAHN_VERSION, "python2": python2}
    if wstest_path().exists() and marker.exists():
        recorded = json.loads(marker.read_text())
        if recorded == wanted or python2 is None:
            return wstest_path()
    if python2 is None:
        raise RuntimeError(missing_autobahn() or "no Python 2.7")
    root.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    tool = root / "tool"
    py2 = root / "py2"
    shutil.rmtree(py2, ignore_errors=True)
    marker.unlink(missing_ok=True)
    steps: list[list[str]] = []
    if not (tool / "bin" / "virtualenv").exists():
        steps += [
            [sys.executable, "-m", "venv", str(tool)],
            [str(tool / "bin" / "pip"), "install", "-q", VIRTUALENV_REQUIREMENT],
        ]
    steps += [
        [str(tool / "bin" / "virtualenv"), "-q", "-p", python2, str(py2)],
        [
            str(py2 / "bin" / "pip"),
            "install",
            "-q",
            "--no-warn-script-location",
            f"autobahntestsuite=={AUTOBAHN_VERSION}",
        ],
    ]
    for step in steps:
        log(f"autobahn setup: {' '.join(step)}")
        done = subprocess.run(step, capture_output=True, text=True, timeout=900)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(step)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    if not wstest_path().exists():
        raise RuntimeError(f"{wstest_path()} missing after the install")
    marker.write_text(json.dumps(wanted))
    log(f"autobahn setup: done in {time.monotonic() - started:.0f} s ({python2})")
    return wstest_path()


@dataclass
class CaseResult:
    """One case's outcome for one agent, as the suite's index.json has it."""

    case: str
    behavior: str
    behavior_close: str
    remote_close_code: int | None
    duration_ms: int

    @property
    def section(self) -> int:
        """The case's section (the first number of its id)."""
        return int(self.case.split(".", 1)[0])


def case_key(case: str) -> tuple[int, ...]:
    """Sort key for case ids such as ``"12.1.10"``."""
    return tuple(int(p) for p in case.split("."))


def read_index(path: Path) -> dict[str, dict[str, CaseResult]]:
    """The fuzzing client's ``index.json``: agent -> case id -> result."""
    raw = json.loads(path.read_text())
    return {
        agent: {
            case: CaseResult(
                case=case,
                behavior=entry["behavior"],
                behavior_close=entry["behaviorClose"],
                remote_close_code=entry.get("remoteCloseCode"),
                duration_ms=int(entry["duration"]),
            )
            for case, entry in cases.items()
        }
        for agent, cases in raw.items()
    }


@dataclass
class AgentRun:
    """One agent's run: its results and how long the whole run took."""

    agent: str
    url: str
    results: dict[str, CaseResult] = field(default_factory=dict)
    seconds: float = 0.0
    output: str = ""

    def failed(self) -> list[CaseResult]:
        """The cases whose behaviour is FAILED."""
        return [r for r in self.sorted_results() if r.behavior == "FAILED"]

    def deflate_not_ok(self) -> list[CaseResult]:
        """The permessage-deflate cases (sections 12, 13) not OK."""
        return [r for r in self.sorted_results() if r.section in DEFLATE_SECTIONS and r.behavior != "OK"]

    def sorted_results(self) -> list[CaseResult]:
        """The results in case order."""
        return [self.results[c] for c in sorted(self.results, key=case_key)]


def write_spec(path: Path, servers: Sequence[tuple[str, str]], cases: Sequence[str], outdir: Path) -> Path:
    """Writes a fuzzingclient spec to *path*: *servers* ((agent name, URL),
    run in that order, each through all of *cases*), reports into
    *outdir*. Returns *path*."""
    spec = {
        "outdir": str(outdir),
        "servers": [{"agent": agent, "url": url} for agent, url in servers],
        "cases": list(cases),
        "exclude-cases": [],
        "exclude-agent-cases": {},
    }
    path.write_text(json.dumps(spec, indent=2))
    return path


def run_fuzzingclient(
    wstest: Path,
    agent: str,
    url: str,
    cases: Sequence[str],
    report_dir: Path,
    timeout: float,
    client_cpus: set[int] | None = None,
) -> AgentRun:
    """Runs ``wstest -m fuzzingclient`` against one server and reads its
    report (``report_dir/<agent>/index.json``); with *client_cpus* the
    client runs on those CPUs only. Raises RuntimeError when wstest fails
    or exceeds ``timeout`` seconds."""
    outdir = report_dir / agent
    shutil.rmtree(outdir, ignore_errors=True)
    outdir.mkdir(parents=True)
    spec = write_spec(report_dir / f"fuzzingclient-{agent}.json", [(agent, url)], cases, outdir)
    started = time.monotonic()
    output = _run_wstest(wstest, spec, report_dir / f"wstest-{agent}.log", agent, timeout, client_cpus)
    seconds = time.monotonic() - started
    results = read_index(outdir / "index.json").get(agent, {})
    if not results:
        raise RuntimeError(f"wstest wrote no results for {agent}:\n{output[-4000:]}")
    return AgentRun(agent=agent, url=url, results=results, seconds=seconds, output=output)


def _run_wstest(
    wstest: Path, spec: Path, log_path: Path, what: str, timeout: float, client_cpus: set[int] | None
) -> str:
    """One ``wstest -m fuzzingclient -s spec`` run, bounded to *timeout*
    seconds; returns its output. Raises RuntimeError when it fails, runs
    over, or writes no ``index.json`` into the spec's outdir."""
    # The client's output goes to a file as it runs (unbuffered), so that
    # progress ("Running test case ID ...") can be followed with tail -f.
    with open(log_path, "wb") as log_file:
        proc = subprocess.Popen(
            [str(wstest), "-m", "fuzzingclient", "-s", str(spec)],
            cwd=spec.parent,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env=dict(os.environ, PYTHONUNBUFFERED="1"),
            preexec_fn=(lambda: os.sched_setaffinity(0, client_cpus)) if client_cpus else None,
        )
        try:
            returncode = proc.wait(timeout)
        except subprocess.TimeoutExpired as exc:
            raise RuntimeError(
                f"wstest against {what} did not finish within {timeout:.0f} s; "
                f"last case started: {_last_case(log_path)} (log: {log_path})"
            ) from exc
        finally:
            if proc.poll() is None:  # timed out or interrupted: the client we started goes
                proc.kill()
                proc.wait(10)
    output = log_path.read_text(errors="replace")
    outdir = Path(json.loads(spec.read_text())["outdir"])
    if returncode != 0 or not (outdir / "index.json").exists():
        raise RuntimeError(f"wstest against {what} failed ({returncode}):\n{output[-4000:]}")
    return output


def _last_case(log_path: Path) -> str:
    """The id of the last case the client's log says it started."""
    found = re.findall(r"Running test case ID (\S+)", log_path.read_text(errors="replace"))
    return found[-1] if found else "none"


@contextmanager
def catalina_server(base: Path) -> Iterator[str]:
    """catalina_py with the shipped examples webapp; yields the echo URL."""
    server = CatalinaProcess(base, webapps={"examples": REPO / "webapps" / "examples"})
    server.start(timeout=60)
    try:
        yield f"ws://127.0.0.1:{server.port}{CATALINA_ECHO_PATH}"
    finally:
        server.stop()


def missing_tomcat_examples() -> str | None:
    """Why Tomcat's echo example cannot run here, or None."""
    missing = missing_tomcat()
    if missing:
        return missing
    if not (TOMCAT_EXAMPLES / "WEB-INF" / "web.xml").exists():
        return f"{TOMCAT_EXAMPLES} is missing (install the tomcat10-examples package)"
    return None


def tomcat_examples_process(base: Path) -> TomcatProcess:
    """Tomcat 10.1 with Debian's examples webapp in its own CATALINA_BASE
    under ``base`` and the full JIT, not started yet: start it with
    ``start(timeout=120, ready_url=TOMCAT_READY_PATH)``. The one setup of
    ``tomcat_server`` and bench/ws_echo.py (which edits the copied web.xml
    before starting it)."""
    return TomcatProcess(base, webapps={"examples": TOMCAT_EXAMPLES}, java_opts=TOMCAT_JAVA_OPTS)


@contextmanager
def tomcat_server(base: Path) -> Iterator[str]:
    """Tomcat 10.1 with its own examples webapp; yields the echo URL."""
    server = tomcat_examples_process(base)
    server.start(timeout=120, ready_url=TOMCAT_READY_PATH)
    try:
        yield f"ws://127.0.0.1:{server.port}{TOMCAT_ECHO_PATH}"
    finally:
        server.stop()


def run_agents(
    agents: Iterable[str],
    cases: Sequence[str],
    report_dir: Path,
    work: Path,
    timeout: float = 3600.0,
    log: Callable[[str], None] = say,
    client_cpus: set[int] | None = None,
) -> dict[str, AgentRun]:
    """Runs the suite against each agent in turn (one server up at a
    time), each run bounded to ``timeout`` seconds; returns the runs by
    agent. The servers run on the caller's CPUs, the client on
    *client_cpus* when given (a benchmark pins them apart)."""
    wstest = ensure_wstest(log)
    servers = {"catalina_py": catalina_server, "tomcat": tomcat_server}
    runs: dict[str, AgentRun] = {}
    for agent in agents:
        with servers[agent](work / agent) as url:
            log(f"autobahn: {agent} at {url}, cases {' '.join(cases)}")
            runs[agent] = run_fuzzingclient(wstest, agent, url, cases, report_dir, timeout, client_cpus)
        log(f"autobahn: {agent}: {len(runs[agent].results)} cases in {runs[agent].seconds:.0f} s")
    return runs


def section_counts(run: AgentRun) -> dict[int, dict[str, int]]:
    """Per section: behaviour -> number of cases, plus ``"close!=OK"`` (the
    closing behaviour was not OK) and ``"ms"`` (summed durations)."""
    counts: dict[int, dict[str, int]] = {}
    for result in run.results.values():
        row = counts.setdefault(result.section, dict.fromkeys((*BEHAVIORS, "other", "close!=OK", "ms"), 0))
        row[result.behavior if result.behavior in BEHAVIORS else "other"] += 1
        if result.behavior_close not in ("OK", "INFORMATIONAL"):
            row["close!=OK"] += 1
        row["ms"] += result.duration_ms
    return counts


def format_sections(runs: dict[str, AgentRun]) -> str:
    """The table by section: one row per section and agent."""
    columns = ("OK", "NON-STRICT", "INFO", "UNIMPL", "FAILED", "other", "close!=OK", "cases", "time ms")
    header = f"{'section':<32} {'agent':<12} " + " ".join(f"{c:>10}" for c in columns)
    lines = [header, "-" * len(header)]
    totals: dict[str, dict[str, int]] = {}
    counts = {agent: section_counts(run) for agent, run in runs.items()}
    sections = sorted({s for c in counts.values() for s in c})
    for section in sections:
        label = f"{section} {SECTIONS.get(section, '?')}"
        for agent in runs:
            row = counts[agent].get(section)
            if row is None:
                continue
            total = totals.setdefault(agent, dict.fromkeys(row, 0))
            for key, value in row.items():
                total[key] += value
            lines.append(f"{label:<32} {agent:<12} " + _row_cells(row))
            label = ""
    for agent, total in totals.items():
        lines.append(f"{'all':<32} {agent:<12} " + _row_cells(total))
    return "\n".join(lines)


def _row_cells(row: dict[str, int]) -> str:
    """The cells of one row of ``format_sections``."""
    values = [
        *(row[b] for b in BEHAVIORS),
        row["other"],
        row["close!=OK"],
        sum(row[b] for b in BEHAVIORS) + row["other"],
        row["ms"],
    ]
    return " ".join(f"{v:>10}" for v in values)


@dataclass
class Slower:
    """A case where catalina_py took longer than Tomcat."""

    case: str
    ours_ms: int
    tomcat_ms: int

    @property
    def ratio(self) -> float:
        """catalina_py's time over Tomcat's (Tomcat's 0 ms counted as 1)."""
        return self.ours_ms / max(self.tomcat_ms, 1)


#: Below this many milliseconds (catalina_py's time) a difference is within
#: the suite's timer resolution and scheduling noise: listed apart.
NOISE_MS = 5


#: Behaviours whose durations are compared: a case one side FAILED ended
#: early, one Tomcat left UNIMPLEMENTED (deflate parameters it refuses)
#: ended at the handshake.
COMPARABLE = ("OK", "NON-STRICT", "INFORMATIONAL")


def comparable_cases(ours: AgentRun, tomcat: AgentRun) -> list[str]:
    """The cases both ran to completion (see ``COMPARABLE``), in order."""
    return sorted(
        (
            case
            for case, result in ours.results.items()
            if case in tomcat.results and result.behavior in COMPARABLE and tomcat.results[case].behavior in COMPARABLE
        ),
        key=case_key,
    )


def slower_cases(ours: AgentRun, tomcat: AgentRun) -> list[Slower]:
    """The comparable cases where catalina_py's duration exceeds Tomcat's,
    largest ratio first."""
    found = [
        Slower(case, ours.results[case].duration_ms, tomcat.results[case].duration_ms)
        for case in comparable_cases(ours, tomcat)
        if ours.results[case].duration_ms > tomcat.results[case].duration_ms
    ]
    return sorted(found, key=lambda s: (-s.ratio, case_key(s.case)))


def format_slower(ours: AgentRun, tomcat: AgentRun, top: int = 40) -> str:
    """The time comparison: totals over the comparable cases, how many
    cases catalina_py was slower on, and the ``top`` slowest by ratio
    (those where catalina_py took ``NOISE_MS`` or more)."""
    slower = slower_cases(ours, tomcat)
    common = comparable_cases(ours, tomcat)
    ours_total = sum(ours.results[c].duration_ms for c in common)
    tomcat_total = sum(tomcat.results[c].duration_ms for c in common)
    real = [s for s in slower if s.ours_ms >= NOISE_MS]
    lines = [
        f"time over the {len(common)} cases both completed (not FAILED/UNIMPLEMENTED on either side; "
        f"{len(ours.results) - len(common)} left out): catalina_py {ours_total} ms, tomcat {tomcat_total} ms "
        f"(ratio {ours_total / max(tomcat_total, 1):.2f}); whole runs {ours.seconds:.0f} s vs {tomcat.seconds:.0f} s",
        f"catalina_py slower on {len(slower)} of them: {len(real)} at >= {NOISE_MS} ms, "
        f"{len(slower) - len(real)} under {NOISE_MS} ms (timer resolution)",
    ]
    if real:
        lines.append(f"{'case':<10} {'catalina_py ms':>15} {'tomcat ms':>10} {'ratio':>7}")
        for item in real[:top]:
            lines.append(f"{item.case:<10} {item.ours_ms:>15} {item.tomcat_ms:>10} {item.ratio:>7.2f}")
        if len(real) > top:
            lines.append(f"... {len(real) - top} more (--top)")
    return "\n".join(lines)


@dataclass
class CaseSamples:
    """One case's durations on both servers over several runs (ms)."""

    case: str
    ours: list[int]
    tomcat: list[int]

    @property
    def ours_median(self) -> float:
        """catalina_py's median duration."""
        return statistics.median(self.ours)

    @property
    def tomcat_median(self) -> float:
        """Tomcat's median duration."""
        return statistics.median(self.tomcat)

    @property
    def ratio(self) -> float:
        """The medians' ratio, catalina_py over Tomcat."""
        return self.ours_median / max(self.tomcat_median, 1.0)


def recheck_slower(
    first: dict[str, AgentRun],
    rounds: int,
    report_dir: Path,
    work: Path,
    timeout: float = 3600.0,
    log: Callable[[str], None] = say,
    client_cpus: set[int] | None = None,
) -> list[CaseSamples]:
    """Runs the cases catalina_py was slower on in *first* (at ``NOISE_MS``
    or more) *rounds* more times on both servers, the order of the two
    alternating from round to round (a machine that slows down over a run
    then hurts both alike); returns each case's durations, the first run's
    included, largest median ratio first. One run of a case is a single
    sample on a shared machine: the medians are what a claim rests on."""
    ours, tomcat = first["catalina_py"], first["tomcat"]
    cases = [s.case for s in slower_cases(ours, tomcat) if s.ours_ms >= NOISE_MS]
    samples = {
        case: CaseSamples(case, [ours.results[case].duration_ms], [tomcat.results[case].duration_ms]) for case in cases
    }
    for round_no in range(rounds):
        if not cases:
            break
        order = ["tomcat", "catalina_py"] if round_no % 2 == 0 else ["catalina_py", "tomcat"]
        directory = report_dir / f"recheck-{round_no + 1}"
        directory.mkdir(parents=True, exist_ok=True)
        runs = run_agents(order, cases, directory, work / directory.name, timeout, log, client_cpus)
        for case in cases:
            mine, theirs = runs["catalina_py"].results.get(case), runs["tomcat"].results.get(case)
            if mine is not None and theirs is not None:
                samples[case].ours.append(mine.duration_ms)
                samples[case].tomcat.append(theirs.duration_ms)
    return sorted(samples.values(), key=lambda r: (-r.ratio, case_key(r.case)))


def format_recheck(results: list[CaseSamples], top: int = 40) -> str:
    """The rechecked cases: medians, ratio and every sample; then how many
    are still slower by median (those at ``NOISE_MS`` or more apart)."""
    if not results:
        return "recheck: no case to recheck"
    return format_samples(results, f"recheck of the {len(results)} cases slower in the first run", "still ", top)


def format_samples(results: list[CaseSamples], title: str, still: str = "", top: int = 40) -> str:
    """Cases with several samples on each server: how many are slower by
    median (``NOISE_MS`` or more apart), then the *top* by median ratio
    with every sample."""
    slower = [r for r in results if r.ours_median - r.tomcat_median >= NOISE_MS]
    lines = [
        f"{title} ({len(results[0].ours)} samples each): "
        f"{len(slower)} {still}slower by median (by {NOISE_MS} ms or more)",
        f"{'case':<10} {'ours median':>12} {'tomcat median':>14} {'ratio':>7}  samples (ours / tomcat, ms)",
    ]
    for item in results[:top]:
        lines.append(
            f"{item.case:<10} {item.ours_median:>12.0f} {item.tomcat_median:>14.0f} {item.ratio:>7.2f}  "
            f"{item.ours} / {item.tomcat}"
        )
    if len(results) > top:
        lines.append(f"... {len(results) - top} more (--top)")
    return "\n".join(lines)


def expand_cases(cases: Sequence[str]) -> list[str]:
    """The case ids *cases* (``*`` wildcards allowed) stand for, in the
    suite's order, expanded by the installed suite itself."""
    python = wstest_path().parent / "python"
    code = (
        "import json, sys\n"
        "from autobahntestsuite.caseset import CaseSet\n"
        "from autobahntestsuite.case import Cases, CaseCategories, CaseSubCategories, CaseBasename, CaseSetname\n"
        "found = CaseSet(CaseSetname, CaseBasename, Cases, CaseCategories, CaseSubCategories)\n"
        "print(json.dumps(found.parseSpecCases({'cases': json.loads(sys.argv[1])})))\n"
    )
    done = subprocess.run(
        [str(python), "-c", code, json.dumps(list(cases))], capture_output=True, text=True, timeout=120
    )
    if done.returncode != 0:
        raise RuntimeError(f"could not expand the cases {list(cases)}:\n{done.stderr[-2000:]}")
    ids: list[str] = json.loads(done.stdout)
    if not ids:
        raise RuntimeError(f"no case matches {list(cases)}")
    return ids


def paired_order(pairs: int, flip: bool = False) -> list[str]:
    """The agents' order for one case's runs: catalina_py, tomcat, then
    tomcat, catalina_py, and so on (ABBA), so that a machine speeding up
    or slowing down over the runs weighs on both alike; *flip* starts
    with tomcat (``run_paired`` flips every other case, so that a place
    in the order that runs faster or slower favours neither server)."""
    first, second = reversed(AGENTS) if flip else AGENTS
    order: list[str] = []
    for pair in range(pairs):
        order += [first, second] if pair % 2 == 0 else [second, first]
    return order


#: Worse behaviours rank higher: a case's paired runs report the worst.
_BEHAVIOR_RANK = {"OK": 0, "INFORMATIONAL": 1, "NON-STRICT": 2, "UNIMPLEMENTED": 3, "FAILED": 4}


def _run_servers(
    wstest: Path,
    servers: Sequence[tuple[str, str]],
    cases: Sequence[str],
    directory: Path,
    timeout: float,
    client_cpus: set[int] | None,
) -> dict[str, dict[str, CaseResult]]:
    """One fuzzing client run over *servers* ((agent name, URL), in that
    order, each through all of *cases*); returns its index."""
    outdir = directory / "reports"
    shutil.rmtree(outdir, ignore_errors=True)
    outdir.mkdir(parents=True)
    spec = write_spec(directory / "fuzzingclient.json", servers, cases, outdir)
    what = ", ".join(name for name, _ in servers)
    _run_wstest(wstest, spec, directory / "wstest.log", what, timeout, client_cpus)
    return read_index(outdir / "index.json")


def run_paired(
    cases: Sequence[str],
    pairs: int,
    report_dir: Path,
    work: Path,
    timeout: float = 3600.0,
    log: Callable[[str], None] = say,
    client_cpus: set[int] | None = None,
    warmup: bool = True,
) -> tuple[dict[str, AgentRun], list[CaseSamples]]:
    """The time comparison case by case: both servers up at once, and for
    each case one fuzzing client run that takes it *pairs* times on each
    server, alternating (``paired_order``), after an unrecorded first
    run (the client's own warm-up). Noise on a shared machine
    moves over minutes (a whole run of one server, then of the other, can
    put a tenth between two runs of the same server); runs of the same
    case seconds apart see the same machine. With *warmup*, one
    unrecorded pass of the cases on each server first (Tomcat's JIT at
    its best, as the other comparisons have it).

    Returns an ``AgentRun`` per agent whose durations are the medians and
    whose behaviour per case is the worst of its runs, and the samples,
    largest median ratio first."""
    wstest = ensure_wstest(log)
    ids = expand_cases(cases)
    with catalina_server(work / "catalina_py") as ours_url, tomcat_server(work / "tomcat") as tomcat_url:
        urls = {"catalina_py": ours_url, "tomcat": tomcat_url}
        if warmup:
            started = time.monotonic()
            directory = report_dir / "warmup"
            directory.mkdir(parents=True, exist_ok=True)
            _run_servers(wstest, [(f"warmup-{a}", urls[a]) for a in AGENTS], ids, directory, timeout, client_cpus)
            log(f"autobahn: warm-up pass of {len(ids)} cases on both servers in {time.monotonic() - started:.0f} s")
        runs = {agent: AgentRun(agent=agent, url=urls[agent]) for agent in AGENTS}
        samples: list[CaseSamples] = []
        for number, case in enumerate(ids, 1):
            order = paired_order(pairs, flip=number % 2 == 0)
            # A first, unrecorded run of the case: the client process's own
            # first run of it (its imports, the test data read) is slower.
            lead_in = ("lead-in", urls[order[1]])
            servers = [lead_in, *((f"{agent}-{k}", urls[agent]) for k, agent in enumerate(order))]
            directory = report_dir / "paired" / case
            directory.mkdir(parents=True, exist_ok=True)
            index = _run_servers(wstest, servers, [case], directory, timeout, client_cpus)
            durations: dict[str, list[int]] = {agent: [] for agent in AGENTS}
            for (name, _), agent in zip(servers[1:], order, strict=True):
                result = index[name][case]
                durations[agent].append(result.duration_ms)
                kept = runs[agent].results.get(case)
                if kept is None or _BEHAVIOR_RANK.get(result.behavior, 5) > _BEHAVIOR_RANK.get(kept.behavior, 5):
                    runs[agent].results[case] = result
            for agent in AGENTS:
                kept = runs[agent].results[case]
                median = int(statistics.median(durations[agent]))
                runs[agent].results[case] = CaseResult(
                    case, kept.behavior, kept.behavior_close, kept.remote_close_code, median
                )
                runs[agent].seconds += median / 1000
            item = CaseSamples(case, durations["catalina_py"], durations["tomcat"])
            samples.append(item)
            log(
                f"autobahn: {case} ({number}/{len(ids)}): catalina_py {item.ours}, tomcat {item.tomcat} ms, "
                f"median ratio {item.ratio:.2f}"
            )
    return runs, sorted(samples, key=lambda r: (-r.ratio, case_key(r.case)))


def format_failures(run: AgentRun, limit: int = 200) -> str:
    """The cases not OK/NON-STRICT/INFORMATIONAL for one agent, one a line,
    with the server's close code."""
    bad = [r for r in run.sorted_results() if r.behavior not in ("OK", "NON-STRICT", "INFORMATIONAL")]
    lines = [
        f"{r.case:<10} {r.behavior:<14} close {r.behavior_close:<12} code {r.remote_close_code}" for r in bad[:limit]
    ]
    if len(bad) > limit:
        lines.append(f"... {len(bad) - limit} more")
    return "\n".join(lines)


def close_codes(run: AgentRun) -> dict[str, int]:
    """How many cases ended with each (behaviour, remote close code)."""
    found: dict[str, int] = {}
    for result in run.results.values():
        if result.behavior == "FAILED":
            key = f"FAILED/{result.remote_close_code}"
            found[key] = found.get(key, 0) + 1
    return found


_CASE_PATTERN = re.compile(r"^(\*|\d+(\.(\d+|\*))*)$")


def parse_cases(text: str) -> list[str]:
    """``--cases`` (comma separated, ``*`` wildcards as the suite takes them)
    into the spec's list; raises ValueError on a malformed id."""
    cases = [c.strip() for c in text.split(",") if c.strip()]
    for case in cases:
        if not _CASE_PATTERN.match(case):
            raise ValueError(f"bad case id {case!r} (use ids such as 1.1.1, 9.*, *)")
    return cases or ["*"]
