"""Start-up: the command line, CATALINA_HOME/CATALINA_BASE, and building
the component tree from ``conf/server.xml`` (Tomcat's ``Bootstrap`` and
``Catalina`` classes).

Commands, as ``catalina.sh`` has them::

    catalina-py run          # in the foreground
    catalina-py start        # in the background (PID file, logs/catalina.out)
    catalina-py stop         # through the shutdown port
    catalina-py configtest   # read and check the configuration, start nothing
    catalina-py version

Options ``-Dname=value`` set properties for ``${name}`` in server.xml.
``run --workers N`` (or ``<Server workers="N">``) above 1 runs a supervisor
of N worker processes (:func:`run_supervisor`, :func:`run_worker`,
``supervisor.py``); with 1, the default, ``run`` is one process.
"""

from __future__ import annotations

import argparse
import atexit
import gc
import logging
import os
import platform
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import TOMCAT_REFERENCE, __version__
from .errors import ConfigError

log = logging.getLogger("catalina_py.startup")

#: The valve Tomcat's StandardHost adds to every Host unless one is configured.
ERROR_REPORT_VALVE = "catalina_py.container.valves.error_report.ErrorReportValve"


@dataclass
class Layout:
    """Where the install and the instance live."""

    home: str
    base: str
    properties: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_environment(cls, defines: dict[str, str] | None = None) -> Layout:
        """The layout from ``-Dcatalina.home``/``-Dcatalina.base`` (as
        Tomcat's Bootstrap reads its system properties), else the
        environment variables ``CATALINA_HOME``/``CATALINA_BASE``, else the
        install this package belongs to."""
        defines = dict(defines or {})
        home = (
            defines.get("catalina.home")
            or os.environ.get("CATALINA_HOME")
            or os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        )
        base = defines.get("catalina.base") or os.environ.get("CATALINA_BASE") or home
        return cls(os.path.abspath(home), os.path.abspath(base), defines)

    def conf(self, name: str) -> str:
        """A file of ``conf/``: the instance's own, else the install's (as
        Tomcat falls back for conf/web.xml)."""
        own = os.path.join(self.base, "conf", name)
        if os.path.exists(own) or self.base == self.home:
            return own
        return os.path.join(self.home, "conf", name)

    def all_properties(self) -> dict[str, str]:
        """Properties for ``${name}``: built-ins, -D options, conf/catalina.properties."""
        from .config.properties import build_properties

        return build_properties(self.home, self.base, self.properties)


#: Connector attributes catalina_py does not implement and must not ignore:
#: ignoring them would serve in a way the configuration forbids. Attribute
#: -> (when it is set in a way that matters, message, what to write instead).
_UNHONOURED_CONNECTOR_SETTINGS: dict[str, tuple[Callable[[str], bool], str, str]] = {
    "unixDomainSocketPath": (
        lambda value: bool(value.strip()),
        "unixDomainSocketPath: Unix domain sockets are not supported by this version; this Connector would "
        "listen on a TCP port instead, reachable from the network",
        'a Connector with port and address (address="127.0.0.1" to accept local clients only)',
    ),
}


def refuse_unhonoured_settings(config: Any) -> None:
    """Raise ConfigError (file:line, what to do) for a setting catalina_py
    cannot honour where ignoring it would be unsafe -- a Unix socket that
    would become a TCP port. Other
    unimplemented attributes stay warnings; docs/configuration.md lists
    the decisions."""
    for service in config.services:
        for connector in service.connectors:
            for name, (matters, message, hint) in _UNHONOURED_CONNECTOR_SETTINGS.items():
                value = connector.extra.get(name)
                if value is not None and matters(value):
                    raise ConfigError.at(connector.location, message, hint)


