// `describe`: the connector's static facts (the same kinds, keys, secret,
// owned fields and rate limits as the Rust HubSpot connector). Pure.

import { CONTACT_SEARCH } from './api.js';
import { DAILY, SEARCH, TEN_SECONDLY } from './feedback.js';
import { KIND_CALL, KIND_CONTACT } from './fields.js';
import { OWNED_CALL_PROPERTIES } from './mapping.js';

export const NAME = 'hubspot-js';
export const VERSION = '0.2.0';
/** Default for config `base-url`. */
export const DEFAULT_BASE_URL = 'https://api.hubapi.com';
/** The secret holding the private-app or OAuth access token. */
export const TOKEN_SECRET = 'hubspot-token';

const DAY_MS = 86_400_000n;

/** The WIT `descriptor`. u64 fields are BigInt. */
export function descriptor() {
  return {
    name: NAME,
    version: VERSION,
    crm: 'HubSpot',
    recordKinds: [KIND_CALL, KIND_CONTACT],
    outboundHosts: [DEFAULT_BASE_URL],
    configKeys: ['base-url', 'default-region'],
    secretNames: [TOKEN_SECRET],
    ownedFields: [...OWNED_CALL_PROPERTIES],
    rateLimits: [
      // Search is exempt from the ten-secondly window and limited on its own.
      {
        name: TEN_SECONDLY,
        tokens: 190,
        windowMs: 10_000n,
        scope: 'burst',
        costs: [{ method: 'POST', pathPrefix: CONTACT_SEARCH, cost: 0 }],
        defaultCost: 1,
      },
      { name: DAILY, tokens: 650_000, windowMs: DAY_MS, scope: 'daily', costs: [], defaultCost: 1 },
      {
        name: SEARCH,
        tokens: 4,
        windowMs: 1_000n,
        scope: 'burst',
        costs: [{ method: 'POST', pathPrefix: CONTACT_SEARCH, cost: 1 }],
        defaultCost: 0,
      },
    ],
  };
}
