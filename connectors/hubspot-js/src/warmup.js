// What `prepare` runs before the host snapshots the instance: every hot
// path once, so SpiderMonkey has compiled those functions (it compiles a
// function on its first call) and libphonenumber-js has built its regular
// expressions. Pure and deterministic: `push` talks to a canned host here,
// never to the real one.

import { classify } from './classify.js';
import { PushFailure } from './errors.js';
import { reports } from './feedback.js';
import { mapRecord } from './mapping.js';
import { normalizeRecord } from './normalize.js';
import { warm as warmPhones } from './phone.js';
import { push } from './push.js';
import { stringify } from './json.js';
import { utf8 } from './text.js';

const encoder = new TextEncoder();
const answer = (status, body) => ({
  status,
  headers: [['x-hubspot-ratelimit-remaining', '189'], ['x-hubspot-ratelimit-max', '190']],
  body: encoder.encode(body),
});

/** A host that answers every request from a script and keeps state in a Map. */
function cannedHost(region) {
  const state = new Map();
  return {
    region,
    send(method, path, body) {
      // The real host turns the body into bytes the same way.
      if (body !== undefined) utf8(stringify(body));
      if (path.endsWith('/search')) {
        return answer(200, '{"total":1,"results":[{"id":"7","properties":{"phone":"07911 123456","email":"ann@example.com"}}]}');
      }
      if (path.endsWith('/batch/upsert')) {
        return answer(200, '{"status":"COMPLETE","results":[{"id":"8","properties":{},"new":true}]}');
      }
      if (method === 'PUT') return answer(200, '{"status":"COMPLETE","results":[]}');
      return answer(201, '{"id":"9"}');
    },
    stateGet: (key) => (state.has(key) ? state.get(key) : null),
    stateSet: (key, value) => state.set(key, value),
    stateRemove: (key) => state.delete(key),
    annotate() {},
    warn() {},
  };
}

function deliver(host, rec, key) {
  const n = normalizeRecord(rec, host.region);
  if (n.err) return;
  const m = mapRecord(n.ok);
  if (m.err) return;
  try {
    push(host, { tenant: 'warm', idempotencyKey: key, traceId: 'warm', attempt: 1 }, n.ok, m.ok);
  } catch (e) {
    if (!(e instanceof PushFailure)) throw e;
  }
}

const text = (val) => ({ tag: 'text', val });

/** Runs normalize, map-fields, push (twice: create, then replay), classify-error and the phone parser. */
export function warmUp() {
  warmPhones();
  const host = cannedHost('GB');
  const call = {
    id: 'warm',
    kind: 'call',
    fields: [
      { name: 'phone', value: text('07911 123456') },
      { name: 'started-at', value: text('2026-11-01T10:00:00+01:00') },
      { name: 'email', value: text(' Ann@Example.COM ') },
      { name: 'duration-seconds', value: { tag: 'integer', val: 60n } },
      { name: 'direction', value: text('Inbound') },
      { name: 'status', value: text('no answer') },
    ],
  };
  deliver(host, call, 'warm-call');
  deliver(host, call, 'warm-call');
  deliver(cannedHost('US'), { id: 'warm', kind: 'contact', fields: [{ name: 'phone', value: text('(650) 253-0000') }] }, 'warm-contact');
  deliver(host, { id: 'warm', kind: 'contact', fields: [{ name: 'email', value: text('bob@example.com') }] }, 'warm-contact-2');
  normalizeRecord({ id: 'warm', kind: 'call', fields: [{ name: 'phone', value: text('call me') }] }, 'US');
  const bodies = [
    '{"status":"error","message":"Contact already exists. Existing ID: 1","category":"CONFLICT","correlationId":"c"}',
    '{"status":"error","message":"Property values were not valid","errors":[{"message":"Property \\"x\\" does not exist","code":"PROPERTY_DOESNT_EXIST","context":{"propertyName":["x"]}}],"category":"VALIDATION_ERROR"}',
    '{"status":"error","message":"You have reached your ten_secondly_rolling limit.","policyName":"TEN_SECONDLY_ROLLING"}',
    '<html>bad gateway</html>',
  ];
  for (const body of bodies) {
    for (const status of [400, 401, 403, 404, 409, 429, 503, 418]) {
      classify({ status, headers: [['retry-after', '1']], body: encoder.encode(body) });
    }
  }
  reports(answer(200, '').headers);
}
