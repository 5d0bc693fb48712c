//! 401 and 403 bodies.

use serde_json::json;
use switchboard_hubspot_sim::SimConfig;

use crate::common::*;

fn cfg() -> SimConfig {
    SimConfig {
        expired_tokens: vec!["old-token".into()],
        scopeless_tokens: vec!["no-scopes".into()],
        ..Default::default()
    }
}

#[tokio::test]
async fn missing_or_unknown_token_is_invalid_authentication() {
    let sim = start(cfg()).await;
    for token in [None, Some("not-a-token")] {
        let resp = send(&sim, "GET", "/crm/v3/objects/contacts/1", token, None).await;
        assert_eq!(resp.status, 401);
        assert_eq!(assert_error_shape(&resp), "INVALID_AUTHENTICATION");
        assert!(
            resp.body["message"]
                .as_str()
                .unwrap()
                .starts_with("Authentication credentials not found.")
        );
        assert!(resp.header("x-request-id").is_some());
    }
    // Unauthenticated requests are not charged to any quota.
    assert_eq!(sim.snapshot().daily_used, 0);
}

#[tokio::test]
async fn expired_token_is_expired_authentication() {
    let sim = start(cfg()).await;
    let resp = send(
        &sim,
        "GET",
        "/crm/v3/objects/contacts",
        Some("old-token"),
        None,
    )
    .await;
    assert_eq!(resp.status, 401);
    assert_eq!(assert_error_shape(&resp), "EXPIRED_AUTHENTICATION");
    let message = resp.body["message"].as_str().unwrap();
    assert!(
        message.starts_with("The OAuth token used to make this call expired "),
        "{message}"
    );
}

#[tokio::test]
async fn scopeless_token_is_missing_scopes() {
    let sim = start(cfg()).await;
    let resp = send(
        &sim,
        "POST",
        "/crm/v3/objects/contacts",
        Some("no-scopes"),
        Some(json!({ "properties": { "email": "s@example.com" } })),
    )
    .await;
    assert_eq!(resp.status, 403);
    assert_eq!(assert_error_shape(&resp), "MISSING_SCOPES");
    assert_eq!(
        resp.body["message"],
        "This app hasn't been granted all required scopes to make this call. Read more about required scopes here: https://developers.hubspot.com/scopes."
    );
    assert_eq!(
        resp.body["errors"][0]["message"],
        "One or more of the following scopes are required."
    );
    assert_eq!(
        resp.body["errors"][0]["context"]["requiredScopes"],
        json!(["crm.objects.contacts.write"])
    );
    assert_eq!(
        resp.body["links"]["scopes"],
        "https://developers.hubspot.com/scopes"
    );
    assert!(sim.snapshot().contacts.is_empty());
}
