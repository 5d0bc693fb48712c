// `describe` and the rate-limit feedback.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { descriptor } from '../src/describe.js';
import { reports } from '../src/feedback.js';

test('the descriptor names the connector, the CRM and what a deployment must provide', () => {
  const d = descriptor();
  assert.equal(d.name, 'hubspot-js');
  assert.equal(d.version, '0.2.0');
  assert.equal(d.crm, 'HubSpot');
  assert.deepEqual(d.recordKinds, ['call', 'contact']);
  assert.deepEqual(d.outboundHosts, ['https://api.hubapi.com']);
  assert.deepEqual(d.configKeys, ['base-url', 'default-region']);
  assert.deepEqual(d.secretNames, ['hubspot-token']);
  assert.equal(d.ownedFields.length, 8);
  assert.deepEqual(
    d.rateLimits.map((l) => [l.name, l.tokens, l.windowMs, l.scope, l.defaultCost, l.costs.map((c) => `${c.method} ${c.pathPrefix} ${c.cost}`)]),
    [
      ['ten-secondly', 190, 10_000n, 'burst', 1, ['POST /crm/v3/objects/contacts/search 0']],
      ['daily', 650_000, 86_400_000n, 'daily', 1, []],
      ['search', 4, 1_000n, 'burst', 0, ['POST /crm/v3/objects/contacts/search 1']],
    ],
  );
});

test('reads the burst and daily rate-limit headers', () => {
  const r = reports([
    ['x-hubspot-ratelimit-max', '190'],
    ['x-hubspot-ratelimit-remaining', '17'],
    ['x-hubspot-ratelimit-daily', '650000'],
    ['x-hubspot-ratelimit-daily-remaining', '1200'],
  ]);
  assert.deepEqual(r, [
    { budget: 'ten-secondly', remaining: 17n, limit: 190n, resetMs: undefined },
    { budget: 'daily', remaining: 1200n, limit: 650_000n, resetMs: undefined },
  ]);
});

test('no headers, no reports; a missing max is no limit', () => {
  assert.deepEqual(reports([]), []);
  assert.deepEqual(reports([['X-HubSpot-RateLimit-Remaining', ' 3 ']]), [
    { budget: 'ten-secondly', remaining: 3n, limit: undefined, resetMs: undefined },
  ]);
  assert.deepEqual(reports([['x-hubspot-ratelimit-remaining', 'lots']]), []);
});

test('the warm-up that prepare runs needs no host and does not throw', async () => {
  const { warmUp } = await import('../src/warmup.js');
  warmUp();
});
