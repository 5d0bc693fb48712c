//! Call creation, required properties and associations.

use serde_json::{Value, json};

use crate::common::*;

fn association(to: &str, type_id: u32) -> Value {
    json!([{ "to": { "id": to }, "types": [
        { "associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id }
    ]}])
}

#[tokio::test]
async fn creates_call_associated_to_contact() {
    let sim = start_default().await;
    let contact = create_contact(&sim, json!({ "email": "c@example.com" })).await;
    let resp = post(
        &sim,
        "/crm/v3/objects/calls",
        json!({
            "properties": {
                "hs_timestamp": "1700000000000",
                "hs_call_title": "Inbound",
                "hs_call_duration": "65000",
                "hs_call_direction": "INBOUND"
            },
            "associations": association(&contact, 194),
        }),
    )
    .await;
    assert_eq!(resp.status, 201, "{}", resp.body);
    let call = resp.body["id"].as_str().unwrap();
    let props = &resp.body["properties"];
    assert_eq!(props["hs_timestamp"], "2023-11-14T22:13:20.000Z");
    assert_eq!(props["hs_object_id"], call);
    assert!(props["hs_createdate"].is_string());
    assert_eq!(resp.body["archived"], false);

    let snap = sim.snapshot();
    assert_eq!(snap.calls.len(), 1);
    assert_eq!(snap.calls[0].associations, vec![(contact.clone(), 194)]);
    assert_eq!(snap.contacts[0].associations, vec![(call.to_owned(), 193)]);
}

#[tokio::test]
async fn call_without_hs_timestamp_is_rejected_naming_it() {
    let sim = start_default().await;
    let contact = create_contact(&sim, json!({ "email": "d@example.com" })).await;
    let resp = post(
        &sim,
        "/crm/v3/objects/calls",
        json!({
            "properties": { "hs_call_title": "No time" },
            "associations": association(&contact, 194),
        }),
    )
    .await;
    assert_eq!(resp.status, 400);
    assert_eq!(assert_error_shape(&resp), "VALIDATION_ERROR");
    assert_eq!(resp.body["context"]["properties"][0], "hs_timestamp");
    assert!(sim.snapshot().calls.is_empty());
}

#[tokio::test]
async fn call_association_problems_are_400() {
    let sim = start_default().await;
    let contact = create_contact(&sim, json!({ "email": "e@example.com" })).await;
    let body = |assoc: Value| json!({ "properties": { "hs_timestamp": "2024-01-01T00:00:00Z" }, "associations": assoc });
    let missing = post(
        &sim,
        "/crm/v3/objects/calls",
        body(association("999999", 194)),
    )
    .await;
    assert_eq!(missing.status, 400);
    assert_eq!(missing.body["context"]["ids"][0], "999999");

    let bad_type = post(
        &sim,
        "/crm/v3/objects/calls",
        body(association(&contact, 999)),
    )
    .await;
    assert_eq!(bad_type.status, 400);
    assert_eq!(assert_error_shape(&bad_type), "VALIDATION_ERROR");

    sim.archive_contact(&contact);
    let archived = post(
        &sim,
        "/crm/v3/objects/calls",
        body(association(&contact, 194)),
    )
    .await;
    assert_eq!(archived.status, 400);

    let absent = post(
        &sim,
        "/crm/v3/objects/calls",
        json!({ "properties": { "hs_timestamp": "1700000000000" } }),
    )
    .await;
    assert_eq!(absent.status, 400);
    assert!(sim.snapshot().calls.is_empty());

    let empty = post(&sim, "/crm/v3/objects/calls", body(json!([]))).await;
    assert_eq!(empty.status, 201);
}
