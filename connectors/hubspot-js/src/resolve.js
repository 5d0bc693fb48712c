// Finding or creating the HubSpot contact a record is about: `state`
// cache, phone search (re-checked as E.164), e-mail search, then create.
// With a phone the create is an upsert by the unique property
// `switchboard_phone_e164`, so a contact created before a crash is found
// again even while search lags; without one it is a plain create. Either
// takes the existing id from a 409 e-mail conflict.
//
// `host` is the small interface described in `host.js`.

import {
  CONTACTS_PATH, CONTACT_PHONE_PROPERTY, CONTACT_SEARCH, emailSearch, hasResults, objectId,
  phoneSearch, pickByEmail, pickByPhone,
} from './api.js';
import { classify } from './classify.js';
import { PushFailure, describeFailure, isSuccess, permanentFailure, responseFailure } from './errors.js';
import { parse } from './json.js';
import { debugStr, strictUtf8, trim } from './text.js';
import { CONTACT, upsert } from './upsert.js';

/** How the contact was found. */
export const How = Object.freeze({
  CACHE: 'cache',
  PHONE_SEARCH: 'phone-search',
  EMAIL_SEARCH: 'email-search',
  CREATED: 'created',
  UPSERTED: 'upserted',
  CONFLICT: 'conflict',
});

/** The audit note, e.g. `matched 512 by phone search`. */
export function note({ id, how }) {
  switch (how) {
    case How.CACHE: return `state cache ${id}`;
    case How.PHONE_SEARCH: return `matched ${id} by phone search`;
    case How.EMAIL_SEARCH: return `matched ${id} by email search`;
    case How.CREATED: return `created ${id}`;
    case How.UPSERTED: return `matched ${id} by ${CONTACT_PHONE_PROPERTY} upsert`;
    default: return `409 conflict, existing ${id}`;
  }
}

/** What identifies a contact (`phone`, `email`), and the properties to create it with. */
export function hintsFrom(properties) {
  const str = (k) => (typeof properties[k] === 'string' ? properties[k] : undefined);
  return { phone: str('phone'), email: str('email'), properties };
}

/** The `state` key caching the contact id of a phone number. */
export function phoneKey(e164) {
  return `phone:${e164}`;
}

/** A `PushFailure` in a few words for warnings, or rethrows anything else. */
function failureText(e) {
  if (!(e instanceof PushFailure)) throw e;
  return describeFailure(e.pushError);
}

/**
 * Finds or creates the contact (`{ id, how }`); caches phone -> id and
 * notes on the audit trail how it was found. `useCache: false` skips the
 * cache read.
 */
export function resolve(host, hints, useCache) {
  const contact = find(host, hints, useCache) ?? create(host, hints);
  if (contact.how !== How.CACHE && hints.phone !== undefined) {
    try {
      host.stateSet(phoneKey(hints.phone), contact.id);
    } catch (e) {
      host.warn(`could not cache contact ${debugStr(contact.id)} for ${debugStr(hints.phone)}: ${failureText(e)}`);
    }
  }
  host.annotate('contact', note(contact));
  return contact;
}

function find(host, hints, useCache) {
  if (hints.phone !== undefined) {
    if (useCache) {
      try {
        const id = host.stateGet(phoneKey(hints.phone));
        if (id !== null && trim(id) !== '') return { id, how: How.CACHE };
      } catch (e) {
        host.warn(`phone cache read failed, searching instead: ${failureText(e)}`);
      }
    }
    const answer = search(host, phoneSearch(hints.phone));
    const id = pickByPhone(answer, hints.phone, host.region);
    if (id !== undefined) return { id, how: How.PHONE_SEARCH };
  }
  if (hints.email !== undefined) {
    const answer = search(host, emailSearch(hints.email));
    const id = pickByEmail(answer, hints.email);
    if (id !== undefined) return { id, how: How.EMAIL_SEARCH };
  }
  return undefined;
}

/** The JSON of a response body, or undefined. */
export function jsonOf(resp) {
  const text = strictUtf8(resp.body);
  return text === null ? undefined : parse(text)?.value;
}

function search(host, body) {
  const resp = host.send('POST', CONTACT_SEARCH, body);
  if (!isSuccess(resp.status)) throw responseFailure(resp);
  const answer = jsonOf(resp);
  if (!hasResults(answer)) {
    throw permanentFailure(`contact search answered ${resp.status} without a "results" list`);
  }
  return answer;
}

function create(host, hints) {
  return hints.phone !== undefined ? upsertByPhone(host, hints, hints.phone) : createPlain(host, hints);
}

/** Upserts by `switchboard_phone_e164`; a 409 (the e-mail belongs to another contact) yields that contact. */
function upsertByPhone(host, hints, phone) {
  const properties = { ...hints.properties, [CONTACT_PHONE_PROPERTY]: phone };
  try {
    const { id, isNew } = upsert(host, CONTACT, phone, properties);
    return { id, how: isNew ? How.CREATED : How.UPSERTED };
  } catch (e) {
    if (e instanceof PushFailure && e.pushError.tag === 'response') {
      const id = conflictId(e.pushError.val);
      if (id !== undefined) return { id, how: How.CONFLICT };
    }
    throw e;
  }
}

/** A plain create (contacts without a phone). */
function createPlain(host, hints) {
  const resp = host.send('POST', CONTACTS_PATH, { properties: hints.properties });
  const conflict = conflictId(resp);
  if (conflict !== undefined) return { id: conflict, how: How.CONFLICT };
  if (!isSuccess(resp.status)) throw responseFailure(resp);
  const id = objectId(jsonOf(resp));
  if (id === undefined) throw permanentFailure(`contact create answered ${resp.status} without an "id"`);
  return { id, how: How.CREATED };
}

/** The existing contact's id from a 409 conflict. */
function conflictId(resp) {
  if (resp.status !== 409) return undefined;
  const c = classify(resp);
  return c.tag === 'duplicate' ? c.val : undefined;
}
