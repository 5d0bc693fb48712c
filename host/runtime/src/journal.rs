//! What happened inside one unit of work, for the audit trail: the
//! connector's annotations and a redacted summary of every HTTP exchange.

use std::time::Duration;

/// Most annotations one unit may write; later ones are counted, not kept.
const MAX_ANNOTATIONS: usize = 64;
/// Longest annotation key or value kept, in bytes.
const MAX_ANNOTATION_BYTES: usize = 1024;

/// Every name [`HttpExchange::failure`] can hold: the host's names for transport
/// failures, in the order of `http.error`'s cases.
pub const TRANSPORT_FAILURES: [&str; 8] = [
    "denied",
    "timeout-connect",
    "timeout-tls-handshake",
    "timeout-total",
    "connect-failed",
    "tls-failed",
    "too-large",
    "invalid-request",
];

/// One outbound request as the audit log sees it (no secrets, no bodies).
#[derive(Debug, Clone, serde::Serialize)]
pub struct HttpExchange {
    /// `METHOD scheme://host/path` with the query string removed.
    pub request: String,
    /// The status, or the transport error's text.
    pub result: Result<u16, String>,
    /// For a transport failure, the host's name for it: `timeout-connect`,
    /// `timeout-tls-handshake`, `timeout-total`, `connect-failed`, `tls-failed`, ...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<&'static str>,
    /// How long it took.
    pub elapsed_ms: u64,
}

/// The unit's journal.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Journal {
    /// Connector annotations (`audit.annotate`), in order.
    pub annotations: Vec<(String, String)>,
    /// Annotations dropped because of the cap.
    pub dropped_annotations: u32,
    /// Outbound HTTP exchanges, in order.
    pub http: Vec<HttpExchange>,
    /// Set when the host's rate limiter held a request back for longer than an attempt
    /// may wait (the last such refusal).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub throttled: Option<Throttle>,
}

/// A request the rate limiter refused to send within the attempt.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Throttle {
    /// How long until the budget had room.
    pub wait_ms: u64,
    /// The empty budget, or `paused: <reason>`.
    pub cause: String,
    /// Its place in [`Journal::http`].
    pub exchange: usize,
}

impl Journal {
    /// Adds an annotation, truncating long text and capping the count.
    pub(crate) fn annotate(&mut self, key: String, value: String) {
        if self.annotations.len() >= MAX_ANNOTATIONS {
            self.dropped_annotations += 1;
            return;
        }
        self.annotations.push((
            truncate(key, MAX_ANNOTATION_BYTES),
            truncate(value, MAX_ANNOTATION_BYTES),
        ));
    }

    /// Records an HTTP exchange.
    pub(crate) fn record_http(
        &mut self,
        request: String,
        result: Result<u16, String>,
        failure: Option<&'static str>,
        elapsed: Duration,
    ) {
        self.http.push(HttpExchange {
            request,
            result,
            failure,
            elapsed_ms: u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
        });
    }

    /// Notes that the rate limiter refused the request just recorded.
    pub(crate) fn throttle(&mut self, wait_ms: u64, cause: String) {
        self.throttled = Some(Throttle {
            wait_ms,
            cause,
            exchange: self.http.len().saturating_sub(1),
        });
    }

    /// The throttle, if the rate limiter refused the attempt's last request: then the
    /// attempt ended because of it, whatever the connector returned.
    pub fn ended_throttled(&self) -> Option<&Throttle> {
        self.throttled
            .as_ref()
            .filter(|t| t.exchange + 1 == self.http.len())
    }

    /// The host's name for the last exchange's transport failure, if it failed so.
    pub fn last_transport_failure(&self) -> Option<&'static str> {
        self.http.last().and_then(|x| x.failure)
    }
}

/// Cuts `text` to at most `max` bytes on a character boundary, marking the cut with `…`.
pub fn truncate(mut text: String, max: usize) -> String {
    if text.len() > max {
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push('…');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncates_on_char_boundary() {
        let s = truncate("ééé".to_string(), 3);
        assert_eq!(s, "é…");
    }

    #[test]
    fn caps_annotation_count() {
        let mut j = Journal::default();
        for i in 0..70 {
            j.annotate(format!("k{i}"), "v".into());
        }
        assert_eq!(j.annotations.len(), MAX_ANNOTATIONS);
        assert_eq!(j.dropped_annotations, 6);
    }
}
