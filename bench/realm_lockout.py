"""What a login attempt costs a LockOutRealm: 1,000 wrong passwords for one
user (locked out after the 5th), 1,000 right ones for another and 1,000
attempts for an unknown user, taken in turn; then a locked user's right
password beside an unlocked user's; the issue's "a wrong password 1,000 times is locked out
and costs no more than a right one".

The realm is the shipped shape (a LockOutRealm around a UserDatabaseRealm
over a tomcat-users.xml), with the stored password in the form the
``--handler`` makes::

    .venv/bin/python bench/realm_lockout.py                      # PBKDF2-SHA256, 20,000 iterations
    .venv/bin/python bench/realm_lockout.py --handler sha256 --iterations 1000
    .venv/bin/python bench/realm_lockout.py --handler plain

Prints the median and the 90th percentile per attempt of each series, and
the ratios to the (first) right-password series. Every series is bounded
(at most ``--attempts`` attempts and ``--budget`` seconds).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from catalina_py.realm.combined import LockOutRealm  # noqa: E402  (the repository root first)
from catalina_py.realm.credential import (  # noqa: E402
    CredentialHandler,
    MessageDigestCredentialHandler,
    SecretKeyCredentialHandler,
)
from catalina_py.realm.user_database import UserDatabaseRealm  # noqa: E402


def make_handler(kind: str, iterations: int) -> CredentialHandler:
    if kind == "plain":
        return MessageDigestCredentialHandler()
    if kind == "sha256":
        return MessageDigestCredentialHandler("SHA-256", iterations=iterations, salt_length=16)
    return SecretKeyCredentialHandler("PBKDF2WithHmacSHA256", iterations=iterations, salt_length=16, key_length=256)


def interleaved(realm: LockOutRealm, tries: list[tuple[str, str]], attempts: int, budget: float) -> list[list[float]]:
    """Seconds per attempt for each (user, password) of *tries*, taken in
    turn (one of each per round, so a busy machine slows them alike), at
    most *attempts* rounds within *budget* s."""
    times: list[list[float]] = [[] for _ in tries]
    deadline = time.monotonic() + budget
    for _ in range(attempts):
        if time.monotonic() > deadline:
            break
        for index, (user, password) in enumerate(tries):
            started = time.perf_counter()
            realm.authenticate(user, password)
            times[index].append(time.perf_counter() - started)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--handler", choices=("pbkdf2", "sha256", "plain"), default="pbkdf2")
    parser.add_argument("--iterations", type=int, default=20000)
    parser.add_argument("--attempts", type=int, default=1000)
    parser.add_argument(
        "--budget", type=float, default=30.0, help="seconds at most for the rounds of the first series (30)"
    )
    args = parser.parse_args(argv)
    handler = make_handler(args.handler, args.iterations)
    with tempfile.TemporaryDirectory() as folder:
        users = Path(folder) / "tomcat-users.xml"
        stored = handler.mutate("right-password")
        other = handler.mutate("bob-password")
        users.write_text(
            f'<tomcat-users><user username="ann" password="{stored}" roles="r"/>'
            f'<user username="bob" password="{other}" roles="r"/></tomcat-users>\n'
        )
        inner = UserDatabaseRealm(str(users))
        inner.credential_handler = handler
        realm = LockOutRealm([inner])
        realm.start()
        interleaved(realm, [("ann", "right-password")], 20, 5.0)  # warm-up
        tries = [("ann", "right-password"), ("bob", "wrong-password"), ("nobody", "wrong-password")]
        right, wrong, unknown = interleaved(realm, tries, args.attempts, args.budget)
        locked = realm.is_locked("bob")
        # bob's right password while locked, beside ann's right password
        right2, locked_right = interleaved(
            realm, [("ann", "right-password"), ("bob", "bob-password")], min(args.attempts, 300), args.budget / 3
        )
        refused = realm.authenticate("bob", "bob-password") is None
    base = statistics.median(right)
    print(f"handler {args.handler}, {args.iterations} iterations; LockOutRealm failureCount 5, lockOutTime 300 s")
    print(f"{'series':38} {'attempts':>8} {'median us':>10} {'p90 us':>10} {'ratio':>6}")
    for name, values in (
        ("right password", right),
        ("wrong password (locked after the 5th)", wrong),
        ("right password, beside the next one", right2),
        ("right password while locked", locked_right),
        ("unknown user", unknown),
    ):
        median = statistics.median(values)
        p90 = statistics.quantiles(values, n=10)[-1]
        print(f"{name:38} {len(values):8d} {median * 1e6:10.1f} {p90 * 1e6:10.1f} {median / base:6.2f}")
    print(f"locked after the wrong series: {locked}; the right password refused while locked: {refused}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
