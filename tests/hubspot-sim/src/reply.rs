//! A response before the per-request headers are attached.

use serde::Serialize;

/// Identifiers every response carries (`x-hubspot-correlation-id`, `x-request-id`).
#[derive(Debug, Clone)]
pub(crate) struct Ctx {
    pub correlation_id: String,
    pub request_id: String,
}

impl Ctx {
    pub(crate) fn new() -> Self {
        Self {
            correlation_id: uuid::Uuid::new_v4().to_string(),
            request_id: uuid::Uuid::new_v4().to_string(),
        }
    }
}

/// Status, extra headers and an optional JSON body.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
}

impl Reply {
    /// A reply with a JSON body.
    pub(crate) fn json<T: Serialize>(status: u16, value: &T) -> Self {
        // Serialising plain data structures cannot fail; fall back to `{}`.
        let body = serde_json::to_string(value).unwrap_or_else(|_| "{}".to_owned());
        Self {
            status,
            headers: Vec::new(),
            body: Some(body),
        }
    }

    /// A reply without a body (e.g. 204).
    pub(crate) fn empty(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: None,
        }
    }

    /// Adds a header.
    pub(crate) fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }
}
