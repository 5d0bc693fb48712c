// `map-fields`: the cases of the Rust connector's src/tests/mapping.rs.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { mapRecord } from '../src/mapping.js';
import { int, nul, record, t, ts } from './helpers.js';

const body = (p) => JSON.parse(p.body);

test('a full call maps to HubSpot call properties', () => {
  const rec = record('call', [
    ['phone', t('+16502530000')],
    ['email', t('ann@example.com')],
    ['started-at', ts('2024-05-01T10:00:00Z')],
    ['duration-seconds', int(95)],
    ['direction', t('inbound')],
    ['title', t('Support call')],
    ['notes', t('Asked about invoices')],
    ['status', t('COMPLETED')],
    ['from-number', t('+16502530000')],
    ['to-number', t('+14155550123')],
    ['recording-url', t('https://rec.example/1.mp3')],
    ['crm-owner', t('ignored')],
  ]);
  const p = mapRecord(rec).ok;
  assert.equal(p.object, 'calls');
  assert.deepEqual(body(p), {
    properties: {
      hs_timestamp: '2024-05-01T10:00:00Z',
      hs_call_title: 'Support call',
      hs_call_body: 'Asked about invoices',
      hs_call_duration: '95000',
      hs_call_direction: 'INBOUND',
      hs_call_status: 'COMPLETED',
      hs_call_from_number: '+16502530000',
      hs_call_to_number: '+14155550123',
      hs_call_recording_url: 'https://rec.example/1.mp3',
    },
  });
});

test('a minimal call has only the timestamp and the default status, keys sorted like serde_json', () => {
  const rec = record('call', [
    ['phone', t('+16502530000')],
    ['started-at', ts('2024-05-01T10:00:00Z')],
    ['notes', nul()],
  ]);
  assert.equal(
    mapRecord(rec).ok.body,
    '{"properties":{"hs_call_status":"COMPLETED","hs_timestamp":"2024-05-01T10:00:00Z"}}',
  );
});

test('outbound direction is upper case', () => {
  const rec = record('call', [['started-at', t('2024-05-01T10:00:00Z')], ['direction', t('outbound')]]);
  assert.equal(body(mapRecord(rec).ok).properties.hs_call_direction, 'OUTBOUND');
});

test('a contact maps to HubSpot contact properties', () => {
  const rec = record('contact', [
    ['phone', t('+447911123456')],
    ['email', t('ann@example.com')],
    ['first-name', t('Ann')],
    ['last-name', t('Lee')],
    ['company', t('Acme')],
  ]);
  const p = mapRecord(rec).ok;
  assert.equal(p.object, 'contacts');
  assert.equal(
    p.body,
    '{"properties":{"company":"Acme","email":"ann@example.com","firstname":"Ann","lastname":"Lee","phone":"+447911123456"}}',
  );
});

test('a call without started-at is a field error, with every other bad field', () => {
  const errs = mapRecord(record('call', [['phone', t('+16502530000')], ['direction', t('up')]])).err;
  assert.deepEqual(errs.map((e) => e.field), ['started-at', 'direction']);
});

test('a contact without phone or email, and an unknown kind, are refused', () => {
  assert.deepEqual(mapRecord(record('contact', [['first-name', t('A')]])).err.map((e) => e.field), ['phone']);
  assert.deepEqual(mapRecord(record('deal', [])).err, [{ field: '', reason: 'unknown record kind "deal"' }]);
});

test('map-fields is deterministic', () => {
  const rec = record('call', [
    ['title', t('b')],
    ['started-at', ts('2024-05-01T10:00:00Z')],
    ['notes', t('ü "quoted" \n line')],
    ['duration-seconds', int(1)],
  ]);
  const first = mapRecord(rec).ok;
  for (let i = 0; i < 5; i += 1) assert.deepEqual(mapRecord(rec).ok, first);
  assert.equal(
    first.body,
    '{"properties":{"hs_call_body":"ü \\"quoted\\" \\n line","hs_call_duration":"1000","hs_call_status":"COMPLETED","hs_call_title":"b","hs_timestamp":"2024-05-01T10:00:00Z"}}',
  );
});
