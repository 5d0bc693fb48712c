"""`push` against the scripted fake host (ported from the Rust connector's
tests/push.rs, push_contact.rs and upsert.rs)."""

import json
import unittest

from support import Fake, record
from hubspot_py import api, push, upsert
from hubspot_py.api import CALLS_UPSERT, CONTACT_SEARCH, CONTACTS, CONTACTS_UPSERT
from hubspot_py.classify import classify
from hubspot_py.mapping import map_record
from hubspot_py.model import (
    ALREADY_PRESENT, CREATED, Classified, CrmError, Duplicate, Permanent, Transient, Transport,
)
from hubspot_py.normalize import normalize_record

KEY = "tenant-a/rec-1/hubspot"
EMPTY_SEARCH = '{"total":0,"results":[]}'
LINK_512 = "/crm/v4/objects/calls/9001/associations/default/contacts/512"
LINKED = '{"status":"COMPLETE","results":[]}'


def upserted(id_, new):
    return json.dumps({"status": "COMPLETE", "results": [{"id": id_, "properties": {}, "new": new}],
                       "startedAt": "2024-05-01T10:00:00.000Z", "completedAt": "2024-05-01T10:00:00.001Z"})


def call_record():
    return normalize_record(record("call", [
        ("phone", "(650) 253-0000"),
        ("email", "Ann@Example.com"),
        ("first-name", "Ann"),
        ("started-at", "2024-05-01T12:00:00+02:00"),
        ("duration-seconds", 60),
        ("direction", "inbound"),
    ]))


def run(fake, rec):
    return push.push(fake, KEY, rec, map_record(rec))


def refs(out):
    r = lambda c: "%s/%s" % (c.object, c.id)  # noqa: E731
    return (r(out.primary), [r(c) for c in out.related],
            ["%s %s" % (e.action, r(e.target)) for e in out.effects])


