// The component's exports: `guest` (describe, normalize, map-fields, push,
// classify-error) and `prepare`. Each export returns a WIT result as
// `{ tag: 'ok' | 'err', val }` explicitly: a thrown `Error` without a
// `payload` would trap instead of returning an error.

import { classify, permanent } from './classify.js';
import { descriptor } from './describe.js';
import { PushFailure } from './errors.js';
import { configRegion, logAt, sdkHost } from './host.js';
import { mapRecord } from './mapping.js';
import { normalizeRecord } from './normalize.js';
import { push } from './push.js';
import { warmUp } from './warmup.js';

const ok = (val) => ({ tag: 'ok', val });
const err = (val) => ({ tag: 'err', val });

/** A bug in the connector, reported as a permanent failure instead of a trap. */
function bug(where, e) {
  const text = `${where}: internal error: ${e?.stack ?? e}`;
  logAt('error', text);
  return text;
}

export const guest = {
  describe() {
    return descriptor();
  },

  normalize(rec) {
    try {
      const r = normalizeRecord(rec, configRegion());
      return r.err ? err(r.err) : ok(r.ok);
    } catch (e) {
      return err([{ field: '', reason: bug('normalize', e) }]);
    }
  },

  // Pure: no host calls at all (not even config or log).
  mapFields(rec) {
    try {
      const r = mapRecord(rec);
      return r.err ? err(r.err) : ok(r.ok);
    } catch (e) {
      return err([{ field: '', reason: `map-fields: internal error: ${e?.stack ?? e}` }]);
    }
  },

  push(ctx, rec, payload) {
    try {
      return ok(push(sdkHost(), ctx, rec, payload));
    } catch (e) {
      if (e instanceof PushFailure) return err(e.pushError);
      return err({ tag: 'classified', val: permanent(bug('push', e)) });
    }
  },

  classifyError(response) {
    try {
      return classify(response);
    } catch (e) {
      return permanent(`classify-error: internal error: ${e?.stack ?? e}`);
    }
  },
};

/**
 * Called once before the host snapshots memory: run every hot path on
 * canned data (see `warmup.js`), so each fresh instance starts with its
 * code compiled. Deterministic; no config, state or http.
 */
export function prepare() {
  warmUp();
  logAt('debug', 'hubspot-js prepared');
}
