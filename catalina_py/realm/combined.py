"""``CombinedRealm`` (several realms, the first that authenticates wins)
and ``LockOutRealm`` (a CombinedRealm that locks a user out after
repeated failures), as Tomcat's classes of the same names."""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .base import DigestCredentials, GenericPrincipal, Realm

__all__ = ["CombinedRealm", "LockOutRealm"]

log = logging.getLogger("catalina_py.realm")


class CombinedRealm(Realm):
    """Asks its realms in order; the first principal returned wins."""

    def __init__(self, realms: Sequence[Realm]) -> None:
        if not realms:
            raise ValueError("a CombinedRealm needs at least one realm")
        self.name = "CombinedRealm"
        self.realms = tuple(realms)

    def start(self) -> None:
        for realm in self.realms:
            realm.start()

    def stop(self) -> None:
        for realm in reversed(self.realms):
            try:
                realm.stop()
            except Exception:
                log.exception("%s failed to stop", realm.name)

    def authenticate(self, username: str, credentials: str) -> GenericPrincipal | None:
        for realm in self.realms:
            principal = realm.authenticate(username, credentials)
            if principal is not None:
                return principal
        return None

    def authenticate_digest(self, digest: DigestCredentials) -> GenericPrincipal | None:
        for realm in self.realms:
            principal = realm.authenticate_digest(digest)
            if principal is not None:
                return principal
        return None


@dataclass
class _Failures:
    count: int
    last: float
    first: float


class LockOutRealm(CombinedRealm):
    """Tomcat's ``LockOutRealm``: after ``failure_count`` failed logins in
    a row, a user is refused for ``lock_out_time`` seconds after the last
    failure, whatever the password.

    The nested realms are always asked, also for a locked user, so a
    locked user's attempt costs what any attempt costs and its answer (no
    principal) says nothing a wrong password would not.  Failures are kept
    for at most ``cache_size`` users (least recently failed dropped first;
    dropping one that failed less than ``cache_removal_warning_time``
    seconds ago is logged, as a sign of a wide attack).  ``clock`` is
    injectable for tests.
    """

    def __init__(
        self,
        realms: Sequence[Realm],
        *,
        failure_count: int = 5,
        lock_out_time: float = 300,
        cache_size: int = 1000,
        cache_removal_warning_time: float = 3600,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(realms)
        self.name = "LockOutRealm"
        self.failure_count = failure_count
        self.lock_out_time = lock_out_time
        self.cache_size = cache_size
        self.cache_removal_warning_time = cache_removal_warning_time
        self.clock = clock
        self._failures: OrderedDict[str, _Failures] = OrderedDict()

    def is_locked(self, username: str) -> bool:
        """Whether *username* is locked out now."""
        entry = self._failures.get(username)
        if entry is None or entry.count < self.failure_count:
            return False
        return self.clock() - entry.last < self.lock_out_time

    def unlock(self, username: str) -> None:
        """Forget *username*'s failures (Tomcat's ``unlock``)."""
        self._failures.pop(username, None)

    def _failed(self, username: str) -> None:
        now = self.clock()
        entry = self._failures.get(username)
        if entry is None:
            if len(self._failures) >= self.cache_size:
                oldest_name, oldest = self._failures.popitem(last=False)
                age = now - oldest.first
                if age < self.cache_removal_warning_time:
                    log.warning(
                        "%s: user [%s] dropped from the failed-login cache after only %d s (cacheSize %d): "
                        "many users are failing to log in",
                        self.name,
                        oldest_name,
                        age,
                        self.cache_size,
                    )
            self._failures[username] = _Failures(1, now, now)
            return
        if entry.count >= self.failure_count and now - entry.last >= self.lock_out_time:
            entry.count = 0  # the lock expired: count afresh
        entry.count += 1
        entry.last = now
        self._failures.move_to_end(username)
        if entry.count == self.failure_count:
            log.warning(
                "%s: user [%s] locked out for %d s after %d failed logins",
                self.name,
                username,
                self.lock_out_time,
                entry.count,
            )

    def _filter(self, username: str, principal: GenericPrincipal | None) -> GenericPrincipal | None:
        if principal is None:
            self._failed(username)
        if self.is_locked(username):
            return None  # refused as a wrong password is: nothing tells the client it is locked
        if principal is not None:
            self._failures.pop(username, None)
        return principal

    def authenticate(self, username: str, credentials: str) -> GenericPrincipal | None:
        return self._filter(username, super().authenticate(username, credentials))

    def authenticate_digest(self, digest: DigestCredentials) -> GenericPrincipal | None:
        return self._filter(digest.username, super().authenticate_digest(digest))
