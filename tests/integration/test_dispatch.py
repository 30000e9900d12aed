"""Filters, RequestDispatcher and error pages over real sockets, with the
``dispatch`` test webapp (tests/integration/webapps/dispatch)."""

from __future__ import annotations

import json

import pytest
import requests

from tests.server import REPO, TEST_WEBAPPS


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from tests.server import CatalinaProcess

    process = CatalinaProcess(
        tmp_path_factory.mktemp("dispatch_base"),
        webapps={
            "dispatch": TEST_WEBAPPS / "dispatch",
            "dispatch_badfilter": TEST_WEBAPPS / "dispatch_badfilter",
            "examples": REPO / "webapps" / "examples",
            "plain": TEST_WEBAPPS / "testapp",  # a webapp without error pages
        },
    )
    process.start()
    yield process
    process.stop()


def get(server, path: str, **kwargs) -> requests.Response:
    return requests.get(server.url + path, timeout=10, **kwargs)


# -- filter order and dispatcher types ------------------------------------------------


def test_url_pattern_filters_run_before_servlet_name_filters(server):
    body = get(server, "/dispatch/chain/x").json()
    # byName is mapped first in web.xml, but servlet-name mappings come last.
    assert body["trace"] == ["urlFirst:REQUEST", "urlSecond:REQUEST", "byName:REQUEST"]
    assert body["dispatcher_type"] == "REQUEST"


def test_extension_pattern_selects_only_its_filters(server):
    body = get(server, "/dispatch/x.chain").json()
    assert body["trace"] == ["urlSecond:REQUEST", "byName:REQUEST"]
    assert body["mapping"] == ["EXTENSION", "*.chain", "x", "describe"]


def test_a_filter_can_answer_without_calling_the_chain(server):
    response = get(server, "/dispatch/chain/x", params={"block": "1"})
    assert response.status_code == 200
    assert response.text == "blocked by filter"


def test_forward_only_filter_runs_on_forward_not_on_request(server):
    direct = get(server, "/dispatch/target/direct").json()
    assert direct["trace"] == ["byName:REQUEST"]
    forwarded = get(server, "/dispatch/forward/a", params={"to": "/target/b"}).json()
    assert forwarded["trace"] == ["forwardOnly:FORWARD", "namedOnly:FORWARD"]
    assert forwarded["dispatcher_type"] == "FORWARD"


def test_include_only_filter_runs_on_include(server):
    text = get(server, "/dispatch/include/a", params={"to": "/target/inc"}).text
    assert '"trace": ["includeOnly:INCLUDE", "namedOnly:INCLUDE"]' in text


def test_filters_may_pass_wrappers_down_the_chain(server):
    response = get(server, "/dispatch/wrapped/forward", params={"to": "/target/w"})
    body = response.json()
    assert body["wrapped"] == "request-wrapper"  # the request wrapper is seen after the forward
    assert response.headers["X-Content-Type-Seen"] == "application/json"
    assert body["servlet_path"] == "/target"


def test_filter_init_failure_keeps_the_context_from_starting(server):
    response = get(server, "/dispatch_badfilter/")
    assert response.status_code == 503
    assert "filter init refused to start" in server.output()


# -- forward ----------------------------------------------------------------------------


def test_forward_presents_new_paths_and_original_attributes(server):
    response = get(server, "/dispatch/forward/a", params={"to": "/target/b?q=new&p=first", "p": "second"})
    body = response.json()
    assert body["request_uri"] == "/dispatch/target/b"
    assert body["servlet_path"] == "/target"
    assert body["path_info"] == "/b"
    assert body["query_string"] == "q=new&p=first"
    # New parameters first, then the original ones.
    assert body["params"]["p"] == ["first", "second"]
    assert body["params"]["q"] == ["new"]
    attrs = body["attributes"]
    assert attrs["jakarta.servlet.forward.request_uri"] == "/dispatch/forward/a"
    assert attrs["jakarta.servlet.forward.context_path"] == "/dispatch"
    assert attrs["jakarta.servlet.forward.servlet_path"] == "/forward"
    assert attrs["jakarta.servlet.forward.path_info"] == "/a"
    assert attrs["jakarta.servlet.forward.query_string"].startswith("to=")
    assert body["forward_mapping"] == ["PATH", "/forward/*", "a", "forward"]
    assert body["mapping"] == ["PATH", "/target/*", "b", "describe"]


