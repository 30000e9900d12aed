"""Context versions in the Mapper (Tomcat's ``Mapper.ContextVersion``):
several versions at one path, the newest gets the requests, a request may
be mapped to an older one (its session lives there), and removing one
version leaves the others."""

from __future__ import annotations

import pytest

from catalina_py.container.mapper import Mapper, select_version

HOST = "localhost"


class Ctx:
    """A context version as the Mapper sees it: an opaque object."""

    def __init__(self, name: str, sessions: tuple[str, ...] = ()) -> None:
        self.name = name
        self.sessions = set(sessions)

    def __repr__(self) -> str:
        return f"Ctx({self.name})"


def mapper_with(*versions: tuple[str, Ctx], path: str = "/shop") -> Mapper:
    mapper = Mapper()
    mapper.add_host(HOST, "host")
    mapper.set_default_host(HOST)
    mapper.add_context(HOST, "", "root")
    for version, ctx in versions:
        mapper.add_context(HOST, path, ctx, version=version)
        mapper.add_wrapper(HOST, path, "/hello", f"hello@{ctx.name}", version=ctx)
    return mapper


def test_one_version_has_no_versions_tuple():
    a = Ctx("a")
    md = mapper_with(("", a)).map(HOST, "/shop/hello")
    assert md.context is a
    assert md.versions is None
    assert md.wrapper == "hello@a"


def test_the_newest_version_gets_the_request():
    a, b = Ctx("a"), Ctx("b")
    mapper = mapper_with(("", a), ("", b))
    md = mapper.map(HOST, "/shop/hello")
    assert md.context is b
    assert md.wrapper == "hello@b"
    assert md.versions == (a, b)


def test_versions_are_ordered_by_version_string_then_by_addition():
    """Tomcat compares versions as strings: ``##2`` is newer than ``##10``,
    and a version added after an older-named one does not take over."""
    v2, v10 = Ctx("v2"), Ctx("v10")
    mapper = mapper_with(("2", v2), ("10", v10))
    assert mapper.map(HOST, "/shop/hello").context is v2
    assert mapper.context_versions(HOST, "/shop") == [("10", v10), ("2", v2)]
    # The same version string again (a reload): the one added last is newest.
    v2b = Ctx("v2b")
    mapper.add_context(HOST, "/shop", v2b, version="2")
    mapper.add_wrapper(HOST, "/shop", "/hello", "hello@v2b", version=v2b)
    md = mapper.map(HOST, "/shop/hello")
    assert (md.context, md.wrapper) == (v2b, "hello@v2b")
    assert md.versions == (v10, v2, v2b)


def test_map_to_an_older_version_uses_its_wrappers():
    a, b = Ctx("a"), Ctx("b")
    mapper = mapper_with(("", a), ("", b))
    md = mapper.map(HOST, "/shop/hello", version=a)
    assert (md.context, md.wrapper, md.context_path, md.servlet_path) == (a, "hello@a", "/shop", "/hello")
    assert md.versions == (a, b)
    # An object that is not one of the versions: the newest.
    assert mapper.map(HOST, "/shop/hello", version=Ctx("other")).context is b


def test_wrappers_of_a_version_being_added_do_not_touch_the_others():
    a, b = Ctx("a"), Ctx("b")
    mapper = mapper_with(("", a))
    mapper.add_context(HOST, "/shop", b, version="")
    mapper.add_wrapper(HOST, "/shop", "/only-b", "only-b", version=b)
    assert mapper.map(HOST, "/shop/only-b", version=a).wrapper is None
    assert mapper.map(HOST, "/shop/only-b").wrapper == "only-b"


def test_add_wrapper_to_an_unknown_version_raises():
    mapper = mapper_with(("", Ctx("a")))
    with pytest.raises(KeyError):
        mapper.add_wrapper(HOST, "/shop", "/x", "x", version=Ctx("stranger"))


def test_remove_a_version_leaves_the_others():
    a, b = Ctx("a"), Ctx("b")
    mapper = mapper_with(("", a), ("", b))
    mapper.remove_context_version(HOST, "/shop", b)
    md = mapper.map(HOST, "/shop/hello")
    assert (md.context, md.wrapper, md.versions) == (a, "hello@a", None)
    mapper.remove_context_version(HOST, "/shop", b)  # absent: nothing happens
    mapper.remove_context_version(HOST, "/shop", a)
    assert mapper.map(HOST, "/shop/hello").context == "root"
    assert mapper.context_versions(HOST, "/shop") == []


def test_remove_the_older_version_keeps_the_newest():
    a, b = Ctx("a"), Ctx("b")
    mapper = mapper_with(("", a), ("", b))
    mapper.remove_context_version(HOST, "/shop", a)
    md = mapper.map(HOST, "/shop/hello")
    assert (md.context, md.versions) == (b, None)


def test_add_context_without_version_replaces_every_version():
    a, b, c = Ctx("a"), Ctx("b"), Ctx("c")
    mapper = mapper_with(("", a), ("", b))
    mapper.add_context(HOST, "/shop", c)
    md = mapper.map(HOST, "/shop/hello")
    assert (md.context, md.versions, md.wrapper) == (c, None, None)


def test_versions_at_a_nested_path_and_at_root():
    a, b = Ctx("a"), Ctx("b")
    mapper = mapper_with(("", a), ("", b), path="/a/b")
    assert mapper.map(HOST, "/a/b/hello", version=a).context is a
    assert mapper.map(HOST, "/a/b/hello").context is b
    r1, r2 = Ctx("r1"), Ctx("r2")
    mapper.add_context(HOST, "", r1, version="")
    mapper.add_context(HOST, "", r2, version="")
    assert mapper.map(HOST, "/elsewhere").context is r2
    assert mapper.map(HOST, "/elsewhere", version=r1).context is r1


def test_map_context_stays_in_the_version_asked_for():
    """A RequestDispatcher of an older version maps inside that version."""
    a, b = Ctx("a"), Ctx("b")
    mapper = mapper_with(("", a), ("", b))
    assert mapper.map_context(HOST, "/shop", "/hello", a).wrapper == "hello@a"
    assert mapper.map_context(HOST, "/shop", "/hello").wrapper == "hello@b"


def test_context_root_redirect_in_an_older_version():
    a, b = Ctx("a"), Ctx("b")
    mapper = mapper_with(("", a), ("", b))
    md = mapper.map(HOST, "/shop", version=a)
    assert (md.context, md.redirect_path) == (a, "/shop/")


@pytest.mark.parametrize(
    "holders, expected",
    [
        ((), None),  # nobody has the session: stay on the newest
        (("new",), "new"),
        (("old",), "old"),
        (("old", "mid"), "mid"),  # the newest version that has it
        (("old", "mid", "new"), "new"),
    ],
)
def test_select_version_is_tomcats_rule(holders, expected):
    old, mid, new = Ctx("old", ("s",) if "old" in holders else ()), Ctx("mid"), Ctx("new")
    for ctx in (mid, new):
        if ctx.name in holders:
            ctx.sessions.add("s")
    chosen = select_version((old, mid, new), lambda ctx: "s" in ctx.sessions)
    assert (chosen.name if chosen is not None else None) == expected
