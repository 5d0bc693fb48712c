// `push` against the scripted fake host: the cases of the Rust connector's
// src/tests/push.rs, push_contact.rs and upsert.rs.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { CALLS_UPSERT, CONTACTS_PATH, CONTACTS_UPSERT, CONTACT_SEARCH, callContactAssociation, callProperties, upsertBody, upserted as readUpserted } from '../src/api.js';
import { classify } from '../src/classify.js';
import { PushFailure } from '../src/errors.js';
import { CALL, CONTACT, upsert } from '../src/upsert.js';
import { EMPTY_SEARCH, Fake, KEY, int, normalized, record, refs, run, t, upserted } from './helpers.js';

const LINK_512 = '/crm/v4/objects/calls/9001/associations/default/contacts/512';
const LINKED = '{"status":"COMPLETE","results":[]}';

function callRecord() {
  return normalized(record('call', [
    ['phone', t('(650) 253-0000')],
    ['email', t('Ann@Example.com')],
    ['first-name', t('Ann')],
    ['started-at', t('2024-05-01T12:00:00+02:00')],
    ['duration-seconds', int(60)],
    ['direction', t('inbound')],
  ]));
}

test('a cached contact gets a call upserted by key, then linked', () => {
  const fake = new Fake()
    .withState('phone:+16502530000', '512')
    .answer(CALLS_UPSERT, 200, upserted('9001', true))
    .answer(LINK_512, 200, LINKED);
  const out = run(fake, callRecord()).ok;
  assert.equal(out.status, 'created');
  assert.deepEqual(refs(out), ['calls/9001', ['contacts/512'], ['create calls/9001']]);
  const input = fake.sent[0].body.inputs[0];
  assert.equal(fake.sent[0].method, 'POST');
  assert.equal(input.id, KEY);
  assert.equal(input.idProperty, 'switchboard_idempotency_key');
  assert.equal(input.properties.switchboard_idempotency_key, KEY);
  assert.equal(input.properties.hs_timestamp, '2024-05-01T10:00:00Z');
  assert.equal(input.properties.hs_call_duration, '60000');
  assert.equal(input.associations, undefined);
  assert.deepEqual([fake.sent[1].method, fake.sent[1].body], ['PUT', null]);
  assert.equal(fake.state.get(`call:${KEY}`), '9001');
  assert.equal(fake.note('contact'), 'state cache 512');
  assert.equal(fake.note('call'), 'created 9001');
});

test('a replay with the cache is already-present without any request', () => {
  const fake = new Fake().withState(`call:${KEY}`, '9001').withState('phone:+16502530000', '512');
  const out = run(fake, callRecord()).ok;
  assert.equal(out.status, 'already-present');
  assert.deepEqual(refs(out), ['calls/9001', ['contacts/512'], []]);
  assert.equal(fake.sent.length, 0);
  assert.equal(fake.note('call'), 'already created 9001 (idempotent replay)');
});

test('a replay after a lost cache finds the call by its key', () => {
  const fake = new Fake()
    .withState('phone:+16502530000', '512')
    .answer(CALLS_UPSERT, 200, upserted('9001', false))
    .answer(LINK_512, 200, LINKED);
  const out = run(fake, callRecord()).ok;
  assert.equal(out.status, 'already-present');
  assert.deepEqual(refs(out), ['calls/9001', ['contacts/512'], []]);
  assert.deepEqual(fake.paths(), [CALLS_UPSERT, LINK_512]);
  assert.equal(fake.state.get(`call:${KEY}`), '9001');
  assert.equal(fake.note('call'), 'already in HubSpot as 9001 (found by switchboard_idempotency_key)');
});

