// `normalize`: phones to E.164, e-mail lower-case, `started-at` to UTC,
// duration and direction checked. Pure (the region comes in as an
// argument); every invalid field is reported under its own name.

import {
  COMPANY, DIRECTION, DURATION, EMAIL, FIRST_NAME, FROM_NUMBER, KIND_CALL, KIND_CONTACT,
  LAST_NAME, NOTES, PHONE, RECORDING_URL, STARTED_AT, STATUS, TITLE, TO_NUMBER,
  get, integer, integerOf, isPresent, set, text, textOf, timestamp, valueKind,
} from './fields.js';
import { normalizeEmail } from './email.js';
import { toE164 } from './phone.js';
import { toUtc } from './time.js';
import { asciiLower, asciiUpper, debugStr, f64ToString, parseI64, trim } from './text.js';

/** Default for config `default-region`. */
export const DEFAULT_REGION = 'US';

/** Unix values below this (1973-03-03 in milliseconds) are almost surely seconds. */
const MIN_UNIX_MS = 100_000_000_000n;

/** The region from config text: trimmed, upper-case, `US` when blank or unset. */
export function regionFrom(raw) {
  const r = asciiUpper(trim(raw ?? ''));
  return r === '' ? DEFAULT_REGION : r;
}

/** A deep copy of a record, so the caller's object is never changed. */
function copy(rec) {
  return {
    id: rec.id,
    kind: rec.kind,
    fields: rec.fields.map((f) => ({ name: f.name, value: { ...f.value } })),
  };
}

/**
 * Normalizes `rec`, reading numbers without a country code as numbers of
 * `region`. Fields this connector does not know are kept unchanged.
 * Returns `{ ok: record }` or `{ err: [field-error] }`.
 */
export function normalizeRecord(input, region) {
  if (input.kind !== KIND_CALL && input.kind !== KIND_CONTACT) {
    return {
      err: [{
        field: '',
        reason: `unknown record kind ${debugStr(input.kind)}; this connector accepts "call" and "contact"`,
      }],
    };
  }
  const rec = copy(input);
  const errors = required(rec, input.kind === KIND_CALL);
  const apply = (name, f) => {
    const r = f(rec);
    if (r.error !== undefined) errors.push({ field: name, reason: r.error });
    else if (r.value !== null && r.value !== undefined) set(rec, name, r.value);
  };
  for (const name of [PHONE, FROM_NUMBER, TO_NUMBER]) apply(name, (r) => phoneField(r, name, region));
  apply(EMAIL, emailField);
  apply(STARTED_AT, (r) => startedAt(get(r, STARTED_AT)));
  apply(DURATION, duration);
  apply(DIRECTION, direction);
  apply(STATUS, status);
  apply(RECORDING_URL, recordingUrl);
  for (const name of [FIRST_NAME, LAST_NAME, COMPANY, TITLE, NOTES]) {
    apply(name, (r) => mapText(textOf(r, name), text));
  }
  return errors.length === 0 ? { ok: rec } : { err: errors };
}

/** `{ value }` / `{ error }` with `f` applied to a present value. */
function mapText(t, f) {
  if (t.error !== undefined) return t;
  return { value: t.value === null ? null : f(t.value) };
}

/** A call needs `phone` and `started-at`; a contact needs `phone` or `email`. */
function required(rec, isCall) {
  const missing = [];
  if (isCall) {
    if (!isPresent(rec, PHONE)) missing.push({ field: PHONE, reason: "is required: the other party's phone number" });
    if (!isPresent(rec, STARTED_AT)) missing.push({ field: STARTED_AT, reason: 'is required: RFC 3339 or Unix milliseconds' });
  } else if (!isPresent(rec, PHONE) && !isPresent(rec, EMAIL)) {
    missing.push({ field: PHONE, reason: 'a contact needs a phone or an email' });
  }
  return missing;
}

function phoneField(rec, name, region) {
  const t = textOf(rec, name);
  if (t.error !== undefined || t.value === null) return t;
  const p = toE164(t.value, region);
  return p.error !== undefined ? { error: p.error } : { value: text(p.e164) };
}

function emailField(rec) {
  const t = textOf(rec, EMAIL);
  if (t.error !== undefined || t.value === null) return t;
  const e = normalizeEmail(t.value);
  return e.error !== undefined ? e : { value: text(e.value) };
}

/** RFC 3339 with any offset, or Unix milliseconds (number or digits), to RFC 3339 UTC. */
export function startedAt(v) {
  let raw;
  if (v === undefined || v.tag === 'null') return { value: null };
  if (v.tag === 'text' || v.tag === 'timestamp') {
    raw = trim(v.val);
    if (raw === '') return { value: null };
  } else if (v.tag === 'integer') {
    raw = BigInt(v.val).toString();
  } else if (v.tag === 'number' && Number.isFinite(v.val) && Number.isInteger(v.val)) {
    raw = BigInt(v.val).toString();
  } else {
    return { error: `must be an RFC 3339 timestamp or Unix milliseconds, got ${valueKind(v)}` };
  }
  const ms = parseI64(raw);
  if (ms !== null && ms < MIN_UNIX_MS) {
    return { error: `${debugStr(raw)} looks like Unix seconds; send Unix milliseconds or RFC 3339` };
  }
  const t = toUtc(raw);
  return t.error !== undefined ? t : { value: timestamp(t.value) };
}

function duration(rec) {
  if (!isPresent(rec, DURATION)) return { value: null };
  const s = integerOf(rec, DURATION);
  if (s === null) return { error: `must be a whole number of seconds, got ${describeValue(get(rec, DURATION))}` };
  if (s < 0n) return { error: `must be 0 or more seconds, got ${s}` };
  return { value: integer(s) };
}

function direction(rec) {
  const t = textOf(rec, DIRECTION);
  if (t.error !== undefined || t.value === null) return t;
  const d = asciiLower(t.value);
  if (d === 'inbound' || d === 'outbound') return { value: text(d) };
  return { error: `must be "inbound" or "outbound", got ${debugStr(t.value)}` };
}

/** Upper-case with `_` separators (`no answer` -> `NO_ANSWER`). */
function status(rec) {
  const t = textOf(rec, STATUS);
  if (t.error !== undefined || t.value === null) return t;
  const s = [...t.value].map((c) => (c === ' ' || c === '-' ? '_' : asciiUpper(c))).join('');
  if (/^[A-Z_]*$/.test(s)) return { value: text(s) };
  return { error: `must be a HubSpot call status such as "COMPLETED" or "NO_ANSWER", got ${debugStr(t.value)}` };
}

function recordingUrl(rec) {
  const t = textOf(rec, RECORDING_URL);
  if (t.error !== undefined || t.value === null) return t;
  const lower = asciiLower(t.value);
  if (lower.startsWith('https://') || lower.startsWith('http://')) return { value: text(t.value) };
  return { error: `must be an http(s) URL, got ${debugStr(t.value)}` };
}

function describeValue(v) {
  if (v === undefined) return 'nothing';
  if (v.tag === 'text') return debugStr(v.val);
  if (v.tag === 'number') return f64ToString(v.val);
  return valueKind(v);
}
