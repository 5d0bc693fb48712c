use super::*;

const SEC: Duration = Duration::from_secs(1);

fn config() -> BreakerConfig {
    BreakerConfig {
        cooldown: 5 * SEC,
        max_cooldown: 12 * SEC,
        ..BreakerConfig::default()
    }
}

/// A breaker opened by 5 consecutive failures at `t0`.
fn opened(t0: Instant) -> Breaker {
    let mut b = Breaker::new(config(), t0);
    for _ in 0..5 {
        b.on_failure(t0);
    }
    assert_eq!(b.state(t0), State::Open);
    b
}

#[test]
fn defaults_match_the_documented_values() {
    let c = BreakerConfig::default();
    assert_eq!(c.consecutive_failures, 5);
    assert!((c.failure_rate - 0.5).abs() < f64::EPSILON);
    assert_eq!((c.window, c.min_calls), (30 * SEC, 20));
    assert_eq!((c.cooldown, c.max_cooldown), (5 * SEC, 300 * SEC));
}

#[test]
fn opens_after_n_consecutive_failures() {
    let t0 = Instant::now();
    let mut b = Breaker::new(config(), t0);
    for _ in 0..4 {
        assert_eq!(b.on_failure(t0), None);
    }
    assert_eq!(b.admit(t0), (Admission::Allowed, None));
    let t = b.on_failure(t0);
    assert_eq!(
        t,
        Some(Transition {
            from: State::Closed,
            to: State::Open,
            reason: "5 consecutive transient failures".into(),
        })
    );
}

#[test]
fn success_in_between_resets_the_consecutive_count() {
    let t0 = Instant::now();
    let mut b = Breaker::new(config(), t0);
    for _ in 0..4 {
        b.on_failure(t0);
    }
    assert_eq!(b.on_success(t0), None);
    for _ in 0..4 {
        assert_eq!(b.on_failure(t0), None);
    }
    assert_eq!(b.state(t0), State::Closed);
    assert_eq!(b.snapshot(t0).consecutive_failures, 4);
}

#[test]
fn neutral_results_change_nothing_when_closed() {
    let t0 = Instant::now();
    let mut b = Breaker::new(config(), t0);
    for _ in 0..4 {
        b.on_failure(t0);
    }
    b.on_neutral(t0);
    assert!(b.on_failure(t0).is_some());
}

#[test]
fn opens_on_failure_rate_once_min_calls_reached() {
    let t0 = Instant::now();
    let cfg = BreakerConfig {
        consecutive_failures: 100,
        ..config()
    };
    let mut b = Breaker::new(cfg, t0);
    // Fail, fail, succeed, ...: 2 in 3 fail, 1 call a second.
    for i in 0..19u32 {
        let now = t0 + SEC * i;
        let t = if i % 3 == 2 {
            b.on_success(now)
        } else {
            b.on_failure(now)
        };
        assert_eq!(t, None, "call {i}");
    }
    let t = b.on_failure(t0 + SEC * 19);
    assert_eq!(
        t.map(|t| t.reason),
        Some("failure rate 70% over the last 30 s (20 calls)".into())
    );
}

#[test]
fn failure_rate_forgets_results_older_than_the_window() {
    let t0 = Instant::now();
    let cfg = BreakerConfig {
        consecutive_failures: 100,
        ..config()
    };
    let mut b = Breaker::new(cfg, t0);
    for _ in 0..19 {
        b.on_failure(t0);
    }
    assert_eq!(b.on_failure(t0 + 31 * SEC), None);
    assert_eq!(b.snapshot(t0 + 31 * SEC).window_calls, 1);
}

#[test]
fn rejected_during_cooldown_with_retry_in() {
    let t0 = Instant::now();
    let mut b = opened(t0);
    let (admission, t) = b.admit(t0 + 2 * SEC);
    assert_eq!(admission, Admission::Rejected { retry_in: 3 * SEC });
    assert_eq!(t, None);
    // Late results of calls admitted before it opened change nothing.
    assert_eq!(b.on_success(t0 + 2 * SEC), None);
    assert_eq!(b.on_failure(t0 + 2 * SEC), None);
    assert_eq!(b.state(t0 + 2 * SEC), State::Open);
}

