#!/usr/bin/env bash
# Control script, as Tomcat's catalina.sh:
#   bin/catalina.sh run          start in the foreground (Ctrl-C stops it)
#                                (run/start --workers N|auto: worker processes, docs/deployment.md)
#   bin/catalina.sh start        start in the background, output in $CATALINA_BASE/logs/catalina.out
#   bin/catalina.sh stop         stop through the shutdown port
#   bin/catalina.sh configtest   check the configuration and import every webapp's classes, then exit
#   bin/catalina.sh version      print versions
#   bin/catalina.sh tour [NAME]  the guided tour of the connector (docs/tour.md)
# bin/catalina.sh --help lists them; bin/catalina.sh COMMAND --help a command's options.
# Options of the form -Dname=value set ${name} for conf/server.xml.
# Environment: CATALINA_HOME (this install), CATALINA_BASE (the instance,
# default CATALINA_HOME), CATALINA_PID (default $CATALINA_BASE/logs/catalina.pid).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/setenv-venv.sh"
[ -f "$CATALINA_BASE/bin/setenv.sh" ] && . "$CATALINA_BASE/bin/setenv.sh"
catalina_venv
mkdir -p "$CATALINA_BASE/logs"
if [ "${1:-}" = "run" ]; then
  exec "$CATALINA_PYTHON" -m catalina_py "$@"
fi
"$CATALINA_PYTHON" -m catalina_py "$@"
