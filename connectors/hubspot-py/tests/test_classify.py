"""One test per real HubSpot error body, plus the odd bodies a proxy or a
truncation can produce (ported from the Rust connector's tests/classify.rs)."""

import unittest

import support  # noqa: F401  (sys.path)
from hubspot_py import classify
from hubspot_py.model import (
    BURST, DAILY, Auth, Duplicate, FieldRemoved, NotFound, Permanent, Permission, RateLimited,
    Transient, Validation,
)


def cls(status, headers, body):
    data = body if isinstance(body, bytes) else body.encode("utf-8")
    return classify.classify(status, list(headers), data)


class ClassifyTest(unittest.TestCase):
    def test_expired_token_is_auth_and_says_expired(self):
        body = r'{"status":"error","message":"The OAuth token used to make this call expired 7 second(s) ago.","correlationId":"5a4e3f2c-1111-4b5c-9d8e-000000000001","category":"EXPIRED_AUTHENTICATION"}'
        c = cls(401, [], body)
        self.assertIsInstance(c, Auth)
        self.assertIn("EXPIRED_AUTHENTICATION", c.reason)
        self.assertIn("expired 7 second(s) ago", c.reason)

    def test_invalid_token_is_auth_and_says_invalid(self):
        body = r'{"status":"error","message":"Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview","correlationId":"5a4e3f2c-1111-4b5c-9d8e-000000000002","category":"INVALID_AUTHENTICATION"}'
        c = cls(401, [], body)
        self.assertIsInstance(c, Auth)
        self.assertIn("INVALID_AUTHENTICATION", c.reason)
        self.assertIn("hubspot-token", c.reason)

    def test_missing_scopes_is_permission_listing_the_scopes(self):
        body = r'{"status":"error","message":"This app hasn' + "'" + r't been granted all required scopes to make this call. Read more about required scopes here: https://developers.hubspot.com/scopes.","correlationId":"5a4e3f2c-1111-4b5c-9d8e-000000000003","errors":[{"message":"One or more of the following scopes are required.","context":{"requiredScopes":["crm.objects.contacts.write","contacts"]}}],"links":{"scopes":"https://developers.hubspot.com/scopes"},"category":"MISSING_SCOPES"}'
        c = cls(403, [], body)
        self.assertIsInstance(c, Permission)
        self.assertIn('["crm.objects.contacts.write", "contacts"]', c.reason)
        self.assertIn("MISSING_SCOPES", c.reason)

    def test_granular_scopes_are_listed_too(self):
        body = r'{"status":"error","message":"This app hasn' + "'" + r't been granted all required scopes to make this call.","errors":[{"message":"One or more of the following scopes are required.","context":{"requiredGranularScopes":["crm.objects.calls.write"]}}],"category":"MISSING_SCOPES"}'
        c = cls(403, [], body)
        self.assertIsInstance(c, Permission)
        self.assertIn("crm.objects.calls.write", c.reason)

    def test_object_not_found_is_not_found(self):
        body = r'{"status":"error","message":"resource not found","correlationId":"5a4e3f2c-1111-4b5c-9d8e-000000000004","category":"OBJECT_NOT_FOUND"}'
        c = cls(404, [], body)
        self.assertIsInstance(c, NotFound)
        self.assertIn("resource not found", c.reason)

    def test_property_doesnt_exist_is_field_removed_naming_the_property(self):
        body = r'{"status":"error","message":"Property values were not valid: [{\"isValid\":false,\"message\":\"Property \\\"hs_call_mood\\\" does not exist\",\"error\":\"PROPERTY_DOESNT_EXIST\",\"name\":\"hs_call_mood\",\"localizedErrorMessage\":\"Property \\\"hs_call_mood\\\" does not exist\"}]","correlationId":"5a4e3f2c-1111-4b5c-9d8e-000000000005","errors":[{"message":"Property \"hs_call_mood\" does not exist","code":"PROPERTY_DOESNT_EXIST","context":{"propertyName":["hs_call_mood"]}}],"category":"VALIDATION_ERROR"}'
        self.assertEqual(
            cls(400, [], body),
            FieldRemoved("hs_call_mood", 'Property "hs_call_mood" does not exist'),
        )

    def test_property_name_is_found_in_the_message_alone(self):
        embedded = r'{"status":"error","message":"Property values were not valid: [{\"isValid\":false,\"message\":\"Property \\\"hs_x\\\" does not exist\",\"error\":\"PROPERTY_DOESNT_EXIST\",\"name\":\"hs_x\"}]","category":"VALIDATION_ERROR"}'
        plain = r'{"status":"error","message":"Property \"hs_y\" does not exist","category":"VALIDATION_ERROR"}'
        v1 = r'{"status":"error","message":"Property values were not valid","validationResults":[{"isValid":false,"message":"Property \"hs_z\" does not exist","error":"PROPERTY_DOESNT_EXIST","name":"hs_z"}]}'
        for body, want in ((embedded, "hs_x"), (plain, "hs_y"), (v1, "hs_z")):
            with self.subTest(body=body):
                c = cls(400, [], body)
                self.assertIsInstance(c, FieldRemoved)
                self.assertEqual(c.field, want)
                self.assertIn("does not exist", c.reason)

    def test_other_bad_request_is_validation_without_a_field(self):
        body = r'{"status":"error","message":"Invalid input JSON on line 1, column 2: expected value","category":"VALIDATION_ERROR"}'
        c = cls(400, [], body)
        self.assertIsInstance(c, Validation)
        self.assertEqual(c.field, "")
        self.assertIn("Invalid input JSON", c.reason)

    def test_missing_required_property_names_it_from_context_properties(self):
        body = r'{"status":"error","message":"Error creating CALL. Some required properties were not set.","context":{"properties":["hs_timestamp"]},"category":"VALIDATION_ERROR"}'
        c = cls(400, [], body)
        self.assertIsInstance(c, Validation)
        self.assertEqual(c.field, "hs_timestamp")

    def test_invalid_association_ids_are_not_found(self):
        body = r'{"status":"error","message":"One or more associations are invalid","context":{"ids":["512"]},"category":"VALIDATION_ERROR","subCategory":"crm.associations.INVALID_OBJECT_IDS"}'
        self.assertIsInstance(cls(400, [], body), NotFound)

    def test_conflict_is_duplicate_with_the_existing_id(self):
        body = r'{"status":"error","message":"Contact already exists. Existing ID: 37765128953","correlationId":"5a4e3f2c-1111-4b5c-9d8e-000000000006","category":"CONFLICT"}'
        self.assertEqual(cls(409, [], body), Duplicate("37765128953"))

    def test_conflict_without_an_id_is_duplicate_without_one(self):
        body = r'{"status":"error","message":"Contact already exists.","category":"CONFLICT"}'
        self.assertEqual(cls(409, [], body), Duplicate(None))

    def test_ten_secondly_limit_is_burst_with_retry_after(self):
        body = r'{"status":"error","message":"You have reached your ten_secondly_rolling limit.","errorType":"RATE_LIMIT","correlationId":"c93e06a4-2222-4b5c-9d8e-000000000007","policyName":"TEN_SECONDLY_ROLLING","groupName":"publicapi:hapikey-api-calls-ten-secondly:6748263"}'
        self.assertEqual(
            cls(429, [("retry-after", "2")], body), RateLimited(2000, BURST, "TEN_SECONDLY_ROLLING"))

    def test_ten_secondly_limit_without_retry_after_waits_one_window(self):
        body = r'{"status":"error","message":"You have reached your ten_secondly_rolling limit.","errorType":"RATE_LIMIT","policyName":"TEN_SECONDLY_ROLLING"}'
        self.assertEqual(cls(429, [], body).retry_after_ms, 10_000)

    def test_search_limit_is_burst(self):
        body = r'{"status":"error","message":"You have reached your secondly limit.","errorType":"RATE_LIMIT","policyName":"SECONDLY"}'
        self.assertEqual(cls(429, [], body), RateLimited(1_000, BURST, "SECONDLY"))

    def test_daily_limit_is_daily(self):
        body = r'{"status":"error","message":"You have reached your daily limit.","errorType":"RATE_LIMIT","correlationId":"c93e06a4-2222-4b5c-9d8e-000000000008","policyName":"DAILY","requestId":"r-1"}'
        self.assertEqual(cls(429, [], body), RateLimited(None, DAILY, "DAILY"))

    def test_daily_limit_with_retry_after_and_without_a_policy(self):
        self.assertEqual(
            cls(429, [("Retry-After", "3600")], r'{"message":"You have reached your daily limit."}'),
            RateLimited(3_600_000, DAILY, "DAILY"))

    def test_server_errors_and_migration_are_transient(self):
        maintenance = r'{"status":"error","message":"internal error","category":"INTERNAL_ERROR"}'
        self.assertEqual(cls(500, [], maintenance), Transient(None))
        self.assertEqual(cls(477, [("Retry-After", "30")], ""), Transient(30_000))
        for s in (502, 503, 504, 521, 523, 524, 408, 425):
            with self.subTest(status=s):
                self.assertEqual(cls(s, [], "<html>bad gateway</html>"), Transient(None))

    def test_non_json_bodies_never_fail(self):
        html = "<html><body>403 Forbidden</body></html>"
        limited = cls(429, [], html)
        self.assertIsInstance(limited, RateLimited)
        self.assertEqual(limited.policy, "unknown")
        self.assertEqual(limited.retry_after_ms, None)
        perm = cls(403, [], html)
        self.assertIsInstance(perm, Permission)
        self.assertIn("403 Forbidden", perm.reason)
        self.assertIsInstance(cls(401, [], ""), Auth)
        trunc = cls(400, [], '{"message":"trunc')
        self.assertIsInstance(trunc, Validation)
        self.assertEqual(trunc.field, "")
        self.assertEqual(cls(409, [], "Existing ID: 42"), Duplicate("42"))
        binary = cls(418, [], b"\xff\xfe\x00\x80")
        self.assertIsInstance(binary, Permanent)
        self.assertTrue(binary.reason.startswith("status 418"), binary.reason)
        self.assertIsInstance(cls(400, [], "[1,2]"), Validation)
        self.assertIsInstance(cls(403, [], '"MISSING_SCOPES"'), Permission)

    def test_unknown_status_is_permanent_with_message(self):
        body = r'{"status":"error","message":"Cannot have more than 250 identities on a profile","correlationId":"abc","category":"VALIDATION_ERROR"}'
        c = cls(414, [], body)
        self.assertIsInstance(c, Permanent)
        self.assertIn("414", c.reason)
        self.assertIn("250 identities", c.reason)
        self.assertIn('"abc"', c.reason)

    def test_other_status_with_object_not_found_is_not_found(self):
        self.assertIsInstance(cls(410, [], '{"category":"OBJECT_NOT_FOUND"}'), NotFound)

    def test_long_non_json_body_is_quoted_briefly(self):
        c = cls(418, [], "é" * 500)
        self.assertIsInstance(c, Permanent)
        self.assertLess(len(c.reason.encode("utf-8")), 260)

    def test_retry_after_forms(self):
        self.assertEqual(classify.retry_after_ms([("Retry-After", "2")]), 2000)
        self.assertEqual(classify.retry_after_ms([("retry-after", "0.5")]), 500)
        self.assertEqual(classify.retry_after_ms([("retry-after", " 1.0005 ")]), 1001)
        for bad in ("Wed, 21 Oct 2015 07:28:00 GMT", "-1", "inf", "NaN", "1_0", ""):
            with self.subTest(value=bad):
                self.assertIsNone(classify.retry_after_ms([("retry-after", bad)]))
        self.assertIsNone(classify.retry_after_ms([]))

    def test_existing_id(self):
        self.assertEqual(classify.existing_id("... existing ID:   12 and more"), "12")
        self.assertIsNone(classify.existing_id("Existing ID: none"))
        self.assertIsNone(classify.existing_id(""))


if __name__ == "__main__":
    unittest.main()
