//! The request and response types a connector exchanges with the host, and
//! the audit summary of a request.

use std::fmt;
use std::time::Duration;

use url::Url;

/// An outbound request as a connector asks for it.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Request {
    /// Upper-case method: `GET`, `HEAD`, `POST`, `PUT`, `PATCH`, `DELETE` or `OPTIONS`.
    pub method: String,
    /// Absolute `http` or `https` URL.
    pub url: String,
    /// Plain headers. Framing and routing headers (`host`, `content-length`,
    /// `transfer-encoding`, `connection`, ...) are the host's and are refused.
    pub headers: Vec<(String, String)>,
    /// Headers whose values the host fills in from granted secrets.
    pub secret_headers: Vec<SecretHeader>,
    /// Request body, if any.
    pub body: Option<Vec<u8>>,
    /// A total timeout for this request; it can only shorten the policy's.
    pub timeout: Option<Duration>,
}

/// A header the host sets to `prefix` + the value of the secret called `secret`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecretHeader {
    /// Header name, e.g. `authorization`.
    pub header: String,
    /// The secret's name (never its value), e.g. `hubspot-token`.
    pub secret: String,
    /// Text put before the value, e.g. `Bearer `.
    pub prefix: String,
}

/// A response; every status, including 3xx, 4xx and 5xx, is a response.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Response {
    /// HTTP status code.
    pub status: u16,
    /// Response headers in arrival order, names lower-case; values that are
    /// not UTF-8 are converted lossily.
    pub headers: Vec<(String, String)>,
    /// The whole body.
    pub body: Vec<u8>,
}

impl Response {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One line for the audit log: `POST https://host/path (N bytes)`.
///
/// The URL loses its query string, fragment and any user info, and no header
/// is shown, so neither connector-built query tokens nor secret values reach
/// the log. A method that is not a plain token is shown as `<invalid method>`.
pub fn redact_request_summary(req: &Request) -> String {
    let size = req.body.as_ref().map_or(0, Vec::len);
    format!(
        "{} {} ({size} bytes)",
        shown_method(&req.method),
        redacted_url(&req.url)
    )
}

pub(crate) fn shown_method(method: &str) -> &str {
    let token = !method.is_empty()
        && method.len() <= 16
        && method
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if token { method } else { "<invalid method>" }
}

fn redacted_url(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut url) => {
            url.set_query(None);
            url.set_fragment(None);
            // Both fail only for URLs that cannot have credentials at all.
            let _ = url.set_username("");
            let _ = url.set_password(None);
            url.to_string()
        }
        Err(_) => "<invalid url>".to_string(),
    }
}

impl fmt::Debug for Request {
    /// Method, redacted URL, header names, secret header names with their
    /// secret names, and the body size: never header values or the body.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        let secret_headers: Vec<String> = self
            .secret_headers
            .iter()
            .map(|s| format!("{} <- secret {:?}", s.header, s.secret))
            .collect();
        f.debug_struct("Request")
            .field("method", &shown_method(&self.method))
            .field("url", &redacted_url(&self.url))
            .field("headers", &headers)
            .field("secret_headers", &secret_headers)
            .field("body_bytes", &self.body.as_ref().map(Vec::len))
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl fmt::Debug for Response {
    /// Status, headers and the body size, not the body itself.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field("body_bytes", &self.body.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_drops_query_fragment_and_credentials() {
        let req = Request {
            method: "POST".into(),
            url: "https://user:pw@api.hubapi.com/crm/v3/objects?hapikey=abc123#frag".into(),
            body: Some(vec![0; 42]),
            ..Request::default()
        };
        assert_eq!(
            redact_request_summary(&req),
            "POST https://api.hubapi.com/crm/v3/objects (42 bytes)"
        );
    }

    #[test]
    fn summary_stays_one_line_for_hostile_input() {
        let req = Request {
            method: "GET\nforged: line".into(),
            url: "not a url\nsecond line".into(),
            ..Request::default()
        };
        assert_eq!(
            redact_request_summary(&req),
            "<invalid method> <invalid url> (0 bytes)"
        );
    }

    #[test]
    fn debug_shows_no_header_values_or_body() {
        let req = Request {
            method: "GET".into(),
            url: "https://x.test/p?token=qtoken".into(),
            headers: vec![("x-api-key".into(), "plainvalue".into())],
            secret_headers: vec![SecretHeader {
                header: "authorization".into(),
                secret: "hubspot-token".into(),
                prefix: "Bearer ".into(),
            }],
            body: Some(b"bodytext".to_vec()),
            timeout: None,
        };
        let shown = format!("{req:?}");
        for hidden in ["plainvalue", "bodytext", "qtoken"] {
            assert!(!shown.contains(hidden), "{shown}");
        }
        assert!(
            shown.contains("x-api-key") && shown.contains("hubspot-token"),
            "{shown}"
        );
    }
}