def test_forward_discards_the_buffer_and_closes_the_response(server):
    response = get(server, "/dispatch/forward/a", params={"to": "/target/b"})
    assert response.status_code == 200  # not the 299 set after forward
    assert response.headers["X-Before-Forward"] == "kept"
    assert "X-After-Forward" not in response.headers
    assert "discarded before forward" not in response.text
    assert "written after forward" not in response.text
    assert response.headers["Content-Length"] == str(len(response.content))


def test_relative_dispatcher_path(server):
    body = get(server, "/dispatch/forward/a", params={"to": "../exact-target"}).json()
    assert body["servlet_path"] == "/exact-target"
    assert body["path_info"] is None
    assert body["mapping"] == ["EXACT", "/exact-target", "exact-target", "describe"]


def test_dispatcher_path_outside_the_webapp_is_none(server):
    response = get(server, "/dispatch/forward/a", params={"to": "/../examples/"})
    assert response.text == "no dispatcher for /../examples/"


def test_servlet_context_dispatcher(server):
    body = get(server, "/dispatch/ctxforward", params={"to": "/target/ctx"}).json()
    assert body["request_uri"] == "/dispatch/target/ctx"
    assert body["attributes"]["jakarta.servlet.forward.servlet_path"] == "/ctxforward"


def test_forward_after_commit_raises_illegal_state(server):
    response = get(server, "/dispatch/commit")
    assert response.text == ("committed|IllegalStateError: Cannot forward after the response " "has been committed")


def test_named_forward_keeps_paths_and_sets_no_attributes(server):
    body = get(server, "/dispatch/named", params={"name": "describe"}).json()
    assert body["dispatcher_type"] == "FORWARD"
    assert body["servlet_path"] == "/named"
    assert body["request_uri"] == "/dispatch/named"
    assert body["attributes"] == {}
    # A named dispatch has no path: only servlet-name mappings select filters.
    assert body["trace"] == ["namedOnly:FORWARD"]


def test_unknown_named_dispatcher_is_none(server):
    assert get(server, "/dispatch/named", params={"name": "nope"}).text == "no such servlet"


# -- include ----------------------------------------------------------------------------


def test_include_attributes_and_unchanged_paths(server):
    response = get(server, "/dispatch/include/a", params={"to": "/target/inc?z=9"})
    text = response.text
    assert text.startswith("before|{")
    included = json.loads(text[len("before|") : text.index("}|after") + 1])
    assert included["dispatcher_type"] == "INCLUDE"
    assert included["servlet_path"] == "/include"  # the caller's paths
    assert included["path_info"] == "/a"
    attrs = included["attributes"]
    assert attrs["jakarta.servlet.include.request_uri"] == "/dispatch/target/inc"
    assert attrs["jakarta.servlet.include.servlet_path"] == "/target"
    assert attrs["jakarta.servlet.include.path_info"] == "/inc"
    assert attrs["jakarta.servlet.include.query_string"] == "z=9"
    assert attrs["jakarta.servlet.include.context_path"] == "/dispatch"
    assert included["include_mapping"] == ["PATH", "/target/*", "inc", "describe"]
    assert included["params"]["z"] == ["9"]
    tail = text[text.index("}|after") + 1 :]
    assert tail == (
        "|after|outer-path=/include/a|outer-query=to=%2Ftarget%2Finc%3Fz%3D9"
        "|outer-type=REQUEST|include-attr-after=None"
    )


def test_included_servlet_cannot_change_status_or_headers(server):
    response = get(server, "/dispatch/include/a", params={"to": "/target/inc"})
    assert response.status_code == 200
    assert "X-Included" not in response.headers
    assert "X-Included-Add" not in response.headers
    assert response.headers["Content-Type"] == "text/plain;charset=UTF-8"
    assert response.headers["X-Outer"] == "set"
    assert response.text.endswith("include-attr-after=None")


def test_named_include(server):
    text = get(server, "/dispatch/named", params={"name": "describe", "mode": "include"}).text
    assert text.startswith("named-include:{")
    assert '"attributes": {}' in text
    assert '"trace": ["namedOnly:INCLUDE"]' in text


# -- error pages ------------------------------------------------------------------------


