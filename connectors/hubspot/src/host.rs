//! What `push` needs from the host, behind a trait so the push logic runs
//! natively in tests against a scripted fake.

use serde_json::Value as Json;
use switchboard_sdk::http::{HttpError, Request, Response};
use switchboard_sdk::prelude::*;
use switchboard_sdk::state::StateError;

/// Default for config `base-url`.
pub(crate) const DEFAULT_BASE_URL: &str = "https://api.hubapi.com";
/// Default for config `default-region`.
pub(crate) const DEFAULT_REGION: &str = "US";
/// The secret holding the private-app or OAuth access token.
pub(crate) const TOKEN_SECRET: &str = "hubspot-token";

/// The host capabilities `push` uses.
pub(crate) trait Host {
    /// Sends a request to HubSpot (`path` below the base URL), with a JSON
    /// body when `body` is given.
    fn send(
        &mut self,
        method: &str,
        path: &str,
        body: Option<&Json>,
    ) -> Result<Response, HttpError>;
    /// Reads a `state` value.
    fn state_get(&mut self, key: &str) -> Result<Option<String>, ErrorClass>;
    /// Writes a `state` value.
    fn state_set(&mut self, key: &str, value: &str) -> Result<(), ErrorClass>;
    /// Removes a `state` value.
    fn state_remove(&mut self, key: &str) -> Result<(), ErrorClass>;
    /// Notes something on the record's audit trail.
    fn annotate(&mut self, key: &str, value: &str);
    /// Logs a warning.
    fn warn(&mut self, message: &str);
    /// Region for phone numbers typed without a country code.
    fn region(&self) -> &str;
}

/// The region from config text: trimmed, upper-case, `US` when blank.
pub(crate) fn region_from(raw: Option<String>) -> String {
    let r = raw.unwrap_or_default().trim().to_ascii_uppercase();
    if r.is_empty() {
        DEFAULT_REGION.to_string()
    } else {
        r
    }
}

/// The real host, through the SDK's imports.
pub(crate) struct SdkHost {
    base_url: String,
    region: String,
}

impl SdkHost {
    /// Reads `base-url` and `default-region` from the deployment config.
    pub(crate) fn from_config() -> Self {
        let base = config::get_or("base-url", DEFAULT_BASE_URL);
        SdkHost {
            base_url: base.trim().trim_end_matches('/').to_string(),
            region: region_from(config::get("default-region")),
        }
    }
}

impl Host for SdkHost {
    fn send(
        &mut self,
        method: &str,
        path: &str,
        body: Option<&Json>,
    ) -> Result<Response, HttpError> {
        let req = Request::new(method, format!("{}{path}", self.base_url))
            .bearer_secret(TOKEN_SECRET)
            .header("accept", "application/json");
        let resp = match body {
            Some(body) => req.json(body),
            None => req,
        }
        .send()?;
        for report in crate::feedback::reports(&resp) {
            limits::report(report);
        }
        Ok(resp)
    }
    fn state_get(&mut self, key: &str) -> Result<Option<String>, ErrorClass> {
        state::get_string(key).map_err(state_class)
    }
    fn state_set(&mut self, key: &str, value: &str) -> Result<(), ErrorClass> {
        state::set_string(key, value).map_err(state_class)
    }
    fn state_remove(&mut self, key: &str) -> Result<(), ErrorClass> {
        state::remove(key).map(|_| ()).map_err(state_class)
    }
    fn annotate(&mut self, key: &str, value: &str) {
        audit::annotate(key, value);
    }
    fn warn(&mut self, message: &str) {
        log::warn(message);
    }
    fn region(&self) -> &str {
        &self.region
    }
}

/// A storage engine failure may pass (retried); a store limit will not.
fn state_class(e: StateError) -> ErrorClass {
    match e {
        StateError::Storage(m) => {
            log::warn(&format!("state storage failed: {m:?}"));
            ErrorClass::Transient(None)
        }
        other => ErrorClass::Permanent(format!("state store refused: {other:?}")),
    }
}
