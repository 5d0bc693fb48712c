"""`normalize` (ported from the Rust connector's tests/normalize.rs, plus a
table of phone formats and regions)."""

import copy
import unittest

from support import record
from hubspot_py import clock, phone
from hubspot_py.model import InvalidRecord, Json, Timestamp
from hubspot_py.normalize import normalize_email, normalize_record, region_from


def call(fields):
    return record("call", [("started-at", "2024-05-01T10:00:00Z")] + list(fields))


def text_of(rec, name):
    v = rec.get(name)
    return v.value if isinstance(v, Timestamp) else v


def error_fields(e):
    return [fe.field for fe in e.exception.errors]


class NormalizeTest(unittest.TestCase):
    def test_five_spellings_of_one_number_become_one_e164(self):
        for v in ("+1 650 253 0000", "(650) 253-0000", "650.253.0000", "1-650-253-0000", 6_502_530_000):
            with self.subTest(value=v):
                out = normalize_record(call([("phone", v)]))
                self.assertEqual(out.get("phone"), "+16502530000")

    def test_phone_table_of_formats_and_regions(self):
        table = [
            ("07911 123456", "GB", "+447911123456"),
            ("+44 7911 123456", "US", "+447911123456"),
            ("44-7911-123456", "GB", "+447911123456"),
            ("(07911) 123 456", "GB", "+447911123456"),
            ("+44 (0)7911 123456", "GB", "+447911123456"),
            ("0044 7911 123456", "GB", "+447911123456"),
            ("020 7946 0958", "GB", "+442079460958"),
            ("030 123456", "DE", "+4930123456"),
            ("+49 30 123456", "US", "+4930123456"),
            ("01 23 45 67 89", "FR", "+33123456789"),
            ("06 12 34 56 78", "FR", "+33612345678"),
            ("(02) 9374 4000", "AU", "+61293744000"),
            ("0412 345 678", "AU", "+61412345678"),
            ("416-555-0123", "CA", "+14165550123"),
            ("020 123 4567", "NL", "+31201234567"),
            ("612 34 56 78", "ES", "+34612345678"),
            ("06 1234 5678", "IT", "+390612345678"),
            ("01 234 5678", "IE", "+35312345678"),
            ("03-1234-5678", "JP", "+81312345678"),
            ("+81 3-1234-5678", "GB", "+81312345678"),
            ("+1 (650) 253-0000 ext. 12", "US", "+16502530000"),
            ("tel:+1-650-253-0000", "US", "+16502530000"),
            ("16502530000", "GB", "+16502530000"),
        ]
        for typed, region, want in table:
            with self.subTest(typed=typed, region=region):
                self.assertEqual(phone.to_e164(typed, region), want)
                out = normalize_record(call([("phone", typed)]), region)
                self.assertEqual(out.get("phone"), want)

    def test_invalid_phones_name_the_field(self):
        for typed in ("12", "call me", "+44 7911", "00000000000", "+999 123 456 789"):
            with self.subTest(typed=typed):
                with self.assertRaises(InvalidRecord) as e:
                    normalize_record(call([("phone", typed)]), "GB")
                self.assertEqual(error_fields(e), ["phone"])
                self.assertIn("is not a valid phone number", e.exception.errors[0].reason)

    def test_numbers_without_country_code_use_the_given_region(self):
        rec = call([("phone", "07911 123456"), ("from-number", "020 7946 0958"), ("to-number", "+1 650 253 0000")])
        out = normalize_record(rec, "GB")
        self.assertEqual(out.get("phone"), "+447911123456")
        self.assertEqual(out.get("from-number"), "+442079460958")
        self.assertEqual(out.get("to-number"), "+16502530000")

    def test_reports_every_bad_field_together_with_its_name(self):
        rec = record("call", [
            ("phone", "call me maybe"),
            ("duration-seconds", -5),
            ("direction", "sideways"),
            ("email", "not-an-email"),
        ])
        with self.assertRaises(InvalidRecord) as e:
            normalize_record(rec)
        self.assertEqual(sorted(error_fields(e)), ["direction", "duration-seconds", "email", "phone", "started-at"])
        duration = next(fe for fe in e.exception.errors if fe.field == "duration-seconds")
        self.assertIn("-5", duration.reason)

    def test_missing_phone_and_started_at_are_required_for_calls(self):
        with self.assertRaises(InvalidRecord) as e:
            normalize_record(record("call", [("title", "hi")]))
        self.assertEqual(error_fields(e), ["phone", "started-at"])
        self.assertTrue(all("required" in fe.reason for fe in e.exception.errors))

    def test_null_and_blank_count_as_absent(self):
        with self.assertRaises(InvalidRecord) as e:
            normalize_record(record("call", [("phone", None), ("started-at", "  ")]))
        self.assertEqual(error_fields(e), ["phone", "started-at"])

    def test_contact_needs_phone_or_email(self):
        with self.assertRaises(InvalidRecord) as e:
            normalize_record(record("contact", [("first-name", "Ann")]))
        self.assertEqual(error_fields(e), ["phone"])
        normalize_record(record("contact", [("email", "ann@example.com")]))
        normalize_record(record("contact", [("phone", "+16502530000")]))

    def test_email_is_trimmed_and_lower_cased(self):
        out = normalize_record(record("contact", [("email", "  Ann.Lee@Example.COM ")]))
        self.assertEqual(out.get("email"), "ann.lee@example.com")
        for bad in ("not-an-email", "a@b", "a@.b.c", "@b.co", "a b@c.co", "a@b.co."):
            with self.subTest(email=bad):
                with self.assertRaises(ValueError):
                    normalize_email(bad)

    def test_started_at_becomes_utc_rfc3339(self):
        for given, want in (
            ("2024-05-01T12:00:00+02:00", "2024-05-01T10:00:00Z"),
            ("2024-05-01T05:30:15.250-04:30", "2024-05-01T10:00:15.25Z"),
            (1_714_557_600_000, "2024-05-01T10:00:00Z"),
            (1_714_557_600_123.0, "2024-05-01T10:00:00.123Z"),
            ("1714557600000", "2024-05-01T10:00:00Z"),
            (Timestamp("2024-05-01T10:00:00Z"), "2024-05-01T10:00:00Z"),
            ("2026-11-01T10:00:00+01:00", "2026-11-01T09:00:00Z"),
            ("2024-05-01t10:00:00z", "2024-05-01T10:00:00Z"),
            ("2024-05-01 10:00:00.123456789Z", "2024-05-01T10:00:00.123456789Z"),
            ("2024-12-31T23:59:60Z", "2024-12-31T23:59:59.999999999Z"),
            ("2024-01-01T00:30:00+01:00", "2023-12-31T23:30:00Z"),
        ):
            with self.subTest(given=given):
                out = normalize_record(record("call", [("phone", "+16502530000"), ("started-at", given)]))
                self.assertEqual(out.get("started-at"), Timestamp(want))

    def test_unix_seconds_and_garbage_timestamps_are_refused(self):
        for bad in (1_714_557_600, "yesterday", True, "2024-02-30T10:00:00Z", "2024-05-01T10:00:00",
                    "2024-05-01T24:00:00Z", "2024-05-01T10:00:60Z", Json("{}"), 1.5e12 + 0.5,
                    "999999999999999999"):
            with self.subTest(value=bad):
                with self.assertRaises(InvalidRecord) as e:
                    normalize_record(record("call", [("phone", "+16502530000"), ("started-at", bad)]))
                self.assertEqual(error_fields(e), ["started-at"])

    def test_unix_seconds_reason_says_so(self):
        with self.assertRaises(InvalidRecord) as e:
            normalize_record(record("call", [("phone", "+16502530000"), ("started-at", 1_714_557_600)]))
        self.assertEqual(
            e.exception.errors[0].reason,
            '"1714557600" looks like Unix seconds; send Unix milliseconds or RFC 3339')

    def test_duration_direction_and_status_are_canonical(self):
        out = normalize_record(call([
            ("phone", "+16502530000"),
            ("duration-seconds", " 95 "),
            ("direction", "Inbound"),
            ("status", "no answer"),
        ]))
        self.assertEqual(out.get("duration-seconds"), 95)
        self.assertIsInstance(out.get("duration-seconds"), int)
        self.assertEqual(out.get("direction"), "inbound")
        self.assertEqual(out.get("status"), "NO_ANSWER")

    def test_fractional_duration_is_refused(self):
        with self.assertRaises(InvalidRecord) as e:
            normalize_record(call([("phone", "+16502530000"), ("duration-seconds", 1.5)]))
        self.assertEqual(error_fields(e), ["duration-seconds"])
        self.assertEqual(e.exception.errors[0].reason, "must be a whole number of seconds, got 1.5")

    def test_whole_float_duration_becomes_an_integer(self):
        out = normalize_record(call([("phone", "+16502530000"), ("duration-seconds", 60.0)]))
        self.assertEqual(out.get("duration-seconds"), 60)
        self.assertIsInstance(out.get("duration-seconds"), int)

    def test_unknown_fields_are_kept_and_order_preserved(self):
        out = normalize_record(call([("phone", "650 253 0000"), ("crm-owner", "ann"), ("email", "A@B.CO")]))
        self.assertEqual([f.name for f in out.fields], ["started-at", "phone", "crm-owner", "email"])
        self.assertEqual(out.get("crm-owner"), "ann")

    def test_normalizing_twice_changes_nothing(self):
        for region in ("US", "GB"):
            rec = call([
                ("phone", "(650) 253-0000" if region == "US" else "07911 123456"),
                ("email", "X@Y.ORG"),
                ("direction", "OUTBOUND"),
                ("status", "no-answer"),
                ("duration-seconds", "12"),
                ("title", "  hi  "),
                ("from-number", 6_502_530_000 if region == "US" else 2_079_460_958),
            ])
            once = normalize_record(rec, region)
            twice = normalize_record(copy.deepcopy(once), region)
            self.assertEqual(once, twice)

    def test_input_record_is_not_changed(self):
        rec = call([("phone", "(650) 253-0000")])
        before = copy.deepcopy(rec)
        normalize_record(rec)
        self.assertEqual(rec, before)

    def test_unknown_kind_is_refused(self):
        with self.assertRaises(InvalidRecord) as e:
            normalize_record(record("deal", []))
        self.assertEqual(len(e.exception.errors), 1)
        self.assertEqual(e.exception.errors[0].field, "")
        self.assertIn('"deal"', e.exception.errors[0].reason)

    def test_recording_url_must_be_http(self):
        with self.assertRaises(InvalidRecord) as e:
            normalize_record(call([("phone", "+16502530000"), ("recording-url", "ftp://x/y.mp3")]))
        self.assertEqual(error_fields(e), ["recording-url"])

    def test_text_fields_refuse_booleans_and_json(self):
        with self.assertRaises(InvalidRecord) as e:
            normalize_record(call([("phone", True), ("title", Json("[1]"))]))
        self.assertEqual(error_fields(e), ["phone", "title"])
        self.assertEqual(e.exception.errors[0].reason, "must be text, got a boolean")

    def test_region_from_config(self):
        self.assertEqual(region_from(None), "US")
        self.assertEqual(region_from("  "), "US")
        self.assertEqual(region_from(" gb "), "GB")

    def test_unknown_region_is_reported(self):
        with self.assertRaises(InvalidRecord) as e:
            normalize_record(call([("phone", "07911 123456")]), "GREAT BRITAIN")
        self.assertIn("unknown default region", e.exception.errors[0].reason)


