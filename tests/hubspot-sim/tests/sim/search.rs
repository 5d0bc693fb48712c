//! Search: filters, lag, paging, limits.

use std::time::Duration;

use serde_json::json;
use switchboard_hubspot_sim::SimConfig;

use crate::common::*;

#[tokio::test]
async fn phone_eq_finds_only_the_exact_stored_string() {
    let sim = start_default().await;
    let id = create_contact(
        &sim,
        json!({ "email": "f@example.com", "phone": "+1 555-0100" }),
    )
    .await;
    create_contact(
        &sim,
        json!({ "email": "g@example.com", "phone": "+15550199" }),
    )
    .await;

    let hit = search_eq(&sim, "phone", "+1 555-0100").await;
    assert_eq!(hit.status, 200);
    assert_eq!(hit.body["total"], 1);
    assert_eq!(hit.body["results"][0]["id"], id.as_str());
    assert_eq!(hit.body["results"][0]["properties"]["phone"], "+1 555-0100");
    assert!(hit.body.get("paging").is_none());
    assert!(hit.header("x-hubspot-ratelimit-remaining").is_none());

    for other_format in ["+15550100", "15550100", "+1 (555) 0100"] {
        let miss = search_eq(&sim, "phone", other_format).await;
        assert_eq!(miss.body["total"], 0, "{other_format}");
        assert_eq!(miss.body["results"], json!([]));
    }
}

#[tokio::test]
async fn search_lag_hides_new_contact_then_shows_it() {
    let sim = start(SimConfig {
        search_lag: Duration::from_millis(200),
        ..Default::default()
    })
    .await;
    let seeded = sim.seed_contact(
        json!({ "email": "seed@example.com" })
            .as_object()
            .unwrap()
            .clone(),
    );
    create_contact(&sim, json!({ "email": "late@example.com" })).await;
    let early = search_eq(&sim, "email", "late@example.com").await;
    assert_eq!(early.body["total"], 0);
    let seed = search_eq(&sim, "email", "seed@example.com").await;
    assert_eq!(seed.body["results"][0]["id"], seeded.as_str());

    tokio::time::sleep(Duration::from_millis(250)).await;
    let later = search_eq(&sim, "email", "LATE@example.com").await;
    assert_eq!(later.body["total"], 1);
}

#[tokio::test]
async fn filter_groups_or_and_operators_and_paging() {
    let sim = start_default().await;
    for (i, city) in ["Oslo", "Bergen", "Oslo", "Paris", "Oslo"]
        .iter()
        .enumerate()
    {
        create_contact(
            &sim,
            json!({ "email": format!("u{i}@corp.example"), "city": city }),
        )
        .await;
    }
    create_contact(&sim, json!({ "email": "nocity@other.example" })).await;
    let path = "/crm/v3/objects/contacts/search";
    let page1 = post(&sim, path, json!({
        "filterGroups": [
            { "filters": [{ "propertyName": "city", "operator": "EQ", "value": "oslo" }] },
            { "filters": [
                { "propertyName": "city", "operator": "IN", "values": ["Paris", "Rome"] },
                { "propertyName": "email", "operator": "CONTAINS_TOKEN", "value": "*@corp.example" }
            ]}
        ],
        "limit": 2
    })).await;
    assert_eq!(page1.status, 200);
    assert_eq!(page1.body["total"], 4);
    assert_eq!(page1.body["results"].as_array().unwrap().len(), 2);
    let after = page1.body["paging"]["next"]["after"]
        .as_str()
        .unwrap()
        .to_owned();
    let page2 = post(&sim, path, json!({
        "filterGroups": [{ "filters": [{ "propertyName": "city", "operator": "HAS_PROPERTY" }] }],
        "limit": 2, "after": after
    })).await;
    assert_eq!(page2.body["total"], 5);
    assert_eq!(page2.body["results"].as_array().unwrap().len(), 2);
    let none = post(&sim, path, json!({
        "filterGroups": [{ "filters": [{ "propertyName": "city", "operator": "NOT_HAS_PROPERTY" }] }],
    })).await;
    assert_eq!(none.body["total"], 1);
    assert_eq!(
        none.body["results"][0]["properties"]["email"],
        "nocity@other.example"
    );
}

#[tokio::test]
async fn search_rejects_over_limits() {
    let sim = start_default().await;
    let path = "/crm/v3/objects/contacts/search";
    let resp = post(&sim, path, json!({ "limit": 201 })).await;
    assert_eq!(resp.status, 400);
    assert_eq!(assert_error_shape(&resp), "VALIDATION_ERROR");
    let group = json!({ "filters": [{ "propertyName": "email", "operator": "HAS_PROPERTY" }] });
    let resp = post(&sim, path, json!({ "filterGroups": vec![group; 7] })).await;
    assert_eq!(resp.status, 400);
    let resp = post(&sim, path, json!({ "limit": 200 })).await;
    assert_eq!(resp.status, 200);
}

#[tokio::test]
async fn search_has_its_own_per_second_limit() {
    let sim = start(SimConfig {
        search_per_second: 2,
        burst_limit: 1,
        ..Default::default()
    })
    .await;
    let path = "/crm/v3/objects/contacts/search";
    assert_eq!(post(&sim, path, json!({})).await.status, 200);
    assert_eq!(post(&sim, path, json!({})).await.status, 200);
    let limited = post(&sim, path, json!({})).await;
    assert_eq!(limited.status, 429);
    assert_eq!(limited.body["errorType"], "RATE_LIMIT");
    assert_eq!(limited.body["policyName"], "SECONDLY");
    assert_eq!(limited.header("retry-after"), Some("1"));
    // The burst window (limit 1) was not touched by searches.
    assert_eq!(get(&sim, "/crm/v3/objects/contacts").await.status, 200);
    tokio::time::sleep(Duration::from_millis(1050)).await;
    assert_eq!(post(&sim, path, json!({})).await.status, 200);
}
