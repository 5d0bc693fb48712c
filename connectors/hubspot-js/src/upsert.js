// Create-or-update by a unique-value property (`batch/upsert`): the
// CRM-side idempotency that holds even when the process dies between
// HubSpot's answer and anything this connector or the host records.

import { CALLS_UPSERT, CALL_KEY_PROPERTY, CONTACTS_UPSERT, CONTACT_PHONE_PROPERTY, batchError, upserted, upsertBody } from './api.js';
import { permanent, summary } from './classify.js';
import { classified, isSuccess, permanentFailure, responseFailure } from './errors.js';
import { parse, stringify } from './json.js';
import { lossy, strictUtf8, utf8 } from './text.js';

/** Calls, by the record's idempotency key. */
export const CALL = { object: 'calls', path: CALLS_UPSERT, idProperty: CALL_KEY_PROPERTY };
/** Contacts, by E.164 phone. */
export const CONTACT = { object: 'contacts', path: CONTACTS_UPSERT, idProperty: CONTACT_PHONE_PROPERTY };

/**
 * Upserts one object; returns `{ id, isNew }` or throws a `PushFailure`.
 * An error answer goes back as the response (the host classifies it),
 * except when the portal lacks the unique property: a permanent error
 * telling the operator what to create. A 207 is judged by its first error.
 */
export function upsert(host, target, id, properties) {
  const body = upsertBody(target.idProperty, id, properties);
  const resp = host.send('POST', target.path, body);
  if (!isSuccess(resp.status)) {
    if (resp.status === 400 && namesProperty(resp.body, target.idProperty)) {
      throw missingProperty(target, resp.body);
    }
    throw responseFailure(resp);
  }
  const text = strictUtf8(resp.body);
  const answer = text === null ? undefined : parse(text)?.value;
  const error = batchError(answer);
  if (error !== undefined) throw batchFailure(target, resp, error);
  const found = upserted(answer);
  if (!found) {
    throw permanentFailure(`${target.object} upsert answered ${resp.status} without "results"[0]."id"`);
  }
  return found;
}

/** The permanent error for a portal without the unique property. */
export function missingProperty(target, body) {
  return permanentFailure(
    `HubSpot property "${target.idProperty}" on ${target.object} must exist with hasUniqueValue=true: ` +
      'create it in the portal as a single-line text property with unique values required (see the hubspot ' +
      `connector README, "Portal set-up"); HubSpot said: ${summary(body)}`,
  );
}

/** Whether an error body mentions `property` anywhere. */
function namesProperty(body, property) {
  return lossy(body).includes(property);
}

/**
 * A 207 (or a 2xx carrying `errors[]`): the first error, as a permanent
 * set-up error when it is about the unique property, otherwise handed to
 * the host as the response it would have been on its own.
 */
function batchFailure(target, resp, error) {
  const bytes = utf8(stringify(error));
  const category = typeof error?.category === 'string' ? error.category : '';
  if (category === 'VALIDATION_ERROR' && namesProperty(bytes, target.idProperty)) {
    return missingProperty(target, bytes);
  }
  const status = statusOf(category);
  if (status !== undefined) return responseFailure({ status, headers: resp.headers, body: bytes });
  return classified(
    permanent(`${target.object} upsert answered ${resp.status} with an error: ${summary(bytes)}`),
  );
}

/** The status HubSpot answers a single request with for an error category. */
function statusOf(category) {
  switch (category) {
    case 'VALIDATION_ERROR': return 400;
    case 'INVALID_AUTHENTICATION':
    case 'EXPIRED_AUTHENTICATION': return 401;
    case 'MISSING_SCOPES': return 403;
    case 'OBJECT_NOT_FOUND': return 404;
    case 'CONFLICT': return 409;
    case 'RATE_LIMIT':
    case 'RATE_LIMITS': return 429;
    default: return undefined;
  }
}
