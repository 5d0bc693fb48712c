"""`push`: deliver a call (with its contact) or a contact to HubSpot,
safely repeatable with the same idempotency key."""

from . import api, classify, mapping, resolve, upsert
from .compat import debug_str, parse_json, trim
from .fields import KIND_CALL, KIND_CONTACT
from .mapping import CALLS, CONTACTS
from .model import (
    ALREADY_PRESENT, CREATED, Classified, CrmError, CrmRef, Effect, InvalidRecord, NotFound,
    PushOutcome, permanent,
)


def call_key(idempotency_key):
    """The `state` key holding the call id created for an idempotency key."""
    return "call:" + idempotency_key


def push(host, idempotency_key, rec, payload):
    """Pushes a normalized, mapped record: a PushOutcome, or raises
    model.PushError (CrmError, Classified or Transport)."""
    if rec.kind == KIND_CALL:
        return _push_call(host, idempotency_key, rec, payload)
    if rec.kind == KIND_CONTACT:
        return _push_contact(host, payload)
    raise permanent("unknown record kind %s" % debug_str(rec.kind))


def _push_call(host, idempotency_key, rec, payload):
    """Resolve the contact, upsert the call by its idempotency key, link the
    two, then note the call id in `state`.

    The upsert is what makes a replay safe: whatever point an earlier
    attempt died at, HubSpot holds at most one call with this key and the
    upsert answers with it (`new: false`). The `call:<key>` entry is only a
    cache that saves the HTTP on a replay. A cached contact id HubSpot no
    longer knows (merged or deleted) is dropped and resolved again, once.
    """
    key = call_key(idempotency_key)
    try:
        properties = mapping.contact_properties(rec)
    except InvalidRecord as e:
        raise permanent("record has invalid contact fields: [%s]"
                        % ", ".join(fe.debug() for fe in e.errors)) from None
    hints = resolve.Hints(properties)
    call_id = host.state_get(key)
    if call_id is not None and trim(call_id):
        return _replayed(host, hints, call_id)
    contact = resolve.resolve(host, hints, True)
    try:
        call_properties = api.call_properties(payload.body, idempotency_key)
    except ValueError as e:
        raise permanent(str(e)) from None
    call = upsert.upsert(host, upsert.CALL, idempotency_key, call_properties)
    linked = _associate(host, call.id, contact.id)
    if contact.how == resolve.CACHE and _refers_to_missing_object(linked):
        host.annotate("contact", "cached contact %s is gone; resolving again" % contact.id)
        if hints.phone is not None:
            try:
                host.state_remove(resolve.phone_key(hints.phone))
            except Classified as e:
                host.warn("could not drop stale contact cache for %s: %r"
                          % (debug_str(hints.phone), e.error_class))
        contact = resolve.resolve(host, hints, False)
        linked = _associate(host, call.id, contact.id)
    if not linked.is_success():
        raise CrmError(linked)
    try:
        host.state_set(key, call.id)
    except Classified as e:
        # Only a cache: a replay upserts again and finds the same call.
        host.warn("call %s not cached for replays: %r" % (debug_str(call.id), e.error_class))
    call_ref = CrmRef(CALLS, call.id)
    contact_ref = CrmRef(CONTACTS, contact.id)
    if call.new:
        host.annotate("call", "created %s" % call.id)
        out = PushOutcome(CREATED, call_ref)
    else:
        host.annotate("call", "already in HubSpot as %s (found by %s)" % (call.id, api.CALL_KEY_PROPERTY))
        out = PushOutcome(ALREADY_PRESENT, call_ref)
    out.related.append(contact_ref)
    if contact.how == resolve.CREATED:
        out.effects.append(Effect("create", contact_ref))
    if call.new:
        out.effects.append(Effect("create", call_ref))
    return out


def _replayed(host, hints, call_id):
    """The outcome of a replay: the call recorded in `state`, and its
    contact if the phone cache knows it. No HTTP."""
    host.annotate("call", "already created %s (idempotent replay)" % call_id)
    out = PushOutcome(ALREADY_PRESENT, CrmRef(CALLS, call_id))
    if hints.phone is not None:
        try:
            contact_id = host.state_get(resolve.phone_key(hints.phone))
        except Classified:
            contact_id = None
        if contact_id is not None:
            out.related.append(CrmRef(CONTACTS, contact_id))
    return out


def _associate(host, call_id, contact_id):
    """Links the call to the contact (default association, idempotent)."""
    return host.send("PUT", api.call_contact_association(call_id, contact_id), None)


def _refers_to_missing_object(resp):
    """A 404, or a 400 naming invalid object ids."""
    return not resp.is_success() and isinstance(
        classify.classify(resp.status, resp.headers, resp.body), NotFound)


def _push_contact(host, payload):
    """A contact: resolve or create it."""
    body = parse_json(payload.body)
    if body is None:
        raise permanent("contact payload is not JSON")
    properties = body.get("properties") if isinstance(body, dict) else None
    if not isinstance(properties, dict):
        raise permanent("contact payload has no \"properties\" object")
    hints = resolve.Hints(properties)
    if hints.phone is None and hints.email is None:
        raise permanent("contact payload has neither \"phone\" nor \"email\"")
    contact = resolve.resolve(host, hints, True)
    ref = CrmRef(CONTACTS, contact.id)
    if contact.how == resolve.CREATED:
        return PushOutcome(CREATED, ref, effects=[Effect("create", ref)])
    return PushOutcome(ALREADY_PRESENT, ref)
