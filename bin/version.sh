#!/usr/bin/env bash
# Print versions (bin/catalina.sh version).
exec "$(dirname "${BASH_SOURCE[0]}")/catalina.sh" version "$@"
