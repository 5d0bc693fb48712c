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

step "connector unit tests (native)"
cargo test --manifest-path connectors/Cargo.toml

step "host workspace tests"
cargo test --workspace
