"""Create-or-update by a unique-value property (`batch/upsert`): the
CRM-side idempotency that holds even when the process dies between
HubSpot's answer and anything this connector or the host records."""

from collections import namedtuple

from . import api, classify
from .compat import lossy_text, parse_json, to_json
from .model import Classified, CrmError, Permanent, Response, permanent

#: What is upserted, and by which unique property.
Target = namedtuple("Target", "object path id_property")

#: Calls, by the record's idempotency key.
CALL = Target("calls", api.CALLS_UPSERT, api.CALL_KEY_PROPERTY)
#: Contacts, by E.164 phone.
CONTACT = Target("contacts", api.CONTACTS_UPSERT, api.CONTACT_PHONE_PROPERTY)

#: The object HubSpot holds after an upsert, and whether this request created it.
Upserted = namedtuple("Upserted", "id new")

_STATUS_OF_CATEGORY = {
    "VALIDATION_ERROR": 400,
    "INVALID_AUTHENTICATION": 401,
    "EXPIRED_AUTHENTICATION": 401,
    "MISSING_SCOPES": 403,
    "OBJECT_NOT_FOUND": 404,
    "CONFLICT": 409,
    "RATE_LIMIT": 429,
    "RATE_LIMITS": 429,
}


def upsert(host, target, id_, properties):
    """Upserts one object. An error answer goes back as the response (the
    host classifies it), except when the portal lacks the unique property,
    which is a permanent error telling the operator what to create. A 207 is
    judged by its first error."""
    body = api.upsert_body(target.id_property, id_, properties)
    resp = host.send("POST", target.path, body)
    if not resp.is_success():
        if resp.status == 400 and _names_property(resp.body, target.id_property):
            raise missing_property(target, resp.body)
        raise CrmError(resp)
    answer = parse_json(resp.body)
    error = api.batch_error(answer)
    if error is not None:
        raise _batch_failure(target, resp, error)
    found = api.upserted(answer)
    if found is None:
        raise permanent("%s upsert answered %d without \"results\"[0].\"id\"" % (target.object, resp.status))
    return Upserted(*found)


def missing_property(target, body):
    """The permanent error for a portal without the unique property (or
    with one that is not unique or cannot hold the value)."""
    return permanent(
        "HubSpot property \"%s\" on %s must exist with hasUniqueValue=true: create it in the "
        "portal as a single-line text property with unique values required (see the hubspot "
        "connector README, \"Portal set-up\"); HubSpot said: %s"
        % (target.id_property, target.object, classify.summary(body))
    )


def _names_property(body, prop):
    """Whether an error body mentions `prop` anywhere."""
    return prop in lossy_text(body)


def _batch_failure(target, resp, error):
    """A 207 (or a 2xx carrying `errors[]`): the first error, as a permanent
    set-up error when it is about the unique property, otherwise handed to
    the host as the response it would have been on its own."""
    data = to_json(error).encode("utf-8")
    category = error.get("category") if isinstance(error, dict) else None
    category = category if isinstance(category, str) else ""
    if category == "VALIDATION_ERROR" and _names_property(data, target.id_property):
        return missing_property(target, data)
    status = _STATUS_OF_CATEGORY.get(category)
    if status is not None:
        return CrmError(Response(status, list(resp.headers), data))
    return Classified(Permanent("%s upsert answered %d with an error: %s" % (
        target.object, resp.status, classify.summary(data))))
