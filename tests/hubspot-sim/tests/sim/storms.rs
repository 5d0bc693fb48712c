//! Time-boxed faults ("storms"): 503s, HubSpot 429s and a slow CRM for a
//! span of time, through the Rust API and `/__sim/faults`.

use std::time::{Duration, Instant};

use serde_json::json;
use switchboard_hubspot_sim::{Fault, SimConfig, UNAVAILABLE_BODY};

use crate::common::*;

const CALLS: &str = "/crm/v3/objects/calls";
const CONTACTS: &str = "/crm/v3/objects/contacts";

#[tokio::test]
async fn unavailable_storm_answers_503_for_its_span_then_expires() {
    let sim = start_default().await;
    sim.inject(Fault::unavailable_storm(CALLS, 400));
    assert_eq!(sim.snapshot().faults_pending, 1);
    for _ in 0..5 {
        let resp = get(&sim, CALLS).await;
        assert_eq!(resp.status, 503);
        assert_eq!(
            resp.body,
            serde_json::from_str::<serde_json::Value>(UNAVAILABLE_BODY).unwrap()
        );
        assert!(resp.header("x-hubspot-correlation-id").is_some());
        assert_eq!(resp.header("retry-after"), None);
    }
    // Paths outside the prefix are untouched.
    assert_eq!(get(&sim, CONTACTS).await.status, 200);
    tokio::time::sleep(Duration::from_millis(450)).await;
    assert_eq!(sim.snapshot().faults_pending, 0);
    assert_eq!(get(&sim, CALLS).await.status, 200);
    let statuses: Vec<u16> = sim.snapshot().log.iter().map(|l| l.status).collect();
    assert_eq!(statuses, [503, 503, 503, 503, 503, 200, 200]);
}

#[tokio::test]
async fn rate_limit_storm_is_hubspots_ten_secondly_429_and_charges_nothing() {
    let sim = start(SimConfig {
        burst_limit: 50,
        burst_window: Duration::from_secs(1),
        portal_id: 777,
        ..Default::default()
    })
    .await;
    sim.inject(Fault::rate_limit_storm("", 400, 1));
    for _ in 0..3 {
        let limited = get(&sim, CONTACTS).await;
        assert_ten_secondly_429(&limited);
        assert_eq!(
            limited.header("x-hubspot-ratelimit-interval-milliseconds"),
            Some("1000")
        );
        assert_eq!(limited.header("x-hubspot-ratelimit-max"), Some("50"));
        assert_eq!(limited.header("x-hubspot-ratelimit-remaining"), Some("0"));
        assert_eq!(limited.header("x-hubspot-ratelimit-daily"), Some("650000"));
        assert_eq!(
            limited.header("x-hubspot-ratelimit-daily-remaining"),
            Some("650000")
        );
    }
    let stats = sim.rate_stats();
    assert_eq!(stats.injected_429, 3);
    assert_eq!(stats.token(TOKEN).injected_429, 3);
    assert_eq!(stats.token(TOKEN).accepted, 0);
    assert_eq!(stats.token(TOKEN).rejected(), 0);
    let snap = sim.snapshot();
    assert_eq!((snap.rate_limited, snap.daily_used), (3, 0));

    tokio::time::sleep(Duration::from_millis(450)).await;
    let recovered = get(&sim, CONTACTS).await;
    assert_eq!(recovered.status, 200);
    assert_eq!(
        recovered.header("x-hubspot-ratelimit-remaining"),
        Some("49")
    );
}

