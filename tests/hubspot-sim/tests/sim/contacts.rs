//! Contact create / read / conflict / validation.

use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn creates_contact_as_201_simple_public_object() {
    let sim = start_default().await;
    let resp = post(
        &sim,
        "/crm/v3/objects/contacts",
        json!({ "properties": { "email": "ada@example.com", "phone": "+44 20 7946 0000" } }),
    )
    .await;
    assert_eq!(resp.status, 201, "{}", resp.body);
    assert!(
        resp.header("content-type")
            .unwrap()
            .starts_with("application/json")
    );
    assert!(resp.header("x-request-id").is_some());
    let id = resp.body["id"].as_str().unwrap();
    assert!(id.parse::<u64>().is_ok(), "numeric id {id:?}");
    let props = &resp.body["properties"];
    assert_eq!(props["email"], "ada@example.com");
    assert_eq!(props["phone"], "+44 20 7946 0000");
    assert_eq!(props["hs_object_id"], id);
    assert!(props["createdate"].as_str().unwrap().ends_with('Z'));
    assert!(props["lastmodifieddate"].is_string());
    assert_eq!(resp.body["createdAt"], props["createdate"]);
    assert!(resp.body["updatedAt"].is_string());
    assert_eq!(resp.body["archived"], false);

    let snap = sim.snapshot();
    assert_eq!(snap.contacts.len(), 1);
    assert_eq!(snap.contacts[0].id, id);
    assert_eq!(snap.contacts[0].properties["email"], "ada@example.com");
}

#[tokio::test]
async fn date_versioned_path_creates_too_and_ids_increase() {
    let sim = start_default().await;
    let first = create_contact(&sim, json!({ "email": "a@example.com" })).await;
    let resp = post(
        &sim,
        "/crm/objects/2026-03/contacts",
        json!({ "properties": { "email": "b@example.com" } }),
    )
    .await;
    assert_eq!(resp.status, 201);
    let second = resp.body["id"].as_str().unwrap();
    assert!(second.parse::<u64>().unwrap() > first.parse::<u64>().unwrap());
}

#[tokio::test]
async fn duplicate_email_conflicts_with_real_existing_id() {
    let sim = start(switchboard_hubspot_sim::SimConfig {
        search_lag: std::time::Duration::from_secs(60),
        ..Default::default()
    })
    .await;
    let id = create_contact(&sim, json!({ "email": "Grace@Example.com" })).await;
    // Case-insensitive and immediate, although search cannot see it yet.
    let resp = post(
        &sim,
        "/crm/v3/objects/contacts",
        json!({ "properties": { "email": "grace@example.com" } }),
    )
    .await;
    assert_eq!(resp.status, 409);
    assert_eq!(assert_error_shape(&resp), "CONFLICT");
    assert_eq!(
        resp.body["message"],
        format!("Contact already exists. Existing ID: {id}")
    );
    assert_eq!(sim.snapshot().contacts.len(), 1);
}

#[tokio::test]
async fn unknown_property_is_property_doesnt_exist() {
    let sim = start_default().await;
    let resp = post(
        &sim,
        "/crm/v3/objects/contacts",
        json!({ "properties": { "email": "x@example.com", "favourite_colour": "blue" } }),
    )
    .await;
    assert_eq!(resp.status, 400);
    assert_eq!(assert_error_shape(&resp), "VALIDATION_ERROR");
    let message = resp.body["message"].as_str().unwrap();
    assert!(
        message.starts_with("Property values were not valid: "),
        "{message}"
    );
    assert!(message.contains("PROPERTY_DOESNT_EXIST"));
    let detail = &resp.body["errors"][0];
    assert_eq!(detail["code"], "PROPERTY_DOESNT_EXIST");
    assert_eq!(
        detail["message"],
        "Property \"favourite_colour\" does not exist"
    );
    assert_eq!(detail["context"]["propertyName"][0], "favourite_colour");
    assert!(sim.snapshot().contacts.is_empty());
}

