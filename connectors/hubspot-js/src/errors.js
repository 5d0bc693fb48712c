// Push failures and the classes of transport failures. Pure.
//
// Inside `push`, a failure is thrown as a `PushFailure` carrying the WIT
// `push-error` (`{ tag: 'response' | 'classified', val }`); the export in
// `connector.js` catches it and returns it as the result's error.

import { permanent, rateLimitedBurst, transient } from './classify.js';
import { debugStr } from './text.js';

/** A failed push; `pushError` is the WIT `push-error` value. */
export class PushFailure extends Error {
  constructor(pushError) {
    super(`push failed: ${pushError.tag}`);
    this.pushError = pushError;
  }
}

/** A failure whose class the connector already knows. */
export function classified(errorClass) {
  return new PushFailure({ tag: 'classified', val: errorClass });
}

/** An error response handed to the host, which asks `classify-error`. */
export function responseFailure(resp) {
  return new PushFailure({
    tag: 'response',
    val: { status: resp.status, headers: resp.headers, body: resp.body },
  });
}

/** A permanent failure with a reason. */
export function permanentFailure(reason) {
  return classified(permanent(reason));
}

/** Whether a status is 2xx. */
export function isSuccess(status) {
  return status >= 200 && status < 300;
}

/** Words for an `http.send` error (the WIT `http.error` variant), as the Rust SDK writes them. */
export function describeHttpError(e) {
  switch (e?.tag) {
    case 'denied': return `request denied: ${e.val}`;
    case 'timeout': return `${e.val.phase} timeout after ${e.val.limitMs} ms`;
    case 'throttled': return `held back by the host's rate limiter (${e.val.budget}) for ${e.val.waitMs} ms`;
    case 'connect': return `connection failed: ${e.val}`;
    case 'tls': return `tls failed: ${e.val}`;
    case 'too-large': return `response larger than ${e.val} bytes`;
    case 'invalid-request': return `invalid request: ${e.val}`;
    default: return `http send failed: ${String(e?.message ?? e)}`;
  }
}

/**
 * The error class of an `http.send` error, as the Rust SDK decides it:
 * timeouts and broken connections are transient, a request the host's rate
 * limiter held back is rate-limited (the record waits, uncounted),
 * everything else permanent.
 */
export function httpErrorClass(e) {
  switch (e?.tag) {
    case 'timeout':
    case 'connect':
      return transient(undefined);
    case 'throttled':
      return rateLimitedBurst(BigInt(e.val.waitMs), `host: ${e.val.budget}`);
    default:
      return permanent(describeHttpError(e));
  }
}

/** The class of a `state` error (the WIT `state.error` variant): storage may pass, a store limit will not. */
export function stateErrorClass(e) {
  if (e?.tag === 'storage') return transient(undefined);
  return permanent(`state store refused: ${debugStateError(e)}`);
}

/** Rust's `{:?}` of a `state.error`, e.g. `KeyTooLong(256)`. */
export function debugStateError(e) {
  const name = String(e?.tag ?? 'Unknown')
    .split('-')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
  const val = typeof e?.val === 'string' ? debugStr(e.val) : String(e?.val);
  return `${name}(${val})`;
}

/** Rust-like `{:?}` of an error class, for warnings. */
export function debugClass(c) {
  return `${c.tag}(${typeof c.val === 'string' ? debugStr(c.val) : JSON.stringify(c.val, (_, v) => (typeof v === 'bigint' ? v.toString() : v))})`;
}
