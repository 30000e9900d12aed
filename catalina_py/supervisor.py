"""Worker processes: ``<Server workers="N">`` / ``catalina-py run --workers N``.

With more than one worker, ``run`` becomes a *supervisor*: a plain blocking
Python process (no gevent hub runs in it, so a fork copies no loop, no
greenlet and no watcher) that

- binds what the workers share and the shutdown port, before any worker
  starts (a port in use is a ConfigError, as in one process);
- forks the workers; each builds its own container from the configuration
  (``bootstrap.run_worker``: monkey patching, webapps, access logs, all
  after the fork) and says when it serves through a pipe;
- logs "Server startup in" once every worker serves;
- restarts a worker that dies, with exponential back-off, and gives up
  (stops everything, exit 1) when a worker fails
  :data:`MAX_START_FAILURES` times in a row before serving;
- forwards SIGTERM/SIGINT and the shutdown command as SIGTERM to every
  worker (each runs the one-process graceful stop: WebSockets get 1001),
  waits for them (SIGKILL after :data:`STOP_SECONDS`) and exits;
- on SIGHUP re-reads the configuration and replaces the workers one by
  one (a new one serves before the old one stops).

Sharing the listening sockets: on Linux each worker binds its own socket
with ``SO_REUSEPORT`` and the kernel spreads new connections over them (by
a hash of the client's address and port); the supervisor holds a bound,
not listening, socket of the same group so that the port stays ours and a
port 0 gets one number for all. Elsewhere (or with
``CATALINA_WORKER_SOCKETS=inherit``) the supervisor binds and listens, and
the workers accept on the socket they inherit.
"""

from __future__ import annotations

import errno
import logging
import os
import select
import signal
import socket
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .container.server import is_shutdown_command, shutdown_command_complete
from .errors import ConfigError, Location

log = logging.getLogger("catalina_py.supervisor")

#: The first restart of a dead worker waits this long (seconds); each quick
#: failure in a row doubles it, up to :data:`MAX_BACKOFF`.
FIRST_BACKOFF = 0.1
MAX_BACKOFF = 30.0
#: A worker that served this long before dying is not a quick failure: the
#: back-off of its slot starts again from :data:`FIRST_BACKOFF`.
STABLE_SECONDS = 10.0
#: A slot whose worker dies this many times in a row before it serves makes
#: the supervisor give up: stop every worker and exit 1.
MAX_START_FAILURES = 5
#: How long a worker may take to serve (seconds) before it counts as failed.
START_SECONDS = 120.0
#: How long the workers may take to stop gracefully before SIGKILL.
STOP_SECONDS = 30.0
#: Shutdown-port clients: how long one may take to send, and how many at once.
SHUTDOWN_CLIENT_SECONDS = 10.0
SHUTDOWN_CLIENTS = 16
#: The listen() backlog, as the Endpoint's.
BACKLOG = 1024

#: ``CATALINA_WORKER_SOCKETS``: ``reuseport`` (the default where the
#: platform spreads connections: Linux) or ``inherit``.
SOCKETS_ENV = "CATALINA_WORKER_SOCKETS"


def reuse_port_available() -> bool:
    """Whether SO_REUSEPORT spreads connections over the sockets of a port
    (Linux 3.9+; BSD's and macOS's give them all to one socket)."""
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def sharing_mode(environ: dict[str, str] | None = None) -> str:
    """``reuseport`` or ``inherit``: ``CATALINA_WORKER_SOCKETS`` if set,
    else ``reuseport`` where available. Raises ConfigError for another value
    or ``reuseport`` where the platform lacks it."""
    value = (environ if environ is not None else os.environ).get(SOCKETS_ENV, "").strip().lower()
    if not value:
        return "reuseport" if reuse_port_available() else "inherit"
    if value == "inherit" or (value == "reuseport" and reuse_port_available()):
        return value
    raise ConfigError(
        f"{SOCKETS_ENV}={value}: "
        + ("SO_REUSEPORT does not spread connections here" if value == "reuseport" else "unknown"),
        hint=f"{SOCKETS_ENV}=inherit, or unset ({SOCKETS_ENV}=reuseport only on Linux)",
    )


@dataclass(frozen=True)
class ListenAddress:
    """Where one Connector listens, and where it was configured."""

    address: str
    port: int
    location: Location | None = None


