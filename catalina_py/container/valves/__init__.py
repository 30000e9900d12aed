"""The container's own valves, as Tomcat's ``org.apache.catalina.valves``.

* :mod:`.access_log` -- ``AccessLogValve``: one line per request in a
  daily-rotated file under ``logs/``.
* :mod:`.error_report` -- ``ErrorReportValve``: the HTML page of an error
  response (also used by the connector for requests that never reach a
  container).

The modules are imported by their dotted names (server.xml ``className``
is mapped to them), so this package deliberately imports nothing itself.
"""
