// `map-fields`: a normalized record to HubSpot's create body
// (`{"properties": {...}}`). Pure and deterministic: no host calls, keys
// sorted. The call's association to its contact is added at push time.

import {
  COMPANY, DIRECTION, DURATION, EMAIL, FIRST_NAME, FROM_NUMBER, KIND_CALL, KIND_CONTACT,
  LAST_NAME, NOTES, PHONE, RECORDING_URL, STARTED_AT, STATUS, TITLE, TO_NUMBER,
  integerOf, isPresent, textOf,
} from './fields.js';
import { stringify } from './json.js';
import { asciiLower, asciiUpper, debugStr } from './text.js';

/** HubSpot object type of call engagements. */
export const CALLS = 'calls';
/** HubSpot object type of contacts. */
export const CONTACTS = 'contacts';
/** `hs_call_status` when the record gives none. */
const DEFAULT_STATUS = 'COMPLETED';
const U64_MAX = 2n ** 64n - 1n;

/** The HubSpot call properties this connector writes (and owns). */
export const OWNED_CALL_PROPERTIES = [
  'hs_call_title',
  'hs_call_body',
  'hs_call_duration',
  'hs_call_direction',
  'hs_call_status',
  'hs_call_from_number',
  'hs_call_to_number',
  'hs_call_recording_url',
];

/** The payload for a normalized record: `{ ok: { object, body } }` or `{ err: [field-error] }`. */
export function mapRecord(rec) {
  let object;
  let props;
  if (rec.kind === KIND_CALL) {
    object = CALLS;
    props = callProperties(rec);
  } else if (rec.kind === KIND_CONTACT) {
    if (!isPresent(rec, PHONE) && !isPresent(rec, EMAIL)) {
      return { err: [{ field: PHONE, reason: 'a contact needs a phone or an email' }] };
    }
    object = CONTACTS;
    props = contactProperties(rec);
  } else {
    return { err: [{ field: '', reason: `unknown record kind ${debugStr(rec.kind)}` }] };
  }
  if (props.err) return props;
  return { ok: { object, body: stringify({ properties: props.ok }) } };
}

/** Properties being built and the field errors met. */
class Props {
  constructor() {
    this.map = {};
    this.errors = [];
  }
  put(prop, value) {
    this.map[prop] = value;
  }
  fail(field, reason) {
    this.errors.push({ field, reason });
  }
  /** Copies a text field to a property when it has a value. */
  copy(rec, field, prop) {
    const t = textOf(rec, field);
    if (t.error !== undefined) this.fail(field, t.error);
    else if (t.value !== null) this.put(prop, t.value);
  }
  finish() {
    return this.errors.length === 0 ? { ok: this.map } : { err: this.errors };
  }
}

/**
 * HubSpot contact properties from the record's contact fields (`phone`,
 * `email`, `first-name`, `last-name`, `company`), present values only.
 */
export function contactProperties(rec) {
  const p = new Props();
  for (const [field, prop] of [
    [PHONE, 'phone'],
    [EMAIL, 'email'],
    [FIRST_NAME, 'firstname'],
    [LAST_NAME, 'lastname'],
    [COMPANY, 'company'],
  ]) {
    p.copy(rec, field, prop);
  }
  return p.finish();
}

function callProperties(rec) {
  const p = new Props();
  const ts = textOf(rec, STARTED_AT);
  if (ts.error !== undefined) p.fail(STARTED_AT, ts.error);
  else if (ts.value === null) p.fail(STARTED_AT, 'is required');
  else p.put('hs_timestamp', ts.value);
  for (const [field, prop] of [
    [TITLE, 'hs_call_title'],
    [NOTES, 'hs_call_body'],
    [FROM_NUMBER, 'hs_call_from_number'],
    [TO_NUMBER, 'hs_call_to_number'],
    [RECORDING_URL, 'hs_call_recording_url'],
  ]) {
    p.copy(rec, field, prop);
  }
  if (isPresent(rec, DURATION)) {
    const s = integerOf(rec, DURATION);
    const ms = s === null || s < 0n ? null : s * 1000n;
    if (ms === null || ms > U64_MAX) p.fail(DURATION, 'must be a whole number of seconds, 0 or more');
    else p.put('hs_call_duration', ms.toString());
  }
  const d = textOf(rec, DIRECTION);
  if (d.error !== undefined) p.fail(DIRECTION, d.error);
  else if (d.value !== null) {
    const lower = asciiLower(d.value);
    if (lower === 'inbound') p.put('hs_call_direction', 'INBOUND');
    else if (lower === 'outbound') p.put('hs_call_direction', 'OUTBOUND');
    else p.fail(DIRECTION, `must be "inbound" or "outbound", got ${debugStr(d.value)}`);
  }
  const s = textOf(rec, STATUS);
  if (s.error !== undefined) p.fail(STATUS, s.error);
  else p.put('hs_call_status', s.value === null ? DEFAULT_STATUS : asciiUpper(s.value));
  return p.finish();
}
