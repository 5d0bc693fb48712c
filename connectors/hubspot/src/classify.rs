//! `classify-error`: HubSpot error responses to the host's error classes,
//! from the real bodies in `crm-api-facts.md` §1.2-1.3. Pure. The body may
//! be JSON of any shape, other text, truncated or empty: every field is
//! treated as optional, as HubSpot's own docs advise.

use serde_json::Value as Json;
use switchboard_sdk::prelude::*;

/// How long a burst limit is waited out when HubSpot sends no
/// `Retry-After`: one full window of the named policy, after which a
/// rolling window has surely drained. Unknown policies get `None` (the
/// host's backoff decides).
fn default_burst_wait_ms(policy: &str) -> Option<u64> {
    match policy {
        "TEN_SECONDLY_ROLLING" => Some(10_000),
        "SECONDLY" => Some(1_000),
        _ => None,
    }
}

/// Longest slice of a non-JSON body quoted in a reason.
const MAX_QUOTE: usize = 200;

/// Classifies one HubSpot error response.
///
/// 429 `DAILY` is a daily limit, any other 429 a burst limit; 401 auth;
/// 403 permission (with the missing scopes); 404 or `OBJECT_NOT_FOUND`,
/// and a 400 naming invalid association ids, not found; other 400s
/// validation naming the property; 409 duplicate with the id from
/// "Existing ID: N"; 408, 425, 477 and 5xx transient; the rest permanent.
pub fn classify(resp: &CrmResponse) -> ErrorClass {
    let body = Body::parse(&resp.body);
    let after = errors::retry_after_ms(resp);
    match resp.status {
        429 => rate_limited(&body, after),
        401 => ErrorClass::Auth(auth_reason(&body)),
        403 => ErrorClass::Permission(permission_reason(&body)),
        404 => ErrorClass::NotFound(body.summary()),
        409 => {
            ErrorClass::Duplicate(existing_id(body.message()).or_else(|| existing_id(&body.text)))
        }
        400 if body.sub_category().contains("INVALID_OBJECT_IDS") => {
            ErrorClass::NotFound(body.summary())
        }
        400 => validation(&body),
        408 | 425 | 477 | 500..=599 => ErrorClass::Transient(after),
        _ if body.category() == "OBJECT_NOT_FOUND" => ErrorClass::NotFound(body.summary()),
        s => ErrorClass::Permanent(format!(
            "status {s}: {}{}",
            body.summary(),
            body.correlation()
        )),
    }
}

/// `CATEGORY: message (correlation id "...")` of an error body, or the
/// start of its text when it is not JSON: for reasons that quote HubSpot.
pub(crate) fn summary(body: &[u8]) -> String {
    let body = Body::parse(body);
    format!("{}{}", body.summary(), body.correlation())
}

/// The id in HubSpot's conflict message `"... Existing ID: 37765128953"`.
pub(crate) fn existing_id(text: &str) -> Option<String> {
    const MARK: &str = "existing id:";
    let at = text.to_ascii_lowercase().find(MARK)? + MARK.len();
    let id: String = text
        .get(at..)?
        .trim_start()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    (!id.is_empty()).then_some(id)
}

fn rate_limited(body: &Body, after: Option<u64>) -> ErrorClass {
    let policy = body.str("policyName").unwrap_or_default();
    let daily = policy == "DAILY"
        || (policy.is_empty() && body.message().to_ascii_lowercase().contains("daily limit"));
    if daily {
        return errors::rate_limited_daily(after, "DAILY");
    }
    let name = if policy.is_empty() { "unknown" } else { policy };
    errors::rate_limited_burst(after.or_else(|| default_burst_wait_ms(policy)), name)
}

fn auth_reason(body: &Body) -> String {
    let what = match body.category() {
        "EXPIRED_AUTHENTICATION" => {
            "expired token (EXPIRED_AUTHENTICATION): refresh it or replace the \"hubspot-token\" secret"
        }
        "INVALID_AUTHENTICATION" => {
            "invalid or missing token (INVALID_AUTHENTICATION): check the \"hubspot-token\" secret"
        }
        _ => "authentication failed (status 401)",
    };
    format!(
        "{what}; hubspot said: {}{}",
        body.summary(),
        body.correlation()
    )
}

fn permission_reason(body: &Body) -> String {
    if body.category() != "MISSING_SCOPES" {
        return format!("status 403: {}{}", body.summary(), body.correlation());
    }
    let mut scopes: Vec<String> = Vec::new();
    for ctx in body.detail_contexts() {
        for key in ["requiredScopes", "requiredGranularScopes"] {
            scopes.extend(strings(ctx.get(key)));
        }
    }
    scopes.dedup();
    format!(
        "the token lacks required scopes {scopes:?} (MISSING_SCOPES): grant them to the app{}",
        body.correlation()
    )
}

fn validation(body: &Body) -> ErrorClass {
    let field = property_name(body).unwrap_or_default();
    let detail = body
        .details()
        .find_map(|d| d.get("message").and_then(Json::as_str))
        .filter(|m| !field.is_empty() && m.contains(field.as_str()));
    let reason = match detail {
        Some(m) => m.to_string(),
        None => body.summary(),
    };
    if !field.is_empty() && property_is_gone(body) {
        return errors::field_removed(&field, reason);
    }
    errors::validation(&field, reason)
}

