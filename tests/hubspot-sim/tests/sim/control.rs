//! The `/__sim/` HTTP control API and shutdown.

use serde_json::{Value, json};
use switchboard_hubspot_sim::Snapshot;

use crate::common::*;

async fn control(
    sim: &switchboard_hubspot_sim::SimHandle,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> Resp {
    send(sim, method, path, None, body).await
}

#[tokio::test]
async fn http_state_matches_snapshot() {
    let sim = start_default().await;
    create_contact(&sim, json!({ "email": "h@example.com" })).await;
    let resp = control(&sim, "GET", "/__sim/state", None).await;
    assert_eq!(resp.status, 200);
    let over_http: Snapshot = serde_json::from_value(resp.body).unwrap();
    assert_eq!(over_http, sim.snapshot());
    assert_eq!(over_http.requests, 1);
    assert_eq!(over_http.contacts[0].properties["email"], "h@example.com");
}

#[tokio::test]
async fn http_control_seeds_archives_faults_removes_and_resets() {
    let sim = start_default().await;
    let seeded = control(
        &sim,
        "POST",
        "/__sim/contacts",
        Some(json!({ "properties": { "email": "typed@example.com", "phone": "555 0100" } })),
    )
    .await;
    assert_eq!(seeded.status, 201);
    let id = seeded.body["id"].as_str().unwrap().to_owned();
    assert_eq!(search_eq(&sim, "phone", "555 0100").await.body["total"], 1);

    let fault = control(
        &sim,
        "POST",
        "/__sim/faults",
        Some(json!({ "path_prefix": "/crm/v3/objects/contacts/search",
                     "action": { "respond": { "status": 502, "body": "" } } })),
    )
    .await;
    assert_eq!(fault.status, 200);
    assert_eq!(search_eq(&sim, "phone", "555 0100").await.status, 502);

    let removed = control(
        &sim,
        "POST",
        "/__sim/properties/remove",
        Some(json!({ "object": "contacts", "name": "phone" })),
    )
    .await;
    assert_eq!(removed.status, 200);
    assert_eq!(search_eq(&sim, "phone", "555 0100").await.status, 400);

    let archived = control(&sim, "DELETE", &format!("/__sim/contacts/{id}"), None).await;
    assert_eq!(archived.status, 200);
    assert!(sim.snapshot().contacts[0].archived);
    let again = control(&sim, "DELETE", &format!("/__sim/contacts/{id}"), None).await;
    assert_eq!(again.status, 404);

    let reset = control(&sim, "POST", "/__sim/reset", None).await;
    assert_eq!(reset.status, 200);
    let snap = sim.snapshot();
    assert!(snap.contacts.is_empty() && snap.removed_properties.is_empty());
    assert_eq!(snap.requests, 0);
    assert_eq!(search_eq(&sim, "phone", "x").await.status, 200);
}

#[tokio::test]
async fn shutdown_stops_the_server() {
    let sim = start_default().await;
    let url = format!("{}/__sim/state", sim.base_url());
    assert!(reqwest::get(&url).await.is_ok());
    sim.shutdown().await;
    let err = reqwest::get(&url).await.expect_err("server is gone");
    assert!(err.is_connect(), "{err:?}");
}

#[tokio::test]
async fn dropping_the_last_handle_stops_the_server() {
    let sim = start_default().await;
    let url = format!("{}/__sim/state", sim.base_url());
    let clone = sim.clone();
    drop(sim);
    assert!(reqwest::get(&url).await.is_ok(), "a clone keeps it alive");
    drop(clone);
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    assert!(reqwest::get(&url).await.is_err());
}
