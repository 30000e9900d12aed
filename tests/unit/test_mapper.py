"""Tests for catalina_py.container.mapper (Servlet spec 12.x, Tomcat's Mapper)."""

from __future__ import annotations

import pytest

from catalina_py.container.mapper import Mapper, MappingData

HOST = "localhost"


def make_mapper(*contexts: str, welcome=(), exists=None) -> Mapper:
    """A mapper with one host and the given context paths."""
    mapper = Mapper()
    mapper.add_host(HOST, "host-obj")
    mapper.set_default_host(HOST)
    for path in contexts:
        mapper.add_context(HOST, path, f"ctx:{path}", welcome, exists)
    return mapper


def summary(md: MappingData) -> tuple:
    """The wrapper-level outcome of a mapping."""
    return (md.wrapper, md.servlet_path, md.path_info, md.match_type, md.match_pattern)


# ----------------------------------------------------- spec 12.2.2 example


@pytest.fixture
def spec_mapper() -> Mapper:
    mapper = make_mapper("")
    for pattern, name in [
        ("/foo/bar/*", "servlet1"),
        ("/baz/*", "servlet2"),
        ("/catalog", "servlet3"),
        ("*.bop", "servlet4"),
    ]:
        mapper.add_wrapper(HOST, "", pattern, name)
    return mapper


@pytest.mark.parametrize(
    "path, wrapper, servlet_path, path_info, match_type",
    [
        ("/foo/bar/index.html", "servlet1", "/foo/bar", "/index.html", "prefix"),
        ("/foo/bar/index.bop", "servlet1", "/foo/bar", "/index.bop", "prefix"),
        ("/baz", "servlet2", "/baz", None, "prefix"),
        ("/baz/index.html", "servlet2", "/baz", "/index.html", "prefix"),
        ("/catalog", "servlet3", "/catalog", None, "exact"),
        ("/catalog/index.html", None, "", None, ""),  # "default" servlet: none here
        ("/catalog/racecar.bop", "servlet4", "/catalog/racecar.bop", None, "extension"),
        ("/index.bop", "servlet4", "/index.bop", None, "extension"),
    ],
)
def test_spec_example_table(spec_mapper, path, wrapper, servlet_path, path_info, match_type):
    md = spec_mapper.map(HOST, path)
    assert md.context == "ctx:"
    assert (md.wrapper, md.servlet_path, md.path_info, md.match_type) == (wrapper, servlet_path, path_info, match_type)


def test_spec_example_with_default_servlet(spec_mapper):
    spec_mapper.add_wrapper(HOST, "", "/", "default")
    md = spec_mapper.map(HOST, "/catalog/index.html")
    assert summary(md) == ("default", "/catalog/index.html", None, "default", "/")


# ------------------------------------------------- servlet_path / path_info


@pytest.fixture
def app() -> Mapper:
    mapper = make_mapper("", "/examples", "/examples/deep")
    ctx = "/examples"
    mapper.add_wrapper(HOST, ctx, "/servlets/hello", "hello")
    mapper.add_wrapper(HOST, ctx, "/servlets/*", "servlets")
    mapper.add_wrapper(HOST, ctx, "/servlets/admin/*", "admin")
    mapper.add_wrapper(HOST, ctx, "/x/*", "x")
    mapper.add_wrapper(HOST, ctx, "*.jsp", "jsp")
    mapper.add_wrapper(HOST, ctx, "*.tar.gz", "never")
    mapper.add_wrapper(HOST, ctx, "/", "default")
    mapper.add_wrapper(HOST, ctx, "", "root")
    return mapper


