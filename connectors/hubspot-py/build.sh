#!/usr/bin/env bash
# Builds the hubspot-py connector: connectors/target/hubspot-py.wasm.
#
# Creates (or reuses) a virtual environment in connectors/target/py-venv,
# installs requirements.txt into it, generates the WIT bindings into
# connectors/target/hubspot-py-bindings and runs componentize-py. Safe to run
# again: it keeps the component when no input is newer. Set PYTHON to choose the
# interpreter for the venv (default python3).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
connectors="$(dirname "$here")"
repo="$(dirname "$connectors")"
target="$connectors/target"
venv="$target/py-venv"
bindings="$target/hubspot-py-bindings"
out="$target/hubspot-py.wasm"

mkdir -p "$target"
if [ ! -x "$venv/bin/python" ]; then
    "${PYTHON:-python3}" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt"
site="$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"

# Nothing the build reads (this directory, requirements.txt included, and the WIT) is
# newer than the component: keep it (each test process asks for a build).
# (Files only: a deleted source file is not noticed; delete the component to rebuild.)
if [[ -f "$out" && -z "$(find "$here" "$repo/wit" -name __pycache__ -prune -o -type f -newer "$out" -print -quit)" ]]; then
    echo "up to date: $out"
    exit 0
fi

rm -rf "$bindings"
"$venv/bin/componentize-py" -q -d "$repo/wit" -w connector bindings "$bindings"
# Runs app.py's top level (every import, the phone metadata) and snapshots it.
"$venv/bin/componentize-py" -q -d "$repo/wit" -w connector componentize app \
    -p "$here" -p "$bindings" -p "$site" -o "$out.tmp"
mv "$out.tmp" "$out"
echo "built $out ($(wc -c < "$out") bytes)"
