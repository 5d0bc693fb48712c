// `classify-error`: one test per real HubSpot error body (the cases of the
// Rust connector's src/tests/classify.rs), plus odd bodies.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { classify, existingId } from '../src/classify.js';
import { resp } from './helpers.js';

test('an expired token is auth and says expired', () => {
  const body = '{"status":"error","message":"The OAuth token used to make this call expired 7 second(s) ago.","correlationId":"5a4e3f2c-1111-4b5c-9d8e-000000000001","category":"EXPIRED_AUTHENTICATION"}';
  const c = classify(resp(401, [], body));
  assert.equal(c.tag, 'auth');
  assert.match(c.val, /EXPIRED_AUTHENTICATION/);
  assert.match(c.val, /expired 7 second\(s\) ago/);
  assert.equal(
    c.val,
    'expired token (EXPIRED_AUTHENTICATION): refresh it or replace the "hubspot-token" secret; hubspot said: EXPIRED_AUTHENTICATION: The OAuth token used to make this call expired 7 second(s) ago. (correlation id "5a4e3f2c-1111-4b5c-9d8e-000000000001")',
  );
});

test('an invalid token is auth and says invalid', () => {
  const body = '{"status":"error","message":"Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview","correlationId":"5a4e3f2c-1111-4b5c-9d8e-000000000002","category":"INVALID_AUTHENTICATION"}';
  const c = classify(resp(401, [], body));
  assert.equal(c.tag, 'auth');
  assert.match(c.val, /INVALID_AUTHENTICATION/);
  assert.match(c.val, /hubspot-token/);
});

test('missing scopes is permission, listing the scopes', () => {
  const body = '{"status":"error","message":"This app hasn\'t been granted all required scopes to make this call. Read more about required scopes here: https://developers.hubspot.com/scopes.","correlationId":"5a4e3f2c-1111-4b5c-9d8e-000000000003","errors":[{"message":"One or more of the following scopes are required.","context":{"requiredScopes":["crm.objects.contacts.write","contacts"]}}],"links":{"scopes":"https://developers.hubspot.com/scopes"},"category":"MISSING_SCOPES"}';
  const c = classify(resp(403, [], body));
  assert.equal(c.tag, 'permission');
  assert.ok(c.val.includes('["crm.objects.contacts.write", "contacts"]'), c.val);
  assert.match(c.val, /MISSING_SCOPES/);
});

test('granular scopes are listed too', () => {
  const body = '{"status":"error","message":"This app hasn\'t been granted all required scopes to make this call.","errors":[{"message":"One or more of the following scopes are required.","context":{"requiredGranularScopes":["crm.objects.calls.write"]}}],"category":"MISSING_SCOPES"}';
  const c = classify(resp(403, [], body));
  assert.equal(c.tag, 'permission');
  assert.match(c.val, /crm\.objects\.calls\.write/);
});

test('OBJECT_NOT_FOUND is not-found', () => {
  const body = '{"status":"error","message":"resource not found","correlationId":"5a4e3f2c-1111-4b5c-9d8e-000000000004","category":"OBJECT_NOT_FOUND"}';
  const c = classify(resp(404, [], body));
  assert.equal(c.tag, 'not-found');
  assert.match(c.val, /resource not found/);
  assert.equal(classify(resp(410, [], body)).tag, 'not-found');
});

test('a property that does not exist is field-removed naming the property', () => {
  const body = '{"status":"error","message":"Property values were not valid: [{\\"isValid\\":false,\\"message\\":\\"Property \\\\\\"hs_call_mood\\\\\\" does not exist\\",\\"error\\":\\"PROPERTY_DOESNT_EXIST\\",\\"name\\":\\"hs_call_mood\\",\\"localizedErrorMessage\\":\\"Property \\\\\\"hs_call_mood\\\\\\" does not exist\\"}]","correlationId":"5a4e3f2c-1111-4b5c-9d8e-000000000005","errors":[{"message":"Property \\"hs_call_mood\\" does not exist","code":"PROPERTY_DOESNT_EXIST","context":{"propertyName":["hs_call_mood"]}}],"category":"VALIDATION_ERROR"}';
  assert.deepEqual(classify(resp(400, [], body)), {
    tag: 'field-removed',
    val: { field: 'hs_call_mood', reason: 'Property "hs_call_mood" does not exist' },
  });
});

