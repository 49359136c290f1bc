#!/usr/bin/env bash
# Prints the path of a Python with the bench stack (requirements.txt) installed,
# creating it on first use in a venv under ~/.cache/de-drills keyed by the
# requirements' hash. Nothing goes on PATH; benches call the printed python.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
key=$(sha256sum "$here/requirements.txt" | cut -c1-12)
venv="${XDG_CACHE_HOME:-$HOME/.cache}/de-drills/python-bench-$key"
if [[ ! -x "$venv/bin/python" || ! -f "$venv/.complete" ]]; then
  command -v python3 >/dev/null || { echo "python3 is missing: install it (apt-get install python3 python3-venv)" >&2; exit 1; }
  echo "installing the Python bench stack into $venv (once)" >&2
  rm -rf "$venv"
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt" >&2
  touch "$venv/.complete"
fi
echo "$venv/bin/python"
