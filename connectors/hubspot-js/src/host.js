// The real host behind `push`: the `switchboard:connector/*` imports. The
// only module (with `connector.js`) that imports them, so everything else
// runs under `node --test`.
//
// The host object `push` uses:
//   send(method, path, body?) -> { status, headers, body }   (throws PushFailure on a transport error)
//   stateGet(key) -> string | null                          (throws PushFailure)
//   stateSet(key, value), stateRemove(key)                   (throw PushFailure)
//   annotate(key, value), warn(message), region

import { send } from 'switchboard:connector/http@0.3.0';
import { log } from 'switchboard:connector/log@0.3.0';
import { get as configGet } from 'switchboard:connector/config@0.3.0';
import { get as stateGet, set as stateSet, remove as stateRemove } from 'switchboard:connector/state@0.3.0';
import { annotate } from 'switchboard:connector/audit@0.3.0';
import { report } from 'switchboard:connector/limits@0.3.0';

import { DEFAULT_BASE_URL, TOKEN_SECRET } from './describe.js';
import { classified, stateErrorClass, transportFailure } from './errors.js';
import { reports } from './feedback.js';
import { stringify } from './json.js';
import { regionFrom } from './normalize.js';
import { debugStr, strictUtf8, trim, utf8 } from './text.js';

/** The payload of an error thrown by an import (`ComponentError.payload`). */
function payloadOf(e) {
  if (e && Object.prototype.hasOwnProperty.call(e, 'payload')) return e.payload;
  throw e;
}

/** The deployment's `default-region` (normalize may read config). */
export function configRegion() {
  return regionFrom(configGet('default-region'));
}

/** Logs one message at `level` (`trace` ... `error`). */
export function logAt(level, message) {
  log(level, message);
}

function stateFailure(e) {
  const err = payloadOf(e);
  if (err?.tag === 'storage') log('warn', `state storage failed: ${debugStr(String(err.val))}`);
  return classified(stateErrorClass(err));
}

/** The host object for one push, with `base-url` and `default-region` read from config. */
export function sdkHost() {
  const base = trim(configGet('base-url') ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
  const region = regionFrom(configGet('default-region'));
  return {
    region,
    send(method, path, body) {
      const headers = [['accept', 'application/json']];
      if (body !== undefined) headers.push(['content-type', 'application/json']);
      let resp;
      try {
        resp = send({
          method,
          url: `${base}${path}`,
          headers,
          secretHeaders: [{ name: 'authorization', secret: TOKEN_SECRET, prefix: 'Bearer ' }],
          body: body === undefined ? undefined : utf8(stringify(body)),
          timeoutMs: undefined,
        });
      } catch (e) {
        throw transportFailure(payloadOf(e));
      }
      for (const r of reports(resp.headers)) report(r);
      return resp;
    },
    stateGet(key) {
      try {
        const v = stateGet(key);
        return v === undefined || v === null ? null : strictUtf8(v);
      } catch (e) {
        throw stateFailure(e);
      }
    },
    stateSet(key, value) {
      try {
        stateSet(key, utf8(value));
      } catch (e) {
        throw stateFailure(e);
      }
    },
    stateRemove(key) {
      try {
        stateRemove(key);
      } catch (e) {
        throw stateFailure(e);
      }
    },
    annotate(key, value) {
      annotate(key, value);
    },
    warn(message) {
      log('warn', message);
    },
  };
}
