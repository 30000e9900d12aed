"""Realms (catalina_py/realm/): tomcat-users.xml with groups, a malformed
file, re-reading a changed file, LockOutRealm counting and unlocking
(with an injected clock), CombinedRealm, HTTP DIGEST, find_realm."""

from __future__ import annotations

import hashlib
import logging
import os

import pytest

from catalina_py.errors import ConfigError
from catalina_py.realm.base import DigestCredentials, GenericPrincipal, Realm, find_realm
from catalina_py.realm.combined import CombinedRealm, LockOutRealm
from catalina_py.realm.credential import MessageDigestCredentialHandler, SecretKeyCredentialHandler
from catalina_py.realm.realm_base import RealmBase, digest_response
from catalina_py.realm.user_database import WATCH_INTERVAL, UserDatabaseRealm, load_users

USERS = """<?xml version="1.0" encoding="UTF-8"?>
<tomcat-users xmlns="http://tomcat.apache.org/xml" version="1.0">
  <role rolename="manager-gui"/>
  <group groupname="admins" roles="manager-gui, manager-script" description="d"/>
  <user username="alice" password="wonderland" roles="tomcat" groups="admins"/>
  <user username="bob" password="builder" roles="role1,role2"/>
  <user username="carol" password="x" groups="ghosts"/>
</tomcat-users>
"""


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def users_file(tmp_path, text: str = USERS):
    path = tmp_path / "tomcat-users.xml"
    path.write_text(text)
    return path


def started(path, **kwargs) -> UserDatabaseRealm:
    realm = UserDatabaseRealm(str(path), **kwargs)
    realm.start()
    return realm


def test_users_roles_and_groups(tmp_path) -> None:
    realm = started(users_file(tmp_path))
    alice = realm.authenticate("alice", "wonderland")
    assert alice == GenericPrincipal("alice", frozenset({"tomcat", "manager-gui", "manager-script"}))
    assert realm.has_role(alice, "manager-script") and not realm.has_role(alice, "role1")
    assert not realm.has_role(alice, "*") and not realm.has_role(None, "tomcat")
    bob = realm.authenticate("bob", "builder")
    assert bob is not None and bob.roles == frozenset({"role1", "role2"})
    carol = realm.authenticate("carol", "x")  # an undeclared group exists, with no roles
    assert carol is not None and carol.roles == frozenset()
    assert realm.authenticate("alice", "Wonderland") is None
    assert realm.authenticate("nobody", "wonderland") is None
    assert realm.authenticate("", "") is None


def test_database_model(tmp_path) -> None:
    database, warnings = load_users(str(users_file(tmp_path)))
    assert warnings == []
    assert database.groups["admins"] == frozenset({"manager-gui", "manager-script"})
    assert database.groups["ghosts"] == frozenset()
    assert {"manager-gui", "tomcat", "role1"} <= database.roles
    assert database.users["alice"].groups == frozenset({"admins"})


