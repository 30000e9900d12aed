"""Tests of catalina_py.config.web_xml: parsing deployment descriptors,
their validation, and merging conf/web.xml under an application's."""

from __future__ import annotations

import copy
import os
import textwrap

import pytest

from catalina_py.config.web_xml import (
    JAKARTA_NAMESPACE,
    WebXml,
    merge_web_xml,
    parse_web_xml,
    url_pattern_error,
    validate_web_xml,
)
from catalina_py.errors import ConfigError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHIPPED = os.path.join(ROOT, "conf", "web.xml")


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------


def web_app(body: str, namespace: str = JAKARTA_NAMESPACE, attrs: str = 'version="6.0"') -> str:
    """A descriptor with ``body`` inside ``<web-app>``."""
    xmlns = f' xmlns="{namespace}"' if namespace else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<web-app{xmlns} {attrs}>\n"
        f"{textwrap.dedent(body).strip()}\n"
        f"</web-app>\n"
    )


def write(tmp_path, text: str, name: str = "web.xml") -> str:
    """Write a descriptor and return its path."""
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def parse(tmp_path, body: str, name: str = "web.xml", **kwargs) -> WebXml:
    """Write and parse a descriptor."""
    return parse_web_xml(write(tmp_path, web_app(body, **kwargs), name))


def line_of(path: str, needle: str, occurrence: int = 1) -> int:
    """1-based line of the ``occurrence``-th line containing ``needle``."""
    seen = 0
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if needle in line:
                seen += 1
                if seen == occurrence:
                    return number
    raise AssertionError(f"{needle!r} not in {path}")


def assert_error(error: ConfigError, path: str, line: int, fragment: str) -> None:
    """``error`` is located at ``path:line`` and mentions ``fragment``."""
    assert (error.file, error.line) == (path, line), str(error)
    assert str(error).startswith(f"{path}:{line}: ")
    assert fragment in str(error)
    assert error.hint and "\n  expected: " in str(error)


SERVLET = """
<servlet>
  <servlet-name>{name}</servlet-name>
  <servlet-class>{cls}</servlet-class>
</servlet>"""


def servlet(name: str = "s", cls: str = "app.S") -> str:
    """A minimal servlet declaration."""
    return SERVLET.format(name=name, cls=cls)


def mapping(name: str, *patterns: str) -> str:
    """A servlet-mapping with the given url-patterns."""
    urls = "".join(f"<url-pattern>{p}</url-pattern>" for p in patterns)
    return f"<servlet-mapping><servlet-name>{name}</servlet-name>{urls}" "</servlet-mapping>"


# --------------------------------------------------------------------------
# Shipped conf/web.xml
# --------------------------------------------------------------------------


def test_shipped_web_xml_loads_cleanly() -> None:
    web = parse_web_xml(SHIPPED)
    assert web.warnings == []
    assert web.version == "6.0"
    default = web.servlets["default"]
    assert default.servlet_class == "catalina_py.servlets.default.DefaultServlet"
    assert default.init_params == {"debug": "0", "listings": "false"}
    assert default.load_on_startup == 1
    assert web.servlet_mappings == {"/": "default"}
    assert web.session_timeout == 30
    assert web.welcome_files == ["index.html", "index.htm"]
    validate_web_xml(web)


def test_shipped_mime_mappings() -> None:
    mime = parse_web_xml(SHIPPED).mime_mappings
    assert len(mime) >= 120
    expected = {
        "html": "text/html",
        "htm": "text/html",
        "css": "text/css",
        "js": "text/javascript",
        "mjs": "text/javascript",
        "json": "application/json",
        "txt": "text/plain",
        "xml": "application/xml",
        "svg": "image/svg+xml",
        "png": "image/png",
        "jpg": "image/jpeg",
        "jpeg": "image/jpeg",
        "gif": "image/gif",
        "webp": "image/webp",
        "ico": "image/x-icon",
        "avif": "image/avif",
        "woff": "font/woff",
        "woff2": "font/woff2",
        "ttf": "font/ttf",
        "otf": "font/otf",
        "pdf": "application/pdf",
        "zip": "application/zip",
        "gz": "application/x-gzip",
        "tar": "application/x-tar",
        "wasm": "application/wasm",
        "mp3": "audio/mpeg",
        "mp4": "video/mp4",
        "webm": "video/webm",
        "ogg": "audio/ogg",
        "wav": "audio/x-wav",
        "csv": "text/csv",
        "md": "text/markdown",
    }
    for extension, mime_type in expected.items():
        assert mime[extension] == mime_type, extension
    assert all(key == key.lower() and not key.startswith(".") for key in mime)


def test_merge_shipped_defaults_with_empty_app() -> None:
    merged = merge_web_xml(parse_web_xml(SHIPPED), WebXml())
    assert merged.servlet_mappings == {"/": "default"}
    assert merged.welcome_files == ["index.html", "index.htm"]
    assert merged.session_timeout == 30


# --------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "namespace",
    [
        JAKARTA_NAMESPACE,
        "http://xmlns.jcp.org/xml/ns/javaee",
        "http://java.sun.com/xml/ns/javaee",
        "http://java.sun.com/xml/ns/j2ee",
        "",
    ],
)
def test_accepted_namespaces(tmp_path, namespace: str) -> None:
    web = parse(tmp_path, servlet() + mapping("s", "/s"), namespace=namespace)
    assert web.servlets["s"].servlet_class == "app.S"
    assert web.servlet_mappings == {"/s": "s"}
    assert web.warnings == []


