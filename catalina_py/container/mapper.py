"""Request mapping: host, context and servlet selection (Tomcat's ``Mapper``).

:class:`Mapper` implements the Servlet specification's mapping rules
(section 12.1/12.2) the way ``org.apache.catalina.mapper.Mapper`` does:

* **Host**: the ``Host`` header name (port stripped, case-insensitive), or
  an alias, or a wildcard name ``*.example.com``; anything else goes to the
  default host.
* **Context**: the longest context path that is a prefix of the path on a
  segment boundary (``/examples`` serves ``/examples`` and ``/examples/x``,
  never ``/examplesfoo``); the ROOT context (path ``""``) is the fallback.
* **Context version** (Tomcat's ``ContextVersion``, parallel deployment and
  reloads): one path may hold several versions of a context; a request goes
  to the newest, unless the caller asks for another one it holds
  (``map(..., version=obj)``); :func:`select_version` is Tomcat's rule for
  which (the newest version that knows the request's session id).
* **Wrapper**, tried in this order on the context-relative path:

  1. exact match (the context-root pattern ``""`` matches exactly ``/``);
  2. longest path-prefix ``/x/*`` (``/x/*`` also matches ``/x``);
  -  the context root requested without its slash (``/examples``) and not
     matched by 1 or 2 becomes a redirect to ``/examples/``
     (``mapperContextRootRedirectEnabled="true"``);
  3. extension ``*.ext`` on the last segment;
  4. for paths ending in ``/``, each welcome file in turn: (a) exact,
     (b) prefix, (c) if ``resource_exists`` says the file is there, by
     extension or else the default servlet; then, for all welcome files
     again, (d) by extension even without a file, skipping wrappers added
     with ``resource_only=True`` (JSP-like servlets);
  7. the default servlet ``/``.

The mapper is pure: the filesystem is only reached through the
``resource_exists`` callback given per context.  Lookups are dictionary
probes: exact and extension patterns are dict keys; prefix patterns and
context paths are found by probing the path and its parents, starting at
the deepest configured nesting.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ..http.grammar import split_host

__all__ = ["MappingData", "Mapper", "UNMAPPED", "select_version"]

#: MappingData.match_type values (jakarta.servlet.http.MappingMatch).
EXACT = "exact"
PREFIX = "prefix"
EXTENSION = "extension"
DEFAULT = "default"
CONTEXT_ROOT = "context_root"


@dataclass(slots=True)
class MappingData:
    """The result of :meth:`Mapper.map`.

    :ivar host: the host object, or ``None`` (no such host and no default).
    :ivar context: the context object, or ``None`` (404).
    :ivar context_path: ``""`` for ROOT, else e.g. ``"/examples"``.
    :ivar wrapper: the wrapper (servlet) object, or ``None`` (404, or a
        redirect when ``redirect_path`` is set).
    :ivar servlet_path: ``HttpServletRequest.getServletPath()``.
    :ivar path_info: ``getPathInfo()``; ``None`` when there is none.
    :ivar match_type: ``"exact"``, ``"prefix"``, ``"extension"``,
        ``"default"`` or ``"context_root"``; ``""`` when unmapped.
    :ivar match_pattern: the url-pattern that matched (``HttpServletMapping
        .getPattern()``): ``"/x"``, ``"/x/*"``, ``"*.jsp"``, ``"/"``, ``""``.
    :ivar redirect_path: set (decoded, e.g. ``"/examples/"``) when the
        client must be redirected; the caller re-encodes it and appends the
        query string.
    :ivar relative_path: the decoded path inside the context (``"/"`` at
        least) that was mapped.
    :ivar versions: when the context path holds more than one version, every
        version's context object, oldest first (Tomcat's
        ``MappingData.contexts``); ``None`` otherwise.

    Once on a request (``Request.mapping``) it is read-only: a dispatch
    replaces it whole. (Not a frozen dataclass: the Mapper fills it in as
    it applies its rules, and a frozen one costs three times as much to
    build, once per request.)
    """

    host: Any = None
    context: Any = None
    context_path: str = ""
    wrapper: Any = None
    servlet_path: str = ""
    path_info: str | None = None
    match_type: str = ""
    match_pattern: str = ""
    redirect_path: str | None = None
    relative_path: str = "/"
    versions: tuple[Any, ...] | None = None

    @property
    def wrapper_name(self) -> str | None:
        """The name of the servlet mapped to, or None."""
        wrapper = self.wrapper
        return None if wrapper is None else wrapper.name


#: The mapping of a request not mapped (yet): no host, no context.
UNMAPPED = MappingData()


class _Mapped:
    """One url-pattern's target."""

    __slots__ = ("wrapper", "pattern", "resource_only")

    def __init__(self, wrapper: Any, pattern: str, resource_only: bool) -> None:
        self.wrapper = wrapper
        self.pattern = pattern
        self.resource_only = resource_only


