#!/usr/bin/env bash
# Runs the cargo-fuzz targets in fuzz/ (see fuzz/README.md), each for a bounded time, and
# fails if any of them finds a crash (a panic, a failed assertion, a sanitizer report, a
# timeout or running out of memory).
#
#   bash scripts/fuzz.sh                      every target, SWITCHBOARD_FUZZ_SECONDS each (30)
#   SWITCHBOARD_FUZZ_SECONDS=600 bash scripts/fuzz.sh ingest_body    one target, longer
#
# cargo-fuzz needs nightly compiler flags; RUSTC_BOOTSTRAP=1 lets the stable toolchain
# accept them. Installs the pinned cargo-fuzz into ~/.cargo/bin the first time. The
# instrumented build stays in fuzz/target (not committed), so later runs in this checkout
# rebuild only what changed; a fresh clone builds it all (about 6 minutes on 2 cores,
# libFuzzer's C++ included). Each run starts from the committed seeds in
# fuzz/corpus/<target> plus what earlier runs found in fuzz/runs/<target> (not
# committed). A crash is written to fuzz/artifacts/<target>/.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_FUZZ_VERSION=0.13.2
ALL_TARGETS=(ingest_body serve_config deployment_manifest hubspot_classify_error)
seconds="${SWITCHBOARD_FUZZ_SECONDS:-30}"
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=("${ALL_TARGETS[@]}")
for target in "${targets[@]}"; do
  if [[ " ${ALL_TARGETS[*]} " != *" $target "* ]]; then
    echo "fuzz: no target $target (targets: ${ALL_TARGETS[*]})" >&2
    exit 2
  fi
done

export RUSTC_BOOTSTRAP=1
started=$SECONDS

if [[ "$(cargo fuzz --version 2>/dev/null || true)" != "cargo-fuzz $CARGO_FUZZ_VERSION" ]]; then
  echo "installing cargo-fuzz $CARGO_FUZZ_VERSION"
  cargo install --locked cargo-fuzz --version "$CARGO_FUZZ_VERSION"
fi

# The serve_config target writes its fixture files under the temporary directory.
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

echo "building the fuzz targets (release, debug assertions, AddressSanitizer)"
mkdir -p fuzz/runs
if ! cargo fuzz build --fuzz-dir fuzz >fuzz/runs/build.log 2>&1; then
  cat fuzz/runs/build.log >&2
  echo "fuzz: the targets do not build" >&2
  exit 1
fi
echo "built in $((SECONDS - started)) s"

failed=()

for target in "${targets[@]}"; do
  runs="fuzz/runs/$target"
  log="fuzz/runs/$target.log"
  mkdir -p "$runs" "fuzz/artifacts/$target"
  t0=$SECONDS
  # New inputs go to the first corpus directory; the committed seeds are only read.
  if TMPDIR="$scratch" cargo fuzz run --fuzz-dir fuzz \
      "$target" "$runs" "fuzz/corpus/$target" -- \
      -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 \
      >"$log" 2>&1; then
    execs="$(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')"
    cov="$(grep -o 'cov: [0-9]*' "$log" | tail -n1 | grep -o '[0-9]*' || echo '?')"
    echo "fuzz $target: ok, $execs inputs in $((SECONDS - t0)) s, coverage $cov, corpus $(ls "$runs" | wc -l) (+ $(ls "fuzz/corpus/$target" | wc -l) seeds)"
  else
    echo "fuzz $target: FAILED after $((SECONDS - t0)) s; the end of $log:" >&2
    tail -n 60 "$log" >&2
    failed+=("$target")
  fi
done

echo "fuzzing took $((SECONDS - started)) s in all"
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "fuzz: ${#failed[@]} target(s) crashed: ${failed[*]} (inputs in fuzz/artifacts/<target>/)" >&2
  exit 1
fi
