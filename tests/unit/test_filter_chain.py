"""Filter chains, filter lifecycle, wrappers, error-page lookup and the
pure parts of the dispatcher, without sockets."""

from __future__ import annotations

import types

import pytest

from catalina_py.config.web_xml import ErrorPage, FilterDef, FilterMapping, WebXml
from catalina_py.container.context import StandardContext
from catalina_py.container.dispatcher import (
    ApplicationDispatcher,
    get_named_dispatcher,
    get_request_dispatcher,
    servlet_context_for,
)
from catalina_py.container.error_page import find_error_page
from catalina_py.container.filter_chain import ApplicationFilterChain, FilterMap, match_filter_url
from catalina_py.container.mapper import MappingData
from catalina_py.lifecycle import LifecycleState
from catalina_py.servlet import (
    DispatcherType,
    Filter,
    GenericFilter,
    HttpFilter,
    HttpServletMapping,
    HttpServletRequestWrapper,
    HttpServletResponseWrapper,
    RequestDispatcher,
    ServletException,
)

# -- url-pattern matching ------------------------------------------------------------------


@pytest.mark.parametrize(
    "pattern, path, expected",
    [
        ("/a/b", "/a/b", True),
        ("/a/b", "/a/b/", False),
        ("/a/b", "/a/bc", False),
        ("/a/*", "/a", True),
        ("/a/*", "/a/", True),
        ("/a/*", "/a/b/c", True),
        ("/a/*", "/ab", False),
        ("/*", "/", True),
        ("/*", "/anything/at/all.html", True),
        ("*.jsp", "/x/y.jsp", True),
        ("*.jsp", "/x.jsp/y", False),
        ("*.jsp", "/x/y.jspx", False),
        ("*.jsp", "/x/.jsp", True),
        ("*.jsp", "/x/y.", False),
        ("/", "/", True),  # only an exact match: no default match for filters
        ("/", "/x", False),
        ("*", "/x", True),
        ("*", None, True),  # "*" also selects named dispatches
        ("/*", None, False),
        ("/a", None, False),
    ],
)
def test_match_filter_url(pattern, path, expected):
    assert match_filter_url(pattern, path) is expected


# -- chain building ---------------------------------------------------------------------------


def configs(*names):
    out = {}
    for name in names:
        config = types.SimpleNamespace(filter=types.SimpleNamespace(label=name), async_supported=True)
        out[name] = config
    return out


def names(filter_configs):
    return [c.filter.label for c in filter_configs]


def test_url_matches_before_servlet_name_matches_in_mapping_order():
    cfg = configs("byName1", "url2", "byName3", "url4", "other")
    fmap = FilterMap(
        cfg,
        [
            FilterMapping("byName1", servlet_names=["hello"]),
            FilterMapping("url2", url_patterns=["/x/*"]),
            FilterMapping("byName3", servlet_names=["hello", "other"]),
            FilterMapping("url4", url_patterns=["*.do", "/x/y"]),
            FilterMapping("other", url_patterns=["/z/*"], servlet_names=["nope"]),
        ],
    )
    assert names(fmap.configs_for("/x/y", "hello", "REQUEST")) == ["url2", "url4", "byName1", "byName3"]
    assert names(fmap.configs_for("/q.do", "other", "REQUEST")) == ["url4", "byName3"]
    assert names(fmap.configs_for("/none", "none", "REQUEST")) == []


def test_a_filter_selected_twice_runs_once_at_its_first_place():
    cfg = configs("a", "b")
    fmap = FilterMap(
        cfg,
        [
            FilterMapping("b", servlet_names=["s"]),
            FilterMapping("a", url_patterns=["/*"]),
            FilterMapping("b", url_patterns=["/x"]),
            FilterMapping("a", servlet_names=["s"]),
        ],
    )
    assert names(fmap.configs_for("/x", "s", "REQUEST")) == ["a", "b"]


def test_dispatcher_types_select_mappings():
    cfg = configs("req", "fwd", "both", "err")
    fmap = FilterMap(
        cfg,
        [
            FilterMapping("req", url_patterns=["/*"]),  # REQUEST by default
            FilterMapping("fwd", url_patterns=["/*"], dispatchers=["FORWARD"]),
            FilterMapping("both", url_patterns=["/*"], dispatchers=["FORWARD", "INCLUDE"]),
            FilterMapping("err", servlet_names=["*"], dispatchers=["ERROR"]),
        ],
    )
    assert names(fmap.configs_for("/p", "s", "REQUEST")) == ["req"]
    assert names(fmap.configs_for("/p", "s", "FORWARD")) == ["fwd", "both"]
    assert names(fmap.configs_for("/p", "s", "INCLUDE")) == ["both"]
    assert names(fmap.configs_for("/p", "s", "ERROR")) == ["err"]
    assert names(fmap.configs_for("/p", "s", "ASYNC")) == []


def test_named_dispatch_has_no_path():
    cfg = configs("all", "slash", "named")
    fmap = FilterMap(
        cfg,
        [
            FilterMapping("all", url_patterns=["*"], dispatchers=["FORWARD"]),
            FilterMapping("slash", url_patterns=["/*"], dispatchers=["FORWARD"]),
            FilterMapping("named", servlet_names=["target"], dispatchers=["FORWARD"]),
        ],
    )
    assert names(fmap.configs_for(None, "target", "FORWARD")) == ["all", "named"]


def test_unknown_filter_is_skipped_and_bad_dispatcher_rejected():
    cfg = configs("a")
    fmap = FilterMap(cfg, [FilterMapping("missing", url_patterns=["/*"]), FilterMapping("a", url_patterns=["/*"])])
    assert names(fmap.configs_for("/", None, "REQUEST")) == ["a"]
    assert not FilterMap(cfg, [FilterMapping("missing", url_patterns=["/*"])])
    with pytest.raises(ValueError, match="unknown dispatcher 'SOMETIMES'"):
        FilterMap(cfg, [FilterMapping("a", url_patterns=["/*"], dispatchers=["SOMETIMES"])])


def test_chains_are_cached_and_the_cache_is_bounded(monkeypatch):
    from catalina_py.container import filter_chain

    monkeypatch.setattr(filter_chain, "CHAIN_CACHE_SIZE", 4)
    cfg = configs("a")
    fmap = FilterMap(cfg, [FilterMapping("a", url_patterns=["/x/*"])])
    first = fmap.filters_for("/x/1", "s", "REQUEST")
    assert fmap.filters_for("/x/1", "s", "REQUEST") is first
    for i in range(10):
        fmap.filters_for(f"/x/{i}", "s", "REQUEST")
    assert len(fmap._cache) <= 4
    assert names(fmap.filters_for("/y", "s", "REQUEST")) == []


# -- running a chain ----------------------------------------------------------------------


class Servlet:
    def __init__(self):
        self.seen = None

    def service(self, request, response):
        request.append("servlet")
        self.seen = (request, response)


class Named(Filter):
    def __init__(self, label, stop=False):
        self.label = label
        self.stop = stop

    def do_filter(self, request, response, chain):
        request.append(self.label)
        if not self.stop:
            chain.do_filter(request, response)


def chain_of(*filters, servlet=None):
    items = [types.SimpleNamespace(filter=f, async_supported=True) for f in filters]
    return ApplicationFilterChain(items, servlet or Servlet())


def test_chain_runs_filters_in_order_then_the_servlet():
    trace: list[str] = []
    chain_of(Named("a"), Named("b")).do_filter(trace, "response")
    assert trace == ["a", "b", "servlet"]


def test_a_filter_that_does_not_continue_ends_the_chain():
    trace: list[str] = []
    chain_of(Named("a", stop=True), Named("b")).do_filter(trace, "response")
    assert trace == ["a"]


def test_calling_the_chain_again_after_the_servlet_is_an_error():
    chain = chain_of()
    chain.do_filter([], None)
    with pytest.raises(RuntimeError, match="called again"):
        chain.do_filter([], None)


def test_filter_that_is_not_async_supported_marks_the_request():
    request = types.SimpleNamespace(_async_supported=None)
    servlet = types.SimpleNamespace(service=lambda req, resp: None)

    class Pass(Filter):
        def do_filter(self, req, resp, chain):
            chain.do_filter(req, resp)

    item = types.SimpleNamespace(filter=Pass(), async_supported=False)
    ApplicationFilterChain([item], servlet).do_filter(request, None)
    assert request._async_supported is False


def test_base_filter_do_filter_must_be_overridden():
    with pytest.raises(NotImplementedError):
        Filter().do_filter(None, None, None)


def test_http_filter_refuses_non_http_objects():
    with pytest.raises(ServletException, match="non-HTTP"):
        HttpFilter().do_filter(object(), object(), None)


# -- filter lifecycle in a context ---------------------------------------------------------

events: list[str] = []


class LifeFilter(GenericFilter):
    def on_init(self):
        events.append(f"init {self.get_filter_name()} {self.get_init_parameter('p')}")

    def do_filter(self, request, response, chain):
        chain.do_filter(request, response)

    def destroy(self):
        events.append(f"destroy {self.get_filter_name()}")


class FailingFilter(Filter):
    def init(self, config):
        raise RuntimeError("no")

    def do_filter(self, request, response, chain):  # pragma: no cover - never runs
        chain.do_filter(request, response)


def make_context(tmp_path, web_xml) -> StandardContext:
    return StandardContext(None, "/app", str(tmp_path), web_xml)  # type: ignore[arg-type]


def test_start_and_stop_filters(tmp_path):
    events.clear()
    web = WebXml(
        filters={
            "one": FilterDef("one", LifeFilter, {"p": "1"}),  # type: ignore[arg-type]
            "two": FilterDef("two", LifeFilter),
        },  # type: ignore[arg-type]
        filter_mappings=[FilterMapping("two", url_patterns=["/*"])],
    )
    context = make_context(tmp_path, web)
    context.start_filters()
    context.start_filters()  # a second call does nothing
    assert events == ["init one 1", "init two None"]
    assert context.filter_map is not None
    assert [c.definition.name for c in context.filter_map.configs_for("/x", "s", "REQUEST")] == ["two"]
    context.stop_filters()
    context.stop_filters()
    assert events[2:] == ["destroy one", "destroy two"]
    assert context.filter_map is None


def test_no_mappings_means_no_filter_map(tmp_path):
    events.clear()
    web = WebXml(filters={"one": FilterDef("one", LifeFilter)})  # type: ignore[arg-type]
    context = make_context(tmp_path, web)
    context.start_filters()
    assert context.filter_map is None


def test_failing_init_destroys_started_filters_and_raises(tmp_path):
    events.clear()
    web = WebXml(
        filters={
            "one": FilterDef("one", LifeFilter),  # type: ignore[arg-type]
            "bad": FilterDef("bad", FailingFilter),
        }
    )  # type: ignore[arg-type]
    context = make_context(tmp_path, web)
    with pytest.raises(RuntimeError, match="no"):
        context.start_filters()
    assert events == ["init one None", "destroy one"]
    assert context.filter_map is None


def test_filter_class_loaded_by_name_through_the_webapp_loader(tmp_path):
    from catalina_py.deploy.loader import WebappLoader

    classes = tmp_path / "WEB-INF" / "classes"
    classes.mkdir(parents=True)
    (classes / "myfilters.py").write_text(
        "class Upper:\n"
        "    def init(self, config):\n"
        "        self.name = config.get_filter_name()\n"
        "    def do_filter(self, request, response, chain):\n"
        "        chain.do_filter(request, response)\n"
    )
    web = WebXml(filters={"up": FilterDef("up", "myfilters.Upper"), "bad": FilterDef("bad", "myfilters.Missing")})
    context = make_context(tmp_path, web)
    context.loader = WebappLoader(str(tmp_path), "/app")
    try:
        with pytest.raises(ImportError, match="Missing"):
            context.start_filters()
        web.filters.pop("bad")
        context.start_filters()
        assert context.filter_configs["up"].filter.name == "up"
    finally:
        context.stop_filters()
        context.loader.unload()


def test_a_class_without_do_filter_is_refused(tmp_path):
    web = WebXml(filters={"x": FilterDef("x", dict)})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="do_filter"):
        make_context(tmp_path, web).start_filters()


# -- wrappers --------------------------------------------------------------------------------


class Base:
    _private = "container field"

    def get_header(self, name):
        return f"base {name}"

    def get_method(self):
        return "GET"


def test_request_wrapper_delegates_and_overrides():
    class Upper(HttpServletRequestWrapper):
        def get_header(self, name):
            return self.get_request().get_header(name).upper()

    base = Base()
    wrapped = Upper(HttpServletRequestWrapper(base))
    assert wrapped.get_header("x") == "BASE X"
    assert wrapped.get_method() == "GET"
    assert wrapped._private == "container field"
    assert wrapped.is_wrapper_for(base)
    assert wrapped.is_wrapper_for(Base)
    assert not wrapped.is_wrapper_for(object())
    with pytest.raises(AttributeError):
        wrapped.no_such_method()
    with pytest.raises(ValueError):
        HttpServletRequestWrapper(None)
    other = Base()
    wrapped.set_request(other)
    assert wrapped.get_request() is other


def test_response_wrapper_delegates():
    calls = []
    base = types.SimpleNamespace(set_status=calls.append)
    wrapper = HttpServletResponseWrapper(base)
    wrapper.set_status(201)
    assert calls == [201]
    assert wrapper.get_response() is base
    with pytest.raises(ValueError):
        wrapper.set_response(None)


# -- error pages --------------------------------------------------------------------------


