// The connector's input vocabulary (record kinds and field names) and
// lenient readers for field values. Pure.
//
// A record is what the host passes: `{ id, kind, fields: [{ name, value }] }`
// where `value` is a WIT variant `{ tag, val }` (`integer` values are
// BigInt).

import { f64AsI64, f64ToString, parseI64, trim } from './text.js';

export const KIND_CALL = 'call';
export const KIND_CONTACT = 'contact';

export const PHONE = 'phone';
export const EMAIL = 'email';
export const FIRST_NAME = 'first-name';
export const LAST_NAME = 'last-name';
export const COMPANY = 'company';
export const STARTED_AT = 'started-at';
export const DURATION = 'duration-seconds';
export const DIRECTION = 'direction';
export const TITLE = 'title';
export const NOTES = 'notes';
export const STATUS = 'status';
export const FROM_NUMBER = 'from-number';
export const TO_NUMBER = 'to-number';
export const RECORDING_URL = 'recording-url';

/** Value constructors. */
export const text = (s) => ({ tag: 'text', val: s });
export const timestamp = (s) => ({ tag: 'timestamp', val: s });
export const integer = (i) => ({ tag: 'integer', val: BigInt(i) });

/** The value of the first field called `name`, or undefined. */
export function get(rec, name) {
  const f = rec.fields.find((x) => x.name === name);
  return f ? f.value : undefined;
}

/** Replaces the value of field `name` in place, or appends the field. */
export function set(rec, name, value) {
  const f = rec.fields.find((x) => x.name === name);
  if (f) f.value = value;
  else rec.fields.push({ name, value });
}

/** The name of a value's kind, for error messages. */
export function valueKind(v) {
  switch (v.tag) {
    case 'null': return 'null';
    case 'text': return 'text';
    case 'integer': return 'an integer';
    case 'number': return 'a number';
    case 'boolean': return 'a boolean';
    case 'timestamp': return 'a timestamp';
    case 'json': return 'a JSON document';
    default: return String(v.tag);
  }
}

/**
 * The trimmed text of field `name`: `{ value: string | null }` (null when
 * absent, null or blank) or `{ error }`. Whole and decimal numbers read as
 * their decimal text; booleans and JSON documents are refused.
 */
export function textOf(rec, name) {
  const v = get(rec, name);
  if (v === undefined || v.tag === 'null') return { value: null };
  let s;
  if (v.tag === 'text' || v.tag === 'timestamp') s = trim(v.val);
  else if (v.tag === 'integer') s = BigInt(v.val).toString();
  else if (v.tag === 'number' && Number.isFinite(v.val)) s = f64ToString(v.val);
  else return { error: `must be text, got ${valueKind(v)}` };
  return { value: s === '' ? null : s };
}

/** True when field `name` holds something other than null or blank text. */
export function isPresent(rec, name) {
  const t = textOf(rec, name);
  return t.error !== undefined || t.value !== null;
}

/** The field as a whole number (BigInt): integers, text holding one, whole floats. */
export function integerOf(rec, name) {
  const v = get(rec, name);
  if (v === undefined) return null;
  if (v.tag === 'integer') return BigInt(v.val);
  if (v.tag === 'text') return parseI64(trim(v.val));
  if (v.tag === 'number' && Number.isFinite(v.val) && Number.isInteger(v.val)) return f64AsI64(v.val);
  return null;
}
