// Phone numbers to E.164 with libphonenumber-js (full "max" metadata, so
// `isValid` checks each region's number patterns, not only lengths), in
// the same way as the Rust SDK's `phone` module. Pure.

import { parsePhoneNumberFromString, isSupportedCountry, Metadata } from 'libphonenumber-js/core';
import metadata from 'libphonenumber-js/metadata.max.json';

import { debugStr, trim } from './text.js';

/** Regions `warm` exercises: the most common CRM markets. */
export const DEFAULT_WARM_REGIONS = ['US', 'GB', 'DE', 'FR', 'CA', 'AU', 'NL', 'ES', 'IT', 'IE'];

// Letters on a phone keypad, for numbers typed as words (1 800 FLOWERS).
const KEYPAD = { A: 2, B: 2, C: 2, D: 3, E: 3, F: 3, G: 4, H: 4, I: 4, J: 5, K: 5, L: 5, M: 6, N: 6, O: 6, P: 7, Q: 7, R: 7, S: 7, T: 8, U: 8, V: 8, W: 9, X: 9, Y: 9, Z: 9 };

// Google's rule: three or more letters, after a number that starts with at
// least three digits (so "call me" or "abc123" stay invalid).
function isVanity(text) {
  const firstLetter = text.search(/[A-Za-z]/);
  if (firstLetter < 0) return false;
  const digitsBefore = text.slice(0, firstLetter).replace(/[^0-9]/g, '').length;
  return digitsBefore >= 3 && (text.match(/[A-Za-z]/g) || []).length >= 3;
}

function parseValid(text, region) {
  const options = region ? { defaultCountry: region } : {};
  const n = parsePhoneNumberFromString(text, options, metadata);
  return n && n.isValid() ? n : undefined;
}

/**
 * Parses `raw` as typed by a person, with `region` (ISO 3166 alpha-2) for
 * numbers without a country code. Returns `{ e164 }` or `{ error }`.
 *
 * Like the Rust SDK: digits typed without `+` that are not a valid national
 * number are retried as international (`44-7911-123456`). Like Google's
 * libphonenumber (and the Rust crate), keypad letters count as digits when
 * at least three follow at least three digits (`1 800 FLOWERS`).
 */
export function toE164(raw, region) {
  const trimmed = trim(raw);
  if (trimmed === '') return { error: 'is empty' };
  if (!isSupportedCountry(region, metadata)) {
    return { error: `unknown default region ${debugStr(region)}` };
  }
  const spellings = [trimmed];
  if (isVanity(trimmed)) {
    spellings.push(trimmed.replace(/[A-Za-z]/g, (c) => String(KEYPAD[c.toUpperCase()])));
  }
  for (const text of spellings) {
    const n = parseValid(text, region) || (!text.startsWith('+') && parseValid(`+${text}`));
    if (n) return { e164: n.number };
  }
  return { error: `${debugStr(trimmed)} is not a valid phone number` };
}

/**
 * The international format of Google's libphonenumber (`+1 650-253-0000`).
 * libphonenumber-js turns every separator into a space there; the search
 * must send the spellings the Rust connector sends.
 */
function international(n) {
  const meta = new Metadata(metadata);
  meta.selectNumberingPlan(n.countryCallingCode);
  const nn = n.nationalNumber;
  const format = meta.numberingPlan.formats().find((f) => {
    const leading = f.leadingDigitsPatterns();
    if (leading.length > 0 && nn.search(leading[leading.length - 1]) !== 0) return false;
    return new RegExp(`^(?:${f.pattern()})$`).test(nn);
  });
  const body = format ? nn.replace(new RegExp(format.pattern()), format.internationalFormat()) : nn;
  return `+${n.countryCallingCode} ${body}`;
}

/**
 * Common ways people type the number `e164`: E.164, international with
 * spaces, national with and without spaces, bare digits, and international
 * with dashes. Used to search HubSpot, which matches phones only as stored.
 */
export function typedVariants(e164) {
  const n = parsePhoneNumberFromString(e164, {}, metadata);
  if (!n) return [e164];
  const intl = international(n);
  const national = n.format('NATIONAL');
  const out = [
    e164,
    intl,
    national,
    national.replace(/[^0-9]/g, ''),
    e164.replace(/^\++/, ''),
    intl.replaceAll(' ', '-'),
  ];
  return [...new Set(out.filter((v) => v !== ''))];
}

/**
 * Parses and formats example numbers of `regions`, so that the code and
 * regular expressions involved are compiled before the host snapshots the
 * instance (called from `prepare`).
 */
export function warm(regions = DEFAULT_WARM_REGIONS) {
  const meta = new Metadata(metadata);
  for (const region of regions) {
    if (!isSupportedCountry(region, metadata)) continue;
    meta.selectNumberingPlan(region);
    const plan = meta.numberingPlan;
    for (const national of [`0${plan.callingCode()}1234567`, '2015550123', '07911123456', '0301234567']) {
      const r = toE164(national, region);
      if (r.e164) typedVariants(r.e164);
      toE164(`+${plan.callingCode()} ${national}`, region);
    }
  }
}
