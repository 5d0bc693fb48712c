#!/usr/bin/env bash
# The Switchboard demo, end to end, on loopback only:
#
#   1. builds the HubSpot connector (wasm32-wasip2), the `switchboard` CLI and
#      the HubSpot simulator;
#   2. starts the simulator and seeds one contact "typed by a human"
#      (phone "07911 123456");
#   3. starts `switchboard serve` and, through its HTTP API
#      (scripts/demo_load.py), makes the CRM misbehave (a mapped property
#      removed, three 503s), sends examples/calls.jsonl (12 calls from 4
#      people whose numbers are typed in many ways, one with no usable phone)
#      plus one call using the removed property; shows the retries, the
#      dead-letter queue and an audit trail; fixes and replays one dead
#      letter and resolves the other; stops the server with SIGTERM;
#   4. reads the simulator's state back and checks that the CRM ends up as
#      expected: one contact per person (the seeded one reused), every
#      delivered call logged once against the right contact.
#
# Exits 0 only when the CRM holds exactly what it should; otherwise it says
# why and exits 1. Needs cargo (with rustup for the wasm target) and python3.
# Set SWITCHBOARD_DEMO_KEEP=1 to keep the temporary directory for a look.
#
# What examples/calls.jsonl should produce is written down in
# expected_contacts below; change both together.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

RECORDS="examples/calls.jsonl"

if [[ -t 1 ]]; then
    say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
else
    say() { printf '\n==> %s\n' "$*"; }
fi
die() {
    printf '\ndemo: FAILED: %s\n' "$*" >&2
    exit 1
}

command -v cargo >/dev/null 2>&1 || die "cargo not found; install Rust from https://rustup.rs"
command -v python3 >/dev/null 2>&1 || die "python3 not found; it is used to talk HTTP and JSON"

# --- temporary workspace, and the simulator's cleanup -----------------------
WORK="$(mktemp -d "${TMPDIR:-/tmp}/switchboard-demo.XXXXXX")"
SIM_PID=""
SERVE_PID=""
cleanup() {
    if [[ -n "$SERVE_PID" ]] && kill -0 "$SERVE_PID" 2>/dev/null; then
        kill "$SERVE_PID" 2>/dev/null || true
        wait "$SERVE_PID" 2>/dev/null || true
    fi
    if [[ -n "$SIM_PID" ]] && kill -0 "$SIM_PID" 2>/dev/null; then
        kill "$SIM_PID" 2>/dev/null || true
        wait "$SIM_PID" 2>/dev/null || true
    fi
    if [[ "${SWITCHBOARD_DEMO_KEEP:-}" == 1 ]]; then
        printf 'demo: kept %s\n' "$WORK" >&2
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT

# Prints the target directory cargo uses for the workspace at manifest $1
# (honours CARGO_TARGET_DIR and .cargo/config).
target_dir() {
    cargo metadata --format-version 1 --no-deps --manifest-path "$1" |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])'
}

# --- 1. build -----------------------------------------------------------------
say "Building the HubSpot connector (wasm32-wasip2), the CLI and the simulator"
if command -v rustup >/dev/null 2>&1; then
    rustup target add wasm32-wasip2
else
    printf 'rustup not found; assuming the wasm32-wasip2 target is installed\n'
fi
cargo build --release --target wasm32-wasip2 --manifest-path connectors/Cargo.toml
cargo build -p switchboard -p switchboard-hubspot-sim

CONNECTOR="$(target_dir connectors/Cargo.toml)/wasm32-wasip2/release/hubspot.wasm"
BIN_DIR="$(target_dir Cargo.toml)/debug"
SWITCHBOARD="$BIN_DIR/switchboard"
SIM="$BIN_DIR/switchboard-hubspot-sim"
for f in "$CONNECTOR" "$SWITCHBOARD" "$SIM"; do
    [[ -f "$f" ]] || die "the build did not produce $f"
done

# --- 2. simulator ---------------------------------------------------------------
say "Starting the HubSpot simulator"
# A throwaway token, made up for this run; it only exists in $WORK.
TOKEN="demo-$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
"$SIM" --listen 127.0.0.1:0 --token "$TOKEN" >"$WORK/sim.out" 2>"$WORK/sim.err" &
SIM_PID=$!

