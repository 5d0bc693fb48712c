//! Injected faults: canned responses, delays, connection resets.

use std::error::Error as _;
use std::time::{Duration, Instant};

use serde_json::json;
use switchboard_hubspot_sim::{Fault, FaultAction};

use crate::common::*;

#[tokio::test]
async fn injected_503_applies_times_then_normal_handling_resumes() {
    let sim = start_default().await;
    sim.inject(Fault {
        method: Some("POST".into()),
        path_prefix: Some("/crm/v3/objects/contacts".into()),
        times: 2,
        for_ms: None,
        action: FaultAction::Respond {
            status: 503,
            headers: vec![("retry-after".into(), "7".into())],
            body: "{\"status\":\"error\",\"message\":\"maintenance\"}".into(),
        },
    });
    // A non-matching request is untouched and does not use up the fault.
    assert_eq!(get(&sim, "/crm/v3/objects/contacts").await.status, 200);
    for _ in 0..2 {
        let resp = post(
            &sim,
            "/crm/v3/objects/contacts",
            json!({ "properties": { "email": "m@example.com" } }),
        )
        .await;
        assert_eq!(resp.status, 503);
        assert_eq!(resp.header("retry-after"), Some("7"));
        assert_eq!(resp.body["message"], "maintenance");
        assert!(resp.header("x-hubspot-correlation-id").is_some());
    }
    assert!(sim.snapshot().contacts.is_empty());
    create_contact(&sim, json!({ "email": "m@example.com" })).await;
    assert_eq!(sim.snapshot().faults_pending, 0);
}

#[tokio::test]
async fn faults_apply_in_fifo_order() {
    let sim = start_default().await;
    for status in [500, 502] {
        sim.inject(Fault {
            method: None,
            path_prefix: None,
            times: 1,
            for_ms: None,
            action: FaultAction::Respond {
                status,
                headers: vec![],
                body: String::new(),
            },
        });
    }
    assert_eq!(get(&sim, "/crm/v3/objects/contacts").await.status, 500);
    assert_eq!(get(&sim, "/crm/v3/objects/contacts").await.status, 502);
    assert_eq!(get(&sim, "/crm/v3/objects/contacts").await.status, 200);
}

#[tokio::test]
async fn injected_delay_answers_late_but_normally() {
    let sim = start_default().await;
    sim.inject(Fault {
        method: None,
        path_prefix: None,
        times: 1,
        for_ms: None,
        action: FaultAction::Delay(Duration::from_millis(300)),
    });
    let started = Instant::now();
    let resp = get(&sim, "/crm/v3/objects/contacts").await;
    assert_eq!(resp.status, 200);
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn injected_reset_is_a_connection_error_for_the_client() {
    let sim = start_default().await;
    sim.inject(Fault {
        method: Some("POST".into()),
        path_prefix: None,
        times: 1,
        for_ms: None,
        action: FaultAction::Reset,
    });
    let err = reqwest::Client::new()
        .post(format!("{}/crm/v3/objects/contacts", sim.base_url()))
        .bearer_auth(TOKEN)
        .json(&json!({ "properties": { "email": "z@example.com" } }))
        .send()
        .await
        .expect_err("the connection is reset");
    assert!(!err.is_timeout());
    let mut reset = false;
    let mut source = err.source();
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            reset |= io.kind() == std::io::ErrorKind::ConnectionReset;
        }
        source = cause.source();
    }
    assert!(reset, "expected ECONNRESET somewhere in {err:?}");
    assert!(sim.snapshot().contacts.is_empty());
    assert_eq!(sim.snapshot().log.last().map(|l| l.status), Some(0));
    // The server keeps serving new connections.
    assert_eq!(get(&sim, "/crm/v3/objects/contacts").await.status, 200);
}

#[tokio::test]
async fn a_delayed_request_that_outlives_a_reset_does_not_land_in_the_new_portal() {
    let sim = start_default().await;
    sim.inject(Fault::new(FaultAction::Delay(Duration::from_millis(400))).with_times(1));
    let base = sim.clone();
    let late = tokio::spawn(async move {
        post(
            &base,
            "/crm/v3/objects/contacts",
            json!({ "properties": { "email": "late@example.com" } }),
        )
        .await
    });
    // Reset only once the request has met the fault (and is waiting in it).
    let deadline = Instant::now() + Duration::from_secs(10);
    while sim.snapshot().faults_pending > 0 {
        assert!(Instant::now() < deadline, "the request never arrived");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    sim.reset();
    let resp = late.await.expect("request task");
    assert_eq!(resp.status, 503);
    assert!(sim.snapshot().contacts.is_empty());
}