@pytest.mark.parametrize(
    "path, expected",
    [
        # exact beats prefix
        ("/examples/servlets/hello", ("hello", "/servlets/hello", None, "exact", "/servlets/hello")),
        ("/examples/servlets/hello/", ("servlets", "/servlets", "/hello/", "prefix", "/servlets/*")),
        ("/examples/servlets/hello2", ("servlets", "/servlets", "/hello2", "prefix", "/servlets/*")),
        # longest prefix wins
        ("/examples/servlets/admin", ("admin", "/servlets/admin", None, "prefix", "/servlets/admin/*")),
        ("/examples/servlets/admin/a/b", ("admin", "/servlets/admin", "/a/b", "prefix", "/servlets/admin/*")),
        ("/examples/servlets/administrator", ("servlets", "/servlets", "/administrator", "prefix", "/servlets/*")),
        ("/examples/servlets", ("servlets", "/servlets", None, "prefix", "/servlets/*")),
        ("/examples/servlets/", ("servlets", "/servlets", "/", "prefix", "/servlets/*")),
        # prefix beats extension
        ("/examples/x/page.jsp", ("x", "/x", "/page.jsp", "prefix", "/x/*")),
        ("/examples/xy/page.jsp", ("jsp", "/xy/page.jsp", None, "extension", "*.jsp")),
        ("/examples/page.jsp", ("jsp", "/page.jsp", None, "extension", "*.jsp")),
        ("/examples/a.jsp/b", ("default", "/a.jsp/b", None, "default", "/")),
        ("/examples/.jsp", ("jsp", "/.jsp", None, "extension", "*.jsp")),
        ("/examples/f.tar.gz", ("default", "/f.tar.gz", None, "default", "/")),
        ("/examples/page.JSP", ("default", "/page.JSP", None, "default", "/")),
        # default
        ("/examples/other", ("default", "/other", None, "default", "/")),
        ("/examples/a/b/c.html", ("default", "/a/b/c.html", None, "default", "/")),
        # context-root pattern ""
        ("/examples/", ("root", "", "/", "context_root", "")),
    ],
)
def test_mapping_rules(app, path, expected):
    md = app.map(HOST, path)
    assert md.context == "ctx:/examples"
    assert md.context_path == "/examples"
    assert summary(md) == expected
    assert md.redirect_path is None


def test_servlet_path_plus_path_info_is_the_relative_path(app):
    for path in [
        "/examples/servlets/a/b",
        "/examples/page.jsp",
        "/examples/x",
        "/examples/q/r",
        "/examples/servlets/admin/z",
    ]:
        md = app.map(HOST, path)
        assert md.context_path + md.servlet_path + (md.path_info or "") == path


def test_prefix_slash_star_matches_everything():
    mapper = make_mapper("/app")
    mapper.add_wrapper(HOST, "/app", "/*", "all")
    mapper.add_wrapper(HOST, "/app", "*.jsp", "jsp")
    assert summary(mapper.map(HOST, "/app/a/b.jsp")) == ("all", "", "/a/b.jsp", "prefix", "/*")
    assert summary(mapper.map(HOST, "/app/")) == ("all", "", "/", "prefix", "/*")
    # "/*" also matches the bare context root: no redirect (Tomcat: Rule 2
    # runs before the redirect check).
    md = mapper.map(HOST, "/app")
    assert summary(md) == ("all", "", None, "prefix", "/*")
    assert md.redirect_path is None


def test_exact_match_is_case_sensitive_and_literal():
    mapper = make_mapper("")
    mapper.add_wrapper(HOST, "", "/Hello", "h")
    mapper.add_wrapper(HOST, "", "/foo*", "literal")
    assert mapper.map(HOST, "/Hello").wrapper == "h"
    assert mapper.map(HOST, "/hello").wrapper is None
    assert mapper.map(HOST, "/foo*").wrapper == "literal"
    assert mapper.map(HOST, "/foobar").wrapper is None


def test_deep_prefix_patterns():
    mapper = make_mapper("")
    mapper.add_wrapper(HOST, "", "/a/b/c/*", "abc")
    mapper.add_wrapper(HOST, "", "/a/*", "a")
    assert mapper.map(HOST, "/a/b/c/d/e").servlet_path == "/a/b/c"
    assert mapper.map(HOST, "/a/b/cd").servlet_path == "/a"
    assert mapper.map(HOST, "/a/b").servlet_path == "/a"
    assert mapper.map(HOST, "/ab").wrapper is None


# -------------------------------------------------------------- contexts


@pytest.mark.parametrize(
    "path, context, context_path",
    [
        ("/", "ctx:", ""),
        ("/examplesfoo", "ctx:", ""),
        ("/examples/x", "ctx:/examples", "/examples"),
        ("/examples/", "ctx:/examples", "/examples"),
        ("/examples/deep", "ctx:/examples/deep", "/examples/deep"),
        ("/examples/deep/x/y", "ctx:/examples/deep", "/examples/deep"),
        ("/examples/deeper", "ctx:/examples", "/examples"),
        ("/other/examples/x", "ctx:", ""),
    ],
)
def test_context_selection(path, context, context_path):
    mapper = make_mapper("", "/examples", "/examples/deep")
    md = mapper.map(HOST, path)
    assert (md.context, md.context_path) == (context, context_path)
    assert md.host == "host-obj"