BASE_URL=""
for _ in $(seq 1 100); do
    if line="$(grep -m1 '^listening on http://' "$WORK/sim.out" 2>/dev/null)"; then
        BASE_URL="${line#listening on }"
        break
    fi
    kill -0 "$SIM_PID" 2>/dev/null || die "the simulator exited at startup: $(cat "$WORK/sim.err")"
    sleep 0.1
done
[[ -n "$BASE_URL" ]] || die "the simulator did not print its address within 10 s"
printf 'simulator at %s\n' "$BASE_URL"

say "Seeding one contact, typed by a human before Switchboard existed"
BASE_URL="$BASE_URL" python3 - <<'PY' || die "could not seed the simulator"
import json, os, urllib.request
contact = {"firstname": "Alice", "lastname": "Moreau", "company": "Moreau & Fils",
           "phone": "07911 123456"}
req = urllib.request.Request(
    os.environ["BASE_URL"] + "/__sim/contacts",
    data=json.dumps({"properties": contact}).encode(),
    headers={"content-type": "application/json"},
    method="POST",
)
with urllib.request.urlopen(req, timeout=10) as resp:
    print(f"contact {json.load(resp)['id']}: {contact['firstname']} {contact['lastname']}, "
          f"phone {contact['phone']!r}")
PY

# --- 3. serve, and send the load through the ingest API -------------------------
# The manifest, the config and every token live in $WORK, never in the repo.
printf '%s\n' "$TOKEN" >"$WORK/hubspot-token.secret"
INGEST_TOKEN="ingest-$(python3 -c 'import secrets; print(secrets.token_hex(8))')"
ADMIN_TOKEN="admin-$(python3 -c 'import secrets; print(secrets.token_hex(8))')"
printf '%s\n' "$INGEST_TOKEN" >"$WORK/ingest.token"
printf '%s\n' "$ADMIN_TOKEN" >"$WORK/admin.token"
PORT="${BASE_URL##*:}"
cat >"$WORK/deploy.toml" <<MANIFEST
# Deployment of the HubSpot connector against the local simulator.
[connector]
name = "hubspot"
version = "^0.3"

[http]
allowed_hosts = ["http://127.0.0.1:$PORT"]
# The simulator is on loopback, which is refused unless allowed here, and speaks
# plain http, which a secret is never sent over unless allowed here.
allow_private_addresses = true
allow_secrets_over_http = true
request_timeout_ms = 5000

[config]
base-url = "$BASE_URL"
# Numbers typed without a country code are British.
default-region = "GB"

[secrets]
hubspot-token = { file = "hubspot-token.secret" }
MANIFEST
cat >"$WORK/switchboard.toml" <<CONFIG
[storage]
dir = "data"

[server]
listen = "127.0.0.1:0"
admin_token = { file = "admin.token" }

[workers]
concurrency = 4

# Short backoff, so the demo's retries happen within seconds.
[delivery]
max_attempts = 5
backoff_base_ms = 300
backoff_cap_ms = 2000

[tenants.demo]
ingest_token = { file = "ingest.token" }

[tenants.demo.deployments.hubspot]
wasm = "$CONNECTOR"
manifest = "deploy.toml"
CONFIG

say "switchboard serve --config switchboard.toml"
# Warnings are hidden: the connector declares https://api.hubapi.com, which
# this manifest (pointing at the simulator) rightly does not allow.
# SWITCHBOARD_LOG=info shows everything.
export SWITCHBOARD_LOG="${SWITCHBOARD_LOG:-error}"
"$SWITCHBOARD" serve --config "$WORK/switchboard.toml" >"$WORK/serve.out" 2>"$WORK/serve.err" &
SERVE_PID=$!
API=""
for _ in $(seq 1 300); do
    if line="$(grep -m1 '^listening on http://' "$WORK/serve.out" 2>/dev/null)"; then
        API="${line#listening on }"
        break
    fi
    kill -0 "$SERVE_PID" 2>/dev/null || die "switchboard serve exited at startup: $(cat "$WORK/serve.err")"
    sleep 0.1
