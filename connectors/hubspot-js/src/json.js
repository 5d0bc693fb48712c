// JSON in the same bytes as the Rust connector's serde_json (objects with
// their keys sorted, no spaces), so requests and payloads are identical
// and deterministic. Pure.

/** Orders keys by Unicode code point, as UTF-8 bytes sort. */
function byCodePoint(a, b) {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i += 1) {
    const d = x[i].codePointAt(0) - y[i].codePointAt(0);
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/** Compact JSON text with object keys sorted; `undefined` members are left out. */
export function stringify(value) {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return Number.isFinite(value) ? JSON.stringify(value) : 'null';
  if (typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(stringify).join(',')}]`;
  const keys = Object.keys(value)
    .filter((k) => value[k] !== undefined)
    .sort(byCodePoint);
  return `{${keys.map((k) => `${JSON.stringify(k)}:${stringify(value[k])}`).join(',')}}`;
}

/** Parses JSON text; null when it is not JSON. */
export function parse(text) {
  if (text === null || text === undefined) return null;
  try {
    return { value: JSON.parse(text) };
  } catch {
    return null;
  }
}

/** `value.get(key)` of serde_json: a member of an object, else undefined. */
export function get(value, key) {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  return Object.prototype.hasOwnProperty.call(value, key) ? value[key] : undefined;
}

/** `value.get(key).as_str()`. */
export function getStr(value, key) {
  const v = get(value, key);
  return typeof v === 'string' ? v : undefined;
}

/** `value.get(key).as_array()`. */
export function getArray(value, key) {
  const v = get(value, key);
  return Array.isArray(v) ? v : undefined;
}

/** `value.get(key).as_object()`. */
export function getObject(value, key) {
  const v = get(value, key);
  return isObject(v) ? v : undefined;
}

/** Whether `v` is a JSON object. */
export function isObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