def test_servlet_23_doctype(tmp_path) -> None:
    path = write(
        tmp_path,
        textwrap.dedent("""\
        <?xml version="1.0"?>
        <!DOCTYPE web-app PUBLIC
          "-//Sun Microsystems, Inc.//DTD Web Application 2.3//EN"
          "http://java.sun.com/dtd/web-app_2_3.dtd">
        <web-app>
          <display-name>Old</display-name>
        </web-app>
    """),
    )
    web = parse_web_xml(path)
    assert (web.display_name, web.version) == ("Old", None)


def test_full_descriptor(tmp_path) -> None:
    web = parse(
        tmp_path,
        """
        <description>ignored</description>
        <display-name>My App</display-name>
        <distributable/>
        <context-param>
          <param-name>p1</param-name><param-value> v1 </param-value>
        </context-param>
        <context-param><param-name>p2</param-name></context-param>
        <servlet>
          <description>x</description>
          <servlet-name> hello </servlet-name>
          <servlet-class>
             app.Hello
          </servlet-class>
          <init-param><param-name>a</param-name><param-value>1</param-value>
          </init-param>
          <load-on-startup>-3</load-on-startup>
          <async-supported>TRUE</async-supported>
        </servlet>
        <servlet>
          <servlet-name>lazy</servlet-name>
          <servlet-class>app.Lazy</servlet-class>
          <load-on-startup/>
        </servlet>
        <servlet-mapping>
          <servlet-name>hello</servlet-name>
          <url-pattern>/hello</url-pattern>
          <url-pattern>/hi/*</url-pattern>
          <url-pattern>*.hello</url-pattern>
        </servlet-mapping>
        <servlet-mapping>
          <servlet-name>lazy</servlet-name>
          <url-pattern></url-pattern>
        </servlet-mapping>
        <mime-mapping><extension>MD</extension>
          <mime-type>text/markdown</mime-type></mime-mapping>
        <mime-mapping><extension>x</extension>
          <mime-type>a/b</mime-type></mime-mapping>
        <mime-mapping><extension>x</extension>
          <mime-type>a/c</mime-type></mime-mapping>
        <welcome-file-list>
          <welcome-file>home.html</welcome-file>
          <welcome-file/>
        </welcome-file-list>
        <welcome-file-list>
          <welcome-file>index.html</welcome-file>
          <welcome-file>home.html</welcome-file>
        </welcome-file-list>
        <session-config><session-timeout>-1</session-timeout>
        </session-config>
    """,
        attrs='version="6.0" metadata-complete="true"',
    )
    assert web.warnings == []
    assert web.display_name == "My App"
    assert web.metadata_complete is True
    assert web.context_params == {"p1": "v1", "p2": ""}
    hello = web.servlets["hello"]
    assert (hello.servlet_class, hello.init_params, hello.load_on_startup, hello.async_supported) == (
        "app.Hello",
        {"a": "1"},
        -3,
        True,
    )
    assert web.servlets["lazy"].load_on_startup is None
    assert web.servlets["lazy"].async_supported is False
    assert web.servlet_mappings == {"/hello": "hello", "/hi/*": "hello", "*.hello": "hello", "": "lazy"}
    assert web.mime_mappings == {"md": "text/markdown", "x": "a/c"}
    assert web.welcome_files == ["home.html", "index.html"]
    assert web.session_timeout == -1
    assert hello.location is not None and hello.location.line is not None


def test_no_welcome_file_list_is_none(tmp_path) -> None:
    assert parse(tmp_path, "").welcome_files is None
    assert parse(tmp_path, "<welcome-file-list/>").welcome_files == []


@pytest.mark.parametrize("pattern", ["/", "", "/x", "/x/y", "/x/*", "/*", "*.jsp", "*.tar.gz", "/a b", "/a*b"])
def test_valid_url_patterns(pattern: str) -> None:
    assert url_pattern_error(pattern) is None


@pytest.mark.parametrize("pattern", ["x", "x/*", "*", "*.", "*.a/b", "/x/*.jsp", "/*.jsp", "**.jsp", "/a\nb", "x.jsp"])
def test_invalid_url_patterns(pattern: str) -> None:
    assert url_pattern_error(pattern) is not None