class PushCallTest(unittest.TestCase):
    def test_cached_contact_gets_a_call_upserted_by_key_then_linked(self):
        fake = (Fake().with_state("phone:+16502530000", "512")
                .answer(CALLS_UPSERT, 200, upserted("9001", True))
                .answer(LINK_512, 200, LINKED))
        out = run(fake, call_record())
        self.assertEqual(out.status, CREATED)
        self.assertEqual(refs(out), ("calls/9001", ["contacts/512"], ["create calls/9001"]))
        up = fake.sent[0]
        self.assertEqual(up.method, "POST")
        inp = up.body["inputs"][0]
        self.assertEqual(inp["id"], KEY)
        self.assertEqual(inp["idProperty"], "switchboard_idempotency_key")
        self.assertEqual(inp["properties"]["switchboard_idempotency_key"], KEY)
        self.assertEqual(inp["properties"]["hs_timestamp"], "2024-05-01T10:00:00Z")
        self.assertEqual(inp["properties"]["hs_call_duration"], "60000")
        self.assertNotIn("associations", inp)
        link = fake.sent[1]
        self.assertEqual((link.method, link.body), ("PUT", None))
        self.assertEqual(fake.state.get("call:" + KEY), "9001")
        self.assertEqual(fake.note("contact"), "state cache 512")
        self.assertEqual(fake.note("call"), "created 9001")

    def test_replay_with_the_cache_is_already_present_without_any_request(self):
        fake = Fake().with_state("call:" + KEY, "9001").with_state("phone:+16502530000", "512")
        out = run(fake, call_record())
        self.assertEqual(out.status, ALREADY_PRESENT)
        self.assertEqual(refs(out), ("calls/9001", ["contacts/512"], []))
        self.assertEqual(fake.sent, [])

    def test_replay_after_a_lost_cache_finds_the_call_by_its_key(self):
        fake = (Fake().with_state("phone:+16502530000", "512")
                .answer(CALLS_UPSERT, 200, upserted("9001", False))
                .answer(LINK_512, 200, LINKED))
        out = run(fake, call_record())
        self.assertEqual(out.status, ALREADY_PRESENT)
        self.assertEqual(refs(out), ("calls/9001", ["contacts/512"], []))
        self.assertEqual(fake.paths(), [CALLS_UPSERT, LINK_512])
        self.assertEqual(fake.state.get("call:" + KEY), "9001")
        self.assertEqual(fake.note("call"), "already in HubSpot as 9001 (found by switchboard_idempotency_key)")

    def test_phone_search_keeps_only_results_with_the_same_e164_and_picks_the_lowest_id(self):
        found = """{"total":4,"results":[
            {"id":"700","properties":{"phone":"+1 650 253 0001","mobilephone":null,"email":null}},
            {"id":"650","properties":{"phone":null,"mobilephone":"650.253.0000"}},
            {"id":"512","properties":{"phone":"(650) 253-0000"}},
            {"id":"90","properties":{"phone":"not a phone"}}]}"""
        fake = (Fake().answer(CONTACT_SEARCH, 200, found)
                .answer(CALLS_UPSERT, 200, upserted("9001", True))
                .answer(LINK_512, 200, LINKED))
        out = run(fake, call_record())
        self.assertEqual(refs(out)[1], ["contacts/512"])
        self.assertEqual(fake.note("contact"), "matched 512 by phone search")
        self.assertEqual(fake.state.get("phone:+16502530000"), "512")
        groups = fake.sent[0].body["filterGroups"]
        self.assertTrue(0 < len(groups) <= 5, groups)
        values = [g["filters"][0]["value"] for g in groups]
        self.assertIn("+16502530000", values)
        self.assertIn("(650) 253-0000", values)
        self.assertTrue(all(g["filters"][0]["propertyName"] == "phone" and g["filters"][0]["operator"] == "EQ"
                            for g in groups))
        self.assertEqual(fake.sent[0].body["properties"], ["phone", "mobilephone", "email"])
        self.assertEqual(fake.sent[0].body["limit"], 100)

    def test_a_contact_typed_differently_is_found_in_region_gb(self):
        found = '{"total":1,"results":[{"id":"41","properties":{"phone":"07911 123456"}}]}'
        rec = normalize_record(record("call", [("phone", "+44 (0)7911 123456"),
                                                ("started-at", "2026-11-01T10:00:00+01:00")]), "GB")
        fake = (Fake(region="GB").answer(CONTACT_SEARCH, 200, found)
                .answer(CALLS_UPSERT, 200, upserted("9001", True))
                .answer("/crm/v4/objects/calls/9001/associations/default/contacts/41", 200, LINKED))
        out = run(fake, rec)
        self.assertEqual(refs(out), ("calls/9001", ["contacts/41"], ["create calls/9001"]))
        values = [g["filters"][0]["value"] for g in fake.sent[0].body["filterGroups"]]
        self.assertIn("07911 123456", values)

    def test_email_search_follows_a_phone_miss(self):
        by_email = '{"total":1,"results":[{"id":"333","properties":{"email":"ann@example.com","phone":"+44 20 7946 0958"}}]}'
        fake = (Fake().answer(CONTACT_SEARCH, 200, EMPTY_SEARCH)
                .answer(CONTACT_SEARCH, 200, by_email)
                .answer(CALLS_UPSERT, 200, upserted("9001", True))
                .answer("/crm/v4/objects/calls/9001/associations/default/contacts/333", 200, LINKED))
        out = run(fake, call_record())
        self.assertEqual(refs(out)[1], ["contacts/333"])
        self.assertEqual(fake.sent[1].body["filterGroups"][0]["filters"][0],
                         {"propertyName": "email", "operator": "EQ", "value": "ann@example.com"})
        self.assertEqual(fake.note("contact"), "matched 333 by email search")

    def test_unknown_caller_is_upserted_by_phone_and_both_creates_are_effects(self):
        fake = (Fake().answer(CONTACT_SEARCH, 200, EMPTY_SEARCH)
                .answer(CONTACT_SEARCH, 200, EMPTY_SEARCH)
                .answer(CONTACTS_UPSERT, 200, upserted("513", True))
                .answer(CALLS_UPSERT, 200, upserted("9004", True))
                .answer("/crm/v4/objects/calls/9004/associations/default/contacts/513", 200, LINKED))
        out = run(fake, call_record())
        self.assertEqual(refs(out), ("calls/9004", ["contacts/513"], ["create contacts/513", "create calls/9004"]))
        self.assertEqual(fake.sent[2].body, {"inputs": [{
            "id": "+16502530000", "idProperty": "switchboard_phone_e164",
            "properties": {"phone": "+16502530000", "email": "ann@example.com", "firstname": "Ann",
                           "switchboard_phone_e164": "+16502530000"}}]})
        self.assertEqual(fake.note("contact"), "created 513")
        self.assertEqual(fake.paths()[:4], [CONTACT_SEARCH, CONTACT_SEARCH, CONTACTS_UPSERT, CALLS_UPSERT])

    def test_contact_created_before_a_crash_is_found_by_the_upsert_while_search_lags(self):
        fake = (Fake().answer(CONTACT_SEARCH, 200, EMPTY_SEARCH)
                .answer(CONTACT_SEARCH, 200, EMPTY_SEARCH)
                .answer(CONTACTS_UPSERT, 200, upserted("512", False))
                .answer(CALLS_UPSERT, 200, upserted("9001", True))
                .answer(LINK_512, 200, LINKED))
        out = run(fake, call_record())
        self.assertEqual(refs(out), ("calls/9001", ["contacts/512"], ["create calls/9001"]))
        self.assertEqual(fake.note("contact"), "matched 512 by switchboard_phone_e164 upsert")
        self.assertEqual(fake.state.get("phone:+16502530000"), "512")

    def test_conflict_on_the_contact_upsert_uses_the_existing_contact(self):
        conflict = '{"status":"error","message":"Contact already exists. Existing ID: 512","correlationId":"x","category":"CONFLICT"}'
        fake = (Fake().answer(CONTACT_SEARCH, 200, EMPTY_SEARCH)
                .answer(CONTACT_SEARCH, 200, EMPTY_SEARCH)
                .answer(CONTACTS_UPSERT, 409, conflict)
                .answer(CALLS_UPSERT, 200, upserted("9001", True))
                .answer(LINK_512, 200, LINKED))
        out = run(fake, call_record())
        self.assertEqual(refs(out)[2], ["create calls/9001"])
        self.assertEqual(fake.note("contact"), "409 conflict, existing 512")

    def test_stale_cached_contact_is_resolved_again_once_and_the_call_is_not_upserted_twice(self):
        gone = '{"status":"error","message":"resource not found","correlationId":"x","category":"OBJECT_NOT_FOUND"}'
        found = '{"total":1,"results":[{"id":"777","properties":{"phone":"+16502530000"}}]}'
        fake = (Fake().with_state("phone:+16502530000", "512")
                .answer(CALLS_UPSERT, 200, upserted("9001", True))
                .answer(LINK_512, 404, gone)
                .answer(CONTACT_SEARCH, 200, found)
                .answer("/crm/v4/objects/calls/9001/associations/default/contacts/777", 200, LINKED))
        out = run(fake, call_record())
        self.assertEqual(refs(out)[1], ["contacts/777"])
        self.assertEqual(fake.state.get("phone:+16502530000"), "777")
        self.assertEqual(fake.paths().count(CALLS_UPSERT), 1)

    def test_a_failed_link_is_returned_and_nothing_is_cached(self):
        fake = (Fake().with_state("phone:+16502530000", "512")
                .answer(CALLS_UPSERT, 200, upserted("9001", True))
                .answer(LINK_512, 503, ""))
        with self.assertRaises(CrmError) as e:
            run(fake, call_record())
        self.assertEqual(e.exception.response.status, 503)
        self.assertNotIn("call:" + KEY, fake.state)

    def test_error_responses_go_back_to_the_host_for_classification(self):
        limited = '{"status":"error","message":"You have reached your secondly limit.","errorType":"RATE_LIMIT","policyName":"SECONDLY"}'
        fake = Fake().answer(CONTACT_SEARCH, 429, limited)
        with self.assertRaises(CrmError) as e:
            run(fake, call_record())
        self.assertEqual(e.exception.response.status, 429)
        self.assertNotIn("call:" + KEY, fake.state)

    def test_transport_failures_go_back_to_the_host_as_they_came(self):
        # The `http.error` is opaque to the logic: the host classifies it.
        err = object()
        fake = Fake().fail(CONTACT_SEARCH, Transport(err))
        with self.assertRaises(Transport) as e:
            run(fake, call_record())
        self.assertIs(e.exception.error, err)
        self.assertEqual(fake.paths(), [CONTACT_SEARCH])
        self.assertEqual(fake.state, {})

    def test_a_transport_failure_after_the_upsert_caches_nothing(self):
        fake = (Fake().with_state("phone:+16502530000", "512")
                .answer(CALLS_UPSERT, 200, upserted("9001", True))
                .fail(LINK_512, Transport("connect")))
        with self.assertRaises(Transport):
            run(fake, call_record())
        self.assertNotIn("call:" + KEY, fake.state)

    def test_success_without_an_id_is_a_permanent_error_naming_it(self):
        fake = Fake().with_state("phone:+16502530000", "512").answer(CALLS_UPSERT, 200, "{}")
        with self.assertRaises(Classified) as e:
            run(fake, call_record())
        reason = e.exception.error_class.reason
        self.assertIn('"id"', reason)
        self.assertIn("results", reason)
        fake = Fake().answer(CONTACT_SEARCH, 200, '{"oops":true}')
        with self.assertRaises(Classified) as e:
            run(fake, call_record())
        self.assertIn("results", e.exception.error_class.reason)

    def test_state_failures(self):
        class Failing(Fake):
            def state_get(self, key):
                raise Classified(Transient(None))

        with self.assertRaises(Classified) as e:
            run(Failing(), call_record())
        self.assertEqual(e.exception.error_class, Transient(None))


