"""The hubspot-py component: the `switchboard:connector@0.3.0` exports.

Each export converts the bindings' types to the plain data of `hubspot_py`,
calls the logic there, and converts the answer back. Every module the
component will ever need is imported here, at the top: `componentize-py`
runs this file's top level at build time and snapshots the interpreter, and
at run time there is no file system to import anything else from.
"""

import traceback

import wit_world
from componentize_py_types import Err
from wit_world import exports
from wit_world.imports import config, log, types

from hubspot_py import classify, describe, mapping, model, normalize, phone, push
from wit_host import WitHost


class WitWorld(wit_world.WitWorld):
    def prepare(self) -> None:
        """Compiles the phone patterns of the common regions before the host
        snapshots memory, so no record pays for them."""
        phone.warm()
        log.log(log.Level.DEBUG, "hubspot-py: phone patterns warmed")


class Guest(exports.Guest):
    def describe(self) -> types.Descriptor:
        return _descriptor(describe.descriptor())

    def normalize(self, rec: types.Record) -> types.Record:
        # Reading config is allowed in `normalize`; `map-fields` reads nothing.
        region = _config_region()
        try:
            out = normalize.normalize_record(_record_in(rec), region)
        except model.InvalidRecord as e:
            raise Err([_field_error(fe) for fe in e.errors])
        except Exception:
            raise Err([types.FieldError(field="", reason=_bug("normalize"))])
        return _record_out(out)

    def map_fields(self, rec: types.Record) -> types.Payload:
        try:
            p = mapping.map_record(_record_in(rec))
        except model.InvalidRecord as e:
            raise Err([_field_error(fe) for fe in e.errors])
        except Exception:
            raise Err([types.FieldError(field="", reason=_bug("map-fields", log_it=False))])
        return types.Payload(object=p.object, body=p.body)

    def push(self, ctx: types.PushContext, rec: types.Record, payload: types.Payload) -> types.PushOutcome:
        try:
            out = push.push(WitHost(), ctx.idempotency_key, _record_in(rec),
                            model.Payload(payload.object, payload.body))
        except model.CrmError as e:
            r = e.response
            raise Err(types.PushError_Response(types.CrmResponse(
                status=r.status, headers=list(r.headers), body=bytes(r.body))))
        except model.Classified as e:
            raise Err(types.PushError_Classified(_error_class(e.error_class)))
        except model.Transport as e:
            raise Err(types.PushError_Transport(e.error))
        except Exception:
            raise Err(types.PushError_Classified(types.ErrorClass_Permanent(_bug("push"))))
        return _outcome(out)

    def classify_error(self, response: types.CrmResponse) -> types.ErrorClass:
        try:
            cls = classify.classify(response.status, response.headers, bytes(response.body))
        except Exception:
            return types.ErrorClass_Permanent(_bug("classify-error", log_it=False))
        return _error_class(cls)


def _config_region():
    return normalize.region_from(config.get("default-region"))


def _bug(export, log_it=True):
    """A connector bug as a reason, logged with its traceback: an uncaught
    exception would trap the instance, a fault the host does not retry."""
    tb = traceback.format_exc()
    if log_it:
        log.log(log.Level.ERROR, "hubspot-py %s failed: %s" % (export, tb))
    last = tb.strip().splitlines()[-1] if tb.strip() else "unknown error"
    return "connector bug in %s: %s" % (export, last)


# ---- bindings <-> hubspot_py.model ----------------------------------------


def _value_in(v):
    if isinstance(v, types.Value_Text):
        return v.value
    if isinstance(v, types.Value_Integer):
        return v.value
    if isinstance(v, types.Value_Number):
        return float(v.value)
    if isinstance(v, types.Value_Boolean):
        return bool(v.value)
    if isinstance(v, types.Value_Timestamp):
        return model.Timestamp(v.value)
    if isinstance(v, types.Value_Json):
        return model.Json(v.value)
    return None


def _value_out(v):
    if v is None:
        return types.Value_Null()
    if isinstance(v, bool):
        return types.Value_Boolean(v)
    if isinstance(v, int):
        return types.Value_Integer(v)
    if isinstance(v, float):
        return types.Value_Number(v)
    if isinstance(v, model.Timestamp):
        return types.Value_Timestamp(v.value)
    if isinstance(v, model.Json):
        return types.Value_Json(v.value)
    return types.Value_Text(v)


def _record_in(rec):
    return model.Record(rec.id, rec.kind, [model.Field(f.name, _value_in(f.value)) for f in rec.fields])


def _record_out(rec):
    return types.Record(
        id=rec.id,
        kind=rec.kind,
        fields=[types.Field(name=f.name, value=_value_out(f.value)) for f in rec.fields],
    )


def _field_error(fe):
    return types.FieldError(field=fe.field, reason=fe.reason)


def _scope(scope):
    return types.LimitScope.DAILY if scope == model.DAILY else types.LimitScope.BURST


def _error_class(c):
    if isinstance(c, model.Transient):
        return types.ErrorClass_Transient(c.retry_after_ms)
    if isinstance(c, model.RateLimited):
        return types.ErrorClass_RateLimited(types.RateLimited(
            retry_after_ms=c.retry_after_ms, scope=_scope(c.scope), policy=c.policy))
    if isinstance(c, model.Auth):
        return types.ErrorClass_Auth(c.reason)
    if isinstance(c, model.Permission):
        return types.ErrorClass_Permission(c.reason)
    if isinstance(c, model.NotFound):
        return types.ErrorClass_NotFound(c.reason)
    if isinstance(c, model.Validation):
        return types.ErrorClass_Validation(types.FieldError(field=c.field, reason=c.reason))
    if isinstance(c, model.FieldRemoved):
        return types.ErrorClass_FieldRemoved(types.FieldError(field=c.field, reason=c.reason))
    if isinstance(c, model.Duplicate):
        return types.ErrorClass_Duplicate(c.existing_id)
    return types.ErrorClass_Permanent(c.reason)


_STATUS = {
    model.CREATED: types.PushStatus.CREATED,
    model.UPDATED: types.PushStatus.UPDATED,
    model.ALREADY_PRESENT: types.PushStatus.ALREADY_PRESENT,
}


def _ref(r):
    return types.CrmRef(object=r.object, id=r.id)


def _outcome(o):
    return types.PushOutcome(
        status=_STATUS[o.status],
        primary=_ref(o.primary),
        related=[_ref(r) for r in o.related],
        effects=[types.Effect(action=e.action, target=_ref(e.target)) for e in o.effects],
    )


def _descriptor(d):
    return types.Descriptor(
        name=d["name"],
        version=d["version"],
        crm=d["crm"],
        record_kinds=list(d["record_kinds"]),
        outbound_hosts=list(d["outbound_hosts"]),
        config_keys=list(d["config_keys"]),
        secret_names=list(d["secret_names"]),
        owned_fields=list(d["owned_fields"]),
        rate_limits=[
            types.RateLimit(
                name=l["name"],
                tokens=l["tokens"],
                window_ms=l["window_ms"],
                scope=_scope(l["scope"]),
                costs=[types.RequestCost(method=m, path_prefix=p, cost=c) for m, p, c in l["costs"]],
                default_cost=l["default_cost"],
            )
            for l in d["rate_limits"]
        ],
    )
