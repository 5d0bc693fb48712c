"""`normalize`: phones to E.164, e-mail lower-case, `started-at` to UTC,
duration and direction checked. Pure; every invalid field is reported."""

import copy
import math

from . import clock, fields
from .compat import ascii_lower, ascii_upper, debug_str, is_whitespace, parse_i64, trim
from .fields import (
    COMPANY, DIRECTION, DURATION, EMAIL, FIRST_NAME, FROM_NUMBER, KIND_CALL, KIND_CONTACT,
    LAST_NAME, NOTES, PHONE, RECORDING_URL, STARTED_AT, STATUS, TITLE, TO_NUMBER,
    FieldValueError,
)
from .model import MISSING, FieldError, InvalidRecord, Timestamp
from .phone import to_e164

#: Unix values below this (1973-03-03 in milliseconds) are almost surely
#: seconds sent by mistake.
MIN_UNIX_MS = 100_000_000_000

DEFAULT_REGION = "US"


def region_from(raw):
    """The region from config text: trimmed, upper-case, `US` when blank."""
    region = ascii_upper(trim(raw or ""))
    return region or DEFAULT_REGION


def normalize_record(rec, region=DEFAULT_REGION):
    """`rec` in canonical form (a copy), reading numbers without a country
    code as numbers of `region`. Unknown fields are kept unchanged. Raises
    InvalidRecord with one FieldError per bad field."""
    if rec.kind not in (KIND_CALL, KIND_CONTACT):
        raise InvalidRecord([FieldError(
            "",
            "unknown record kind %s; this connector accepts \"call\" and \"contact\""
            % debug_str(rec.kind),
        )])
    rec = copy.deepcopy(rec)
    errors = _required(rec, rec.kind == KIND_CALL)

    def apply(name, normalizer):
        try:
            value = normalizer(rec)
        except ValueError as e:  # FieldValueError, PhoneError, clock's
            errors.append(FieldError(name, str(e)))
            return
        if value is not None:
            rec.set(name, value)

    for name in (PHONE, FROM_NUMBER, TO_NUMBER):
        apply(name, lambda r, name=name: _phone(r, name, region))
    apply(EMAIL, _email)
    apply(STARTED_AT, _started_at)
    apply(DURATION, _duration)
    apply(DIRECTION, _direction)
    apply(STATUS, _status)
    apply(RECORDING_URL, _recording_url)
    for name in (FIRST_NAME, LAST_NAME, COMPANY, TITLE, NOTES):
        apply(name, lambda r, name=name: fields.text(r, name))
    if errors:
        raise InvalidRecord(errors)
    return rec


def _required(rec, is_call):
    """Errors for missing required fields: a call needs `phone` and
    `started-at`; a contact needs `phone` or `email`."""
    errors = []
    if is_call:
        if not fields.is_present(rec, PHONE):
            errors.append(FieldError(PHONE, "is required: the other party's phone number"))
        if not fields.is_present(rec, STARTED_AT):
            errors.append(FieldError(STARTED_AT, "is required: RFC 3339 or Unix milliseconds"))
    elif not fields.is_present(rec, PHONE) and not fields.is_present(rec, EMAIL):
        errors.append(FieldError(PHONE, "a contact needs a phone or an email"))
    return errors


def _phone(rec, name, region):
    raw = fields.text(rec, name)
    return None if raw is None else to_e164(raw, region)


def normalize_email(raw):
    """Trimmed, lower-case, shaped like `local@domain.tld`; ValueError if not."""
    s = trim(raw).lower()
    if "@" not in s:
        raise ValueError("%s has no '@'" % debug_str(trim(raw)))
    local, domain = s.split("@", 1)
    ok = (
        local != ""
        and "." in domain
        and not domain.startswith(".")
        and not domain.endswith(".")
        and "@" not in domain
        and not any(is_whitespace(c) for c in s)
    )
    if not ok:
        raise ValueError("%s is not a valid e-mail address" % debug_str(trim(raw)))
    return s


def _email(rec):
    raw = fields.text(rec, EMAIL)
    return None if raw is None else normalize_email(raw)


def _started_at(rec):
    """RFC 3339 with any offset, or Unix milliseconds (number or digits),
    to an RFC 3339 UTC timestamp."""
    v = rec.get(STARTED_AT)
    if v is MISSING or v is None:
        return None
    if isinstance(v, (str, Timestamp)):
        raw = trim(v if isinstance(v, str) else v.value)
        if not raw:
            return None
    elif isinstance(v, int) and not isinstance(v, bool):
        raw = str(v)
    elif isinstance(v, float) and math.isfinite(v) and v == math.floor(v):
        raw = "%.0f" % v
    else:
        raise FieldValueError(
            "must be an RFC 3339 timestamp or Unix milliseconds, got %s" % fields.value_kind(v)
        )
    ms = parse_i64(raw)
    if ms is not None and ms < MIN_UNIX_MS:
        raise FieldValueError(
            "%s looks like Unix seconds; send Unix milliseconds or RFC 3339" % debug_str(raw)
        )
    return Timestamp(clock.to_utc(raw))


def _duration(rec):
    if not fields.is_present(rec, DURATION):
        return None
    seconds = fields.integer(rec, DURATION)
    if seconds is None:
        raise FieldValueError(
            "must be a whole number of seconds, got %s" % fields.describe_value(rec, DURATION)
        )
    if seconds < 0:
        raise FieldValueError("must be 0 or more seconds, got %d" % seconds)
    return seconds


def _direction(rec):
    raw = fields.text(rec, DIRECTION)
    if raw is None:
        return None
    d = ascii_lower(raw)
    if d in ("inbound", "outbound"):
        return d
    raise FieldValueError("must be \"inbound\" or \"outbound\", got %s" % debug_str(raw))


def _status(rec):
    """Upper-case with `_` separators (`no answer` -> `NO_ANSWER`)."""
    raw = fields.text(rec, STATUS)
    if raw is None:
        return None
    s = "".join("_" if c in " -" else ascii_upper(c) for c in raw)
    if all(c == "_" or "A" <= c <= "Z" for c in s):
        return s
    raise FieldValueError(
        "must be a HubSpot call status such as \"COMPLETED\" or \"NO_ANSWER\", got %s"
        % debug_str(raw)
    )


def _recording_url(rec):
    raw = fields.text(rec, RECORDING_URL)
    if raw is None:
        return None
    lower = ascii_lower(raw)
    if lower.startswith("https://") or lower.startswith("http://"):
        return raw
    raise FieldValueError("must be an http(s) URL, got %s" % debug_str(raw))