def test_no_root_context():
    mapper = make_mapper("/examples")
    md = mapper.map(HOST, "/nothing/here")
    assert md.host == "host-obj"
    assert md.context is None and md.wrapper is None
    assert mapper.map(HOST, "/examples/a").context == "ctx:/examples"


def test_non_path_maps_host_only():
    mapper = make_mapper("")
    md = mapper.map(HOST, "*")
    assert md.host == "host-obj" and md.context is None
    assert mapper.map(HOST, "").context is None


def test_context_root_redirect():
    mapper = make_mapper("", "/examples", "/a/b")
    mapper.add_wrapper(HOST, "/examples", "/", "default")
    md = mapper.map(HOST, "/examples")
    assert md.redirect_path == "/examples/"
    assert md.wrapper is None
    assert md.context == "ctx:/examples"
    assert mapper.map(HOST, "/a/b").redirect_path == "/a/b/"
    assert mapper.map(HOST, "/examples/").redirect_path is None
    assert mapper.map(HOST, "/").redirect_path is None


def test_context_root_exact_pattern_does_not_stop_redirect():
    # "" matches "/" only; "/examples" (empty relative path) still redirects.
    mapper = make_mapper("/examples")
    mapper.add_wrapper(HOST, "/examples", "", "root")
    assert mapper.map(HOST, "/examples").redirect_path == "/examples/"
    assert mapper.map(HOST, "/examples/").wrapper == "root"


def test_root_context_root_pattern():
    mapper = make_mapper("")
    mapper.add_wrapper(HOST, "", "", "root")
    mapper.add_wrapper(HOST, "", "/", "default")
    assert summary(mapper.map(HOST, "/")) == ("root", "", "/", "context_root", "")
    assert mapper.map(HOST, "/x").wrapper == "default"


def test_remove_and_replace_context():
    mapper = make_mapper("", "/examples")
    mapper.remove_context(HOST, "/examples")
    assert mapper.map(HOST, "/examples/x").context == "ctx:"
    mapper.add_context(HOST, "/examples", "new")
    assert mapper.map(HOST, "/examples/x").context == "new"
    mapper.remove_context(HOST, "/")  # "/" names ROOT
    assert mapper.map(HOST, "/zzz").context is None
    mapper.remove_context(HOST, "/absent")  # no error
    mapper.remove_context("no-such-host", "/absent")


@pytest.mark.parametrize("path", ["examples", "/examples/", "x/"])
def test_bad_context_path(path):
    mapper = make_mapper()
    with pytest.raises(ValueError):
        mapper.add_context(HOST, path, "c")


def test_root_as_slash():
    mapper = make_mapper()
    mapper.add_context(HOST, "/", "root")
    md = mapper.map(HOST, "/x")
    assert (md.context, md.context_path) == ("root", "")


def test_add_context_unknown_host():
    with pytest.raises(KeyError):
        Mapper().add_context("nohost", "", "c")


# ----------------------------------------------------------------- hosts


@pytest.fixture
def hosts() -> Mapper:
    mapper = Mapper()
    mapper.add_host("localhost", "local", aliases=["127.0.0.1", "[::1]"])
    mapper.add_host("www.Example.com", "example", aliases=["example.com"])
    mapper.add_host("*.wild.org", "wild")
    mapper.set_default_host("localhost")
    for name in ("localhost", "www.example.com", "*.wild.org"):
        mapper.add_context(name, "", f"root@{name}")
    return mapper


@pytest.mark.parametrize(
    "header, host",
    [
        ("localhost", "local"),
        ("LOCALHOST:8080", "local"),
        ("127.0.0.1:80", "local"),
        ("[::1]:8080", "local"),
        ("[::1]", "local"),
        ("www.example.com", "example"),
        ("WWW.EXAMPLE.COM:443", "example"),
        ("example.com", "example"),
        ("a.wild.org", "wild"),
        ("B.Wild.Org:1", "wild"),
        ("a.b.wild.org", "local"),  # one label only, then default
        ("wild.org", "local"),
        ("unknown.net", "local"),
        ("", "local"),
        (None, "local"),
    ],
)
def test_host_selection(hosts, header, host):
    md = hosts.map(header, "/")
    assert md.host == host
    assert md.context is not None


def test_no_default_host():
    mapper = Mapper()
    mapper.add_host("a", "A")
    mapper.add_context("a", "", "c")
    assert mapper.map("b", "/").host is None
    assert mapper.map("a", "/").context == "c"


def test_default_host_set_before_added():
    mapper = Mapper()
    mapper.set_default_host("late")
    assert mapper.map("x", "/").host is None
    mapper.add_host("late", "L")
    assert mapper.map("x", "/").host == "L"


