"""`classify-error`: HubSpot error responses to the host's error classes.
A port of the Rust connector's `classify.rs`. Pure. The body may be JSON of
any shape, other text, truncated or empty: every part is optional."""

import math

from .compat import (
    ascii_lower, debug_list, debug_str, lossy_text, parse_f64, parse_json, trim, trim_start,
    truncate_bytes,
)
from .model import (
    BURST, DAILY, Auth, Duplicate, FieldRemoved, NotFound, Permanent, Permission, RateLimited,
    Transient, Validation,
)

#: Longest slice of a non-JSON body quoted in a reason, in bytes.
MAX_QUOTE = 200

_TRANSIENT_STATUSES = (408, 425, 477)
_U64_MAX = 2**64 - 1


def default_burst_wait_ms(policy):
    """One full window of the named policy when HubSpot sends no
    `Retry-After`; None for unknown policies (the host's backoff decides)."""
    return {"TEN_SECONDLY_ROLLING": 10_000, "SECONDLY": 1_000}.get(policy)


def retry_after_ms(headers):
    """`Retry-After` in milliseconds (delta-seconds, possibly fractional);
    HTTP-dates are not read (no clock in a pure function)."""
    value = _header(headers, "retry-after")
    if value is None:
        return None
    secs = parse_f64(trim(value))
    if secs is None or not math.isfinite(secs) or secs < 0:
        return None
    ms = secs * 1000.0
    if not math.isfinite(ms):
        return _U64_MAX
    # Rust rounds half away from zero and saturates `as u64`.
    return min(math.floor(ms + 0.5), _U64_MAX)


def classify(status, headers, body):
    """The error class of one HubSpot answer (`body` as bytes)."""
    b = _Body(body)
    after = retry_after_ms(headers)
    if status == 429:
        return _rate_limited(b, after)
    if status == 401:
        return Auth(_auth_reason(b))
    if status == 403:
        return Permission(_permission_reason(b))
    if status == 404:
        return NotFound(b.summary())
    if status == 409:
        existing = existing_id(b.message())
        return Duplicate(existing if existing is not None else existing_id(b.text))
    if status == 400 and "INVALID_OBJECT_IDS" in b.sub_category():
        return NotFound(b.summary())
    if status == 400:
        return _validation(b)
    if status in _TRANSIENT_STATUSES or 500 <= status <= 599:
        return Transient(after)
    if b.category() == "OBJECT_NOT_FOUND":
        return NotFound(b.summary())
    return Permanent("status %d: %s%s" % (status, b.summary(), b.correlation()))


def summary(body):
    """`CATEGORY: message (correlation id "...")` of an error body, or the
    start of its text when it is not JSON: for reasons that quote HubSpot."""
    b = _Body(body)
    return b.summary() + b.correlation()


def existing_id(text):
    """The id in HubSpot's conflict message `"... Existing ID: 37765128953"`."""
    mark = "existing id:"
    at = ascii_lower(text).find(mark)
    if at < 0:
        return None
    rest = trim_start(text[at + len(mark):])
    digits = ""
    for c in rest:
        if c not in "0123456789":
            break
        digits += c
    return digits or None


def _header(headers, name):
    for k, v in headers:
        if ascii_lower(k) == name:
            return v
    return None


def _rate_limited(b, after):
    policy = b.str("policyName") or ""
    daily = policy == "DAILY" or (not policy and "daily limit" in ascii_lower(b.message()))
    if daily:
        return RateLimited(after, DAILY, "DAILY")
    wait = after if after is not None else default_burst_wait_ms(policy)
    return RateLimited(wait, BURST, policy or "unknown")


def _auth_reason(b):
    what = {
        "EXPIRED_AUTHENTICATION":
            "expired token (EXPIRED_AUTHENTICATION): refresh it or replace the \"hubspot-token\" secret",
        "INVALID_AUTHENTICATION":
            "invalid or missing token (INVALID_AUTHENTICATION): check the \"hubspot-token\" secret",
    }.get(b.category(), "authentication failed (status 401)")
    return "%s; hubspot said: %s%s" % (what, b.summary(), b.correlation())


