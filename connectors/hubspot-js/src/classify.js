// `classify-error`: HubSpot error responses to the host's error classes.
// Pure. The body may be JSON of any shape, other text, truncated or empty:
// every part is treated as optional. Error classes are WIT variants
// (`{ tag, val }`, u64 values as BigInt).

import { get, getArray, getStr, parse } from './json.js';
import {
  asciiLower, debugList, debugStr, f64AsU64, lossy, parseF64, strictUtf8, trim, trimStart, truncateUtf8,
} from './text.js';

/** Longest slice (UTF-8 bytes) of a non-JSON body quoted in a reason. */
const MAX_QUOTE = 200;

// Error class constructors.
export const transient = (retryAfterMs) => ({ tag: 'transient', val: retryAfterMs ?? undefined });
export const rateLimitedBurst = (retryAfterMs, policy) => ({
  tag: 'rate-limited', val: { retryAfterMs: retryAfterMs ?? undefined, scope: 'burst', policy },
});
export const rateLimitedDaily = (retryAfterMs, policy) => ({
  tag: 'rate-limited', val: { retryAfterMs: retryAfterMs ?? undefined, scope: 'daily', policy },
});
export const auth = (reason) => ({ tag: 'auth', val: reason });
export const permission = (reason) => ({ tag: 'permission', val: reason });
export const notFound = (reason) => ({ tag: 'not-found', val: reason });
export const validation = (field, reason) => ({ tag: 'validation', val: { field, reason } });
export const fieldRemoved = (field, reason) => ({ tag: 'field-removed', val: { field, reason } });
export const duplicate = (id) => ({ tag: 'duplicate', val: id ?? undefined });
export const permanent = (reason) => ({ tag: 'permanent', val: reason });

/** How long a burst limit is waited out when HubSpot sends no `Retry-After`. */
function defaultBurstWaitMs(policy) {
  if (policy === 'TEN_SECONDLY_ROLLING') return 10_000n;
  if (policy === 'SECONDLY') return 1_000n;
  return undefined;
}

/** A header's value (names compare case-insensitively), or undefined. */
export function header(headers, name) {
  const want = asciiLower(name);
  const h = (headers || []).find(([k]) => asciiLower(k) === want);
  return h ? h[1] : undefined;
}

/** `Retry-After` in milliseconds (delta-seconds, possibly fractional), as BigInt. */
export function retryAfterMs(headers) {
  const v = header(headers, 'retry-after');
  if (v === undefined) return undefined;
  const secs = parseF64(trim(v));
  if (secs === null || !Number.isFinite(secs) || secs < 0) return undefined;
  return f64AsU64(Math.round(secs * 1000));
}

/** A response body, JSON if it parses, always also as lossy text. */
class Body {
  constructor(bytes) {
    const strict = strictUtf8(bytes);
    const parsed = strict === null ? null : parse(strict);
    this.json = parsed ? parsed.value : undefined;
    this.text = trim(lossy(bytes));
  }
  str(key) {
    return getStr(this.json, key);
  }
  category() {
    return this.str('category') ?? '';
  }
  subCategory() {
    return this.str('subCategory') ?? '';
  }
  message() {
    return this.str('message') ?? '';
  }
  /** Entries of `errors[]` (v3) and `validationResults[]` (v1). */
  details() {
    return ['errors', 'validationResults'].flatMap((k) => getArray(this.json, k) ?? []);
  }
  /** The top-level `context` and every detail's `context`. */
  detailContexts() {
    const top = get(this.json, 'context');
    const out = top === undefined ? [] : [top];
    for (const d of this.details()) {
      const c = get(d, 'context');
      if (c !== undefined) out.push(c);
    }
    return out;
  }
  /** `CATEGORY: message` as far as known; for a non-JSON body the start of its text. */
  summary() {
    const category = this.category();
    const message = this.message();
    if (message !== '' && category !== '') return `${category}: ${message}`;
    if (message !== '') return message;
    if (category !== '') return category;
    if (this.text === '') return 'empty body';
    return debugStr(truncateUtf8(this.text, MAX_QUOTE));
  }
  correlation() {
    const id = this.str('correlationId');
    return id === undefined ? '' : ` (correlation id ${debugStr(id)})`;
  }
}

/**
 * Classifies one HubSpot error response `{ status, headers, body }`.
 *
 * 429 `DAILY` is a daily limit, any other 429 a burst limit; 401 auth; 403
 * permission (with the missing scopes); 404 or `OBJECT_NOT_FOUND`, and a 400
 * naming invalid association ids, not found; a 400 naming a property that
 * does not exist (PROPERTY_DOESNT_EXIST) field-removed; other 400s
 * validation naming the property; 409 duplicate with the id from "Existing ID: N"; 408, 425,
 * 477 and 5xx transient; the rest permanent.
 */
export function classify(resp) {
  const body = new Body(resp.body);
  const after = retryAfterMs(resp.headers);
  const status = resp.status;
  if (status === 429) return rateLimited(body, after);
  if (status === 401) return auth(authReason(body));
  if (status === 403) return permission(permissionReason(body));
  if (status === 404) return notFound(body.summary());
  if (status === 409) return duplicate(existingId(body.message()) ?? existingId(body.text));
  if (status === 400 && body.subCategory().includes('INVALID_OBJECT_IDS')) return notFound(body.summary());
  if (status === 400) return validationOf(body);
  if (status === 408 || status === 425 || status === 477 || (status >= 500 && status <= 599)) {
    return transient(after);
  }
  if (body.category() === 'OBJECT_NOT_FOUND') return notFound(body.summary());
  return permanent(`status ${status}: ${body.summary()}${body.correlation()}`);
}