def test_remove_host_removes_aliases(hosts):
    hosts.remove_host("WWW.example.com")
    assert hosts.map("www.example.com", "/").host == "local"
    assert hosts.map("example.com", "/").host == "local"
    hosts.remove_host("never-added")


def test_readd_host_keeps_contexts_and_aliases(hosts):
    hosts.add_host("www.example.com", "example2")
    md = hosts.map("example.com", "/")
    assert md.host == "example2"
    assert md.context == "root@www.example.com"


def test_alias_conflicts(hosts):
    with pytest.raises(ValueError):
        hosts.add_host_alias("localhost", "example.com")
    with pytest.raises(ValueError):
        hosts.add_host("127.0.0.1", "x")
    with pytest.raises(KeyError):
        hosts.add_host_alias("nohost", "y")


# --------------------------------------------------------- welcome files


def welcome_mapper(files: set[str]) -> Mapper:
    mapper = make_mapper("", "/app", welcome=("index.html", "index.jsp", "index.do"), exists=lambda p: p in files)
    return mapper


def test_welcome_physical_file_goes_to_default_servlet():
    mapper = welcome_mapper({"/index.html", "/dir/index.html"})
    mapper.add_wrapper(HOST, "/app", "/", "default")
    mapper.add_wrapper(HOST, "", "/", "rootdefault")
    md = mapper.map(HOST, "/app/")
    # /app's resource_exists sees context-relative paths: "/index.html" exists.
    assert summary(md) == ("default", "/index.html", None, "default", "/")
    assert summary(mapper.map(HOST, "/dir/")) == ("rootdefault", "/dir/index.html", None, "default", "/")


def test_welcome_physical_file_by_extension():
    mapper = welcome_mapper({"/index.jsp"})
    mapper.add_wrapper(HOST, "/app", "*.jsp", "jsp", resource_only=True)
    mapper.add_wrapper(HOST, "/app", "/", "default")
    assert summary(mapper.map(HOST, "/app/")) == ("jsp", "/index.jsp", None, "extension", "*.jsp")


def test_welcome_order_is_respected():
    mapper = welcome_mapper({"/index.html", "/index.jsp"})
    mapper.add_wrapper(HOST, "/app", "*.jsp", "jsp")
    mapper.add_wrapper(HOST, "/app", "/", "default")
    assert mapper.map(HOST, "/app/").wrapper == "default"  # index.html first


def test_welcome_exact_match_rule_4a():
    mapper = welcome_mapper(set())
    mapper.add_wrapper(HOST, "/app", "/sub/index.jsp", "exact")
    mapper.add_wrapper(HOST, "/app", "/", "default")
    assert summary(mapper.map(HOST, "/app/sub/")) == ("exact", "/sub/index.jsp", None, "exact", "/sub/index.jsp")


def test_welcome_prefix_match_rule_4b():
    mapper = welcome_mapper(set())
    mapper.add_wrapper(HOST, "/app", "/sub/index.html/*", "pfx")
    assert summary(mapper.map(HOST, "/app/sub/")) == ("pfx", "/sub/index.html", None, "prefix", "/sub/index.html/*")


def test_welcome_without_file_rule_4d():
    # index.do is mapped by extension with no file behind it (Struts style).
    mapper = welcome_mapper(set())
    mapper.add_wrapper(HOST, "/app", "*.do", "action")
    mapper.add_wrapper(HOST, "/app", "*.jsp", "jsp", resource_only=True)
    mapper.add_wrapper(HOST, "/app", "/", "default")
    assert summary(mapper.map(HOST, "/app/")) == ("action", "/index.do", None, "extension", "*.do")


def test_welcome_resource_only_not_used_without_file():
    mapper = welcome_mapper(set())
    mapper.add_wrapper(HOST, "/app", "*.jsp", "jsp", resource_only=True)
    mapper.add_wrapper(HOST, "/app", "/", "default")
    # no welcome file exists: the default servlet gets the directory itself
    assert summary(mapper.map(HOST, "/app/d/")) == ("default", "/d/", None, "default", "/")


def test_welcome_not_for_non_directory_paths():
    mapper = welcome_mapper({"/index.html", "/x/index.html"})
    mapper.add_wrapper(HOST, "/app", "/", "default")
    assert mapper.map(HOST, "/app/x").servlet_path == "/x"