# --------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "needle", "fragment"),
    [
        (servlet() + "\n" + mapping("s", "s"), "<url-pattern>s<", "url-pattern 's' must start with '/' or '*.'"),
        (servlet() + "\n" + mapping("s", "*.a/b"), "*.a/b", "extension url-pattern '*.a/b' must not contain '/'"),
        (
            servlet() + "\n" + mapping("s", "/x/*.jsp"),
            "/x/*.jsp",
            "url-pattern '/x/*.jsp' mixes a path and an extension",
        ),
        (
            servlet() + "\n" + mapping("s", "/a") + "\n" + servlet("t") + "\n" + mapping("t", "/b", "/a"),
            "<servlet-name>t</servlet-" "name><url-pattern>",
            "url-pattern '/a' is mapped to both servlet " "'s'",
        ),
        (
            servlet() + "\n" + mapping("s", "/a", "/a"),
            "<servlet-mapping>",
            "url-pattern '/a' is mapped to both servlet 's'",
        ),
        ("<servlet>\n<servlet-name>s</servlet-name>\n</servlet>", "<servlet>", "servlet 's' has no <servlet-class>"),
        (
            "<servlet>\n<servlet-name>s</servlet-name>\n" "<jsp-file>/a.jsp</jsp-file></servlet>",
            "<servlet>",
            "JSP is not supported",
        ),
        (
            "<servlet>\n<servlet-class>a.B</servlet-class>\n</servlet>",
            "<servlet>",
            "<servlet> without a <servlet-name>",
        ),
        (
            servlet() + "\n<servlet><servlet-name>s</servlet-name>" "<servlet-class>b.C</servlet-class></servlet>",
            "b.C</servlet",
            "servlet 's' is declared twice",
        ),
        (
            "<servlet><servlet-name>s</servlet-name><servlet-class>a.B"
            "</servlet-class>\n<load-on-startup>soon</load-on-startup>"
            "</servlet>",
            "<load-on-startup>",
            "load-on-startup must be an integer, got 'soon'",
        ),
        (
            "<servlet><servlet-name>s</servlet-name><servlet-class>a.B"
            "</servlet-class>\n<load-on-startup>1.5</load-on-startup>"
            "</servlet>",
            "<load-on-startup>",
            "load-on-startup must be an integer, got '1.5'",
        ),
        (
            "<servlet><servlet-name>s</servlet-name><servlet-class>a.B"
            "</servlet-class>\n<async-supported>yes</async-supported>"
            "</servlet>",
            "<async-supported>",
            "async-supported must be true or false, got 'yes'",
        ),
        (
            "<servlet-mapping>\n<url-pattern>/a</url-pattern>" "</servlet-mapping>",
            "<servlet-mapping>",
            "<servlet-mapping> without a <servlet-name>",
        ),
        (
            servlet() + "\n<servlet-mapping><servlet-name>s</servlet-name>" "</servlet-mapping>",
            "<servlet-mapping>",
            "<servlet-mapping> of 's' has no <url-pattern>",
        ),
        (
            "<context-param><param-value>v</param-value></context-param>",
            "<context-param>",
            "<context-param> without a <param-name>",
        ),
        (
            "<servlet><servlet-name>s</servlet-name><servlet-class>a.B"
            "</servlet-class>\n<init-param><param-value>v</param-value>"
            "</init-param></servlet>",
            "<init-param>",
            "<init-param> without a <param-name>",
        ),
        (
            "<mime-mapping><mime-type>a/b</mime-type></mime-mapping>",
            "<mime-mapping>",
            "<mime-mapping> without an <extension>",
        ),
        (
            "<mime-mapping><extension>x</extension></mime-mapping>",
            "<mime-mapping>",
            "<mime-mapping> of 'x' without a <mime-type>",
        ),
        (
            "<session-config>\n<session-timeout>half an hour</session-timeout>" "</session-config>",
            "<session-timeout>",
            "session-timeout must be an integer",
        ),
    ],
)
def test_errors(tmp_path, body: str, needle: str, fragment: str) -> None:
    path = write(tmp_path, web_app(body))
    with pytest.raises(ConfigError) as info:
        parse_web_xml(path)
    assert_error(info.value, path, line_of(path, needle), fragment)


@pytest.mark.parametrize(
    ("text", "needle", "fragment"),
    [
        ('<?xml version="1.0"?>\n<web-app>\n<servlet>\n</web-app>\n', "</web-app>", "not well-formed XML"),
        ('<?xml version="1.0"?>\n<webapp/>\n', "<webapp", "the root element must be <web-app>"),
        ('<?xml version="1.0"?>\n<web-app xmlns="urn:other"/>\n', "<web-app", "the root element must be <web-app>"),
        (
            '<?xml version="1.0"?>\n<web-app metadata-complete="maybe"/>\n',
            "<web-app",
            "metadata-complete must be true or false",
        ),
    ],
)
def test_document_errors(tmp_path, text: str, needle: str, fragment: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        parse_web_xml(path)
    assert_error(info.value, path, line_of(path, needle), fragment)


def test_missing_file(tmp_path) -> None:
    with pytest.raises(ConfigError, match="cannot read file"):
        parse_web_xml(str(tmp_path / "none.xml"))


def test_mapping_to_undeclared_servlet(tmp_path) -> None:
    path = write(tmp_path, web_app(servlet() + "\n" + mapping("nope", "/x")))
    web = parse_web_xml(path)  # cross references are checked later
    with pytest.raises(ConfigError) as info:
        validate_web_xml(web)
    assert_error(
        info.value,
        path,
        line_of(path, "<servlet-mapping>"),
        "url-pattern '/x' is mapped to servlet 'nope', which is " "not declared (declared servlets: s)",
    )
    with pytest.raises(ConfigError) as info:
        merge_web_xml(parse_web_xml(SHIPPED), web)
    assert info.value.line == line_of(path, "<servlet-mapping>")


# --------------------------------------------------------------------------
# Warnings
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "needle", "fragment"),
    [
        (
            "<env-entry/>",
            "<env-entry/>",
            "<env-entry> is not supported by catalina_py yet, " "ignored",
        ),
        (
            "<listener><listener-class>a.L</listener-class></listener>\n"
            "<listener><listener-class>a.L</listener-class></listener>",
            "<listener>",
            "listener 'a.L' is declared twice",
        ),
        (
            "<error-page><error-code>404</error-code><location>/a</location>"
            "</error-page>\n<error-page><error-code>404</error-code><location>"
            "/b</location></error-page>",
            "<error-page>",
            "error-page for status 404 is declared twice",
        ),
        (
            "<error-page>\n<error-code>302</error-code><location>/x</location>" "</error-page>",
            "<error-code>302",
            "error-page for status 302 is " "never used",
        ),
        (
            "<filter><filter-name>f</filter-name><filter-class>a.F" "</filter-class>\n<dispatcher/></filter>",
            "<dispatcher/>",
            "unknown element <dispatcher> in <filter>",
        ),
        (
            "<filter-mapping><filter-name>f</filter-name><url-pattern>/a" "</url-pattern>\n<bogus/></filter-mapping>",
            "<bogus/>",
            "unknown element <bogus> in <filter-mapping>",
        ),
        ("<session-config>\n<bogus/></session-config>", "<bogus/>", "unknown element <bogus> in <session-config>"),
        ("<frobnicate/>", "<frobnicate/>", "unknown element <frobnicate> in <web-app>, ignored"),
        (
            "<servlet><servlet-name>s</servlet-name><servlet-class>a.B" "</servlet-class>\n<run-as/></servlet>",
            "<run-as/>",
            "<run-as> in <servlet> is not supported",
        ),
        (servlet() + "\n" + mapping("s", "/a*b"), "/a*b", "suspicious url-pattern '/a*b'"),
        (
            "<mime-mapping>\n<extension>.TXT</extension><mime-type>text/plain" "</mime-type></mime-mapping>",
            "<mime-mapping>",
            "should be written without the leading dot",
        ),
        (
            "<context-param><param-name>a</param-name></context-param>\n"
            "<context-param><param-name>a</param-name></context-param>",
            "<context-param>",
            "context-param 'a' is declared twice",
        ),
        (
            "<session-config><cookie-config>\n<comment>c</comment>" "</cookie-config></session-config>",
            "<comment>",
            "<comment> in <cookie-config> is deprecated",
        ),
    ],
)
def test_warnings(tmp_path, body: str, needle: str, fragment: str) -> None:
    path = write(tmp_path, web_app(body))
    web = parse_web_xml(path)
    assert len(web.warnings) == 1, web.warnings
    [warning] = web.warnings
    occurrence = 2 if "declared twice" in fragment else 1
    assert (warning.file, warning.line) == (path, line_of(path, needle, occurrence))
    assert fragment in warning.message
    assert str(warning).startswith(f"{path}:{warning.line}: ")


