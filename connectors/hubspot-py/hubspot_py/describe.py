"""`describe`: the connector's static facts, as plain data (`app.py` turns
them into the WIT descriptor). The rate limits are HubSpot's for a
Professional private app, as in the Rust connector."""

from .api import CONTACT_SEARCH
from .feedback import DAILY, SEARCH, TEN_SECONDLY
from .fields import KIND_CALL, KIND_CONTACT
from .host import DEFAULT_BASE_URL, TOKEN_SECRET
from .mapping import OWNED_CALL_PROPERTIES

NAME = "hubspot-py"
VERSION = "0.2.0"
CRM = "HubSpot"
DAY_MS = 86_400_000


def descriptor():
    """The descriptor as a dict; each rate limit is a dict too, its `scope`
    `burst` or `daily`, its `costs` (method, path prefix, cost) triples."""
    return {
        "name": NAME,
        "version": VERSION,
        "crm": CRM,
        "record_kinds": [KIND_CALL, KIND_CONTACT],
        "outbound_hosts": [DEFAULT_BASE_URL],
        "config_keys": ["base-url", "default-region"],
        "secret_names": [TOKEN_SECRET],
        "owned_fields": list(OWNED_CALL_PROPERTIES),
        "rate_limits": [
            # Search is exempt from the ten-secondly window and limited on its own.
            _limit(TEN_SECONDLY, 190, 10_000, "burst", [("POST", CONTACT_SEARCH, 0)], 1),
            _limit(DAILY, 650_000, DAY_MS, "daily", [], 1),
            _limit(SEARCH, 4, 1_000, "burst", [("POST", CONTACT_SEARCH, 1)], 0),
        ],
    }


def _limit(name, tokens, window_ms, scope, costs, default_cost):
    return {
        "name": name,
        "tokens": tokens,
        "window_ms": window_ms,
        "scope": scope,
        "costs": costs,
        "default_cost": default_cost,
    }
