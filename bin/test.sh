#!/usr/bin/env bash
# Run the whole test suite: creates .venv with the test extras on first use.
# Extra arguments go to pytest (e.g. bin/test.sh tests/unit -k parser).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/setenv-venv.sh"
CATALINA_VENV_EXTRAS=test catalina_venv
cd "$CATALINA_HOME"
exec "$CATALINA_PYTHON" -m pytest "$@"
