// What HubSpot's rate-limit headers say, as `limits.report` arguments for
// the host. Search responses carry no such headers, and OAuth calls carry
// no daily pair: a missing header just means no report. Pure.

import { header } from './classify.js';
import { parseU64, trim } from './text.js';

/** The budget names `describe` declares. */
export const TEN_SECONDLY = 'ten-secondly';
export const DAILY = 'daily';
export const SEARCH = 'search';

/** A header's value as a whole number (BigInt), if present and numeric. */
export function headerU64(headers, name) {
  const v = header(headers, name);
  if (v === undefined) return undefined;
  return parseU64(trim(v)) ?? undefined;
}

/** One budget report per budget the response's headers speak about. */
export function reports(headers) {
  const out = [];
  const remaining = headerU64(headers, 'x-hubspot-ratelimit-remaining');
  if (remaining !== undefined) {
    out.push({
      budget: TEN_SECONDLY,
      remaining,
      limit: headerU64(headers, 'x-hubspot-ratelimit-max'),
      resetMs: undefined,
    });
  }
  const daily = headerU64(headers, 'x-hubspot-ratelimit-daily-remaining');
  if (daily !== undefined) {
    out.push({
      budget: DAILY,
      remaining: daily,
      limit: headerU64(headers, 'x-hubspot-ratelimit-daily'),
      resetMs: undefined,
    });
  }
  return out;
}
