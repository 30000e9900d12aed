"""HTTP sessions over real sockets: the ``sessions`` test webapp
(tests/integration/webapps/sessions) on a real server."""

from __future__ import annotations

import json
import re
import time

import pytest
import requests

from tests.server import TEST_WEBAPPS, CatalinaProcess

SESSIONS_APP = TEST_WEBAPPS / "sessions"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    server = CatalinaProcess(
        tmp_path_factory.mktemp("sessions_base"), webapps={"sessions": SESSIONS_APP}, log_pattern="%S %r %s"
    )
    server.start()
    yield server
    server.stop()


def get(server, path, **kwargs):
    response = requests.get(server.url + path, timeout=10, allow_redirects=False, **kwargs)
    assert response.status_code == 200, response.text
    return response.json()


def test_counter_with_a_cookie(server):
    client = requests.Session()
    first = client.get(server.url + "/sessions/s/counter", timeout=10)
    cookie = first.headers["Set-Cookie"]
    body = first.json()
    assert re.fullmatch(r"[0-9A-F]{32}", body["id"])
    assert cookie == f"JSESSIONID={body['id']}; Path=/sessions; HttpOnly"
    assert body["count"] == 1 and body["new"] is True
    second = client.get(server.url + "/sessions/s/counter", timeout=10)
    assert "Set-Cookie" not in second.headers
    assert second.json() == {
        "id": body["id"],
        "requested": body["id"],
        "requested_valid": True,
        "from_cookie": True,
        "from_url": False,
        "count": 2,
        "new": False,
    }
    # The access log's %S shows the session id.
    deadline = time.monotonic() + 5
    while f"{body['id']} GET /sessions/s/counter HTTP/1.1 200" not in server.access_log():
        assert time.monotonic() < deadline, server.access_log()
        time.sleep(0.05)


def test_url_rewriting_without_cookies(server):
    link = requests.get(server.url + "/sessions/s/link", timeout=10)
    sid = link.json()["url"].split("jsessionid=")[1].split("?")[0]
    assert link.json() == {
        "url": f"counter;jsessionid={sid}?x=1",
        "redirect": f"/sessions/s/counter;jsessionid={sid}",
        "foreign": "/other/page",
    }
    # A client without cookies follows the rewritten URL.
    body = get(server, f"/sessions/s/counter;jsessionid={sid}?x=1")
    assert body["id"] == sid and body["from_url"] and not body["from_cookie"]
    assert body["count"] == 1
    assert get(server, f"/sessions/s/counter;jsessionid={sid}")["count"] == 2
    # With the id from a cookie, nothing is rewritten.
    with_cookie = get(server, "/sessions/s/link", cookies={"JSESSIONID": sid})
    assert with_cookie["url"] == "counter?x=1"
    # encode_redirect_url for a redirect.
    redirect = requests.get(server.url + f"/sessions/s/redirect;jsessionid={sid}", timeout=10, allow_redirects=False)
    assert redirect.status_code == 302
    # Sent as the servlet gave it (relative), as Tomcat does on HTTP/1.1.
    assert redirect.headers["Location"] == f"counter;jsessionid={sid}"


def test_unknown_id_gets_a_new_session_only_when_asked(server):
    body = get(server, "/sessions/s/peek", cookies={"JSESSIONID": "0123456789ABCDEF0123456789ABCDEF"})
    assert body["id"] is None and body["requested"] == "0123456789ABCDEF0123456789ABCDEF"
    assert body["requested_valid"] is False
    response = requests.get(
        server.url + "/sessions/s/counter", timeout=10, cookies={"JSESSIONID": "0123456789ABCDEF0123456789ABCDEF"}
    )
    assert response.json()["id"] != "0123456789ABCDEF0123456789ABCDEF"
    assert response.headers["Set-Cookie"].startswith(f"JSESSIONID={response.json()['id']};")