def test_leading_dot_extension_is_stripped(tmp_path) -> None:
    web = parse(
        tmp_path, "<mime-mapping><extension>.TXT</extension>" "<mime-type>text/plain</mime-type></mime-mapping>"
    )
    assert web.mime_mappings == {"txt": "text/plain"}


# --------------------------------------------------------------------------
# Merge rules
# --------------------------------------------------------------------------


@pytest.fixture
def defaults(tmp_path) -> WebXml:
    """A small global descriptor, like conf/web.xml."""
    return parse(
        tmp_path,
        """
        <display-name>Defaults</display-name>
        <context-param><param-name>shared</param-name>
          <param-value>global</param-value></context-param>
        <context-param><param-name>global.only</param-name>
          <param-value>g</param-value></context-param>
        <servlet>
          <servlet-name>default</servlet-name>
          <servlet-class>catalina_py.servlets.default.DefaultServlet
          </servlet-class>
          <init-param><param-name>listings</param-name>
            <param-value>false</param-value></init-param>
          <init-param><param-name>debug</param-name>
            <param-value>0</param-value></init-param>
          <load-on-startup>1</load-on-startup>
        </servlet>
        <servlet>
          <servlet-name>status</servlet-name>
          <servlet-class>catalina_py.servlets.Status</servlet-class>
        </servlet>
        <servlet-mapping><servlet-name>default</servlet-name>
          <url-pattern>/</url-pattern></servlet-mapping>
        <servlet-mapping><servlet-name>status</servlet-name>
          <url-pattern>/status</url-pattern>
          <url-pattern>*.status</url-pattern></servlet-mapping>
        <mime-mapping><extension>html</extension>
          <mime-type>text/html</mime-type></mime-mapping>
        <mime-mapping><extension>txt</extension>
          <mime-type>text/plain</mime-type></mime-mapping>
        <welcome-file-list><welcome-file>index.html</welcome-file>
          <welcome-file>index.htm</welcome-file></welcome-file-list>
        <session-config><session-timeout>30</session-timeout>
        </session-config>
    """,
        name="defaults.xml",
    )


def test_merge_with_empty_app_keeps_defaults(defaults: WebXml) -> None:
    merged = merge_web_xml(defaults, WebXml(file="/app/web.xml"))
    assert merged.file == "/app/web.xml"
    assert merged.display_name == "Defaults"
    assert merged.servlet_mappings == {"/": "default", "/status": "status", "*.status": "status"}
    assert merged.welcome_files == ["index.html", "index.htm"]
    assert merged.session_timeout == 30
    assert merged.mime_mappings == {"html": "text/html", "txt": "text/plain"}
    assert merged.mapping_locations["/"].file == defaults.file


def test_merge_app_servlet_overrides_default_field_by_field(tmp_path, defaults: WebXml) -> None:
    app = parse(
        tmp_path,
        """
        <servlet>
          <servlet-name>default</servlet-name>
          <servlet-class>app.MyDefault</servlet-class>
          <init-param><param-name>listings</param-name>
            <param-value>true</param-value></init-param>
        </servlet>
    """,
    )
    merged = merge_web_xml(defaults, app)
    servlet_def = merged.servlets["default"]
    assert servlet_def.servlet_class == "app.MyDefault"
    assert servlet_def.init_params == {"listings": "true", "debug": "0"}
    assert servlet_def.load_on_startup == 1  # not set by the app
    assert servlet_def.location == app.servlets["default"].location
    assert merged.servlet_mappings["/"] == "default"


def test_merge_app_load_on_startup_wins(tmp_path, defaults: WebXml) -> None:
    app = parse(
        tmp_path,
        """
        <servlet><servlet-name>default</servlet-name>
          <servlet-class>app.D</servlet-class>
          <load-on-startup>5</load-on-startup></servlet>""",
    )
    assert merge_web_xml(defaults, app).servlets["default"].load_on_startup == 5


def test_merge_app_pattern_overrides_default_pattern(tmp_path, defaults: WebXml) -> None:
    app = parse(tmp_path, servlet("mine", "app.Mine") + mapping("mine", "/", "*.status"))
    merged = merge_web_xml(defaults, app)
    assert merged.servlet_mappings["/"] == "mine"
    assert merged.servlet_mappings["*.status"] == "mine"
    # the status servlet is not mapped by the app: its other default
    # mapping stays
    assert merged.servlet_mappings["/status"] == "status"


