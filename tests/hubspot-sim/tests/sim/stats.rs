//! Rate-limit statistics: `SimHandle::rate_stats` and `GET /__sim/stats`.

use std::time::Duration;

use serde_json::json;
use switchboard_hubspot_sim::{RateLimitPolicy, RateStats, SimConfig, TokenStats};

use crate::common::*;

const LIST: &str = "/crm/v3/objects/contacts";
const SEARCH: &str = "/crm/v3/objects/contacts/search";

#[tokio::test]
async fn stats_count_accepted_and_rejected_by_policy_per_token() {
    let sim = start(SimConfig {
        burst_limit: 3,
        burst_window: Duration::from_millis(500),
        search_per_second: 1,
        tokens: vec![TOKEN.into(), "other".into()],
        ..Default::default()
    })
    .await;
    let statuses: Vec<u16> = futures_sequential(&sim, 5).await;
    assert_eq!(statuses, [200, 200, 200, 429, 429]);
    assert_eq!(post(&sim, SEARCH, json!({})).await.status, 200);
    assert_eq!(post(&sim, SEARCH, json!({})).await.status, 429);
    assert_eq!(
        send(&sim, "GET", LIST, Some("other"), None).await.status,
        200
    );
    // Not counted: bad token (401), unknown path (404), control requests.
    assert_eq!(
        send(&sim, "GET", LIST, Some("nope"), None).await.status,
        401
    );
    assert_eq!(get(&sim, "/crm/v3/nothing").await.status, 404);

    let stats = sim.rate_stats();
    assert_eq!((stats.burst_limit, stats.burst_window_ms), (3, 500));
    assert_eq!(stats.search_per_second, 1);
    assert_eq!(stats.tokens.len(), 2);
    let mine = stats.token(TOKEN);
    assert_eq!((mine.accepted, mine.search_accepted), (3, 1));
    assert_eq!(mine.rejected_ten_secondly_rolling, 2);
    assert_eq!(mine.rejected_by(RateLimitPolicy::Secondly), 1);
    assert_eq!((mine.rejected_daily, mine.injected_429), (0, 0));
    assert_eq!(mine.accepted_at_ms.len(), 3);
    assert!(mine.accepted_at_ms.windows(2).all(|w| w[0] <= w[1]));
    assert!(mine.accepted_at_ms[2] <= stats.elapsed_ms);
    assert_eq!(mine.max_accepted_in_window(stats.burst_window()), 3);
    assert_eq!(stats.token("other").accepted, 1);
    assert_eq!(stats.token("nope"), &TokenStats::default());
    assert_eq!(sim.snapshot().rate_limited, 3);

    // The same over HTTP (taken a moment later, so `elapsed_ms` may differ).
    let resp = send(&sim, "GET", "/__sim/stats", None, None).await;
    assert_eq!(resp.status, 200);
    let mut over_http: RateStats = serde_json::from_value(resp.body.clone()).unwrap();
    assert!(over_http.elapsed_ms >= stats.elapsed_ms);
    over_http.elapsed_ms = stats.elapsed_ms;
    assert_eq!(over_http, stats);
    assert_eq!(
        resp.body["tokens"][TOKEN]["rejected_ten_secondly_rolling"],
        2
    );
    assert!(resp.body["tokens"][TOKEN]["accepted_at_ms"].is_array());

    sim.reset();
    assert_eq!(sim.rate_stats().tokens.len(), 0);
}

async fn futures_sequential(sim: &switchboard_hubspot_sim::SimHandle, n: usize) -> Vec<u16> {
    let mut statuses = Vec::new();
    for _ in 0..n {
        statuses.push(get(sim, LIST).await.status);
    }
    statuses
}

#[tokio::test]
async fn daily_rejections_are_counted_apart() {
    let sim = start(SimConfig {
        daily_limit: 2,
        ..Default::default()
    })
    .await;
    for expected in [200, 200, 429, 429] {
        assert_eq!(get(&sim, LIST).await.status, expected);
    }
    assert_eq!(post(&sim, SEARCH, json!({})).await.status, 429);
    let stats = sim.rate_stats();
    let mine = stats.token(TOKEN);
    assert_eq!((mine.accepted, mine.rejected_daily), (2, 3));
    assert_eq!(
        mine.rejected_ten_secondly_rolling + mine.rejected_secondly,
        0
    );
}

#[tokio::test]
async fn a_hammered_token_never_gets_more_than_the_limit_in_any_window() {
    let window = Duration::from_millis(200);
    let sim = start(SimConfig {
        burst_limit: 5,
        burst_window: window,
        ..Default::default()
    })
    .await;
    let client = reqwest::Client::new();
    let url = format!("{}{LIST}", sim.base_url());
    let deadline = tokio::time::Instant::now() + Duration::from_millis(700);
    let mut sent = 0_u64;
    while tokio::time::Instant::now() < deadline {
        let resp = client.get(&url).bearer_auth(TOKEN).send().await.unwrap();
        assert!(matches!(resp.status().as_u16(), 200 | 429));
        sent += 1;
    }
    let stats = sim.rate_stats();
    let mine = stats.token(TOKEN);
    assert_eq!(mine.accepted + mine.rejected(), sent);
    assert!(
        mine.rejected_ten_secondly_rolling > 0,
        "{sent} requests sent"
    );
    assert!(
        mine.accepted >= 15,
        "three windows or more: {}",
        mine.accepted
    );
    assert!(mine.max_accepted_in_window(window) <= 5);
    // The limiter lets the window fill: 5 in the first window.
    assert_eq!(mine.max_accepted_in_window(window), 5);
    // A rolling window admits at most limit × (whole windows + 1) in a span,
    // so utilisation over a short span can exceed 1.0.
    let span = Duration::from_millis(stats.elapsed_ms);
    let whole_windows = stats.elapsed_ms / 200;
    assert!(mine.accepted <= 5 * (whole_windows + 1));
    let utilisation = mine.utilisation(5, window, span);
    assert!(utilisation > 0.5, "{utilisation}");
}
