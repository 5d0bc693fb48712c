"""`map-fields`: a normalized record to HubSpot's create body
(`{"properties": {...}}`). Pure, and calls no import at all (not even
`config` or `log`). The call's association to its contact is added at push
time, when the contact id is known."""

from . import fields
from .compat import ascii_lower, ascii_upper, debug_str, to_json
from .fields import (
    COMPANY, DIRECTION, DURATION, EMAIL, FIRST_NAME, FROM_NUMBER, KIND_CALL, KIND_CONTACT,
    LAST_NAME, NOTES, PHONE, RECORDING_URL, STARTED_AT, STATUS, TITLE, TO_NUMBER,
    FieldValueError,
)
from .model import FieldError, InvalidRecord, Payload

#: HubSpot object type of call engagements.
CALLS = "calls"
#: HubSpot object type of contacts.
CONTACTS = "contacts"
#: `hs_call_status` when the record gives none.
DEFAULT_STATUS = "COMPLETED"

#: The HubSpot call properties this connector writes (and owns).
OWNED_CALL_PROPERTIES = (
    "hs_call_title",
    "hs_call_body",
    "hs_call_duration",
    "hs_call_direction",
    "hs_call_status",
    "hs_call_from_number",
    "hs_call_to_number",
    "hs_call_recording_url",
)

_CONTACT_PROPERTIES = (
    (PHONE, "phone"),
    (EMAIL, "email"),
    (FIRST_NAME, "firstname"),
    (LAST_NAME, "lastname"),
    (COMPANY, "company"),
)

_CALL_TEXT_PROPERTIES = (
    (TITLE, "hs_call_title"),
    (NOTES, "hs_call_body"),
    (FROM_NUMBER, "hs_call_from_number"),
    (TO_NUMBER, "hs_call_to_number"),
    (RECORDING_URL, "hs_call_recording_url"),
)

_U64_MAX = 2**64 - 1


def map_record(rec):
    """The Payload for a normalized `call` or `contact` record; raises
    InvalidRecord."""
    if rec.kind == KIND_CALL:
        obj, properties = CALLS, _call_properties(rec)
    elif rec.kind == KIND_CONTACT:
        if not fields.is_present(rec, PHONE) and not fields.is_present(rec, EMAIL):
            raise InvalidRecord([FieldError(PHONE, "a contact needs a phone or an email")])
        obj, properties = CONTACTS, contact_properties(rec)
    else:
        raise InvalidRecord([FieldError("", "unknown record kind %s" % debug_str(rec.kind))])
    return Payload(obj, to_json({"properties": properties}))


def contact_properties(rec):
    """HubSpot contact properties from the record's contact fields, present
    values only; raises InvalidRecord."""
    p = _Props()
    for field, prop in _CONTACT_PROPERTIES:
        p.copy(rec, field, prop)
    return p.finish()


def _call_properties(rec):
    p = _Props()
    try:
        ts = fields.text(rec, STARTED_AT)
        if ts is None:
            p.fail(STARTED_AT, "is required")
        else:
            p.put("hs_timestamp", ts)
    except FieldValueError as e:
        p.fail(STARTED_AT, str(e))
    for field, prop in _CALL_TEXT_PROPERTIES:
        p.copy(rec, field, prop)
    if fields.is_present(rec, DURATION):
        seconds = fields.integer(rec, DURATION)
        if seconds is not None and 0 <= seconds and seconds * 1000 <= _U64_MAX:
            p.put("hs_call_duration", str(seconds * 1000))
        else:
            p.fail(DURATION, "must be a whole number of seconds, 0 or more")
    try:
        d = fields.text(rec, DIRECTION)
        if d is None:
            pass
        elif ascii_lower(d) == "inbound":
            p.put("hs_call_direction", "INBOUND")
        elif ascii_lower(d) == "outbound":
            p.put("hs_call_direction", "OUTBOUND")
        else:
            p.fail(DIRECTION, "must be \"inbound\" or \"outbound\", got %s" % debug_str(d))
    except FieldValueError as e:
        p.fail(DIRECTION, str(e))
    try:
        s = fields.text(rec, STATUS)
        p.put("hs_call_status", DEFAULT_STATUS if s is None else ascii_upper(s))
    except FieldValueError as e:
        p.fail(STATUS, str(e))
    return p.finish()


class _Props:
    """Properties being built and the field errors met."""

    def __init__(self):
        self.map = {}
        self.errors = []

    def put(self, prop, value):
        self.map[prop] = value

    def fail(self, field, reason):
        self.errors.append(FieldError(field, reason))

    def copy(self, rec, field, prop):
        """Copies a text field to a property when it has a value."""
        try:
            v = fields.text(rec, field)
        except FieldValueError as e:
            self.fail(field, str(e))
            return
        if v is not None:
            self.put(prop, v)

    def finish(self):
        if self.errors:
            raise InvalidRecord(self.errors)
        return self.map