def test_merge_app_mapping_a_default_servlet_drops_its_default_mappings(tmp_path, defaults: WebXml) -> None:
    app = parse(tmp_path, mapping("default", "/static/*"))
    merged = merge_web_xml(defaults, app)
    assert merged.servlet_mappings["/static/*"] == "default"
    assert "/" not in merged.servlet_mappings
    assert merged.servlets["default"].servlet_class == "catalina_py.servlets.default.DefaultServlet"


def test_merge_mime_mappings_and_context_params(tmp_path, defaults: WebXml) -> None:
    app = parse(
        tmp_path,
        """
        <display-name>App</display-name>
        <context-param><param-name>shared</param-name>
          <param-value>app</param-value></context-param>
        <context-param><param-name>app.only</param-name>
          <param-value>a</param-value></context-param>
        <mime-mapping><extension>TXT</extension>
          <mime-type>text/x-app</mime-type></mime-mapping>
        <mime-mapping><extension>new</extension>
          <mime-type>a/new</mime-type></mime-mapping>
        <session-config><session-timeout>5</session-timeout>
        </session-config>
    """,
    )
    merged = merge_web_xml(defaults, app)
    assert merged.display_name == "App"
    assert merged.context_params == {"shared": "app", "global.only": "g", "app.only": "a"}
    assert merged.mime_mappings == {"html": "text/html", "txt": "text/x-app", "new": "a/new"}
    assert merged.session_timeout == 5


@pytest.mark.parametrize(
    ("app_body", "expected"),
    [
        ("<welcome-file-list><welcome-file>start.html</welcome-file>" "</welcome-file-list>", ["start.html"]),
        ("", ["index.html", "index.htm"]),
        ("<welcome-file-list/>", ["index.html", "index.htm"]),
    ],
)
def test_merge_welcome_files(tmp_path, defaults: WebXml, app_body: str, expected: list[str]) -> None:
    assert merge_web_xml(defaults, parse(tmp_path, app_body)).welcome_files == expected


def test_merge_without_any_welcome_list() -> None:
    assert merge_web_xml(WebXml(), WebXml()).welcome_files is None
    assert merge_web_xml(WebXml(), WebXml(welcome_files=[])).welcome_files == []


def test_merge_keeps_app_metadata_and_warnings(tmp_path, defaults: WebXml) -> None:
    app = parse(tmp_path, "<env-entry/>", attrs='version="5.0" metadata-complete="true"')
    merged = merge_web_xml(defaults, app)
    assert (merged.version, merged.metadata_complete) == ("5.0", True)
    assert merged.warnings == app.warnings


def test_merge_does_not_modify_its_arguments(tmp_path, defaults: WebXml) -> None:
    app = parse(
        tmp_path,
        """
        <servlet><servlet-name>default</servlet-name>
          <servlet-class>app.D</servlet-class>
          <init-param><param-name>x</param-name><param-value>1</param-value>
          </init-param></servlet>
        <welcome-file-list><welcome-file>a.html</welcome-file>
        </welcome-file-list>""",
    )
    before = (copy.deepcopy(defaults), copy.deepcopy(app))
    merged = merge_web_xml(defaults, app)
    merged.servlets["default"].init_params["y"] = "2"
    merged.welcome_files.append("b.html")  # type: ignore[union-attr]
    merged.mime_mappings["z"] = "z/z"
    assert (defaults, app) == before


def test_merge_reports_a_bad_mapping_in_the_defaults(tmp_path) -> None:
    path = write(tmp_path, web_app(mapping("ghost", "/g")), "defaults.xml")
    with pytest.raises(ConfigError) as info:
        merge_web_xml(parse_web_xml(path), WebXml())
    assert (info.value.file, info.value.line) == (path, line_of(path, "<servlet-mapping>"))


# --------------------------------------------------------------------------
# Filters, listeners, error pages, session-config, encodings
# --------------------------------------------------------------------------

FILTERS = """
    <filter>
      <description>d</description>
      <filter-name>log</filter-name>
      <filter-class>app.filters.LogFilter</filter-class>
      <init-param><param-name>level</param-name>
        <param-value>debug</param-value></init-param>
      <async-supported>true</async-supported>
    </filter>
    <filter>
      <filter-name>gzip</filter-name>
      <filter-class>app.Gzip</filter-class>
    </filter>
    <filter-mapping>
      <filter-name>log</filter-name>
      <url-pattern>/*</url-pattern>
      <url-pattern>*.txt</url-pattern>
      <servlet-name>hello</servlet-name>
      <dispatcher>REQUEST</dispatcher>
      <dispatcher>forward</dispatcher>
      <dispatcher>ERROR</dispatcher>
      <dispatcher>REQUEST</dispatcher>
    </filter-mapping>
    <filter-mapping>
      <filter-name>gzip</filter-name>
      <servlet-name>*</servlet-name>
    </filter-mapping>
    <filter-mapping>
      <filter-name>log</filter-name>
      <url-pattern>/again</url-pattern>
      <dispatcher>ASYNC</dispatcher>
      <dispatcher>INCLUDE</dispatcher>
    </filter-mapping>
"""


def test_filters_and_filter_mappings(tmp_path) -> None:
    web = parse(tmp_path, FILTERS)
    assert web.warnings == []
    log = web.filters["log"]
    assert (log.name, log.filter_class, log.init_params, log.async_supported) == (
        "log",
        "app.filters.LogFilter",
        {"level": "debug"},
        True,
    )
    assert log.location is not None and log.location.line is not None
    assert web.filters["gzip"].async_supported is False
    assert list(web.filters) == ["log", "gzip"]
    first, second, third = web.filter_mappings
    assert (first.filter_name, first.url_patterns, first.servlet_names, first.dispatchers) == (
        "log",
        ["/*", "*.txt"],
        ["hello"],
        ["REQUEST", "FORWARD", "ERROR"],
    )
    assert (second.filter_name, second.url_patterns, second.servlet_names, second.dispatchers) == (
        "gzip",
        [],
        ["*"],
        ["REQUEST"],
    )
    assert (third.url_patterns, third.dispatchers) == (["/again"], ["ASYNC", "INCLUDE"])
    validate_web_xml(web)


