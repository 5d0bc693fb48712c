//! [`OutboundHttp`]: one sandboxed client per deployment policy.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tracing::Instrument;
use tracing::field::Empty;

use crate::error::{BuildError, HttpError, TimeoutPhase, classify};
use crate::phases::PhaseTimeoutLayer;
use crate::policy::HttpPolicy;
use crate::prepare::{Prepared, prepare};
use crate::request::{Request, Response, shown_method};
use crate::resolver::PolicyResolver;
use crate::secrets::Secrets;
use crate::tls;

/// How long an idle pooled connection is kept.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// Largest up-front allocation for a response body, whatever its Content-Length says.
const MAX_INITIAL_BODY_CAPACITY: u64 = 64 * 1024;

/// The outbound HTTP capability for one deployment: allowlist, address
/// filtering, timeouts, size caps and secret injection around a reqwest client.
///
/// No proxy is used (environment proxies are ignored), redirects are returned
/// to the caller instead of followed, cookies are not stored, and reqwest's own
/// retries are off: retry policy belongs to the runtime. Cloning is cheap and
/// shares the connection pool.
#[derive(Clone)]
pub struct OutboundHttp {
    client: reqwest::Client,
    policy: Arc<HttpPolicy>,
}

impl fmt::Debug for OutboundHttp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutboundHttp")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl OutboundHttp {
    /// Builds the client for `policy`. Fails on a zero timeout or if TLS cannot be set up.
    pub fn new(policy: HttpPolicy) -> Result<Self, BuildError> {
        for (name, value) in [
            ("connect_timeout", policy.connect_timeout),
            ("tls_timeout", policy.tls_timeout),
            ("total_timeout", policy.total_timeout),
        ] {
            if value.is_zero() {
                return Err(BuildError::InvalidPolicy(format!(
                    "{name} must be greater than zero"
                )));
            }
        }
        let client = reqwest::Client::builder()
            .use_preconfigured_tls(tls::client_config()?)
            .dns_resolver(Arc::new(PolicyResolver {
                allow_private: policy.allow_private_addresses,
            }))
            .connector_layer(PhaseTimeoutLayer {
                connect: policy.connect_timeout,
                tls: policy.tls_timeout,
            })
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .retry(reqwest::retry::never())
            .referer(false)
            .user_agent(concat!("switchboard/", env!("CARGO_PKG_VERSION")))
            .pool_idle_timeout(POOL_IDLE_TIMEOUT)
            .build()
            .map_err(|e| BuildError::Client(e.to_string()))?;
        Ok(Self {
            client,
            policy: Arc::new(policy),
        })
    }

    /// The policy this client enforces.
    pub fn policy(&self) -> &HttpPolicy {
        &self.policy
    }

    /// Checks `req` against the policy, injects secret headers from `secrets`,
    /// sends it and reads the whole response within the policy's limits.
    ///
    /// Runs in the `connector.http.send` span with `method`, `host`, `status`
    /// and `duration_ms` (and `error` on failure); never headers or bodies.
    pub async fn send(&self, req: Request, secrets: &Secrets) -> Result<Response, HttpError> {
        let span = tracing::info_span!(
            "connector.http.send",
            method = shown_method(&req.method),
            host = Empty,
            status = Empty,
            duration_ms = Empty,
            error = Empty,
        );
        let started = Instant::now();
        let result = self.send_inner(req, secrets).instrument(span.clone()).await;
        let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        span.record("duration_ms", duration_ms);
        let _entered = span.enter();
        match &result {
            Ok(resp) => tracing::debug!(status = resp.status, duration_ms, "http request done"),
            Err(err) => {
                span.record("error", tracing::field::display(err));
                tracing::debug!(error = %err, duration_ms, "http request failed");
            }
        }
        result
    }

    async fn send_inner(&self, req: Request, secrets: &Secrets) -> Result<Response, HttpError> {
        let Prepared {
            method,
            url,
            host,
            headers,
            body,
            timeout,
        } = prepare(req, &self.policy, secrets)?;
        tracing::Span::current().record("host", host.as_str());
        let mut builder = self.client.request(method, url).headers(headers);
        if let Some(body) = body {
            builder = builder.body(body);
        }
        let request = builder.build().map_err(|e| {
            HttpError::InvalidRequest(format!("request could not be built: {}", e.without_url()))
        })?;
        match tokio::time::timeout(timeout, self.exchange(request, &host)).await {
            Ok(result) => result,
            Err(_elapsed) => Err(HttpError::Timeout {
                phase: TimeoutPhase::Total,
                limit: timeout,
                detail: format!("request to {host:?} timed out after {timeout:?}"),
            }),
        }
    }

    /// Sends and reads the body, stopping as soon as it would pass the cap.
    async fn exchange(&self, request: reqwest::Request, host: &str) -> Result<Response, HttpError> {
        let limit = self.policy.max_response_bytes;
        let mut resp = self
            .client
            .execute(request)
            .await
            .map_err(|e| classify(&e, host))?;
        let status = resp.status().as_u16();
        tracing::Span::current().record("status", status);
        if resp.content_length().is_some_and(|len| len > limit) {
            return Err(HttpError::TooLarge { limit });
        }
        let headers = resp
            .headers()
            .iter()
            .map(|(name, value)| {
                let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
                (name.as_str().to_owned(), value)
            })
            .collect();
        let capacity = resp
            .content_length()
            .unwrap_or(0)
            .min(MAX_INITIAL_BODY_CAPACITY);
        let mut body = Vec::with_capacity(usize::try_from(capacity).unwrap_or(0));
        while let Some(chunk) = resp.chunk().await.map_err(|e| classify(&e, host))? {
            if (body.len() as u64).saturating_add(chunk.len() as u64) > limit {
                return Err(HttpError::TooLarge { limit });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Response {
            status,
            headers,
            body,
        })
    }
}
