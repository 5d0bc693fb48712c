//! `http`: the sandboxed outbound HTTP capability. Policy (allowlist,
//! address filtering, timeouts, size cap, secret injection) lives in
//! `switchboard-http`; this file maps types, journals the exchange and keeps
//! the time spent waiting out of the guest's time budget.

use std::time::{Duration, Instant};

use switchboard_http::{HttpError, Request, SecretHeader, redact_request_summary};

use super::NOT_DURING_PREPARE;
use crate::bindings::http::{Error, Host, Request as WitRequest, Response};
use crate::host_state::HostState;

impl Host for HostState {
    async fn send(&mut self, req: WitRequest) -> Result<Response, Error> {
        let Some(ctx) = self.ctx.clone() else {
            return Err(Error::Denied(NOT_DURING_PREPARE.into()));
        };
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
        let result = ctx.http.send(request, &ctx.secrets).await;
        let elapsed = started.elapsed();
        self.budget.add_host_time(elapsed);
        match result {
            Ok(resp) => {
                self.journal.record_http(summary, Ok(resp.status), elapsed);
                Ok(Response {
                    status: resp.status,
                    headers: resp.headers,
                    body: resp.body,
                })
            }
            Err(err) => {
                let text = ctx.redact(&err.to_string());
                self.journal
                    .record_http(summary, Err(text.clone()), elapsed);
                Err(match err {
                    HttpError::Denied(_) => Error::Denied(text),
                    HttpError::Timeout(_) => Error::Timeout(text),
                    HttpError::Connect(_) => Error::Connect(text),
                    HttpError::Tls(_) => Error::Tls(text),
                    HttpError::TooLarge { limit } => Error::TooLarge(limit),
                    HttpError::InvalidRequest(_) => Error::InvalidRequest(text),
                })
            }
        }
    }
}
