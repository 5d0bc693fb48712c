//! Mutable simulator state shared by the server and the handle.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use crate::config::SimConfig;
use crate::objects::ObjectType;
use crate::properties::Definition;
use crate::ratelimit::RateLimiter;
use crate::stats::RateStats;
use crate::store::Store;
use crate::types::{Fault, FaultAction, LoggedRequest, RateLimitPolicy, Snapshot};

/// How many requests the log keeps.
const LOG_CAPACITY: usize = 10_000;

/// How long a queued fault lasts.
#[derive(Debug, Clone, Copy)]
enum Span {
    /// `times` more matching requests.
    Count,
    /// Every matching request before this instant (a storm).
    Until(Instant),
    /// A storm too long to represent as an `Instant`.
    Forever,
}

/// A queued fault and how long it lasts.
#[derive(Debug)]
struct Queued {
    fault: Fault,
    span: Span,
}

impl Queued {
    fn expired(&self, now: Instant) -> bool {
        matches!(self.span, Span::Until(until) if now >= until)
    }
}

/// Everything behind the simulator's mutex.
#[derive(Debug)]
pub(crate) struct State {
    pub cfg: SimConfig,
    pub store: Store,
    pub limiter: RateLimiter,
    pub started: Instant,
    faults: VecDeque<Queued>,
    stats: RateStats,
    requests: u64,
    rate_limited: u64,
    log: VecDeque<LoggedRequest>,
    /// How many times the portal was reset: a delayed request that outlives a reset
    /// is dropped instead of landing in the new portal.
    pub resets: u64,
}

impl State {
    pub(crate) fn new(cfg: SimConfig) -> Self {
        let mut st = Self {
            cfg,
            store: Store::default(),
            limiter: RateLimiter::default(),
            started: Instant::now(),
            faults: VecDeque::new(),
            stats: RateStats::default(),
            requests: 0,
            rate_limited: 0,
            log: VecDeque::new(),
            resets: 0,
        };
        st.define_configured_properties(crate::time::now_ms());
        st
    }

    /// Defines the configured unique-value properties (unknown object types
    /// are skipped).
    fn define_configured_properties(&mut self, now_ms: u64) {
        for (object, name) in &self.cfg.unique_properties {
            if let Some(object) = ObjectType::from_segment(object) {
                self.store
                    .define(object, Definition::text(object, name, true, now_ms));
            }
        }
    }

    /// Counts an API request and takes the first matching fault, if any.
    /// Expired storms are dropped first. A 429 the fault answers with is
    /// counted in the stats for `token` (the bearer token as presented).
    pub(crate) fn begin_request(
        &mut self,
        method: &str,
        path: &str,
        token: Option<&str>,
        now: Instant,
    ) -> Option<FaultAction> {
        self.requests += 1;
        self.faults.retain(|q| !q.expired(now));
        let index = self.faults.iter().position(|q| {
            let f = &q.fault;
            f.method
                .as_deref()
                .is_none_or(|m| m.eq_ignore_ascii_case(method))
                && f.path_prefix.as_deref().is_none_or(|p| path.starts_with(p))
        })?;
        let queued = self.faults.get_mut(index)?;
        let action = queued.fault.action.clone();
        if let Span::Count = queued.span {
            queued.fault.times = queued.fault.times.saturating_sub(1);
            if queued.fault.times == 0 {
                self.faults.remove(index);
            }
        }
        if matches!(
            action,
            FaultAction::Respond { status: 429, .. } | FaultAction::RateLimited { .. }
        ) {
            self.stats.record_injected_429(token);
        }
        Some(action)
    }

    /// Records the limiter's verdict for the stats.
    pub(crate) fn record_verdict(
        &mut self,
        token: &str,
        search: bool,
        rejected: Option<RateLimitPolicy>,
        now: Instant,
    ) {
        let at_ms = millis(now.saturating_duration_since(self.started));
        self.stats.record_verdict(token, search, rejected, at_ms);
    }

    /// The rate-limit statistics so far.
    pub(crate) fn rate_stats(&self) -> RateStats {
        RateStats {
            elapsed_ms: millis(self.started.elapsed()),
            burst_limit: self.cfg.burst_limit,
            burst_window_ms: millis(self.cfg.burst_window),
            search_per_second: self.cfg.search_per_second,
            ..self.stats.clone()
        }
    }

    /// Records the outcome of an API request.
    pub(crate) fn finish_request(&mut self, method: &str, path: &str, status: u16) {
        if status == 429 {
            self.rate_limited += 1;
        }
        if self.log.len() == LOG_CAPACITY {
            self.log.pop_front();
        }
        self.log.push_back(LoggedRequest {
            method: method.to_owned(),
            path: path.to_owned(),
            status,
        });
    }

    /// Queues a fault. A storm (`for_ms` set) is active from `now` for
    /// `for_ms`; one that can never fire (`times == 0` without a span, or
    /// `for_ms == 0`) is dropped.
    pub(crate) fn push_fault(&mut self, fault: Fault, now: Instant) {
        let span = match fault.for_ms {
            Some(0) => return,
            Some(ms) => now
                .checked_add(Duration::from_millis(ms))
                .map_or(Span::Forever, Span::Until),
            None if fault.times == 0 => return,
            None => Span::Count,
        };
        self.faults.push_back(Queued { fault, span });
    }

