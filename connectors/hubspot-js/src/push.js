// `push`: deliver a call (with its contact) or a contact to HubSpot,
// safely repeatable with the same idempotency key. Host calls go through
// the `host` object (see `host.js`), so this runs under `node --test`
// against a scripted fake.

import { CALL_KEY_PROPERTY, callContactAssociation, callProperties } from './api.js';
import { classify } from './classify.js';
import { PushFailure, describeFailure, isSuccess, permanentFailure, responseFailure } from './errors.js';
import { KIND_CALL, KIND_CONTACT } from './fields.js';
import { getObject } from './json.js';
import { CALLS, CONTACTS, contactProperties } from './mapping.js';
import { How, hintsFrom, phoneKey, resolve } from './resolve.js';
import { debugStr, trim } from './text.js';
import { CALL, upsert } from './upsert.js';

/** The `state` key holding the call id created for an idempotency key. */
export function callKey(idempotencyKey) {
  return `call:${idempotencyKey}`;
}

const ref = (object, id) => ({ object, id });
const outcome = (status, primary) => ({ status, primary, related: [], effects: [] });

/**
 * Pushes a normalized, mapped record. Returns the WIT `push-outcome` or
 * throws a `PushFailure` carrying the WIT `push-error`.
 */
export function push(host, ctx, rec, payload) {
  if (rec.kind === KIND_CALL) return pushCall(host, ctx.idempotencyKey, rec, payload);
  if (rec.kind === KIND_CONTACT) return pushContact(host, payload);
  throw permanentFailure(`unknown record kind ${debugStr(rec.kind)}`);
}

function debugFieldErrors(errors) {
  return `[${errors.map((e) => `FieldError { field: ${debugStr(e.field)}, reason: ${debugStr(e.reason)} }`).join(', ')}]`;
}

/**
 * A call: resolve the contact, upsert the call by its idempotency key,
 * link the two, then note the call id in `state`. The upsert is what makes
 * a replay safe; the `call:<key>` entry is only a cache that saves the
 * HTTP on a replay. A cached contact id HubSpot no longer knows is dropped
 * and the contact resolved again, once.
 */
function pushCall(host, idempotencyKey, rec, payload) {
  const key = callKey(idempotencyKey);
  const props = contactProperties(rec);
  if (props.err) throw permanentFailure(`record has invalid contact fields: ${debugFieldErrors(props.err)}`);
  const hints = hintsFrom(props.ok);
  const cached = host.stateGet(key);
  if (cached !== null && trim(cached) !== '') return replayed(host, hints, cached);

  let contact = resolve(host, hints, true);
  const callProps = callProperties(payload.body, idempotencyKey);
  if (callProps.err) throw permanentFailure(callProps.err);
  const call = upsert(host, CALL, idempotencyKey, callProps.ok);
  let linked = associate(host, call.id, contact.id);
  if (contact.how === How.CACHE && refersToMissingObject(linked)) {
    host.annotate('contact', `cached contact ${contact.id} is gone; resolving again`);
    if (hints.phone !== undefined) {
      try {
        host.stateRemove(phoneKey(hints.phone));
      } catch (e) {
        if (!(e instanceof PushFailure)) throw e;
        host.warn(`could not drop stale contact cache for ${debugStr(hints.phone)}: ${describeFailure(e.pushError)}`);
      }
    }
    contact = resolve(host, hints, false);
    linked = associate(host, call.id, contact.id);
  }
  if (!isSuccess(linked.status)) throw responseFailure(linked);
  try {
    host.stateSet(key, call.id);
  } catch (e) {
    // Only a cache: a replay upserts again and finds the same call.
    if (!(e instanceof PushFailure)) throw e;
    host.warn(`call ${debugStr(call.id)} not cached for replays: ${describeFailure(e.pushError)}`);
  }
  const callRef = ref(CALLS, call.id);
  const contactRef = ref(CONTACTS, contact.id);
  let out;
  if (call.isNew) {
    host.annotate('call', `created ${call.id}`);
    out = outcome('created', callRef);
  } else {
    host.annotate('call', `already in HubSpot as ${call.id} (found by ${CALL_KEY_PROPERTY})`);
    out = outcome('already-present', callRef);
  }
  out.related.push(contactRef);
  if (contact.how === How.CREATED) out.effects.push({ action: 'create', target: contactRef });
  if (call.isNew) out.effects.push({ action: 'create', target: callRef });
  return out;
}

/** The outcome of a replay: the call recorded in `state`, and its contact if the phone cache knows it. No HTTP. */
function replayed(host, hints, callId) {
  host.annotate('call', `already created ${callId} (idempotent replay)`);
  const out = outcome('already-present', ref(CALLS, callId));
  if (hints.phone !== undefined) {
    try {
      const contactId = host.stateGet(phoneKey(hints.phone));
      if (contactId !== null) out.related.push(ref(CONTACTS, contactId));
    } catch (e) {
      if (!(e instanceof PushFailure)) throw e;
    }
  }
  return out;
}

/** Links the call to the contact (default association, idempotent); returns the response. */
function associate(host, callId, contactId) {
  return host.send('PUT', callContactAssociation(callId, contactId), undefined);
}

/** A 404, or a 400 naming invalid object ids. */
function refersToMissingObject(resp) {
  return !isSuccess(resp.status) && classify(resp).tag === 'not-found';
}

/** A contact: resolve or create it. */
function pushContact(host, payload) {
  let body;
  try {
    body = JSON.parse(payload.body);
  } catch (e) {
    throw permanentFailure(`contact payload is not JSON: ${e.message}`);
  }
  const properties = getObject(body, 'properties');
  if (!properties) throw permanentFailure('contact payload has no "properties" object');
  const hints = hintsFrom(properties);
  if (hints.phone === undefined && hints.email === undefined) {
    throw permanentFailure('contact payload has neither "phone" nor "email"');
  }
  const contact = resolve(host, hints, true);
  const r = ref(CONTACTS, contact.id);
  if (contact.how === How.CREATED) {
    const out = outcome('created', r);
    out.effects.push({ action: 'create', target: r });
    return out;
  }
  return outcome('already-present', r);
}