#[tokio::test]
async fn storms_over_http_control_apply_to_every_match_and_can_be_cleared() {
    let sim = start_default().await;
    let queued = send(
        &sim,
        "POST",
        "/__sim/faults",
        None,
        Some(json!({
            "method": "POST",
            "path_prefix": CONTACTS,
            "for_ms": 60_000,
            "action": { "respond": {
                "status": 429,
                "headers": [["retry-after", "4"]],
                "body": "{\"status\":\"error\",\"policyName\":\"DAILY\"}"
            }}
        })),
    )
    .await;
    assert_eq!(queued.status, 200);
    assert_eq!(queued.body, json!({ "queued": 1 }));
    let search_storm = send(
        &sim,
        "POST",
        "/__sim/faults",
        None,
        Some(json!({
            "path_prefix": "/crm/v3/objects/calls/search",
            "for_ms": 60_000,
            "action": { "rate_limited": { "policy": "SECONDLY", "retry_after_secs": 2 } }
        })),
    )
    .await;
    assert_eq!(search_storm.body, json!({ "queued": 2 }));

    // `times` defaulted to 1 but a storm ignores it: every match is hit.
    for _ in 0..3 {
        let resp = post(
            &sim,
            CONTACTS,
            json!({ "properties": { "email": "s@x.io" } }),
        )
        .await;
        assert_eq!(resp.status, 429);
        assert_eq!(resp.header("retry-after"), Some("4"));
        assert_eq!(resp.body["policyName"], "DAILY");
    }
    let search = post(&sim, &format!("{CALLS}/search"), json!({})).await;
    assert_eq!(search.status, 429);
    assert_eq!(search.body["policyName"], "SECONDLY");
    assert_eq!(search.header("retry-after"), Some("2"));
    assert_eq!(search.header("x-hubspot-ratelimit-remaining"), None);
    assert_eq!(get(&sim, CONTACTS).await.status, 200);

    let stats = send(&sim, "GET", "/__sim/stats", None, None).await;
    assert_eq!(stats.body["injected_429"], 4);
    assert_eq!(stats.body["tokens"][TOKEN]["injected_429"], 4);

    let cleared = send(&sim, "DELETE", "/__sim/faults", None, None).await;
    assert_eq!(cleared.body, json!({ "cleared": 2 }));
    assert_eq!(
        post(
            &sim,
            CONTACTS,
            json!({ "properties": { "email": "s@x.io" } })
        )
        .await
        .status,
        201
    );
    assert_eq!(sim.clear_faults(), 0);
}

#[tokio::test]
async fn slow_storm_answers_every_request_late_then_ends() {
    let sim = start_default().await;
    let delay = Duration::from_millis(400);
    sim.inject(Fault::slow_storm("", 300, delay));
    let started = Instant::now();
    let (a, b, c) = tokio::join!(
        get(&sim, CONTACTS),
        get(&sim, CALLS),
        create_contact(&sim, json!({ "email": "slow@example.com" })),
    );
    assert_eq!((a.status, b.status), (200, 200));
    assert!(!c.is_empty());
    // Delays run concurrently, not one after another.
    let took = started.elapsed();
    assert!(took >= delay, "{took:?}");
    assert!(took < delay * 2, "{took:?}");

    tokio::time::sleep(Duration::from_millis(100)).await;
    let fast = Instant::now();
    assert_eq!(get(&sim, CONTACTS).await.status, 200);
    assert!(fast.elapsed() < Duration::from_millis(300));
}

#[tokio::test]
async fn a_client_that_times_out_during_a_slow_storm_cancels_its_request() {
    let sim = start_default().await;
    sim.inject(Fault::slow_storm(
        CONTACTS,
        1_000,
        Duration::from_millis(400),
    ));
    let err = reqwest::Client::new()
        .post(format!("{}{CONTACTS}", sim.base_url()))
        .bearer_auth(TOKEN)
        .timeout(Duration::from_millis(100))
        .json(&json!({ "properties": { "email": "gave-up@example.com" } }))
        .send()
        .await
        .expect_err("the client gives up first");
    assert!(err.is_timeout());
    // The server drops the request with the connection: nothing is written.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let snap = sim.snapshot();
    assert!(snap.contacts.is_empty());
    assert_eq!(snap.requests, 1);
    assert!(snap.log.is_empty());
}