    /// Removes every queued fault (ending storms early); returns how many
    /// were still active.
    pub(crate) fn clear_faults(&mut self, now: Instant) -> usize {
        let active = self.faults_pending_at(now);
        self.faults.clear();
        active
    }

    /// Number of queued faults that can still fire.
    pub(crate) fn faults_pending(&self) -> usize {
        self.faults_pending_at(Instant::now())
    }

    fn faults_pending_at(&self, now: Instant) -> usize {
        self.faults.iter().filter(|q| !q.expired(now)).count()
    }

    /// Stores a contact without validation, searchable at once.
    pub(crate) fn seed_contact(&mut self, properties: Map<String, Value>, now_ms: u64) -> String {
        let properties: BTreeMap<String, String> = properties
            .into_iter()
            .map(|(k, v)| {
                let text = match v {
                    Value::String(s) => s,
                    Value::Null => String::new(),
                    other => other.to_string(),
                };
                (k, text)
            })
            .collect();
        self.store
            .insert(ObjectType::Contacts, properties, now_ms, now_ms)
    }

    /// Back to an empty portal with fresh limits and only the configured
    /// custom properties; configuration and the id counter are kept.
    pub(crate) fn reset(&mut self) {
        self.store.clear();
        self.define_configured_properties(crate::time::now_ms());
        self.limiter = RateLimiter::default();
        self.faults.clear();
        self.stats = RateStats::default();
        self.requests = 0;
        self.rate_limited = 0;
        self.log.clear();
        self.resets += 1;
    }

    pub(crate) fn snapshot(&self) -> Snapshot {
        Snapshot {
            contacts: self.store.all(ObjectType::Contacts).cloned().collect(),
            calls: self.store.all(ObjectType::Calls).cloned().collect(),
            requests: self.requests,
            rate_limited: self.rate_limited,
            daily_used: self.limiter.daily_used(),
            faults_pending: self.faults_pending(),
            removed_properties: self.store.removed(),
            unique_properties: self.store.unique_properties(),
            log: self.log.iter().cloned().collect(),
        }
    }
}

/// Whole milliseconds of `d`, saturating.
fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn respond(status: u16) -> FaultAction {
        FaultAction::Respond {
            status,
            headers: Vec::new(),
            body: String::new(),
        }
    }

    #[test]
    fn a_storm_applies_to_every_match_until_it_expires() {
        let mut st = State::new(SimConfig::default());
        let t0 = Instant::now();
        st.push_fault(
            Fault::new(respond(503))
                .with_path_prefix("/crm/v3/objects/calls")
                .with_times(0)
                .lasting(Duration::from_millis(200)),
            t0,
        );
        st.push_fault(Fault::new(respond(500)), t0);
        let at = |ms| t0 + Duration::from_millis(ms);
        for ms in [0, 50, 199] {
            assert_eq!(
                st.begin_request("GET", "/crm/v3/objects/calls", None, at(ms)),
                Some(respond(503))
            );
        }
        // Not matched by the storm: the next fault in the queue fires.
        assert_eq!(
            st.begin_request("GET", "/crm/v3/objects/contacts", None, at(10)),
            Some(respond(500))
        );
        assert_eq!(st.faults_pending_at(at(199)), 1);
        assert_eq!(st.faults_pending_at(at(200)), 0);
        assert_eq!(
            st.begin_request("GET", "/crm/v3/objects/calls", None, at(200)),
            None
        );
        assert!(st.faults.is_empty());
    }

    #[test]
    fn faults_that_can_never_fire_are_dropped_and_clear_ends_storms() {
        let mut st = State::new(SimConfig::default());
        let t0 = Instant::now();
        st.push_fault(Fault::new(respond(500)).with_times(0), t0);
        st.push_fault(
            Fault::new(respond(500)).lasting(Duration::from_millis(0)),
            t0,
        );
        assert_eq!(st.faults_pending_at(t0), 0);
        st.push_fault(
            Fault::new(respond(500)).lasting(Duration::from_millis(u64::MAX)),
            t0,
        );
        st.push_fault(Fault::new(respond(502)).with_times(3), t0);
        assert_eq!(st.clear_faults(t0), 2);
        assert_eq!(st.begin_request("GET", "/x", None, t0), None);
    }

    #[test]
    fn injected_429s_are_counted_apart_per_presented_token() {
        let mut st = State::new(SimConfig::default());
        let t0 = Instant::now();
        st.push_fault(Fault::new(respond(429)).with_times(2), t0);
        st.push_fault(Fault::rate_limit_storm("", 1_000, 1), t0);
        let _ = st.begin_request("GET", "/x", Some("anyone"), t0);
        let _ = st.begin_request("GET", "/x", None, t0);
        let _ = st.begin_request("GET", "/x", Some("anyone"), t0);
        let stats = st.rate_stats();
        assert_eq!(stats.injected_429, 3);
        assert_eq!(stats.token("anyone").injected_429, 2);
        assert_eq!(stats.token("anyone").accepted, 0);
        assert_eq!(stats.burst_window_ms, 10_000);
    }
}