def _permission_reason(b):
    if b.category() != "MISSING_SCOPES":
        return "status 403: %s%s" % (b.summary(), b.correlation())
    scopes = []
    for ctx in b.detail_contexts():
        for key in ("requiredScopes", "requiredGranularScopes"):
            scopes.extend(_strings(_get(ctx, key)))
    deduped = [s for i, s in enumerate(scopes) if i == 0 or scopes[i - 1] != s]
    return "the token lacks required scopes %s (MISSING_SCOPES): grant them to the app%s" % (
        debug_list(deduped), b.correlation())


def _validation(b):
    field = _property_name(b) or ""
    detail = next((m for m in (_get(d, "message") for d in b.details()) if isinstance(m, str)), None)
    if detail is not None and not (field and field in detail):
        detail = None
    reason = detail if detail is not None else b.summary()
    if field and _property_is_gone(b):
        return FieldRemoved(field, reason)
    return Validation(field, reason)


def _property_is_gone(b):
    """`PROPERTY_DOESNT_EXIST` in a detail's `code` or `error`, or the
    `Property "x" does not exist` text in the message."""
    coded = any(
        _get(d, k) == "PROPERTY_DOESNT_EXIST" for d in b.details() for k in ("code", "error")
    )
    return coded or "does not exist" in b.message()


def _property_name(b):
    """The property a 400 complains about, from wherever HubSpot put it:
    `errors[].context.propertyName`, v1 `validationResults[].name`, the JSON
    list inside "Property values were not valid: [...]", a
    `Property "x" does not exist` text, or `context.properties`."""
    for ctx in b.detail_contexts():
        names = _strings(_get(ctx, "propertyName"))
        if names:
            return names[0]
    for d in b.details():
        name = _get(d, "name")
        if isinstance(name, str) and name:
            return name
    messages = [b.message()] + [m for m in (_get(d, "message") for d in b.details()) if isinstance(m, str)]
    for m in messages:
        name = _name_in_message(m)
        if name is not None:
            return name
    ctx = _get(b.json, "context")
    names = _strings(_get(ctx, "properties"))
    return names[0] if names else None


def _name_in_message(message):
    """`Property values were not valid: [{"name":"x",...}]` or `Property "x" does not exist`."""
    if "not valid:" in message:
        items = parse_json(trim(message.split("not valid:", 1)[1]))
        if isinstance(items, list):
            for i in items:
                name = _get(i, "name")
                if isinstance(name, str):
                    return name
    plain = message.replace('\\"', '"')
    if 'Property "' not in plain:
        return None
    rest = plain.split('Property "', 1)[1]
    if '"' not in rest:
        return None
    name = rest.split('"', 1)[0]
    return name or None


def _get(obj, key):
    """`obj[key]` when `obj` is a JSON object that has it, else None."""
    return obj.get(key) if isinstance(obj, dict) else None


def _strings(v):
    """A JSON string or list of strings as a list."""
    if isinstance(v, str):
        return [v]
    if isinstance(v, list):
        return [i for i in v if isinstance(i, str)]
    return []


class _Body:
    """A response body: JSON if it parses, always also as lossy text."""

    def __init__(self, data):
        data = bytes(data)
        self.json = parse_json(data)
        self.text = trim(lossy_text(data))

    def str(self, key):
        v = _get(self.json, key)
        return v if isinstance(v, str) else None

    def category(self):
        return self.str("category") or ""

    def sub_category(self):
        return self.str("subCategory") or ""

    def message(self):
        return self.str("message") or ""

    def details(self):
        """Entries of `errors[]` (v3) and `validationResults[]` (v1)."""
        out = []
        for key in ("errors", "validationResults"):
            v = _get(self.json, key)
            if isinstance(v, list):
                out.extend(v)
        return out

    def detail_contexts(self):
        """The top-level `context` and every detail's `context`."""
        out = []
        if isinstance(self.json, dict) and "context" in self.json:
            out.append(self.json["context"])
        out.extend(d["context"] for d in self.details() if isinstance(d, dict) and "context" in d)
        return out

    def summary(self):
        category, message = self.category(), self.message()
        if message and category:
            return "%s: %s" % (category, message)
        if message:
            return message
        if category:
            return category
        if not self.text:
            return "empty body"
        return debug_str(truncate_bytes(self.text, MAX_QUOTE))

    def correlation(self):
        cid = self.str("correlationId")
        return "" if cid is None else " (correlation id %s)" % debug_str(cid)
