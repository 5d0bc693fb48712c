// Push failures. Pure.
//
// Inside `push`, a failure is thrown as a `PushFailure` carrying the WIT
// `push-error` (`{ tag: 'response' | 'classified' | 'transport', val }`);
// the export in `connector.js` catches it and returns it as the result's
// error.

import { permanent, transient } from './classify.js';
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

/**
 * A failed `http.send` (the WIT `http.error` it threw), handed to the host
 * as it came: the host classifies transport errors for every connector.
 */
export function transportFailure(httpError) {
  return new PushFailure({ tag: 'transport', val: httpError });
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

/** A push error in a few words, for warnings: the class, the status or the transport error's kind. */
export function describeFailure(pushError) {
  switch (pushError.tag) {
    case 'classified': return debugClass(pushError.val);
    case 'response': return `response ${pushError.val.status}`;
    default: return `transport ${pushError.val?.tag}`;
  }
}

/** Rust-like `{:?}` of an error class, for warnings. */
function debugClass(c) {
  return `${c.tag}(${typeof c.val === 'string' ? debugStr(c.val) : JSON.stringify(c.val, (_, v) => (typeof v === 'bigint' ? v.toString() : v))})`;
}
