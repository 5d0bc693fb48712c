// `normalize`: the cases of the Rust connector's src/tests/normalize.rs, plus more.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { get } from '../src/fields.js';
import { normalizeRecord, regionFrom } from '../src/normalize.js';
import { bool, int, nul, num, record, t, ts } from './helpers.js';

const norm = (rec, region = 'US') => normalizeRecord(rec, region);
const call = (fields) => record('call', [['started-at', t('2024-05-01T10:00:00Z')], ...fields]);
const textOf = (rec, name) => {
  const v = get(rec, name);
  assert.ok(v && (v.tag === 'text' || v.tag === 'timestamp'), `${name} is not text: ${JSON.stringify(v)}`);
  return v.val;
};
const errorFields = (errs) => errs.map((e) => e.field);

test('five spellings of one number become one E.164', () => {
  for (const v of [t('+1 650 253 0000'), t('(650) 253-0000'), t('650.253.0000'), t('1-650-253-0000'), int(6_502_530_000)]) {
    const out = norm(call([['phone', v]])).ok;
    assert.equal(textOf(out, 'phone'), '+16502530000', JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? `${x}` : x)));
  }
});

test('the same number typed five ways is one E.164 in GB', () => {
  for (const typed of ['+44 7911 123456', '07911123456', '44-7911-123456', '(07911) 123 456', '+447911123456', '+44 (0)7911 123456']) {
    assert.equal(textOf(norm(call([['phone', t(typed)]]), 'GB').ok, 'phone'), '+447911123456', typed);
  }
});

test('numbers without a country code use the given region', () => {
  const rec = call([
    ['phone', t('07911 123456')],
    ['from-number', t('020 7946 0958')],
    ['to-number', t('+1 650 253 0000')],
  ]);
  const out = norm(rec, 'GB').ok;
  assert.equal(textOf(out, 'phone'), '+447911123456');
  assert.equal(textOf(out, 'from-number'), '+442079460958');
  assert.equal(textOf(out, 'to-number'), '+16502530000');
  assert.equal(textOf(norm(call([['phone', t('030 123456')]]), 'DE').ok, 'phone'), '+4930123456');
});

test('reports every bad field together with its name', () => {
  const rec = record('call', [
    ['phone', t('call me maybe')],
    ['duration-seconds', int(-5)],
    ['direction', t('sideways')],
    ['email', t('not-an-email')],
  ]);
  const errs = norm(rec).err;
  assert.deepEqual(errorFields(errs).sort(), ['direction', 'duration-seconds', 'email', 'phone', 'started-at']);
  assert.match(errs.find((e) => e.field === 'duration-seconds').reason, /-5/);
  assert.equal(errs.find((e) => e.field === 'phone').reason, '"call me maybe" is not a valid phone number');
});

test('the error order is the Rust connector\'s: required first, then field by field', () => {
  const rec = record('call', [
    ['email', t('nope')],
    ['phone', t('12')],
    ['direction', t('up')],
  ]);
  assert.deepEqual(errorFields(norm(rec).err), ['started-at', 'phone', 'email', 'direction']);
});

test('missing phone and started-at are required for calls', () => {
  const errs = norm(record('call', [['title', t('hi')]])).err;
  assert.deepEqual(errorFields(errs), ['phone', 'started-at']);
  assert.ok(errs.every((e) => e.reason.includes('required')));
});

test('null and blank values count as absent', () => {
  const errs = norm(record('call', [['phone', nul()], ['started-at', t('   ')]])).err;
  assert.deepEqual(errorFields(errs), ['phone', 'started-at']);
});

test('a contact needs a phone or an email', () => {
  const errs = norm(record('contact', [['first-name', t('Ann')]])).err;
  assert.deepEqual(errorFields(errs), ['phone']);
  assert.ok(norm(record('contact', [['email', t('ann@example.com')]])).ok);
  assert.ok(norm(record('contact', [['phone', t('+16502530000')]])).ok);
});

test('email is trimmed and lower-cased', () => {
  const out = norm(record('contact', [['email', t('  Ann.Lee@Example.COM ')]])).ok;
  assert.equal(textOf(out, 'email'), 'ann.lee@example.com');
  assert.equal(norm(record('contact', [['email', t('a b@x.io')]])).err[0].reason, '"a b@x.io" is not a valid e-mail address');
  assert.equal(norm(record('contact', [['email', t('nobody')]])).err[0].reason, '"nobody" has no \'@\'');
});

test('started-at becomes UTC RFC 3339', () => {
  for (const [given, want] of [
    [t('2024-05-01T12:00:00+02:00'), '2024-05-01T10:00:00Z'],
    [t('2024-05-01T05:30:15.250-04:30'), '2024-05-01T10:00:15.25Z'],
    [int(1_714_557_600_000), '2024-05-01T10:00:00Z'],
    [t('1714557600000'), '2024-05-01T10:00:00Z'],
    [num(1_714_557_600_123), '2024-05-01T10:00:00.123Z'],
    [ts('2024-05-01T10:00:00Z'), '2024-05-01T10:00:00Z'],
    [t('2024-05-01 10:00:00z'), '2024-05-01T10:00:00Z'],
    [t('2024-05-01T00:30:00.123456789+01:00'), '2024-04-30T23:30:00.123456789Z'],
    [t('2024-02-29T23:59:59.9999999999-00:00'), '2024-02-29T23:59:59.999999999Z'],
    [t('2016-12-31T23:59:60Z'), '2016-12-31T23:59:59.999999999Z'],
    [t('2026-11-01T10:00:00+01:00'), '2026-11-01T09:00:00Z'],
  ]) {
    const out = norm(record('call', [['phone', t('+16502530000')], ['started-at', given]])).ok;
    assert.ok(out, `${JSON.stringify(given, (_, x) => (typeof x === 'bigint' ? `${x}` : x))}`);
    assert.deepEqual(get(out, 'started-at'), ts(want));
  }
});