test('the phone search keeps only results with the same E.164 and picks the lowest id', () => {
  const found = `{"total":4,"results":[
    {"id":"700","properties":{"phone":"+1 650 253 0001","mobilephone":null,"email":null}},
    {"id":"650","properties":{"phone":null,"mobilephone":"650.253.0000"}},
    {"id":"512","properties":{"phone":"(650) 253-0000"}},
    {"id":"90","properties":{"phone":"not a phone"}}]}`;
  const fake = new Fake()
    .answer(CONTACT_SEARCH, 200, found)
    .answer(CALLS_UPSERT, 200, upserted('9001', true))
    .answer(LINK_512, 200, LINKED);
  const out = run(fake, callRecord()).ok;
  assert.deepEqual(refs(out)[1], ['contacts/512']);
  assert.equal(fake.note('contact'), 'matched 512 by phone search');
  assert.equal(fake.state.get('phone:+16502530000'), '512');
  assert.deepEqual(fake.sent[0].body, {
    filterGroups: ['+16502530000', '+1 650-253-0000', '(650) 253-0000', '6502530000', '16502530000'].map((value) => ({
      filters: [{ propertyName: 'phone', operator: 'EQ', value }],
    })),
    properties: ['phone', 'mobilephone', 'email'],
    limit: 100,
  });
});

test('the e-mail search follows a phone miss', () => {
  const byEmail = '{"total":1,"results":[{"id":"333","properties":{"email":"ann@example.com","phone":"+44 20 7946 0958"}}]}';
  const fake = new Fake()
    .answer(CONTACT_SEARCH, 200, EMPTY_SEARCH)
    .answer(CONTACT_SEARCH, 200, byEmail)
    .answer(CALLS_UPSERT, 200, upserted('9001', true))
    .answer('/crm/v4/objects/calls/9001/associations/default/contacts/333', 200, LINKED);
  const out = run(fake, callRecord()).ok;
  assert.deepEqual(refs(out)[1], ['contacts/333']);
  assert.deepEqual(fake.sent[1].body.filterGroups[0].filters[0], { propertyName: 'email', operator: 'EQ', value: 'ann@example.com' });
  assert.equal(fake.note('contact'), 'matched 333 by email search');
});

test('an unknown caller is upserted by phone, and both creates are effects', () => {
  const fake = new Fake()
    .answer(CONTACT_SEARCH, 200, EMPTY_SEARCH)
    .answer(CONTACT_SEARCH, 200, EMPTY_SEARCH)
    .answer(CONTACTS_UPSERT, 200, upserted('513', true))
    .answer(CALLS_UPSERT, 200, upserted('9004', true))
    .answer('/crm/v4/objects/calls/9004/associations/default/contacts/513', 200, LINKED);
  const out = run(fake, callRecord()).ok;
  assert.deepEqual(refs(out), ['calls/9004', ['contacts/513'], ['create contacts/513', 'create calls/9004']]);
  assert.deepEqual(fake.sent[2].body, {
    inputs: [{
      id: '+16502530000',
      idProperty: 'switchboard_phone_e164',
      properties: { phone: '+16502530000', email: 'ann@example.com', firstname: 'Ann', switchboard_phone_e164: '+16502530000' },
    }],
  });
  assert.equal(fake.note('contact'), 'created 513');
});

test('a contact created before a crash is found by the upsert while search lags', () => {
  const fake = new Fake()
    .answer(CONTACT_SEARCH, 200, EMPTY_SEARCH)
    .answer(CONTACT_SEARCH, 200, EMPTY_SEARCH)
    .answer(CONTACTS_UPSERT, 200, upserted('512', false))
    .answer(CALLS_UPSERT, 200, upserted('9001', true))
    .answer(LINK_512, 200, LINKED);
  const out = run(fake, callRecord()).ok;
  assert.deepEqual(refs(out), ['calls/9001', ['contacts/512'], ['create calls/9001']]);
  assert.equal(fake.note('contact'), 'matched 512 by switchboard_phone_e164 upsert');
  assert.equal(fake.state.get('phone:+16502530000'), '512');
});

test('a conflict on the contact upsert uses the existing contact', () => {
  const conflict = '{"status":"error","message":"Contact already exists. Existing ID: 512","correlationId":"x","category":"CONFLICT"}';
  const fake = new Fake()
    .answer(CONTACT_SEARCH, 200, EMPTY_SEARCH)
    .answer(CONTACT_SEARCH, 200, EMPTY_SEARCH)
    .answer(CONTACTS_UPSERT, 409, conflict)
    .answer(CALLS_UPSERT, 200, upserted('9001', true))
    .answer(LINK_512, 200, LINKED);
  const out = run(fake, callRecord()).ok;
  assert.deepEqual(refs(out)[2], ['create calls/9001']);
  assert.equal(fake.note('contact'), '409 conflict, existing 512');
});

