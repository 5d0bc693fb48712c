//! `/crm/v3/properties/...`, the configured unique properties, and the
//! inspection helpers for them.

use serde_json::{Value, json};
use switchboard_hubspot_sim::{SimConfig, ValueCount};

use crate::common::*;

fn definition(name: &str, unique: bool) -> Value {
    json!({ "name": name, "label": "Order reference", "type": "string",
            "fieldType": "text", "groupName": "callinformation", "hasUniqueValue": unique })
}

#[tokio::test]
async fn default_portal_has_the_connector_unique_properties() {
    let sim = start_default().await;
    assert_eq!(
        sim.snapshot().unique_properties,
        vec![
            ("contacts".to_owned(), "switchboard_phone_e164".to_owned()),
            ("calls".to_owned(), "switchboard_idempotency_key".to_owned()),
        ]
    );
    let resp = get(&sim, "/crm/v3/properties/calls/switchboard_idempotency_key").await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert_eq!(resp.body["hasUniqueValue"], true);
    assert_eq!(resp.body["type"], "string");
    assert_eq!(resp.body["fieldType"], "text");
    let builtin = get(&sim, "/crm/v3/properties/contacts/email").await;
    assert_eq!(builtin.status, 200);
    assert_eq!(builtin.body["hasUniqueValue"], false);
    assert_eq!(builtin.body["hubspotDefined"], true);
    let missing = get(&sim, "/crm/v3/properties/contacts/nope").await;
    assert_eq!(missing.status, 404);
    assert_eq!(assert_error_shape(&missing), "OBJECT_NOT_FOUND");
}

#[tokio::test]
async fn a_defined_unique_property_can_key_an_upsert() {
    let sim = start(SimConfig {
        unique_properties: Vec::new(),
        ..SimConfig::default()
    })
    .await;
    let created = post(
        &sim,
        "/crm/v3/properties/calls",
        definition("order_ref", true),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["name"], "order_ref");
    assert_eq!(created.body["hasUniqueValue"], true);
    assert_eq!(created.body["groupName"], "callinformation");
    assert!(created.body["createdAt"].is_string());

    let again = post(
        &sim,
        "/crm/v3/properties/calls",
        definition("order_ref", false),
    )
    .await;
    assert_eq!(again.status, 409);
    assert_eq!(assert_error_shape(&again), "CONFLICT");
    let builtin = post(
        &sim,
        "/crm/v3/properties/calls",
        definition("hs_call_title", false),
    )
    .await;
    assert_eq!(builtin.status, 409);
    let bad_name = post(
        &sim,
        "/crm/v3/properties/calls",
        definition("Order Ref", false),
    )
    .await;
    assert_eq!(bad_name.status, 400);

    let upsert = post(
        &sim,
        "/crm/v3/objects/calls/batch/upsert",
        json!({ "inputs": [{ "id": "A-1", "idProperty": "order_ref",
                             "properties": { "hs_timestamp": "1700000000000" } }]}),
    )
    .await;
    assert_eq!(upsert.status, 200, "{}", upsert.body);
    let list = get(&sim, "/crm/v3/properties/calls").await;
    assert_eq!(list.status, 200);
    let names: Vec<&str> = list.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"order_ref") && names.contains(&"hs_timestamp"));
    assert_eq!(
        sim.snapshot().unique_properties,
        vec![("calls".to_owned(), "order_ref".to_owned())]
    );
}

#[tokio::test]
async fn a_plain_custom_property_is_writable_but_not_an_upsert_key() {
    let sim = start_default().await;
    assert!(sim.define_property("calls", "mood", false));
    assert!(!sim.define_property("widgets", "mood", false));
    let resp = post(
        &sim,
        "/crm/v3/objects/calls/batch/upsert",
        json!({ "inputs": [{ "id": "x", "idProperty": "mood",
                             "properties": { "hs_timestamp": "1700000000000" } }]}),
    )
    .await;
    assert_eq!(resp.status, 400);
    assert_eq!(resp.body["context"]["propertyName"][0], "mood");
    let create = post(
        &sim,
        "/crm/v3/objects/calls",
        json!({ "properties": { "hs_timestamp": "1", "mood": "good" }, "associations": [] }),
    )
    .await;
    assert_eq!(create.status, 201, "{}", create.body);
}

#[tokio::test]
async fn properties_api_needs_the_schema_scope() {
    let sim = start(SimConfig {
        scopeless_tokens: vec!["no-scope".into()],
        ..SimConfig::default()
    })
    .await;
    let resp = send(
        &sim,
        "POST",
        "/crm/v3/properties/contacts",
        Some("no-scope"),
        Some(definition("x", false)),
    )
    .await;
    assert_eq!(resp.status, 403);
    assert_eq!(
        resp.body["errors"][0]["context"]["requiredScopes"][0],
        "crm.schemas.contacts.write"
    );
}

#[tokio::test]
async fn counts_over_http_and_reset_restores_the_configured_properties() {
    let sim = start_default().await;
    let control = |method: &'static str, path: &'static str, body: Option<Value>| {
        let sim = sim.clone();
        async move { send(&sim, method, path, None, body).await }
    };
    let defined = control(
        "POST",
        "/__sim/properties",
        Some(json!({ "object": "contacts", "name": "crm_ref", "unique": true })),
    )
    .await;
    assert_eq!(defined.status, 201);
    for _ in 0..2 {
        post(
            &sim,
            "/crm/v3/objects/contacts/batch/upsert",
            json!({ "inputs": [{ "id": "+15550100", "idProperty": "switchboard_phone_e164",
                                 "properties": { "phone": "+15550100" } }]}),
        )
        .await;
    }
    let counts = control("GET", "/__sim/counts/contacts/switchboard_phone_e164", None).await;
    assert_eq!(counts.status, 200, "{}", counts.body);
    let values: std::collections::BTreeMap<String, ValueCount> =
        serde_json::from_value(counts.body["values"].clone()).unwrap();
    assert_eq!(
        values,
        sim.snapshot()
            .count_by("contacts", "switchboard_phone_e164")
    );
    assert_eq!(values["+15550100"].live, 1);
    let state = control("GET", "/__sim/state", None).await;
    assert_eq!(state.body["unique_properties"].as_array().unwrap().len(), 3);

    assert_eq!(control("POST", "/__sim/reset", None).await.status, 200);
    let snap = sim.snapshot();
    assert!(snap.contacts.is_empty());
    assert_eq!(
        snap.unique_properties.len(),
        2,
        "{:?}",
        snap.unique_properties
    );
    assert_eq!(
        control("GET", "/__sim/counts/widgets/x", None).await.status,
        400
    );
}
