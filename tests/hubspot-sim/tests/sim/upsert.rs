//! `batch/upsert` by a unique-value property, and uniqueness on create and
//! update.

use std::time::Duration;

use serde_json::{Value, json};
use switchboard_hubspot_sim::{SimConfig, SimHandle};

use crate::common::*;

const KEY: &str = "switchboard_idempotency_key";
const PHONE_KEY: &str = "switchboard_phone_e164";
const CALLS_UPSERT: &str = "/crm/v3/objects/calls/batch/upsert";
const CONTACTS_UPSERT: &str = "/crm/v3/objects/contacts/batch/upsert";

fn call_input(key: &str, title: &str) -> Value {
    json!({ "inputs": [{
        "id": key,
        "idProperty": KEY,
        "properties": { "hs_timestamp": "1700000000000", "hs_call_title": title },
    }]})
}

async fn upsert_call(sim: &SimHandle, key: &str, title: &str) -> Resp {
    post(sim, CALLS_UPSERT, call_input(key, title)).await
}

#[tokio::test]
async fn upsert_creates_then_updates_the_same_object() {
    let sim = start_default().await;
    let first = upsert_call(&sim, "k-1", "First").await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(first.body["status"], "COMPLETE");
    assert!(first.body["startedAt"].as_str().unwrap().ends_with('Z'));
    assert!(first.body["completedAt"].is_string());
    let result = &first.body["results"][0];
    assert_eq!(result["new"], true);
    let id = result["id"].as_str().unwrap().to_owned();
    assert_eq!(result["properties"][KEY], "k-1");
    assert_eq!(
        result["properties"]["hs_timestamp"],
        "2023-11-14T22:13:20.000Z"
    );
    assert_eq!(result["properties"]["hs_object_id"], id.as_str());
    assert_eq!(result["archived"], false);
    assert!(first.header("x-hubspot-ratelimit-remaining").is_some());

    let second = post(
        &sim,
        "/crm/objects/2026-03/calls/batch/upsert",
        call_input("k-1", "Second"),
    )
    .await;
    assert_eq!(second.status, 200, "{}", second.body);
    assert_eq!(second.body["results"][0]["new"], false);
    assert_eq!(second.body["results"][0]["id"], id.as_str());
    assert_eq!(
        second.body["results"][0]["properties"]["hs_call_title"],
        "Second"
    );

    let snap = sim.snapshot();
    assert_eq!(snap.calls.len(), 1);
    assert_eq!(snap.count_by("calls", KEY)["k-1"].live, 1);
    // Read back by the unique property.
    let read = get(&sim, &format!("/crm/v3/objects/calls/k-1?idProperty={KEY}")).await;
    assert_eq!(read.status, 200, "{}", read.body);
    assert_eq!(read.body["id"], id.as_str());
}

#[tokio::test]
async fn concurrent_upserts_of_one_key_give_one_object() {
    let sim = start_default().await;
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let sim = sim.clone();
            tokio::spawn(async move {
                let resp = upsert_call(&sim, "same-key", &format!("try {i}")).await;
                assert_eq!(resp.status, 200, "{}", resp.body);
                (
                    resp.body["results"][0]["id"].as_str().unwrap().to_owned(),
                    resp.body["results"][0]["new"].as_bool().unwrap(),
                )
            })
        })
        .collect();
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.unwrap());
    }
    assert_eq!(results.iter().filter(|(_, new)| *new).count(), 1);
    assert!(results.iter().all(|(id, _)| *id == results[0].0));
    let snap = sim.snapshot();
    assert_eq!(snap.calls.len(), 1);
    assert_eq!(snap.count_by("calls", KEY)["same-key"].live, 1);
}

#[tokio::test]
async fn id_property_must_be_a_unique_property() {
    let sim = start_default().await;
    let not_unique = post(
        &sim,
        CALLS_UPSERT,
        json!({ "inputs": [{ "id": "x", "idProperty": "hs_call_title",
                             "properties": { "hs_timestamp": "1700000000000" } }]}),
    )
    .await;
    assert_eq!(not_unique.status, 400);
    assert_eq!(assert_error_shape(&not_unique), "VALIDATION_ERROR");
    assert!(
        not_unique.body["message"]
            .as_str()
            .unwrap()
            .contains("\"hs_call_title\""),
        "{}",
        not_unique.body
    );
    assert_eq!(
        not_unique.body["context"]["propertyName"][0],
        "hs_call_title"
    );

    let unknown = post(
        &sim,
        CALLS_UPSERT,
        json!({ "inputs": [{ "id": "x", "idProperty": "nope",
                             "properties": { "hs_timestamp": "1700000000000" } }]}),
    )
    .await;
    assert_eq!(unknown.status, 400);
    assert_eq!(unknown.body["errors"][0]["code"], "PROPERTY_DOESNT_EXIST");
    assert_eq!(
        unknown.body["errors"][0]["context"]["propertyName"][0],
        "nope"
    );

    let missing = post(
        &sim,
        CALLS_UPSERT,
        json!({ "inputs": [{ "id": "x", "properties": { "hs_timestamp": "1" } }]}),
    )
    .await;
    assert_eq!(missing.status, 400);
    assert!(sim.snapshot().calls.is_empty());
}