def test_error_page_by_status_code(server):
    response = get(server, "/dispatch/nothing-here")
    assert response.status_code == 404
    body = response.json()
    assert body["dispatcher_type"] == "ERROR"
    assert body["servlet_path"] == "/error"
    assert body["path_info"] == "/notfound"
    assert body["trace"] == ["errorOnly:ERROR"]
    attrs = body["attributes"]
    assert attrs["jakarta.servlet.error.status_code"] == 404
    assert attrs["jakarta.servlet.error.request_uri"] == "/dispatch/nothing-here"
    assert attrs["jakarta.servlet.error.servlet_name"] == "default"
    assert attrs["jakarta.servlet.forward.request_uri"] == "/dispatch/nothing-here"


def test_error_page_by_exception_type(server):
    response = get(server, "/dispatch/fail", params={"mode": "value"})
    assert response.status_code == 500
    body = response.json()
    assert body["path_info"] == "/value"
    assert body["exception"] == "ValueError: bad value"
    assert body["exception_type"] == "ValueError"
    attrs = body["attributes"]
    assert attrs["jakarta.servlet.error.status_code"] == 500
    assert attrs["jakarta.servlet.error.message"] == "bad value"
    assert attrs["jakarta.servlet.error.servlet_name"] == "fail"
    assert attrs["jakarta.servlet.error.request_uri"] == "/dispatch/fail"


def test_error_page_by_exception_base_class(server):
    # KeyError has no page; its base LookupError ("builtins.LookupError") has.
    body = get(server, "/dispatch/fail", params={"mode": "key"}).json()
    assert body["path_info"] == "/lookup"
    assert body["exception_type"] == "KeyError"
    # A webapp exception class, found through its base class.
    body = get(server, "/dispatch/fail", params={"mode": "special"}).json()
    assert body["path_info"] == "/quota"
    assert body["exception_type"] == "SpecialQuotaError"
    body = get(server, "/dispatch/fail", params={"mode": "quota"}).json()
    assert body["path_info"] == "/quota"


def test_exception_without_page_uses_the_default_error_page(server):
    response = get(server, "/dispatch/fail", params={"mode": "runtime"})
    assert response.status_code == 500
    body = response.json()
    assert body["path_info"] == "/default"
    assert body["exception_type"] == "RuntimeError"


def test_default_error_page_for_a_code_without_page(server):
    response = get(server, "/dispatch/fail", params={"mode": "send", "code": "401", "msg": "who"})
    assert response.status_code == 401
    body = response.json()
    assert body["path_info"] == "/default"
    assert body["attributes"]["jakarta.servlet.error.message"] == "who"
    assert body["attributes"]["jakarta.servlet.error.status_code"] == 401


def test_error_page_that_raises_falls_back_to_the_default_report(server):
    response = get(server, "/dispatch/fail", params={"mode": "send", "code": "409", "msg": "conflict"})
    assert response.status_code == 409
    assert "HTTP Status 409" in response.text
    assert "partial error page" not in response.text


def test_error_page_that_sends_an_error_does_not_loop(server):
    response = get(server, "/dispatch/fail", params={"mode": "send", "code": "410"})
    assert response.status_code == 410
    assert "HTTP Status 410" in response.text
    # The 503 page is under WEB-INF: the default servlet answers 404 for it.
    response = get(server, "/dispatch/fail", params={"mode": "send", "code": "503"})
    assert response.status_code == 503
    assert "HTTP Status 503" in response.text


def test_webapp_without_error_pages_keeps_the_default_report(server):
    response = get(server, "/plain/no-such-file")
    assert response.status_code == 404
    assert "HTTP Status 404" in response.text


# -- ServletContext ------------------------------------------------------------------------


def test_servlet_context_resources_and_get_context(server):
    body = get(server, "/dispatch/ctx").json()
    assert body["other"] is False  # crossContext is false by default
    assert body["own_is_self"] is True
    assert body["resource"].startswith("file://")
    assert body["resource"].endswith("/webapps/dispatch/static/a.txt")
    assert body["missing"] is None
    assert body["outside"] is None
    assert body["stream"] == "static text\n"
    assert body["stream_outside"] is False
    assert body["paths"] == ["/WEB-INF/", "/static/"]
    assert body["outside_dispatcher"] is True


def test_include_of_a_static_file_serves_the_included_file(server):
    # The DefaultServlet must read the include.* paths, not the caller's.
    response = get(server, "/dispatch/include/a", params={"to": "/static/a.txt"})
    assert response.status_code == 200
    text = response.text
    assert text.startswith("before|")
    assert (server.base / "webapps" / "dispatch" / "static" / "a.txt").read_text() in text