def open_listener(where: ListenAddress, port: int, reuse_port: bool, listen: bool) -> socket.socket:
    """A TCP socket bound to *where*'s address and *port* (SO_REUSEADDR, and
    SO_REUSEPORT when *reuse_port*), listening when *listen*. A bind failure
    is the ConfigError a Connector reports."""
    family = socket.AF_INET6 if ":" in where.address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((where.address, port))
        if listen:
            sock.listen(BACKLOG)
    except OSError as exc:
        sock.close()
        what = "already in use" if exc.errno == errno.EADDRINUSE else exc.strerror
        raise ConfigError.at(
            where.location,
            f"Connector cannot listen on {where.address or '*'}:{port}: {what}",
            "a free port, or stop the process that holds it",
        ) from None
    return sock


@dataclass
class WorkerContext:
    """What a worker process is given by its supervisor."""

    #: 1 to count.
    index: int
    count: int
    #: The Connectors' addresses, in the order of server.xml, with the
    #: ports actually bound (a port 0 resolved).
    addresses: list[ListenAddress]
    #: ``reuseport``: the worker binds its own sockets; ``inherit``: these
    #: are the supervisor's listening sockets.
    mode: str
    inherited: list[socket.socket]
    #: Write "R" here once serving, then close it.
    ready_fd: int
    #: Reads end of file when the supervisor is gone.
    life_fd: int

    def listeners(self) -> list[socket.socket]:
        """The worker's listening sockets, one per address (call after
        monkey patching: they are then gevent sockets)."""
        if self.mode == "inherit":
            return [socket.socket(fileno=sock.detach()) for sock in self.inherited]
        return [open_listener(a, a.port, reuse_port=True, listen=True) for a in self.addresses]

    def report_ready(self) -> None:
        """Tell the supervisor this worker serves."""
        try:
            os.write(self.ready_fd, b"R")
        finally:
            os.close(self.ready_fd)


@dataclass
class _Worker:
    index: int
    pid: int
    started: float
    ready_fd: int | None
    ready_at: float | None = None


@dataclass
class _Slot:
    """One worker position: its current process and its failure record."""

    index: int
    worker: _Worker | None = None
    start_failures: int = 0
    quick_failures: int = 0
    restart_at: float | None = None


@dataclass
class _ShutdownClient:
    conn: socket.socket
    peer: str
    deadline: float
    received: bytes = b""