class Catalina:
    """Builds a StandardServer from the configuration and runs it."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.server: Any = None
        self.warnings: list[str] = []
        #: Server-level listeners run here (``<Listener>`` with a Python
        #: class, ``run --trace-file``): started before the connectors
        #: accept, stopped after they stopped.
        self.listeners: list[Any] = []
        #: The UserDatabase resources of server.xml's <GlobalNamingResources>.
        self.user_databases: Any = {}

    # -- building -----------------------------------------------------------
    def load(self) -> Any:
        """Read and check every configuration file and build the component
        tree; raises ConfigError before anything listens."""
        from .config import load_server_xml, resolve_app_base, resolve_class
        from .config.web_xml import parse_web_xml
        from .connector.endpoint import Connector
        from .container.adapter import CoyoteAdapter
        from .container.host import StandardEngine, StandardHost
        from .container.mapper import Mapper
        from .container.server import StandardServer, StandardService
        from .deploy.host_config import HostConfig

        server_xml = os.path.join(self.layout.base, "conf", "server.xml")
        if not os.path.isfile(server_xml):
            raise ConfigError(
                f"no configuration file at {server_xml}", hint="CATALINA_BASE must contain conf/server.xml"
            )
        properties = self.layout.all_properties()
        config, warnings = load_server_xml(server_xml, properties)
        refuse_unhonoured_settings(config)
        self.warnings.extend(str(w) for w in warnings)
        self.user_databases = config.user_databases
        global_web_xml = parse_web_xml(self.layout.conf("web.xml"))

        server = StandardServer(config.port, config.shutdown, config.address)
        for service_config in config.services:
            engine_config = service_config.engine
            engine = StandardEngine(engine_config.name, engine_config.default_host)
            if engine_config.realm is not None:
                engine.realm = self._make_realm(engine_config.realm)
            mapper = Mapper()
            for valve_config in engine_config.valves:
                engine.pipeline.add_valve(self._make_valve(valve_config))
            service = StandardService(service_config.name, engine, mapper)
            for host_config in engine_config.hosts:
                host = StandardHost(
                    host_config.name,
                    resolve_app_base(host_config, self.layout.base),
                    host_config.aliases,
                    host_config.auto_deploy,
                )
                for valve_config in host_config.valves:
                    host.pipeline.add_valve(self._make_valve(valve_config))
                if host_config.realm is not None:
                    host.realm = self._make_realm(host_config.realm)
                if not any(type(v).__name__ == "ErrorReportValve" for v in host.pipeline.valves):
                    host.pipeline.add_valve(resolve_class(ERROR_REPORT_VALVE)())
                host.access_logs = engine.pipeline.access_logs() + host.pipeline.access_logs()
                engine.add_host(host)
                mapper.add_host(host.name, host, host.aliases)
                deployer = HostConfig(
                    host,
                    host.app_base,
                    mapper,
                    global_web_xml,
                    host_config.contexts,
                    self._make_valve,
                    catalina_base=self.layout.base,
                    properties=properties,
                    deploy_on_startup=host_config.deploy_on_startup,
                    background_processor_delay=host_config.background_processor_delay,
                    server=server,
                    deploy_xml=host_config.deploy_xml,
                    deploy_ignore=host_config.deploy_ignore,
                    make_realm=self._make_realm,
                )
                service.host_configs.append(deployer)
            mapper.set_default_host(engine_config.default_host)
            adapter = CoyoteAdapter(engine, mapper)
            adapter.server_info = f"catalina_py/{__version__}"
            for connector_config in service_config.connectors:
                connector = Connector(connector_config, adapter)  # a TLS one loads its certificates here
                self.warnings.extend(connector.warnings)
                service.connectors.append(connector)
            server.services.append(service)
        for listener_config in config.listeners:
            if listener_config.python_class is not None:
                cls = resolve_class(listener_config.python_class)
                self.listeners.append(cls(listener_config.attributes, catalina_base=self.layout.base))
        # <Cluster> (Redis): started with the listeners, before the contexts;
        # without one, nothing of catalina_py.cluster (nor redis) is imported.
        for service_config in config.services:
            if service_config.engine.cluster is not None:
                cluster_spec = service_config.engine.cluster
                self.listeners.append(resolve_class(cluster_spec.python_class)(cluster_spec))
        self.server = server
        return server

    def _make_realm(self, realm_config: Any) -> Any:
        """The realm of a ``<Realm>`` spec (server.xml or a context's
        descriptor), not started: its container starts it."""
        from .realm.factory import build_realm

        return build_realm(
            realm_config,
            catalina_base=self.layout.base,
            catalina_home=self.layout.home,
            user_databases=self.user_databases,
        )

    def _make_valve(self, valve_config: Any) -> Any:
        from .config import resolve_class

        cls = resolve_class(valve_config.python_class)
        valve = cls()
        if hasattr(valve, "catalina_base"):
            valve.catalina_base = self.layout.base
        self.warnings.extend(valve.configure(valve_config.attributes, valve_config.location))
        return valve

    # -- running ------------------------------------------------------------
    def start(self) -> None:
        """Bind everything, then start (the server serves when this returns)."""
        log.info("Server version name:   catalina_py/%s (behaves as Apache Tomcat %s)", __version__, TOMCAT_REFERENCE)
        log.info("Python version:        %s %s", platform.python_implementation(), platform.python_version())
        log.info("CATALINA_HOME:         %s", self.layout.home)
        log.info("CATALINA_BASE:         %s", self.layout.base)
        if self.server is None:
            self.load()
        server = self.server
        assert server is not None  # load() sets it or raises
        for warning in self.warnings:
            log.warning("%s", warning)
        server.bind()
        for listener in self.listeners:
            listener.start()
        server.start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
        for listener in reversed(self.listeners):
            try:
                listener.stop()
            except Exception:
                log.exception("Listener %s failed to stop", type(listener).__name__)

    def run(self) -> int:
        """``catalina.sh run``: serve until the shutdown command or a signal."""
        self.start()
        self.server.install_signal_handlers()
        tune_garbage_collector()  # after the handlers: a SIGTERM meanwhile still stops cleanly
        self.server.await_stop()
        self.stop()
        return 0


#: The collector's thresholds for a serving process (generation 0, 1, 2).
#: CPython's default third value (10) walks the whole heap after every 10
#: generation-1 collections once it grew by a quarter: with 10,000 idle
#: WebSockets (about a million tracked objects) each such pass stopped the
#: process for 0.5-2 s, ten times while they were opening. 100 makes those
#: passes ten times rarer; generations 0 and 1 keep their default sizes, so
#: their pauses stay short (docs/hardening.md "Idle WebSockets").
GC_THRESHOLDS = (700, 10, 100)


def tune_garbage_collector() -> None:
    """Once the server serves: freeze what start-up built (modules, webapps,
    configuration: never garbage, so never walked again), raise the
    full-collection threshold (:data:`GC_THRESHOLDS`), and stop gevent
    recording each greenlet's spawning stack and tree (ten objects per
    greenlet that nothing here reads)."""
    import gevent

    gevent.config.track_greenlet_tree = False
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


# -- the command line ---------------------------------------------------------
def _configure_logging(level: str = "INFO", process: str | None = None) -> None:
    """Log lines to stdout; with worker processes every line names its
    process (*process*: "supervisor 1234", "worker-2 1240")."""
    tag = f"[{process}] " if process else ""
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format=f"%(asctime)s.%(msecs)03d %(levelname)s {tag}[%(name)s] %(message)s",
        datefmt="%d-%b-%Y %H:%M:%S",
        stream=sys.stdout,
        force=process is not None,
    )


#: The commands, with the one-line help ``--help`` shows for each.
COMMANDS: dict[str, str] = {
    "run": "start the server in the foreground (Ctrl-C or SIGTERM stops it)",
    "start": "start the server in the background (logs/catalina.out, PID file) and wait until it serves",
    "stop": "stop the server through its shutdown port (SIGTERM when the port is disabled) and wait for it to exit",
    "configtest": "read and check every configuration file and import every webapp's classes; start nothing",
    "version": "print the versions of catalina_py, Python and the libraries it uses",
    "tour": "the guided tour of the connector: plays a scenario and explains its trace (docs/tour.md)",
    "digest": "print the stored form of passwords for tomcat-users.xml, as Tomcat's digest.sh (docs/security.md)",
}

_DEFINES_HELP = """\
properties:
  -Dname=value          set the property "name" for ${name} in conf/server.xml
                        and in context descriptors (also conf/catalina.properties;
                        -D wins); -Dname alone sets it to ""
  -Dcatalina.base=DIR   the instance (conf/, logs/, webapps/); default
                        $CATALINA_BASE, else the install
  -Dcatalina.home=DIR   the install; default $CATALINA_HOME, else the folder
                        catalina_py is installed from

