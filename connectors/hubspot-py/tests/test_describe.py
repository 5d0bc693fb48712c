"""`describe` and the rate-limit feedback."""

import unittest

import support  # noqa: F401  (sys.path)
from hubspot_py import feedback
from hubspot_py.describe import descriptor


class DescribeTest(unittest.TestCase):
    def test_facts(self):
        d = descriptor()
        self.assertEqual((d["name"], d["version"], d["crm"]), ("hubspot-py", "0.2.0", "HubSpot"))
        self.assertEqual(d["record_kinds"], ["call", "contact"])
        self.assertEqual(d["outbound_hosts"], ["https://api.hubapi.com"])
        self.assertEqual(d["config_keys"], ["base-url", "default-region"])
        self.assertEqual(d["secret_names"], ["hubspot-token"])
        self.assertEqual(len(d["owned_fields"]), 8)

    def test_rate_limits_match_the_rust_connector(self):
        limits = {l["name"]: l for l in descriptor()["rate_limits"]}
        search = ("POST", "/crm/v3/objects/contacts/search")
        self.assertEqual(limits["ten-secondly"]["tokens"], 190)
        self.assertEqual(limits["ten-secondly"]["window_ms"], 10_000)
        self.assertEqual(limits["ten-secondly"]["costs"], [search + (0,)])
        self.assertEqual(limits["ten-secondly"]["default_cost"], 1)
        self.assertEqual(limits["daily"]["scope"], "daily")
        self.assertEqual(limits["daily"]["tokens"], 650_000)
        self.assertEqual(limits["daily"]["window_ms"], 86_400_000)
        self.assertEqual(limits["search"]["tokens"], 4)
        self.assertEqual(limits["search"]["window_ms"], 1_000)
        self.assertEqual(limits["search"]["costs"], [search + (1,)])
        self.assertEqual(limits["search"]["default_cost"], 0)


class FeedbackTest(unittest.TestCase):
    def test_reads_the_burst_and_daily_headers(self):
        r = feedback.reports([
            ("x-hubspot-ratelimit-max", "190"),
            ("x-hubspot-ratelimit-remaining", "17"),
            ("x-hubspot-ratelimit-daily", "650000"),
            ("x-hubspot-ratelimit-daily-remaining", "1200"),
        ])
        self.assertEqual(r, [
            feedback.BudgetReport("ten-secondly", 17, 190),
            feedback.BudgetReport("daily", 1200, 650_000),
        ])

    def test_no_headers_no_reports(self):
        self.assertEqual(feedback.reports([]), [])
        oauth = feedback.reports([("x-hubspot-ratelimit-remaining", "3"), ("x-hubspot-ratelimit-max", "lots")])
        self.assertEqual(oauth, [feedback.BudgetReport("ten-secondly", 3, None)])


if __name__ == "__main__":
    unittest.main()