@dataclass
class Supervisor:
    """Starts and watches *count* worker processes (see the module text).

    *start_worker* runs in the forked child and returns its exit status;
    *reload_check* re-reads the configuration for SIGHUP and returns the
    Connectors' addresses (raising ConfigError).
    """

    count: int
    addresses: list[ListenAddress]
    start_worker: Callable[[WorkerContext], int]
    reload_check: Callable[[], list[ListenAddress]]
    shutdown_port: int = -1
    shutdown_address: str = "localhost"
    shutdown_command: str = "SHUTDOWN"
    mode: str = "reuseport"
    slots: dict[int, _Slot] = field(default_factory=dict)
    #: Every live worker by PID (also old ones being replaced on reload).
    processes: dict[int, _Worker] = field(default_factory=dict)
    exit_status: int = 0
    _shared: list[socket.socket] = field(default_factory=list)
    _shutdown_socket: socket.socket | None = None
    _clients: list[_ShutdownClient] = field(default_factory=list)
    _wake: tuple[int, int] | None = None
    _life: tuple[int, int] | None = None
    _stop_reason: str | None = None
    _reload: bool = False
    #: True until every first worker serves: a death then ends the start.
    _starting: bool = True
    _configured: list[tuple[str, int]] = field(default_factory=list)

    # -- binding -----------------------------------------------------------------
    def bind(self) -> None:
        """Bind the shutdown port and the Connectors' ports (ConfigError
        before any worker starts)."""
        if self.shutdown_port >= 0:
            family = socket.AF_INET6 if ":" in self.shutdown_address else socket.AF_INET
            sock = socket.socket(family, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((self.shutdown_address, self.shutdown_port))
            except OSError as exc:
                sock.close()
                raise ConfigError(
                    f"the shutdown port {self.shutdown_address}:{self.shutdown_port} cannot be bound: "
                    f"{exc.strerror} (is another instance running?)",
                    hint='Server port="-1" disables it, or choose a free port',
                ) from None
            sock.listen(5)
            sock.setblocking(False)
            self._shutdown_socket = sock
        reuse = self.mode == "reuseport"
        self._configured = [(a.address, a.port) for a in self.addresses]
        bound = []
        for where in self.addresses:
            sock = open_listener(where, where.port, reuse_port=reuse, listen=not reuse)
            self._shared.append(sock)
            bound.append(ListenAddress(where.address, sock.getsockname()[1], where.location))
        self.addresses = bound

    @property
    def bound_shutdown_port(self) -> int:
        return self._shutdown_socket.getsockname()[1] if self._shutdown_socket else -1

    # -- running -----------------------------------------------------------------
    def run(self) -> int:
        """Start the workers, watch them until told to stop, stop them;
        returns the exit status (1 when start-up failed or it gave up)."""
        started = time.monotonic()
        self._install_signals()
        self._life = os.pipe()
        try:
            for index in range(1, self.count + 1):
                self.slots[index] = _Slot(index)
                self._spawn(self.slots[index])
            started_all = self._await_start()
            self._starting = False
            if started_all:
                log.info(
                    "Server startup in [%d] milliseconds (%d workers, sockets shared by %s)",
                    (time.monotonic() - started) * 1000,
                    self.count,
                    "SO_REUSEPORT" if self.mode == "reuseport" else "inheritance",
                )
                while self._stop_reason is None:
                    self._poll(self._next_timeout())
                    if self._reload and self._stop_reason is None:
                        self._reload = False
                        self._rolling_restart()
                    self._restart_due()
            log.info("Stopping the workers (%s)", self._stop_reason)
            self._stop_all()
        finally:
            self._close()
        log.info("Server stopped")
        return self.exit_status

    def _await_start(self) -> bool:
        """Wait until every first worker serves; False (and the exit status
        1) if one dies or takes too long, or a stop comes first."""
        deadline = time.monotonic() + START_SECONDS
        while self._stop_reason is None:
            if all(s.worker is not None and s.worker.ready_at is not None for s in self.slots.values()):
                return True
            if any(s.worker is None for s in self.slots.values()):
                self._fail("a worker failed to start")
                return False
            if time.monotonic() >= deadline:
                self._fail(f"the workers did not all start within {START_SECONDS:.0f} s")
                return False
            self._poll(0.5)
        return False

    def _fail(self, why: str) -> None:
        log.error("%s: stopping", why)
        self.exit_status = 1
        self._stop_reason = why

    def _install_signals(self) -> None:
        read, write = os.pipe()
        os.set_blocking(read, False)
        os.set_blocking(write, False)
        self._wake = (read, write)
        signal.set_wakeup_fd(write)

        def stop(signum: int, frame: Any) -> None:
            if self._stop_reason is None:
                self._stop_reason = f"received {signal.Signals(signum).name}"

        def reload(signum: int, frame: Any) -> None:
            self._reload = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGHUP, reload)
        # Only to wake select(): children are reaped by _reap.
        signal.signal(signal.SIGCHLD, lambda signum, frame: None)

    def _next_timeout(self) -> float:
        now = time.monotonic()
        times = [s.restart_at for s in self.slots.values() if s.restart_at is not None]
        times += [c.deadline for c in self._clients]
        return max(0.0, min([now + 1.0, *times]) - now)

    # -- one turn of the loop ------------------------------------------------------
    def _poll(self, timeout: float) -> None:
        """Wait up to *timeout* for a signal, a worker's ready message or a
        shutdown-port client, and handle what came."""
        assert self._wake is not None
        readable: list[Any] = [self._wake[0]]
        readable += [w.ready_fd for w in self.processes.values() if w.ready_fd is not None]
        if self._shutdown_socket is not None:
            readable.append(self._shutdown_socket)
        readable += [c.conn for c in self._clients]
        try:
            ready, _, _ = select.select(readable, [], [], timeout)
        except InterruptedError:  # pragma: no cover - PEP 475 retries
            ready = []
        if self._wake[0] in ready:
            try:
                while os.read(self._wake[0], 512):
                    pass
            except BlockingIOError:
                pass
        for worker in list(self.processes.values()):
            if worker.ready_fd is not None and worker.ready_fd in ready:
                self._read_ready(worker)
        if self._shutdown_socket is not None and self._shutdown_socket in ready:
            self._accept_shutdown_client()
        for client in list(self._clients):
            self._serve_shutdown_client(client, client.conn in ready)
        self._reap()

    def _read_ready(self, worker: _Worker) -> None:
        assert worker.ready_fd is not None
        try:
            data = os.read(worker.ready_fd, 16)
        except OSError:
            data = b""
        os.close(worker.ready_fd)
        worker.ready_fd = None
        if data.startswith(b"R"):
            worker.ready_at = time.monotonic()
            log.info("Worker %d (PID %d) serves", worker.index, worker.pid)

    def _reap(self) -> None:
        """Collect every worker that exited; schedule restarts."""
        while self.processes:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            worker = self.processes.pop(pid, None)
            if worker is None:
                continue
            if worker.ready_fd is not None:
                os.close(worker.ready_fd)
                worker.ready_fd = None
            how = describe_status(status)
            slot = self.slots.get(worker.index)
            if slot is None or slot.worker is not worker:
                log.info("Worker %d (PID %d) replaced, %s", worker.index, pid, how)
                continue
            slot.worker = None
            if self._stop_reason is not None or self._starting:
                log.log(
                    logging.ERROR if self._starting else logging.INFO,
                    "Worker %d (PID %d) %s%s",
                    worker.index,
                    pid,
                    how,
                    " before serving" if worker.ready_at is None else "",
                )
                continue
            self._schedule_restart(slot, worker, how)

    def _schedule_restart(self, slot: _Slot, worker: _Worker, how: str) -> None:
        now = time.monotonic()
        if worker.ready_at is None:
            slot.start_failures += 1
            slot.quick_failures += 1
        elif now - worker.ready_at < STABLE_SECONDS:
            slot.start_failures = 0
            slot.quick_failures += 1
        else:
            slot.start_failures = 0
            slot.quick_failures = 0
        if slot.start_failures >= MAX_START_FAILURES:
            log.error(
                "Worker %d (PID %d) %s before serving, %d times in a row: giving up",
                worker.index,
                worker.pid,
                how,
                slot.start_failures,
            )
            self._fail(f"worker {worker.index} keeps failing at start")
            return
        delay = backoff(slot.quick_failures)
        slot.restart_at = now + delay
        log.warning("Worker %d (PID %d) %s; starting a new one in %.1f s", worker.index, worker.pid, how, delay)

    def _restart_due(self) -> None:
        now = time.monotonic()
        for slot in self.slots.values():
            if slot.restart_at is not None and now >= slot.restart_at and self._stop_reason is None:
                slot.restart_at = None
                self._spawn(slot)

    # -- workers -----------------------------------------------------------------
    def _spawn(self, slot: _Slot) -> _Worker:
        """Fork the worker of *slot* (it becomes the slot's current one)."""
        ready_read, ready_write = os.pipe()
        context = WorkerContext(
            index=slot.index,
            count=self.count,
            addresses=list(self.addresses),
            mode=self.mode,
            inherited=list(self._shared) if self.mode == "inherit" else [],
            ready_fd=ready_write,
            life_fd=self._life[0] if self._life else -1,
        )
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child (measured by the integration tests)
            status = 1
            try:
                os.close(ready_read)
                self._become_worker()
                status = self.start_worker(context)
            except SystemExit as exc:
                status = exc.code if isinstance(exc.code, int) else 1
            except BaseException:
                traceback.print_exc()
            finally:
                try:
                    logging.shutdown()
                    sys.stdout.flush()
                    sys.stderr.flush()
                finally:
                    os._exit(status)  # reach: the stdlib way for a forked child to end without the parent's atexit
        os.close(ready_write)
        worker = _Worker(slot.index, pid, time.monotonic(), ready_read)
        self.processes[pid] = worker
        slot.worker = worker
        log.info("Worker %d started (PID %d)", slot.index, pid)
        return worker

    def _become_worker(self) -> None:  # pragma: no cover - runs in the child
        """In a forked child: let go of what is the supervisor's (signal
        handlers, its pipes, the shutdown port, other workers' pipes, the
        bound-only sockets of reuseport mode)."""
        signal.set_wakeup_fd(-1)
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGCHLD):
            signal.signal(signum, signal.SIG_DFL)
        # A hangup of the terminal is the supervisor's reload, not the workers' end.
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        if self._wake is not None:
            for fd in self._wake:
                os.close(fd)
        if self._life is not None:
            os.close(self._life[1])
        for worker in self.processes.values():
            if worker.ready_fd is not None:
                os.close(worker.ready_fd)
        if self._shutdown_socket is not None:
            self._shutdown_socket.close()
        for client in self._clients:
            client.conn.close()
        if self.mode == "reuseport":
            for sock in self._shared:
                sock.close()

    def _stop_all(self) -> None:
        """SIGTERM to every worker, wait for them (SIGKILL after
        :data:`STOP_SECONDS`)."""
        for pid in list(self.processes):
            _signal(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_SECONDS
        while self.processes and time.monotonic() < deadline:
            self._poll(0.2)
        for pid, worker in list(self.processes.items()):
            log.warning("Worker %d (PID %d) still running after %.0f s: SIGKILL", worker.index, pid, STOP_SECONDS)
            _signal(pid, signal.SIGKILL)
        deadline = time.monotonic() + 5.0
        while self.processes and time.monotonic() < deadline:
            self._poll(0.1)

    def _rolling_restart(self) -> None:
        """SIGHUP: check the configuration, then replace each worker by a new
        one, the old one stopping (gracefully) once the new one serves."""
        log.info("Received SIGHUP: reloading the configuration and replacing the workers one by one")
        try:
            addresses = self.reload_check()
        except ConfigError as exc:
            log.error("Reload refused, the workers keep serving: %s", exc)
            return
        if [(a.address, a.port) for a in addresses] != self._configured:
            log.error("Reload refused, the workers keep serving: the Connectors' addresses changed (restart instead)")
            return
        for slot in self.slots.values():
            old = slot.worker
            new = self._spawn(slot)
            deadline = time.monotonic() + START_SECONDS
            while (
                self._stop_reason is None
                and new.pid in self.processes
                and new.ready_at is None
                and time.monotonic() < deadline
            ):
                self._poll(0.2)
            if self._stop_reason is not None:
                return
            if new.ready_at is None:
                log.error("Reload stopped: the new worker %d did not serve", slot.index)
                if new.pid in self.processes:
                    _signal(new.pid, signal.SIGKILL)
                if old is not None and old.pid in self.processes:
                    slot.worker = old  # it keeps serving; no restart of the failed new one
                    slot.restart_at = None
                return
            if old is not None and old.pid in self.processes:
                _signal(old.pid, signal.SIGTERM)
                deadline = time.monotonic() + STOP_SECONDS
                while old.pid in self.processes and time.monotonic() < deadline and self._stop_reason is None:
                    self._poll(0.2)
                if old.pid in self.processes and self._stop_reason is None:
                    _signal(old.pid, signal.SIGKILL)
        log.info("Reload done: %d new workers serve", len(self.slots))

    # -- the shutdown port -----------------------------------------------------
    def _accept_shutdown_client(self) -> None:
        assert self._shutdown_socket is not None
        try:
            conn, peer = self._shutdown_socket.accept()
        except OSError:
            return
        if len(self._clients) >= SHUTDOWN_CLIENTS:
            conn.close()
            return
        conn.setblocking(False)
        self._clients.append(_ShutdownClient(conn, str(peer[0]), time.monotonic() + SHUTDOWN_CLIENT_SECONDS))

    def _serve_shutdown_client(self, client: _ShutdownClient, readable: bool) -> None:
        """Read what a shutdown-port client sent (Tomcat's rules, as
        StandardServer's await); act once it closes, ends a line, sent 1 KiB
        or ran out of time."""
        done = time.monotonic() >= client.deadline
        if readable:
            try:
                chunk = client.conn.recv(1024)
            except BlockingIOError:
                chunk = None
            except OSError:
                chunk = b""
            if chunk == b"":
                done = True
            elif chunk:
                client.received += chunk
                done = done or shutdown_command_complete(client.received)
        if not done:
            return
        self._clients.remove(client)
        client.conn.close()
        if is_shutdown_command(client.received, self.shutdown_command):
            log.info("A valid shutdown command was received via the shutdown port. Stopping the Server instance.")
            if self._stop_reason is None:
                self._stop_reason = "shutdown command"
        else:
            log.warning(
                "Invalid shutdown command [%s] received from %s and ignored",
                client.received[:64].decode("latin-1", "replace"),
                client.peer,
            )

    def _close(self) -> None:
        signal.set_wakeup_fd(-1)
        for fd in self._wake or ():
            os.close(fd)
        for fd in self._life or ():
            os.close(fd)
        self._wake = self._life = None
        for client in self._clients:
            client.conn.close()
        self._clients.clear()
        if self._shutdown_socket is not None:
            self._shutdown_socket.close()
        for sock in self._shared:
            sock.close()


def backoff(failures: int) -> float:
    """The wait before restarting a slot after *failures* quick failures in a
    row: 0.1 s, 0.2 s, 0.4 s... up to :data:`MAX_BACKOFF`."""
    return min(MAX_BACKOFF, FIRST_BACKOFF * 2 ** max(0, failures - 1))


def describe_status(status: int) -> str:
    """A wait status in words: "exited with 1", "killed by SIGKILL"."""
    if os.WIFSIGNALED(status):
        signum = os.WTERMSIG(status)
        try:
            name = signal.Signals(signum).name
        except ValueError:
            name = str(signum)
        return f"killed by {name}"
    return f"exited with {os.WEXITSTATUS(status)}"


def _signal(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass
