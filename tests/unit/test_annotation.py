"""Tests of catalina_py.servlet.annotation (the decorators) and of
catalina_py.deploy.context_config (the scan of WEB-INF/classes and how
annotations merge with web.xml and conf/web.xml)."""

from __future__ import annotations

import textwrap

import pytest

from catalina_py.config.web_xml import WebXml, merge_web_xml, parse_web_xml
from catalina_py.deploy.context_config import (
    AnnotatedClass,
    WebappConfigurator,
    apply_annotations,
    build_web_xml,
    scan_annotations,
)
from catalina_py.deploy.loader import WebappLoader
from catalina_py.errors import ConfigError
from catalina_py.servlet import HttpServlet
from catalina_py.servlet.annotation import (
    WEB_SERVLET_ATTR,
    get_web_filter,
    get_web_listener,
    get_web_servlet,
    web_filter,
    web_listener,
    web_servlet,
)
from catalina_py.servlet.listeners import (
    ServletContextListener,
    ServletRequestListener,
)


class Filter:
    """A minimal filter for the tests."""

    def do_filter(self, request, response, chain) -> None:
        chain.do_filter(request, response)


# --------------------------------------------------------------------------
# Decorators
# --------------------------------------------------------------------------


def test_web_servlet_records_metadata_and_returns_the_class() -> None:
    class S(HttpServlet):
        pass

    decorated = web_servlet(
        url_patterns=["/a", "/b/*", "/a"], name="s", init_params={"k": "v"}, load_on_startup=2, async_supported=True
    )(S)
    assert decorated is S
    info = get_web_servlet(S)
    assert info is not None
    assert (info.url_patterns, info.name, dict(info.init_params), info.load_on_startup, info.async_supported) == (
        ("/a", "/b/*"),
        "s",
        {"k": "v"},
        2,
        True,
    )
    assert info.location is not None and info.location.file == __file__
    assert WEB_SERVLET_ATTR in vars(S)


def test_web_servlet_value_is_url_patterns() -> None:
    @web_servlet("/only")
    class S(HttpServlet):
        pass

    info = get_web_servlet(S)
    assert info is not None and info.url_patterns == ("/only",)
    assert info.name is None and info.load_on_startup is None


def test_metadata_is_not_inherited() -> None:
    @web_servlet("/p")
    class Parent(HttpServlet):
        pass

    class Child(Parent):
        pass

    assert get_web_servlet(Parent) is not None
    assert get_web_servlet(Child) is None


@pytest.mark.parametrize(
    ("kwargs", "error", "fragment"),
    [
        ({"value": "/a", "url_patterns": "/b"}, ValueError, "value or url_patterns, not both"),
        ({"value": "a"}, ValueError, "must start with '/' or"),
        ({"value": ["/a", 3]}, TypeError, "must contain strings"),
        ({"value": 3}, TypeError, "string or a list of strings"),
        ({"value": "/a", "load_on_startup": "1"}, TypeError, "load_on_startup must be an int"),
        ({"value": "/a", "load_on_startup": True}, TypeError, "load_on_startup must be an int"),
        ({"value": "/a", "init_params": {"k": 1}}, TypeError, "init_params must map"),
        ({"value": "/a", "init_params": ["k"]}, TypeError, "init_params must be a dict"),
        ({"value": "/a", "name": " "}, ValueError, "name must be a non-empty string"),
        ({"value": "/a", "async_supported": "yes"}, TypeError, "async_supported must be True or False"),
    ],
)
def test_web_servlet_bad_arguments(kwargs, error, fragment) -> None:
    with pytest.raises(error, match=fragment):
        web_servlet(**kwargs)


def test_web_servlet_needs_a_servlet_class() -> None:
    with pytest.raises(TypeError, match="is not a servlet"):
        web_servlet("/x")(type("NotServlet", (), {}))
    with pytest.raises(TypeError, match="decorates a class"):
        web_servlet("/x")(lambda: None)


def test_web_filter_records_metadata() -> None:
    @web_filter(
        url_patterns=["/*"],
        servlet_names="hello",
        dispatcher_types=["request", "ERROR", "REQUEST"],
        filter_name="f",
        init_params={"a": "b"},
        async_supported=True,
    )
    class F(Filter):
        pass

    info = get_web_filter(F)
    assert info is not None
    assert (
        info.url_patterns,
        info.servlet_names,
        info.dispatcher_types,
        info.filter_name,
        dict(info.init_params),
        info.async_supported,
    ) == (("/*",), ("hello",), ("REQUEST", "ERROR"), "f", {"a": "b"}, True)


