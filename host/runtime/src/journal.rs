//! What happened inside one unit of work, for the audit trail: the
//! connector's annotations and a redacted summary of every HTTP exchange.

use std::time::Duration;

/// Most annotations one unit may write; later ones are counted, not kept.
const MAX_ANNOTATIONS: usize = 64;
/// Longest annotation key or value kept, in bytes.
const MAX_ANNOTATION_BYTES: usize = 1024;
/// Most HTTP exchanges one unit keeps; later ones are counted, not kept.
pub const MAX_HTTP_EXCHANGES: usize = 256;
/// Longest request summary or error text kept per exchange, in bytes.
pub const MAX_EXCHANGE_TEXT_BYTES: usize = 512;

fn is_zero(n: &u32) -> bool {
    *n == 0
}

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
    /// Outbound HTTP exchanges, in order (the first [`MAX_HTTP_EXCHANGES`]).
    pub http: Vec<HttpExchange>,
    /// Exchanges made but not kept because of the cap (the latest is always kept, in
    /// the last place).
    #[serde(skip_serializing_if = "is_zero")]
    pub dropped_http: u32,
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
    /// Its place among all the unit's exchanges, kept or not.
    pub exchange: usize,
}

impl Journal {
    /// Adds an annotation, truncating long text and capping the count; returns what was
    /// kept, or `None` past the cap.
    pub(crate) fn annotate(&mut self, key: String, value: String) -> Option<(&str, &str)> {
        if self.annotations.len() >= MAX_ANNOTATIONS {
            self.dropped_annotations += 1;
            return None;
        }
        self.annotations.push((
            truncate(key, MAX_ANNOTATION_BYTES),
            truncate(value, MAX_ANNOTATION_BYTES),
        ));
        self.annotations
            .last()
            .map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Records an HTTP exchange (texts cut to [`MAX_EXCHANGE_TEXT_BYTES`]). At most
    /// [`MAX_HTTP_EXCHANGES`] are kept: the first ones and, in the last place, the latest;
    /// the ones between are counted in `dropped_http`.
    pub(crate) fn record_http(
        &mut self,
        request: String,
        result: Result<u16, String>,
        failure: Option<&'static str>,
        elapsed: Duration,
    ) {
        if self.http.len() >= MAX_HTTP_EXCHANGES {
            self.http.pop();
            self.dropped_http = self.dropped_http.saturating_add(1);
        }
        self.http.push(HttpExchange {
            request: truncate(request, MAX_EXCHANGE_TEXT_BYTES),
            result: result.map_err(|e| truncate(e, MAX_EXCHANGE_TEXT_BYTES)),
            failure,
            elapsed_ms: u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
        });
    }

    /// Notes that the rate limiter refused the request just recorded.
    pub(crate) fn throttle(&mut self, wait_ms: u64, cause: String) {
        self.throttled = Some(Throttle {
            wait_ms,
            cause: truncate(cause, MAX_EXCHANGE_TEXT_BYTES),
            exchange: self.exchanges().saturating_sub(1),
        });
    }

    /// The throttle, if the rate limiter refused the attempt's last request: then the
    /// attempt ended because of it, whatever the connector returned.
    pub fn ended_throttled(&self) -> Option<&Throttle> {
        self.throttled
            .as_ref()
            .filter(|t| t.exchange + 1 == self.exchanges())
    }

    /// The host's name for the last exchange's transport failure, if it failed so.
    pub fn last_transport_failure(&self) -> Option<&'static str> {
        self.http.last().and_then(|x| x.failure)
    }

    /// Exchanges made in all, kept or not.
    fn exchanges(&self) -> usize {
        self.http.len() + self.dropped_http as usize
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

/// `text` with newlines, tabs and other control characters written as escapes (`\n`,
/// `\t`, `\u{1b}`), so guest text printed by the host stays on one line and cannot
/// forge a host log line or send a terminal escape sequence.
pub fn escape_control(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_control_characters() {
        assert_eq!(escape_control("plain"), "plain");
        assert_eq!(
            escape_control("a\n2026 ERROR forged\r\t\u{1b}[31m"),
            "a\\n2026 ERROR forged\\r\\t\\u{1b}[31m"
        );
    }

    #[test]
    fn caps_http_exchanges_keeping_the_latest() {
        let mut j = Journal::default();
        for i in 0..(MAX_HTTP_EXCHANGES + 10) {
            let failure = (i % 2 == 1).then_some("denied");
            j.record_http(
                format!("GET https://x/{}", "p".repeat(100_000)),
                Err(format!("refused {i}")),
                failure,
                Duration::ZERO,
            );
        }
        assert_eq!(j.http.len(), MAX_HTTP_EXCHANGES);
        assert_eq!(j.dropped_http, 10);
        let last = j.http.last().unwrap();
        assert_eq!(
            last.result,
            Err(format!("refused {}", MAX_HTTP_EXCHANGES + 9))
        );
        assert!(last.request.len() <= MAX_EXCHANGE_TEXT_BYTES + 3);
        assert_eq!(j.last_transport_failure(), Some("denied"));
        j.throttle(5, "ten-secondly".into());
        assert!(j.ended_throttled().is_some());
        j.record_http("GET https://x/".into(), Ok(200), None, Duration::ZERO);
        assert!(j.ended_throttled().is_none());
    }

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