class _Context:
    """A context (one version of it) and its wrapper tables."""

    __slots__ = (
        "path",
        "obj",
        "version",
        "seq",
        "versions",
        "welcome_files",
        "resource_exists",
        "exact",
        "prefix",
        "prefix_depth",
        "extension",
        "default",
    )

    def __init__(
        self, path: str, obj: Any, welcome_files: Sequence[str], resource_exists: Callable[[str], bool] | None
    ) -> None:
        self.path = path
        self.obj = obj
        #: the webapp version (``name##version``; "" for none) and the order
        #: it was added in: the newest version has the greatest (version, seq).
        self.version = ""
        self.seq = 0
        #: on the newest version only, when the path holds several: all of
        #: them, oldest first.
        self.versions: tuple[_Context, ...] | None = None
        self.welcome_files: tuple[str, ...] = tuple(welcome_files)
        self.resource_exists = resource_exists
        #: exact pattern -> target; the context-root pattern "" is keyed "/".
        self.exact: dict[str, _Mapped] = {}
        #: "/x/*" keyed "/x" ("/*" keyed "").
        self.prefix: dict[str, _Mapped] = {}
        #: the most '/' in a prefix key, to start probing there.
        self.prefix_depth = 0
        #: "*.ext" keyed "ext".
        self.extension: dict[str, _Mapped] = {}
        self.default: _Mapped | None = None


class _Host:
    """A virtual host and its contexts."""

    __slots__ = ("name", "obj", "aliases", "contexts", "context_depth")

    def __init__(self, name: str, obj: Any) -> None:
        self.name = name
        self.obj = obj
        self.aliases: set[str] = set()
        self.contexts: dict[str, _Context] = {}
        #: the most '/' in a context path, to start probing there.
        self.context_depth = 0


def _host_key(name: str) -> str:
    """Lower-case a configured host name; ``*.x`` is stored as ``.x``."""
    name = name.strip().lower()
    if name.startswith("*."):
        return name[1:]
    return name


def _truncate(path: str, depth: int) -> str:
    """Return the first ``depth`` segments of ``path`` (``/a/b/c``, 2 -> ``/a/b``)."""
    pos = 0
    for _ in range(depth):
        pos = path.find("/", pos + 1)
        if pos < 0:
            return path
    return path[:pos]


def _longest(table: dict[str, Any], path: str, depth: int) -> tuple[str, Any] | None:
    """Find the longest key of ``table`` that is ``path`` or a parent of it.

    Keys are ``""`` or ``/seg[/seg...]``; a key matches on segment
    boundaries only.
    """
    probe = _truncate(path, depth)
    while True:
        hit = table.get(probe)
        if hit is not None:
            return probe, hit
        if not probe:
            return None
        probe = probe[: probe.rfind("/")]


def _validate_pattern(pattern: str) -> None:
    """Reject url-patterns Tomcat's ``StandardContext`` would reject."""
    if "\n" in pattern or "\r" in pattern:
        raise ValueError(f"invalid url-pattern {pattern!r}")
    if pattern == "":
        return
    if pattern.startswith("*."):
        if "/" in pattern:
            raise ValueError(f"invalid url-pattern {pattern!r}")
        return
    if not pattern.startswith("/") or "*." in pattern:
        raise ValueError(f"invalid url-pattern {pattern!r}")


_HOST_CACHE_SIZE = 1024


