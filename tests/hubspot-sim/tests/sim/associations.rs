//! `PUT /crm/v4/objects/calls/{id}/associations/default/contacts/{id}`.

use serde_json::json;
use switchboard_hubspot_sim::SimHandle;

use crate::common::*;

async fn new_call(sim: &SimHandle, key: &str) -> String {
    let resp = post(
        sim,
        "/crm/v3/objects/calls/batch/upsert",
        json!({ "inputs": [{ "id": key, "idProperty": "switchboard_idempotency_key",
                             "properties": { "hs_timestamp": "1700000000000" } }]}),
    )
    .await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    resp.body["results"][0]["id"].as_str().unwrap().to_owned()
}

fn path(call: &str, contact: &str) -> String {
    format!("/crm/v4/objects/calls/{call}/associations/default/contacts/{contact}")
}

async fn put(sim: &SimHandle, path: &str) -> Resp {
    send(sim, "PUT", path, Some(TOKEN), None).await
}

#[tokio::test]
async fn default_association_links_both_sides_idempotently() {
    let sim = start_default().await;
    let contact = create_contact(&sim, json!({ "email": "a@example.com" })).await;
    let call = new_call(&sim, "k-1").await;
    for _ in 0..2 {
        let resp = put(&sim, &path(&call, &contact)).await;
        assert_eq!(resp.status, 200, "{}", resp.body);
        assert_eq!(resp.body["status"], "COMPLETE");
        let first = &resp.body["results"][0];
        assert_eq!(first["from"]["id"], call.as_str());
        assert_eq!(first["to"]["id"], contact.as_str());
        assert_eq!(first["associationSpec"]["associationTypeId"], 194);
        assert_eq!(
            first["associationSpec"]["associationCategory"],
            "HUBSPOT_DEFINED"
        );
    }
    let snap = sim.snapshot();
    assert_eq!(snap.calls[0].associations, vec![(contact.clone(), 194)]);
    assert_eq!(snap.contacts[0].associations, vec![(call.clone(), 193)]);
    // The reverse direction is the same link.
    let reverse = put(
        &sim,
        &format!("/crm/v4/objects/contacts/{contact}/associations/default/calls/{call}"),
    )
    .await;
    assert_eq!(reverse.status, 200);
    assert_eq!(sim.snapshot().calls[0].associations.len(), 1);
}

#[tokio::test]
async fn missing_or_archived_objects_are_404() {
    let sim = start_default().await;
    let contact = create_contact(&sim, json!({ "email": "b@example.com" })).await;
    let call = new_call(&sim, "k-2").await;

    let no_call = put(&sim, &path("999999", &contact)).await;
    assert_eq!(no_call.status, 404);
    assert_eq!(assert_error_shape(&no_call), "OBJECT_NOT_FOUND");
    let no_contact = put(&sim, &path(&call, "999999")).await;
    assert_eq!(no_contact.status, 404);
    let not_a_number = put(&sim, &path(&call, "abc")).await;
    assert_eq!(not_a_number.status, 404);

    sim.archive_contact(&contact);
    let archived = put(&sim, &path(&call, &contact)).await;
    assert_eq!(archived.status, 404);
    assert_eq!(assert_error_shape(&archived), "OBJECT_NOT_FOUND");
    assert!(sim.snapshot().calls[0].associations.is_empty());
}

#[tokio::test]
async fn association_routes_check_type_method_and_scope() {
    let sim = start(switchboard_hubspot_sim::SimConfig {
        scopeless_tokens: vec!["no-scope".into()],
        ..switchboard_hubspot_sim::SimConfig::default()
    })
    .await;
    let unknown = put(
        &sim,
        "/crm/v4/objects/calls/1/associations/default/widgets/2",
    )
    .await;
    assert_eq!(unknown.status, 404);
    let same_type = put(&sim, "/crm/v4/objects/calls/1/associations/default/calls/2").await;
    assert_eq!(same_type.status, 400);
    let wrong_method = get(&sim, &path("1", "2")).await;
    assert_eq!(wrong_method.status, 405);
    assert_eq!(wrong_method.header("allow"), Some("PUT"));
    let scopeless = send(&sim, "PUT", &path("1", "2"), Some("no-scope"), None).await;
    assert_eq!(scopeless.status, 403);
}