test('a stale cached contact is resolved again once, and the call is not upserted twice', () => {
  const gone = '{"status":"error","message":"resource not found","correlationId":"x","category":"OBJECT_NOT_FOUND"}';
  const found = '{"total":1,"results":[{"id":"777","properties":{"phone":"+16502530000"}}]}';
  const fake = new Fake()
    .withState('phone:+16502530000', '512')
    .answer(CALLS_UPSERT, 200, upserted('9001', true))
    .answer(LINK_512, 404, gone)
    .answer(CONTACT_SEARCH, 200, found)
    .answer('/crm/v4/objects/calls/9001/associations/default/contacts/777', 200, LINKED);
  const out = run(fake, callRecord()).ok;
  assert.deepEqual(refs(out)[1], ['contacts/777']);
  assert.equal(fake.state.get('phone:+16502530000'), '777');
  assert.equal(fake.paths().filter((p) => p === CALLS_UPSERT).length, 1);
});

test('a failed link is returned and nothing is cached', () => {
  const fake = new Fake()
    .withState('phone:+16502530000', '512')
    .answer(CALLS_UPSERT, 200, upserted('9001', true))
    .answer(LINK_512, 503, '');
  const err = run(fake, callRecord()).err;
  assert.equal(err.tag, 'response');
  assert.equal(err.val.status, 503);
  assert.equal(fake.state.has(`call:${KEY}`), false);
});

test('error responses go back to the host for classification', () => {
  const limited = '{"status":"error","message":"You have reached your secondly limit.","errorType":"RATE_LIMIT","policyName":"SECONDLY"}';
  const fake = new Fake().answer(CONTACT_SEARCH, 429, limited);
  const err = run(fake, callRecord()).err;
  assert.equal(err.tag, 'response');
  assert.equal(err.val.status, 429);
  assert.equal(new TextDecoder().decode(err.val.body), limited);
  assert.equal(fake.state.has(`call:${KEY}`), false);
});

test('transport failures go to the host as they came, and nothing is cached', () => {
  const errors = [
    { tag: 'timeout', val: { phase: 'tls-handshake', limitMs: 5000n } },
    { tag: 'connect', val: 'connection reset' },
    { tag: 'denied', val: 'host x is not in the allowlist' },
    { tag: 'throttled', val: { waitMs: 700n, budget: 'ten-secondly' } },
  ];
  for (const e of errors) {
    const fake = new Fake().fail(CONTACT_SEARCH, e);
    assert.deepEqual(run(fake, callRecord()).err, { tag: 'transport', val: e });
    assert.equal(fake.state.has(`call:${KEY}`), false);
  }
});

test('a transport failure after the call upsert is handed over too', () => {
  const fake = new Fake()
    .withState('phone:+16502530000', '512')
    .answer(CALLS_UPSERT, 200, upserted('9001', true))
    .fail(LINK_512, { tag: 'timeout', val: { phase: 'total', limitMs: 10000n } });
  assert.deepEqual(run(fake, callRecord()).err, { tag: 'transport', val: { tag: 'timeout', val: { phase: 'total', limitMs: 10000n } } });
  assert.equal(fake.state.has(`call:${KEY}`), false);
});

test('success without an id is a permanent error naming it', () => {
  let err = run(new Fake().withState('phone:+16502530000', '512').answer(CALLS_UPSERT, 200, '{}'), callRecord()).err;
  assert.equal(err.val.tag, 'permanent');
  assert.ok(err.val.val.includes('"id"') && err.val.val.includes('results'), err.val.val);
  err = run(new Fake().answer(CONTACT_SEARCH, 200, '{"oops":true}'), callRecord()).err;
  assert.equal(err.val.tag, 'permanent');
  assert.match(err.val.val, /results/);
});

// Contacts.