#[test]
fn exactly_one_probe_in_half_open() {
    let t0 = Instant::now();
    let mut b = opened(t0);
    let later = t0 + 5 * SEC;
    assert_eq!(b.state(later), State::HalfOpen);
    let (admission, t) = b.admit(later);
    assert_eq!(admission, Admission::Probe);
    assert_eq!(
        t,
        Some(Transition {
            from: State::Open,
            to: State::HalfOpen,
            reason: "cooldown of 5 s ended; sending one probe".into(),
        })
    );
    let retry_in = SEC * 5 / 4;
    for _ in 0..3 {
        assert_eq!(b.admit(later), (Admission::Rejected { retry_in }, None));
    }
}

#[test]
fn probe_success_closes_and_resets() {
    let t0 = Instant::now();
    let mut b = opened(t0);
    let later = t0 + 5 * SEC;
    b.admit(later);
    let t = b.on_success(later);
    assert_eq!(
        t,
        Some(Transition {
            from: State::HalfOpen,
            to: State::Closed,
            reason: "probe succeeded".into(),
        })
    );
    assert_eq!(b.admit(later), (Admission::Allowed, None));
    let s = b.snapshot(later);
    assert_eq!((s.consecutive_failures, s.window_calls), (0, 0));
}

#[test]
fn probe_failure_reopens_with_doubled_cooldown_capped() {
    let t0 = Instant::now();
    let mut b = opened(t0);
    let mut now = t0 + 5 * SEC;
    for (cooldown, text) in [(10u32, "10 s"), (12, "12 s"), (12, "12 s")] {
        assert_eq!(b.admit(now).0, Admission::Probe);
        let t = b.on_failure(now);
        assert_eq!(
            t,
            Some(Transition {
                from: State::HalfOpen,
                to: State::Open,
                reason: format!("probe failed; cooldown now {text}"),
            })
        );
        assert_eq!(
            b.admit(now).0,
            Admission::Rejected {
                retry_in: cooldown * SEC
            }
        );
        now += cooldown * SEC;
    }
    assert_eq!(b.admit(now).0, Admission::Probe);
    assert!(b.on_success(now).is_some());
    assert_eq!(b.snapshot(now).cooldown_ms, 5_000);
}

#[test]
fn neutral_result_frees_the_probe() {
    let t0 = Instant::now();
    let mut b = opened(t0);
    let later = t0 + 5 * SEC;
    assert_eq!(b.admit(later).0, Admission::Probe);
    b.on_neutral(later);
    assert_eq!(b.state(later), State::HalfOpen);
    assert_eq!(b.admit(later), (Admission::Probe, None));
    assert!(matches!(b.admit(later).0, Admission::Rejected { .. }));
}

#[test]
fn probe_retry_hint_is_at_least_50_ms() {
    let t0 = Instant::now();
    let cfg = BreakerConfig {
        consecutive_failures: 1,
        cooldown: Duration::from_millis(100),
        ..config()
    };
    let mut b = Breaker::new(cfg, t0);
    b.on_failure(t0);
    let later = t0 + SEC;
    b.admit(later);
    assert_eq!(
        b.admit(later).0,
        Admission::Rejected {
            retry_in: Duration::from_millis(50)
        }
    );
}

#[test]
fn snapshot_shows_state_counts_and_cooldown() {
    let t0 = Instant::now();
    let mut b = Breaker::new(config(), t0);
    b.on_success(t0);
    b.on_failure(t0);
    let s = b.snapshot(t0);
    assert_eq!(
        s,
        BreakerSnapshot {
            state: State::Closed,
            consecutive_failures: 1,
            window_calls: 2,
            window_failures: 1,
            open_for_ms: None,
            cooldown_ms: 5_000,
        }
    );
    for _ in 0..4 {
        b.on_failure(t0);
    }
    let s = b.snapshot(t0 + 2 * SEC);
    assert_eq!((s.state, s.open_for_ms), (State::Open, Some(3_000)));
    let json = serde_json::to_value(b.snapshot(t0 + 6 * SEC)).ok();
    assert_eq!(
        json.as_ref().and_then(|v| v.get("state")),
        Some(&serde_json::json!("half-open"))
    );
    assert_eq!(State::HalfOpen.to_string(), "half-open");
}
