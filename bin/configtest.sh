#!/usr/bin/env bash
# Check the configuration (bin/catalina.sh configtest).
exec "$(dirname "${BASH_SOURCE[0]}")/catalina.sh" configtest "$@"