#[tokio::test]
async fn removed_property_becomes_unknown() {
    let sim = start_default().await;
    create_contact(&sim, json!({ "email": "p@example.com", "jobtitle": "CTO" })).await;
    sim.remove_property("contacts", "jobtitle");
    let resp = post(
        &sim,
        "/crm/v3/objects/contacts",
        json!({ "properties": { "email": "q@example.com", "jobtitle": "CEO" } }),
    )
    .await;
    assert_eq!(resp.status, 400);
    assert_eq!(resp.body["errors"][0]["code"], "PROPERTY_DOESNT_EXIST");
    let search = search_eq(&sim, "jobtitle", "CTO").await;
    assert_eq!(search.status, 400);
    assert_eq!(
        search.body["errors"][0]["context"]["propertyName"][0],
        "jobtitle"
    );
}

#[tokio::test]
async fn malformed_json_is_validation_error() {
    let sim = start_default().await;
    let resp = reqwest::Client::new()
        .post(format!("{}/crm/v3/objects/contacts", sim.base_url()))
        .bearer_auth(TOKEN)
        .header("content-type", "application/json")
        .body("{\"properties\": {\"email\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["category"], "VALIDATION_ERROR");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("Invalid input JSON")
    );
}

#[tokio::test]
async fn get_finds_contact_and_archived_is_not_found() {
    let sim = start_default().await;
    let id = create_contact(&sim, json!({ "email": "r@example.com", "city": "Oslo" })).await;
    let resp = get(
        &sim,
        &format!("/crm/v3/objects/contacts/{id}?properties=city,phone"),
    )
    .await;
    assert_eq!(resp.status, 200);
    assert_eq!(resp.body["properties"]["city"], "Oslo");
    assert!(resp.body["properties"]["phone"].is_null());
    assert_eq!(resp.body["properties"]["hs_object_id"], id.as_str());

    assert!(sim.archive_contact(&id));
    let resp = get(&sim, &format!("/crm/v3/objects/contacts/{id}")).await;
    assert_eq!(resp.status, 404);
    assert_eq!(assert_error_shape(&resp), "OBJECT_NOT_FOUND");
    assert_eq!(resp.body["message"], "resource not found");
    // The email is free again once the holder is archived.
    create_contact(&sim, json!({ "email": "r@example.com" })).await;
}

#[tokio::test]
async fn unknown_route_is_404_and_wrong_method_is_405() {
    let sim = start_default().await;
    let resp = get(&sim, "/crm/v3/nothing-here").await;
    assert_eq!(resp.status, 404);
    assert_eq!(assert_error_shape(&resp), "OBJECT_NOT_FOUND");
    let resp = get(&sim, "/crm/v3/objects/widgets").await;
    assert_eq!(resp.status, 404);
    let resp = send(&sim, "PUT", "/crm/v3/objects/contacts", Some(TOKEN), None).await;
    assert_eq!(resp.status, 405);
    assert_eq!(resp.header("allow"), Some("GET, POST"));
    assert_error_shape(&resp);
}

#[tokio::test]
async fn patch_updates_and_checks_email_conflicts() {
    let sim = start_default().await;
    let a = create_contact(&sim, json!({ "email": "a@example.com" })).await;
    let b = create_contact(&sim, json!({ "email": "b@example.com" })).await;
    let path = format!("/crm/v3/objects/contacts/{b}");
    let resp = send(
        &sim,
        "PATCH",
        &path,
        Some(TOKEN),
        Some(json!({ "properties": { "email": "A@example.com" } })),
    )
    .await;
    assert_eq!(resp.status, 409);
    assert_eq!(
        resp.body["message"],
        format!("Contact already exists. Existing ID: {a}")
    );
    let resp = send(
        &sim,
        "PATCH",
        "/crm/v3/objects/contacts/b%40example.com?idProperty=email",
        Some(TOKEN),
        Some(json!({ "properties": { "firstname": "Bea" } })),
    )
    .await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert_eq!(resp.body["properties"]["firstname"], "Bea");
    assert_eq!(resp.body["id"], b.as_str());
}

#[tokio::test]
async fn concurrent_creates_with_one_email_yield_one_contact() {
    let sim = start_default().await;
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let sim = sim.clone();
            tokio::spawn(async move {
                post(
                    &sim,
                    "/crm/v3/objects/contacts",
                    json!({ "properties": { "email": "race@example.com" } }),
                )
                .await
                .status
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 15);
    assert_eq!(sim.snapshot().contacts.len(), 1);
}