class Mapper:
    """Maps ``(host, decoded path)`` to host, context and wrapper objects.

    Host, context and wrapper objects are opaque to the mapper.  Mutations
    are plain dict updates, safe between requests on a gevent hub.
    """

    def __init__(self) -> None:
        self._hosts: dict[str, _Host] = {}
        # Counts the context versions added, to order same-named versions.
        self._seq = 0
        self._default_host: str | None = None
        # Host header value -> entry, so the same header is resolved once;
        # emptied whenever the hosts change, and when it grows too large
        # (clients choose the Host header).
        self._host_cache: dict[str | None, _Host | None] = {}

    # ------------------------------------------------------------- hosts

    def add_host(self, name: str, host: Any, aliases: Iterable[str] = ()) -> None:
        """Add (or replace) a virtual host, reachable by ``name`` and ``aliases``.

        ``*.example.com`` names or aliases match any one-label subdomain
        that has no exact entry, as in Tomcat.
        """
        self._host_cache.clear()
        key = _host_key(name)
        old = self._hosts.get(key)
        if old is not None and old.name != key:
            raise ValueError(f"host name {name!r} is already an alias")
        entry = _Host(key, host)
        if old is not None:
            # Re-adding keeps the contexts (Tomcat's Mapper does the same).
            entry.contexts = old.contexts
            entry.context_depth = old.context_depth
            entry.aliases = old.aliases
        self._hosts[key] = entry
        for alias_key in list(entry.aliases):
            self._hosts[alias_key] = entry
        for alias in aliases:
            self.add_host_alias(key, alias)

    def add_host_alias(self, name: str, alias: str) -> None:
        """Make ``alias`` another name of host ``name``.

        :raises KeyError: no such host.
        """
        self._host_cache.clear()
        entry = self._host(name)
        alias_key = _host_key(alias)
        existing = self._hosts.get(alias_key)
        if existing is not None and existing is not entry:
            raise ValueError(f"host name {alias!r} is already in use")
        entry.aliases.add(alias_key)
        self._hosts[alias_key] = entry

    def remove_host(self, name: str) -> None:
        """Remove a host and all its aliases (no error if absent)."""
        self._host_cache.clear()
        entry = self._hosts.get(_host_key(name))
        if entry is None:
            return
        for key in [entry.name, *entry.aliases]:
            if self._hosts.get(key) is entry:
                del self._hosts[key]

    def set_default_host(self, name: str) -> None:
        """Use host ``name`` for unknown or missing ``Host`` headers.

        The host may be added later (the Engine's ``defaultHost`` is known
        before its hosts).
        """
        self._host_cache.clear()
        self._default_host = _host_key(name)

    def _host(self, name: str) -> _Host:
        """Return the host entry for a configured name or alias."""
        try:
            return self._hosts[_host_key(name)]
        except KeyError:
            raise KeyError(f"no host {name!r}") from None

    # ---------------------------------------------------------- contexts

    def add_context(
        self,
        host_name: str,
        path: str,
        context: Any,
        welcome_files: Sequence[str] = (),
        resource_exists: Callable[[str], bool] | None = None,
        version: str | None = None,
    ) -> None:
        """Add (or replace, keeping nothing) the context at ``path``; with a
        *version*, add it as one more version beside those already there.

        :param path: ``""`` (or ``"/"``) for ROOT, else ``/name[/more]``
            without a trailing slash.
        :param welcome_files: names such as ``"index.html"`` (Rule 4).
        :param resource_exists: ``f(context_relative_path) -> bool``, true
            only when the path names an existing *file* (Rule 4c); without
            it Rule 4c is skipped.
        :param version: ``None`` replaces every version at *path*; a string
            (``""`` for an unversioned webapp) adds *context* beside them.
            The newest version is the one with the greatest version string
            (compared as strings, as Tomcat does) and, among equal strings,
            the one added last; it gets the requests (until a version
            holding a request's session is asked for).
        :raises KeyError: no such host.
        :raises ValueError: a malformed path.
        """
        entry = self._host(host_name)
        if path == "/":
            path = ""
        if path and (not path.startswith("/") or path.endswith("/")):
            raise ValueError(f"invalid context path {path!r}")
        for welcome in welcome_files:
            if not welcome or welcome.startswith("/"):
                raise ValueError(f"invalid welcome file {welcome!r}")
        ctx = _Context(path, context, welcome_files, resource_exists)
        self._seq += 1
        ctx.seq = self._seq
        if version is not None:
            ctx.version = version
            old = entry.contexts.get(path)
            if old is not None:
                self._set_versions(entry, path, [*(old.versions or (old,)), ctx])
                return
        entry.contexts[path] = ctx
        entry.context_depth = max(entry.context_depth, path.count("/"))

    @staticmethod
    def _set_versions(entry: _Host, path: str, versions: list[_Context]) -> None:
        """Store the versions at *path*: the newest keyed by the path (what
        a request meets first), all of them on it when there are several."""
        versions.sort(key=lambda c: (c.version, c.seq))
        for ctx in versions:
            ctx.versions = None
        newest = versions[-1]
        newest.versions = tuple(versions) if len(versions) > 1 else None
        entry.contexts[path] = newest
        entry.context_depth = max(entry.context_depth, path.count("/"))

    def remove_context_version(self, host_name: str, path: str, context: Any) -> None:
        """Remove the version of the context at *path* whose object is
        *context* (no error if absent); the path goes when it was the last."""
        entry = self._hosts.get(_host_key(host_name))
        if entry is None:
            return
        path = "" if path == "/" else path
        current = entry.contexts.get(path)
        if current is None:
            return
        left = [c for c in (current.versions or (current,)) if c.obj is not context]
        if not left:
            self.remove_context(host_name, path)
        else:
            self._set_versions(entry, path, left)

    def context_versions(self, host_name: str, path: str) -> list[tuple[str, Any]]:
        """``(version, context object)`` of every version at *path*, oldest
        first; empty when the path has no context."""
        entry = self._hosts.get(_host_key(host_name))
        current = None if entry is None else entry.contexts.get("" if path == "/" else path)
        if current is None:
            return []
        return [(c.version, c.obj) for c in (current.versions or (current,))]

    def remove_context(self, host_name: str, path: str) -> None:
        """Remove the context at ``path`` (no error if absent)."""
        entry = self._hosts.get(_host_key(host_name))
        if entry is None:
            return
        entry.contexts.pop("" if path == "/" else path, None)
        entry.context_depth = max((p.count("/") for p in entry.contexts), default=0)

    def set_welcome_files(self, host_name: str, context_path: str, welcome_files: Sequence[str]) -> None:
        """Replace a context's welcome-file list."""
        self._context(host_name, context_path).welcome_files = tuple(welcome_files)

    def _context(self, host_name: str, path: str, version: Any = None) -> _Context:
        """Return a configured context entry: the newest version, or the
        one whose object is *version*."""
        try:
            ctx = self._host(host_name).contexts["" if path == "/" else path]
        except KeyError:
            raise KeyError(f"no context {path!r} on host {host_name!r}") from None
        if version is None or ctx.obj is version:
            return ctx
        for older in ctx.versions or ():
            if older.obj is version:
                return older
        raise KeyError(f"no such version of context {path!r} on host {host_name!r}")

    # ---------------------------------------------------------- wrappers

    def add_wrapper(
        self,
        host_name: str,
        context_path: str,
        pattern: str,
        wrapper: Any,
        resource_only: bool = False,
        version: Any = None,
    ) -> None:
        """Map ``pattern`` (a web.xml url-pattern) to ``wrapper``, in the
        newest version of the context or in the one whose object is
        *version*.

        A pattern already mapped is re-pointed to the new wrapper, as
        ``StandardContext.addServletMappingDecoded`` does.

        :param resource_only: the servlet only serves existing files (a JSP
            servlet); Rule 4d then skips it.
        :raises KeyError: no such host or context.
        :raises ValueError: an invalid url-pattern.
        """
        _validate_pattern(pattern)
        ctx = self._context(host_name, context_path, version)
        mapped = _Mapped(wrapper, pattern, resource_only)
        if pattern.endswith("/*"):
            name = pattern[:-2]
            ctx.prefix[name] = mapped
            ctx.prefix_depth = max(ctx.prefix_depth, name.count("/"))
        elif pattern.startswith("*."):
            ctx.extension[pattern[2:]] = mapped
        elif pattern == "/":
            ctx.default = mapped
        else:
            ctx.exact[pattern or "/"] = mapped

    def remove_wrapper(self, host_name: str, context_path: str, pattern: str) -> None:
        """Remove the mapping of ``pattern`` (no error if absent)."""
        try:
            ctx = self._context(host_name, context_path)
        except KeyError:
            return
        if pattern.endswith("/*"):
            ctx.prefix.pop(pattern[:-2], None)
            ctx.prefix_depth = max((n.count("/") for n in ctx.prefix), default=0)
        elif pattern.startswith("*."):
            ctx.extension.pop(pattern[2:], None)
        elif pattern == "/":
            ctx.default = None
        else:
            ctx.exact.pop(pattern or "/", None)

    # ----------------------------------------------------------- mapping

    def map(self, host: str | None, path: str, version: Any = None) -> MappingData:
        """Map a request.

        :param host: the ``Host`` header value (a port and IPv6 brackets are
            handled; case-insensitive); ``None`` or unknown -> default host.
        :param path: the decoded, normalised path (``ParsedUri.decoded_path``).
            A path not starting with ``/`` (e.g. ``*``) maps the host only.
        :param version: a context object: when the mapped path holds it as
            one of its versions, that version is used instead of the newest
            (Tomcat's re-mapping by session, :func:`select_version`).
        """
        md = MappingData()
        entry = self._find_host(host)
        if entry is None:
            return md
        md.host = entry.obj
        if not path.startswith("/"):
            return md
        contexts = entry.contexts
        if not contexts:
            return md
        if entry.context_depth == 1:
            # The common layout (ROOT and one-segment contexts): one look-up
            # of the first segment, then ROOT.
            slash = path.find("/", 1)
            first = contexts.get(path if slash < 0 else path[:slash])
            if first is None:
                first = contexts.get("")
                if first is None:
                    return md
            ctx: _Context = first
        else:
            found = _longest(contexts, path, entry.context_depth)
            if found is None:
                return md
            ctx = found[1]
        if ctx.versions is not None:
            md.versions = tuple(c.obj for c in ctx.versions)
            if version is not None and version is not ctx.obj:
                for older in ctx.versions:
                    if older.obj is version:
                        ctx = older
                        break
        md.context = ctx.obj
        md.context_path = ctx.path
        rel = path[len(ctx.path) :]
        md.relative_path = rel or "/"
        self._map_wrapper(ctx, rel, md)
        return md

    def map_context(self, host: str | None, context_path: str, relative_path: str, version: Any = None) -> MappingData:
        """Map ``relative_path`` inside a known context (for RequestDispatcher):
        its newest version, or the version whose object is *version* when the
        path still holds it (a dispatch stays in the version it started in).

        :raises KeyError: no such host or context.
        """
        entry = self._find_host(host)
        if entry is None:
            raise KeyError(f"no host {host!r}")
        ctx = entry.contexts.get("" if context_path == "/" else context_path)
        if ctx is None:
            raise KeyError(f"no context {context_path!r}")
        if version is not None and ctx.versions is not None:
            ctx = next((c for c in ctx.versions if c.obj is version), ctx)
        md = MappingData(host=entry.obj, context=ctx.obj, context_path=ctx.path, relative_path=relative_path or "/")
        self._map_wrapper(ctx, relative_path, md)
        return md

    def _find_host(self, host: str | None) -> _Host | None:
        """Resolve a Host header value to a host entry (or the default)."""
        cache = self._host_cache
        try:
            return cache[host]
        except KeyError:
            pass
        entry = self._resolve_host(host)
        if len(cache) >= _HOST_CACHE_SIZE:
            cache.clear()
        cache[host] = entry
        return entry

    def _resolve_host(self, host: str | None) -> _Host | None:
        hosts = self._hosts
        if host:
            name = split_host(host.lower(), brackets=True)[0]
            entry = hosts.get(name)
            if entry is not None:
                return entry
            dot = name.find(".")
            if dot >= 0:
                entry = hosts.get(name[dot:])
                if entry is not None:
                    return entry
        if self._default_host is None:
            return None
        return hosts.get(self._default_host)

    @staticmethod
    def _map_wrapper(ctx: _Context, rel: str, md: MappingData) -> None:
        """Apply the Servlet-spec rules to context-relative path ``rel``."""
        # Rule 1 -- exact match.
        hit = ctx.exact.get(rel)
        if hit is not None:
            _set_exact(md, hit, rel)
            return

        # Rule 2 -- longest path-prefix match.
        if ctx.prefix and _map_prefix(ctx, rel, md):
            return

        if not rel:
            # The context root without its trailing slash: redirect.
            md.redirect_path = ctx.path + "/"
            return

        # Rule 3 -- extension match.
        if ctx.extension and _map_extension(ctx, rel, md, True):
            return

        # Rule 4 -- welcome files, for directory requests.
        if rel[-1] == "/" and ctx.welcome_files and _map_welcome(ctx, rel, md):
            return

        # Rule 7 -- default servlet.
        if ctx.default is not None:
            _set_default(md, ctx.default, rel)


