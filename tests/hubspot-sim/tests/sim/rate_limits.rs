//! Rolling ten-secondly window, daily limit, headers.

use std::time::Duration;

use switchboard_hubspot_sim::SimConfig;

use crate::common::*;

const LIST: &str = "/crm/v3/objects/contacts";

#[tokio::test]
async fn ratelimit_headers_are_present_and_count_down() {
    let sim = start_default().await;
    let first = get(&sim, LIST).await;
    let second = get(&sim, LIST).await;
    assert_eq!(first.status, 200);
    assert_eq!(
        first.header("x-hubspot-ratelimit-interval-milliseconds"),
        Some("10000")
    );
    assert_eq!(first.header("x-hubspot-ratelimit-max"), Some("190"));
    assert_eq!(first.header("x-hubspot-ratelimit-remaining"), Some("189"));
    assert_eq!(second.header("x-hubspot-ratelimit-remaining"), Some("188"));
    assert_eq!(first.header("x-hubspot-ratelimit-daily"), Some("650000"));
    assert_eq!(
        first.header("x-hubspot-ratelimit-daily-remaining"),
        Some("649999")
    );
    assert_eq!(
        second.header("x-hubspot-ratelimit-daily-remaining"),
        Some("649998")
    );
}

#[tokio::test]
async fn burst_over_limit_is_ten_secondly_429_and_recovers_after_window() {
    let sim = start(SimConfig {
        burst_limit: 5,
        burst_window: Duration::from_millis(600),
        portal_id: 777,
        tokens: vec![TOKEN.into(), "second-token".into()],
        ..Default::default()
    })
    .await;
    for _ in 0..5 {
        assert_eq!(get(&sim, LIST).await.status, 200);
    }
    let limited = get(&sim, LIST).await;
    assert_ten_secondly_429(&limited);
    assert_eq!(limited.header("x-hubspot-ratelimit-remaining"), Some("0"));

    let snap = sim.snapshot();
    assert_eq!(snap.rate_limited, 1);
    assert_eq!(snap.daily_used, 5, "rejected requests are not counted");
    // Another token has its own window.
    let other = send(&sim, "GET", LIST, Some("second-token"), None).await;
    assert_eq!(other.status, 200);

    tokio::time::sleep(Duration::from_millis(650)).await;
    let recovered = get(&sim, LIST).await;
    assert_eq!(recovered.status, 200);
    assert_eq!(recovered.header("x-hubspot-ratelimit-remaining"), Some("4"));
}

#[tokio::test]
async fn daily_limit_is_daily_429() {
    let sim = start(SimConfig {
        daily_limit: 3,
        ..Default::default()
    })
    .await;
    for _ in 0..3 {
        assert_eq!(get(&sim, LIST).await.status, 200);
    }
    let limited = get(&sim, LIST).await;
    assert_eq!(limited.status, 429);
    assert_eq!(
        limited.body["message"],
        "You have reached your daily limit."
    );
    assert_eq!(limited.body["errorType"], "RATE_LIMIT");
    assert_eq!(limited.body["policyName"], "DAILY");
    assert_eq!(
        limited.body["requestId"].as_str(),
        limited.header("x-request-id")
    );
    assert_eq!(
        limited.header("x-hubspot-ratelimit-daily-remaining"),
        Some("0")
    );
    let retry: u64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=86_400).contains(&retry));
}

#[tokio::test]
async fn control_api_is_not_rate_limited() {
    let sim = start(SimConfig {
        burst_limit: 1,
        ..Default::default()
    })
    .await;
    for _ in 0..5 {
        let resp = reqwest::get(format!("{}/__sim/state", sim.base_url()))
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 200);
    }
    assert_eq!(sim.snapshot().requests, 0);
}

#[tokio::test]
async fn unset_retry_after_is_the_wait_until_the_oldest_request_leaves_the_window() {
    let sim = start(SimConfig {
        burst_limit: 2,
        burst_window: Duration::from_millis(2_500),
        retry_after_secs: None,
        ..Default::default()
    })
    .await;
    assert_eq!(get(&sim, LIST).await.status, 200);
    assert_eq!(get(&sim, LIST).await.status, 200);
    let limited = get(&sim, LIST).await;
    assert_eq!(limited.status, 429);
    // About 2.5 s are left, rounded up.
    assert_eq!(limited.header("retry-after"), Some("3"));
    assert_eq!(
        limited.header("x-hubspot-ratelimit-interval-milliseconds"),
        Some("2500")
    );
    assert_eq!(limited.header("x-hubspot-ratelimit-max"), Some("2"));
    assert_eq!(limited.header("x-hubspot-ratelimit-remaining"), Some("0"));
    assert_eq!(
        limited.header("x-hubspot-ratelimit-daily-remaining"),
        Some("649998")
    );
}

#[tokio::test]
async fn omit_retry_after_sends_no_retry_after_on_any_429() {
    let sim = start(SimConfig {
        burst_limit: 1,
        search_per_second: 1,
        omit_retry_after: true,
        ..Default::default()
    })
    .await;
    assert_eq!(get(&sim, LIST).await.status, 200);
    let limited = get(&sim, LIST).await;
    assert_eq!(limited.status, 429);
    assert_eq!(limited.header("retry-after"), None);
    assert_eq!(limited.header("x-hubspot-ratelimit-remaining"), Some("0"));
    let search = "/crm/v3/objects/contacts/search";
    let body = serde_json::json!({});
    assert_eq!(post(&sim, search, body.clone()).await.status, 200);
    let limited = post(&sim, search, body).await;
    assert_eq!(limited.status, 429);
    assert_eq!(limited.header("retry-after"), None);
    assert_eq!(limited.header("x-hubspot-ratelimit-remaining"), None);
}
