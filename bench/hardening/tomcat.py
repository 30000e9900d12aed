"""A private Apache Tomcat 10.1 (Debian's tomcat10) for the hardening scripts
that compare with it: its own CATALINA_BASE in a temporary directory, a
Connector on a free loopback port, no shutdown port, the ``hard`` webapp's
servlets in Java (compiled here with javac against Tomcat's servlet API) and a
static ``index.html``; started with ``catalina.sh run`` and stopped by its PID."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

from bench.hardening.common import free_port

TOMCAT_HOME = Path("/usr/share/tomcat10")
CONFIG = Path("/etc/tomcat10")

SERVER_XML = """<?xml version="1.0" encoding="UTF-8"?>
<Server port="-1" shutdown="SHUTDOWN">
  <Service name="Catalina">
    <Connector port="{port}" address="127.0.0.1" protocol="HTTP/1.1" connectionTimeout="20000" {attrs}/>
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
    return (TOMCAT_HOME / "bin" / "catalina.sh").exists() and shutil.which("javac") is not None


class Tomcat:
    """One Tomcat process in *base* (a fresh directory)."""

    def __init__(self, base: Path, connector_attrs: str = "") -> None:
        self.base = base
        self.port = free_port()
        conf = base / "conf"
        conf.mkdir(parents=True)
        for name in ("web.xml", "logging.properties", "catalina.properties", "context.xml", "tomcat-users.xml"):
            shutil.copy(CONFIG / name, conf / name)
        (conf / "server.xml").write_text(SERVER_XML.format(port=self.port, attrs=connector_attrs))
        for d in ("logs", "temp", "work", "webapps"):
            (base / d).mkdir()
        app = base / "webapps" / "hard"
        src = base / "src" / "hard"
        src.mkdir(parents=True)
        classes = app / "WEB-INF" / "classes"
        classes.mkdir(parents=True)
        for name, body in BODIES.items():
            (src / f"{name}.java").write_text(JAVA.format(name=name, body=body))
        subprocess.run(
            ["javac", "-nowarn", "-cp", str(TOMCAT_HOME / "lib" / "servlet-api.jar"), "-d", str(classes)]
            + [str(p) for p in src.glob("*.java")],
            check=True,
        )
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
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 90.0) -> Tomcat:
        env = dict(os.environ, CATALINA_HOME=str(TOMCAT_HOME), CATALINA_BASE=str(self.base))
        self.out = open(self.base / "logs" / "stdout.txt", "wb")
        self.proc = subprocess.Popen(
            [str(TOMCAT_HOME / "bin" / "catalina.sh"), "run"], env=env, stdout=self.out, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"tomcat exited: {(self.base / 'logs' / 'stdout.txt').read_text()[-2000:]}")
            if "Server startup in" in (self.base / "logs" / "stdout.txt").read_text(errors="replace"):
                return self
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("tomcat did not start")

    @property
    def pid(self) -> int:
        """The JVM's PID (catalina.sh run execs java)."""
        assert self.proc is not None
        return self.proc.pid

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.out.close()
