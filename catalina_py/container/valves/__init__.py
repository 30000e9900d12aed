"""The container's own valves, as Tomcat's ``org.apache.catalina.valves``.

* :mod:`.access_log` -- ``AccessLogValve``: one line per request in a
  daily-rotated file under ``logs/``; a subscriber of the event stream's
  ``RequestCompleted``. Its pattern compiler is :mod:`.access_log_pattern`,
  its file (buffering, rotation) :mod:`.access_log_file`.
* :mod:`.remote_ip` -- ``RemoteIpValve``: the client's address and scheme as
  a trusted proxy reports them (``X-Forwarded-*``).
* :mod:`.error_report` -- ``ErrorReportValve``: the HTML page of an error
  response (also used by the connector for requests that never reach a
  container).

The modules are imported by their dotted names (server.xml ``className``
is mapped to them), so this package deliberately imports nothing itself.
"""
