// E-mail addresses in canonical form (as the Rust SDK's `email` module). Pure.

import { debugStr, hasWhitespace, trim } from './text.js';

/** Trims and lower-cases `raw` and checks it looks like `local@domain.tld`: `{ value }` or `{ error }`. */
export function normalizeEmail(raw) {
  const s = trim(raw).toLowerCase();
  const at = s.indexOf('@');
  if (at < 0) return { error: `${debugStr(trim(raw))} has no '@'` };
  const local = s.slice(0, at);
  const domain = s.slice(at + 1);
  const ok =
    local !== '' &&
    domain.includes('.') &&
    !domain.startsWith('.') &&
    !domain.endsWith('.') &&
    !domain.includes('@') &&
    !hasWhitespace(s);
  return ok ? { value: s } : { error: `${debugStr(trim(raw))} is not a valid e-mail address` };
}
