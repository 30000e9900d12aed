"""Listeners, annotations and the context start/stop order, over real
sockets (webapps under tests/integration/webapps/descriptor*)."""

from __future__ import annotations

import requests

from tests.server import REPO, TEST_WEBAPPS

APPS = {
    "descriptor": TEST_WEBAPPS / "descriptor",
    "complete": TEST_WEBAPPS / "descriptor_complete",
}


def get(server, path: str) -> requests.Response:
    return requests.get(server.url + path, timeout=10)


def events(server) -> list[str]:
    response = get(server, "/descriptor/events")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    return response.json()


def test_start_order_listeners_then_filters_then_load_on_startup(make_server):
    server = make_server(webapps=APPS).start()
    log = events(server)
    # web.xml listener, then the annotated one, then filters, then the
    # load-on-startup servlet; the "log" attribute itself fired
    # attribute_added during the first context_initialized
    assert log[:5] == [
        "context_initialized:EventLog",
        "attribute_added:log",
        "context_initialized:AnnotatedListener",
        "filter_init:recording",
        "servlet_init:events",
    ]
    assert log[5:] == ["request_initialized:/descriptor/events"]


def test_request_events_wrap_each_request(make_server):
    server = make_server(webapps=APPS).start()
    assert get(server, "/descriptor/annotated").status_code == 200
    assert get(server, "/descriptor/nowhere").status_code == 404
    log = events(server)
    start = log.index("request_initialized:/descriptor/annotated")
    assert log[start:] == [
        "request_initialized:/descriptor/annotated",
        "request_destroyed:/descriptor/annotated",
        "request_initialized:/descriptor/nowhere",
        "request_destroyed:/descriptor/nowhere",
        "request_initialized:/descriptor/events",
    ]
    # the second url-pattern of the same servlet-mapping
    assert get(server, "/descriptor/events.json").json()[-1] == "request_initialized:/descriptor/events.json"


def test_context_attribute_events(make_server):
    server = make_server(webapps=APPS).start()
    for query in (
        "op=set&name=colour&value=red",
        "op=set&name=colour&value=blue",
        "op=remove&name=colour",
        "op=remove&name=colour",
    ):
        assert get(server, "/descriptor/attr?" + query).text == "ok"
    log = [entry for entry in events(server) if entry.startswith("attribute_")]
    assert log == [
        "attribute_added:log",
        "attribute_added:colour=red",
        "attribute_replaced:colour=red->blue",  # the old value, as Tomcat
        "attribute_removed:colour=blue",  # the second remove fires nothing
    ]


def test_annotated_servlet_filter_and_web_xml_precedence(make_server):
    server = make_server(webapps=APPS).start()
    response = get(server, "/descriptor/annotated")
    assert response.text == "hello from annotated.AnnotatedServlet"
    assert response.headers.get("X-Annotated-Filter") == "yes"
    assert get(server, "/descriptor/annotated/deeper").status_code == 200
    # greeter: declared by web.xml and by annotation; web.xml wins
    assert get(server, "/descriptor/greet").text == "from web.xml; annotation only"
    assert get(server, "/descriptor/ignored").status_code == 404
    # the annotated filter is not mapped to the web.xml servlets
    assert "X-Annotated-Filter" not in get(server, "/descriptor/greet").headers


def test_metadata_complete_disables_the_scan(make_server):
    server = make_server(webapps=APPS).start()
    assert get(server, "/complete/plain").text == "plain"
    # annotated.py would raise if imported: the webapp deployed, so the
    # scan did not import it, and its servlet is not mapped
    assert get(server, "/complete/annotated").status_code == 404
    assert "Context [/complete] failed" not in server.output()


def test_stop_order_servlets_filters_then_listeners_reversed(make_server):
    server = make_server(webapps=APPS).start()
    assert get(server, "/descriptor/events").status_code == 200
    assert server.stop() == 0
    destroyed = server.base / "webapps" / "descriptor" / "WEB-INF" / "destroyed.log"
    assert destroyed.read_text().splitlines() == [
        "servlet_destroy:events",
        "filter_destroy:recording",
        "context_destroyed:AnnotatedListener",
        "context_destroyed:EventLog",
    ]


def test_failing_webapps_do_not_stop_the_others(make_server):
    server = make_server(
        webapps={
            "examples": REPO / "webapps" / "examples",
            "badlistener": TEST_WEBAPPS / "descriptor_badlistener",
            "notlistener": TEST_WEBAPPS / "descriptor_notlistener",
            "importerror": TEST_WEBAPPS / "descriptor_importerror",
        }
    ).start()
    assert get(server, "/examples/servlets/helloworld").status_code == 200
    for path in ("/badlistener/x", "/notlistener/", "/importerror/broken"):
        assert get(server, path).status_code == 503, path
    output = server.output()
    assert "Context [/badlistener] failed to start" in output
    assert "context_initialized() raised RuntimeError: the listener exploded on purpose" in output
    assert "Context [/notlistener] failed to start" in output
    assert "listener class 'plain.NotAListener' implements no listener interface" in output
    assert "Context [/importerror] failed to start" in output
    assert "cannot import broken.py while scanning WEB-INF/classes for annotations" in output
    assert "ModuleNotFoundError" in output


def test_request_attribute_events(make_server):
    server = make_server(webapps=APPS).start()
    assert get(server, "/descriptor/reqattr").text == "ok"
    log = [entry for entry in events(server) if entry.startswith("request_attribute")]
    assert log == [
        "request_attribute_added:probe.a=1",
        "request_attribute_replaced:probe.a=1",
        "request_attribute_removed:probe.a=2",
    ]
