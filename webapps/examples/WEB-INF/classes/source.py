"""Shows the source of the examples, as Tomcat's examples show theirs.

``/source/cookies.py`` answers the Python file ``WEB-INF/classes/cookies.py``
as ``text/plain``; ``/source/`` lists them all. Only the examples' own
Python files can be shown: the list is made once, from what the webapp's
``WEB-INF/classes`` folder holds (``*.py``, one folder deep), and a request
must name one of its entries exactly. The request path is never joined to
a file system path, so ``..``, ``%2e%2e``, absolute paths and anything else
are simply not in the list (404).
"""

import html

from catalina_py.servlet import HttpServlet

import example_page

#: Where the examples' Python files are, as a webapp resource path.
CLASSES = "/WEB-INF/classes/"
#: Largest file shown, in bytes (the examples are a few KiB each).
MAX_SOURCE_BYTES = 256 * 1024


class SourceServlet(HttpServlet):
    """``/source/<file>``: the example's Python source as text/plain."""

    def on_init(self):
        self.sources = self._list_sources()

    def _list_sources(self):
        """``{"cookies.py": "/WEB-INF/classes/cookies.py", "websocket/echo.py": ...}``."""
        context = self.get_servlet_context()
        found = {}
        folders = [CLASSES]
        depth = {CLASSES: 0}
        while folders:
            folder = folders.pop()
            for path in sorted(context.get_resource_paths(folder) or ()):
                name = path[len(CLASSES):]
                if path.endswith("/"):
                    if depth[folder] == 0 and not name.startswith(("_", ".")):
                        folders.append(path)
                        depth[path] = 1
                elif path.endswith(".py") and not name.rpartition("/")[2].startswith("."):
                    found[name] = path
        return found

    def do_get(self, request, response):
        name = (request.get_path_info() or "/")[1:]
        if not name:
            self._index(request, response)
            return
        resource = self.sources.get(name)
        stream = self.get_servlet_context().get_resource_as_stream(resource) if resource else None
        if stream is None:
            response.send_error(404, "No example has a source file by that name; see the list at source/")
            return
        with stream:
            data = stream.read(MAX_SOURCE_BYTES + 1)
        if len(data) > MAX_SOURCE_BYTES:
            response.send_error(404, "That file is too large to show")
            return
        response.set_content_type("text/plain;charset=UTF-8")
        response.set_header("X-Content-Type-Options", "nosniff")
        response.get_output_stream().write(data)

    def _index(self, request, response):
        context = html.escape(request.get_context_path())
        items = "".join(
            f'<li><a href="{context}/source/{html.escape(name)}"><code>{html.escape(name)}</code></a></li>'
            for name in sorted(self.sources))
        response.set_content_type("text/html")
        response.get_writer().write(
            example_page.head(request.get_context_path(), "Sources of the examples")
            + "<h1>Sources of the examples</h1>"
            "<p>The Python files under <code>WEB-INF/classes/</code> that make the examples "
            "(servlets, filters, WebSocket endpoints):</p>"
            f"<ul>{items}</ul>" + example_page.tail())
