// Small text helpers that behave like the Rust reference connector's
// standard library calls, so both connectors answer byte for byte alike.
// Pure.

// Rust's `char::is_whitespace` (Unicode White_Space). JS `trim()` differs
// slightly (it trims U+FEFF but not U+0085).
const WS = '\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const LEADING = new RegExp(`^[${WS}]+`);
const TRAILING = new RegExp(`[${WS}]+$`);
const ANY_WS = new RegExp(`[${WS}]`);

/** `str::trim` of Rust. */
export function trim(s) {
  return s.replace(LEADING, '').replace(TRAILING, '');
}

/** `str::trim_start` of Rust. */
export function trimStart(s) {
  return s.replace(LEADING, '');
}

/** Whether `s` holds any Rust whitespace character. */
export function hasWhitespace(s) {
  return ANY_WS.test(s);
}

/** `to_ascii_lowercase`: only A-Z change. */
export function asciiLower(s) {
  return s.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32));
}

/** `to_ascii_uppercase`: only a-z change. */
export function asciiUpper(s) {
  return s.replace(/[a-z]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 32));
}

/** Rust's `{:?}` of a string: quoted, with `"` `\` and control characters escaped. */
export function debugStr(s) {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0);
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\0') out += '\\0';
    else if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) out += `\\u{${cp.toString(16)}}`;
    else out += ch;
  }
  return `${out}"`;
}

/** Rust's `{:?}` of a list of strings: `["a", "b"]`. */
export function debugList(items) {
  return `[${items.map(debugStr).join(', ')}]`;
}

/** Rust's `Display` of an `f64`: never in exponent notation. */
export function f64ToString(n) {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return 'inf';
  if (n === -Infinity) return '-inf';
  if (Object.is(n, -0)) return '-0';
  const s = String(n);
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (!m) return s;
  const [, sign, lead, frac = '', expText] = m;
  const exp = Number(expText);
  const digits = lead + frac;
  if (exp >= 0) {
    const point = 1 + exp;
    return point >= digits.length
      ? sign + digits + '0'.repeat(point - digits.length)
      : `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
  }
  return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
}

const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;
const U64_MAX = 2n ** 64n - 1n;

/** `s.parse::<i64>()`: optional sign, ASCII digits, in range; else null. */
export function parseI64(s) {
  if (!/^[+-]?[0-9]+$/.test(s)) return null;
  const v = BigInt(s);
  return v < I64_MIN || v > I64_MAX ? null : v;
}

/** `s.parse::<u64>()`: optional `+`, ASCII digits, in range; else null. */
export function parseU64(s) {
  if (!/^\+?[0-9]+$/.test(s)) return null;
  const v = BigInt(s);
  return v > U64_MAX ? null : v;
}

/** `s.parse::<f64>()`: Rust's float grammar (no hex, no empty string); else null. */
export function parseF64(s) {
  if (/^[+-]?(inf|infinity)$/i.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
  if (/^[+-]?nan$/i.test(s)) return NaN;
  if (!/^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/.test(s)) return null;
  return Number(s);
}

/** `n as i64` of Rust: saturating, NaN to 0. */
export function f64AsI64(n) {
  if (Number.isNaN(n)) return 0n;
  if (n >= 9223372036854775807) return I64_MAX;
  if (n <= -9223372036854775808) return I64_MIN;
  return BigInt(Math.trunc(n));
}

/** `x as u64` of Rust for a finite, non-negative float: saturating. */
export function f64AsU64(n) {
  if (!(n > 0)) return 0n;
  if (n >= 18446744073709551615) return U64_MAX;
  return BigInt(Math.trunc(n));
}

/** The UTF-8 bytes of a string. */
export function utf8(s) {
  return new TextEncoder().encode(s);
}

/** Bytes as text, invalid UTF-8 replaced (Rust's `from_utf8_lossy`). */
export function lossy(bytes) {
  return new TextDecoder('utf-8').decode(bytes);
}

/** Bytes as text if they are valid UTF-8, else null. */
export function strictUtf8(bytes) {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
}

/** At most `max` UTF-8 bytes of `s`, cut at a character boundary. */
export function truncateUtf8(s, max) {
  let used = 0;
  let end = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0);
    const len = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (used + len > max) break;
    used += len;
    end += ch.length;
  }
  return s.slice(0, end);
}
