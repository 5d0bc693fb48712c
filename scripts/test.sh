#!/usr/bin/env bash
# Runs every test on a fresh machine: installs the wasm target, builds the
# connector and guest-fixture components, checks formatting and lints and the
# supply chain (cargo deny), runs the whole test suite (host workspace and the
# connectors' own tests), then fuzzes each cargo-fuzz target for a bounded time.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "toolchain: wasm32-wasip2 target"
rustup target add wasm32-wasip2

step "build connectors and guest fixtures (wasm32-wasip2)"
cargo build --release --target wasm32-wasip2 --manifest-path connectors/Cargo.toml
cargo build --release --target wasm32-wasip2 --manifest-path tests/guests/Cargo.toml

step "build the Python and JavaScript connectors (componentize-py, componentize-js)"
bash connectors/hubspot-py/build.sh
bash connectors/hubspot-js/build.sh

step "format"
cargo fmt --all --check
cargo fmt --all --check --manifest-path connectors/Cargo.toml
cargo fmt --all --check --manifest-path tests/guests/Cargo.toml
cargo fmt --check --manifest-path fuzz/Cargo.toml

step "lints"
cargo clippy --workspace --all-targets -- -D warnings
cargo clippy --all-targets --manifest-path connectors/Cargo.toml -- -D warnings
cargo clippy --release --target wasm32-wasip2 --manifest-path connectors/Cargo.toml -- -D warnings
cargo clippy --release --target wasm32-wasip2 --manifest-path tests/guests/Cargo.toml -- -D warnings

step "supply chain: cargo deny (advisories, licences, sources, bans)"
bash scripts/deny.sh

log="$(mktemp)"
trap 'rm -f "$log"' EXIT

step "connector unit tests (native)"
cargo test --manifest-path connectors/Cargo.toml 2>&1 | tee -a "$log"

step "connector unit tests (Python, JavaScript)"
connectors/target/py-venv/bin/python -m unittest discover -s connectors/hubspot-py/tests 2>&1 | tee -a "$log"
(cd connectors/hubspot-js && npm test --silent) 2>&1 | tee -a "$log"

step "host workspace tests"
cargo test --workspace 2>&1 | tee -a "$log"

# Not in "$log": libFuzzer's output is not test results (scripts/fuzz.sh prints one line
# per target and, for a crash, the end of its log).
step "fuzz: every cargo-fuzz target for ${SWITCHBOARD_FUZZ_SECONDS:-30} s"
bash scripts/fuzz.sh

# One closing line over every test binary above (cargo prints one per binary).
# Python's unittest prints "Ran N tests" then "OK", "OK (skipped=S)" or
# "FAILED (failures=F, errors=E, skipped=S)"; node --test prints "# pass N",
# "# fail N" and "# skipped N".
awk '/^test result:/ { passed += $4; failed += $6; ignored += $8 }
     /^Ran [0-9]+ tests? in / { py += $2 }
     /^(OK|FAILED) \(/ {
       n = split($0, parts, /[(),] */)
       for (i = 2; i <= n; i++) {
         split(parts[i], kv, "=")
         if (kv[1] == "failures" || kv[1] == "errors") pyfail += kv[2]
         else if (kv[1] == "skipped") pyskip += kv[2]
       }
     }
     /^# pass [0-9]+/ { passed += $3 }
     /^# fail [0-9]+/ { failed += $3 }
     /^# skipped [0-9]+/ { ignored += $3 }
     END { passed += py - pyfail - pyskip; failed += pyfail; ignored += pyskip }
     END { printf "\ntests: %d passed, %d failed, %d skipped\n", passed, failed, ignored }' "$log"
