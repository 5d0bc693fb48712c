// `classify-error` on random responses: random statuses, `Retry-After` values,
// random bytes, and real HubSpot error bodies with random edits and random JSON
// made of the keys the classifier reads. The JavaScript counterpart of the Rust
// connector's fuzz target (fuzz/fuzz_targets/hubspot_classify_error.rs): it must
// never throw, and must answer the class the status fixes.
//
// Deterministic (a fixed seed; SWITCHBOARD_CLASSIFY_SEED picks another) and
// bounded (ROUNDS responses, well under a second).

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { classify, retryAfterMs } from '../src/classify.js';

const ROUNDS = 3000;
const SEED = Number(process.env.SWITCHBOARD_CLASSIFY_SEED ?? 13);
const U64_MAX = 2n ** 64n - 1n;

const STATUSES = [0, 200, 400, 401, 403, 404, 408, 409, 410, 414, 418, 425, 429, 477, 499, 500,
  502, 503, 599, 600, 65535];
const KEYS = ['status', 'message', 'category', 'subCategory', 'correlationId', 'policyName',
  'errors', 'validationResults', 'context', 'propertyName', 'requiredScopes',
  'requiredGranularScopes', 'properties', 'name', 'code', 'error', 'ids'];
const WORDS = ['DAILY', 'TEN_SECONDLY_ROLLING', 'SECONDLY', 'MISSING_SCOPES', 'OBJECT_NOT_FOUND',
  'VALIDATION_ERROR', 'EXPIRED_AUTHENTICATION', 'INVALID_AUTHENTICATION',
  'PROPERTY_DOESNT_EXIST', 'crm.associations.INVALID_OBJECT_IDS', 'daily limit',
  'Existing ID: 37765128953', 'existing id:', 'Property "hs_x" does not exist',
  'Property values were not valid: [{"name":"hs_y"}]', 'not valid:', 'é', '\u0000', ''];
const SEED_BODIES = [
  '{"status":"error","message":"Contact already exists. Existing ID: 37765128953","category":"CONFLICT"}',
  '{"status":"error","message":"You have reached your daily limit.","errorType":"RATE_LIMIT","policyName":"DAILY"}',
  '{"status":"error","message":"Property values were not valid: [{\\"isValid\\":false,\\"message\\":\\"Property \\\\\\"hs_x\\\\\\" does not exist\\",\\"error\\":\\"PROPERTY_DOESNT_EXIST\\",\\"name\\":\\"hs_x\\"}]","category":"VALIDATION_ERROR"}',
  '{"status":"error","message":"This app hasn\'t been granted all required scopes.","errors":[{"message":"One or more of the following scopes are required.","context":{"requiredScopes":["crm.objects.contacts.write"]}}],"category":"MISSING_SCOPES"}',
  '{"status":"error","message":"Property values were not valid","validationResults":[{"isValid":false,"message":"Property \\"hs_z\\" does not exist","error":"PROPERTY_DOESNT_EXIST","name":"hs_z"}]}',
  '<html><body>502 Bad Gateway</body></html>',
];
const TAGS = new Set(['transient', 'rate-limited', 'auth', 'permission', 'not-found', 'validation',
  'field-removed', 'duplicate', 'permanent']);

/** mulberry32: a small seeded PRNG (Math.random cannot be seeded). */
function prng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const below = (n) => Math.floor(next() * n);
  return { next, below, pick: (xs) => xs[below(xs.length)] };
}

/** JSON with BigInts written as numbers, for failure messages. */
const show = (value) => JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? `${v}n` : v));

function randomJson(r, depth = 0) {
  const kind = r.below(depth < 4 ? 8 : 5);
  if (kind === 0) return null;
  if (kind === 1) return r.pick([true, false, 0, -1, 1.5, 1e30]);
  if (kind <= 4) {
    if (r.next() < 0.8) return r.pick(WORDS);
    return Array.from({ length: r.below(8) }, () => String.fromCodePoint(0x20 + r.below(0x2fe0))).join('');
  }
  if (kind === 5) return Array.from({ length: r.below(4) }, () => randomJson(r, depth + 1));
  const obj = {};
  for (let i = r.below(6); i > 0; i--) obj[r.pick(KEYS)] = randomJson(r, depth + 1);
  return obj;
}

function randomBody(r) {
  const kind = r.below(4);
  if (kind === 0) return Uint8Array.from({ length: r.below(64) }, () => r.below(256));
  if (kind === 1) return new TextEncoder().encode(JSON.stringify(randomJson(r)));
  const body = [...new TextEncoder().encode(r.pick(SEED_BODIES))];
  for (let n = kind === 2 ? 1 + r.below(5) : 0; n > 0; n--) {
    const at = r.below(body.length + 1);
    const edit = r.below(3);
    if (edit === 0 && at < body.length) body.splice(at, 1 + r.below(7));
    else if (edit === 1 && at < body.length) body[at] = r.below(256);
    else body.splice(at, 0, ...new TextEncoder().encode(r.pick(WORDS)));
  }
  return Uint8Array.from(body);
}

function randomHeaders(r) {
  return Array.from({ length: r.below(3) }, () => [
    r.pick(['retry-after', 'Retry-After', 'RETRY-AFTER', 'content-type', 'x']),
    r.pick(['2', '0.5', ' 1.0005 ', '-1', 'inf', 'NaN', '1e400', '1e15',
      'Wed, 21 Oct 2015 07:28:00 GMT', '', String(r.next() * 1e6), String(r.below(1e15))]),
  ]);
}

test('random responses always get a valid class', () => {
  const r = prng(SEED);
  for (let i = 0; i < ROUNDS; i++) {
    const status = r.next() < 0.7 ? r.pick(STATUSES) : r.below(65536);
    const headers = randomHeaders(r);
    const body = randomBody(r);
    const where = `round ${i} (seed ${SEED}): status ${status}, headers ${JSON.stringify(headers)}, body [${body}]`;
    let c;
    try {
      c = classify({ status, headers, body });
    } catch (e) {
      assert.fail(`${where} threw ${e?.stack ?? e}`);
    }
    assert.ok(c && TAGS.has(c.tag), `${where}: ${show(c)}`);
    const after = retryAfterMs(headers);
    if (after !== undefined) assert.ok(after >= 0n && after <= U64_MAX, where);
    if (['auth', 'permission', 'not-found', 'permanent'].includes(c.tag)) {
      assert.equal(typeof c.val, 'string', where);
    }
    if (c.tag === 'validation' || c.tag === 'field-removed') {
      assert.equal(typeof c.val.field, 'string', where);
      assert.equal(typeof c.val.reason, 'string', where);
    }
    if (c.tag === 'field-removed') assert.ok(c.val.field !== '', where);
    if (c.tag === 'duplicate' && c.val !== undefined) assert.match(c.val, /^[0-9]+$/, where);
    if (c.tag === 'rate-limited') {
      assert.ok(['burst', 'daily'].includes(c.val.scope), where);
      assert.ok(c.val.policy !== '', where);
    }
    const expected = { 401: 'auth', 403: 'permission', 404: 'not-found', 409: 'duplicate', 429: 'rate-limited' };
    if (expected[status]) assert.equal(c.tag, expected[status], where);
    if ([408, 425, 477].includes(status) || (status >= 500 && status <= 599)) {
      assert.deepEqual(c, { tag: 'transient', val: after }, where);
    }
  }
});
