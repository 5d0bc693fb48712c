//! What a deployment's connector may do over HTTP.

use std::time::Duration;

use crate::allowlist::AllowedHost;
use url::Url;

/// The sandbox for one deployment. Deny by default: the [`Default`] policy
/// allows no host at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpPolicy {
    /// Scheme + host + port combinations the connector may call. Empty means none.
    pub allowed_hosts: Vec<AllowedHost>,
    /// Allow loopback, private (RFC 1918, ULA), link-local (including the
    /// `169.254.169.254` metadata service), unspecified, shared CGNAT,
    /// broadcast, multicast and reserved addresses, also in their IPv4-mapped
    /// IPv6 forms. Only for local development and on-premises targets.
    pub allow_private_addresses: bool,
    /// Allow secret headers on plain `http` URLs (a test CRM on loopback). Off by default:
    /// a secret header is only sent over `https`.
    pub allow_secrets_over_http: bool,
    /// Budget for DNS resolution plus the TCP connect of a new connection.
    pub connect_timeout: Duration,
    /// Budget for the TLS handshake of a new `https` connection, counted from
    /// the moment the TCP connection is up.
    pub tls_timeout: Duration,
    /// Budget for the whole request: connecting, sending, and reading the
    /// complete response body.
    pub total_timeout: Duration,
    /// Largest response body accepted, in bytes.
    pub max_response_bytes: u64,
    /// Largest request body accepted, in bytes.
    pub max_request_bytes: u64,
}

impl Default for HttpPolicy {
    /// No hosts allowed, no private addresses, 5 s connect, 5 s TLS, 30 s total,
    /// 10 MiB responses and requests.
    fn default() -> Self {
        Self {
            allowed_hosts: Vec::new(),
            allow_private_addresses: false,
            allow_secrets_over_http: false,
            connect_timeout: Duration::from_secs(5),
            tls_timeout: Duration::from_secs(5),
            total_timeout: Duration::from_secs(30),
            max_response_bytes: 10 * 1024 * 1024,
            max_request_bytes: 10 * 1024 * 1024,
        }
    }
}

impl HttpPolicy {
    /// True if some allowlist entry matches the URL's scheme, host and port.
    pub fn allows(&self, url: &Url) -> bool {
        self.allowed_hosts.iter().any(|entry| entry.matches(url))
    }
}
