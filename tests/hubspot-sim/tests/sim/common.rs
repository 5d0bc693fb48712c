//! Shared helpers: start a simulator, send JSON requests.

use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use switchboard_hubspot_sim::{SimConfig, SimHandle, Simulator};

pub const TOKEN: &str = "sim-token";

/// A parsed response.
pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

pub async fn start(cfg: SimConfig) -> SimHandle {
    Simulator::start(cfg).await.expect("simulator starts")
}

pub async fn start_default() -> SimHandle {
    start(SimConfig::default()).await
}

/// Sends a request with an optional bearer token and JSON body.
pub async fn send(
    sim: &SimHandle,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Resp {
    let client = reqwest::Client::new();
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut req = client.request(method, format!("{}{path}", sim.base_url()));
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    if let Some(body) = body {
        req = req.json(&body);
    }
    let resp = req.send().await.expect("request succeeds");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.expect("body");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    Resp {
        status,
        headers,
        body,
    }
}

pub async fn post(sim: &SimHandle, path: &str, body: Value) -> Resp {
    send(sim, "POST", path, Some(TOKEN), Some(body)).await
}

pub async fn get(sim: &SimHandle, path: &str) -> Resp {
    send(sim, "GET", path, Some(TOKEN), None).await
}

/// Creates a contact and returns its id (asserting 201).
pub async fn create_contact(sim: &SimHandle, properties: Value) -> String {
    let resp = post(
        sim,
        "/crm/v3/objects/contacts",
        json!({ "properties": properties }),
    )
    .await;
    assert_eq!(resp.status, 201, "create failed: {}", resp.body);
    resp.body["id"].as_str().expect("id").to_owned()
}

/// A search with one EQ filter.
pub async fn search_eq(sim: &SimHandle, property: &str, value: &str) -> Resp {
    post(
        sim,
        "/crm/v3/objects/contacts/search",
        json!({
            "filterGroups": [{ "filters": [
                { "propertyName": property, "operator": "EQ", "value": value }
            ]}],
            "properties": [property],
        }),
    )
    .await
}

/// Asserts the common HubSpot error shape and returns the category.
pub fn assert_error_shape(resp: &Resp) -> String {
    assert_eq!(resp.body["status"], "error", "body: {}", resp.body);
    let correlation = resp.body["correlationId"].as_str().expect("correlationId");
    assert_eq!(resp.header("x-hubspot-correlation-id"), Some(correlation));
    assert!(resp.body["message"].is_string());
    resp.body["category"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Checks HubSpot's TEN_SECONDLY_ROLLING 429 (crm-api-facts §1.2) for portal 777, with
/// `Retry-After: 1` and the correlation id echoed in its header.
pub fn assert_ten_secondly_429(limited: &Resp) {
    assert_eq!(limited.status, 429);
    assert_eq!(limited.body["status"], "error");
    assert_eq!(
        limited.body["message"],
        "You have reached your ten_secondly_rolling limit."
    );
    assert_eq!(limited.body["errorType"], "RATE_LIMIT");
    assert_eq!(limited.body["policyName"], "TEN_SECONDLY_ROLLING");
    assert_eq!(
        limited.body["groupName"],
        "publicapi:private-app-api-calls-ten-secondly:777"
    );
    assert_eq!(
        limited.body["correlationId"].as_str(),
        limited.header("x-hubspot-correlation-id")
    );
    assert_eq!(limited.header("retry-after"), Some("1"));
}