def phone_contact():
    return normalize_record(record("contact", [("phone", "+1 650 253 0000")]))


class PushContactTest(unittest.TestCase):
    def test_contact_record_found_by_phone_is_already_present(self):
        found = '{"total":1,"results":[{"id":"512","properties":{"phone":"6502530000"}}]}'
        out = run(Fake().answer(CONTACT_SEARCH, 200, found), phone_contact())
        self.assertEqual(out.status, ALREADY_PRESENT)
        self.assertEqual(refs(out), ("contacts/512", [], []))

    def test_new_contact_with_a_phone_is_created_by_upsert(self):
        fake = Fake().answer(CONTACT_SEARCH, 200, EMPTY_SEARCH).answer(CONTACTS_UPSERT, 200, upserted("515", True))
        out = run(fake, phone_contact())
        self.assertEqual(out.status, CREATED)
        self.assertEqual(refs(out), ("contacts/515", [], ["create contacts/515"]))
        self.assertEqual(fake.sent[1].body["inputs"][0]["properties"],
                         {"phone": "+16502530000", "switchboard_phone_e164": "+16502530000"})
        self.assertEqual(fake.state.get("phone:+16502530000"), "515")

    def test_contact_pushed_again_after_a_lost_cache_is_already_present(self):
        fake = Fake().answer(CONTACT_SEARCH, 200, EMPTY_SEARCH).answer(CONTACTS_UPSERT, 200, upserted("515", False))
        out = run(fake, phone_contact())
        self.assertEqual(out.status, ALREADY_PRESENT)
        self.assertEqual(refs(out), ("contacts/515", [], []))

    def test_new_email_only_contact_is_created_plainly(self):
        rec = normalize_record(record("contact", [("email", "New@Example.com"), ("last-name", "Lee")]))
        fake = Fake().answer(CONTACT_SEARCH, 200, EMPTY_SEARCH).answer(CONTACTS, 201, '{"id":"514"}')
        out = run(fake, rec)
        self.assertEqual(out.status, CREATED)
        self.assertEqual(refs(out), ("contacts/514", [], ["create contacts/514"]))
        self.assertEqual(fake.sent[1].body, {"properties": {"email": "new@example.com", "lastname": "Lee"}})
        self.assertEqual(fake.state, {})

    def test_email_only_conflict_uses_the_existing_contact(self):
        rec = normalize_record(record("contact", [("email", "a@example.com")]))
        conflict = '{"status":"error","message":"Contact already exists. Existing ID: 77","category":"CONFLICT"}'
        fake = Fake().answer(CONTACT_SEARCH, 200, EMPTY_SEARCH).answer(CONTACTS, 409, conflict)
        out = run(fake, rec)
        self.assertEqual(out.status, ALREADY_PRESENT)
        self.assertEqual(refs(out)[0], "contacts/77")


