"""``RedisCluster``: WebSocket broadcasts and HTTP sessions shared through
Redis by every process (worker or instance) that names the same Redis.

* Broadcast: :meth:`RedisCluster.publish` (the
  :class:`~catalina_py.websocket.broadcast.BroadcastRelay` of the process)
  queues the message; a publisher greenlet sends what is queued in one
  pipeline of ``PUBLISH`` commands on the channel ``<channelPrefix>broadcast``.
  A subscriber greenlet receives every message of that channel and hands
  those of *other* processes (each process has a random origin id) to the
  web application's broadcaster, which delivers them to its local sessions.
* Sessions: the :class:`~catalina_py.session.store.SharedSessionStore` of
  every StandardManager: one Redis string per session,
  ``<sessionKeyPrefix><context path>:<id>``, holding the session as JSON
  (the record of the sessions file, attributes plain JSON data), with a
  TTL of the session's max inactive interval, rewritten at the end of every
  request that used the session.
* Redis down: every command has a short timeout (``socketTimeout``, 0.5 s);
  the first failure is logged once (WARNING) and starts an outage during
  which commands are not even tried (sessions: the process's own copies;
  broadcasts: local delivery only, the remote copy dropped and counted)
  until a retry time that backs off from 0.5 s to ``maxRetryDelay``; the
  subscriber reconnects on the same schedule; the end of the outage is
  logged once (INFO).
"""

from __future__ import annotations

import base64
import collections
import json
import logging
import secrets
import time
from dataclasses import dataclass
from typing import Any

import gevent
import gevent.event
import redis

from ..config.cluster_spec import ClusterSpec
from ..session.manager import StandardManager
from ..session.store import SavedSession, SessionFileError, StoreUnavailableError, parse_saved_session
from ..websocket import broadcast

__all__ = ["ClusterStats", "RedisCluster"]

log = logging.getLogger("catalina_py.cluster")

#: First wait before retrying Redis after a failure, seconds (doubles up to maxRetryDelay).
FIRST_RETRY_DELAY = 0.5
#: Broadcasts waiting for the publisher at most (older ones are dropped, counted).
OUTBOX_LIMIT = 50_000
#: PUBLISH commands sent in one pipeline at most.
PUBLISH_BATCH = 1000
#: Longest the start waits for the first subscription, seconds.
START_WAIT = 3.0
#: Seconds between the subscriber's pings, and of silence (no message, no
#: pong) after which it reconnects.
SUBSCRIBER_PING = 5.0
SUBSCRIBER_SILENCE = 15.0
#: Redis connections the commands of one process may use at once.
MAX_CONNECTIONS = 32


@dataclass
class ClusterStats:
    """Counters of one process's cluster (since it started)."""

    #: Broadcasts published to Redis.
    published: int = 0
    #: Broadcasts not published (Redis down, or the outbox full).
    publish_failures: int = 0
    #: Broadcasts of other processes received and delivered locally.
    received: int = 0
    #: Session reads, writes and deletes that failed or were skipped (Redis down).
    store_failures: int = 0
    #: Outages seen (a failure after a success).
    outages: int = 0
    #: Subscriptions made (the first, then one per reconnection).
    subscriptions: int = 0


class _Outage:
    """When Redis failed, and when to try it again (back-off)."""

    def __init__(self, url: str, max_delay: float, stats: ClusterStats) -> None:
        self.url = url
        self.max_delay = max_delay
        self.stats = stats
        self.down_since: float | None = None
        self.delay = FIRST_RETRY_DELAY
        self.retry_at = 0.0

    def available(self) -> bool:
        """Whether a command may be tried now."""
        return self.down_since is None or time.monotonic() >= self.retry_at

    def failed(self, error: BaseException) -> None:
        """A command failed: log the first failure of an outage; back off."""
        now = time.monotonic()
        if self.down_since is None:
            self.down_since = now
            self.delay = FIRST_RETRY_DELAY
            self.stats.outages += 1
            log.warning(
                "Redis at %s cannot be reached (%s: %s): serving local traffic only; broadcasts reach this "
                "process's sessions only and sessions are this process's copies, until Redis is back "
                "(retrying with back-off up to %g s)",
                _safe_url(self.url),
                type(error).__name__,
                error,
                self.max_delay,
            )
        else:
            self.delay = min(self.delay * 2, self.max_delay)
        self.retry_at = now + self.delay

    def succeeded(self) -> None:
        """A command worked: the outage (if any) is over."""
        if self.down_since is not None:
            log.info(
                "Redis at %s is reachable again after %.1f s: broadcasts and sessions are shared again",
                _safe_url(self.url),
                time.monotonic() - self.down_since,
            )
            self.down_since = None
            self.delay = FIRST_RETRY_DELAY


