// Test helpers: records, responses, and a scripted fake host for `push`.

import assert from 'node:assert/strict';

import { PushFailure, transportFailure } from '../src/errors.js';
import { mapRecord } from '../src/mapping.js';
import { normalizeRecord } from '../src/normalize.js';
import { push } from '../src/push.js';

/** A text value. */
export const t = (s) => ({ tag: 'text', val: s });
/** An integer value. */
export const int = (i) => ({ tag: 'integer', val: BigInt(i) });
/** A number (f64) value. */
export const num = (n) => ({ tag: 'number', val: n });
/** A timestamp value. */
export const ts = (s) => ({ tag: 'timestamp', val: s });
/** A boolean value. */
export const bool = (b) => ({ tag: 'boolean', val: b });
/** The null value. */
export const nul = () => ({ tag: 'null', val: undefined });

/** A record of `kind` with `[name, value]` fields. */
export function record(kind, fields) {
  return { id: 'rec-1', kind, fields: fields.map(([name, value]) => ({ name, value })) };
}

/** A CRM response with a text body. */
export function resp(status, headers, body) {
  return { status, headers, body: new TextEncoder().encode(body) };
}

/** Normalizes (region `US` unless given), panicking on field errors. */
export function normalized(rec, region = 'US') {
  const r = normalizeRecord(rec, region);
  assert.ok(r.ok, `normalize failed: ${JSON.stringify(r.err)}`);
  return r.ok;
}

/**
 * A stand-in for the host: canned answers in order (each for the path it
 * expects), an in-memory `state`, and everything the connector sent or noted.
 */
export class Fake {
  constructor(region = 'US') {
    this.region = region;
    this.script = [];
    this.sent = [];
    this.state = new Map();
    this.notes = [];
    this.warnings = [];
  }
  answer(path, status, body) {
    this.script.push([path, { ok: resp(status, [['content-type', 'application/json']], body) }]);
    return this;
  }
  fail(path, httpError) {
    this.script.push([path, { err: httpError }]);
    return this;
  }
  withState(key, value) {
    this.state.set(key, value);
    return this;
  }
  paths() {
    return this.sent.map((s) => s.path);
  }
  note(key) {
    const hit = [...this.notes].reverse().find(([k]) => k === key);
    return hit ? hit[1] : undefined;
  }
  send(method, path, body) {
    // Bodies travel as JSON text, as through the real host.
    this.sent.push({ method, path, body: body === undefined ? null : JSON.parse(JSON.stringify(body)) });
    const next = this.script.shift();
    assert.ok(next, `unscripted ${method} ${path}`);
    assert.equal(path, next[0], `request ${this.sent.length} went to the wrong path`);
    if (next[1].err) throw transportFailure(next[1].err);
    return next[1].ok;
  }
  stateGet(key) {
    return this.state.has(key) ? this.state.get(key) : null;
  }
  stateSet(key, value) {
    this.state.set(key, value);
  }
  stateRemove(key) {
    this.state.delete(key);
  }
  annotate(key, value) {
    this.notes.push([key, value]);
  }
  warn(message) {
    this.warnings.push(message);
  }
}

export const KEY = 'tenant-a/rec-1/hubspot';

/** Maps and pushes a normalized record: `{ ok: outcome }` or `{ err: push-error }`. */
export function run(fake, rec) {
  const payload = mapRecord(rec);
  assert.ok(payload.ok, JSON.stringify(payload.err));
  const ctx = { tenant: 'tenant-a', idempotencyKey: KEY, traceId: 'trace-1', attempt: 1 };
  try {
    return { ok: push(fake, ctx, rec, payload.ok) };
  } catch (e) {
    if (e instanceof PushFailure) return { err: e.pushError };
    throw e;
  }
}

/** `[primary, related, effects]` as `object/id` text. */
export function refs(out) {
  const r = (c) => `${c.object}/${c.id}`;
  return [r(out.primary), out.related.map(r), out.effects.map((e) => `${e.action} ${r(e.target)}`)];
}

/** A batch upsert answer for one object. */
export function upserted(id, isNew) {
  return JSON.stringify({
    status: 'COMPLETE',
    results: [{ id, properties: {}, new: isNew }],
    startedAt: '2024-05-01T10:00:00.000Z',
    completedAt: '2024-05-01T10:00:00.001Z',
  });
}

export const EMPTY_SEARCH = '{"total":0,"results":[]}';
