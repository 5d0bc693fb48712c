//! The sandboxed outbound HTTP capability Switchboard gives untrusted
//! WebAssembly connectors (`switchboard:connector/http`).
//!
//! A plain async Rust API; the runtime maps it to the WIT types. Every request
//! passes, in order and before any I/O: method, URL and header validation; the
//! deny-by-default scheme + host + port allowlist; the address policy for
//! IP-literal hosts; and secret injection (by name, from [`Secrets`]). During
//! I/O, DNS answers are filtered by the address policy (loopback, private,
//! link-local, metadata and similar addresses are refused unless the policy
//! allows them), new connections get separate connect and TLS-handshake
//! budgets (see the `phases` module), the whole exchange gets a total budget,
//! and the response body is capped while it streams in.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use switchboard_http::{HttpPolicy, OutboundHttp, Request, SecretHeader, Secrets};
//!
//! let policy = HttpPolicy {
//!     allowed_hosts: vec!["https://api.hubapi.com".parse()?],
//!     ..HttpPolicy::default()
//! };
//! let http = OutboundHttp::new(policy)?;
//! let secrets: Secrets = [("hubspot-token", "pat-...")].into_iter().collect();
//! let resp = http
//!     .send(
//!         Request {
//!             method: "GET".into(),
//!             url: "https://api.hubapi.com/crm/v3/objects/contacts".into(),
//!             secret_headers: vec![SecretHeader {
//!                 header: "authorization".into(),
//!                 secret: "hubspot-token".into(),
//!                 prefix: "Bearer ".into(),
//!             }],
//!             ..Request::default()
//!         },
//!         &secrets,
//!     )
//!     .await?;
//! println!("{}", resp.status);
//! # Ok(())
//! # }
//! ```

#![warn(missing_docs)]

mod address;
mod allowlist;
mod client;
mod error;
mod phases;
mod policy;
mod prepare;
mod request;
mod resolver;
mod secrets;
mod tls;

pub use address::{AddressClass, classify as classify_address};
pub use allowlist::{AllowedHost, AllowedHostError};
pub use client::OutboundHttp;
pub use error::{BuildError, HttpError, TimeoutPhase};
pub use policy::HttpPolicy;
pub use request::{Request, Response, SecretHeader, redact_request_summary};
pub use secrets::Secrets;
pub use url::Url;
