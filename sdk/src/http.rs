//! Outbound HTTP through the host's sandbox, with JSON helpers.
//!
//! ```no_run
//! use switchboard_sdk::http::Request;
//! let resp = Request::post("https://api.hubapi.com/crm/v3/objects/contacts/search")
//!     .bearer_secret("hubspot-token")
//!     .json(&serde_json::json!({"limit": 1}))
//!     .send()?;
//! let found: serde_json::Value = resp.json()?;
//! # Ok::<(), switchboard_sdk::http::HttpError>(())
//! ```

use crate::__bindings::switchboard::connector::http as wit;
use crate::{CrmResponse, ErrorClass, PushError};

/// `http.error` as it travels in `push-error::transport`.
pub use wit::Error as TransportError;
pub use wit::TimeoutPhase;

/// Why no response arrived (or a body could not be read as JSON).
#[derive(Debug, Clone, PartialEq)]
pub enum HttpError {
    /// The host's sandbox refused the request.
    Denied(String),
    /// A timeout fired: which phase (`connect`, `tls-handshake`, `total`) and its limit in ms.
    Timeout {
        /// The phase that ran out of time.
        phase: wit::TimeoutPhase,
        /// The limit that fired, in milliseconds.
        limit_ms: u64,
    },
    /// The host's rate limiter held the request back (nothing was sent): how long until
    /// the budget has room, and which budget.
    Throttled {
        /// Milliseconds until there is room.
        wait_ms: u64,
        /// The empty budget, or `paused: <reason>`.
        budget: String,
    },
    /// No connection, or it broke.
    Connect(String),
    /// TLS failed.
    Tls(String),
    /// The response exceeded the deployment's cap (bytes).
    TooLarge(u64),
    /// The request was malformed.
    InvalidRequest(String),
    /// The response body was not the JSON expected.
    BadBody(String),
}

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HttpError::Denied(m) => write!(f, "request denied: {m}"),
            HttpError::Timeout { phase, limit_ms } => {
                write!(f, "{} timeout after {limit_ms} ms", phase_name(*phase))
            }
            HttpError::Throttled { wait_ms, budget } => {
                write!(
                    f,
                    "held back by the host's rate limiter ({budget}) for {wait_ms} ms"
                )
            }
            HttpError::Connect(m) => write!(f, "connection failed: {m}"),
            HttpError::Tls(m) => write!(f, "tls failed: {m}"),
            HttpError::TooLarge(n) => write!(f, "response larger than {n} bytes"),
            HttpError::InvalidRequest(m) => write!(f, "invalid request: {m}"),
            HttpError::BadBody(m) => write!(f, "unexpected response body: {m}"),
        }
    }
}

impl std::error::Error for HttpError {}

impl From<wit::Error> for HttpError {
    fn from(e: wit::Error) -> Self {
        match e {
            wit::Error::Denied(m) => HttpError::Denied(m),
            wit::Error::Timeout(t) => HttpError::Timeout {
                phase: t.phase,
                limit_ms: t.limit_ms,
            },
            wit::Error::Throttled(t) => HttpError::Throttled {
                wait_ms: t.wait_ms,
                budget: t.budget,
            },
            wit::Error::Connect(m) => HttpError::Connect(m),
            wit::Error::Tls(m) => HttpError::Tls(m),
            wit::Error::TooLarge(n) => HttpError::TooLarge(n),
            wit::Error::InvalidRequest(m) => HttpError::InvalidRequest(m),
        }
    }
}

/// `connect`, `tls-handshake` or `total`.
fn phase_name(phase: wit::TimeoutPhase) -> &'static str {
    match phase {
        wit::TimeoutPhase::Connect => "connect",
        wit::TimeoutPhase::TlsHandshake => "tls-handshake",
        wit::TimeoutPhase::Total => "total",
    }
}

