use std::sync::Mutex as StdMutex;

use tokio::time::{advance, sleep};

use super::*;
use crate::spec::{BudgetSpec, RequestCost, Scope};

const SEC: Duration = Duration::from_secs(1);
const HOUR: Duration = Duration::from_secs(3_600);

fn budget(name: &str, scope: Scope, tokens: u64, window: Duration) -> BudgetSpec {
    BudgetSpec {
        name: name.into(),
        tokens,
        window,
        scope,
        costs: vec![],
        default_cost: 1,
    }
}

fn rolling(tokens: u64, window: Duration) -> BudgetSpec {
    budget("api", Scope::Rolling, tokens, window)
}

fn limiter(budgets: Vec<BudgetSpec>, max_wait: Duration) -> Arc<Limiter> {
    Arc::new(Limiter::new(LimiterConfig {
        budgets,
        max_wait,
        first_daily_reset_in: Some(600 * SEC),
    }))
}

fn cost(method: &str, path_prefix: &str, cost: u32) -> RequestCost {
    RequestCost {
        method: method.into(),
        path_prefix: path_prefix.into(),
        cost,
    }
}

fn report(remaining: Option<u64>, limit: Option<u64>, reset: Option<Duration>) -> Report {
    Report {
        budget: "api".into(),
        remaining,
        limit,
        reset,
    }
}

/// The most instants in any half-open window `[t, t + window)`.
fn max_in_any_window(mut times: Vec<Instant>, window: Duration) -> usize {
    times.sort();
    let mut end = 0;
    let mut most = 0;
    for (start, &t) in times.iter().enumerate() {
        while end < times.len() && times[end] < t + window {
            end += 1;
        }
        most = most.max(end - start);
    }
    most
}

fn used(limiter: &Limiter) -> u64 {
    limiter.snapshot().budgets[0].used
}

#[test]
fn limiter_and_acquire_are_send_and_sync() {
    fn send_sync<T: Send + Sync>(_: &T) {}
    fn send<T: Send>(_: &T) {}
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let _guard = rt.enter();
    let l = limiter(vec![rolling(1, SEC)], SEC);
    send_sync(&*l);
    send(&l.acquire("GET", "/"));
}

