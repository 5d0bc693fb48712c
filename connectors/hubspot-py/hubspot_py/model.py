"""The contract's data, as plain Python.

A field value is `None` (null), `str` (text), `bool`, `int` (integer),
`float` (number), `Timestamp` or `Json`. `app.py` converts to and from the
generated bindings at the component's edge; nothing here imports them.
"""

from dataclasses import dataclass, field
from typing import List, Optional, Tuple

from .compat import debug_str


@dataclass(frozen=True)
class Timestamp:
    """A `value::timestamp` (RFC 3339 text)."""

    value: str


@dataclass(frozen=True)
class Json:
    """A `value::json` (JSON text)."""

    value: str


@dataclass
class Field:
    name: str
    value: object


@dataclass
class Record:
    id: str
    kind: str
    fields: List[Field]

    def get(self, name):
        """The value of the first field called `name`, or `MISSING`."""
        for f in self.fields:
            if f.name == name:
                return f.value
        return MISSING

    def set(self, name, value):
        """Replaces the first field called `name` in place, or appends it."""
        for f in self.fields:
            if f.name == name:
                f.value = value
                return
        self.fields.append(Field(name, value))


class _Missing:
    def __repr__(self):
        return "MISSING"


#: A field the record does not have (unlike `None`, an explicit null).
MISSING = _Missing()


@dataclass(frozen=True)
class FieldError:
    field: str
    reason: str

    def debug(self):
        """Rust `{:?}` of the generated `FieldError`."""
        return "FieldError { field: %s, reason: %s }" % (debug_str(self.field), debug_str(self.reason))


class InvalidRecord(Exception):
    """`normalize` or `map-fields` refused the record: one error per field."""

    def __init__(self, errors):
        super().__init__(errors)
        self.errors = list(errors)


@dataclass(frozen=True)
class Payload:
    object: str
    body: str


# ---- error classes -------------------------------------------------------

BURST = "burst"
DAILY = "daily"


@dataclass(frozen=True)
class Transient:
    retry_after_ms: Optional[int] = None


@dataclass(frozen=True)
class RateLimited:
    retry_after_ms: Optional[int]
    scope: str  # BURST or DAILY
    policy: str


@dataclass(frozen=True)
class Auth:
    reason: str


@dataclass(frozen=True)
class Permission:
    reason: str


@dataclass(frozen=True)
class NotFound:
    reason: str


@dataclass(frozen=True)
class Validation:
    field: str
    reason: str


@dataclass(frozen=True)
class FieldRemoved:
    """The portal no longer has the property `field` (PROPERTY_DOESNT_EXIST)."""

    field: str
    reason: str


@dataclass(frozen=True)
class Duplicate:
    existing_id: Optional[str]


@dataclass(frozen=True)
class Permanent:
    reason: str


# ---- push ----------------------------------------------------------------


@dataclass(frozen=True)
class Response:
    """An HTTP response (any status); header names lower-case."""

    status: int
    headers: List[Tuple[str, str]]
    body: bytes

    def is_success(self):
        return 200 <= self.status < 300

    def header(self, name):
        """The first header called `name` (any case), or None."""
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return None


@dataclass(frozen=True)
class CrmRef:
    object: str
    id: str


@dataclass(frozen=True)
class Effect:
    action: str
    target: CrmRef


CREATED = "created"
UPDATED = "updated"
ALREADY_PRESENT = "already-present"


@dataclass
class PushOutcome:
    status: str
    primary: CrmRef
    related: List[CrmRef] = field(default_factory=list)
    effects: List[Effect] = field(default_factory=list)


class PushError(Exception):
    """Why `push` failed; one of the three subclasses."""


class CrmError(PushError):
    """HubSpot answered with an error: the host asks `classify-error`."""

    def __init__(self, response):
        super().__init__(response.status)
        self.response = response


class Classified(PushError):
    """The connector already knows the class."""

    def __init__(self, error_class):
        super().__init__(error_class)
        self.error_class = error_class


class Transport(PushError):
    """No answer arrived: `http.send` failed. `error` is the `http.error` as
    received, opaque here; the host classifies it."""

    def __init__(self, error):
        super().__init__(error)
        self.error = error


def permanent(reason):
    return Classified(Permanent(reason))
