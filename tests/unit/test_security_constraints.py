"""The constraint resolver (catalina_py/security/constraints.py): the
Servlet specification's precedence as Tomcat's RealmBase applies it,
method lists and omissions, combining, uncovered methods."""

from __future__ import annotations

from catalina_py.security.constraints import (
    SecurityCollection,
    SecurityConstraint,
    find_constraints,
    is_permitted,
    needs_authentication,
    needs_secure_transport,
    pattern_matches,
    uncovered_method_constraints,
)


def c(*patterns: str, roles=(), methods=(), omitted=(), auth=True, guarantee="NONE", name="") -> SecurityConstraint:
    collection = SecurityCollection(tuple(patterns), frozenset(methods), frozenset(omitted), name)
    return SecurityConstraint(
        (collection,),
        auth_constraint=auth,
        roles=tuple(r for r in roles if r not in ("*", "**")),
        all_roles="*" in roles,
        authenticated_users="**" in roles,
        transport_guarantee=guarantee,
        display_name=name,
    )


def names(found) -> list[str]:
    return [x.display_name for x in found]


EXACT = c("/a/b", roles=["x"], name="exact")
PREFIX_A = c("/a/*", roles=["x"], name="prefix-a")
PREFIX_AB = c("/a/b/*", roles=["x"], name="prefix-ab")
EXT = c("*.jsp", roles=["x"], name="ext")
DEFAULT = c("/", roles=["x"], name="default")
ALL = [EXACT, PREFIX_A, PREFIX_AB, EXT, DEFAULT]


def test_exact_beats_everything() -> None:
    assert names(find_constraints(ALL, "/a/b", "GET")) == ["exact"]


def test_longest_prefix_wins() -> None:
    assert names(find_constraints(ALL, "/a/b/c.jsp", "GET")) == ["prefix-ab"]
    assert names(find_constraints(ALL, "/a/c.jsp", "GET")) == ["prefix-a"]
    # "/a/b/*" also matches "/a/b" itself, but the exact pattern is there.
    assert names(find_constraints([PREFIX_A, PREFIX_AB], "/a/b", "GET")) == ["prefix-ab"]


def test_prefix_matches_on_segment_boundaries_only() -> None:
    assert names(find_constraints([PREFIX_A], "/ab", "GET")) == []
    assert pattern_matches("/a/*", "/a")
    assert not pattern_matches("/a/*", "/abc")


def test_extension_then_default() -> None:
    assert names(find_constraints(ALL, "/x/y.jsp", "GET")) == ["ext"]
    assert names(find_constraints(ALL, "/x/y.html", "GET")) == ["default"]
    # An extension counts in the last segment only.
    assert names(find_constraints([EXT], "/x.jsp/y", "GET")) == []


def test_context_root_pattern() -> None:
    root = c("", roles=["x"], name="root")
    # As Tomcat: at the root both "" and "/" are exact matches.
    assert names(find_constraints([root, DEFAULT], "/", "GET")) == ["root", "default"]
    assert names(find_constraints([root, PREFIX_A], "/", "GET")) == ["root"]
    assert names(find_constraints([root, DEFAULT], "/other", "GET")) == ["default"]


def test_constraints_on_the_same_pattern_add_up() -> None:
    one = c("/s/*", roles=["a"], name="one")
    two = c("/s/*", roles=["b"], name="two")
    found = find_constraints([one, two], "/s/x", "GET")
    assert names(found) == ["one", "two"]
    assert is_permitted(found, True, lambda r: r == "b", ())


def test_method_list_leaves_other_methods_uncovered() -> None:
    post = c("/m/*", roles=["x"], methods=["POST"], name="post")
    assert names(find_constraints([post], "/m/x", "POST")) == ["post"]
    assert names(find_constraints([post], "/m/x", "GET")) == []


