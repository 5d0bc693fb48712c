"""The demo's load, sent to a running `switchboard serve` through its HTTP API.

Run by scripts/demo.sh with API, BASE_URL (the simulator), INGEST_TOKEN,
ADMIN_TOKEN and RECORDS in the environment. It:

1. makes the CRM misbehave: a property the connector maps to is removed from
   the portal, and the first three API calls answer 503;
2. sends examples/calls.jsonl plus one record that uses the removed field,
   and re-sends one record to show ingest dedupe;
3. waits until nothing is queued, then shows the dead-letter queue (the
   invalid phone and the removed field), an audit trail, and the retries;
4. acts as the operator: fixes call-012's phone and replays it (delivered),
   resolves call-013 (kept for the record).

Exits non-zero with the reason when anything is not as expected.
"""

import json
import os
import sys
import time
import urllib.error
import urllib.request

API = os.environ["API"]
SIM = os.environ["BASE_URL"]
INGEST_TOKEN = os.environ["INGEST_TOKEN"]
ADMIN_TOKEN = os.environ["ADMIN_TOKEN"]


def call(method, url, body=None, token=None):
    """One HTTP request; returns (status, parsed JSON body or None)."""
    if body is None:
        data = None
    elif isinstance(body, bytes):
        data = body
    else:
        data = json.dumps(body).encode()
    req = urllib.request.Request(
        url, data=data, method=method, headers={"content-type": "application/json"}
    )
    if token:
        req.add_header("authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            text = resp.read()
            return resp.status, json.loads(text) if text else None
    except urllib.error.HTTPError as e:
        text = e.read()
        return e.code, json.loads(text) if text else None


def admin(method, path, body=None):
    return call(method, API + path, body, ADMIN_TOKEN)


def ingest(body):
    status, receipt = call("POST", f"{API}/v1/tenants/demo/records", body, INGEST_TOKEN)
    if status != 202:
        sys.exit(f"ingest answered {status}: {receipt}")
    return receipt


def wait_until_idle(limit_s):
    deadline = time.time() + limit_s
    while True:
        _, st = admin("GET", "/v1/status")
        pending = sum(lane["pending"] or 0 for lane in st["lanes"])
        if pending == 0:
            return
        if time.time() > deadline:
            sys.exit(f"{pending} records still queued after {limit_s} s")
        time.sleep(0.2)


def audit(record_id):
    _, found = admin("GET", f"/v1/audit?record_id={record_id}&tenant=demo")
    return found["entries"]


# 1. The portal loses a property the connector maps to (an admin deleted it),
# and HubSpot has a bad minute: the first three API calls answer 503.
call("POST", SIM + "/__sim/properties/remove", {"object": "calls", "name": "hs_call_recording_url"})
unavailable = {"status": "error", "message": "Service Unavailable", "category": "INTERNAL_ERROR"}
call("POST", SIM + "/__sim/faults", {
    "path_prefix": "/crm/v3/objects", "times": 3,
    "action": {"respond": {"status": 503, "body": json.dumps(unavailable)}},
})
print("CRM trouble set up: property hs_call_recording_url removed, next 3 API calls answer 503")

# 2. The load.
with open(os.environ["RECORDS"], "rb") as f:
    ndjson = f.read()
first = ingest(ndjson)
recorded = {"id": "call-013", "kind": "call", "fields": {
    "phone": "+44 7400 123456", "started-at": "2026-11-25T10:00:00Z", "duration-seconds": 30,
    "title": "Recorded call", "recording-url": "https://recordings.example.com/013.mp3"}}
second = ingest([recorded])
print(f"202 Accepted: {len(first['records']) + len(second['records'])} records durable and queued")
again = ingest(ndjson.splitlines()[0] + b"\n")
print(f"call-001 sent again: {again['records'][0]['deliveries'][0]['status']} (not queued twice)")

wait_until_idle(60)

# 3. What happened.
_, dlq = admin("GET", "/v1/dlq?tenant=demo")
print(f"\nDead-letter queue, {len(dlq['entries'])} entries:")
for e in dlq["entries"]:
    print(f"  #{e['id']} {e['record_id']}: {e['reason']}: {e['envelope'].get('detail', '')}")
reasons = sorted((e["record_id"], e["reason"]) for e in dlq["entries"])
if reasons != [("call-012", "validation"), ("call-013", "field-removed")]:
    sys.exit(f"unexpected dead letters: {reasons}")

retried = {}
for n in range(1, 12):
    rid = f"call-{n:03}"
    entries = audit(rid)
    if not entries or entries[0]["outcome"] != "delivered":
        sys.exit(f"{rid} was not delivered: {entries}")
    retries = sum(1 for e in entries if e["outcome"] == "retry-scheduled")
    if retries:
        retried[rid] = entries
if not retried:
    sys.exit("the injected 503s should have caused at least one retry")
rid, entries = next(iter(retried.items()))
print(f"\nAudit trail of {rid} (oldest first), one of {len(retried)} records retried"
      " (the 503s, or HubSpot's 4-per-second search limit):")
for e in reversed(entries):
    line = f"  attempt {e.get('attempt')}: {e['outcome']} ({e['class']})"
    if e.get("crm_status"):
        line += f", CRM answered {e['crm_status']}"
    if e.get("next_retry_ms"):
        line += f", next try {e['next_retry_ms'] - e['time_ms']} ms later (backoff with jitter)"
    print(line)
    for r in e.get("requests", []):
        print(f"      {r}")

# 4. The operator fixes call-012's phone and replays it under the same record
# id; call-013 is resolved without replay.
dead = {e["record_id"]: e["id"] for e in dlq["entries"]}
fixed = json.loads(ndjson.splitlines()[-1])
fixed["fields"]["phone"] = "+44 7400 123456"
status, body = admin("PUT", f"/v1/dlq/{dead['call-012']}/record",
                     {"record": fixed, "note": "phone was typed into the wrong box"})
if status != 200:
    sys.exit(f"edit answered {status}: {body}")
status, body = admin("POST", f"/v1/dlq/{dead['call-012']}/replay", {"note": "fixed by hand"})
if status != 200:
    sys.exit(f"replay answered {status}: {body}")
status, body = admin("POST", f"/v1/dlq/{dead['call-013']}/resolve",
                     {"note": "recordings are no longer kept in HubSpot"})
if status != 200:
    sys.exit(f"resolve answered {status}: {body}")
deadline = time.time() + 30
while not (audit("call-012") and audit("call-012")[0]["outcome"] == "delivered"):
    if time.time() > deadline:
        sys.exit("call-012 was not delivered after its replay")
    time.sleep(0.2)
print("\ncall-012: phone fixed, replayed, delivered. call-013: resolved, kept in the DLQ for the record.")