#[tokio::test]
async fn portal_without_the_unique_properties_refuses_the_upsert() {
    let sim = start(SimConfig {
        unique_properties: Vec::new(),
        ..SimConfig::default()
    })
    .await;
    assert!(sim.snapshot().unique_properties.is_empty());
    let resp = upsert_call(&sim, "k", "t").await;
    assert_eq!(resp.status, 400);
    assert_eq!(assert_error_shape(&resp), "VALIDATION_ERROR");
    assert_eq!(resp.body["errors"][0]["code"], "PROPERTY_DOESNT_EXIST");
    assert_eq!(resp.body["errors"][0]["context"]["propertyName"][0], KEY);
    // Plain creates cannot write it either.
    let create = post(
        &sim,
        "/crm/v3/objects/calls",
        json!({ "properties": { "hs_timestamp": "1", KEY: "k" }, "associations": [] }),
    )
    .await;
    assert_eq!(create.status, 400);
    assert!(sim.snapshot().calls.is_empty());
}

#[tokio::test]
async fn removed_property_in_an_upsert_is_the_create_400() {
    let sim = start_default().await;
    sim.remove_property("calls", "hs_call_title");
    let resp = upsert_call(&sim, "k", "t").await;
    assert_eq!(resp.status, 400);
    assert_eq!(resp.body["errors"][0]["code"], "PROPERTY_DOESNT_EXIST");
    assert_eq!(
        resp.body["errors"][0]["context"]["propertyName"][0],
        "hs_call_title"
    );
    // Removing the key property itself makes it unknown as an idProperty.
    sim.remove_property("calls", KEY);
    let resp = post(
        &sim,
        CALLS_UPSERT,
        json!({ "inputs": [{ "id": "k", "idProperty": KEY,
                             "properties": { "hs_timestamp": "1700000000000" } }]}),
    )
    .await;
    assert_eq!(resp.status, 400);
    assert_eq!(resp.body["errors"][0]["context"]["propertyName"][0], KEY);
    assert!(sim.snapshot().calls.is_empty());
}

#[tokio::test]
async fn creating_a_call_by_upsert_needs_hs_timestamp_but_updating_does_not() {
    let sim = start_default().await;
    let body = json!({ "inputs": [{ "id": "k", "idProperty": KEY,
                                    "properties": { "hs_call_title": "t" } }]});
    let resp = post(&sim, CALLS_UPSERT, body.clone()).await;
    assert_eq!(resp.status, 400);
    assert_eq!(resp.body["context"]["properties"][0], "hs_timestamp");
    assert_eq!(upsert_call(&sim, "k", "t").await.status, 200);
    let resp = post(&sim, CALLS_UPSERT, body).await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert_eq!(resp.body["results"][0]["new"], false);
}

#[tokio::test]
async fn a_failing_input_writes_nothing_and_duplicates_are_refused() {
    let sim = start_default().await;
    let resp = post(
        &sim,
        CALLS_UPSERT,
        json!({ "inputs": [
            { "id": "a", "idProperty": KEY, "properties": { "hs_timestamp": "1700000000000" } },
            { "id": "b", "idProperty": KEY, "properties": { "hs_timestamp": "not a date" } },
        ]}),
    )
    .await;
    assert_eq!(resp.status, 400);
    assert!(
        sim.snapshot().calls.is_empty(),
        "the first input was rolled back"
    );

    let resp = post(
        &sim,
        CALLS_UPSERT,
        json!({ "inputs": [
            { "id": "a", "idProperty": KEY, "properties": { "hs_timestamp": "1700000000000" } },
            { "id": "a", "idProperty": KEY, "properties": { "hs_timestamp": "1700000000000" } },
        ]}),
    )
    .await;
    assert_eq!(resp.status, 400);
    assert!(sim.snapshot().calls.is_empty());

    let resp = post(&sim, CALLS_UPSERT, json!({ "inputs": [] })).await;
    assert_eq!(resp.status, 400);
}

