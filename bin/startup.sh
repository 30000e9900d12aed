#!/usr/bin/env bash
# Start catalina_py in the background (bin/catalina.sh start).
exec "$(dirname "${BASH_SOURCE[0]}")/catalina.sh" start "$@"
