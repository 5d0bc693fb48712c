// Timestamps in canonical form: RFC 3339 in UTC, with nanosecond precision
// (JS `Date` keeps only milliseconds). Follows the Rust `time` crate's
// RFC 3339 grammar, as the Rust connector uses it. Pure.

import { debugStr, parseI64, trim } from './text.js';

const NS_PER_S = 1_000_000_000n;
const S_PER_DAY = 86_400n;
// The `time` crate's range: years -9999 to 9999.
const MIN_S = -377_705_116_800n; // -9999-01-01T00:00:00Z
const MAX_S = 253_402_300_799n; // 9999-12-31T23:59:59Z

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
function daysFromCivil(y, m, d) {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function civilFromDays(z) {
  const zz = z + 719468;
  const era = Math.floor(zz / 146097);
  const doe = zz - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp + (mp < 10 ? 3 : -9);
  return { y: yoe + era * 400 + (m <= 2 ? 1 : 0), m, d };
}

function daysInMonth(y, m) {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(m) ? 30 : 31;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[\s\S](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/** RFC 3339 text to `{ s, ns }` since the Unix epoch (UTC), or null. */
function parseRfc3339(s) {
  const m = RFC3339.exec(s);
  if (!m) return null;
  // The separator is one byte in the Rust parser: anything but a multi-byte character.
  if (s.charCodeAt(10) > 0x7f) return null;
  const [year, month, day, hour, minute] = [1, 2, 3, 4, 5].map((i) => Number(m[i]));
  let second = Number(m[6]);
  let nanos = m[7] ? Number(m[7].slice(0, 9).padEnd(9, '0')) : 0;
  let offset = 0;
  if (!m[8]) {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 23 || om > 59) return null;
    offset = (m[9] === '-' ? -1 : 1) * (oh * 3600 + om * 60);
  }
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 60) return null;
  const leap = second === 60;
  if (leap) {
    second = 59;
    nanos = 999_999_999;
  }
  const local = BigInt(daysFromCivil(year, month, day)) * S_PER_DAY + BigInt(hour * 3600 + minute * 60 + second);
  const utc = local - BigInt(offset);
  if (leap) {
    // Only the last second of a month (in UTC) may be a leap second.
    const { y, m: mm, d } = civilFromDays(Number((utc - (((utc % S_PER_DAY) + S_PER_DAY) % S_PER_DAY)) / S_PER_DAY));
    const secOfDay = Number(((utc % S_PER_DAY) + S_PER_DAY) % S_PER_DAY);
    if (secOfDay !== 86_399 || d !== daysInMonth(y, mm)) return null;
  }
  return { s: utc, ns: nanos };
}

/** `{ s, ns }` as RFC 3339 UTC; nanoseconds without trailing zeros. */
function format({ s, ns }) {
  const days = Number((s - (((s % S_PER_DAY) + S_PER_DAY) % S_PER_DAY)) / S_PER_DAY);
  const secOfDay = Number(((s % S_PER_DAY) + S_PER_DAY) % S_PER_DAY);
  const { y, m, d } = civilFromDays(days);
  if (y < 0 || y > 9999) return null;
  const two = (n) => String(n).padStart(2, '0');
  const hh = Math.floor(secOfDay / 3600);
  const mi = Math.floor((secOfDay % 3600) / 60);
  const ss = secOfDay % 60;
  const frac = ns === 0 ? '' : `.${String(ns).padStart(9, '0').replace(/0+$/, '')}`;
  return `${String(y).padStart(4, '0')}-${two(m)}-${two(d)}T${two(hh)}:${two(mi)}:${two(ss)}${frac}Z`;
}

/**
 * Parses RFC 3339 (any offset) or Unix milliseconds and returns
 * `{ value: RFC 3339 UTC text }` or `{ error }`.
 */
export function toUtc(raw) {
  const s = trim(raw);
  let t;
  const ms = parseI64(s);
  if (ms !== null) {
    const ns = ms * 1_000_000n;
    const secs = ns >= 0n ? ns / NS_PER_S : -((-ns + NS_PER_S - 1n) / NS_PER_S);
    if (secs < MIN_S || secs > MAX_S) return { error: `${debugStr(s)} is out of range` };
    t = { s: secs, ns: Number(ns - secs * NS_PER_S) };
  } else {
    t = parseRfc3339(s);
    if (t === null || t.s < MIN_S - S_PER_DAY || t.s > MAX_S + S_PER_DAY) {
      return {
        error: `${debugStr(s)} is not an RFC 3339 timestamp (e.g. 2024-05-01T10:00:00Z) or Unix milliseconds`,
      };
    }
  }
  const text = format(t);
  if (text === null) {
    return { error: `${debugStr(raw)}: The year component cannot be formatted into the requested format.` };
  }
  return { value: text };
}