#[tokio::test]
async fn plain_create_and_patch_refuse_a_taken_unique_value() {
    let sim = start_default().await;
    let create = |key: &'static str| {
        let sim = sim.clone();
        async move {
            post(
                &sim,
                "/crm/v3/objects/calls",
                json!({ "properties": { "hs_timestamp": "1700000000000", KEY: key },
                        "associations": [] }),
            )
            .await
        }
    };
    let first = create("k-1").await;
    assert_eq!(first.status, 201, "{}", first.body);
    let id = first.body["id"].as_str().unwrap().to_owned();
    let again = create("k-1").await;
    assert_eq!(again.status, 409);
    assert_eq!(assert_error_shape(&again), "CONFLICT");
    assert_eq!(
        again.body["message"],
        format!(
            "A call with the value \"k-1\" for the unique property \"{KEY}\" already exists. Existing ID: {id}"
        )
    );

    let other = create("k-2").await;
    let other_id = other.body["id"].as_str().unwrap();
    let patch = send(
        &sim,
        "PATCH",
        &format!("/crm/v3/objects/calls/{other_id}"),
        Some(TOKEN),
        Some(json!({ "properties": { KEY: "k-1" } })),
    )
    .await;
    assert_eq!(patch.status, 409);
    // Archiving the holder frees the value.
    let delete = send(
        &sim,
        "DELETE",
        &format!("/crm/v3/objects/calls/{id}"),
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(delete.status, 204);
    assert_eq!(create("k-1").await.status, 201);
    let counts = sim.snapshot().count_by("calls", KEY);
    assert_eq!((counts["k-1"].live, counts["k-1"].archived), (1, 1));
}

#[tokio::test]
async fn contact_upsert_by_phone_respects_email_uniqueness_and_search_lag() {
    let sim = start(SimConfig {
        search_lag: Duration::from_secs(60),
        ..SimConfig::default()
    })
    .await;
    let body = |phone: &str, email: &str| {
        json!({ "inputs": [{ "id": phone, "idProperty": PHONE_KEY,
                             "properties": { "phone": phone, "email": email } }]})
    };
    let first = post(
        &sim,
        CONTACTS_UPSERT,
        body("+447911123456", "ann@example.com"),
    )
    .await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(first.body["results"][0]["new"], true);
    let id = first.body["results"][0]["id"].as_str().unwrap().to_owned();
    // Invisible to search for the lag, but found by the upsert at once.
    assert_eq!(
        search_eq(&sim, "phone", "+447911123456").await.body["total"],
        0
    );
    let again = post(
        &sim,
        CONTACTS_UPSERT,
        body("+447911123456", "ann@example.com"),
    )
    .await;
    assert_eq!(again.body["results"][0]["new"], false);
    assert_eq!(again.body["results"][0]["id"], id.as_str());

    let clash = post(
        &sim,
        CONTACTS_UPSERT,
        body("+447400123456", "ANN@example.com"),
    )
    .await;
    assert_eq!(clash.status, 409);
    assert_eq!(
        clash.body["message"],
        format!("Contact already exists. Existing ID: {id}")
    );
    let snap = sim.snapshot();
    assert_eq!(snap.contacts.len(), 1);
    assert_eq!(
        snap.count_by("contacts", PHONE_KEY)["+447911123456"].live,
        1
    );
    assert_eq!(snap.count_by("contacts", "phone")["+447911123456"].live, 1);
}

#[tokio::test]
async fn upsert_is_a_counted_scoped_faultable_write() {
    let sim = start(SimConfig {
        burst_limit: 1,
        scopeless_tokens: vec!["no-scope".into()],
        ..SimConfig::default()
    })
    .await;
    let scopeless = send(
        &sim,
        "POST",
        CALLS_UPSERT,
        Some("no-scope"),
        Some(call_input("k", "t")),
    )
    .await;
    assert_eq!(scopeless.status, 403);
    assert_eq!(
        scopeless.body["errors"][0]["context"]["requiredScopes"][0],
        "crm.objects.contacts.write"
    );
    sim.inject(switchboard_hubspot_sim::Fault {
        method: Some("POST".into()),
        path_prefix: Some("/crm/v3/objects/calls".into()),
        times: 1,
        for_ms: None,
        action: switchboard_hubspot_sim::FaultAction::Respond {
            status: 503,
            headers: vec![],
            body: "{}".into(),
        },
    });
    assert_eq!(upsert_call(&sim, "k", "t").await.status, 503);
    assert_eq!(upsert_call(&sim, "k", "t").await.status, 200);
    assert_eq!(upsert_call(&sim, "k", "t").await.status, 429);
    assert_eq!(sim.snapshot().calls.len(), 1);
}
