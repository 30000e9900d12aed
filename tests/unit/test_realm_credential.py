"""Credential handlers (catalina_py/realm/credential.py) against known
vectors, including stored forms Tomcat 10.1's digest.sh printed (copied
here so the unit tests need no Java; tests/interop/test_realm_tomcat_digest.py
generates fresh ones with the real digest.sh), and the digest command."""

from __future__ import annotations

import base64
import hashlib
import subprocess
import sys

import pytest

from catalina_py.realm.credential import (
    MessageDigestCredentialHandler,
    NestedCredentialHandler,
    SecretKeyCredentialHandler,
    digest_algorithm,
    pbkdf2_algorithm,
)
from catalina_py.realm.digest_tool import main as digest_main

# Printed by Tomcat 10.1.60's bin/digest.sh for the password "secret".
TOMCAT_FORMS = [
    (  # -a sha-256 -i 1000 -s 16
        MessageDigestCredentialHandler("sha-256"),
        "09ba5176eb77f64961400c5302756fe4$1000$2e345dc5909940b27c925d9807d7d1eb0c201447e4a9fa6f6415309036b9726a",
    ),
    (  # -a sha-256 (32-byte salt, 1 iteration)
        MessageDigestCredentialHandler("SHA-256"),
        "c76c041823cdbd289fc6da09c7bb4adb15abbbfa380eee6ed3e7cd989e90bc05$1$"
        "6804d03300d504b885ae9659c5565a6beaa5ca91ec7e8a7fa59325ce795fa355",
    ),
    (  # -a sha-256 -s 0: plain hex
        MessageDigestCredentialHandler("SHA-256"),
        "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b",
    ),
    (  # -a sha-256 -s 0 -i 2: an empty salt
        MessageDigestCredentialHandler("SHA-256"),
        "$2$3881219d087dd9c634373fd33dfa33a2cb6bfc6c520b64b8bb60ef2ceb534ae7",
    ),
    (  # no -a: SHA-512, 32-byte salt
        MessageDigestCredentialHandler("SHA-512"),
        "6d5dbf8c12924076310ba65569c6722ab85f73095ea4d07d8619d98c4e9167e4$1$3b89608a670c17097a5a855cbddc0901528864f"
        "dac726f6f8317234c1655524566b5a726c56e26e457367ee13383c79b093020a65535e2b1073234d7e7784ea5",
    ),
    (  # -h SecretKeyCredentialHandler -a PBKDF2WithHmacSHA256 -i 1000 -s 16 -k 256
        SecretKeyCredentialHandler("PBKDF2WithHmacSHA256"),
        "50b687c2202dbdb047b47b9d93e22996$1000$9729935c9789417d686e939fd5666d78383ee9c9cf69feaf5373a68f224e5f49",
    ),
    (  # -h SecretKeyCredentialHandler (PBKDF2WithHmacSHA1, 20000 iterations, 160 bits)
        SecretKeyCredentialHandler(),
        "295506393bd486426442da1d8cf40e5cca3d146870d9ea3b70e2a50f9cef53a9$20000$97444e37a1f1b5e8bbe974ddc7492807de722025",
    ),
]


@pytest.mark.parametrize(("handler", "stored"), TOMCAT_FORMS)
def test_tomcat_forms_verify(handler, stored) -> None:
    assert handler.matches("secret", stored)
    assert handler.matches("secret", stored.upper().replace("$", "$"))  # hex case does not matter
    assert not handler.matches("Secret", stored)
    assert not handler.matches("", stored)


def test_utf8_password_matches_tomcat() -> None:
    # digest.sh -a MD5 -e UTF-8 -s 0 'pässword'
    assert MessageDigestCredentialHandler("MD5").matches("pässword", "8e1843033a0f6ee52e2f618aa8ebbef4")
    assert not MessageDigestCredentialHandler("MD5", encoding="ISO-8859-1").matches(
        "pässword", "8e1843033a0f6ee52e2f618aa8ebbef4"
    )


def test_known_vectors() -> None:
    handler = MessageDigestCredentialHandler("SHA-1")
    # FIPS 180 "abc"
    assert handler.matches("abc", "a9993e364706816aba3e25717850c26c9cd0d89d")
    assert MessageDigestCredentialHandler("MD5").matches("abc", "900150983cd24fb0d6963f7d28e17f72")
    # RFC 6070 PBKDF2-HMAC-SHA1, c=2
    sk = SecretKeyCredentialHandler()
    assert sk.matches("password", "73616c74$2$ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957")
    assert not sk.matches("password", "73616c74$1$ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957")


def test_ldap_style_forms() -> None:
    handler = MessageDigestCredentialHandler("SHA-256")  # the prefix names the digest
    md5 = "{MD5}" + base64.b64encode(hashlib.md5(b"pw").digest()).decode()
    sha = "{SHA}" + base64.b64encode(hashlib.sha1(b"pw").digest()).decode()
    ssha = "{SSHA}" + base64.b64encode(hashlib.sha1(b"pw" + b"salt").digest() + b"salt").decode()
    for stored in (md5, sha, ssha):
        assert handler.matches("pw", stored), stored
        assert not handler.matches("px", stored), stored
    assert not handler.matches("pw", "{SHA}not base64!")