def test_web_filter_defaults() -> None:
    @web_filter("/x/*")
    class F(Filter):
        pass

    info = get_web_filter(F)
    assert info is not None
    assert info.dispatcher_types is None and info.servlet_names == ()


@pytest.mark.parametrize(
    ("kwargs", "error", "fragment"),
    [
        ({"value": ""}, ValueError, "only valid for a servlet"),
        ({"value": "/a", "url_patterns": "/b"}, ValueError, "not both"),
        ({"value": "/a", "dispatcher_types": ["SOMETIMES"]}, ValueError, "unknown dispatcher type"),
        ({"value": "/a", "dispatcher_types": [1]}, ValueError, "unknown dispatcher type"),
        ({"servlet_names": [""]}, ValueError, "empty name"),
        ({"value": "/a", "filter_name": ""}, ValueError, "filter_name"),
    ],
)
def test_web_filter_bad_arguments(kwargs, error, fragment) -> None:
    with pytest.raises(error, match=fragment):
        web_filter(**kwargs)


def test_web_filter_needs_do_filter() -> None:
    with pytest.raises(TypeError, match="no do_filter"):
        web_filter("/*")(type("NotFilter", (), {}))


def test_web_listener_with_and_without_parentheses() -> None:
    @web_listener
    class A(ServletContextListener):
        pass

    @web_listener()
    class B(ServletRequestListener):
        pass

    @web_listener("counts requests")
    class C(ServletRequestListener):
        pass

    assert get_web_listener(A) is not None
    assert get_web_listener(B) is not None
    info = get_web_listener(C)
    assert info is not None and info.description == "counts requests"
    assert get_web_servlet(A) is None and get_web_filter(A) is None


def test_web_listener_needs_a_listener_interface() -> None:
    with pytest.raises(TypeError, match="implements no listener interface"):
        web_listener(type("Plain", (), {}))
    with pytest.raises(TypeError, match="a class or a description"):
        web_listener(3)  # type: ignore[call-overload]


# --------------------------------------------------------------------------
# Merging annotations into web.xml (Tomcat's processAnnotationWeb*)
# --------------------------------------------------------------------------


def found(name: str, cls: type) -> AnnotatedClass:
    return AnnotatedClass(name, cls)


def descriptor(tmp_path, body: str) -> WebXml:
    path = tmp_path / "web.xml"
    path.write_text('<web-app xmlns="https://jakarta.ee/xml/ns/jakartaee" ' f'version="6.0">{body}</web-app>')
    return parse_web_xml(str(path))


def test_annotated_servlet_is_added(tmp_path) -> None:
    @web_servlet(["/a", "/b"], load_on_startup=3, init_params={"x": "1"})
    class S(HttpServlet):
        pass

    web = apply_annotations(WebXml(), [found("mod.S", S)])
    servlet = web.servlets["mod.S"]  # named after its class
    assert (servlet.servlet_class, servlet.load_on_startup, servlet.init_params) == ("mod.S", 3, {"x": "1"})
    assert web.servlet_mappings == {"/a": "mod.S", "/b": "mod.S"}
    assert web.mapping_locations["/a"].file == __file__


def test_web_xml_wins_for_the_same_servlet_name(tmp_path) -> None:
    @web_servlet(["/annotated"], name="s", load_on_startup=3, init_params={"x": "annotation", "y": "annotation"})
    class S(HttpServlet):
        pass

    web = descriptor(
        tmp_path,
        """
        <servlet><servlet-name>s</servlet-name>
          <servlet-class>mod.Other</servlet-class>
          <init-param><param-name>x</param-name><param-value>xml
          </param-value></init-param></servlet>
        <servlet-mapping><servlet-name>s</servlet-name>
          <url-pattern>/xml</url-pattern></servlet-mapping>""",
    )
    apply_annotations(web, [found("mod.S", S)])
    servlet = web.servlets["s"]
    assert servlet.servlet_class == "mod.Other"
    assert servlet.init_params == {"x": "xml", "y": "annotation"}
    assert servlet.load_on_startup == 3  # web.xml left it out
    # web.xml maps the servlet: the annotation's patterns are not used
    assert web.servlet_mappings == {"/xml": "s"}


