#!/usr/bin/env bash
# Run the linters: ruff (lint rules and formatting) over catalina_py/, tests/
# and bench/, and mypy over catalina_py/ (strict on http/ and websocket/; see
# pyproject.toml). Uses the project's .venv, created with the test extras
# (which pin ruff and mypy) on first use. Runs all three and exits non-zero if
# any of them failed.
# Extra arguments go to ruff check (e.g. bin/lint.sh --statistics).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/setenv-venv.sh"
CATALINA_VENV_EXTRAS=test catalina_venv
cd "$CATALINA_HOME"
bin="$(dirname "$CATALINA_PYTHON")"
failed=()
echo "== ruff check" >&2
"$bin/ruff" check "$@" catalina_py tests bench || failed+=("ruff check")
echo "== ruff format --check" >&2
"$bin/ruff" format --check catalina_py tests bench || failed+=("ruff format")
echo "== mypy" >&2
"$CATALINA_PYTHON" -m mypy || failed+=("mypy")
if [ "${#failed[@]}" -gt 0 ]; then
  echo "lint failed: ${failed[*]}" >&2
  exit 1
fi
echo "lint passed" >&2