done
[[ -n "$API" ]] || die "switchboard serve did not print its address within 30 s"
printf 'switchboard at %s\n' "$API"

say "Sending $RECORDS and one more record through POST /v1/tenants/demo/records"
API="$API" BASE_URL="$BASE_URL" INGEST_TOKEN="$INGEST_TOKEN" ADMIN_TOKEN="$ADMIN_TOKEN" \
    RECORDS="$RECORDS" python3 scripts/demo_load.py || die "delivery did not go as expected"

say "switchboard status: the lane, its circuit breaker and HubSpot's rate-limit budgets"
SWITCHBOARD_ADMIN_TOKEN="$ADMIN_TOKEN" "$SWITCHBOARD" status --server "$API" || die "switchboard status failed"

say "Stopping switchboard with SIGTERM (finish in-flight work, flush, exit 0)"
kill -TERM "$SERVE_PID"
SERVE_RC=0
wait "$SERVE_PID" || SERVE_RC=$?
SERVE_PID=""
[[ "$SERVE_RC" == 0 ]] || die "switchboard serve exited with $SERVE_RC on SIGTERM: $(tail -n 5 "$WORK/serve.err")"

# --- 4. check the CRM --------------------------------------------------------------
say "What HubSpot (the simulator) holds now"
BASE_URL="$BASE_URL" python3 - <<'PY' || die "the CRM does not hold what it should"
import json, os, sys, urllib.request

# Stored phone -> calls expected on that contact. The seeded contact keeps
# its phone as the human typed it; contacts Switchboard creates get E.164.
expected_contacts = {
    "07911 123456": 4,
    "+442079460018": 3,
    "+12015550123": 2,
    "+447400123456": 3,
}

with urllib.request.urlopen(os.environ["BASE_URL"] + "/__sim/state", timeout=10) as resp:
    state = json.load(resp)

contacts = [c for c in state["contacts"] if not c["archived"]]
calls = [c for c in state["calls"] if not c["archived"]]
by_id = {c["id"]: c for c in contacts}

spellings = {}

problems = []
calls_of = {c["id"]: 0 for c in contacts}
for call in calls:
    linked = [cid for cid, kind in call["associations"] if kind == 194 and cid in by_id]
    if len(linked) != 1:
        problems.append(f"call {call['id']} is linked to {len(linked)} contacts, not 1")
    for cid in linked:
        calls_of[cid] += 1

print(f"{len(contacts)} contacts, {len(calls)} calls\n")
for c in contacts:
    p = c["properties"]
    name = " ".join(filter(None, [p.get("firstname"), p.get("lastname")])) or "(no name)"
    phone = p.get("phone", "")
    print(f"  contact {c['id']}  {name:<14} phone as stored {phone!r:<17} {calls_of[c['id']]} calls")
    seen = sorted(set(filter(None, spellings.get(c["id"], []))))
    if seen:
        print(f"{'':16}typed as: {' | '.join(seen)}")
    want = expected_contacts.get(phone)
    if want is None:
        problems.append(f"unexpected contact {c['id']} with phone {phone!r}")
    elif calls_of[c["id"]] != want:
        problems.append(f"contact {phone!r} has {calls_of[c['id']]} calls, expected {want}")
stored = {c["properties"].get("phone", "") for c in contacts}
for phone in expected_contacts:
    if phone not in stored:
        problems.append(f"no contact with phone {phone!r}")
if len(contacts) != len(expected_contacts):
    problems.append(f"{len(contacts)} contacts, expected {len(expected_contacts)} (one per person)")
want_calls = sum(expected_contacts.values())
if len(calls) != want_calls:
    problems.append(f"{len(calls)} calls, expected {want_calls}")

if problems:
    print("\nthe CRM is not as expected:", *problems, sep="\n  - ", file=sys.stderr)
    sys.exit(1)
PY

printf '\ndemo: OK: one contact per person (the seeded one reused), every delivered call logged once, retries ridden out, dead letters fixed or resolved\n'