def test_listeners_keep_declaration_order(tmp_path) -> None:
    web = parse(
        tmp_path,
        """
        <listener><description>x</description>
          <listener-class>app.B</listener-class></listener>
        <listener><listener-class> app.A </listener-class></listener>
    """,
    )
    assert [listener.listener_class for listener in web.listeners] == ["app.B", "app.A"]
    assert web.listeners[0].location.line == 3


def test_error_pages(tmp_path) -> None:
    web = parse(
        tmp_path,
        """
        <error-page><error-code>404</error-code>
          <location>/errors/404.html</location></error-page>
        <error-page><exception-type>app.errors.Boom</exception-type>
          <location>/errors/boom</location></error-page>
        <error-page><location>/errors/any</location></error-page>
        <error-page><exception-type>ValueError</exception-type>
          <location>/errors/value</location></error-page>
    """,
    )
    assert [(p.location_path, p.error_code, p.exception_type) for p in web.error_pages] == [
        ("/errors/404.html", 404, None),
        ("/errors/boom", None, "app.errors.Boom"),
        ("/errors/any", None, None),
        ("/errors/value", None, "ValueError"),
    ]
    assert web.warnings == []


def test_duplicate_error_page_keeps_the_last(tmp_path) -> None:
    web = parse(
        tmp_path,
        """
        <error-page><error-code>500</error-code><location>/a</location>
        </error-page>
        <error-page><location>/default</location></error-page>
        <error-page><error-code>500</error-code><location>/b</location>
        </error-page>
    """,
    )
    assert [(p.error_code, p.location_path) for p in web.error_pages] == [(None, "/default"), (500, "/b")]
    assert len(web.warnings) == 1


def test_session_config(tmp_path) -> None:
    web = parse(
        tmp_path,
        """
        <session-config>
          <session-timeout>15</session-timeout>
          <cookie-config>
            <name>MYSESSION</name>
            <domain>example.com</domain>
            <path>/app</path>
            <http-only>false</http-only>
            <secure>true</secure>
            <max-age>3600</max-age>
            <attribute><attribute-name>SameSite</attribute-name>
              <attribute-value>Strict</attribute-value></attribute>
          </cookie-config>
          <tracking-mode>URL</tracking-mode>
          <tracking-mode>COOKIE</tracking-mode>
          <tracking-mode>URL</tracking-mode>
        </session-config>
    """,
    )
    assert web.warnings == []
    config = web.session_config
    assert config.session_timeout == web.session_timeout == 15
    cookie = config.cookie_config
    assert (
        cookie.name,
        cookie.domain,
        cookie.path,
        cookie.http_only,
        cookie.secure,
        cookie.max_age,
        cookie.attributes,
    ) == ("MYSESSION", "example.com", "/app", False, True, 3600, {"SameSite": "Strict"})
    assert config.tracking_modes == ["URL", "COOKIE"]


def test_session_config_defaults_are_unset(tmp_path) -> None:
    web = parse(tmp_path, "<session-config/>")
    assert web.session_config.session_timeout is None
    assert web.session_config.tracking_modes is None
    assert web.session_config.cookie_config.name is None
    assert web.session_config.cookie_config.http_only is None


def test_character_encodings(tmp_path) -> None:
    web = parse(
        tmp_path,
        """
        <request-character-encoding>ISO-8859-1</request-character-encoding>
        <response-character-encoding> utf-8 </response-character-encoding>
    """,
    )
    assert web.request_character_encoding == "ISO-8859-1"
    assert web.response_character_encoding == "utf-8"
    assert web.warnings == []