def test_plain_text_without_algorithm() -> None:
    handler = MessageDigestCredentialHandler()
    assert handler.plain_text
    assert handler.matches("pw", "pw")
    assert not handler.matches("pw", "pW")
    assert handler.mutate("pw") == "pw"
    assert not MessageDigestCredentialHandler("SHA-256").plain_text


@pytest.mark.parametrize(
    "handler",
    [
        MessageDigestCredentialHandler("SHA-256", iterations=3, salt_length=8),
        MessageDigestCredentialHandler("SHA-512", salt_length=0),
        MessageDigestCredentialHandler("SHA-256", iterations=2, salt_length=0),
        SecretKeyCredentialHandler("PBKDF2WithHmacSHA512", iterations=10, salt_length=16, key_length=512),
    ],
)
def test_mutate_then_matches(handler) -> None:
    stored = handler.mutate("correct horse")
    assert handler.matches("correct horse", stored)
    assert not handler.matches("correct horsE", stored)
    if not stored.startswith("$") and "$" in stored:
        assert handler.mutate("correct horse") != stored  # a fresh salt each time


def test_mutate_shapes() -> None:
    assert len(MessageDigestCredentialHandler("SHA-256", salt_length=0).mutate("x")) == 64
    salt, iterations, key = SecretKeyCredentialHandler("PBKDF2WithHmacSHA256", 5, 16, 256).mutate("x").split("$")
    assert (len(salt), iterations, len(key)) == (32, "5", 64)


@pytest.mark.parametrize("stored", ["", "$", "zz$1$00", "00$0$00", "00$x$00", "00$1$", "a$b$c$d", "00$1$abc"])
def test_malformed_stored_forms_never_match(stored) -> None:
    for handler in (MessageDigestCredentialHandler("SHA-256"), SecretKeyCredentialHandler(iterations=1)):
        assert not handler.matches("", stored)
        assert not handler.matches("x", stored)


def test_nested() -> None:
    old = MessageDigestCredentialHandler("MD5", salt_length=0)
    new = SecretKeyCredentialHandler("PBKDF2WithHmacSHA256", 10, 8, 256)
    nested = NestedCredentialHandler([new, old])
    assert nested.matches("pw", old.mutate("pw"))
    assert nested.matches("pw", new.mutate("pw"))
    assert not nested.matches("px", old.mutate("pw"))
    assert nested.mutate("pw").count("$") == 2
    assert not nested.plain_text
    with pytest.raises(ValueError):
        NestedCredentialHandler([])


def test_algorithm_names() -> None:
    assert digest_algorithm("sha-256") == "sha256"
    assert digest_algorithm("SHA") == "sha1"
    assert pbkdf2_algorithm("pbkdf2withhmacsha512") == "sha512"
    with pytest.raises(ValueError, match="unknown message digest algorithm 'SHA-999'"):
        MessageDigestCredentialHandler("SHA-999")
    with pytest.raises(ValueError, match="unknown secret key algorithm 'PBEWithHmacSHA256AndAES_128'"):
        SecretKeyCredentialHandler("PBEWithHmacSHA256AndAES_128")
    with pytest.raises(ValueError, match="keyLength"):
        SecretKeyCredentialHandler(key_length=100)


def test_digest_command(capsys) -> None:
    lines: list[str] = []
    assert digest_main(["-a", "sha-256", "-i", "1000", "-s", "16", "secret", "p:w"], lines.append) == 0
    assert [line.split(":", 1)[0] for line in lines] == ["secret", "p"]
    password, stored = lines[0].split(":", 1)
    assert stored.split("$")[1] == "1000" and len(stored.split("$")[0]) == 32
    assert MessageDigestCredentialHandler("SHA-256").matches(password, stored)
    lines.clear()
    handler_class = "org.apache.catalina.realm.SecretKeyCredentialHandler"
    argv = ["-h", handler_class, "-a", "PBKDF2WithHmacSHA256", "-k", "256", "-i", "10", "pw"]
    assert digest_main(argv, lines.append) == 0
    assert SecretKeyCredentialHandler("PBKDF2WithHmacSHA256").matches("pw", lines[0].split(":", 1)[1])
    lines.clear()
    assert digest_main(["pw"], lines.append) == 0  # Tomcat's default: SHA-512, 32-byte salt
    salt, iterations, digest = lines[0].split(":", 1)[1].split("$")
    assert (len(salt), iterations, len(digest)) == (64, "1", 128)
    assert digest_main([], lines.append) == 1
    assert digest_main(["-a", "nope", "pw"], lines.append) == 1
    assert digest_main(["-i"], lines.append) == 1
    err = capsys.readouterr().err
    assert "no credentials given" in err and "unknown message digest algorithm 'nope'" in err
    assert "-i needs a value" in err


def test_digest_command_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "catalina_py", "-Dx=1", "digest", "-a", "SHA-256", "-s", "0", "two words $HOME"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "two words $HOME:" + hashlib.sha256(b"two words $HOME").hexdigest() + "\n"
