#!/usr/bin/env bash
# Runs every test on a fresh machine: installs the wasm target, builds the
# connector and guest-fixture components, checks formatting and lints, then
# runs the whole test suite (host workspace and the connectors' own tests).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "toolchain: wasm32-wasip2 target"
rustup target add wasm32-wasip2

step "build connectors and guest fixtures (wasm32-wasip2)"
cargo build --release --target wasm32-wasip2 --manifest-path connectors/Cargo.toml
cargo build --release --target wasm32-wasip2 --manifest-path tests/guests/Cargo.toml

step "format"
cargo fmt --all --check
cargo fmt --all --check --manifest-path connectors/Cargo.toml
cargo fmt --all --check --manifest-path tests/guests/Cargo.toml

step "lints"
cargo clippy --workspace --all-targets -- -D warnings
cargo clippy --all-targets --manifest-path connectors/Cargo.toml -- -D warnings
cargo clippy --release --target wasm32-wasip2 --manifest-path connectors/Cargo.toml -- -D warnings
cargo clippy --release --target wasm32-wasip2 --manifest-path tests/guests/Cargo.toml -- -D warnings

log="$(mktemp)"
trap 'rm -f "$log"' EXIT

step "connector unit tests (native)"
cargo test --manifest-path connectors/Cargo.toml 2>&1 | tee -a "$log"

step "host workspace tests"
cargo test --workspace 2>&1 | tee -a "$log"

# One closing line over every test binary above (cargo prints one per binary).
awk '/^test result:/ { passed += $4; failed += $6; ignored += $8 }
     END { printf "\ntests: %d passed, %d failed, %d skipped\n", passed, failed, ignored }' "$log"