test('Unix seconds and garbage timestamps are refused', () => {
  for (const bad of [
    int(1_714_557_600),
    t('yesterday'),
    bool(true),
    t('2024-02-30T10:00:00Z'),
    t('2024-05-01T10:00:00'),
    t('2024-05-01T24:00:00Z'),
    t('2024-05-01T10:00:00+24:00'),
    t('2024-05-01T10:00:60Z'),
    t('99999999999999999'),
  ]) {
    const errs = norm(record('call', [['phone', t('+16502530000')], ['started-at', bad]])).err;
    assert.deepEqual(errorFields(errs), ['started-at'], JSON.stringify(bad, (_, x) => (typeof x === 'bigint' ? `${x}` : x)));
  }
  const secs = norm(record('call', [['phone', t('+16502530000')], ['started-at', int(1_714_557_600)]])).err[0];
  assert.equal(secs.reason, '"1714557600" looks like Unix seconds; send Unix milliseconds or RFC 3339');
  const words = norm(record('call', [['phone', t('+16502530000')], ['started-at', t('yesterday')]])).err[0];
  assert.equal(words.reason, '"yesterday" is not an RFC 3339 timestamp (e.g. 2024-05-01T10:00:00Z) or Unix milliseconds');
  const far = norm(record('call', [['phone', t('+16502530000')], ['started-at', t('99999999999999999')]])).err[0];
  assert.equal(far.reason, '"99999999999999999" is out of range');
});

test('duration, direction and status are canonical', () => {
  const out = norm(call([
    ['phone', t('+16502530000')],
    ['duration-seconds', t(' 95 ')],
    ['direction', t('Inbound')],
    ['status', t('no answer')],
  ])).ok;
  assert.deepEqual(get(out, 'duration-seconds'), int(95));
  assert.equal(textOf(out, 'direction'), 'inbound');
  assert.equal(textOf(out, 'status'), 'NO_ANSWER');
});

test('fractional or non-numeric durations are refused', () => {
  const frac = norm(call([['phone', t('+16502530000')], ['duration-seconds', num(1.5)]])).err;
  assert.deepEqual(errorFields(frac), ['duration-seconds']);
  assert.equal(frac[0].reason, 'must be a whole number of seconds, got 1.5');
  const words = norm(call([['phone', t('+16502530000')], ['duration-seconds', t('long')]])).err;
  assert.equal(words[0].reason, 'must be a whole number of seconds, got "long"');
  assert.deepEqual(get(norm(call([['phone', t('+16502530000')], ['duration-seconds', num(30)]])).ok, 'duration-seconds'), int(30));
});

test('unknown fields are kept and the order preserved', () => {
  const out = norm(call([['phone', t('650 253 0000')], ['crm-owner', t('ann')], ['email', t('A@B.CO')]])).ok;
  assert.deepEqual(out.fields.map((f) => f.name), ['started-at', 'phone', 'crm-owner', 'email']);
  assert.equal(textOf(out, 'crm-owner'), 'ann');
});

test('normalizing twice changes nothing', () => {
  const rec = call([
    ['phone', t('(650) 253-0000')],
    ['email', t('X@Y.ORG')],
    ['direction', t('OUTBOUND')],
    ['duration-seconds', t('12')],
    ['status', t('left-voicemail')],
    ['title', t('  Hi ')],
  ]);
  const once = norm(rec).ok;
  const twice = norm(once).ok;
  assert.deepEqual(twice, once);
});

test('the input record is not changed', () => {
  const rec = call([['phone', t('(650) 253-0000')]]);
  const before = JSON.stringify(rec);
  norm(rec);
  assert.equal(JSON.stringify(rec), before);
});

test('an unknown kind is refused as a whole', () => {
  const errs = norm(record('deal', [])).err;
  assert.equal(errs.length, 1);
  assert.equal(errs[0].field, '');
  assert.match(errs[0].reason, /"deal"/);
});

test('the recording URL must be http(s)', () => {
  const errs = norm(call([['phone', t('+16502530000')], ['recording-url', t('ftp://x/y.mp3')]])).err;
  assert.deepEqual(errorFields(errs), ['recording-url']);
});

test('text fields must be text or numbers', () => {
  const errs = norm(call([['phone', bool(true)], ['title', { tag: 'json', val: '{}' }]])).err;
  assert.deepEqual(errors(errs), [['phone', 'must be text, got a boolean'], ['title', 'must be text, got a JSON document']]);
  function errors(list) {
    return list.map((e) => [e.field, e.reason]);
  }
});

test('the region from config: trimmed, upper-case, US by default', () => {
  assert.equal(regionFrom(undefined), 'US');
  assert.equal(regionFrom('  '), 'US');
  assert.equal(regionFrom(' gb '), 'GB');
  assert.equal(norm(call([['phone', t('07911 123456')]]), 'XX').err[0].reason, 'unknown default region "XX"');
});
