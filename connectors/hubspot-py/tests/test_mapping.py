"""`map-fields` (ported from the Rust connector's tests/mapping.rs)."""

import json
import unittest

from support import record
from hubspot_py.mapping import map_record
from hubspot_py.model import InvalidRecord, Timestamp


def body(p):
    return json.loads(p.body)


class MappingTest(unittest.TestCase):
    def test_full_call_maps_to_hubspot_call_properties(self):
        rec = record("call", [
            ("phone", "+16502530000"),
            ("email", "ann@example.com"),
            ("started-at", Timestamp("2024-05-01T10:00:00Z")),
            ("duration-seconds", 95),
            ("direction", "inbound"),
            ("title", "Support call"),
            ("notes", "Asked about invoices"),
            ("status", "COMPLETED"),
            ("from-number", "+16502530000"),
            ("to-number", "+14155550123"),
            ("recording-url", "https://rec.example/1.mp3"),
            ("crm-owner", "ignored"),
        ])
        p = map_record(rec)
        self.assertEqual(p.object, "calls")
        self.assertEqual(body(p), {"properties": {
            "hs_timestamp": "2024-05-01T10:00:00Z",
            "hs_call_title": "Support call",
            "hs_call_body": "Asked about invoices",
            "hs_call_duration": "95000",
            "hs_call_direction": "INBOUND",
            "hs_call_status": "COMPLETED",
            "hs_call_from_number": "+16502530000",
            "hs_call_to_number": "+14155550123",
            "hs_call_recording_url": "https://rec.example/1.mp3",
        }})

    def test_minimal_call_has_only_timestamp_and_default_status(self):
        rec = record("call", [
            ("phone", "+16502530000"),
            ("started-at", Timestamp("2024-05-01T10:00:00Z")),
            ("notes", None),
        ])
        # Byte for byte what the Rust connector sends: keys sorted, no spaces.
        self.assertEqual(
            map_record(rec).body,
            '{"properties":{"hs_call_status":"COMPLETED","hs_timestamp":"2024-05-01T10:00:00Z"}}')

    def test_text_is_kept_as_utf8_and_escaped_like_serde_json(self):
        rec = record("call", [("started-at", "2024-05-01T10:00:00Z"), ("title", 'Café "x"\n\t\x01')])
        self.assertIn('"hs_call_title":"Café \\"x\\"\\n\\t\\u0001"', map_record(rec).body)

    def test_outbound_direction_is_upper_case(self):
        rec = record("call", [("started-at", "2024-05-01T10:00:00Z"), ("direction", "outbound")])
        self.assertEqual(body(map_record(rec))["properties"]["hs_call_direction"], "OUTBOUND")

    def test_contact_maps_to_hubspot_contact_properties(self):
        rec = record("contact", [
            ("phone", "+447911123456"),
            ("email", "ann@example.com"),
            ("first-name", "Ann"),
            ("last-name", "Lee"),
            ("company", "Acme"),
        ])
        p = map_record(rec)
        self.assertEqual(p.object, "contacts")
        self.assertEqual(body(p), {"properties": {
            "phone": "+447911123456", "email": "ann@example.com", "firstname": "Ann",
            "lastname": "Lee", "company": "Acme"}})

    def test_contact_without_phone_or_email_is_refused(self):
        with self.assertRaises(InvalidRecord) as e:
            map_record(record("contact", [("first-name", "Ann")]))
        self.assertEqual([fe.field for fe in e.exception.errors], ["phone"])

    def test_call_without_started_at_is_a_field_error(self):
        with self.assertRaises(InvalidRecord) as e:
            map_record(record("call", [("phone", "+16502530000"), ("direction", "up")]))
        self.assertEqual([fe.field for fe in e.exception.errors], ["started-at", "direction"])

    def test_unknown_kind_is_refused(self):
        with self.assertRaises(InvalidRecord) as e:
            map_record(record("deal", []))
        self.assertEqual(e.exception.errors[0].field, "")

    def test_mapping_is_deterministic(self):
        rec = record("call", [("title", "t"), ("started-at", "2024-05-01T10:00:00Z"), ("notes", "n"),
                              ("duration-seconds", "7")])
        self.assertEqual(len({map_record(rec).body for _ in range(5)}), 1)


if __name__ == "__main__":
    unittest.main()
