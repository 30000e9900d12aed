"""What every example page shares: its head (title, style sheets, the
favicon), the links back to the examples' index and to the example's own
source, and how values are shown.

Values are shown as Tomcat's Java examples show them, not as Python
prints them: ``true``/``false`` for booleans, ``null`` for None, a class by
the name the webapp wrote (``errors.ExampleFailure``, not the package the
container imported it under) and an exception as ``Class: message``.
"""

import html

#: The package the container imported this webapp's classes under
#: (``<something>.`` before ``example_page``), so that class names can be
#: shown as the webapp wrote them.
_OWN_PACKAGE = __name__.rpartition(".")[0] + "." if "." in __name__ else ""


def class_name(cls):
    """A class by the dotted name its webapp would use for it: ``errors.ExampleFailure``,
    ``ValueError`` for a built-in one."""
    module = cls.__module__
    if _OWN_PACKAGE and module.startswith(_OWN_PACKAGE):
        module = module[len(_OWN_PACKAGE):]
    if module == "builtins":
        return cls.__qualname__
    return f"{module}.{cls.__qualname__}"


def show(value):
    """A value as text, as Java's ``String.valueOf`` would show it."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, type):
        return class_name(value)
    if isinstance(value, BaseException):
        message = str(value)
        return f"{class_name(type(value))}: {message}" if message else class_name(type(value))
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(show(v) for v in value) + "]"
    return str(value)


def cell(value):
    """A table cell for *value*: escaped, ``null`` in italics."""
    if value is None:
        return "<td><em>null</em></td>"
    return f"<td>{html.escape(show(value))}</td>"


def head(context_path, title, source=None):
    """The start of an example page, up to and including its navigation.

    *context_path* is the webapp's (``request.get_context_path()``);
    *source* the example's file under ``WEB-INF/classes`` (``cookies.py``),
    shown by ``/source/<file>``.
    """
    context = html.escape(context_path)
    links = [f'<a href="{context}/">Examples index</a>']
    if source:
        links.append(f'<a href="{context}/source/{html.escape(source)}">Source of this example '
                     f"(<code>{html.escape(source)}</code>)</a>")
    return ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title>"
            f'<link rel="icon" href="{context}/favicon.svg" type="image/svg+xml">'
            '<link rel="stylesheet" href="/catalina.css">'
            f'<link rel="stylesheet" href="{context}/examples.css"></head><body>'
            f'<nav class="example-nav">{" · ".join(links)}</nav>')


def tail():
    """The end of an example page."""
    return "</body></html>"