def test_welcome_not_used_when_prefix_matches_directory():
    mapper = welcome_mapper({"/p/index.html"})
    mapper.add_wrapper(HOST, "/app", "/p/*", "pfx")
    mapper.add_wrapper(HOST, "/app", "/", "default")
    assert summary(mapper.map(HOST, "/app/p/")) == ("pfx", "/p", "/", "prefix", "/p/*")


def test_welcome_without_resource_callback():
    mapper = make_mapper("/app", welcome=("index.html",))
    mapper.add_wrapper(HOST, "/app", "/", "default")
    assert mapper.map(HOST, "/app/").servlet_path == "/"


def test_welcome_exists_callback_receives_relative_paths():
    seen = []
    mapper = make_mapper("/app", welcome=("a.html", "b.html"), exists=lambda p: seen.append(p) or False)
    mapper.add_wrapper(HOST, "/app", "/", "default")
    mapper.map(HOST, "/app/dir/")
    assert seen == ["/dir/a.html", "/dir/b.html"]


def test_set_welcome_files():
    mapper = make_mapper("/app", exists=lambda p: p == "/home.html")
    mapper.add_wrapper(HOST, "/app", "/", "default")
    assert mapper.map(HOST, "/app/").servlet_path == "/"
    mapper.set_welcome_files(HOST, "/app", ["home.html"])
    assert mapper.map(HOST, "/app/").servlet_path == "/home.html"


@pytest.mark.parametrize("welcome", ["", "/index.html"])
def test_bad_welcome_file(welcome):
    mapper = make_mapper()
    with pytest.raises(ValueError):
        mapper.add_context(HOST, "", "c", welcome_files=[welcome])


# -------------------------------------------------------------- wrappers


@pytest.mark.parametrize("pattern", ["foo", "*.jsp/x", "/a/*.jsp", "/a\nb", "**"])
def test_invalid_patterns(pattern):
    mapper = make_mapper("")
    with pytest.raises(ValueError):
        mapper.add_wrapper(HOST, "", pattern, "w")


def test_duplicate_pattern_replaces():
    mapper = make_mapper("")
    mapper.add_wrapper(HOST, "", "/a", "first")
    mapper.add_wrapper(HOST, "", "/a", "second")
    assert mapper.map(HOST, "/a").wrapper == "second"


@pytest.mark.parametrize(
    "pattern, path",
    [
        ("/a", "/a"),
        ("/p/*", "/p/x"),
        ("*.ext", "/f.ext"),
        ("/", "/zz"),
        ("", "/"),
    ],
)
def test_remove_wrapper(pattern, path):
    mapper = make_mapper("")
    mapper.add_wrapper(HOST, "", pattern, "w")
    assert mapper.map(HOST, path).wrapper == "w"
    mapper.remove_wrapper(HOST, "", pattern)
    assert mapper.map(HOST, path).wrapper is None
    mapper.remove_wrapper(HOST, "", pattern)  # again: no error
    mapper.remove_wrapper(HOST, "/none", pattern)


def test_remove_deep_prefix_recomputes_depth():
    mapper = make_mapper("")
    mapper.add_wrapper(HOST, "", "/a/b/c/*", "deep")
    mapper.add_wrapper(HOST, "", "/a/*", "a")
    mapper.remove_wrapper(HOST, "", "/a/b/c/*")
    assert mapper.map(HOST, "/a/b/c/d").wrapper == "a"


def test_add_wrapper_unknown_context():
    mapper = make_mapper("")
    with pytest.raises(KeyError):
        mapper.add_wrapper(HOST, "/nope", "/a", "w")


def test_unmapped_without_default():
    mapper = make_mapper("")
    md = mapper.map(HOST, "/nothing")
    assert md.context == "ctx:" and md.wrapper is None
    assert (md.servlet_path, md.path_info, md.match_type) == ("", None, "")


def test_map_context_for_dispatcher(app):
    md = app.map_context(HOST, "/examples", "/servlets/a")
    assert summary(md) == ("servlets", "/servlets", "/a", "prefix", "/servlets/*")
    assert md.context_path == "/examples"
    with pytest.raises(KeyError):
        app.map_context(HOST, "/missing", "/a")


def test_host_lookup_cache_follows_host_changes():
    mapper = Mapper()
    mapper.add_host("localhost", "default-host")
    mapper.set_default_host("localhost")
    assert mapper.map("late.example:8080", "/").host == "default-host"
    mapper.add_host("late.example", "late-host")
    assert mapper.map("late.example:8080", "/").host == "late-host"
    mapper.remove_host("late.example")
    assert mapper.map("late.example:8080", "/").host == "default-host"