test('the property name is found in the message alone', () => {
  const embedded = '{"status":"error","message":"Property values were not valid: [{\\"isValid\\":false,\\"message\\":\\"Property \\\\\\"hs_x\\\\\\" does not exist\\",\\"error\\":\\"PROPERTY_DOESNT_EXIST\\",\\"name\\":\\"hs_x\\"}]","category":"VALIDATION_ERROR"}';
  const plain = '{"status":"error","message":"Property \\"hs_y\\" does not exist","category":"VALIDATION_ERROR"}';
  const v1 = '{"status":"error","message":"Property values were not valid","validationResults":[{"isValid":false,"message":"Property \\"hs_z\\" does not exist","error":"PROPERTY_DOESNT_EXIST","name":"hs_z"}]}';
  for (const [body, want] of [[embedded, 'hs_x'], [plain, 'hs_y'], [v1, 'hs_z']]) {
    const c = classify(resp(400, [], body));
    assert.equal(c.tag, 'field-removed', body);
    assert.equal(c.val.field, want, body);
    assert.match(c.val.reason, /does not exist/, body);
  }
});

test('a required property named in context.properties is plain validation', () => {
  const body = '{"status":"error","message":"Error creating CALL. Some required properties were not set.","context":{"properties":["hs_timestamp"]},"category":"VALIDATION_ERROR"}';
  assert.deepEqual(classify(resp(400, [], body)), {
    tag: 'validation',
    val: { field: 'hs_timestamp', reason: 'VALIDATION_ERROR: Error creating CALL. Some required properties were not set.' },
  });
});

test('other bad requests are validation without a field', () => {
  const body = '{"status":"error","message":"Invalid input JSON on line 1, column 2: expected value","category":"VALIDATION_ERROR"}';
  const c = classify(resp(400, [], body));
  assert.equal(c.tag, 'validation');
  assert.equal(c.val.field, '');
  assert.match(c.val.reason, /Invalid input JSON/);
});

test('invalid association ids are not-found', () => {
  const body = '{"status":"error","message":"One or more associations are invalid","context":{"ids":["512"]},"category":"VALIDATION_ERROR","subCategory":"crm.associations.INVALID_OBJECT_IDS"}';
  assert.equal(classify(resp(400, [], body)).tag, 'not-found');
});

test('a conflict is duplicate with the existing id', () => {
  const body = '{"status":"error","message":"Contact already exists. Existing ID: 37765128953","correlationId":"5a4e3f2c-1111-4b5c-9d8e-000000000006","category":"CONFLICT"}';
  assert.deepEqual(classify(resp(409, [], body)), { tag: 'duplicate', val: '37765128953' });
});

test('a conflict without an id is duplicate without one', () => {
  const body = '{"status":"error","message":"Contact already exists.","category":"CONFLICT"}';
  assert.deepEqual(classify(resp(409, [], body)), { tag: 'duplicate', val: undefined });
});

test('the ten-secondly limit is burst with Retry-After', () => {
  const body = '{"status":"error","message":"You have reached your ten_secondly_rolling limit.","errorType":"RATE_LIMIT","correlationId":"c93e06a4-2222-4b5c-9d8e-000000000007","policyName":"TEN_SECONDLY_ROLLING","groupName":"publicapi:hapikey-api-calls-ten-secondly:6748263"}';
  assert.deepEqual(classify(resp(429, [['retry-after', '2']], body)), {
    tag: 'rate-limited',
    val: { retryAfterMs: 2000n, scope: 'burst', policy: 'TEN_SECONDLY_ROLLING' },
  });
});

test('the ten-secondly limit without Retry-After waits one window', () => {
  const body = '{"status":"error","message":"You have reached your ten_secondly_rolling limit.","errorType":"RATE_LIMIT","policyName":"TEN_SECONDLY_ROLLING"}';
  assert.equal(classify(resp(429, [], body)).val.retryAfterMs, 10_000n);
});

test('the search limit is burst', () => {
  const body = '{"status":"error","message":"You have reached your secondly limit.","errorType":"RATE_LIMIT","policyName":"SECONDLY"}';
  assert.deepEqual(classify(resp(429, [], body)).val, { retryAfterMs: 1_000n, scope: 'burst', policy: 'SECONDLY' });
});