def test_invalidate(server):
    client = requests.Session()
    sid = client.get(server.url + "/sessions/s/counter", timeout=10).json()["id"]
    assert client.get(server.url + "/sessions/s/invalidate", timeout=10).json() == {"invalidated": sid, "after": False}
    peek = client.get(server.url + "/sessions/s/peek", timeout=10).json()
    assert peek["id"] is None and peek["requested"] == sid and peek["requested_valid"] is False
    events = get(server, "/sessions/s/events")
    destroyed = events.index(["destroyed", sid, 1])
    # session_destroyed came while "count" was there, then it was removed.
    assert events.index(["removed", sid, "count"]) > destroyed
    assert ["created", sid] in events and ["added", sid, "count"] in events


def test_change_session_id(server):
    client = requests.Session()
    old = client.get(server.url + "/sessions/s/counter", timeout=10).json()["id"]
    response = client.get(server.url + "/sessions/s/change", timeout=10)
    body = response.json()
    assert body["old"] == old and body["new"] == body["id"] != old
    assert response.headers["Set-Cookie"].startswith(f"JSESSIONID={body['new']};")
    assert client.get(server.url + "/sessions/s/counter", timeout=10).json()["count"] == 2
    stale = get(server, "/sessions/s/peek", cookies={"JSESSIONID": old})
    assert stale["id"] is None and stale["requested_valid"] is False
    assert ["id_changed", old, body["new"]] in get(server, "/sessions/s/events")


def test_expiry_by_the_background_sweep(server):
    client = requests.Session()
    sid = client.get(server.url + "/sessions/s/short", timeout=10).json()["id"]
    # No request touches the session: only the sweep (every 0.2 s) can end it.
    deadline = time.monotonic() + 5
    while ["destroyed", sid, None] not in get(server, "/sessions/s/events"):
        assert time.monotonic() < deadline, "the session did not expire within 5 s"
        time.sleep(0.2)
    peek = client.get(server.url + "/sessions/s/peek", timeout=10).json()
    assert peek["id"] is None and peek["requested"] == sid


def test_session_survives_a_graceful_restart(make_server):
    server = make_server(webapps={"sessions": SESSIONS_APP})
    server.start()
    client = requests.Session()
    sid = client.get(server.url + "/sessions/s/counter", timeout=10).json()["id"]
    client.get(server.url + "/sessions/s/counter", timeout=10)
    client.get(server.url + "/sessions/s/store", timeout=10)
    # A second session that is invalidated must not come back.
    gone = requests.get(server.url + "/sessions/s/counter", timeout=10).json()["id"]
    requests.get(server.url + "/sessions/s/invalidate", cookies={"JSESSIONID": gone}, timeout=10)
    server.restart()  # SHUTDOWN on the shutdown port, then a new process on the same base
    saved_file = server.base / "work" / "Catalina" / "localhost" / "sessions" / "SESSIONS.json"
    output = server.output()
    assert (
        f"Session [{sid[:8]}...] of context [/sessions]: the attribute [opaque] of type "
        "[catalina_py.webapps." in output
    )
    assert "sessionapp.Opaque] is not plain JSON data and was not saved" in output
    assert not saved_file.exists()  # read at start, then deleted
    body = client.get(server.url + "/sessions/s/peek", timeout=10).json()
    assert body["id"] == sid and body["count"] == 2
    assert body["data"] == {"user": "ann", "items": [1, 2.5, None, True]}
    assert body["opaque"] is False
    assert body["interval"] == 600
    assert client.get(server.url + "/sessions/s/counter", timeout=10).json()["count"] == 3
    stale = get(server, "/sessions/s/peek", cookies={"JSESSIONID": gone})
    assert stale["id"] is None
    # Restored sessions are not "created" again.
    assert ["created", sid] not in get(server, "/sessions/s/events")


def test_malformed_sessions_file_is_ignored_with_a_warning(make_server):
    server = make_server(webapps={"sessions": SESSIONS_APP})
    work = server.base / "work" / "Catalina" / "localhost" / "sessions"
    work.mkdir(parents=True)
    (work / "SESSIONS.json").write_text(
        json.dumps({"format": "catalina_py.sessions", "version": 1, "sessions": [{"id": "X"}]})
    )
    server.start()
    assert "Ignoring the saved sessions file" in server.output()
    assert not (work / "SESSIONS.json").exists()
    assert get(server, "/sessions/s/counter")["count"] == 1
