"""Reading <security-constraint>, <login-config>, <security-role>,
<security-role-ref> and <deny-uncovered-http-methods/>, their errors with
file:line, and the merge with conf/web.xml."""

from __future__ import annotations

import pytest

from catalina_py.config.web_xml import merge_web_xml, parse_web_xml
from catalina_py.errors import ConfigError

HEAD = '<web-app xmlns="https://jakarta.ee/xml/ns/jakartaee" version="6.0">\n'


def parse(tmp_path, body: str, name: str = "web.xml"):
    path = tmp_path / name
    path.write_text(HEAD + body + "\n</web-app>\n")
    return parse_web_xml(str(path))


def test_full_constraint(tmp_path) -> None:
    web = parse(
        tmp_path,
        """<security-constraint><display-name>admin</display-name>
  <web-resource-collection><web-resource-name>a</web-resource-name>
    <url-pattern>/admin/*</url-pattern><url-pattern>/caf%C3%A9</url-pattern>
    <http-method>GET</http-method><http-method>POST</http-method></web-resource-collection>
  <web-resource-collection><web-resource-name>b</web-resource-name>
    <url-pattern>*.do</url-pattern><http-method-omission>OPTIONS</http-method-omission></web-resource-collection>
  <auth-constraint><role-name>admin</role-name><role-name>*</role-name><role-name>**</role-name></auth-constraint>
  <user-data-constraint><transport-guarantee>confidential</transport-guarantee></user-data-constraint>
</security-constraint>
<security-constraint><web-resource-collection><url-pattern>/none/*</url-pattern></web-resource-collection>
  <auth-constraint/></security-constraint>
<security-role><role-name>admin</role-name></security-role>
<deny-uncovered-http-methods/>
<login-config><auth-method>form</auth-method><realm-name>R</realm-name>
  <form-login-config><form-login-page>/login.html</form-login-page><form-error-page>/error.html</form-error-page>
  </form-login-config></login-config>
<servlet><servlet-name>s</servlet-name><servlet-class>a.S</servlet-class>
  <security-role-ref><role-name>boss</role-name><role-link>admin</role-link></security-role-ref>
  <security-role-ref><role-name>admin</role-name></security-role-ref></servlet>""",
    )
    first, second = web.security_constraints
    assert first.collections[0].patterns == ("/admin/*", "/café")
    assert first.collections[0].methods == {"GET", "POST"}
    assert first.collections[1].omitted_methods == {"OPTIONS"}
    assert (first.roles, first.all_roles, first.authenticated_users) == (("admin",), True, True)
    assert first.transport_guarantee == "CONFIDENTIAL"
    assert first.location is not None and first.location.line == 2
    assert second.denies_all
    assert web.security_roles == ["admin"]
    assert web.deny_uncovered_http_methods
    assert web.login_config is not None
    assert (web.login_config.auth_method, web.login_config.realm_name) == ("FORM", "R")
    assert (web.login_config.login_page, web.login_config.error_page) == ("/login.html", "/error.html")
    assert web.servlets["s"].security_role_refs == {"boss": "admin", "admin": "admin"}
    assert web.warnings == []


@pytest.mark.parametrize(
    ("body", "line", "needle"),
    [
        (
            "<security-constraint>\n<web-resource-collection><url-pattern>admin</url-pattern>"
            "</web-resource-collection></security-constraint>",
            3,
            "must start with '/' or '*.'",
        ),
        ("<security-constraint><auth-constraint/></security-constraint>", 2, "without a <web-resource-collection>"),
        (
            "<security-constraint><web-resource-collection>\n<url-pattern>/a</url-pattern>"
            "<http-method>GET</http-method><http-method-omission>PUT</http-method-omission>"
            "</web-resource-collection></security-constraint>",
            2,
            "both <http-method> and <http-method-omission>",
        ),
        (
            "<security-constraint><web-resource-collection><url-pattern>/a</url-pattern>\n"
            "<http-method>GE T</http-method></web-resource-collection></security-constraint>",
            3,
            "is not an HTTP method name",
        ),
        (
            "<security-constraint><web-resource-collection><url-pattern>/a</url-pattern></web-resource-collection>"
            "\n<user-data-constraint><transport-guarantee>SSL</transport-guarantee></user-data-constraint>"
            "</security-constraint>",
            3,
            "'SSL' is not NONE, INTEGRAL or CONFIDENTIAL",
        ),
        ("<login-config>\n<auth-method>CLIENT-CERT</auth-method></login-config>", 3, "CLIENT-CERT"),
        ("<login-config>\n<auth-method>NTLM</auth-method></login-config>", 3, "unknown <auth-method> 'NTLM'"),
        ("<login-config>\n<auth-method>FORM</auth-method></login-config>", 2, "FORM login needs"),
        (
            "<login-config><auth-method>FORM</auth-method><form-login-config>\n"
            "<form-login-page>login.html</form-login-page></form-login-config></login-config>",
            3,
            "must start with '/'",
        ),
        ("<login-config/>\n<login-config/>", 3, "a second <login-config>"),
        ("<security-role/>", 2, "<security-role> without a <role-name>"),
    ],
)
def test_errors_have_file_and_line(tmp_path, body: str, line: int, needle: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse(tmp_path, body)
    assert needle in str(caught.value)
    assert f"web.xml:{line}:" in str(caught.value)


def test_merge_with_defaults(tmp_path) -> None:
    defaults = parse(
        tmp_path,
        "<security-constraint><web-resource-collection><url-pattern>/g/*</url-pattern></web-resource-collection>"
        "<auth-constraint/></security-constraint><security-role><role-name>g</role-name></security-role>"
        "<login-config><auth-method>BASIC</auth-method></login-config><deny-uncovered-http-methods/>",
        "global.xml",
    )
    app = parse(
        tmp_path,
        "<security-constraint><web-resource-collection><url-pattern>/a/*</url-pattern></web-resource-collection>"
        "<auth-constraint><role-name>a</role-name></auth-constraint></security-constraint>"
        "<security-role><role-name>a</role-name></security-role>",
    )
    merged = merge_web_xml(defaults, app)
    assert [c.collections[0].patterns for c in merged.security_constraints] == [("/a/*",), ("/g/*",)]
    assert merged.security_roles == ["a", "g"]
    assert merged.login_config is not None and merged.login_config.auth_method == "BASIC"
    assert merged.deny_uncovered_http_methods
    own = parse(tmp_path, "<login-config><auth-method>DIGEST</auth-method></login-config>", "own.xml")
    merged = merge_web_xml(defaults, own)
    assert merged.login_config is not None and merged.login_config.auth_method == "DIGEST"
