#!/usr/bin/env bash
# Supply-chain checks with cargo-deny (rules in deny.toml) on every cargo workspace of the
# repository: the host workspace, connectors/, tests/guests/ and fuzz/.
#
#   licenses    every crate's licence expression is satisfied by deny.toml's allow list
#   sources     crates come from crates.io only (no other registry, no git)
#   bans        wildcard and ban rules
#   advisories  RustSec advisories (vulnerable, unmaintained, yanked), when the advisory
#               database can be had: cargo-deny fetches it with git from GitHub. If it
#               cannot (no route to GitHub), a copy fetched earlier into
#               $CARGO_HOME/advisory-dbs is used and its date printed; with no copy at all
#               the advisories are NOT checked, which is printed loudly and, with
#               SWITCHBOARD_REQUIRE_ADVISORIES=1, fails the script.
#
# Installs the pinned cargo-deny into ~/.cargo/bin the first time (about 5 minutes on
# 2 cores), and reuses it while the version matches.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_DENY_VERSION=0.20.2
MANIFESTS=(Cargo.toml connectors/Cargo.toml tests/guests/Cargo.toml fuzz/Cargo.toml)

if [[ "$(cargo deny --version 2>/dev/null || true)" != "cargo-deny $CARGO_DENY_VERSION" ]]; then
  echo "installing cargo-deny $CARGO_DENY_VERSION"
  # cargo-deny's release profile uses fat LTO and one codegen unit: a smaller binary, but
  # twice the build time. The checks it runs are the same without them.
  CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    cargo install --locked cargo-deny --version "$CARGO_DENY_VERSION"
fi

checks=(bans licenses sources)
offline=()
fetch_log="$(mktemp)"
trap 'rm -f "$fetch_log"' EXIT
db_dir="${CARGO_HOME:-$HOME/.cargo}/advisory-dbs"
if cargo deny fetch db >"$fetch_log" 2>&1; then
  checks+=(advisories)
  advisories="checked against the RustSec advisory database fetched now"
else
  cached=""
  for dir in "$db_dir"/advisory-db-*; do
    [[ -d "$dir/crates" ]] && cached="$dir"
  done
  reason="$(grep -m1 -o 'fatal: .*' "$fetch_log" || tail -n1 "$fetch_log")"
  if [[ -n "$cached" ]]; then
    checks+=(advisories)
    offline=(--offline)
    when="$(git -C "$cached" log -1 --format=%cs 2>/dev/null || echo "an unknown date")"
    advisories="checked against a CACHED RustSec database from $when ($cached): the fetch failed ($reason)"
  else
    advisories="NOT CHECKED: the RustSec advisory database could not be fetched ($reason) and no earlier copy is in $db_dir"
  fi
fi

echo "advisories: $advisories"
for manifest in "${MANIFESTS[@]}"; do
  echo "cargo deny: $manifest (${checks[*]})"
  if [[ ${#offline[@]} -gt 0 ]]; then
    # Offline, cargo-deny cannot download crates: make sure they are here.
    cargo fetch --manifest-path "$manifest" >/dev/null
  fi
  cargo deny "${offline[@]}" --manifest-path "$manifest" check "${checks[@]}"
done

echo "advisories: $advisories"
if [[ "$advisories" == NOT* && "${SWITCHBOARD_REQUIRE_ADVISORIES:-0}" == 1 ]]; then
  echo "SWITCHBOARD_REQUIRE_ADVISORIES=1: failing because the advisories were not checked" >&2
  exit 1
fi