const phoneContact = () => normalized(record('contact', [['phone', t('+1 650 253 0000')]]));

test('a contact record found by phone is already-present', () => {
  const found = '{"total":1,"results":[{"id":"512","properties":{"phone":"6502530000"}}]}';
  const out = run(new Fake().answer(CONTACT_SEARCH, 200, found), phoneContact()).ok;
  assert.equal(out.status, 'already-present');
  assert.deepEqual(refs(out), ['contacts/512', [], []]);
});

test('a new contact with a phone is created by upsert', () => {
  const fake = new Fake().answer(CONTACT_SEARCH, 200, EMPTY_SEARCH).answer(CONTACTS_UPSERT, 200, upserted('515', true));
  const out = run(fake, phoneContact()).ok;
  assert.equal(out.status, 'created');
  assert.deepEqual(refs(out), ['contacts/515', [], ['create contacts/515']]);
  assert.deepEqual(fake.sent[1].body.inputs[0].properties, { phone: '+16502530000', switchboard_phone_e164: '+16502530000' });
  assert.equal(fake.state.get('phone:+16502530000'), '515');
});

test('a contact pushed again after a lost cache is already-present', () => {
  const fake = new Fake().answer(CONTACT_SEARCH, 200, EMPTY_SEARCH).answer(CONTACTS_UPSERT, 200, upserted('515', false));
  const out = run(fake, phoneContact()).ok;
  assert.equal(out.status, 'already-present');
  assert.deepEqual(refs(out), ['contacts/515', [], []]);
});

test('a new e-mail-only contact is created plainly', () => {
  const rec = normalized(record('contact', [['email', t('New@Example.com')], ['last-name', t('Lee')]]));
  const fake = new Fake().answer(CONTACT_SEARCH, 200, EMPTY_SEARCH).answer(CONTACTS_PATH, 201, '{"id":"514"}');
  const out = run(fake, rec).ok;
  assert.equal(out.status, 'created');
  assert.deepEqual(refs(out), ['contacts/514', [], ['create contacts/514']]);
  assert.deepEqual(fake.sent[1].body, { properties: { email: 'new@example.com', lastname: 'Lee' } });
  assert.equal(fake.state.size, 0);
});

test('an e-mail-only conflict uses the existing contact', () => {
  const rec = normalized(record('contact', [['email', t('a@example.com')]]));
  const conflict = '{"status":"error","message":"Contact already exists. Existing ID: 77","category":"CONFLICT"}';
  const out = run(new Fake().answer(CONTACT_SEARCH, 200, EMPTY_SEARCH).answer(CONTACTS_PATH, 409, conflict), rec).ok;
  assert.equal(out.status, 'already-present');
  assert.equal(refs(out)[0], 'contacts/77');
});

// Upserts.

const NO_KEY_PROPERTY = '{"status":"error","message":"Property values were not valid: [{\\"isValid\\":false,\\"message\\":\\"Property \\\\\\"switchboard_idempotency_key\\\\\\" does not exist\\",\\"error\\":\\"PROPERTY_DOESNT_EXIST\\",\\"name\\":\\"switchboard_idempotency_key\\"}]","correlationId":"c-1","errors":[{"message":"Property \\"switchboard_idempotency_key\\" does not exist","code":"PROPERTY_DOESNT_EXIST","context":{"propertyName":["switchboard_idempotency_key"]}}],"category":"VALIDATION_ERROR"}';
const props = () => ({ hs_timestamp: '2024-05-01T10:00:00Z' });

function upsertResult(fake, target, id) {
  try {
    return { ok: upsert(fake, target, id, props()) };
  } catch (e) {
    if (e instanceof PushFailure) return { err: e.pushError };
    throw e;
  }
}

function permanentReason(r) {
  assert.equal(r.err?.tag, 'classified', JSON.stringify(r));
  assert.equal(r.err.val.tag, 'permanent');
  return r.err.val.val;
}