@pytest.mark.parametrize(
    ("body", "needle", "fragment"),
    [
        ("<filter>\n<filter-class>a.F</filter-class></filter>", "<filter>", "<filter> without a <filter-name>"),
        ("<filter>\n<filter-name>f</filter-name></filter>", "<filter>", "filter 'f' has no <filter-class>"),
        (
            "<filter>\n<filter-name>f</filter-name><filter-class>a-b.F" "</filter-class></filter>",
            "<filter>",
            "filter-class of 'f' 'a-b.F' is not a Python class name",
        ),
        (
            "<filter><filter-name>f</filter-name><filter-class>a.F"
            "</filter-class></filter>\n<filter><filter-name>f</filter-name>"
            "<filter-class>a.G</filter-class></filter>",
            "a.G",
            "filter 'f' is declared twice",
        ),
        (
            "<filter><filter-name>f</filter-name><filter-class>a.F"
            "</filter-class>\n<async-supported>maybe</async-supported></filter>",
            "<async-supported>",
            "async-supported must be true or false",
        ),
        (
            "<filter><filter-name>f</filter-name><filter-class>a.F"
            "</filter-class>\n<init-param><param-value>v</param-value>"
            "</init-param></filter>",
            "<init-param>",
            "<init-param> without a <param-name>",
        ),
        (
            "<filter-mapping>\n<url-pattern>/a</url-pattern></filter-mapping>",
            "<filter-mapping>",
            "<filter-mapping> without a <filter-name>",
        ),
        (
            "<filter-mapping>\n<filter-name>f</filter-name></filter-mapping>",
            "<filter-mapping>",
            "<filter-mapping> of 'f' has neither a " "<url-pattern> nor a <servlet-name>",
        ),
        (
            "<filter-mapping><filter-name>f</filter-name><url-pattern>/a"
            "</url-pattern>\n<dispatcher>SOMETIMES</dispatcher>"
            "</filter-mapping>",
            "SOMETIMES",
            "unknown dispatcher 'SOMETIMES'",
        ),
        (
            "<filter-mapping><filter-name>f</filter-name>\n<url-pattern>a" "</url-pattern></filter-mapping>",
            "<url-pattern>a",
            "invalid url-pattern in a <filter-mapping>",
        ),
        (
            "<filter-mapping><filter-name>f</filter-name>\n<url-pattern>" "</url-pattern></filter-mapping>",
            "<url-pattern>",
            "the empty url-pattern is only valid in a <servlet-mapping>",
        ),
        (
            "<filter-mapping><filter-name>f</filter-name>\n<url-pattern>*" "</url-pattern></filter-mapping>",
            "<url-pattern>",
            "invalid url-pattern in a <filter-mapping>",
        ),
        (
            "<filter-mapping><filter-name>f</filter-name>\n<servlet-name/>" "</filter-mapping>",
            "<servlet-name/>",
            "empty <servlet-name> in a <filter-mapping>",
        ),
        ("<listener>\n</listener>", "<listener>", "<listener> without a <listener-class>"),
        (
            "<listener>\n<listener-class>a b</listener-class></listener>",
            "<listener-class>",
            "listener-class 'a b' is not a Python class",
        ),
        (
            "<error-page>\n<error-code>404</error-code><exception-type>a.E"
            "</exception-type><location>/x</location></error-page>",
            "<error-page>",
            "has both an <error-code> and an <exception-type>",
        ),
        (
            "<error-page>\n<error-code>404</error-code></error-page>",
            "<error-page>",
            "<error-page> without a <location>",
        ),
        (
            "<error-page><error-code>404</error-code>\n<location>x.html" "</location></error-page>",
            "<location>",
            "error-page location 'x.html' must start with '/'",
        ),
        (
            "<error-page>\n<error-code>four</error-code><location>/x" "</location></error-page>",
            "<error-code>",
            "error-code must be an integer, got 'four'",
        ),
        (
            "<error-page>\n<error-code>999</error-code><location>/x" "</location></error-page>",
            "<error-code>",
            "error-code 999 is not an HTTP status code",
        ),
        (
            "<error-page>\n<exception-type>java.lang.Throw able"
            "</exception-type><location>/x</location></error-page>",
            "<exception-type>",
            "is not a Python class name",
        ),
        (
            "<session-config>\n<tracking-mode>SSL</tracking-mode>" "</session-config>",
            "<tracking-mode>",
            "session tracking mode SSL is not supported",
        ),
        (
            "<session-config>\n<tracking-mode>cookie</tracking-mode>" "</session-config>",
            "<tracking-mode>",
            "unknown session tracking mode 'cookie'",
        ),
        (
            "<session-config><cookie-config>\n<name>a b</name>" "</cookie-config></session-config>",
            "<name>",
            "invalid session cookie name 'a b'",
        ),
        (
            "<session-config><cookie-config>\n<http-only>sure</http-only>" "</cookie-config></session-config>",
            "<http-only>",
            "http-only must be true or false",
        ),
        (
            "<session-config><cookie-config>\n<max-age>1h</max-age>" "</cookie-config></session-config>",
            "<max-age>",
            "max-age must be an integer",
        ),
        (
            "<session-config><cookie-config>\n<attribute><attribute-value>x"
            "</attribute-value></attribute></cookie-config></session-config>",
            "<attribute>",
            "needs an <attribute-name>",
        ),
        (
            "<request-character-encoding>\nno-such-charset" "</request-character-encoding>",
            "<request-character-encoding>",
            "unknown character encoding 'no-such-charset'",
        ),
        (
            "<response-character-encoding>\nklingon" "</response-character-encoding>",
            "<response-character-encoding>",
            "unknown character encoding 'klingon'",
        ),
    ],
)
def test_new_element_errors(tmp_path, body: str, needle: str, fragment: str) -> None:
    path = write(tmp_path, web_app(body))
    with pytest.raises(ConfigError) as info:
        parse_web_xml(path)
    assert_error(info.value, path, line_of(path, needle), fragment)


def test_filter_mapping_to_undeclared_filter(tmp_path) -> None:
    path = write(
        tmp_path,
        web_app("""
        <filter><filter-name>f</filter-name><filter-class>a.F</filter-class>
        </filter>
        <filter-mapping><filter-name>ghost</filter-name>
          <url-pattern>/*</url-pattern></filter-mapping>"""),
    )
    web = parse_web_xml(path)  # checked after merging
    with pytest.raises(ConfigError) as info:
        validate_web_xml(web)
    assert_error(
        info.value,
        path,
        line_of(path, "<filter-mapping>"),
        "<filter-mapping> names filter 'ghost', which is not " "declared (declared filters: f)",
    )
    with pytest.raises(ConfigError):
        merge_web_xml(WebXml(), web)


def test_filter_mapping_to_unknown_servlet_warns_after_merge(tmp_path) -> None:
    web = parse(
        tmp_path,
        """
        <filter><filter-name>f</filter-name><filter-class>a.F</filter-class>
        </filter>
        <filter-mapping><filter-name>f</filter-name>
          <servlet-name>nobody</servlet-name>
          <servlet-name>*</servlet-name></filter-mapping>""",
    )
    merged = merge_web_xml(WebXml(), web)
    [warning] = merged.warnings
    assert "names servlet 'nobody', which is not declared" in warning.message


# --------------------------------------------------------------------------
# Merge rules of the new elements
# --------------------------------------------------------------------------

