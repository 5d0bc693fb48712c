// HubSpot CRM v3 paths, request bodies and response readers. Pure.

import { getArray, getObject, getStr, isObject } from './json.js';
import { toE164, typedVariants } from './phone.js';
import { asciiLower, parseU64, trim } from './text.js';

/** Contact search (its own limit: 4 requests per second per token). */
export const CONTACT_SEARCH = '/crm/v3/objects/contacts/search';
/** Contact create (contacts without a phone). */
export const CONTACTS_PATH = '/crm/v3/objects/contacts';
/** Contact create-or-update by a unique property. */
export const CONTACTS_UPSERT = '/crm/v3/objects/contacts/batch/upsert';
/** Call create-or-update by a unique property. */
export const CALLS_UPSERT = '/crm/v3/objects/calls/batch/upsert';
/** The custom call property (unique values) holding the record's idempotency key. */
export const CALL_KEY_PROPERTY = 'switchboard_idempotency_key';
/** The custom contact property (unique values) holding the E.164 phone of contacts this connector creates. */
export const CONTACT_PHONE_PROPERTY = 'switchboard_phone_e164';
/** Most filter groups sent in one phone search (HubSpot allows 6). */
const MAX_PHONE_GROUPS = 5;
/** Results asked for per search; duplicates beyond this are not seen. */
const SEARCH_LIMIT = 100;

/** A search for contacts whose `phone` equals any common spelling of `e164`. */
export function phoneSearch(e164) {
  const groups = typedVariants(e164)
    .slice(0, MAX_PHONE_GROUPS)
    .map((v) => ({ filters: [{ propertyName: 'phone', operator: 'EQ', value: v }] }));
  return searchBody(groups);
}

/** A search for contacts whose `email` equals `email`. */
export function emailSearch(email) {
  return searchBody([{ filters: [{ propertyName: 'email', operator: 'EQ', value: email }] }]);
}

function searchBody(groups) {
  return { filterGroups: groups, properties: ['phone', 'mobilephone', 'email'], limit: SEARCH_LIMIT };
}

/**
 * The lowest id among search results whose `phone` or `mobilephone`, read
 * as typed with `region`, is `e164`. HubSpot stores phones as people typed
 * them, so its EQ matches are re-checked here.
 */
export function pickByPhone(answer, e164, region) {
  return lowestId(answer, (props) =>
    ['phone', 'mobilephone'].some((k) => {
      const typed = getStr(props, k);
      return typed !== undefined && toE164(typed, region).e164 === e164;
    }),
  );
}

/** The lowest id among search results whose `email` is `email` (any case), or that do not echo it. */
export function pickByEmail(answer, email) {
  return lowestId(answer, (props) => {
    const e = getStr(props, 'email');
    return e === undefined || asciiLower(trim(e)) === asciiLower(email);
  });
}

/** Whether a search answer has the `results` list it should have. */
export function hasResults(answer) {
  return getArray(answer, 'results') !== undefined;
}

function lowestId(answer, keep) {
  const results = getArray(answer, 'results');
  if (!results) return undefined;
  let best;
  for (const r of results) {
    const props = isObject(r) && r.properties !== undefined ? r.properties : null;
    if (!keep(props)) continue;
    const id = objectId(r);
    if (id === undefined) continue;
    const key = parseU64(id) ?? 2n ** 64n - 1n;
    if (best === undefined || key < best.key || (key === best.key && id < best.id)) best = { key, id };
  }
  return best?.id;
}

/** The `id` of a HubSpot object (a string; a number is accepted too). */
export function objectId(obj) {
  if (!isObject(obj)) return undefined;
  const id = obj.id;
  if (typeof id === 'string' && trim(id) !== '') return trim(id);
  if (typeof id === 'number') return String(id);
  return undefined;
}

/**
 * The mapped call properties (`{"properties":{...}}` from `map-fields`)
 * plus the idempotency key: `{ ok }` or `{ err: reason }`.
 */
export function callProperties(mapped, idempotencyKey) {
  let body;
  try {
    body = JSON.parse(mapped);
  } catch (e) {
    return { err: `call payload is not JSON: ${e.message}` };
  }
  const props = getObject(body, 'properties');
  if (!props) return { err: 'call payload has no "properties" object' };
  return { ok: { ...props, [CALL_KEY_PROPERTY]: idempotencyKey } };
}

/** A one-input batch upsert: create the object whose `idProperty` is `id`, or update it. */
export function upsertBody(idProperty, id, properties) {
  return { inputs: [{ id, idProperty, properties: { ...properties, [idProperty]: id } }] };
}

/** The object a batch upsert answered with: `{ id, isNew }`, or undefined. */
export function upserted(answer) {
  const results = getArray(answer, 'results');
  if (!results || results.length === 0) return undefined;
  const first = results[0];
  const id = objectId(first);
  if (id === undefined) return undefined;
  return { id, isNew: isObject(first) && first.new === true };
}

/** The first entry of a batch answer's `errors[]` (HubSpot's 207 multi-status), if any. */
export function batchError(answer) {
  const errors = getArray(answer, 'errors');
  return errors && errors.length > 0 ? errors[0] : undefined;
}

/** The path that links a call to a contact with the default association type. */
export function callContactAssociation(callId, contactId) {
  return `/crm/v4/objects/calls/${pathSegment(callId)}/associations/default/contacts/${pathSegment(contactId)}`;
}

/** Percent-encodes everything but unreserved characters, so an id can never change the path. */
function pathSegment(text) {
  let out = '';
  for (const b of new TextEncoder().encode(text)) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9\-._~]/.test(c) && b < 0x80 ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