test('upsert body and answer shapes', () => {
  assert.deepEqual(upsertBody('switchboard_idempotency_key', 'k-1', props()), {
    inputs: [{ id: 'k-1', idProperty: 'switchboard_idempotency_key', properties: { hs_timestamp: '2024-05-01T10:00:00Z', switchboard_idempotency_key: 'k-1' } }],
  });
  assert.deepEqual(readUpserted({ status: 'COMPLETE', results: [{ id: '12', new: true }] }), { id: '12', isNew: true });
  assert.deepEqual(readUpserted({ results: [{ id: 12 }] }), { id: '12', isNew: false });
  assert.equal(readUpserted({ results: [] }), undefined);
  const p = callProperties('{"properties":{"hs_call_title":"t"}}', 'k').ok;
  assert.equal(p.switchboard_idempotency_key, 'k');
  assert.equal(p.hs_call_title, 't');
  assert.ok(callProperties('[]', 'k').err);
});

test('the association path escapes ids', () => {
  assert.equal(callContactAssociation('12', '34'), '/crm/v4/objects/calls/12/associations/default/contacts/34');
  assert.equal(callContactAssociation('1/../x', 'a b'), '/crm/v4/objects/calls/1%2F..%2Fx/associations/default/contacts/a%20b');
  assert.equal(callContactAssociation('é', '~'), '/crm/v4/objects/calls/%C3%A9/associations/default/contacts/~');
});

test('a missing key property is a permanent error telling what to create', () => {
  const reason = permanentReason(upsertResult(new Fake().answer(CALLS_UPSERT, 400, NO_KEY_PROPERTY), CALL, 'k'));
  assert.ok(reason.startsWith('HubSpot property "switchboard_idempotency_key" on calls must exist with hasUniqueValue=true'), reason);
  assert.ok(reason.includes('README') && reason.includes('c-1'), reason);
  const notUnique = '{"status":"error","message":"Property \\"switchboard_phone_e164\\" is not a unique identifier property","category":"VALIDATION_ERROR"}';
  const r2 = permanentReason(upsertResult(new Fake().answer(CONTACTS_UPSERT, 400, notUnique), CONTACT, '+1'));
  assert.ok(r2.includes('"switchboard_phone_e164" on contacts must exist with hasUniqueValue=true'), r2);
});

test('other upsert errors go back to the host', () => {
  const removed = '{"status":"error","message":"Property values were not valid","errors":[{"message":"Property \\"hs_call_title\\" does not exist","code":"PROPERTY_DOESNT_EXIST","context":{"propertyName":["hs_call_title"]}}],"category":"VALIDATION_ERROR"}';
  assert.equal(upsertResult(new Fake().answer(CALLS_UPSERT, 400, removed), CALL, 'k').err.val.status, 400);
  assert.equal(upsertResult(new Fake().answer(CALLS_UPSERT, 503, ''), CALL, 'k').err.val.status, 503);
});

test('a multi-status answer is judged by its first error', () => {
  const multi = (error) => JSON.stringify({ status: 'COMPLETE', results: [], numErrors: 1, errors: [error] });
  const missing = multi({ status: 'error', category: 'VALIDATION_ERROR', message: 'Property "switchboard_idempotency_key" does not exist' });
  assert.match(permanentReason(upsertResult(new Fake().answer(CALLS_UPSERT, 207, missing), CALL, 'k')), /hasUniqueValue=true/);
  const conflict = multi({ status: 'error', category: 'CONFLICT', message: 'Contact already exists. Existing ID: 9' });
  const r = upsertResult(new Fake().answer(CONTACTS_UPSERT, 207, conflict), CONTACT, '+1');
  assert.equal(r.err.tag, 'response');
  assert.equal(r.err.val.status, 409);
  assert.equal(new TextDecoder().decode(r.err.val.body), '{"category":"CONFLICT","message":"Contact already exists. Existing ID: 9","status":"error"}');
  assert.deepEqual(classify(r.err.val), { tag: 'duplicate', val: '9' });
  const odd = multi({ status: 'error', category: 'SOMETHING_NEW', message: 'hmm' });
  assert.match(permanentReason(upsertResult(new Fake().answer(CALLS_UPSERT, 207, odd), CALL, 'k')), /SOMETHING_NEW: hmm/);
});