GLOBAL_EXTRAS = """
    <filter><filter-name>shared</filter-name>
      <filter-class>g.Shared</filter-class>
      <init-param><param-name>a</param-name><param-value>g</param-value>
      </init-param>
      <init-param><param-name>b</param-name><param-value>g</param-value>
      </init-param></filter>
    <filter><filter-name>global</filter-name>
      <filter-class>g.Global</filter-class></filter>
    <filter-mapping><filter-name>shared</filter-name>
      <url-pattern>/g/*</url-pattern></filter-mapping>
    <filter-mapping><filter-name>global</filter-name>
      <url-pattern>/*</url-pattern></filter-mapping>
    <listener><listener-class>g.L1</listener-class></listener>
    <listener><listener-class>shared.L</listener-class></listener>
    <error-page><error-code>404</error-code><location>/g404</location>
    </error-page>
    <error-page><error-code>500</error-code><location>/g500</location>
    </error-page>
    <error-page><exception-type>ValueError</exception-type>
      <location>/gvalue</location></error-page>
    <error-page><location>/gdefault</location></error-page>
    <session-config>
      <session-timeout>30</session-timeout>
      <cookie-config><name>GLOBALID</name><path>/g</path>
        <http-only>true</http-only>
        <attribute><attribute-name>SameSite</attribute-name>
          <attribute-value>Lax</attribute-value></attribute>
        <attribute><attribute-name>Partitioned</attribute-name>
          <attribute-value>true</attribute-value></attribute>
      </cookie-config>
      <tracking-mode>COOKIE</tracking-mode>
    </session-config>
    <request-character-encoding>UTF-8</request-character-encoding>
    <response-character-encoding>UTF-8</response-character-encoding>
"""


def test_merge_filters_listeners_error_pages(tmp_path) -> None:
    defaults = parse(tmp_path, GLOBAL_EXTRAS, name="defaults.xml")
    app = parse(
        tmp_path,
        """
        <filter><filter-name>shared</filter-name>
          <filter-class>a.Shared</filter-class>
          <init-param><param-name>a</param-name><param-value>app
          </param-value></init-param></filter>
        <filter><filter-name>mine</filter-name>
          <filter-class>a.Mine</filter-class></filter>
        <filter-mapping><filter-name>mine</filter-name>
          <url-pattern>/m</url-pattern></filter-mapping>
        <filter-mapping><filter-name>shared</filter-name>
          <url-pattern>/s</url-pattern></filter-mapping>
        <listener><listener-class>a.L</listener-class></listener>
        <listener><listener-class>shared.L</listener-class></listener>
        <error-page><error-code>404</error-code><location>/a404</location>
        </error-page>
        <error-page><exception-type>ValueError</exception-type>
          <location>/avalue</location></error-page>
    """,
    )
    merged = merge_web_xml(defaults, app)
    shared = merged.filters["shared"]
    assert shared.filter_class == "a.Shared"
    assert shared.init_params == {"a": "app", "b": "g"}
    assert merged.filters["global"].filter_class == "g.Global"
    # the app's mappings first; the defaults' only for filters the app
    # does not map itself
    assert [(m.filter_name, m.url_patterns) for m in merged.filter_mappings] == [
        ("mine", ["/m"]),
        ("shared", ["/s"]),
        ("global", ["/*"]),
    ]
    assert [listener.listener_class for listener in merged.listeners] == ["a.L", "shared.L", "g.L1"]
    assert [(p.error_code, p.exception_type, p.location_path) for p in merged.error_pages] == [
        (404, None, "/a404"),
        (None, "ValueError", "/avalue"),
        (500, None, "/g500"),
        (None, None, "/gdefault"),
    ]
    assert merged.defaults is defaults


def test_merge_session_config_per_field(tmp_path) -> None:
    defaults = parse(tmp_path, GLOBAL_EXTRAS, name="defaults.xml")
    app = parse(
        tmp_path,
        """
        <session-config>
          <cookie-config><name>APPID</name><secure>true</secure>
            <http-only>false</http-only>
            <attribute><attribute-name>SameSite</attribute-name>
              <attribute-value>Strict</attribute-value></attribute>
          </cookie-config>
        </session-config>
        <response-character-encoding>ISO-8859-1
        </response-character-encoding>
    """,
    )
    merged = merge_web_xml(defaults, app)
    config = merged.session_config
    assert config.session_timeout == merged.session_timeout == 30
    cookie = config.cookie_config
    assert (cookie.name, cookie.path, cookie.secure, cookie.http_only, cookie.domain, cookie.max_age) == (
        "APPID",
        "/g",
        True,
        False,
        None,
        None,
    )
    assert cookie.attributes == {"SameSite": "Strict", "Partitioned": "true"}
    assert config.tracking_modes == ["COOKIE"]
    assert merged.request_character_encoding == "UTF-8"
    assert merged.response_character_encoding == "ISO-8859-1"


def test_merge_app_tracking_modes_and_timeout_win(tmp_path) -> None:
    defaults = parse(tmp_path, GLOBAL_EXTRAS, name="defaults.xml")
    app = parse(
        tmp_path,
        """
        <session-config><session-timeout>0</session-timeout>
          <tracking-mode>URL</tracking-mode></session-config>""",
    )
    merged = merge_web_xml(defaults, app)
    assert merged.session_config.tracking_modes == ["URL"]
    assert merged.session_timeout == merged.session_config.session_timeout == 0


def test_merge_new_elements_does_not_modify_arguments(tmp_path) -> None:
    defaults = parse(tmp_path, GLOBAL_EXTRAS, name="defaults.xml")
    app = parse(tmp_path, FILTERS)
    before = (copy.deepcopy(defaults), copy.deepcopy(app))
    merged = merge_web_xml(defaults, app)
    merged.filters["log"].init_params["x"] = "1"
    merged.filter_mappings[0].url_patterns.append("/more")
    merged.session_config.cookie_config.attributes["x"] = "1"
    merged.listeners.clear()
    merged.error_pages.clear()
    assert (defaults, app) == before