class AppError(Exception):
    pass


class DeepAppError(AppError):
    pass


def error_context(tmp_path, pages):
    context = make_context(tmp_path, WebXml(error_pages=pages))
    return context


def test_find_error_page_by_exception_mro_nearest_first(tmp_path):
    pages = [
        ErrorPage("/lookup", exception_type="LookupError"),
        ErrorPage("/key", exception_type="builtins.KeyError"),
        ErrorPage("/app", exception_type=f"{__name__}.AppError"),
        ErrorPage("/exc", exception_type="Exception"),
        ErrorPage("/404", error_code=404),
        ErrorPage("/default"),
        ErrorPage("/broken", exception_type="no.such.Module"),
        ErrorPage("/notexc", exception_type="builtins.len"),
    ]
    context = error_context(tmp_path, pages)
    assert find_error_page(context, exception=KeyError("k")).location_path == "/key"
    assert find_error_page(context, exception=IndexError()).location_path == "/lookup"
    assert find_error_page(context, exception=DeepAppError()).location_path == "/app"
    assert find_error_page(context, exception=RuntimeError()).location_path == "/exc"
    assert find_error_page(context, exception=KeyboardInterrupt()) is None
    assert find_error_page(context, status=404).location_path == "/404"
    assert find_error_page(context, status=500).location_path == "/default"


def test_no_default_page_means_none(tmp_path):
    context = error_context(tmp_path, [ErrorPage("/404", error_code=404)])
    assert find_error_page(context, status=500) is None
    assert find_error_page(context, exception=ValueError()) is None


# -- dispatcher creation, mapping, cross-context ----------------------------------------------


class FakeMapper:
    def __init__(self, wrapper):
        self.wrapper = wrapper
        self.calls = []

    def map_context(self, host, context_path, path, version=None):
        self.calls.append((host, context_path, path))
        if path.startswith("/unmapped"):
            return MappingData(context_path=context_path)
        return MappingData(
            wrapper=self.wrapper,
            context_path=context_path,
            servlet_path="/s",
            path_info=path[2:] or None,
            match_type="prefix",
            match_pattern="/s/*",
        )


def started_context(tmp_path, path="/app", host=None):
    context = StandardContext(host, path, str(tmp_path), WebXml())  # type: ignore[arg-type]
    context.state = LifecycleState.STARTED
    return context


def test_get_request_dispatcher_paths(tmp_path):
    host = types.SimpleNamespace(name="localhost", contexts={})
    context = started_context(tmp_path, host=host)
    wrapper = types.SimpleNamespace(name="target")
    context.mapper = FakeMapper(wrapper)
    with pytest.raises(ValueError, match="must start with '/'"):
        get_request_dispatcher(context, "relative")
    assert get_request_dispatcher(context, None) is None
    assert get_request_dispatcher(context, "/../etc/passwd") is None
    assert get_request_dispatcher(context, "/a/../../x") is None
    assert get_request_dispatcher(context, "/unmapped/x") is None
    dispatcher = get_request_dispatcher(context, "/s/x%20y/../z?q=1")
    assert isinstance(dispatcher, RequestDispatcher)
    assert dispatcher._path == "/s/z"
    assert dispatcher._query_string == "q=1"
    assert dispatcher._request_uri == "/app/s/z"
    assert dispatcher._wrapper is wrapper
    assert dispatcher._mapping.get_mapping_match() == "PATH"
    assert context.mapper.calls[-1] == ("localhost", "/app", "/s/z")


def test_dispatcher_maps_lazily_without_a_mapper(tmp_path):
    host = types.SimpleNamespace(name="localhost", contexts={})
    context = started_context(tmp_path, host=host)
    dispatcher = get_request_dispatcher(context, "/s/x")
    assert dispatcher is not None and dispatcher._wrapper is None
    with pytest.raises(ServletException, match="maps the path"):
        dispatcher._target(None)


def test_named_dispatcher(tmp_path):
    context = started_context(tmp_path)
    context.wrappers["one"] = types.SimpleNamespace(name="one")  # type: ignore[assignment]
    assert get_named_dispatcher(context, "one")._wrapper is context.wrappers["one"]
    assert get_named_dispatcher(context, "two") is None
    assert get_named_dispatcher(context, None) is None
    with pytest.raises(ValueError):
        ApplicationDispatcher(context)