def select_version(versions: Sequence[Any], has_session: Callable[[Any], bool]) -> Any | None:
    """Tomcat's rule (``CoyoteAdapter.postParseRequest``) for a request
    carrying a session id at a path with several versions: the newest
    version, of *versions* (oldest first), for which *has_session* is true;
    ``None`` when none is (the request stays on the newest)."""
    for candidate in reversed(versions):
        if has_session(candidate):
            return candidate
    return None


def _set_exact(md: MappingData, hit: _Mapped, path: str) -> None:
    """Record an exact (or context-root) match."""
    md.wrapper = hit.wrapper
    md.match_pattern = hit.pattern
    if hit.pattern == "":
        # The context-root pattern: servlet path "" and path info "/".
        md.servlet_path = ""
        md.path_info = "/"
        md.match_type = CONTEXT_ROOT
    else:
        md.servlet_path = path
        md.path_info = None
        md.match_type = EXACT


def _map_prefix(ctx: _Context, path: str, md: MappingData) -> bool:
    """Rule 2 on ``path``; record the match and return whether there was one."""
    found = _longest(ctx.prefix, path, ctx.prefix_depth)
    if found is None:
        return False
    name, hit = found
    md.wrapper = hit.wrapper
    md.servlet_path = name
    md.path_info = path[len(name) :] or None
    md.match_type = PREFIX
    md.match_pattern = hit.pattern
    return True


