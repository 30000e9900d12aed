# Sourced by the bin/ scripts: finds CATALINA_HOME and makes sure the
# virtual environment in $CATALINA_HOME/.venv exists and has catalina_py
# installed (with the extras named in $CATALINA_VENV_EXTRAS, e.g. "test").
# It is created on first use and refreshed when setup.cfg or pyproject.toml
# change, so a fresh clone needs nothing installed by hand.

if [ -z "${CATALINA_HOME:-}" ]; then
  CATALINA_HOME="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fi
export CATALINA_HOME
export CATALINA_BASE="${CATALINA_BASE:-$CATALINA_HOME}"

catalina_venv() {
  local venv="$CATALINA_HOME/.venv"
  local extras="${CATALINA_VENV_EXTRAS:-}"
  local stamp="$venv/.catalina_py-installed"
  local want
  want="$(cat "$CATALINA_HOME/setup.cfg" "$CATALINA_HOME/pyproject.toml" | cksum | cut -d' ' -f1)"
  # Up to date: the same setup files, and the extras asked for installed
  # (an install with extras serves a plain request too). The common case,
  # so it runs no Python at all: a pyenv shim costs most of a second each.
  local have=""
  [ -f "$stamp" ] && have="$(cat "$stamp" 2>/dev/null || true)"
  if [ -x "$venv/bin/python" ] && { [ "$have" = "$want-$extras" ] ||
       { [ -z "$extras" ] && [ "${have%%-*}" = "$want" ]; }; }; then
    CATALINA_PYTHON="$venv/bin/python"
    export CATALINA_PYTHON
    return 0
  fi
  if [ ! -x "$venv/bin/python" ]; then
    local python="${PYTHON:-}"
    if [ -z "$python" ]; then
      for candidate in python3.13 python3.12 python3.11 python3; do
        if command -v "$candidate" >/dev/null 2>&1 &&
           "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1; then
          python="$candidate"; break
        fi
      done
    fi
    if [ -z "$python" ]; then
      echo "catalina_py needs Python 3.11 or newer on the PATH (or PYTHON=/path/to/python3.11)." >&2
      return 1
    fi
    echo "Creating the virtual environment in $venv ..." >&2
    "$python" -m venv "$venv" || return 1
  fi
  local spec="$CATALINA_HOME"
  [ -n "$extras" ] && spec="$CATALINA_HOME[$extras]"
  echo "Installing catalina_py${extras:+ with [$extras]} into $venv ..." >&2
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e "$spec" || return 1
  echo "$want-$extras" > "$stamp"
  CATALINA_PYTHON="$venv/bin/python"
  export CATALINA_PYTHON
}
