#!/usr/bin/env bash
# Create .venv with a Python >= 3.12 found on this machine and install hotspot-sim
# with its test and notebook (JupyterLab) extras. Usage: ./setup.sh   (set PYTHON=/path/to/python3.12 to choose)
set -euo pipefail
cd "$(dirname "$0")"

suitable() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; }

find_python() {
  local candidates=()
  [ -n "${PYTHON:-}" ] && candidates+=("$PYTHON")
  candidates+=(python3.14 python3.13 python3.12 python3 python)
  # pyenv installs (this project's CI machines keep 3.12 there), newest first
  for root in "${PYENV_ROOT:-$HOME/.pyenv}" /root/.pyenv; do
    for p in $(ls -d "$root"/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -Vr); do
      candidates+=("$p")
    done
  done
  candidates+=(/usr/local/bin/python3.12 /usr/bin/python3.12 /opt/homebrew/bin/python3.12)
  for c in "${candidates[@]}"; do
    if command -v "$c" >/dev/null 2>&1 && suitable "$c"; then command -v "$c"; return 0; fi
  done
  return 1
}

if [ -x .venv/bin/python ] && suitable .venv/bin/python; then
  echo "setup: reusing .venv ($(.venv/bin/python --version))"
else
  py=$(find_python) || {
    echo "setup: no Python >= 3.12 found. Install one (python.org, your package manager, or"\
         "'pyenv install 3.12') and run again, or set PYTHON=/path/to/python3.12." >&2
    exit 1
  }
  echo "setup: creating .venv with $py ($("$py" --version))"
  rm -rf .venv
  "$py" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[test,notebook]"
echo "setup: done. Activate with 'source .venv/bin/activate'; try 'hotspot-sim --help'."
