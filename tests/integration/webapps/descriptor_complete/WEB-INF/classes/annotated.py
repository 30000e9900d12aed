"""Never imported: the descriptor is metadata-complete (if the scan ran,
the deployment would fail on the error below)."""

from catalina_py.servlet import HttpServlet, web_servlet

raise RuntimeError("annotated.py must not be imported when metadata-complete")


@web_servlet("/annotated")
class Annotated(HttpServlet):
    pass