class ClockTest(unittest.TestCase):
    def test_unix_ms_round_trip(self):
        self.assertEqual(clock.to_unix_ms("2024-05-01T10:00:00Z"), 1714557600000)
        self.assertEqual(clock.to_utc("253402300799999"), "9999-12-31T23:59:59.999Z")
        with self.assertRaises(ValueError):
            clock.to_utc("253402300800000")


class PhoneTest(unittest.TestCase):
    def test_variants_include_national_and_e164(self):
        v = phone.typed_variants("+447911123456")
        self.assertEqual(v[0], "+447911123456")
        for want in ("+44 7911 123456", "07911 123456", "07911123456", "447911123456"):
            self.assertIn(want, v)
        self.assertEqual(len(v), len(set(v)))
        self.assertIn("(650) 253-0000", phone.typed_variants("+16502530000"))
        self.assertEqual(phone.typed_variants("junk"), ["junk"])

    def test_warm_leaves_patterns_cached(self):
        phone.warm(("GB", "XX"))
        self.assertEqual(phone.to_e164("030 123456", "DE"), "+4930123456")

    def test_rejects_garbage(self):
        for bad in ("call me", "", "   "):
            with self.assertRaises(phone.PhoneError):
                phone.to_e164(bad, "GB")


if __name__ == "__main__":
    unittest.main()
