"""The connector's input vocabulary (record kinds and field names) and
lenient readers for field values."""

import math

from .compat import debug_str, f64_display, parse_i64, trim
from .model import MISSING, Json, Timestamp

KIND_CALL = "call"
KIND_CONTACT = "contact"

PHONE = "phone"
EMAIL = "email"
FIRST_NAME = "first-name"
LAST_NAME = "last-name"
COMPANY = "company"
STARTED_AT = "started-at"
DURATION = "duration-seconds"
DIRECTION = "direction"
TITLE = "title"
NOTES = "notes"
STATUS = "status"
FROM_NUMBER = "from-number"
TO_NUMBER = "to-number"
RECORDING_URL = "recording-url"


class FieldValueError(ValueError):
    """A field holds a value of the wrong kind; the text is the reason."""


def value_kind(v):
    """The name of a value's variant, for error messages."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "a boolean"
    if isinstance(v, int):
        return "an integer"
    if isinstance(v, float):
        return "a number"
    if isinstance(v, Timestamp):
        return "a timestamp"
    if isinstance(v, Json):
        return "a JSON document"
    return "text"


def text(rec, name):
    """The trimmed text of field `name`, or None when it is absent, null or
    blank. Whole and decimal numbers are read as their decimal text;
    booleans and JSON documents raise FieldValueError."""
    v = rec.get(name)
    if v is MISSING or v is None:
        return None
    if isinstance(v, str):
        s = trim(v)
    elif isinstance(v, Timestamp):
        s = trim(v.value)
    elif isinstance(v, int) and not isinstance(v, bool):
        s = str(v)
    elif isinstance(v, float) and math.isfinite(v):
        s = f64_display(v)
    else:
        raise FieldValueError("must be text, got %s" % value_kind(v))
    return s or None


def is_present(rec, name):
    """True when field `name` holds something other than null or blank text."""
    try:
        return text(rec, name) is not None
    except FieldValueError:
        return True


def integer(rec, name):
    """The field as a whole number (integers, text holding one, whole
    numbers), or None. Rust's `RecordExt::integer`."""
    v = rec.get(name)
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v
    if isinstance(v, str):
        return parse_i64(trim(v))
    if isinstance(v, float) and math.isfinite(v) and v == int(v):
        # Rust's `as i64` saturates.
        return max(-(2**63), min(2**63 - 1, int(v)))
    return None


def describe_value(rec, name):
    """How a bad value reads in a reason."""
    v = rec.get(name)
    if v is MISSING:
        return "nothing"
    if isinstance(v, str):
        return debug_str(v)
    if isinstance(v, float):
        return f64_display(v)
    return value_kind(v)
