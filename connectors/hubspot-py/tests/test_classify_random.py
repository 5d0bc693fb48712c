"""`classify-error` on random responses: random statuses, `Retry-After`
values, random bytes, and real HubSpot error bodies with random edits and
random JSON made of the keys the classifier reads. The Python counterpart of
the Rust connector's fuzz target (fuzz/fuzz_targets/hubspot_classify_error.rs):
it must never raise, and must answer the class the status fixes.

Deterministic (a fixed seed; SWITCHBOARD_CLASSIFY_SEED picks another) and
bounded (ROUNDS responses, well under a second)."""

import json
import os
import random
import unittest

import support  # noqa: F401  (sys.path)
from hubspot_py import classify
from hubspot_py.model import (
    BURST, DAILY, Auth, Duplicate, FieldRemoved, NotFound, Permanent, Permission, RateLimited,
    Transient, Validation,
)

ROUNDS = 3000
SEED = int(os.environ.get("SWITCHBOARD_CLASSIFY_SEED", "13"))
U64_MAX = 2**64 - 1

STATUSES = (0, 200, 400, 401, 403, 404, 408, 409, 410, 414, 418, 425, 429, 477, 499, 500,
            502, 503, 599, 600, 65535)
KEYS = ("status", "message", "category", "subCategory", "correlationId", "policyName",
        "errors", "validationResults", "context", "propertyName", "requiredScopes",
        "requiredGranularScopes", "properties", "name", "code", "error", "ids")
WORDS = ("DAILY", "TEN_SECONDLY_ROLLING", "SECONDLY", "MISSING_SCOPES", "OBJECT_NOT_FOUND",
         "VALIDATION_ERROR", "EXPIRED_AUTHENTICATION", "INVALID_AUTHENTICATION",
         "PROPERTY_DOESNT_EXIST", "crm.associations.INVALID_OBJECT_IDS", "daily limit",
         "Existing ID: 37765128953", "existing id:", 'Property "hs_x" does not exist',
         'Property values were not valid: [{"name":"hs_y"}]', "not valid:", "é", "\u0000", "")
SEED_BODIES = (
    '{"status":"error","message":"Contact already exists. Existing ID: 37765128953","category":"CONFLICT"}',
    '{"status":"error","message":"You have reached your daily limit.","errorType":"RATE_LIMIT","policyName":"DAILY"}',
    '{"status":"error","message":"Property values were not valid: [{\\"isValid\\":false,\\"message\\":\\"Property \\\\\\"hs_x\\\\\\" does not exist\\",\\"error\\":\\"PROPERTY_DOESNT_EXIST\\",\\"name\\":\\"hs_x\\"}]","category":"VALIDATION_ERROR"}',
    '{"status":"error","message":"This app hasn\'t been granted all required scopes.","errors":[{"message":"One or more of the following scopes are required.","context":{"requiredScopes":["crm.objects.contacts.write"]}}],"category":"MISSING_SCOPES"}',
    '{"status":"error","message":"Property values were not valid","validationResults":[{"isValid":false,"message":"Property \\"hs_z\\" does not exist","error":"PROPERTY_DOESNT_EXIST","name":"hs_z"}]}',
    "<html><body>502 Bad Gateway</body></html>",
)
CLASSES = (Transient, RateLimited, Auth, Permission, NotFound, Validation, FieldRemoved,
           Duplicate, Permanent)


def random_json(rng, depth=0):
    kind = rng.randrange(8 if depth < 4 else 5)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice((True, False, 0, -1, 1.5, 10**30))
    if kind in (2, 3, 4):
        return rng.choice(WORDS) if rng.random() < 0.8 else "".join(
            chr(rng.randrange(0x20, 0x3000)) for _ in range(rng.randrange(8)))
    if kind == 5:
        return [random_json(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {rng.choice(KEYS): random_json(rng, depth + 1) for _ in range(rng.randrange(6))}


def random_body(rng):
    kind = rng.randrange(4)
    if kind == 0:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(64)))
    if kind == 1:
        return json.dumps(random_json(rng)).encode("utf-8")
    body = bytearray(rng.choice(SEED_BODIES).encode("utf-8"))
    for _ in range(rng.randrange(1, 6) if kind == 2 else 0):
        at = rng.randrange(len(body) + 1)
        edit = rng.randrange(3)
        if edit == 0 and at < len(body):
            del body[at:at + rng.randrange(1, 8)]
        elif edit == 1 and at < len(body):
            body[at] = rng.randrange(256)
        else:
            body[at:at] = rng.choice(WORDS).encode("utf-8")
    return bytes(body)


def random_headers(rng):
    headers = []
    for _ in range(rng.randrange(3)):
        name = rng.choice(("retry-after", "Retry-After", "RETRY-AFTER", "content-type", "x"))
        value = rng.choice(("2", "0.5", " 1.0005 ", "-1", "inf", "NaN", "1e400", "1e15",
                            "Wed, 21 Oct 2015 07:28:00 GMT", "", str(rng.random() * 1e6),
                            str(rng.randrange(10**20))))
        headers.append((name, value))
    return headers


class RandomClassifyTest(unittest.TestCase):
    def test_random_responses_always_get_a_valid_class(self):
        rng = random.Random(SEED)
        for i in range(ROUNDS):
            status = rng.choice(STATUSES) if rng.random() < 0.7 else rng.randrange(65536)
            headers = random_headers(rng)
            body = random_body(rng)
            where = "round %d (seed %d): status %d, headers %r, body %r" % (
                i, SEED, status, headers, body)
            try:
                c = classify.classify(status, headers, body)
            except Exception as e:  # noqa: BLE001 (any exception is the failure)
                self.fail("%s raised %r" % (where, e))
            self.check(c, status, headers, where)

    def check(self, c, status, headers, where):
        self.assertIsInstance(c, CLASSES, where)
        after = classify.retry_after_ms(headers)
        if after is not None:
            self.assertTrue(0 <= after <= U64_MAX, where)
        if isinstance(c, (Auth, Permission, NotFound, Permanent)):
            self.assertIsInstance(c.reason, str, where)
        if isinstance(c, (Validation, FieldRemoved)):
            self.assertIsInstance(c.field, str, where)
            self.assertIsInstance(c.reason, str, where)
        if isinstance(c, FieldRemoved):
            self.assertTrue(c.field, where)
        if isinstance(c, Duplicate) and c.existing_id is not None:
            self.assertRegex(c.existing_id, r"\A[0-9]+\Z", where)
        if isinstance(c, RateLimited):
            self.assertIn(c.scope, (BURST, DAILY), where)
            self.assertTrue(c.policy, where)
        expected = {401: Auth, 403: Permission, 404: NotFound, 409: Duplicate, 429: RateLimited}
        if status in expected:
            self.assertIsInstance(c, expected[status], where)
        if status in (408, 425, 477) or 500 <= status <= 599:
            self.assertEqual(c, Transient(after), where)


if __name__ == "__main__":
    unittest.main()