test('the daily limit is daily', () => {
  const body = '{"status":"error","message":"You have reached your daily limit.","errorType":"RATE_LIMIT","correlationId":"c93e06a4-2222-4b5c-9d8e-000000000008","policyName":"DAILY","requestId":"r-1"}';
  assert.deepEqual(classify(resp(429, [], body)), {
    tag: 'rate-limited',
    val: { retryAfterMs: undefined, scope: 'daily', policy: 'DAILY' },
  });
  const worded = '{"status":"error","message":"You have reached your Daily Limit."}';
  assert.equal(classify(resp(429, [['Retry-After', '60']], worded)).val.scope, 'daily');
  assert.equal(classify(resp(429, [['Retry-After', '60']], worded)).val.retryAfterMs, 60_000n);
});

test('server errors and migration are transient', () => {
  const maintenance = '{"status":"error","message":"internal error","category":"INTERNAL_ERROR"}';
  assert.deepEqual(classify(resp(500, [], maintenance)), { tag: 'transient', val: undefined });
  assert.deepEqual(classify(resp(477, [['Retry-After', '30']], '')), { tag: 'transient', val: 30_000n });
  for (const s of [408, 425, 502, 503, 504, 521, 523, 524, 599]) {
    assert.deepEqual(classify(resp(s, [], '<html>bad gateway</html>')), { tag: 'transient', val: undefined }, String(s));
  }
});

test('Retry-After: fractional seconds round, dates and junk are ignored', () => {
  const after = (v) => classify(resp(503, [['retry-after', v]], '')).val;
  assert.equal(after('0.5'), 500n);
  assert.equal(after(' 2 '), 2000n);
  assert.equal(after('1e1'), 10_000n);
  assert.equal(after('Wed, 21 Oct 2015 07:28:00 GMT'), undefined);
  assert.equal(after(''), undefined);
  assert.equal(after('0x10'), undefined);
  assert.equal(after('-1'), undefined);
  assert.equal(after('inf'), undefined);
});

test('non-JSON bodies never throw', () => {
  const html = '<html><body>403 Forbidden</body></html>';
  assert.equal(classify(resp(429, [], html)).val.policy, 'unknown');
  const perm = classify(resp(403, [], html));
  assert.equal(perm.tag, 'permission');
  assert.match(perm.val, /403 Forbidden/);
  assert.equal(classify(resp(401, [], '')).tag, 'auth');
  assert.deepEqual(classify(resp(400, [], '{"message":"trunc')).val.field, '');
  assert.deepEqual(classify(resp(409, [], 'Existing ID: 42')), { tag: 'duplicate', val: '42' });
  const binary = { status: 418, headers: [], body: new Uint8Array([0xff, 0xfe, 0x00, 0x80]) };
  const c = classify(binary);
  assert.equal(c.tag, 'permanent');
  assert.ok(c.val.startsWith('status 418'), c.val);
  for (const body of ['null', '[]', '42', '"text"', '{"errors":"x","context":7}', '{"errors":[1,null,{"context":[]}]}']) {
    for (const status of [400, 401, 403, 404, 409, 429, 500, 418]) classify(resp(status, [], body));
  }
});

test('an unknown status is permanent with the message', () => {
  const body = '{"status":"error","message":"Cannot have more than 250 identities on a profile","correlationId":"abc","category":"VALIDATION_ERROR"}';
  assert.deepEqual(classify(resp(414, [], body)), {
    tag: 'permanent',
    val: 'status 414: VALIDATION_ERROR: Cannot have more than 250 identities on a profile (correlation id "abc")',
  });
});

test('a long non-JSON body is quoted briefly, cut at a character boundary', () => {
  const c = classify(resp(418, [], 'é'.repeat(500)));
  assert.equal(c.tag, 'permanent');
  assert.equal(c.val, `status 418: "${'é'.repeat(100)}"`);
});

test('the existing id is read from any "Existing ID:" text', () => {
  assert.equal(existingId('A call with the value "k" ... already exists. Existing ID: 1234'), '1234');
  assert.equal(existingId('existing id:   77 and more'), '77');
  assert.equal(existingId('Existing ID: none'), undefined);
  assert.equal(existingId('nothing'), undefined);
});
