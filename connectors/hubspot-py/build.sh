#!/usr/bin/env bash
# Builds the hubspot-py connector: connectors/target/hubspot-py.wasm.
#
# Creates (or reuses) a virtual environment in connectors/target/py-venv,
# installs requirements.txt into it, generates the WIT bindings into
# connectors/target/hubspot-py-bindings and runs componentize-py. Safe to run
# again. Set PYTHON to choose the interpreter for the venv (default python3).
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

rm -rf "$bindings"
"$venv/bin/componentize-py" -q -d "$repo/wit" -w connector bindings "$bindings"
# Runs app.py's top level (every import, the phone metadata) and snapshots it.
"$venv/bin/componentize-py" -q -d "$repo/wit" -w connector componentize app \
    -p "$here" -p "$bindings" -p "$site" -o "$out.tmp"
mv "$out.tmp" "$out"
echo "built $out ($(wc -c < "$out") bytes)"