def test_annotation_patterns_used_when_web_xml_maps_nothing(tmp_path) -> None:
    @web_servlet("/annotated", name="s", load_on_startup=3)
    class S(HttpServlet):
        pass

    web = descriptor(
        tmp_path,
        """
        <servlet><servlet-name>s</servlet-name>
          <servlet-class>mod.S</servlet-class>
          <load-on-startup>1</load-on-startup></servlet>""",
    )
    apply_annotations(web, [found("mod.S", S)])
    assert web.servlet_mappings == {"/annotated": "s"}
    assert web.servlets["s"].load_on_startup == 1


def test_annotation_pattern_taken_by_another_servlet(tmp_path) -> None:
    @web_servlet("/taken")
    class S(HttpServlet):
        pass

    web = descriptor(
        tmp_path,
        """
        <servlet><servlet-name>x</servlet-name>
          <servlet-class>mod.X</servlet-class></servlet>
        <servlet-mapping><servlet-name>x</servlet-name>
          <url-pattern>/taken</url-pattern></servlet-mapping>""",
    )
    with pytest.raises(
        ConfigError, match="url-pattern '/taken' of " "@web_servlet mod.S is already mapped to servlet 'x'"
    ):
        apply_annotations(web, [found("mod.S", S)])


def test_servlet_without_patterns_and_web_xml_is_ignored() -> None:
    @web_servlet()
    class S(HttpServlet):
        pass

    web = apply_annotations(WebXml(), [found("mod.S", S)])
    assert web.servlets == {}
    assert "has no url-pattern" in web.warnings[0].message


def test_annotated_filter_added_with_mapping() -> None:
    @web_filter("/*", servlet_names=["*"], dispatcher_types=["FORWARD"], init_params={"a": "1"})
    class F(Filter):
        pass

    @web_filter(servlet_names="hello")
    class G(Filter):
        pass

    @web_filter()
    class Unmapped(Filter):
        pass

    web = apply_annotations(WebXml(), [found("f.F", F), found("f.G", G), found("f.Unmapped", Unmapped)])
    assert web.filters["f.F"].init_params == {"a": "1"}
    assert "f.Unmapped" in web.filters
    assert [(m.filter_name, m.url_patterns, m.servlet_names, m.dispatchers) for m in web.filter_mappings] == [
        ("f.F", ["/*"], ["*"], ["FORWARD"]),
        ("f.G", [], ["hello"], ["REQUEST"]),
    ]


def test_web_xml_wins_for_the_same_filter_name(tmp_path) -> None:
    @web_filter("/annotated/*", filter_name="f", init_params={"a": "annotation", "b": "annotation"})
    class F(Filter):
        pass

    web = descriptor(
        tmp_path,
        """
        <filter><filter-name>f</filter-name><filter-class>x.F</filter-class>
          <init-param><param-name>a</param-name><param-value>xml
          </param-value></init-param></filter>
        <filter-mapping><filter-name>f</filter-name>
          <servlet-name>s</servlet-name></filter-mapping>""",
    )
    apply_annotations(web, [found("mod.F", F)])
    definition = web.filters["f"]
    assert definition.filter_class == "x.F"
    assert definition.init_params == {"a": "xml", "b": "annotation"}
    # the web.xml mapping has no url-pattern: it gets the annotation's
    [mapping] = web.filter_mappings
    assert (mapping.url_patterns, mapping.servlet_names) == (["/annotated/*"], ["s"])


def test_annotated_listeners_come_after_web_xml_ones(tmp_path) -> None:
    @web_listener
    class L(ServletContextListener):
        pass

    web = descriptor(
        tmp_path,
        """
        <listener><listener-class>x.First</listener-class></listener>
        <listener><listener-class>mod.L</listener-class></listener>""",
    )
    apply_annotations(web, [found("mod.L", L), found("mod.L", L)])
    assert [listener.listener_class for listener in web.listeners] == ["x.First", "mod.L"]
    web = apply_annotations(WebXml(), [found("mod.L", L)])
    assert [listener.listener_class for listener in web.listeners] == ["mod.L"]