/** `CATEGORY: message (correlation id "...")` of an error body, for reasons that quote HubSpot. */
export function summary(bytes) {
  const body = new Body(bytes);
  return `${body.summary()}${body.correlation()}`;
}

/** The id in HubSpot's conflict message `"... Existing ID: 37765128953"`. */
export function existingId(text) {
  const mark = 'existing id:';
  const at = asciiLower(text).indexOf(mark);
  if (at < 0) return undefined;
  const id = /^[0-9]*/.exec(trimStart(text.slice(at + mark.length)))[0];
  return id === '' ? undefined : id;
}

function rateLimited(body, after) {
  const policy = body.str('policyName') ?? '';
  const daily = policy === 'DAILY' || (policy === '' && asciiLower(body.message()).includes('daily limit'));
  if (daily) return rateLimitedDaily(after, 'DAILY');
  return rateLimitedBurst(after ?? defaultBurstWaitMs(policy), policy === '' ? 'unknown' : policy);
}

function authReason(body) {
  let what;
  switch (body.category()) {
    case 'EXPIRED_AUTHENTICATION':
      what = 'expired token (EXPIRED_AUTHENTICATION): refresh it or replace the "hubspot-token" secret';
      break;
    case 'INVALID_AUTHENTICATION':
      what = 'invalid or missing token (INVALID_AUTHENTICATION): check the "hubspot-token" secret';
      break;
    default:
      what = 'authentication failed (status 401)';
  }
  return `${what}; hubspot said: ${body.summary()}${body.correlation()}`;
}

function permissionReason(body) {
  if (body.category() !== 'MISSING_SCOPES') return `status 403: ${body.summary()}${body.correlation()}`;
  const scopes = [];
  for (const ctx of body.detailContexts()) {
    for (const key of ['requiredScopes', 'requiredGranularScopes']) scopes.push(...strings(get(ctx, key)));
  }
  const deduped = scopes.filter((s, i) => i === 0 || s !== scopes[i - 1]);
  return `the token lacks required scopes ${debugList(deduped)} (MISSING_SCOPES): grant them to the app${body.correlation()}`;
}

function validationOf(body) {
  const field = propertyName(body) ?? '';
  const firstMessage = body.details().map((d) => getStr(d, 'message')).find((m) => m !== undefined);
  const detail = firstMessage !== undefined && field !== '' && firstMessage.includes(field) ? firstMessage : undefined;
  const reason = detail ?? body.summary();
  if (field !== '' && propertyIsGone(body)) return fieldRemoved(field, reason);
  return validation(field, reason);
}

/** Whether a 400 says a property does not exist (deleted from the portal). */
function propertyIsGone(body) {
  const coded = body
    .details()
    .some((d) => ['code', 'error'].some((k) => getStr(d, k) === 'PROPERTY_DOESNT_EXIST'));
  const results = (getArray(body.json, 'validationResults') ?? []).some(
    (i) => getStr(i, 'error') === 'PROPERTY_DOESNT_EXIST',
  );
  return coded || results || body.message().includes('does not exist');
}

/**
 * The property a 400 complains about, from wherever HubSpot put it:
 * `errors[].context.propertyName`, v1 `validationResults[].name`, the JSON
 * list inside "Property values were not valid: [...]", a
 * `Property "x" does not exist` text, or `context.properties`.
 */
function propertyName(body) {
  for (const c of body.detailContexts()) {
    const names = strings(get(c, 'propertyName'));
    if (names.length > 0) return names[0];
  }
  for (const d of body.details()) {
    const n = getStr(d, 'name');
    if (n !== undefined && n !== '') return n;
  }
  const messages = [body.message(), ...body.details().map((d) => getStr(d, 'message')).filter((m) => m !== undefined)];
  for (const m of messages) {
    const n = nameInMessage(m);
    if (n !== undefined) return n;
  }
  const ctx = get(body.json, 'context');
  const required = strings(get(ctx, 'properties'));
  return required.length > 0 ? required[0] : undefined;
}

/** `Property values were not valid: [{"name":"x",...}]` or `Property "x" does not exist`. */
function nameInMessage(message) {
  const marker = message.indexOf('not valid:');
  if (marker >= 0) {
    const list = parse(trim(message.slice(marker + 'not valid:'.length)));
    if (list && Array.isArray(list.value)) {
      const name = list.value.map((i) => getStr(i, 'name')).find((n) => n !== undefined);
      if (name !== undefined) return name;
    }
  }
  const plain = message.replaceAll('\\"', '"');
  const start = plain.indexOf('Property "');
  if (start < 0) return undefined;
  const rest = plain.slice(start + 'Property "'.length);
  const end = rest.indexOf('"');
  if (end < 0) return undefined;
  const name = rest.slice(0, end);
  return name === '' ? undefined : name;
}

/** A JSON string or list of strings as a list. */
function strings(v) {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.filter((x) => typeof x === 'string');
  return [];
}
