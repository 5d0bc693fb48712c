"""Test helpers: the connector's directory on `sys.path`, records, and a
scripted fake host (canned HubSpot answers in order, an in-memory `state`,
and everything the connector sent or noted)."""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from hubspot_py.model import Field, Record, Response  # noqa: E402


def record(kind, fields):
    """A record of `kind` with `fields`, a list of (name, value) pairs."""
    return Record("rec-1", kind, [Field(n, v) for n, v in fields])


class Sent:
    def __init__(self, method, path, body):
        self.method, self.path, self.body = method, path, body


class Fake:
    """The fake host, region `US` unless told otherwise."""

    def __init__(self, region="US"):
        self.script = []
        self.sent = []
        self.state = {}
        self.notes = []
        self.warnings = []
        self.region = region

    def answer(self, path, status, body, headers=None):
        """Queues an answer for a request to `path`."""
        hdrs = [("content-type", "application/json")] + list(headers or [])
        self.script.append((path, Response(status, hdrs, body.encode("utf-8"))))
        return self

    def fail(self, path, error):
        """Queues a transport failure (a model.Transport) for `path`."""
        self.script.append((path, error))
        return self

    def with_state(self, key, value):
        self.state[key] = value
        return self

    def paths(self):
        return [s.path for s in self.sent]

    def note(self, key):
        """The last audit note under `key`."""
        for k, v in reversed(self.notes):
            if k == key:
                return v
        return None

    # -- the host interface (hubspot_py.host) --

    def send(self, method, path, body):
        # What the real host would put on the wire, read back.
        self.sent.append(Sent(method, path, None if body is None else json.loads(json.dumps(body))))
        if not self.script:
            raise AssertionError("unscripted %s %s" % (method, path))
        want, answer = self.script.pop(0)
        if want != path:
            raise AssertionError("request %d went to %s, not %s" % (len(self.sent), path, want))
        if isinstance(answer, Exception):
            raise answer
        return answer

    def state_get(self, key):
        return self.state.get(key)

    def state_set(self, key, value):
        self.state[key] = value

    def state_remove(self, key):
        self.state.pop(key, None)

    def annotate(self, key, value):
        self.notes.append((key, value))

    def warn(self, message):
        self.warnings.append(message)