def test_annotated_servlet_at_slash_replaces_the_default_servlet(tmp_path) -> None:
    """Annotations are merged into the application's descriptor *before*
    conf/web.xml, so an annotated "/" wins over the default servlet."""

    @web_servlet("/")
    class Root(HttpServlet):
        pass

    defaults = descriptor(
        tmp_path,
        """
        <servlet><servlet-name>default</servlet-name>
          <servlet-class>catalina_py.servlets.default.DefaultServlet
          </servlet-class></servlet>
        <servlet-mapping><servlet-name>default</servlet-name>
          <url-pattern>/</url-pattern></servlet-mapping>""",
    )
    merged = merge_web_xml(defaults, apply_annotations(WebXml(), [found("m.Root", Root)]))
    assert merged.servlet_mappings["/"] == "m.Root"


# --------------------------------------------------------------------------
# Scanning WEB-INF/classes
# --------------------------------------------------------------------------


def make_webapp(tmp_path, files: dict[str, str], web_xml: str | None = None):
    base = tmp_path / "app"
    classes = base / "WEB-INF" / "classes"
    classes.mkdir(parents=True)
    for name, text in files.items():
        path = classes / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    if web_xml is not None:
        (base / "WEB-INF" / "web.xml").write_text(web_xml)
    return base


@pytest.fixture
def loaders():
    made: list[WebappLoader] = []

    def factory(base) -> WebappLoader:
        loader = WebappLoader(str(base), "/scan")
        made.append(loader)
        return loader

    yield factory
    for loader in made:
        loader.unload()


SERVLETS = """
    from catalina_py.servlet import HttpServlet
    from catalina_py.servlet.annotation import web_servlet

    @web_servlet("/one")
    class One(HttpServlet):
        pass

    @web_servlet("/two", name="two")
    class Two(One):
        pass

    class Plain(HttpServlet):
        pass
"""


def test_scan_finds_decorated_classes(tmp_path, loaders) -> None:
    base = make_webapp(
        tmp_path,
        {
            "servlets.py": SERVLETS,
            "pkg/__init__.py": "",
            "pkg/listen.py": """
            from catalina_py.servlet.annotation import web_listener
            from catalina_py.servlet.listeners import ServletContextListener
            from servlets import One  # imported: found in its own module

            @web_listener
            class L(ServletContextListener):
                pass
        """,
            "untouched.py": "raise RuntimeError('never imported')\n",
            "__pycache__/junk.py": "raise RuntimeError('skipped')\n",
            "not-a-module.py": "raise RuntimeError('skipped')\n",
        },
    )
    loader = loaders(base)
    classes = scan_annotations(loader)
    assert [c.name for c in classes] == ["pkg.listen.L", "servlets.One", "servlets.Two"]
    # what the scan names, the loader resolves to the same class
    for c in classes:
        assert loader.load_class(c.name) is c.cls
    assert f"{loader.package}.untouched" not in loader.modules()


def test_scan_import_error_fails_with_location(tmp_path, loaders) -> None:
    base = make_webapp(
        tmp_path,
        {
            "broken.py": """
        from catalina_py.servlet.annotation import web_servlet

        x = 1 / 0
    """
        },
    )
    with pytest.raises(ConfigError) as info:
        scan_annotations(loaders(base))
    error = info.value
    assert error.file is not None and error.file.endswith("broken.py")
    assert error.line == 4
    assert "ZeroDivisionError" in str(error)
    assert isinstance(error.__cause__, ZeroDivisionError)


def test_scan_syntax_error(tmp_path, loaders) -> None:
    base = make_webapp(tmp_path, {"bad.py": "web_servlet = (\n"})
    with pytest.raises(ConfigError, match="SyntaxError"):
        scan_annotations(loaders(base))


def test_scan_decorator_misuse_fails(tmp_path, loaders) -> None:
    base = make_webapp(
        tmp_path,
        {
            "m.py": """
        from catalina_py.servlet.annotation import web_servlet

        @web_servlet("no-slash")
        class S:
            pass
    """
        },
    )
    with pytest.raises(ConfigError, match="invalid url-pattern"):
        scan_annotations(loaders(base))


def test_build_web_xml(tmp_path, loaders) -> None:
    base = make_webapp(tmp_path, {"servlets.py": SERVLETS})
    defaults = WebXml(welcome_files=["index.html"])
    web = build_web_xml(str(base), defaults, loaders(base))
    assert web.servlet_mappings == {"/one": "servlets.One", "/two": "two"}
    assert web.servlets["two"].servlet_class == "servlets.Two"
    assert web.welcome_files == ["index.html"]
    # without a loader: the descriptor only
    assert build_web_xml(str(base), defaults).servlets == {}


