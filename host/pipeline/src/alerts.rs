//! The dead-letter alert: every new entry bumps a counter and, when configured, is posted
//! as JSON to a webhook. A failing webhook is logged and counted, never retried forever and
//! never in the way of delivery.

use std::sync::Arc;
use std::time::Duration;

use switchboard_http::{AllowedHost, HttpPolicy, OutboundHttp, Request, Secrets};

use crate::metrics::Metrics;

/// Where DLQ alerts go.
#[derive(Clone)]
pub struct Alerts {
    metrics: Arc<Metrics>,
    webhook: Option<Webhook>,
}

#[derive(Clone)]
struct Webhook {
    url: String,
    http: OutboundHttp,
}

impl Alerts {
    /// Alerts that only count, or also post to `webhook_url`.
    pub fn new(
        metrics: Arc<Metrics>,
        webhook_url: Option<&str>,
        timeout: Duration,
    ) -> Result<Self, String> {
        let webhook = match webhook_url {
            None => None,
            Some(url) => Some(Webhook {
                url: url.to_owned(),
                http: webhook_client(url, timeout)?,
            }),
        };
        Ok(Self { metrics, webhook })
    }

    /// A record was dead-lettered; `summary` is the JSON posted to the webhook.
    pub fn dead_lettered(&self, summary: serde_json::Value) {
        Metrics::inc(&self.metrics.dead_lettered);
        let Some(hook) = self.webhook.clone() else {
            return;
        };
        let metrics = self.metrics.clone();
        tokio::spawn(async move {
            let req = Request {
                method: "POST".into(),
                url: hook.url.clone(),
                headers: vec![("content-type".into(), "application/json".into())],
                body: Some(summary.to_string().into_bytes()),
                ..Request::default()
            };
            let failure = match hook.http.send(req, &Secrets::new()).await {
                Ok(resp) if (200..300).contains(&resp.status) => None,
                Ok(resp) => Some(format!("status {}", resp.status)),
                Err(e) => Some(e.to_string()),
            };
            if let Some(why) = failure {
                Metrics::inc(&metrics.webhook_failures);
                tracing::warn!(url = %hook.url, error = %why, "dead-letter webhook failed");
            }
        });
    }
}

/// An HTTP client allowed to reach exactly the webhook's scheme, host and port. The
/// operator configured it, so private addresses (a local alert relay) are allowed.
fn webhook_client(url: &str, timeout: Duration) -> Result<OutboundHttp, String> {
    let parsed = switchboard_http::Url::parse(url).map_err(|e| format!("webhook url: {e}"))?;
    let host = parsed.host_str().ok_or("webhook url has no host")?;
    let port = parsed
        .port_or_known_default()
        .ok_or("webhook url has no port")?;
    let host = if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.to_owned()
    };
    let entry: AllowedHost = format!("{}://{host}:{port}", parsed.scheme())
        .parse()
        .map_err(|e| format!("webhook url: {e}"))?;
    OutboundHttp::new(HttpPolicy {
        allowed_hosts: vec![entry],
        allow_private_addresses: true,
        allow_secrets_over_http: false,
        connect_timeout: timeout,
        tls_timeout: timeout,
        total_timeout: timeout,
        max_response_bytes: 64 * 1024,
        max_request_bytes: 1024 * 1024,
    })
    .map_err(|e| format!("webhook client: {e}"))
}
