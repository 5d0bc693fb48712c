"""What HubSpot's rate-limit headers say, as reports for the host's
`limits.report`. Search responses carry no such headers, and OAuth calls
carry no daily pair: a missing header just means no report."""

from dataclasses import dataclass
from typing import Optional

from .compat import ascii_lower, parse_u64, trim

#: The budget names `describe` declares.
TEN_SECONDLY = "ten-secondly"
DAILY = "daily"
SEARCH = "search"


@dataclass(frozen=True)
class BudgetReport:
    budget: str
    remaining: Optional[int]
    limit: Optional[int]
    reset_ms: Optional[int] = None


def header_u64(headers, name):
    """A header's value as a whole number, if present and numeric."""
    for k, v in headers:
        if ascii_lower(k) == name:
            return parse_u64(trim(v))
    return None


def reports(headers):
    """One report per budget the response's headers speak about."""
    out = []
    remaining = header_u64(headers, "x-hubspot-ratelimit-remaining")
    if remaining is not None:
        out.append(BudgetReport(TEN_SECONDLY, remaining, header_u64(headers, "x-hubspot-ratelimit-max")))
    daily = header_u64(headers, "x-hubspot-ratelimit-daily-remaining")
    if daily is not None:
        out.append(BudgetReport(DAILY, daily, header_u64(headers, "x-hubspot-ratelimit-daily")))
    return out
