//! The host's classification of a failed `http.send` a connector hands back as
//! `push-error::transport`: the same for every connector, whatever its language.

use crate::types::{ErrorClass, HOST_POLICY_PREFIX, HttpError, LimitScope, RateLimited};

/// Timeouts, refused connections and TLS failures are transient; a request the host's
/// rate limiter held back is rate-limited (the record waits, uncounted); a request the
/// sandbox denied, an oversized response and a malformed request are permanent.
pub(crate) fn classify(error: &HttpError) -> ErrorClass {
    match error {
        HttpError::Timeout(_) | HttpError::Connect(_) | HttpError::Tls(_) => {
            ErrorClass::Transient(None)
        }
        HttpError::Throttled(t) => held_back(t.wait_ms, &t.budget),
        HttpError::Denied(why) => {
            ErrorClass::Permanent(format!("http: denied by the sandbox: {why}"))
        }
        HttpError::TooLarge(limit) => {
            ErrorClass::Permanent(format!("http: the response is larger than {limit} bytes"))
        }
        HttpError::InvalidRequest(why) => {
            ErrorClass::Permanent(format!("http: invalid request: {why}"))
        }
    }
}

/// A request the host's rate limiter held back for `wait_ms` because of `cause` (a
/// budget, or a pause): rate-limited with a [`HOST_POLICY_PREFIX`] policy.
pub(crate) fn held_back(wait_ms: u64, cause: &str) -> ErrorClass {
    ErrorClass::RateLimited(RateLimited {
        retry_after_ms: Some(wait_ms),
        scope: LimitScope::Burst,
        policy: format!("{HOST_POLICY_PREFIX}{cause}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindings::http::{Throttled, Timeout, TimeoutPhase};

    #[test]
    fn every_transport_failure_gets_one_class() {
        let timeout = HttpError::Timeout(Timeout {
            phase: TimeoutPhase::Total,
            limit_ms: 5000,
        });
        assert!(matches!(classify(&timeout), ErrorClass::Transient(None)));
        assert!(matches!(
            classify(&HttpError::Connect("refused".into())),
            ErrorClass::Transient(None)
        ));
        assert!(matches!(
            classify(&HttpError::Tls("bad cert".into())),
            ErrorClass::Transient(None)
        ));
        let held = HttpError::Throttled(Throttled {
            wait_ms: 1200,
            budget: "search".into(),
        });
        match classify(&held) {
            ErrorClass::RateLimited(r) => {
                assert_eq!(r.retry_after_ms, Some(1200));
                assert_eq!(r.policy, "host: search");
            }
            other => panic!("{other:?}"),
        }
        assert!(
            matches!(classify(&HttpError::Denied("x".into())), ErrorClass::Permanent(r) if r.contains("denied"))
        );
        assert!(matches!(
            classify(&HttpError::TooLarge(10)),
            ErrorClass::Permanent(_)
        ));
    }
}
