//! `http`: the sandboxed outbound HTTP capability. Policy (allowlist,
//! address filtering, timeouts, size cap, secret injection) lives in
//! `switchboard-http`; this file spends the request's cost from the
//! deployment's rate-limit budgets first, maps types, journals the exchange
//! and keeps the time spent waiting out of the guest's time budget.

use std::time::{Duration, Instant};

use switchboard_http::{HttpError, Request, SecretHeader, TimeoutPhase, redact_request_summary};
use switchboard_limits::AcquireError;

use super::NOT_DURING_PREPARE;
use crate::bindings::http::{
    Error, Host, Request as WitRequest, Response, Throttled, Timeout, TimeoutPhase as WitPhase,
};
use crate::host_state::HostState;
use crate::limits::HostCall;

impl Host for HostState {
    async fn send(&mut self, req: WitRequest) -> Result<Response, Error> {
        self.observed.call("http.send");
        for h in &req.secret_headers {
            self.observed.secret(&h.secret);
        }
        let Some(ctx) = self.ctx.clone() else {
            return Err(Error::Denied(NOT_DURING_PREPARE.into()));
        };
        let method = req.method.to_ascii_uppercase();
        let path = switchboard_http::Url::parse(&req.url)
            .map(|u| u.path().to_owned())
            .ok();
        let request = Request {
            method: req.method,
            url: req.url,
            headers: req.headers,
            secret_headers: req
                .secret_headers
                .into_iter()
                .map(|h| SecretHeader {
                    header: h.name,
                    secret: h.secret,
                    prefix: h.prefix,
                })
                .collect(),
            body: req.body,
            timeout: req
                .timeout_ms
                .map(|ms| Duration::from_millis(u64::from(ms))),
        };
        let summary = ctx.redact(&redact_request_summary(&request));
        let started = Instant::now();
        // Waiting on the limiter and the CRM is not guest time; the guard ends the
        // excuse on every return (and if the call is cancelled).
        let budget = self.budget.clone();
        let _excused = HostCall::start(&budget);
        // No guest code runs while this waits: the tenant's CPU slot goes to another unit.
        if let Some(cpu) = &self.cpu {
            cpu.release();
        }
        // An unparsable URL costs nothing: `send` refuses it without touching the network.
        let permit = match &path {
            Some(path) => match ctx.limiter.acquire(&method, path).await {
                Ok(permit) => Some(permit),
                Err(refused) => {
                    let elapsed = started.elapsed();
                    let text = refused.to_string();
                    self.journal
                        .record_http(summary, Err(text.clone()), None, elapsed);
                    return Err(match refused {
                        AcquireError::Throttled { wait, cause } => {
                            self.journal.throttle(millis(wait), cause.clone());
                            Error::Throttled(Throttled {
                                wait_ms: millis(wait),
                                budget: cause,
                            })
                        }
                        AcquireError::TooCostly { .. } => Error::Denied(text),
                    });
                }
            },
            None => None,
        };
        let result = ctx.http.send(request, &ctx.secrets).await;
        if let Some(permit) = permit {
            permit.complete();
        }
        let elapsed = started.elapsed();
        match result {
            Ok(resp) => {
                self.journal
                    .record_http(summary, Ok(resp.status), None, elapsed);
                Ok(Response {
                    status: resp.status,
                    headers: resp.headers,
                    body: resp.body,
                })
            }
            Err(err) => {
                // The guest gets the error as it is, never redacted: a redacted echo of
                // its own request would tell it which guess was a secret. The journal,
                // which operators read, gets the redacted text.
                let text = err.to_string();
                self.journal.record_http(
                    summary,
                    Err(ctx.redact(&text)),
                    Some(failure_kind(&err)),
                    elapsed,
                );
                Err(match err {
                    HttpError::Denied(_) => Error::Denied(text),
                    HttpError::Timeout { phase, limit, .. } => Error::Timeout(Timeout {
                        phase: match phase {
                            TimeoutPhase::Connect => WitPhase::Connect,
                            TimeoutPhase::TlsHandshake => WitPhase::TlsHandshake,
                            TimeoutPhase::Total => WitPhase::Total,
                        },
                        limit_ms: millis(limit),
                    }),
                    HttpError::Connect(_) => Error::Connect(text),
                    HttpError::Tls(_) => Error::Tls(text),
                    HttpError::TooLarge { limit } => Error::TooLarge(limit),
                    HttpError::InvalidRequest(_) => Error::InvalidRequest(text),
                })
            }
        }
    }
}

/// The host's own name for a transport failure, kept in the journal so the audit log
/// tells a slow TLS handshake from a slow CRM whatever the connector made of it.
fn failure_kind(err: &HttpError) -> &'static str {
    match err {
        HttpError::Timeout { phase, .. } => match phase {
            TimeoutPhase::Connect => "timeout-connect",
            TimeoutPhase::TlsHandshake => "timeout-tls-handshake",
            TimeoutPhase::Total => "timeout-total",
        },
        HttpError::Connect(_) => "connect-failed",
        HttpError::Tls(_) => "tls-failed",
        HttpError::Denied(_) => "denied",
        HttpError::TooLarge { .. } => "too-large",
        HttpError::InvalidRequest(_) => "invalid-request",
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_failure_name_is_one_the_journal_lists() {
        let timeout = |phase| HttpError::Timeout {
            phase,
            limit: Duration::from_secs(1),
            detail: String::new(),
        };
        let names: Vec<&str> = [
            HttpError::Denied(String::new()),
            timeout(TimeoutPhase::Connect),
            timeout(TimeoutPhase::TlsHandshake),
            timeout(TimeoutPhase::Total),
            HttpError::Connect(String::new()),
            HttpError::Tls(String::new()),
            HttpError::TooLarge { limit: 1 },
            HttpError::InvalidRequest(String::new()),
        ]
        .iter()
        .map(failure_kind)
        .collect();
        assert_eq!(names, crate::TRANSPORT_FAILURES);
    }
}