def _safe_url(url: str) -> str:
    """The URL without a password, for logs."""
    if "@" in url:
        scheme, _, rest = url.partition("://")
        return f"{scheme}://***@{rest.rpartition('@')[2]}"
    return url


class RedisCluster:
    """The cluster of one process: its Redis connections, the broadcast
    relay and the session store (see the module text). Made while
    server.xml is read; :meth:`start` (before the contexts start) installs
    it, :meth:`stop` removes it. Nothing here blocks a request for longer
    than ``socketTimeout``."""

    def __init__(self, spec: ClusterSpec) -> None:
        self.spec = spec
        #: Tells this process's messages from the others' (random per process).
        self.origin = secrets.token_hex(8)
        self.channel = f"{spec.channel_prefix}broadcast"
        self.stats = ClusterStats()
        self._outage = _Outage(spec.url, spec.max_retry_delay, self.stats)
        self._outbox: collections.deque[bytes] = collections.deque()
        self._wake = gevent.event.Event()
        #: Set when the subscription is confirmed (start waits for it, briefly).
        self.subscribed = gevent.event.Event()
        self._greenlets: list[gevent.Greenlet] = []
        self._running = False
        self._client: Any = None  # Any: redis.Redis (untyped library)
        self._subscriber_client: Any = None

    # -- lifecycle -------------------------------------------------------------
    def start(self) -> None:
        """Install the relay and the store, and start the publisher and the
        subscriber. Does not wait for Redis: a Redis that is down is logged
        and retried, the container serves meanwhile."""
        spec = self.spec
        timeout = spec.socket_timeout
        pool = redis.BlockingConnectionPool.from_url(
            spec.url,
            max_connections=MAX_CONNECTIONS,
            timeout=timeout,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
        )
        self._client = redis.Redis(connection_pool=pool, retry_on_timeout=False)
        self._subscriber_client = redis.Redis.from_url(
            spec.url,
            socket_connect_timeout=timeout,
            socket_timeout=max(5.0, timeout),
            socket_keepalive=True,
            health_check_interval=5,
        )
        self._running = True
        broadcast.Broadcaster.queue_size = spec.broadcast_queue_size
        broadcast.set_relay(self)
        if spec.sessions:
            StandardManager.session_store = self
        self._greenlets = [gevent.spawn(self._publish_loop), gevent.spawn(self._subscribe_loop)]
        # Serve only once the broadcasts of the others are heard (when Redis
        # answers; a Redis that is down is logged, and the start goes on).
        self.subscribed.wait(START_WAIT)
        log.info(
            "Cluster on Redis %s: channel %s, sessions %s, origin %s",
            _safe_url(spec.url),
            self.channel,
            f"under {spec.session_key_prefix}" if spec.sessions else "not shared",
            self.origin,
        )

    def stop(self) -> None:
        """Remove the relay and the store and close the connections (after
        the contexts stopped)."""
        self._running = False
        if broadcast.get_relay() is self:
            broadcast.set_relay(None)
        if StandardManager.session_store is self:
            StandardManager.session_store = None
        self._wake.set()
        gevent.killall(self._greenlets, block=True, timeout=2)
        self._greenlets = []
        for client in (self._client, self._subscriber_client):
            if client is not None:
                try:
                    client.close()
                    client.connection_pool.disconnect()
                except Exception:  # closing what may already be broken
                    pass

    # -- broadcast: publishing ----------------------------------------------------
    def publish(self, context_key: str, target: str, message: str | bytes) -> None:
        """The relay: queue *message* for the other processes (returns at once)."""
        if not self._running:
            return
        record: dict[str, str] = {"o": self.origin, "c": context_key, "t": target}
        if isinstance(message, str):
            record["m"] = message
        else:
            record["b"] = base64.b64encode(message).decode("ascii")
        if len(self._outbox) >= OUTBOX_LIMIT:
            self.stats.publish_failures += 1
            return
        self._outbox.append(json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
        self._wake.set()

    def _publish_loop(self) -> None:
        outbox = self._outbox
        while self._running:
            self._wake.wait()
            self._wake.clear()
            while outbox and self._running:
                batch = [outbox.popleft() for _ in range(min(len(outbox), PUBLISH_BATCH))]
                if not self._outage.available():
                    self.stats.publish_failures += len(batch)
                    continue
                try:
                    pipe = self._client.pipeline(transaction=False)
                    for payload in batch:
                        pipe.publish(self.channel, payload)
                    pipe.execute()
                except (redis.RedisError, OSError) as exc:
                    self.stats.publish_failures += len(batch)
                    self._outage.failed(exc)
                else:
                    self.stats.published += len(batch)
                    self._outage.succeeded()

    # -- broadcast: receiving -------------------------------------------------------
    def _subscribe_loop(self) -> None:
        delay = FIRST_RETRY_DELAY
        while self._running:
            pubsub = self._subscriber_client.pubsub()
            try:
                pubsub.subscribe(self.channel)
                confirmed = False
                last_heard = last_ping = time.monotonic()
                while self._running:
                    message = pubsub.get_message(timeout=1.0)
                    now = time.monotonic()
                    if message is not None:
                        last_heard = now
                        if self._outage.down_since is not None:
                            self._outage.succeeded()  # Redis answers again (a pong will do)
                        kind = message.get("type")
                        if kind == "message":
                            self._received(message["data"])
                        elif kind == "subscribe" and not confirmed:
                            # Redis answered: subscribed (again).
                            confirmed = True
                            self.subscribed.set()
                            self.stats.subscriptions += 1
                            self._outage.succeeded()
                            delay = FIRST_RETRY_DELAY
                    elif now - last_heard > SUBSCRIBER_SILENCE:
                        # A Redis that accepts but never answers (frozen, or
                        # the network gone): reconnect rather than wait forever.
                        raise redis.ConnectionError(f"no answer from Redis for {SUBSCRIBER_SILENCE:g} s")
                    if now - last_ping >= SUBSCRIBER_PING:
                        pubsub.ping()  # its pong counts as heard
                        last_ping = now
            except (redis.RedisError, OSError) as exc:
                self._outage.failed(exc)
            finally:
                try:
                    pubsub.close()
                except Exception:  # the connection is broken already
                    pass
            if self._running:
                gevent.sleep(delay)
                delay = min(delay * 2, self.spec.max_retry_delay)

    def _received(self, data: bytes) -> None:
        try:
            record = json.loads(data)
            if record["o"] == self.origin:
                return  # delivered locally when it was sent
            context_key, target = record["c"], record["t"]
            message: str | bytes = record["m"] if "m" in record else base64.b64decode(record["b"])
            if not isinstance(context_key, str) or not isinstance(target, str):
                raise TypeError("context and target must be strings")
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("Ignoring a malformed broadcast on %s: %s", self.channel, exc)
            return
        broadcaster = broadcast.find_broadcaster(context_key)
        if broadcaster is None:
            return  # that web application is not deployed here
        self.stats.received += 1
        try:
            broadcaster.deliver_remote(target, message)
        except Exception:
            log.exception("Delivering a broadcast to %s of %s failed", target, context_key)

    # -- sessions: the SharedSessionStore ------------------------------------------------
    def _key(self, context_key: str, session_id: str) -> str:
        return f"{self.spec.session_key_prefix}{context_key or '/'}:{session_id}"

    def _command(self, call: Any) -> Any:
        """Run one Redis command (``call(client)``) under the outage rules."""
        if not self._running or not self._outage.available():
            self.stats.store_failures += 1
            raise StoreUnavailableError("Redis is unavailable")
        try:
            result = call(self._client)
        except (redis.RedisError, OSError) as exc:
            self.stats.store_failures += 1
            self._outage.failed(exc)
            raise StoreUnavailableError(str(exc)) from exc
        self._outage.succeeded()
        return result

    def load_session(self, context_key: str, session_id: str) -> SavedSession | None:
        """The session stored under *session_id*, or None."""
        key = self._key(context_key, session_id)
        data = self._command(lambda client: client.get(key))
        if data is None:
            return None
        try:
            saved = parse_saved_session(data)
        except SessionFileError as exc:
            log.warning("Ignoring the stored session %s: %s", key, exc)
            return None
        return None if saved.id != session_id or saved.is_expired(time.time()) else saved

    def save_session(self, context_key: str, saved: SavedSession) -> None:
        """Store *saved* with a TTL of its max inactive interval."""
        key = self._key(context_key, saved.id)
        text = json.dumps(saved.to_json(), allow_nan=False, ensure_ascii=False, separators=(",", ":"))
        interval = saved.max_inactive_interval
        self._command(lambda client: client.set(key, text, ex=interval if interval > 0 else None))

    def delete_session(self, context_key: str, session_id: str) -> None:
        """Forget a session."""
        key = self._key(context_key, session_id)
        self._command(lambda client: client.delete(key))