def test_file_without_namespace_and_unknown_attribute_warns(tmp_path) -> None:
    path = users_file(tmp_path, '<tomcat-users>\n<user username="u" password="p" rolez="r"/>\n</tomcat-users>')
    database, warnings = load_users(str(path))
    assert list(database.users) == ["u"]
    assert len(warnings) == 1 and warnings[0].startswith(f"{path}:2: unknown attribute rolez on <user>")
    assert "did you mean roles?" in warnings[0]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("<tomcat-users>\n<user username='u' password='p'>\n</tomcat-users>", 3, "not well-formed XML"),
        (
            "<tomcat-users>\n<user password='p'/>\n</tomcat-users>",
            2,
            "<user> is missing the required attribute username",
        ),
        ("<tomcat-users>\n<user username='u'/>\n</tomcat-users>", 2, '<user username="u"> has no password attribute'),
        (
            "<tomcat-users>\n<user username='u' password='a'/>\n<user username='u' password='b'/>\n</tomcat-users>",
            3,
            "duplicate user 'u' (first declared at",
        ),
        ("<users>\n</users>", 1, "the root element must be <tomcat-users>, found <users>"),
        (
            "<tomcat-users>\n<group roles='a'/>\n</tomcat-users>",
            2,
            "<group> is missing the required attribute groupname",
        ),
    ],
)
def test_malformed_file_errors_have_file_and_line(tmp_path, text: str, line: int, message: str) -> None:
    path = users_file(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_users(str(path))
    assert (caught.value.file, caught.value.line) == (str(path), line)
    assert message in caught.value.message


def test_malformed_file_refuses_every_login_and_logs_file_line(tmp_path, caplog) -> None:
    path = users_file(tmp_path, "<tomcat-users>\n<user username='u' password='p'\n</tomcat-users>")
    with caplog.at_level(logging.ERROR, logger="catalina_py.realm"):
        realm = started(path)  # does not raise
    assert realm.database is None
    assert realm.authenticate("u", "p") is None
    assert f"{path}:3: not well-formed XML" in caplog.text
    assert "every login is refused" in caplog.text


def test_missing_file_refuses_every_login(tmp_path, caplog) -> None:
    with caplog.at_level(logging.ERROR, logger="catalina_py.realm"):
        realm = started(tmp_path / "none.xml")
    assert realm.authenticate("u", "p") is None
    assert "cannot read file" in caplog.text


def test_changed_file_is_read_again(tmp_path, caplog) -> None:
    path = users_file(tmp_path)
    clock = Clock()
    realm = started(path, clock=clock)
    assert realm.authenticate("bob", "builder") is not None
    path.write_text(USERS.replace('"builder"', '"rebuilt"') + "\n")
    os.utime(path, (1, 1))
    assert realm.authenticate("bob", "rebuilt") is None  # not looked at before WATCH_INTERVAL
    clock.now += WATCH_INTERVAL
    assert realm.authenticate("bob", "rebuilt") is not None
    assert realm.authenticate("bob", "builder") is None
    # A malformed new version: logged, the users read before stay.
    path.write_text("<tomcat-users>\n<user\n")
    clock.now += WATCH_INTERVAL
    with caplog.at_level(logging.ERROR, logger="catalina_py.realm"):
        assert realm.authenticate("bob", "rebuilt") is not None
    assert f"{path}:" in caplog.text and "the users read before stay" in caplog.text


def test_watch_source_false_keeps_the_first_read(tmp_path) -> None:
    path = users_file(tmp_path)
    clock = Clock()
    realm = started(path, clock=clock, watch_source=False)
    path.write_text(USERS.replace('"builder"', '"rebuilt"') + "\n\n")
    clock.now += 10 * WATCH_INTERVAL
    assert realm.authenticate("bob", "builder") is not None


def test_hashed_credentials(tmp_path) -> None:
    handler = SecretKeyCredentialHandler("PBKDF2WithHmacSHA256", 100, 16, 256)
    stored = handler.mutate("s3cret")
    path = users_file(tmp_path, f'<tomcat-users><user username="u" password="{stored}" roles="r"/></tomcat-users>')
    realm = UserDatabaseRealm(str(path))
    realm.credential_handler = handler
    realm.start()
    assert realm.authenticate("u", "s3cret") is not None
    assert realm.authenticate("u", stored) is None  # the stored form is not a password


class CountingHandler(MessageDigestCredentialHandler):
    """Counts the digests computed, to show an unknown user costs one."""

    def __init__(self) -> None:
        super().__init__("SHA-256", iterations=50, salt_length=8)
        self.calls = 0

    def matches(self, password: str, stored: str) -> bool:
        self.calls += 1
        return super().matches(password, stored)


def test_unknown_user_costs_a_hash(tmp_path) -> None:
    handler = CountingHandler()
    stored = handler.mutate("pw")
    path = users_file(tmp_path, f'<tomcat-users><user username="u" password="{stored}"/></tomcat-users>')
    realm = UserDatabaseRealm(str(path))
    realm.credential_handler = handler
    realm.start()
    assert realm.authenticate("nobody", "pw") is None
    assert realm.authenticate("u", "wrong") is None
    assert handler.calls == 2
    # the dummy has the configured iterations, as a stored form would
    assert realm._dummy is not None and realm._dummy[1].split("$")[1] == "50"


def test_lockout_counts_and_unlocks_after_time(tmp_path) -> None:
    clock = Clock()
    inner = started(users_file(tmp_path))
    realm = LockOutRealm([inner], failure_count=3, lock_out_time=60, clock=clock)
    realm.start()
    for _ in range(2):
        assert realm.authenticate("bob", "wrong") is None
    assert not realm.is_locked("bob")
    assert realm.authenticate("bob", "builder") is not None  # a success forgets the failures
    for _ in range(3):
        assert realm.authenticate("bob", "wrong") is None
    assert realm.is_locked("bob")
    assert realm.authenticate("bob", "builder") is None  # locked: the right password is refused too
    assert realm.authenticate("alice", "wonderland") is not None  # others are not locked
    clock.now += 59
    assert realm.authenticate("bob", "builder") is None  # still locked
    assert realm.authenticate("bob", "wrong") is None  # a failure while locked restarts the lock from now
    clock.now += 59
    assert realm.is_locked("bob")
    clock.now += 61
    assert not realm.is_locked("bob")
    assert realm.authenticate("bob", "builder") is not None
    assert not realm.is_locked("bob")


def test_lockout_expired_lock_counts_afresh(tmp_path) -> None:
    clock = Clock()
    realm = LockOutRealm([started(users_file(tmp_path))], failure_count=2, lock_out_time=10, clock=clock)
    realm.authenticate("bob", "x")
    realm.authenticate("bob", "x")
    assert realm.is_locked("bob")
    clock.now += 11
    realm.authenticate("bob", "x")  # one failure after the lock expired
    assert not realm.is_locked("bob")
    realm.unlock("bob")
    assert realm.authenticate("bob", "builder") is not None


def test_lockout_unknown_users_and_cache_size(tmp_path, caplog) -> None:
    clock = Clock()
    realm = LockOutRealm([started(users_file(tmp_path))], failure_count=1, cache_size=2, clock=clock)
    with caplog.at_level(logging.WARNING, logger="catalina_py.realm"):
        for name in ("a", "b", "c"):
            realm.authenticate(name, "x")
    assert not realm.is_locked("a")  # dropped from the cache
    assert realm.is_locked("b") and realm.is_locked("c")
    assert "user [a] dropped from the failed-login cache" in caplog.text


class SecondRealm(RealmBase):
    def get_password(self, username: str) -> str | None:
        return {"bob": "other", "dave": "d"}.get(username)

    def get_roles(self, username: str) -> frozenset[str]:
        return frozenset({"second"})


def test_combined_first_that_authenticates_wins(tmp_path) -> None:
    realm = CombinedRealm([started(users_file(tmp_path)), SecondRealm()])
    first = realm.authenticate("bob", "builder")
    assert first is not None and "role1" in first.roles
    second = realm.authenticate("bob", "other")
    assert second is not None and second.roles == frozenset({"second"})
    assert realm.authenticate("dave", "d") is not None
    assert realm.authenticate("dave", "x") is None
    with pytest.raises(ValueError):
        CombinedRealm([])


def digest_of(password: str, qop: str | None, algorithm: str | None = None) -> tuple[str, str]:
    name = "sha256" if algorithm and algorithm.startswith("SHA-256") else "md5"

    def h(text: str) -> str:
        return hashlib.new(name, text.encode()).hexdigest()

    a2 = h("GET:/protected")
    ha1 = h(f"bob:Test:{password}")
    if qop:
        return h(f"{ha1}:nonce1:00000001:cn:{qop}:{a2}"), a2
    return h(f"{ha1}:nonce1:{a2}"), a2


def test_digest_with_plain_text_passwords(tmp_path) -> None:
    realm = LockOutRealm([started(users_file(tmp_path))])
    for qop, algorithm in ((None, None), ("auth", None), ("auth", "SHA-256"), ("auth", "MD5")):
        response, a2 = digest_of("builder", qop, algorithm)
        principal = realm.authenticate_digest(
            DigestCredentials("bob", response, "nonce1", "00000001", "cn", qop, "Test", a2, algorithm)
        )
        assert principal is not None and "role1" in principal.roles, (qop, algorithm)
        wrong, _ = digest_of("wrong", qop, algorithm)
        assert (
            realm.authenticate_digest(
                DigestCredentials("bob", wrong, "nonce1", "00000001", "cn", qop, "Test", a2, algorithm)
            )
            is None
        )
    response, a2 = digest_of("builder", "auth")
    assert (
        realm.authenticate_digest(
            DigestCredentials("nobody", response, "nonce1", "00000001", "cn", "auth", "Test", a2, None)
        )
        is None
    )
    assert (
        realm.authenticate_digest(
            DigestCredentials("bob", response, "nonce1", "00000001", "cn", "auth", "Test", a2, "SHA-1")
        )
        is None
    )


def test_digest_sess() -> None:
    ha1 = hashlib.md5(hashlib.md5(b"u:r:p").hexdigest().encode() + b":n:c").hexdigest()
    expected = hashlib.md5(f"{ha1}:n:1:c:auth:A2".encode()).hexdigest()
    assert digest_response("p", DigestCredentials("u", "", "n", "1", "c", "auth", "r", "A2", "MD5-sess")) == expected


def test_digest_with_hashed_passwords_is_refused_and_logged_once(tmp_path, caplog) -> None:
    stored = MessageDigestCredentialHandler("SHA-256", salt_length=0).mutate("builder")
    path = users_file(tmp_path, f'<tomcat-users><user username="bob" password="{stored}"/></tomcat-users>')
    realm = UserDatabaseRealm(str(path))
    realm.credential_handler = MessageDigestCredentialHandler("SHA-256")
    realm.start()
    response, a2 = digest_of("builder", "auth")
    with caplog.at_level(logging.WARNING, logger="catalina_py.realm"):
        for _ in range(3):
            assert (
                realm.authenticate_digest(
                    DigestCredentials("bob", response, "nonce1", "00000001", "cn", "auth", "Test", a2, None)
                )
                is None
            )
    assert caplog.text.count("DIGEST authentication needs the passwords in plain text") == 1
    assert realm.authenticate("bob", "builder") is not None


class Holder:
    def __init__(self, realm: Realm | None = None, host: object = None, engine: object = None) -> None:
        self.realm = realm
        if host is not None:
            self.host = host
        if engine is not None:
            self.engine = engine


def test_find_realm_walks_context_host_engine(tmp_path) -> None:
    engine_realm = SecondRealm()
    engine = Holder(engine_realm)
    host = Holder(None, engine=engine)
    context = Holder(None, host=host)
    assert find_realm(context) is engine_realm
    own = SecondRealm()
    context.realm = own
    assert find_realm(context) is own
