// Phone numbers: the same E.164 and the same search spellings as the Rust
// connector, for a table recorded from the Rust SDK (fixtures/phones-rust.tsv).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { toE164, typedVariants } from '../src/phone.js';

const table = readFileSync(new URL('./fixtures/phones-rust.tsv', import.meta.url), 'utf8')
  .split('\n')
  .filter((l) => l !== '' && !l.startsWith('#'))
  .map((l) => l.split('\t'));

test('normalizes the recorded table exactly as the Rust connector does', () => {
  assert.ok(table.length > 200);
  for (const [raw, region, want, variants] of table) {
    const got = toE164(raw, region);
    if (want.startsWith('ERR ')) {
      assert.equal(got.error, want.slice(4), `${raw} in ${region}`);
    } else {
      assert.equal(got.e164, want, `${raw} in ${region}`);
      assert.equal(typedVariants(got.e164).join('|'), variants, `spellings of ${want}`);
    }
  }
});

test('search spellings use the international format with dashes where libphonenumber has them', () => {
  assert.deepEqual(typedVariants('+16502530000'), [
    '+16502530000',
    '+1 650-253-0000',
    '(650) 253-0000',
    '6502530000',
    '16502530000',
    '+1-650-253-0000',
  ]);
  assert.deepEqual(typedVariants('+447911123456').slice(0, 3), ['+447911123456', '+44 7911 123456', '07911 123456']);
});

test('numbers spelled with keypad letters are read as digits', () => {
  assert.equal(toE164('1 800 FLOWERS', 'US').e164, '+18003569377');
  assert.ok(toE164('call me', 'DE').error);
  assert.ok(toE164('abc123', 'DE').error);
});

test('garbage and empty input are refused', () => {
  assert.equal(toE164('', 'GB').error, 'is empty');
  assert.equal(toE164('  ', 'GB').error, 'is empty');
  assert.equal(toE164('12', 'GB').error, '"12" is not a valid phone number');
});