/// Whether a 400 says a property does not exist (deleted from the portal):
/// `PROPERTY_DOESNT_EXIST` in a detail's `code` or `error`, or the
/// `Property "x" does not exist` text anywhere.
fn property_is_gone(body: &Body) -> bool {
    let coded = body.details().any(|d| {
        ["code", "error"]
            .iter()
            .any(|k| d.get(*k).and_then(Json::as_str) == Some("PROPERTY_DOESNT_EXIST"))
    });
    let validation_results = body
        .json
        .as_ref()
        .and_then(|j| j.get("validationResults"))
        .and_then(Json::as_array)
        .is_some_and(|items| {
            items
                .iter()
                .any(|i| i.get("error").and_then(Json::as_str) == Some("PROPERTY_DOESNT_EXIST"))
        });
    coded || validation_results || body.message().contains("does not exist")
}

/// The property a 400 complains about, from wherever HubSpot put it:
/// `errors[].context.propertyName`, v1 `validationResults[].name`, the JSON
/// list inside "Property values were not valid: [...]", a
/// `Property "x" does not exist` text, or `context.properties`.
fn property_name(body: &Body) -> Option<String> {
    let from_context = body
        .detail_contexts()
        .find_map(|c| strings(c.get("propertyName")).into_iter().next());
    let from_details = || {
        body.details()
            .filter_map(|d| d.get("name").and_then(Json::as_str))
            .find(|n| !n.is_empty())
            .map(str::to_string)
    };
    let from_messages = || {
        std::iter::once(body.message())
            .chain(
                body.details()
                    .filter_map(|d| d.get("message").and_then(Json::as_str)),
            )
            .find_map(name_in_message)
    };
    let from_required = || {
        body.json
            .as_ref()
            .and_then(|j| strings(j.pointer("/context/properties")).into_iter().next())
    };
    from_context
        .or_else(from_details)
        .or_else(from_messages)
        .or_else(from_required)
}

/// `Property values were not valid: [{"name":"x",...}]` or `Property "x" does not exist`.
fn name_in_message(message: &str) -> Option<String> {
    if let Some((_, list)) = message.split_once("not valid:")
        && let Ok(Json::Array(items)) = serde_json::from_str::<Json>(list.trim())
        && let Some(name) = items
            .iter()
            .find_map(|i| i.get("name").and_then(Json::as_str))
    {
        return Some(name.to_string());
    }
    let plain = message.replace("\\\"", "\"");
    let (_, rest) = plain.split_once("Property \"")?;
    let (name, _) = rest.split_once('"')?;
    (!name.is_empty()).then(|| name.to_string())
}

/// A JSON string or list of strings as a list.
fn strings(v: Option<&Json>) -> Vec<String> {
    match v {
        Some(Json::String(s)) => vec![s.clone()],
        Some(Json::Array(items)) => items
            .iter()
            .filter_map(Json::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

/// A response body, JSON if it parses, always also as lossy text.
struct Body {
    json: Option<Json>,
    text: String,
}

impl Body {
    fn parse(bytes: &[u8]) -> Self {
        Body {
            json: serde_json::from_slice(bytes).ok(),
            text: String::from_utf8_lossy(bytes).trim().to_string(),
        }
    }
    fn str(&self, key: &str) -> Option<&str> {
        self.json.as_ref()?.get(key)?.as_str()
    }
    fn category(&self) -> &str {
        self.str("category").unwrap_or_default()
    }
    fn sub_category(&self) -> &str {
        self.str("subCategory").unwrap_or_default()
    }
    fn message(&self) -> &str {
        self.str("message").unwrap_or_default()
    }
    /// Entries of `errors[]` (v3) and `validationResults[]` (v1).
    fn details(&self) -> impl Iterator<Item = &Json> {
        ["errors", "validationResults"]
            .into_iter()
            .filter_map(|k| self.json.as_ref()?.get(k)?.as_array())
            .flatten()
    }
    /// The top-level `context` and every detail's `context`.
    fn detail_contexts(&self) -> impl Iterator<Item = &Json> {
        self.json
            .as_ref()
            .and_then(|j| j.get("context"))
            .into_iter()
            .chain(self.details().filter_map(|d| d.get("context")))
    }
    /// `CATEGORY: message` as far as known; for a non-JSON body the
    /// start of its text.
    fn summary(&self) -> String {
        let (category, message) = (self.category(), self.message());
        if !message.is_empty() && !category.is_empty() {
            format!("{category}: {message}")
        } else if !message.is_empty() {
            message.to_string()
        } else if !category.is_empty() {
            category.to_string()
        } else if self.text.is_empty() {
            "empty body".to_string()
        } else {
            format!("{:?}", truncate(&self.text, MAX_QUOTE))
        }
    }
    fn correlation(&self) -> String {
        self.str("correlationId")
            .map(|id| format!(" (correlation id {id:?})"))
            .unwrap_or_default()
    }
}

/// At most `max` bytes of `s`, cut at a character boundary.
fn truncate(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}