environment:
  CATALINA_HOME, CATALINA_BASE   as -Dcatalina.home, -Dcatalina.base
  CATALINA_PID         the PID file of start/stop (default logs/catalina.pid)
  CATALINA_OUT         the output file of start (default logs/catalina.out)
  CATALINA_LOG_LEVEL   the default of --log-level
  CATALINA_TRACE=1, CATALINA_TRACE_FILE=PATH   the defaults of --trace, --trace-file
  CATALINA_WORKER_SOCKETS=inherit   with --workers: one socket inherited by the
                       workers instead of one SO_REUSEPORT socket each (Linux default)
"""

_DESCRIPTION = """\
catalina_py, a servlet container in Python that behaves as Apache Tomcat 10.1.
Commands are those of Tomcat's catalina.sh (also bin/startup.sh, bin/shutdown.sh,
bin/configtest.sh). 'catalina-py COMMAND --help' shows a command's options.
"""


def _add_run_options(parser: argparse.ArgumentParser) -> None:
    """The options of ``run`` (``start`` passes them on to its ``run``)."""
    parser.add_argument(
        "--log-level",
        metavar="LEVEL",
        default=os.environ.get("CATALINA_LOG_LEVEL", "INFO"),
        help="DEBUG, INFO, WARNING or ERROR (default: $CATALINA_LOG_LEVEL, else INFO)",
    )
    parser.add_argument(
        "--trace",
        action="store_true",
        default=os.environ.get("CATALINA_TRACE", "") not in ("", "0", "false"),
        help="log each connection's steps (accept, parse, map, valves, filters, servlet, commit, "
        "upgrade, frames, close); also CATALINA_TRACE=1 (docs/trace.md)",
    )
    parser.add_argument(
        "--trace-file",
        metavar="PATH",
        default=os.environ.get("CATALINA_TRACE_FILE") or None,
        help="write every event as a JSON line to PATH (relative to CATALINA_BASE); also CATALINA_TRACE_FILE",
    )
    parser.add_argument(
        "--workers",
        metavar="N",
        default=None,
        help="worker processes: a number, or auto (one per core); default: workers of <Server> in "
        "server.xml, else 1 (one process, no supervisor); see docs/deployment.md",
    )
    parser.add_argument("--trace-connector", metavar="NAME", help="trace only this connector (name or port)")
    parser.add_argument("--trace-client", metavar="ADDRESS", help="trace only connections from this client address")
    parser.add_argument("--trace-path", metavar="PREFIX", help="trace only requests whose target starts with PREFIX")


def _add_wait_option(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "--wait", metavar="SECONDS", type=float, default=30.0, help=f"how long to wait for the server to {what} (30)"
    )


def build_parser() -> argparse.ArgumentParser:
    """The command line: one sub-command per :data:`COMMANDS` entry, each
    with its own ``--help`` listing its options and the -D options."""
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="catalina-py", description=_DESCRIPTION, epilog=_DEFINES_HELP, formatter_class=formatter
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    commands.required = True
    for name, summary in COMMANDS.items():
        sub = commands.add_parser(
            name,
            help=summary,
            description=f"catalina-py {name}: {summary}.",
            epilog=_DEFINES_HELP if name not in ("tour", "digest") else None,
            formatter_class=formatter,
            usage=f"catalina-py [-Dname=value ...] {name} [options]" if name not in ("tour", "digest") else None,
            add_help=name not in ("tour", "digest"),
        )
        if name in ("run", "start"):
            _add_run_options(sub)
        if name == "start":
            _add_wait_option(sub, "report that it serves")
        elif name == "stop":
            _add_wait_option(sub, "exit")
        elif name == "tour":
            sub.add_argument("tour_args", nargs=argparse.REMAINDER, help="see 'catalina-py tour --help'")
        elif name == "digest":
            sub.add_argument(
                "digest_args", nargs=argparse.REMAINDER, help="[-a ALG] [-i N] [-s N] [-h HANDLER] PASSWORD..."
            )
    return parser


def split_defines(argv: list[str]) -> tuple[list[str], dict[str, str]]:
    """Take the ``-Dname=value`` options (anywhere on the line, as the java
    command line of Tomcat's scripts has them) out of *argv*."""
    defines: dict[str, str] = {}
    rest = []
    for arg in argv:
        if arg.startswith("-D") and len(arg) > 2:
            name, _, value = arg[2:].partition("=")
            defines[name] = value
        else:
            rest.append(arg)
    return rest, defines


def parse_args(argv: list[str]) -> tuple[argparse.Namespace, dict[str, str]]:
    """The command line: the parsed command and options, and the -D
    properties."""
    rest, defines = split_defines(argv)
    # Options written before the command (catalina-py --trace run) are the
    # command's: move the command word first.
    for index, arg in enumerate(rest):
        if arg in COMMANDS:
            if index:
                rest = [arg] + rest[:index] + rest[index + 1 :]
            break
    return build_parser().parse_args(rest), defines


def pid_file(layout: Layout) -> str:
    """The PID file ``start`` writes: ``$CATALINA_PID``, else
    ``logs/catalina.pid`` of CATALINA_BASE."""
    return os.environ.get("CATALINA_PID") or os.path.join(layout.base, "logs", "catalina.pid")


def _read_pid(path: str) -> int | None:
    try:
        with open(path) as fh:
            return int(fh.read().strip())
    except (OSError, ValueError):
        return None


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


#: Whether this system has a /proc that tells a process's state and command line.
_HAVE_PROC = os.path.isdir("/proc/self")


def _proc_state(pid: int) -> str | None:
    """The state letter of ``/proc/PID/stat`` (``R``, ``S``, ``Z``...), an
    empty string when there is no such process, None without /proc."""
    if not _HAVE_PROC:
        return None
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read()
    except FileNotFoundError:
        return ""
    except OSError:
        return None
    # "pid (comm) S ...": comm may hold spaces and parentheses.
    rest = stat[stat.rfind(b")") + 1 :].split()
    return rest[0].decode("ascii", "replace") if rest else None


def _alive(pid: int) -> bool:
    """Whether *pid* names a running process. A zombie (exited, not yet
    reaped by its parent) is not running; one that is our child is reaped."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    state = _proc_state(pid)
    if state in ("Z", "X", ""):
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        return False
    if state is not None:
        return True
    try:  # no /proc: a zombie child of ours counts as gone
        done, _ = os.waitpid(pid, os.WNOHANG)
        return done == 0
    except ChildProcessError:
        return True


def _is_this_container(pid: int, layout: Layout) -> bool:
    """Whether the running process *pid* is catalina_py serving this
    CATALINA_BASE, judged from ``/proc/PID/cmdline`` (``start`` puts
    ``-Dcatalina.base=BASE`` there, as Tomcat's java command line has it)
    or, for a server started otherwise, its ``CATALINA_BASE``. True when it
    cannot be told (no /proc, not readable), so that ``start`` refuses
    rather than run a second server on the same base."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            args = fh.read().split(b"\0")
    except FileNotFoundError:
        return not _HAVE_PROC
    except OSError:
        return True
    if not any(b"catalina_py" in arg or b"catalina-py" in arg for arg in args):
        return False  # the PID was reused by another program
    bases = [arg[len(b"-Dcatalina.base=") :] for arg in args if arg.startswith(b"-Dcatalina.base=")]
    if bases:
        return any(os.path.realpath(os.fsdecode(base)) == os.path.realpath(layout.base) for base in bases)
    try:
        with open(f"/proc/{pid}/environ", "rb") as fh:
            environ = fh.read().split(b"\0")
    except OSError:
        return True
    for entry in environ:
        if entry.startswith(b"CATALINA_BASE="):
            return os.path.abspath(os.fsdecode(entry[len(b"CATALINA_BASE=") :])) == layout.base
    return layout.base == layout.home


def _running_server(pidfile: str, layout: Layout) -> tuple[int | None, str]:
    """The PID of the server the PID file names if it is running, else
    None and why the file is stale ("" when there is no PID file)."""
    pid = _read_pid(pidfile)
    if pid is None:
        return None, "unreadable" if os.path.exists(pidfile) else ""
    if not _alive(pid):
        return None, f"PID {pid} is not running"
    if not _is_this_container(pid, layout):
        return None, f"PID {pid} is another program, not catalina_py for {layout.base}"
    return pid, ""


def remove_pid_file_at_exit(layout: Layout) -> None:
    """Make this process remove the PID file ``start`` wrote for it when it
    exits: after a normal stop, SIGTERM/SIGINT (which stop the server
    gracefully) or an error. Only a file naming this process is removed
    (``run`` in a terminal leaves another server's file alone). SIGKILL
    cannot be caught: ``start`` and ``stop`` then see the PID is gone."""
    path = pid_file(layout)
    me = os.getpid()

    def remove() -> None:
        if _read_pid(path) == me:
            _remove(path)

    atexit.register(remove)

    def exit_on_signal(signum: int, frame: Any) -> None:
        # Until the server installs its own graceful handlers: exit through
        # SystemExit, so that atexit runs (the default action would not).
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, exit_on_signal)


def run_options(args: argparse.Namespace) -> list[str]:
    """The ``run`` options of a ``start`` command line, to pass on."""
    options = ["--log-level", args.log_level]
    if args.workers is not None:
        options += ["--workers", args.workers]
    if args.trace:
        options.append("--trace")
    for flag, value in (
        ("--trace-file", args.trace_file),
        ("--trace-connector", args.trace_connector),
        ("--trace-client", args.trace_client),
        ("--trace-path", args.trace_path),
    ):
        if value:
            options += [flag, value]
    return options


def cmd_start(layout: Layout, defines: dict[str, str], wait: float, run_options: list[str] | None = None) -> int:
    """Start ``run`` (with *run_options*) in the background with output in
    logs/catalina.out, and wait until it serves (or fails), unlike Tomcat's
    fire-and-forget start."""
    pidfile = pid_file(layout)
    old, stale = _running_server(pidfile, layout)
    if old is not None:
        print(f"catalina_py appears to be running with PID {old} (PID file {pidfile}); start aborted.")
        return 1
    if stale:
        print(f"Removing the stale PID file {pidfile} ({stale}).")
        _remove(pidfile)
    logs = os.path.join(layout.base, "logs")
    os.makedirs(logs, exist_ok=True)
    out_path = os.path.abspath(os.environ.get("CATALINA_OUT") or os.path.join(logs, "catalina.out"))
    offset = os.path.getsize(out_path) if os.path.exists(out_path) else 0
    env = dict(os.environ, CATALINA_HOME=layout.home, CATALINA_BASE=layout.base, CATALINA_OUT=out_path)
    defines = dict(defines, **{"catalina.home": layout.home, "catalina.base": layout.base})
    args = [sys.executable, "-m", "catalina_py"] + [f"-D{k}={v}" for k, v in defines.items()]
    args += ["run", *(run_options or [])]
    with open(out_path, "ab") as out, open(os.devnull, "rb") as devnull:
        proc = subprocess.Popen(
            args, stdin=devnull, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True, cwd=layout.base
        )
    with open(pidfile, "w") as fh:
        fh.write(f"{proc.pid}\n")
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            print(f"catalina_py failed to start (exit {proc.returncode}); see {out_path}:")
            with open(out_path, "rb") as fh:
                fh.seek(offset)
                sys.stdout.write(fh.read().decode("utf-8", "replace")[-4000:])
            _remove(pidfile)
            return 1
        with open(out_path, "rb") as fh:
            fh.seek(offset)
            if b"Server startup in" in fh.read():
                print(f"catalina_py started (PID {proc.pid}); output in {out_path}")
                return 0
        time.sleep(0.05)
    print(f"catalina_py did not report start-up within {wait:.0f} s (PID {proc.pid}); see {out_path}")
    return 1


#: How often ``stop`` looks whether the server has exited (seconds).
STOP_POLL_INTERVAL = 0.01


def cmd_stop(layout: Layout, defines: dict[str, str], wait: float) -> int:
    """Send the shutdown command (SIGTERM when the port is disabled or does
    not answer) and wait for the process to exit, returning as soon as it
    has."""
    from .config import load_server_xml

    pidfile = pid_file(layout)
    pid, stale = _running_server(pidfile, layout)
    if stale:
        print(f"Removing the stale PID file {pidfile} ({stale}).")
        _remove(pidfile)
    try:
        config, _ = load_server_xml(os.path.join(layout.base, "conf", "server.xml"), layout.all_properties())
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        config = None
    sent = False
    if config is not None and config.port >= 0:
        try:
            with socket.create_connection((config.address, config.port), timeout=5) as conn:
                conn.sendall(config.shutdown.encode("utf-8"))
            sent = True
        except OSError as exc:
            print(
                f"Could not contact {config.address}:{config.port} ({exc.strerror or exc}). "
                "The server may not be running."
            )
    if not sent:
        if pid is None:
            print("No running catalina_py found (no shutdown port answered, no live PID file).")
            return 1
        os.kill(pid, signal.SIGTERM)
    if pid is None:
        print("Shutdown command sent.")
        return 0
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if not _alive(pid):
            if _read_pid(pidfile) == pid:
                _remove(pidfile)
            print("catalina_py stopped.")
            return 0
        time.sleep(STOP_POLL_INTERVAL)
    print(f"catalina_py (PID {pid}) did not stop within {wait:.0f} s.")
    return 1


def cmd_configtest(layout: Layout, defines: dict[str, str]) -> int:
    """``configtest``: read and check the configuration files, then every
    webapp as deployment would (its web.xml, its annotated modules and
    every class it names imported), starting nothing. Reports every
    problem found, not only the first."""
    catalina = Catalina(layout)
    errors: list[ConfigError] = []
    try:
        catalina.load()
    except ConfigError as exc:
        errors.append(exc)
    else:
        for host_config in (hc for s in catalina.server.services for hc in s.host_configs):
            errors.extend(host_config.check_apps())
    for warning in catalina.warnings:
        print(f"WARNING: {warning}", file=sys.stderr)
    for error in errors:
        print(f"SEVERE: {error}", file=sys.stderr)
    if errors:
        print(f"Configuration has {len(errors)} error(s): {os.path.join(layout.base, 'conf', 'server.xml')}")
        return 1
    print(f"Configuration OK: {os.path.join(layout.base, 'conf', 'server.xml')}")
    return 0


def cmd_version(layout: Layout) -> int:
    import gevent
    import greenlet
    import lxml.etree

    print(f"Server version: catalina_py/{__version__}")
    print(f"Behaves as:     Apache Tomcat {TOMCAT_REFERENCE}")
    print(f"Python:         {platform.python_implementation()} {platform.python_version()}")
    print(f"gevent:         {gevent.__version__}")
    print(f"greenlet:       {greenlet.__version__}")
    print(f"lxml:           {lxml.etree.__version__}")
    print(f"OS:             {platform.system()} {platform.release()} ({platform.machine()})")
    print(f"CATALINA_HOME:  {layout.home}")
    print(f"CATALINA_BASE:  {layout.base}")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["tour"]:
        from .tour import main as tour_main

        return tour_main(argv[1:])
    first = next((i for i, arg in enumerate(argv) if not (arg.startswith("-D") and len(arg) > 2)), len(argv))
    if argv[first : first + 1] == ["digest"]:  # Tomcat's flags (-h is the handler), passwords verbatim
        from .realm.digest_tool import main as digest_main

        return digest_main(argv[first + 1 :])
    args, defines = parse_args(argv)
    if args.command == "tour":
        from .tour import main as tour_main

        return tour_main(args.tour_args)
    if args.command == "digest":
        from .realm.digest_tool import main as digest_main

        return digest_main(args.digest_args)
    layout = Layout.from_environment(defines)
    if args.command == "version":
        return cmd_version(layout)
    if args.command == "configtest":
        return cmd_configtest(layout, defines)
    if args.command == "start":
        return cmd_start(layout, defines, args.wait, run_options(args))
    if args.command == "stop":
        return cmd_stop(layout, defines, args.wait)
    # run
    remove_pid_file_at_exit(layout)
    workers = _workers_wanted(args, layout)
    if workers is None:
        return 1
    if workers > 1:
        return run_supervisor(layout, args, workers)
    from gevent import monkey

    monkey.patch_all()
    _configure_logging(args.log_level)
    if args.trace:
        from . import trace

        trace.enable(True, args.trace_connector, args.trace_client, args.trace_path)
    catalina = _catalina_for_run(layout, args)
    try:
        return catalina.run()
    except ConfigError as exc:
        log.error("%s", exc)
        return 1


def _catalina_for_run(layout: Layout, args: argparse.Namespace) -> Catalina:
    """The Catalina of ``run`` with the listeners its options ask for."""
    catalina = Catalina(layout)
    if args.trace_file:
        from .trace_json import JsonTraceListener

        criteria = {"file": args.trace_file}
        for name, value in (
            ("connector", args.trace_connector),
            ("client", args.trace_client),
            ("pathPrefix", args.trace_path),
        ):
            if value:
                criteria[name] = value
        catalina.listeners.append(JsonTraceListener(criteria, catalina_base=layout.base))
    return catalina


# -- worker processes (docs/deployment.md "Worker processes") ----------------
def _workers_wanted(args: argparse.Namespace, layout: Layout) -> int | None:
    """How many worker processes ``run`` starts: ``--workers``, else the
    ``workers`` of ``<Server>``, else 1. None (after printing why) for a bad
    ``--workers``. A server.xml that cannot be read counts as 1 here: the
    one-process path then reports its error exactly as before."""
    from .config.workers import WORKERS_HINT, parse_workers

    if args.workers is not None:
        try:
            return parse_workers(args.workers)
        except ValueError as exc:
            print(f"--workers: {exc}\n  expected: {WORKERS_HINT.replace('workers=', '--workers ')}", file=sys.stderr)
            return None
    from .config.workers import workers_of_server_xml

    try:
        properties = layout.all_properties()
    except (ConfigError, OSError):
        return 1
    return workers_of_server_xml(os.path.join(layout.base, "conf", "server.xml"), properties)


def _listen_addresses(server: Any) -> list[Any]:
    """The Connectors' addresses of a loaded StandardServer, in order."""
    from .supervisor import ListenAddress

    return [
        ListenAddress(c.config.address or "", c.config.port, c.config.location)
        for service in server.services
        for c in service.connectors
    ]


def run_supervisor(layout: Layout, args: argparse.Namespace, workers: int) -> int:
    """``run`` with *workers* > 1: check the whole configuration, bind what
    the workers share and the shutdown port, then fork and watch the
    workers (catalina_py/supervisor.py). No gevent hub runs here."""
    from .supervisor import Supervisor, sharing_mode

    _configure_logging(args.log_level, f"supervisor {os.getpid()}")
    log.info("Server version name:   catalina_py/%s (behaves as Apache Tomcat %s)", __version__, TOMCAT_REFERENCE)
    log.info("CATALINA_BASE:         %s", layout.base)

    def check() -> list[Any]:
        catalina = Catalina(layout)
        catalina.load()
        return _listen_addresses(catalina.server)

    try:
        catalina = Catalina(layout)
        catalina.load()
        for warning in catalina.warnings:
            log.warning("%s", warning)
        server = catalina.server
        supervisor = Supervisor(
            count=workers,
            addresses=_listen_addresses(server),
            start_worker=lambda context: run_worker(layout, args, context),
            reload_check=check,
            shutdown_port=server.port,
            shutdown_address=server.address,
            shutdown_command=server.shutdown,
            mode=sharing_mode(),
        )
        supervisor.bind()
    except ConfigError as exc:
        log.error("%s", exc)
        return 1
    if any(type(listener).__name__ == "RedisCluster" for listener in catalina.listeners):
        log.info("%d worker processes share HTTP sessions and WebSocket broadcasts through the <Cluster>", workers)
    else:
        log.warning(
            "%d worker processes: HTTP sessions and WebSocket sessions live in the process that created them "
            "and are unknown to the other workers (no session cluster is configured): a client whose next "
            "connection reaches another worker starts a new session. Use sticky routing, workers=1 or a "
            "<Cluster> for session state (docs/deployment.md, Worker processes)",
            workers,
        )
    # The supervisor serves nothing itself: free what load() built.
    del catalina, server
    gc.collect()
    return supervisor.run()


def run_worker(layout: Layout, args: argparse.Namespace, context: Any) -> int:
    """The body of worker process *context.index* (in the forked child):
    gevent set up afresh, its own container built from the configuration,
    the shared listening sockets, then ``run`` as one process does, minus
    the shutdown port (the supervisor's)."""
    from gevent import monkey

    monkey.patch_all()
    import gevent
    import gevent.os

    from .session.manager import StandardManager

    gevent.reinit()
    _configure_logging(args.log_level, f"worker-{context.index} {os.getpid()}")
    if args.trace:
        from . import trace

        trace.enable(True, args.trace_connector, args.trace_client, args.trace_path)
    StandardManager.sessions_file = f"SESSIONS.worker-{context.index}.json"
    catalina = _catalina_for_run(layout, args)
    try:
        server = catalina.load()
        endpoints = [c.endpoint for service in server.services for c in service.connectors]
        if len(endpoints) != len(context.addresses):
            raise ConfigError("the Connectors changed since the supervisor read server.xml", hint="restart")
        for endpoint, listener in zip(endpoints, context.listeners(), strict=True):
            endpoint.listener = listener
            endpoint.release_listener_on_pause = True
    except ConfigError as exc:
        log.error("%s", exc)
        return 1
    catalina.warnings.clear()  # the supervisor logged them
    server.port = -1  # the shutdown port is the supervisor's
    server.startup_message = "Worker startup in [%d] milliseconds"
    catalina.start()
    context.report_ready()

    def watch_supervisor() -> None:
        # End of file: the supervisor is gone (even by SIGKILL): stop.
        os.set_blocking(context.life_fd, False)
        while True:
            try:
                data = gevent.os.nb_read(context.life_fd, 1)
            except OSError:
                data = b""
            if not data:
                break
        log.warning("The supervisor is gone: stopping")
        server.request_stop()

    gevent.spawn(watch_supervisor)
    server.install_signal_handlers()
    tune_garbage_collector()
    server.await_stop()
    catalina.stop()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
