"""Finding or creating the HubSpot contact a record is about: `state`
cache, phone search (checked again as E.164), e-mail search, then create.
With a phone the create is an upsert by the unique property
`switchboard_phone_e164`, so a contact created before a crash is found
again even while search lags; without one it is a plain create. Either
takes the existing id from a 409 e-mail conflict."""

from dataclasses import dataclass

from . import api, classify, upsert
from .compat import parse_json, trim
from .model import Classified, CrmError, Duplicate, permanent

# How the contact was found.
CACHE = "cache"
PHONE_SEARCH = "phone-search"
EMAIL_SEARCH = "email-search"
CREATED = "created"
UPSERTED = "upserted"
CONFLICT = "conflict"


@dataclass(frozen=True)
class Contact:
    id: str
    how: str

    def note(self):
        """The audit note, e.g. `matched 512 by phone search`."""
        return {
            CACHE: "state cache %s",
            PHONE_SEARCH: "matched %s by phone search",
            EMAIL_SEARCH: "matched %s by email search",
            CREATED: "created %s",
            UPSERTED: "matched %s by " + api.CONTACT_PHONE_PROPERTY + " upsert",
            CONFLICT: "409 conflict, existing %s",
        }[self.how] % self.id


class Hints:
    """What identifies a contact, and the properties to create it with."""

    def __init__(self, properties):
        self.properties = dict(properties)
        phone, email = properties.get("phone"), properties.get("email")
        self.phone = phone if isinstance(phone, str) else None
        self.email = email if isinstance(email, str) else None


def phone_key(e164):
    """The `state` key caching the contact id of a phone number."""
    return "phone:" + e164


def resolve(host, hints, use_cache):
    """Finds or creates the contact; caches phone -> id and notes on the
    audit trail how it was found. `use_cache=False` skips the cache read."""
    contact = _find(host, hints, use_cache) or _create(host, hints)
    if contact.how != CACHE and hints.phone is not None:
        try:
            host.state_set(phone_key(hints.phone), contact.id)
        except Classified as e:
            host.warn("could not cache contact %s for %s: %r" % (contact.id, hints.phone, e.error_class))
    host.annotate("contact", contact.note())
    return contact


def _find(host, hints, use_cache):
    if hints.phone is not None:
        if use_cache:
            try:
                cached = host.state_get(phone_key(hints.phone))
            except Classified as e:
                host.warn("phone cache read failed, searching instead: %r" % (e.error_class,))
                cached = None
            if cached is not None and trim(cached):
                return Contact(cached, CACHE)
        answer = _search(host, api.phone_search(hints.phone))
        found = api.pick_by_phone(answer, hints.phone, host.region)
        if found is not None:
            return Contact(found, PHONE_SEARCH)
    if hints.email is not None:
        answer = _search(host, api.email_search(hints.email))
        found = api.pick_by_email(answer, hints.email)
        if found is not None:
            return Contact(found, EMAIL_SEARCH)
    return None


def _search(host, body):
    resp = host.send("POST", api.CONTACT_SEARCH, body)
    if not resp.is_success():
        raise CrmError(resp)
    answer = parse_json(resp.body)
    if not api.has_results(answer):
        raise permanent("contact search answered %d without a \"results\" list" % resp.status)
    return answer


def _create(host, hints):
    if hints.phone is not None:
        return _upsert_by_phone(host, hints, hints.phone)
    return _create_plain(host, hints)


def _upsert_by_phone(host, hints, phone):
    """Upserts by `switchboard_phone_e164`; a 409 (the e-mail belongs to
    another contact) yields that contact."""
    properties = dict(hints.properties)
    properties[api.CONTACT_PHONE_PROPERTY] = phone
    try:
        done = upsert.upsert(host, upsert.CONTACT, phone, properties)
    except CrmError as e:
        existing = _conflict_id(e.response)
        if existing is None:
            raise
        return Contact(existing, CONFLICT)
    return Contact(done.id, CREATED if done.new else UPSERTED)


def _create_plain(host, hints):
    """A plain create (contacts without a phone)."""
    resp = host.send("POST", api.CONTACTS, {"properties": hints.properties})
    existing = _conflict_id(resp)
    if existing is not None:
        return Contact(existing, CONFLICT)
    if not resp.is_success():
        raise CrmError(resp)
    oid = api.object_id(parse_json(resp.body))
    if oid is None:
        raise permanent("contact create answered %d without an \"id\"" % resp.status)
    return Contact(oid, CREATED)


def _conflict_id(resp):
    """The existing contact's id from a 409 conflict."""
    if resp.status != 409:
        return None
    cls = classify.classify(resp.status, resp.headers, resp.body)
    return cls.existing_id if isinstance(cls, Duplicate) else None
