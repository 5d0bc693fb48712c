"""The real host for `hubspot_py.push`, through the component's imports
(`http`, `state`, `audit`, `log`, `limits`, `config`). Only the component
imports this module; the unit tests use a fake."""

from componentize_py_types import Err
from wit_world.imports import audit, config, http, limits, log, state

from hubspot_py import feedback
from hubspot_py.compat import ascii_upper, debug_str, to_json, trim
from hubspot_py.host import DEFAULT_BASE_URL, TOKEN_SECRET
from hubspot_py.model import Classified, Permanent, Response, Transient, Transport
from hubspot_py.normalize import region_from


def _state_error(e):
    """A storage engine failure may pass (retried); a store limit will not."""
    if isinstance(e, state.Error_Storage):
        log.log(log.Level.WARN, "state storage failed: %s" % debug_str(e.value))
        return Classified(Transient(None))
    name = type(e).__name__.replace("Error_", "Error::")
    return Classified(Permanent("state store refused: %s(%s)" % (name, e.value)))


class WitHost:
    """Reads `base-url` and `default-region` from the deployment config."""

    def __init__(self):
        base = config.get("base-url")
        base = DEFAULT_BASE_URL if base is None else base
        self.base_url = trim(base).rstrip("/")
        self.region = region_from(config.get("default-region"))

    def send(self, method, path, body):
        headers = [("accept", "application/json")]
        data = None
        if body is not None:
            headers.append(("content-type", "application/json"))
            data = to_json(body).encode("utf-8")
        req = http.Request(
            method=ascii_upper(method),
            url=self.base_url + path,
            headers=headers,
            secret_headers=[http.SecretHeader(name="authorization", secret=TOKEN_SECRET, prefix="Bearer ")],
            body=data,
            timeout_ms=None,
        )
        try:
            resp = http.send(req)
        except Err as e:
            raise Transport(e.value) from None
        for r in feedback.reports(resp.headers):
            limits.report(limits.BudgetReport(
                budget=r.budget, remaining=r.remaining, limit=r.limit, reset_ms=r.reset_ms))
        return Response(resp.status, list(resp.headers), bytes(resp.body))

    def state_get(self, key):
        try:
            value = state.get(key)
        except Err as e:
            raise _state_error(e.value) from None
        if value is None:
            return None
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            return None

    def state_set(self, key, value):
        try:
            state.set(key, value.encode("utf-8"))
        except Err as e:
            raise _state_error(e.value) from None

    def state_remove(self, key):
        try:
            state.remove(key)
        except Err as e:
            raise _state_error(e.value) from None

    def annotate(self, key, value):
        audit.annotate(key, value)

    def warn(self, message):
        log.log(log.Level.WARN, message)
