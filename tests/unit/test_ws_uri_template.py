"""Endpoint paths and templates (catalina_py/websocket/core/uri_template.py)."""

import pytest

from catalina_py.websocket.core.uri_template import EndpointMap, UriTemplate, UriTemplateError


def test_exact_path_has_no_variables():
    template = UriTemplate("/echo")
    assert not template.has_variables
    assert template.match("/echo") == {}
    assert template.match("/echo/x") is None


def test_variables_match_whole_segments():
    template = UriTemplate("/chat/{room}/{user}")
    assert template.names == ("room", "user")
    assert template.normalized == "/chat/{0}/{1}"
    assert template.match("/chat/kitchen/ann") == {"room": "kitchen", "user": "ann"}
    assert template.match("/chat/kitchen") is None
    assert template.match("/chat//ann") is None
    assert template.match("/talk/kitchen/ann") is None


@pytest.mark.parametrize("path", ["echo", "/a/{b", "/a/x{b}", "/a/{b}/{b}", "/a//b", "/a?x=1"])
def test_invalid_paths(path):
    with pytest.raises(UriTemplateError):
        UriTemplate(path)


def test_exact_paths_win_over_templates():
    endpoints = EndpointMap()
    endpoints.add("/chat/{room}", "template")
    endpoints.add("/chat/lobby", "exact")
    assert endpoints.find("/chat/lobby") == ("exact", {})
    assert endpoints.find("/chat/kitchen") == ("template", {"room": "kitchen"})
    assert endpoints.find("/chat") is None
    assert endpoints.find("/chat/a/b") is None


def test_templates_are_tried_by_segment_count_in_normalized_order():
    endpoints = EndpointMap()
    endpoints.add("/{a}/x", "var-first")
    endpoints.add("/a/{x}", "literal-first")
    # "/a/{0}" sorts before "/{0}/x": Tomcat's TreeSet order.
    assert endpoints.find("/a/x") == ("literal-first", {"x": "x"})
    assert endpoints.find("/b/x") == ("var-first", {"a": "b"})
    assert endpoints.find("/a/x/y") is None
    assert len(endpoints) == 2


def test_clashing_paths_are_refused():
    endpoints = EndpointMap()
    endpoints.add("/echo", 1)
    endpoints.add("/r/{a}", 2)
    with pytest.raises(UriTemplateError):
        endpoints.add("/echo", 3)
    with pytest.raises(UriTemplateError):
        endpoints.add("/r/{b}", 4)


def test_root_path():
    endpoints = EndpointMap()
    endpoints.add("/", "root")
    assert endpoints.find("/") == ("root", {})
    assert endpoints.find("/x") is None