/// A failed request ends `push` as `push-error::transport`, handed over as it came: the
/// host classifies transport failures the same way for every connector (timeouts, broken
/// connections and TLS: transient; the host's rate limiter: rate-limited; the rest:
/// permanent). A body that was not the JSON expected is a permanent failure of the push.
impl From<HttpError> for PushError {
    fn from(e: HttpError) -> Self {
        let wire = match e {
            HttpError::Denied(m) => wit::Error::Denied(m),
            HttpError::Timeout { phase, limit_ms } => {
                wit::Error::Timeout(wit::Timeout { phase, limit_ms })
            }
            HttpError::Throttled { wait_ms, budget } => {
                wit::Error::Throttled(wit::Throttled { wait_ms, budget })
            }
            HttpError::Connect(m) => wit::Error::Connect(m),
            HttpError::Tls(m) => wit::Error::Tls(m),
            HttpError::TooLarge(n) => wit::Error::TooLarge(n),
            HttpError::InvalidRequest(m) => wit::Error::InvalidRequest(m),
            bad @ HttpError::BadBody(_) => {
                return PushError::Classified(ErrorClass::Permanent(bad.to_string()));
            }
        };
        PushError::Transport(wire)
    }
}

/// An outbound request being built.
#[derive(Debug, Clone)]
pub struct Request {
    inner: wit::Request,
}

impl Request {
    /// A request with any method.
    pub fn new(method: &str, url: impl Into<String>) -> Self {
        Request {
            inner: wit::Request {
                method: method.to_ascii_uppercase(),
                url: url.into(),
                headers: Vec::new(),
                secret_headers: Vec::new(),
                body: None,
                timeout_ms: None,
            },
        }
    }
    /// A GET request.
    pub fn get(url: impl Into<String>) -> Self {
        Self::new("GET", url)
    }
    /// A POST request.
    pub fn post(url: impl Into<String>) -> Self {
        Self::new("POST", url)
    }
    /// A PATCH request.
    pub fn patch(url: impl Into<String>) -> Self {
        Self::new("PATCH", url)
    }
    /// Adds a plain header.
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.inner
            .headers
            .push((name.to_ascii_lowercase(), value.into()));
        self
    }
    /// `Authorization: Bearer <secret>`, filled in by the host from the
    /// deployment secret named `secret`; the connector never sees the value.
    pub fn bearer_secret(self, secret: &str) -> Self {
        self.secret_header("authorization", secret, "Bearer ")
    }
    /// Any header filled from a deployment secret.
    pub fn secret_header(mut self, name: &str, secret: &str, prefix: &str) -> Self {
        self.inner.secret_headers.push(wit::SecretHeader {
            name: name.to_ascii_lowercase(),
            secret: secret.into(),
            prefix: prefix.into(),
        });
        self
    }
    /// A JSON body (sets `content-type`).
    pub fn json<T: serde::Serialize>(self, body: &T) -> Self {
        // Serializing plain data to a Vec cannot fail; a custom Serialize
        // that errors sends an empty body the CRM will reject visibly.
        let bytes = serde_json::to_vec(body).unwrap_or_default();
        self.body_bytes("application/json", bytes)
    }
    /// A body that is already JSON text.
    pub fn json_text(self, body: impl Into<String>) -> Self {
        self.body_bytes("application/json", body.into().into_bytes())
    }
    /// Raw body bytes with a content type.
    pub fn body_bytes(mut self, content_type: &str, body: Vec<u8>) -> Self {
        self.inner.headers.retain(|(k, _)| k != "content-type");
        self.inner
            .headers
            .push(("content-type".into(), content_type.into()));
        self.inner.body = Some(body);
        self
    }
    /// A shorter total timeout for this request.
    pub fn timeout_ms(mut self, ms: u32) -> Self {
        self.inner.timeout_ms = Some(ms);
        self
    }
    /// Sends it through the host and waits for the response.
    pub fn send(self) -> Result<Response, HttpError> {
        let resp = wit::send(&self.inner)?;
        Ok(Response {
            status: resp.status,
            headers: resp.headers,
            body: resp.body,
        })
    }
}

/// A CRM response (any status).
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    /// HTTP status.
    pub status: u16,
    /// Headers, names lower-case.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl Response {
    /// True for 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    /// The body as JSON of type `T`.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, HttpError> {
        serde_json::from_slice(&self.body)
            .map_err(|e| HttpError::BadBody(format!("status {}: {e}", self.status)))
    }
}

impl From<Response> for CrmResponse {
    fn from(r: Response) -> Self {
        CrmResponse {
            status: r.status,
            headers: r.headers,
            body: r.body,
        }
    }
}

/// An error response handed to the host, which asks `classify-error`.
impl From<Response> for PushError {
    fn from(r: Response) -> Self {
        PushError::Response(r.into())
    }
}