def test_http_servlet_mapping_from_mapping_data():
    wrapper = types.SimpleNamespace(name="w")
    cases = [
        (
            MappingData(wrapper=wrapper, servlet_path="/a/b", match_type="exact", match_pattern="/a/b"),
            ("EXACT", "/a/b", "a/b"),
        ),
        (
            MappingData(
                wrapper=wrapper, servlet_path="/p", path_info="/x/y", match_type="prefix", match_pattern="/p/*"
            ),
            ("PATH", "/p/*", "x/y"),
        ),
        (
            MappingData(wrapper=wrapper, servlet_path="/p", match_type="prefix", match_pattern="/p/*"),
            ("PATH", "/p/*", ""),
        ),
        (
            MappingData(wrapper=wrapper, servlet_path="/d/page.jsp", match_type="extension", match_pattern="*.jsp"),
            ("EXTENSION", "*.jsp", "d/page"),
        ),
        (
            MappingData(wrapper=wrapper, servlet_path="/x", match_type="default", match_pattern="/"),
            ("DEFAULT", "/", ""),
        ),
        (
            MappingData(wrapper=wrapper, servlet_path="", path_info="/", match_type="context_root", match_pattern=""),
            ("CONTEXT_ROOT", "", ""),
        ),
    ]
    for md, (match, pattern, value) in cases:
        mapping = HttpServletMapping.from_mapping_data(md)
        assert (mapping.get_mapping_match(), mapping.get_pattern(), mapping.get_match_value()) == (
            match,
            pattern,
            value,
        )
        assert mapping.get_servlet_name() == "w"


def test_get_context_requires_cross_context(tmp_path):
    host = types.SimpleNamespace(name="localhost", contexts={})
    app = started_context(tmp_path / "a", "/app", host)
    other = started_context(tmp_path / "b", "/other", host)
    root = started_context(tmp_path / "r", "", host)
    host.contexts.update({"/app": app, "/other": other, "": root})
    assert servlet_context_for(app, "/other/page") is None
    assert servlet_context_for(app, "/app/x") is app.get_servlet_context()
    assert servlet_context_for(app, "relative") is None
    assert servlet_context_for(app, None) is None
    app.cross_context = True
    assert servlet_context_for(app, "/other/page") is other.get_servlet_context()
    assert servlet_context_for(app, "/other") is other.get_servlet_context()
    assert servlet_context_for(app, "/otherwise") is root.get_servlet_context()
    other.state = LifecycleState.STOPPED
    assert servlet_context_for(app, "/other/page") is None
    # Through the ServletContext API as well.
    assert app.get_servlet_context().get_context("/") is root.get_servlet_context()


def test_servlet_context_resources(tmp_path):
    (tmp_path / "app" / "static").mkdir(parents=True)
    (tmp_path / "app" / "static" / "a.txt").write_text("A")
    (tmp_path / "secret.txt").write_text("outside")
    context = started_context(tmp_path / "app")
    sc = context.get_servlet_context()
    assert sc.get_resource("/static/a.txt") == (tmp_path / "app" / "static" / "a.txt").as_uri()
    assert sc.get_resource("/static/").endswith("/static/")
    assert sc.get_resource("/nope") is None
    assert sc.get_resource("/../secret.txt") is None
    with pytest.raises(ValueError):
        sc.get_resource("static/a.txt")
    with sc.get_resource_as_stream("/static/a.txt") as stream:
        assert stream.read() == b"A"
    assert sc.get_resource_as_stream("/../secret.txt") is None
    assert sc.get_resource_as_stream("/static") is None
    assert sc.get_resource_as_stream("static/a.txt") is None
    assert sc.get_resource_paths("/") == {"/static/"}
    assert sc.get_resource_paths("/static") == {"/static/a.txt"}
    assert sc.get_resource_paths("/static/a.txt") is None
    assert sc.get_resource_paths("/..") is None
    with pytest.raises(ValueError):
        sc.get_resource_paths("static")


def test_dispatcher_type_constants():
    assert DispatcherType.ALL == ("REQUEST", "FORWARD", "INCLUDE", "ERROR", "ASYNC")


def test_response_wrapper_chain_and_kinds_do_not_mix():
    from catalina_py.servlet.filter import HttpServletResponseWrapper

    base = Base()
    inner = HttpServletResponseWrapper(base)
    outer = HttpServletResponseWrapper(inner)
    assert outer.get_response() is inner and outer.is_wrapper_for(base) and outer.is_wrapper_for(inner)
    outer.set_response(base)
    assert outer.get_response() is base and not outer.is_wrapper_for(inner)
    with pytest.raises(ValueError):
        outer.set_response(None)
    # A request wrapper inside a response wrapper is not followed.
    mixed = HttpServletResponseWrapper(HttpServletRequestWrapper(base))
    assert not mixed.is_wrapper_for(base)
