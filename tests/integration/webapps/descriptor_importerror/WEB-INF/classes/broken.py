"""An annotated module that cannot be imported: the deployment fails."""

from catalina_py.servlet import HttpServlet, web_servlet

import no_such_module_anywhere  # noqa: F401


@web_servlet("/broken")
class Broken(HttpServlet):
    pass
