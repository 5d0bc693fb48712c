"""HubSpot CRM v3 paths, request bodies and response readers. Pure."""

from .compat import ascii_lower, parse_json, parse_u64, trim
from .phone import PhoneError, to_e164, typed_variants

#: Contact search (its own limit: 4 requests per second per token).
CONTACT_SEARCH = "/crm/v3/objects/contacts/search"
#: Contact create (contacts without a phone).
CONTACTS = "/crm/v3/objects/contacts"
#: Contact create-or-update by a unique property.
CONTACTS_UPSERT = "/crm/v3/objects/contacts/batch/upsert"
#: Call create-or-update by a unique property.
CALLS_UPSERT = "/crm/v3/objects/calls/batch/upsert"
#: The custom call property (`hasUniqueValue: true`) holding the record's
#: idempotency key: HubSpot itself then refuses a second call for a key.
CALL_KEY_PROPERTY = "switchboard_idempotency_key"
#: The custom contact property (`hasUniqueValue: true`) holding the E.164
#: phone of contacts this connector creates.
CONTACT_PHONE_PROPERTY = "switchboard_phone_e164"
#: Most filter groups sent in one phone search (HubSpot allows 6).
MAX_PHONE_GROUPS = 5
#: Results asked for per search; duplicates beyond this are not seen.
SEARCH_LIMIT = 100

_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def phone_search(e164):
    """A search for contacts whose `phone` equals any common spelling of `e164`."""
    groups = [
        {"filters": [{"propertyName": "phone", "operator": "EQ", "value": v}]}
        for v in typed_variants(e164)[:MAX_PHONE_GROUPS]
    ]
    return _search_body(groups)


def email_search(email):
    """A search for contacts whose `email` equals `email`."""
    return _search_body([{"filters": [{"propertyName": "email", "operator": "EQ", "value": email}]}])


def _search_body(groups):
    return {
        "filterGroups": groups,
        "properties": ["phone", "mobilephone", "email"],
        "limit": SEARCH_LIMIT,
    }


def pick_by_phone(answer, e164, region):
    """The lowest id among search results whose `phone` or `mobilephone`,
    read as typed with `region`, is `e164`. HubSpot stores phones as people
    typed them, so its EQ matches are checked again here."""

    def keep(props):
        for key in ("phone", "mobilephone"):
            typed = _get(props, key)
            if isinstance(typed, str):
                try:
                    if to_e164(typed, region) == e164:
                        return True
                except PhoneError:
                    pass
        return False

    return _lowest_id(answer, keep)


def pick_by_email(answer, email):
    """The lowest id among search results whose `email` is `email` (any
    case), or that do not echo the property."""

    def keep(props):
        e = _get(props, "email")
        if isinstance(e, str):
            return ascii_lower(trim(e)) == ascii_lower(email)
        return True

    return _lowest_id(answer, keep)


def has_results(answer):
    """Whether a search answer has the `results` list it should have."""
    return isinstance(_get(answer, "results"), list)


def _lowest_id(answer, keep):
    results = _get(answer, "results")
    if not isinstance(results, list):
        return None
    ids = [object_id(r) for r in results if keep(_get(r, "properties"))]
    ids = [i for i in ids if i is not None]
    if not ids:
        return None

    def order(i):
        n = parse_u64(i)
        return (n if n is not None else 2**64 - 1, i)

    return min(ids, key=order)


def object_id(obj):
    """The `id` of a HubSpot object (a string; a number is accepted too)."""
    v = _get(obj, "id")
    if isinstance(v, str) and trim(v):
        return trim(v)
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return str(v)
    return None


def call_properties(mapped, idempotency_key):
    """The mapped call properties (`{"properties":{...}}` from `map-fields`)
    plus the idempotency key under CALL_KEY_PROPERTY; ValueError if the
    payload is not such JSON."""
    body = parse_json(mapped)
    if body is None:
        raise ValueError("call payload is not JSON")
    properties = _get(body, "properties")
    if not isinstance(properties, dict):
        raise ValueError("call payload has no \"properties\" object")
    properties = dict(properties)
    properties[CALL_KEY_PROPERTY] = idempotency_key
    return properties


def upsert_body(id_property, id_, properties):
    """A one-input batch upsert: create the object whose `id_property` is
    `id_`, or update it. `properties` get `id_property = id_` too."""
    properties = dict(properties)
    properties[id_property] = id_
    return {"inputs": [{"id": id_, "idProperty": id_property, "properties": properties}]}


def upserted(answer):
    """(id, new) of the object a batch upsert answered with; a missing
    `new` counts as not created. None if the answer lacks it."""
    results = _get(answer, "results")
    if not isinstance(results, list) or not results:
        return None
    first = results[0]
    new = _get(first, "new")
    oid = object_id(first)
    if oid is None:
        return None
    return oid, new is True


def batch_error(answer):
    """The first entry of a batch answer's `errors[]` (HubSpot's 207
    multi-status), if any."""
    errors = _get(answer, "errors")
    return errors[0] if isinstance(errors, list) and errors else None


def call_contact_association(call_id, contact_id):
    """The path that links a call to a contact with the default (HubSpot
    defined) association type. [UNVERIFIED] v4 path shape."""
    return "/crm/v4/objects/calls/%s/associations/default/contacts/%s" % (
        path_segment(call_id), path_segment(contact_id))


def path_segment(text):
    """Percent-encodes everything but unreserved characters, so an id can
    never change the path."""
    return "".join(chr(b) if b in _UNRESERVED else "%%%02X" % b for b in text.encode("utf-8"))


def _get(obj, key):
    return obj.get(key) if isinstance(obj, dict) else None
