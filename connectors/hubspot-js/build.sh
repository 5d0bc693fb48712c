#!/usr/bin/env bash
# Builds the HubSpot connector written in JavaScript:
#   connectors/target/hubspot-js/connector.js   one ES module (esbuild bundle)
#   connectors/target/hubspot-js.wasm           the component (componentize-js)
# Needs node >= 20 and npm. Installs the pinned tools with `npm ci` when
# node_modules is missing or older than package-lock.json.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
target="$repo/connectors/target"
out_dir="$target/hubspot-js"
wasm="$target/hubspot-js.wasm"

cd "$here"
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund
fi

# Nothing the build reads (this directory, the lockfile included, and the WIT) is newer
# than the component: keep it (each test process asks for a build).
# (Files only: a deleted source file is not noticed; delete the component to rebuild.)
if [[ -f "$wasm" && -z "$(find "$here" "$repo/wit" -path "$here/node_modules" -prune -o -type f -newer "$wasm" -print -quit)" ]]; then
  echo "up to date: $wasm"
  exit 0
fi

mkdir -p "$out_dir"
# One module for componentize-js; the host's interfaces stay imports.
node_modules/.bin/esbuild src/connector.js \
  --bundle --format=esm --platform=neutral --target=es2022 \
  --main-fields=module,main \
  --external:'switchboard:connector/*' \
  --legal-comments=none \
  --outfile="$out_dir/connector.js" \
  --log-level=warning

# `-d http fetch-event`: no wasi:http import (the host does not link it);
# outbound HTTP goes through switchboard:connector/http only.
node_modules/.bin/componentize-js "$out_dir/connector.js" \
  --wit "$repo/wit" --world-name connector \
  -d http fetch-event \
  -o "$wasm.tmp"
mv "$wasm.tmp" "$wasm"
echo "built $wasm ($(wc -c <"$wasm") bytes)"