def test_uncovered_method_of_the_longest_prefix_falls_to_shorter_kinds_as_tomcat() -> None:
    # Tomcat: the prefix phase only counts when a collection covers the method.
    post = c("/m/*", roles=["x"], methods=["POST"], name="post")
    everything = c("/", roles=["y"], name="default")
    assert names(find_constraints([post, everything], "/m/x", "GET")) == ["default"]


def test_uncovered_method_of_an_exact_pattern_stays_unconstrained() -> None:
    post = c("/e", roles=["x"], methods=["POST"], name="post")
    everything = c("/", roles=["y"], name="default")
    assert names(find_constraints([post, everything], "/e", "GET")) == []


def test_omission() -> None:
    not_get = c("/o/*", roles=["x"], omitted=["GET"], name="not-get")
    assert names(find_constraints([not_get], "/o/x", "PUT")) == ["not-get"]
    assert names(find_constraints([not_get], "/o/x", "GET")) == []


def test_empty_auth_constraint_denies_everybody_and_wins() -> None:
    deny = c("/d/*", name="deny")
    open_ = c("/d/*", auth=False, name="open")
    found = find_constraints([deny, open_], "/d/x", "GET")
    assert not needs_authentication(found)
    assert not is_permitted(found, True, lambda r: True, ("x",))


def test_no_auth_constraint_lets_everybody_in() -> None:
    open_ = c("/p/*", auth=False, name="open")
    role = c("/p/*", roles=["x"], name="role")
    found = find_constraints([open_, role], "/p/q", "GET")
    assert not needs_authentication(found)
    assert is_permitted(found, False, lambda r: False, ())


def test_star_means_every_declared_role() -> None:
    star = [c("/s/*", roles=["*"])]
    assert needs_authentication(star)
    assert is_permitted(star, True, lambda r: r == "user", ("user", "admin"))
    assert not is_permitted(star, True, lambda r: r == "other", ("user", "admin"))
    assert not is_permitted(star, False, lambda r: True, ("user",))


def test_double_star_means_any_authenticated_user() -> None:
    anyone = [c("/a/*", roles=["**"])]
    assert needs_authentication(anyone)
    assert is_permitted(anyone, True, lambda r: False, ())
    assert not is_permitted(anyone, False, lambda r: False, ())


def test_transport_guarantee_combining() -> None:
    conf = c("/c/*", auth=False, guarantee="CONFIDENTIAL")
    integral = c("/c/*", auth=False, guarantee="INTEGRAL")
    none = c("/c/*", auth=False, guarantee="NONE")
    assert needs_secure_transport([conf])
    assert needs_secure_transport([conf, integral])
    assert not needs_secure_transport([conf, none])
    assert not needs_secure_transport([])


def test_uncovered_methods_reported_and_denied() -> None:
    post = c("/m/*", roles=["x"], methods=["POST"])
    added, messages = uncovered_method_constraints([post], deny=False)
    assert added == [] and "only the HTTP methods [POST]" in messages[0]
    added, messages = uncovered_method_constraints([post], deny=True)
    assert len(added) == 1 and added[0].denies_all
    # The added constraint covers every method but POST.
    everything = [post, *added]
    assert find_constraints(everything, "/m/x", "GET")[0].denies_all
    assert names(find_constraints(everything, "/m/x", "POST")) == [""]
    assert not find_constraints(everything, "/m/x", "POST")[0].denies_all


def test_uncovered_omissions_denied() -> None:
    not_get = c("/o/*", roles=["x"], omitted=["GET"])
    added, _ = uncovered_method_constraints([not_get], deny=True)
    assert [sorted(a.collections[0].methods) for a in added] == [["GET"]]
    # Covered by a method list elsewhere: nothing uncovered.
    get = c("/o/*", roles=["x"], methods=["GET"])
    assert uncovered_method_constraints([not_get, get], deny=True) == ([], [])


def test_fully_covered_patterns_are_not_reported() -> None:
    post = c("/m/*", roles=["x"], methods=["POST"])
    whole = c("/m/*", roles=["y"])
    assert uncovered_method_constraints([post, whole], deny=True) == ([], [])
