//! Building error classes. The host decides what to do with each class:
//! `transient` and `rate-limited` are retried, the rest dead-lettered.

use crate::{CrmResponse, ErrorClass, FieldError, LimitScope, RateLimited};

/// A temporary failure, retried (after `retry_after_ms` if given).
pub fn transient(retry_after_ms: Option<u64>) -> ErrorClass {
    ErrorClass::Transient(retry_after_ms)
}

/// A burst (short window) rate limit.
pub fn rate_limited_burst(retry_after_ms: Option<u64>, policy: &str) -> ErrorClass {
    ErrorClass::RateLimited(RateLimited {
        retry_after_ms,
        scope: LimitScope::Burst,
        policy: policy.into(),
    })
}

/// A daily quota exhausted.
pub fn rate_limited_daily(retry_after_ms: Option<u64>, policy: &str) -> ErrorClass {
    ErrorClass::RateLimited(RateLimited {
        retry_after_ms,
        scope: LimitScope::Daily,
        policy: policy.into(),
    })
}

/// A field's value was refused. For a field the CRM no longer has, use [`field_removed`].
pub fn validation(field: &str, reason: impl Into<String>) -> ErrorClass {
    ErrorClass::Validation(FieldError::new(field, reason))
}

/// The CRM no longer has `field` (its property was deleted). The host dead-letters the
/// record with the reason `field-removed`.
///
/// ```
/// use switchboard_sdk::{ErrorClass, errors};
/// let class = errors::field_removed("hs_call_mood", "Property \"hs_call_mood\" does not exist");
/// assert!(matches!(class, ErrorClass::FieldRemoved(e) if e.field == "hs_call_mood"));
/// ```
pub fn field_removed(field: &str, reason: impl Into<String>) -> ErrorClass {
    ErrorClass::FieldRemoved(FieldError::new(field, reason))
}

/// `Retry-After` in milliseconds: delta-seconds (possibly fractional).
/// HTTP-dates are not parsed (no clock in a pure function); callers fall
/// back to the host's backoff.
pub fn retry_after_ms(resp: &CrmResponse) -> Option<u64> {
    let v = resp.header("retry-after")?.trim();
    let secs: f64 = v.parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| (secs * 1000.0).round() as u64)
}

/// A generic status-based classification, for CRMs with no richer error
/// bodies and as a fallback: 408/425/5xx transient, 429 burst limit,
/// 401 auth, 403 permission, 404/410 not found, 409 duplicate, other 4xx
/// permanent.
pub fn classify_by_status(resp: &CrmResponse) -> ErrorClass {
    let after = retry_after_ms(resp);
    match resp.status {
        408 | 425 | 500..=599 => transient(after),
        429 => rate_limited_burst(after, "http-429"),
        401 => ErrorClass::Auth(format!("status {}", resp.status)),
        403 => ErrorClass::Permission(format!("status {}", resp.status)),
        404 | 410 => ErrorClass::NotFound(format!("status {}", resp.status)),
        409 => ErrorClass::Duplicate(None),
        s => ErrorClass::Permanent(format!("unexpected status {s}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(status: u16, headers: &[(&str, &str)]) -> CrmResponse {
        CrmResponse {
            status,
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: Vec::new(),
        }
    }

    #[test]
    fn parses_retry_after_seconds() {
        assert_eq!(
            retry_after_ms(&resp(429, &[("Retry-After", "2")])),
            Some(2000)
        );
        assert_eq!(
            retry_after_ms(&resp(429, &[("retry-after", "0.5")])),
            Some(500)
        );
        assert_eq!(
            retry_after_ms(&resp(
                429,
                &[("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT")]
            )),
            None
        );
    }

    #[test]
    fn status_fallback_classes() {
        assert!(matches!(
            classify_by_status(&resp(503, &[])),
            ErrorClass::Transient(None)
        ));
        assert!(matches!(
            classify_by_status(&resp(401, &[])),
            ErrorClass::Auth(_)
        ));
        assert!(matches!(
            classify_by_status(&resp(404, &[])),
            ErrorClass::NotFound(_)
        ));
        assert!(matches!(
            classify_by_status(&resp(422, &[])),
            ErrorClass::Permanent(_)
        ));
    }
}