def test_metadata_complete_disables_the_scan(tmp_path, loaders) -> None:
    base = make_webapp(
        tmp_path,
        {"servlets.py": SERVLETS},
        web_xml=('<web-app xmlns="https://jakarta.ee/xml/ns/jakartaee" ' 'version="6.0" metadata-complete="true"/>'),
    )
    loader = loaders(base)
    web = build_web_xml(str(base), WebXml(), loader)
    assert web.servlets == {} and web.metadata_complete
    assert loader.modules() == [loader.package]  # nothing imported


# --------------------------------------------------------------------------
# StandardContext start/stop with listeners (no sockets)
# --------------------------------------------------------------------------

LIFECYCLE = """
    from catalina_py.servlet import (HttpServlet, ServletContextAttributeListener,
                                     ServletContextListener, web_listener)

    CALLS = []


    class First(ServletContextListener):
        def context_initialized(self, event):
            CALLS.append("init:First")

        def context_destroyed(self, event):
            CALLS.append("destroyed:First")


    class Failing(ServletContextListener):
        def context_initialized(self, event):
            CALLS.append("init:Failing")
            raise ValueError("no way")

        def context_destroyed(self, event):
            CALLS.append("destroyed:Failing")


    @web_listener
    class Last(ServletContextListener, ServletContextAttributeListener):
        def context_initialized(self, event):
            CALLS.append("init:Last")
            event.get_servlet_context().set_attribute("a", 1)

        def context_destroyed(self, event):
            CALLS.append("destroyed:Last")

        def attribute_added(self, event):
            CALLS.append(f"added:{event.get_name()}={event.get_value()}")

        def attribute_replaced(self, event):
            CALLS.append(f"replaced:{event.get_name()}={event.get_value()}")

        def attribute_removed(self, event):
            CALLS.append(f"removed:{event.get_name()}={event.get_value()}")
            raise RuntimeError("logged, not propagated")


    class Plain:
        pass
"""


def start_context(tmp_path, listeners: list[str]):
    from catalina_py.container.context import StandardContext

    body = "".join(f"<listener><listener-class>{name}</listener-class>" "</listener>" for name in listeners)
    base = make_webapp(
        tmp_path,
        {"lc.py": LIFECYCLE},
        web_xml=('<web-app xmlns="https://jakarta.ee/xml/ns/jakartaee" ' f'version="6.0">{body}</web-app>'),
    )
    web = build_web_xml(str(base), WebXml())
    context = StandardContext(None, "/lc", str(base), web)  # type: ignore[arg-type]
    context.configurators.append(WebappConfigurator())
    return context


def test_context_listeners_order_and_attribute_events(tmp_path) -> None:
    context = start_context(tmp_path, ["lc.First"])
    context.start()
    try:
        calls = context.loader.load_class("lc.CALLS")
        servlet_context = context.get_servlet_context()
        servlet_context.set_attribute("a", 2)
        servlet_context.set_attribute("a", None)
        servlet_context.remove_attribute("a")
        assert calls == ["init:First", "init:Last", "added:a=1", "replaced:a=1", "removed:a=2"]
        assert [type(x).__name__ for x in context.listeners] == ["First", "Last"]
    finally:
        context.stop()
    assert calls[-2:] == ["destroyed:Last", "destroyed:First"]
    assert context.listeners == []


def test_failing_context_initialized_fails_the_start(tmp_path) -> None:
    from catalina_py.lifecycle import LifecycleError, LifecycleState

    context = start_context(tmp_path, ["lc.First", "lc.Failing"])
    with pytest.raises(LifecycleError, match="Failing.context_initialized" r"\(\) raised ValueError: no way") as info:
        context.start()
    assert isinstance(info.value.__cause__, ValueError)
    assert context.state is LifecycleState.FAILED
    calls = context.loader.load_class("lc.CALLS")
    context.stop()  # what HostConfig does with a context that failed
    # Last was never initialised: only the others are destroyed, reversed
    assert calls == ["init:First", "init:Failing", "destroyed:Failing", "destroyed:First"]


def test_listener_class_without_interface_fails_the_start(tmp_path) -> None:
    context = start_context(tmp_path, ["lc.Plain"])
    with pytest.raises(ConfigError, match="listener class 'lc.Plain' " "implements no listener interface") as info:
        context.start()
    assert info.value.file is not None and info.value.line == 1
    context.stop()