def _map_extension(ctx: _Context, path: str, md: MappingData, resource_expected: bool) -> bool:
    """Rule 3 on ``path``; record the match and return whether there was one."""
    dot = path.rfind(".")
    if dot < 0 or dot < path.rfind("/"):
        return False
    hit = ctx.extension.get(path[dot + 1 :])
    if hit is None or (hit.resource_only and not resource_expected):
        return False
    md.wrapper = hit.wrapper
    md.servlet_path = path
    md.path_info = None
    md.match_type = EXTENSION
    md.match_pattern = hit.pattern
    return True


def _set_default(md: MappingData, hit: _Mapped, path: str) -> None:
    """Record a default-servlet match for ``path``."""
    md.wrapper = hit.wrapper
    md.servlet_path = path
    md.path_info = None
    md.match_type = DEFAULT
    md.match_pattern = "/"


def _map_welcome(ctx: _Context, rel: str, md: MappingData) -> bool:
    """Rule 4 (a-d) for a directory path ``rel``."""
    exists = ctx.resource_exists
    for welcome in ctx.welcome_files:
        candidate = rel + welcome
        # 4a -- exact.
        hit = ctx.exact.get(candidate)
        if hit is not None:
            _set_exact(md, hit, candidate)
            return True
        # 4b -- prefix.
        if ctx.prefix and _map_prefix(ctx, candidate, md):
            return True
        # 4c -- a physical welcome file: by extension, else the default.
        if exists is not None and exists(candidate):
            if ctx.extension and _map_extension(ctx, candidate, md, True):
                return True
            if ctx.default is not None:
                _set_default(md, ctx.default, candidate)
                return True
    # 4d -- an extension mapping with no file behind it (index.do, ...).
    if ctx.extension:
        for welcome in ctx.welcome_files:
            if _map_extension(ctx, rel + welcome, md, False):
                return True
    return False
