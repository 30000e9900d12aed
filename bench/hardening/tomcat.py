"""A private Apache Tomcat 10.1 (Debian's tomcat10) for the hardening scripts
that compare with it, started by tests/tomcat.py's ``TomcatProcess``: its own
CATALINA_BASE in a fresh directory, a Connector on a free loopback port, no
shutdown port, the ``hard`` webapp's servlets in Java (compiled here with javac
against Tomcat's servlet API) and a static ``index.html``; started with
``catalina.sh run`` and stopped by its PID."""

from __future__ import annotations

from pathlib import Path

from tests.tomcat import SERVLET_API, TomcatProcess, missing_tomcat

#: A minimal server.xml (not Debian's): one Connector, one Host, an access log.
SERVER_XML = """<?xml version="1.0" encoding="UTF-8"?>
<Server port="-1" shutdown="SHUTDOWN">
  <Service name="Catalina">
    <Connector port="{port}" address="127.0.0.1" protocol="HTTP/1.1" connectionTimeout="20000" {connector_attrs}/>
    <Engine name="Catalina" defaultHost="localhost">
      <Host name="localhost" appBase="webapps" unpackWARs="false" autoDeploy="false">
        <Valve className="org.apache.catalina.valves.AccessLogValve" directory="logs"
               prefix="localhost_access_log" suffix=".txt" pattern="%h %l %u %t &quot;%r&quot; %s %b"/>
      </Host>
    </Engine>
  </Service>
</Server>
"""

JAVA = """
package hard;

import jakarta.servlet.http.*;
import java.io.*;

public class {name} extends HttpServlet {{
    protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {{
        {body}
    }}
}}
"""

BODIES = {
    "ReadServlet": """InputStream in = request.getInputStream(); byte[] buf = new byte[65536]; long read = 0; int n;
        while ((n = in.read(buf)) > 0) read += n;
        response.setContentType("text/plain"); response.getWriter().write("read " + read + "\\n");""",
    "IgnoreServlet": """response.setContentType("text/plain"); response.getWriter().write("ignored\\n");""",
    "FormServlet": """String v = request.getParameter("a");
        response.setContentType("text/plain"); response.getWriter().write("a=" + (v == null ? "None" : String.valueOf(v.length())) + "\\n");""",
    "HeaderServlet": """String v = request.getParameter("v"); response.setHeader("X-Echo", v == null ? "" : v);
        response.setContentType("text/plain"); response.getWriter().write("ok\\n");""",
    "RedirectServlet": """String to = request.getParameter("to"); response.sendRedirect(to == null ? "/" : to);""",
}

WEB_XML_MAPPINGS = {
    "ReadServlet": "/read",
    "IgnoreServlet": "/ignore",
    "FormServlet": "/form",
    "HeaderServlet": "/header",
    "RedirectServlet": "/redirect",
}


def available() -> bool:
    """Whether Tomcat 10 and javac are installed."""
    return missing_tomcat() is None


class Tomcat(TomcatProcess):
    """One Tomcat process in *base* (a fresh directory) serving the ``hard``
    webapp, with the minimal ``SERVER_XML`` and the JVM's own options."""

    def __init__(self, base: Path, connector_attrs: str = "") -> None:
        super().__init__(base, connector_attrs=connector_attrs, server_xml=SERVER_XML, java_opts=None)
        app = base / "webapps" / "hard"
        src = base / "src" / "hard"
        src.mkdir(parents=True)
        (app / "WEB-INF").mkdir(parents=True)
        for name, body in BODIES.items():
            (src / f"{name}.java").write_text(JAVA.format(name=name, body=body))
        self.compile("hard", sorted(src.glob("*.java")), jars=[SERVLET_API])
        mappings = "\n".join(
            f"<servlet><servlet-name>{n}</servlet-name><servlet-class>hard.{n}</servlet-class></servlet>"
            f"<servlet-mapping><servlet-name>{n}</servlet-name><url-pattern>{p}</url-pattern></servlet-mapping>"
            for n, p in WEB_XML_MAPPINGS.items()
        )
        (app / "WEB-INF" / "web.xml").write_text(
            '<?xml version="1.0" encoding="UTF-8"?>\n<web-app xmlns="https://jakarta.ee/xml/ns/jakartaee" '
            f'version="6.0">\n{mappings}\n</web-app>\n'
        )
        (app / "index.html").write_text("<!doctype html><title>hard</title>hard\n")

    def stop(self, timeout: float = 20.0) -> None:
        """Stops Tomcat by its PID (see ``TomcatProcess.stop``)."""
        super().stop(timeout)
