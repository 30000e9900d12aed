"""@servlet_security, http_constraint and http_method_constraint: argument
checks, and the constraints they mean at a url-pattern (Tomcat's
SecurityConstraint.createConstraints)."""

from __future__ import annotations

import pytest

from catalina_py.authenticator.config import annotation_constraints
from catalina_py.security.constraints import find_constraints, is_permitted, needs_secure_transport
from catalina_py.servlet import HttpServlet
from catalina_py.servlet.annotation import (
    get_servlet_security,
    http_constraint,
    http_method_constraint,
    servlet_security,
)


@servlet_security(
    http_constraint(roles_allowed=["admin"]),
    http_method_constraints=[http_method_constraint("GET", roles_allowed=["user", "admin"])],
)
class Reports(HttpServlet):
    pass


class Child(Reports):
    pass


def test_metadata_is_inherited_as_servlet_security_is() -> None:
    info = get_servlet_security(Child)
    assert info is not None and info is get_servlet_security(Reports)
    assert get_servlet_security(HttpServlet) is None


def test_constraints_per_method() -> None:
    info = get_servlet_security(Reports)
    assert info is not None
    constraints = annotation_constraints(info, "/reports/*")
    get = find_constraints(constraints, "/reports/x", "GET")
    post = find_constraints(constraints, "/reports/x", "POST")
    assert is_permitted(get, True, lambda r: r == "user", ())
    assert not is_permitted(post, True, lambda r: r == "user", ())
    assert is_permitted(post, True, lambda r: r == "admin", ())


def test_permit_all_makes_no_constraint_but_https_does() -> None:
    info = get_servlet_security(servlet_security()(type("Open", (HttpServlet,), {})))
    assert info is not None and annotation_constraints(info, "/o") == []
    secure = servlet_security(http_constraint(transport_guarantee="CONFIDENTIAL"))(type("S", (HttpServlet,), {}))
    info = get_servlet_security(secure)
    assert info is not None
    assert needs_secure_transport(find_constraints(annotation_constraints(info, "/s"), "/s", "GET"))
    denied = get_servlet_security(servlet_security(http_constraint("DENY"))(type("D", (HttpServlet,), {})))
    assert denied is not None and annotation_constraints(denied, "/d")[0].denies_all


@pytest.mark.parametrize(
    ("make", "error"),
    [
        (lambda: http_constraint("MAYBE"), ValueError),
        (lambda: http_constraint("DENY", roles_allowed=["a"]), ValueError),
        (lambda: http_constraint(transport_guarantee="INTEGRAL"), ValueError),
        (lambda: http_method_constraint("GE T"), ValueError),
        (lambda: servlet_security(http_method_constraints=[http_method_constraint("GET")] * 2), ValueError),
        (lambda: servlet_security("admin"), TypeError),  # type: ignore[arg-type]
        (lambda: servlet_security()(42), TypeError),  # type: ignore[type-var]
    ],
)
def test_bad_arguments(make, error) -> None:
    with pytest.raises(error):
        make()
