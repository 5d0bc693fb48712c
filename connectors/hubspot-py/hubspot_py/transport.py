"""`http.send` failures (no response arrived) as error classes, as the Rust
SDK maps them (`sdk/src/http.rs`): a timeout or a broken connection is
transient, a request the host's rate limiter held back is rate-limited (the
record waits, uncounted), everything else is permanent."""

from .model import BURST, Classified, Permanent, RateLimited, Transient

TIMEOUT_PHASES = ("connect", "tls-handshake", "total")


class HttpError(Classified):
    """No response arrived. `kind` is the WIT case name (`denied`,
    `timeout`, `throttled`, `connect`, `tls`, `too-large`,
    `invalid-request`); `text` says what happened, as the SDK words it."""

    def __init__(self, kind, text, error_class):
        super().__init__(error_class)
        self.kind = kind
        self.text = text

    def __str__(self):
        return self.text


def denied(message):
    return _permanent("denied", "request denied: %s" % message)


def timeout(phase, limit_ms):
    """`phase` is one of `TIMEOUT_PHASES`."""
    return HttpError("timeout", "%s timeout after %d ms" % (phase, limit_ms), Transient(None))


def throttled(wait_ms, budget):
    text = "held back by the host's rate limiter (%s) for %d ms" % (budget, wait_ms)
    return HttpError("throttled", text, RateLimited(wait_ms, BURST, "host: %s" % budget))


def connect(message):
    return HttpError("connect", "connection failed: %s" % message, Transient(None))


def tls(message):
    return _permanent("tls", "tls failed: %s" % message)


def too_large(limit):
    return _permanent("too-large", "response larger than %d bytes" % limit)


def invalid_request(message):
    return _permanent("invalid-request", "invalid request: %s" % message)


def _permanent(kind, text):
    return HttpError(kind, text, Permanent(text))
