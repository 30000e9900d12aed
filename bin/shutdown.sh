#!/usr/bin/env bash
# Stop catalina_py through its shutdown port (bin/catalina.sh stop).
exec "$(dirname "${BASH_SOURCE[0]}")/catalina.sh" stop "$@"