NO_KEY_PROPERTY = r'{"status":"error","message":"Property values were not valid: [{\"isValid\":false,\"message\":\"Property \\\"switchboard_idempotency_key\\\" does not exist\",\"error\":\"PROPERTY_DOESNT_EXIST\",\"name\":\"switchboard_idempotency_key\"}]","correlationId":"c-1","errors":[{"message":"Property \"switchboard_idempotency_key\" does not exist","code":"PROPERTY_DOESNT_EXIST","context":{"propertyName":["switchboard_idempotency_key"]}}],"category":"VALIDATION_ERROR"}'
PROPS = {"hs_timestamp": "2024-05-01T10:00:00Z"}


def multi(error):
    return json.dumps({"status": "COMPLETE", "results": [], "numErrors": 1, "errors": [error]})


class UpsertTest(unittest.TestCase):
    def permanent(self, fake, target, id_):
        with self.assertRaises(Classified) as e:
            upsert.upsert(fake, target, id_, PROPS)
        self.assertIsInstance(e.exception.error_class, Permanent)
        return e.exception.error_class.reason

    def test_body_and_answer_shapes(self):
        self.assertEqual(api.upsert_body("switchboard_idempotency_key", "k-1", PROPS), {"inputs": [{
            "id": "k-1", "idProperty": "switchboard_idempotency_key",
            "properties": {"hs_timestamp": "2024-05-01T10:00:00Z", "switchboard_idempotency_key": "k-1"}}]})
        self.assertEqual(api.upserted({"status": "COMPLETE", "results": [{"id": "12", "new": True}]}), ("12", True))
        self.assertEqual(api.upserted({"results": [{"id": 12}]}), ("12", False))
        self.assertIsNone(api.upserted({"results": []}))
        props = api.call_properties('{"properties":{"hs_call_title":"t"}}', "k")
        self.assertEqual(props, {"hs_call_title": "t", "switchboard_idempotency_key": "k"})
        with self.assertRaises(ValueError):
            api.call_properties("[]", "k")

    def test_association_path_escapes_ids(self):
        self.assertEqual(api.call_contact_association("12", "34"),
                         "/crm/v4/objects/calls/12/associations/default/contacts/34")
        self.assertEqual(api.call_contact_association("1/../x", "a b"),
                         "/crm/v4/objects/calls/1%2F..%2Fx/associations/default/contacts/a%20b")

    def test_missing_key_property_is_a_permanent_error_telling_what_to_create(self):
        reason = self.permanent(Fake().answer(CALLS_UPSERT, 400, NO_KEY_PROPERTY), upsert.CALL, "k")
        self.assertTrue(reason.startswith(
            'HubSpot property "switchboard_idempotency_key" on calls must exist with hasUniqueValue=true'), reason)
        self.assertIn("README", reason)
        self.assertIn("c-1", reason)
        not_unique = '{"status":"error","message":"Property \\"switchboard_phone_e164\\" is not a unique identifier property","category":"VALIDATION_ERROR"}'
        reason = self.permanent(Fake().answer(CONTACTS_UPSERT, 400, not_unique), upsert.CONTACT, "+1")
        self.assertIn('"switchboard_phone_e164" on contacts must exist with hasUniqueValue=true', reason)

    def test_other_errors_go_back_to_the_host(self):
        removed = '{"status":"error","message":"Property values were not valid","errors":[{"message":"Property \\"hs_call_title\\" does not exist","code":"PROPERTY_DOESNT_EXIST","context":{"propertyName":["hs_call_title"]}}],"category":"VALIDATION_ERROR"}'
        for status, body in ((400, removed), (503, "")):
            with self.assertRaises(CrmError) as e:
                upsert.upsert(Fake().answer(CALLS_UPSERT, status, body), upsert.CALL, "k", PROPS)
            self.assertEqual(e.exception.response.status, status)

    def test_multi_status_is_judged_by_its_first_error(self):
        missing = multi({"status": "error", "category": "VALIDATION_ERROR",
                         "message": 'Property "switchboard_idempotency_key" does not exist'})
        reason = self.permanent(Fake().answer(CALLS_UPSERT, 207, missing), upsert.CALL, "k")
        self.assertIn("hasUniqueValue=true", reason)

        conflict = multi({"status": "error", "category": "CONFLICT", "message": "Contact already exists. Existing ID: 9"})
        with self.assertRaises(CrmError) as e:
            upsert.upsert(Fake().answer(CONTACTS_UPSERT, 207, conflict), upsert.CONTACT, "+1", PROPS)
        r = e.exception.response
        self.assertEqual(r.status, 409)
        self.assertEqual(classify(r.status, r.headers, r.body), Duplicate("9"))

        odd = multi({"status": "error", "category": "SOMETHING_NEW", "message": "hmm"})
        reason = self.permanent(Fake().answer(CALLS_UPSERT, 207, odd), upsert.CALL, "k")
        self.assertIn("SOMETHING_NEW: hmm", reason)


if __name__ == "__main__":
    unittest.main()
