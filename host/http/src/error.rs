//! Errors at the crate boundary, and the mapping from reqwest's error chain
//! to the variant a connector sees.
//!
//! No message here is ever built from header values, bodies or secrets: only
//! from the host name, the policy's numbers and the transport's own errors.

use std::error::Error as StdError;
use std::io;

use crate::phases::{PhaseTimeout, TlsPhaseFailure};
use crate::resolver::{AddressDenied, LookupFailed};

/// Why a request got no response. Mirrors the WIT `http.error` variant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HttpError {
    /// The sandbox refused: host not allowed, forbidden address, secret not granted.
    #[error("denied: {0}")]
    Denied(String),
    /// A timeout fired: which one, its limit, and a text starting with `connect`,
    /// `tls handshake` or `request`.
    #[error("timeout: {detail}")]
    Timeout {
        /// The phase that ran out of time.
        phase: TimeoutPhase,
        /// The limit that fired.
        limit: std::time::Duration,
        /// What timed out, for people.
        detail: String,
    },
    /// No connection could be made, or it broke before the response was complete.
    #[error("connect: {0}")]
    Connect(String),
    /// The TLS handshake or the certificate check failed.
    #[error("tls: {0}")]
    Tls(String),
    /// The response body is larger than the policy allows.
    #[error("too large: response body exceeds the limit of {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// The request is malformed: bad URL, method, header or body size.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
}

/// Which of the policy's timeouts fired. Distinct so that a slow TLS handshake on a
/// loaded network is not mistaken for a slow CRM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeoutPhase {
    /// The TCP connection was not established in time.
    Connect,
    /// The TLS handshake did not finish in time.
    TlsHandshake,
    /// The whole request and response took too long.
    Total,
}

impl TimeoutPhase {
    /// `connect`, `tls-handshake` or `total`.
    pub fn as_str(self) -> &'static str {
        match self {
            TimeoutPhase::Connect => "connect",
            TimeoutPhase::TlsHandshake => "tls-handshake",
            TimeoutPhase::Total => "total",
        }
    }
}

/// Why an [`OutboundHttp`](crate::OutboundHttp) could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    /// A policy value is unusable.
    #[error("invalid http policy: {0}")]
    InvalidPolicy(String),
    /// The TLS configuration or the HTTP client could not be built.
    #[error("could not build the http client: {0}")]
    Client(String),
}

/// Maps a failed reqwest call for `host` to the variant a connector sees.
pub(crate) fn classify(err: &reqwest::Error, host: &str) -> HttpError {
    let chain = error_chain(err);
    if let Some(denied) = find::<AddressDenied>(&chain) {
        return HttpError::Denied(denied.to_string());
    }
    if let Some(timeout) = find::<PhaseTimeout>(&chain) {
        return HttpError::Timeout {
            phase: timeout.phase(),
            limit: timeout.after,
            detail: timeout.describe(host),
        };
    }
    if let Some(lookup) = find::<LookupFailed>(&chain) {
        return HttpError::Connect(lookup.to_string());
    }
    if let Some(tls) = find::<rustls::Error>(&chain) {
        return HttpError::Tls(format!("tls handshake with {host:?} failed: {tls}"));
    }
    let cause = root_cause(&chain);
    if find::<TlsPhaseFailure>(&chain).is_some() {
        HttpError::Tls(format!("tls handshake with {host:?} failed: {cause}"))
    } else if err.is_connect() {
        HttpError::Connect(format!("connection to {host:?} failed: {cause}"))
    } else {
        HttpError::Connect(format!("request to {host:?} failed: {cause}"))
    }
}

/// The first error of type `T` in the chain.
fn find<'a, T: StdError + 'static>(chain: &[&'a (dyn StdError + 'static)]) -> Option<&'a T> {
    chain.iter().find_map(|e| e.downcast_ref::<T>())
}

/// Every error reachable from `err` through `source()`, also looking inside
/// `io::Error`s (whose `source()` skips the error they wrap).
fn error_chain<'a>(err: &'a (dyn StdError + 'static)) -> Vec<&'a (dyn StdError + 'static)> {
    let mut seen = Vec::new();
    let mut pending = vec![err];
    while let Some(e) = pending.pop() {
        if seen.len() >= 64 {
            break;
        }
        seen.push(e);
        if let Some(source) = e.source() {
            pending.push(source);
        }
        if let Some(inner) = e.downcast_ref::<io::Error>().and_then(|io| io.get_ref()) {
            pending.push(inner);
        }
    }
    seen
}

/// The innermost error's text: usually the one that says what went wrong.
/// A depth-first walk visits a leaf last, so that is the last entry.
fn root_cause(chain: &[&(dyn StdError + 'static)]) -> String {
    chain
        .last()
        .map_or_else(|| "unknown error".to_string(), |e| e.to_string())
}