#[tokio::test(start_paused = true)]
async fn never_exceeds_tokens_in_any_window_under_concurrency() {
    let window = SEC;
    let tokens = 10;
    let l = limiter(vec![rolling(tokens, window)], HOUR);
    let end = Instant::now() + 30 * window;
    // (sent, arrived): the CRM counts a request at some instant between the
    // send and the response; here late, at 90% of the latency.
    let log = Arc::new(StdMutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for i in 0..20u64 {
        let (l, log) = (Arc::clone(&l), Arc::clone(&log));
        let slow = if i % 7 == 0 { 1_500 } else { 0 };
        let latency = Duration::from_millis((i * 97) % 400 + slow);
        tasks.push(tokio::spawn(async move {
            while Instant::now() < end {
                let permit = l.acquire("POST", "/x").await.unwrap();
                let sent = Instant::now();
                log.lock().unwrap().push((sent, sent + latency * 9 / 10));
                sleep(latency).await;
                permit.complete();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let log = log.lock().unwrap().clone();
    assert!(log.len() > 200, "only {} requests", log.len());
    let sent = log.iter().map(|&(s, _)| s).collect();
    let arrived = log.iter().map(|&(_, a)| a).collect();
    assert!(max_in_any_window(sent, window) <= tokens as usize);
    assert!(max_in_any_window(arrived, window) <= tokens as usize);
}

/// With 20 workers always asking: requests in the first 30 windows as a
/// share of `30 * tokens`, and the steady rate after the first burst as a
/// share of `tokens / window`.
async fn utilisation(tokens: u64, window: Duration) -> (f64, f64) {
    let l = limiter(vec![rolling(tokens, window)], HOUR);
    let end = Instant::now() + 30 * window;
    let log = Arc::new(StdMutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let (l, log) = (Arc::clone(&l), Arc::clone(&log));
        tasks.push(tokio::spawn(async move {
            loop {
                let permit = l.acquire("GET", "/x").await.unwrap();
                let now = Instant::now();
                if now >= end {
                    break;
                }
                log.lock().unwrap().push(now);
                permit.complete();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let log = log.lock().unwrap().clone();
    let n = log.len() as f64;
    let (first, last) = (log[0], log[log.len() - 1]);
    assert!(max_in_any_window(log, window) <= tokens as usize);
    let tokens = tokens as f64;
    let windows = (last - first).as_secs_f64() / window.as_secs_f64();
    (n / (30.0 * tokens), (n - tokens) / (windows * tokens))
}

#[tokio::test(start_paused = true)]
async fn utilisation_is_at_least_97_percent_190_per_10_s() {
    let (total, steady) = utilisation(190, 10 * SEC).await;
    assert!(total >= 0.97, "utilisation {total}");
    assert!(steady >= 0.97, "steady utilisation {steady}");
}

#[tokio::test(start_paused = true)]
async fn utilisation_is_at_least_97_percent_50_per_1_s() {
    let (total, steady) = utilisation(50, SEC).await;
    assert!(total >= 0.97, "utilisation {total}");
    assert!(steady >= 0.97, "steady utilisation {steady}");
}

#[tokio::test(start_paused = true)]
async fn completed_permit_counts_until_response_plus_window() {
    // 64 s window: 1 s slots.
    let l = limiter(vec![rolling(2, 64 * SEC)], HOUR);
    let slow = l.acquire("GET", "/").await.unwrap();
    let dropped = l.acquire("GET", "/").await.unwrap();
    advance(10 * SEC).await;
    slow.complete();
    drop(dropped);
    // The dropped one expires from its send slot (1 s + 64 s), the completed
    // one from its response slot (11 s + 64 s).
    advance(55 * SEC).await;
    assert_eq!(used(&l), 1);
    assert_eq!(l.ready_in(), Duration::ZERO);
    assert!(l.acquire("GET", "/").await.is_ok());
    assert_eq!(l.ready_in(), 10 * SEC);
}

#[tokio::test(start_paused = true)]
async fn permit_in_flight_keeps_counting() {
    let l = limiter(vec![rolling(1, 64 * SEC)], HOUR);
    let permit = l.acquire("GET", "/").await.unwrap();
    advance(100 * SEC).await;
    assert_eq!(used(&l), 1);
    // Only a completion frees it, and then it counts another window.
    assert_eq!(l.ready_in(), 64 * SEC);
    permit.complete();
    assert_eq!(l.ready_in(), 65 * SEC);
}

#[tokio::test(start_paused = true)]
async fn waiter_wakes_when_a_permit_in_flight_is_dropped() {
    let l = limiter(vec![rolling(1, 64 * SEC)], HOUR);
    let t0 = Instant::now();
    let permit = l.acquire("GET", "/").await.unwrap();
    let waiter = tokio::spawn({
        let l = Arc::clone(&l);
        async move { l.acquire("GET", "/").await.map(|_| Instant::now()) }
    });
    advance(200 * SEC).await;
    drop(permit);
    assert_eq!(waiter.await.unwrap(), Ok(t0 + 200 * SEC));
}

#[tokio::test(start_paused = true)]
async fn costly_requests_spend_more_tokens() {
    let mut spec = rolling(100, 64 * SEC);
    spec.costs = vec![cost("POST", "/search", 20), cost("", "/huge", 150)];
    let l = limiter(vec![spec], HOUR);
    let t0 = Instant::now();
    for _ in 0..5 {
        l.acquire("post", "/search/contacts")
            .await
            .unwrap()
            .complete();
    }
    assert_eq!(used(&l), 100);
    assert_eq!(l.ready_in(), 65 * SEC);
    l.acquire("POST", "/search").await.unwrap().complete();
    assert_eq!(Instant::now(), t0 + 65 * SEC);
    let err = l.acquire("GET", "/huge").await;
    assert_eq!(
        err.map(|_| ()),
        Err(AcquireError::TooCostly {
            budget: "api".into(),
            cost: 150,
            tokens: 100
        })
    );
    assert_eq!(used(&l), 20);
}

#[tokio::test(start_paused = true)]
async fn waiters_are_served_in_arrival_order() {
    let mut spec = rolling(10, 64 * SEC);
    spec.costs = vec![cost("", "/half", 5), cost("", "/all", 10)];
    let l = limiter(vec![spec], HOUR);
    l.acquire("GET", "/half").await.unwrap().complete();
    advance(SEC).await;
    l.acquire("GET", "/half").await.unwrap().complete();
    // The first waiter needs both halves to expire; the others need only the
    // first, but must not overtake it.
    let order = Arc::new(StdMutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for i in 0..5 {
        let (l, order) = (Arc::clone(&l), Arc::clone(&order));
        let path = if i == 0 { "/all" } else { "/one" };
        tasks.push(tokio::spawn(async move {
            l.acquire("GET", path).await.unwrap().complete();
            order.lock().unwrap().push(i);
        }));
        sleep(Duration::from_millis(1)).await;
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(*order.lock().unwrap(), vec![0, 1, 2, 3, 4]);
}

#[tokio::test(start_paused = true)]
async fn throttled_without_booking_when_wait_exceeds_max_wait() {
    let l = limiter(vec![rolling(1, 64 * SEC)], 10 * SEC);
    let t0 = Instant::now();
    l.acquire("GET", "/").await.unwrap().complete();
    let err = l.acquire("GET", "/").await.map(|_| ());
    assert_eq!(
        err,
        Err(AcquireError::Throttled {
            wait: 65 * SEC,
            cause: "api".into()
        })
    );
    assert_eq!(Instant::now(), t0);
    assert_eq!(used(&l), 1);
    let msg = err.err().map(|e| e.to_string());
    assert_eq!(
        msg.as_deref(),
        Some("rate limited by \"api\": retry in 65s")
    );
}

#[tokio::test(start_paused = true)]
async fn waits_when_within_max_wait_and_gives_up_when_a_pause_outlasts_it() {
    let l = limiter(vec![rolling(1, 64 * SEC)], 70 * SEC);
    let t0 = Instant::now();
    l.acquire("GET", "/").await.unwrap().complete();
    l.acquire("GET", "/").await.unwrap().complete();
    assert_eq!(Instant::now(), t0 + 65 * SEC);
    let waiter = tokio::spawn({
        let l = Arc::clone(&l);
        async move { l.acquire("GET", "/").await.map(|_| ()) }
    });
    advance(10 * SEC).await;
    assert!(l.pause(100 * SEC, "crm maintenance"));
    assert_eq!(
        waiter.await.unwrap(),
        Err(AcquireError::Throttled {
            wait: 100 * SEC,
            cause: "paused: crm maintenance".into()
        })
    );
    assert_eq!(Instant::now(), t0 + 75 * SEC);
    assert_eq!(used(&l), 1);
}

#[tokio::test(start_paused = true)]
async fn report_drains_never_raises_and_adopts_lower_limit() {
    let l = limiter(vec![rolling(100, 64 * SEC)], HOUR);
    for _ in 0..10 {
        l.acquire("GET", "/").await.unwrap().complete();
    }
    l.report(&report(Some(50), None, None)).unwrap();
    assert_eq!(used(&l), 50);
    l.report(&report(Some(80), None, None)).unwrap();
    assert_eq!(used(&l), 50);
    l.report(&report(None, Some(60), None)).unwrap();
    let b = &l.snapshot().budgets[0];
    assert_eq!(
        (b.tokens, b.server_limit, b.used, b.remaining),
        (100, Some(60), 50, 10)
    );
    let err = l.acquire("GET", "/").await;
    assert!(err.is_ok());
    l.report(&report(None, Some(5), None)).unwrap();
    let mut spec = rolling(100, 64 * SEC);
    spec.default_cost = 6;
    let l2 = limiter(vec![spec], HOUR);
    // A reported limit below the costliest request would make it impossible: the
    // budget keeps room for one such request.
    l2.report(&report(None, Some(5), None)).unwrap();
    assert!(l2.acquire("GET", "/").await.is_ok());
    assert_eq!(l2.snapshot().budgets[0].remaining, 0);
}

#[tokio::test(start_paused = true)]
async fn rolling_report_empty_with_reset_blocks_until_reset() {
    let l = limiter(vec![rolling(100, 64 * SEC)], HOUR);
    let t0 = Instant::now();
    // The drained usage alone would clear after 65 s (the window and its slot); the
    // CRM's reset is sooner, so the budget is held exactly 65 s, then free.
    l.report(&report(Some(0), None, Some(30 * SEC))).unwrap();
    assert_eq!(l.ready_in(), 65 * SEC);
    l.acquire("GET", "/").await.unwrap().complete();
    assert_eq!(Instant::now(), t0 + 65 * SEC);
}

#[tokio::test(start_paused = true)]
async fn a_rolling_reset_longer_than_the_window_is_cut_to_the_window() {
    let l = limiter(vec![rolling(100, 10 * SEC)], HOUR);
    let t0 = Instant::now();
    // A buggy header (seconds read as milliseconds, say) cannot stall the deployment
    // for longer than the window clears in.
    l.report(&report(Some(0), None, Some(30_000 * SEC)))
        .unwrap();
    assert!(l.ready_in() <= 11 * SEC, "{:?}", l.ready_in());
    l.acquire("GET", "/").await.unwrap().complete();
    assert!(Instant::now() <= t0 + 11 * SEC);
}

#[tokio::test(start_paused = true)]
async fn daily_report_sets_used_and_an_earlier_reset_wakes_the_waiter() {
    let l = limiter(vec![budget("api", Scope::Daily, 10, 24 * HOUR)], HOUR);
    let t0 = Instant::now();
    l.report(&report(Some(1), None, None)).unwrap();
    assert_eq!(used(&l), 9);
    l.acquire("GET", "/").await.unwrap().complete();
    let waiter = tokio::spawn({
        let l = Arc::clone(&l);
        async move { l.acquire("GET", "/").await.map(|_| Instant::now()) }
    });
    advance(SEC).await;
    assert_eq!(l.snapshot().budgets[0].resets_in_ms, Some(599_000));
    l.report(&report(Some(0), None, Some(10 * SEC))).unwrap();
    assert_eq!(waiter.await.unwrap(), Ok(t0 + 11 * SEC));
    assert_eq!(used(&l), 1);
}

#[tokio::test(start_paused = true)]
async fn report_for_unknown_budget_is_an_error() {
    let l = limiter(vec![rolling(1, SEC)], SEC);
    let mut r = report(Some(0), None, None);
    r.budget = "secondly".into();
    let err = l.report(&r);
    assert_eq!(err, Err(UnknownBudget("secondly".into())));
    assert_eq!(
        err.err().map(|e| e.to_string()).as_deref(),
        Some("unknown rate-limit budget \"secondly\"")
    );
}

#[tokio::test(start_paused = true)]
async fn acquire_waits_out_a_pause_or_is_throttled_by_it() {
    let l = limiter(vec![rolling(10, SEC)], 10 * SEC);
    let t0 = Instant::now();
    assert!(l.pause(5 * SEC, "retry-after"));
    assert_eq!(l.paused(), Some((5 * SEC, "retry-after".into())));
    l.acquire("GET", "/").await.unwrap().complete();
    assert_eq!(Instant::now(), t0 + 5 * SEC);
    assert_eq!(l.paused(), None);
    assert!(l.pause(20 * SEC, "retry-after"));
    assert_eq!(
        l.acquire("GET", "/").await.map(|_| ()),
        Err(AcquireError::Throttled {
            wait: 20 * SEC,
            cause: "paused: retry-after".into()
        })
    );
}

#[tokio::test(start_paused = true)]
async fn pause_returns_true_only_when_it_changes() {
    let l = limiter(vec![], SEC);
    assert!(l.pause(10 * SEC, "a"));
    assert!(!l.pause(3 * SEC, "b"));
    advance(SEC).await;
    assert!(!l.pause(9 * SEC, "b"));
    assert!(l.pause(10 * SEC, "c"));
    let s = l.snapshot();
    assert_eq!(
        (s.paused_for_ms, s.pause_reason.as_deref()),
        (Some(10_000), Some("c"))
    );
}

#[tokio::test(start_paused = true)]
async fn pause_until_daily_reset_uses_the_midnight_clock_without_daily_budgets() {
    let l = limiter(vec![rolling(1, SEC)], SEC);
    assert_eq!(l.daily_reset_in(), 600 * SEC);
    assert!(l.pause_until_daily_reset("daily quota exhausted"));
    assert!(!l.pause_until_daily_reset("daily quota exhausted"));
    assert_eq!(
        l.paused(),
        Some((600 * SEC, "daily quota exhausted".into()))
    );
    advance(601 * SEC).await;
    assert_eq!(l.daily_reset_in(), 24 * HOUR - SEC);
}

#[tokio::test(start_paused = true)]
async fn pause_until_daily_reset_uses_the_earliest_daily_budget() {
    let l = limiter(
        vec![
            budget("api", Scope::Daily, 5, 24 * HOUR),
            budget("hourly", Scope::Daily, 5, HOUR),
        ],
        SEC,
    );
    advance(700 * SEC).await;
    // Both first reset at 600 s; then every hour beats every day.
    assert_eq!(l.daily_reset_in(), HOUR - 100 * SEC);
    assert!(l.pause_until_daily_reset("quota gone"));
    assert_eq!(l.ready_in(), HOUR - 100 * SEC);
}

#[tokio::test(start_paused = true)]
async fn daily_reset_rolls_used_back_to_zero() {
    let l = limiter(vec![budget("api", Scope::Daily, 2, 24 * HOUR)], SEC);
    l.acquire("GET", "/").await.unwrap().complete();
    l.acquire("GET", "/").await.unwrap().complete();
    assert_eq!(l.ready_in(), 600 * SEC);
    advance(600 * SEC).await;
    assert_eq!(used(&l), 0);
    assert_eq!(l.ready_in(), Duration::ZERO);
    assert_eq!(l.daily_reset_in(), 24 * HOUR);
    assert_eq!(l.snapshot().budgets[0].resets_in_ms, Some(86_400_000));
}

#[tokio::test(start_paused = true)]
async fn ready_in_is_zero_when_ready_and_positive_when_not() {
    let mut spec = rolling(10, 64 * SEC);
    spec.costs = vec![cost("GET", "/health", 0), cost("", "/batch", 4)];
    spec.default_cost = 3;
    let l = limiter(vec![spec], HOUR);
    assert_eq!(l.ready_in(), Duration::ZERO);
    for _ in 0..2 {
        l.acquire("POST", "/batch").await.unwrap().complete();
    }
    // 8 used: room for the cheapest positive cost (3)? No.
    assert_eq!(l.ready_in(), 65 * SEC);
    // Free requests still go.
    l.acquire("GET", "/health").await.unwrap().complete();
    advance(65 * SEC).await;
    assert_eq!(l.ready_in(), Duration::ZERO);
    assert!(l.pause(7 * SEC, "breaker"));
    assert_eq!(l.ready_in(), 7 * SEC);
}

#[tokio::test(start_paused = true)]
async fn snapshot_serializes_for_status() {
    let l = limiter(
        vec![
            rolling(10, 64 * SEC),
            budget("daily", Scope::Daily, 1_000, 24 * HOUR),
        ],
        SEC,
    );
    l.acquire("GET", "/").await.unwrap().complete();
    let json = serde_json::to_value(l.snapshot()).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "paused_for_ms": null,
            "pause_reason": null,
            "budgets": [
                {"name": "api", "scope": "rolling", "tokens": 10, "server_limit": null,
                 "used": 1, "remaining": 9, "blocked_for_ms": null, "resets_in_ms": null},
                {"name": "daily", "scope": "daily", "tokens": 1000, "server_limit": null,
                 "used": 1, "remaining": 999, "blocked_for_ms": null, "resets_in_ms": 600000},
            ],
        })
    );
}
