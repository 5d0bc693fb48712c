//! Mutable simulator state shared by the server and the handle.

use std::collections::{BTreeMap, VecDeque};
use std::time::Instant;

use serde_json::{Map, Value};

use crate::config::SimConfig;
use crate::objects::ObjectType;
use crate::properties::Definition;
use crate::ratelimit::RateLimiter;
use crate::store::Store;
use crate::types::{Fault, FaultAction, LoggedRequest, Snapshot};

/// How many requests the log keeps.
const LOG_CAPACITY: usize = 10_000;

/// Everything behind the simulator's mutex.
#[derive(Debug)]
pub(crate) struct State {
    pub cfg: SimConfig,
    pub store: Store,
    pub limiter: RateLimiter,
    pub started: Instant,
    faults: VecDeque<Fault>,
    requests: u64,
    rate_limited: u64,
    log: VecDeque<LoggedRequest>,
}

impl State {
    pub(crate) fn new(cfg: SimConfig) -> Self {
        let mut st = Self {
            cfg,
            store: Store::default(),
            limiter: RateLimiter::default(),
            started: Instant::now(),
            faults: VecDeque::new(),
            requests: 0,
            rate_limited: 0,
            log: VecDeque::new(),
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
    pub(crate) fn begin_request(&mut self, method: &str, path: &str) -> Option<FaultAction> {
        self.requests += 1;
        let index = self.faults.iter().position(|f| {
            f.method
                .as_deref()
                .is_none_or(|m| m.eq_ignore_ascii_case(method))
                && f.path_prefix.as_deref().is_none_or(|p| path.starts_with(p))
        })?;
        let fault = self.faults.get_mut(index)?;
        let action = fault.action.clone();
        fault.times = fault.times.saturating_sub(1);
        if fault.times == 0 {
            self.faults.remove(index);
        }
        Some(action)
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

    /// Queues a fault (one with `times == 0` never fires and is dropped).
    pub(crate) fn push_fault(&mut self, fault: Fault) {
        if fault.times > 0 {
            self.faults.push_back(fault);
        }
    }

    /// Number of queued faults.
    pub(crate) fn faults_pending(&self) -> usize {
        self.faults.len()
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
        self.requests = 0;
        self.rate_limited = 0;
        self.log.clear();
    }

    pub(crate) fn snapshot(&self) -> Snapshot {
        Snapshot {
            contacts: self.store.all(ObjectType::Contacts).cloned().collect(),
            calls: self.store.all(ObjectType::Calls).cloned().collect(),
            requests: self.requests,
            rate_limited: self.rate_limited,
            daily_used: self.limiter.daily_used(),
            faults_pending: self.faults.len(),
            removed_properties: self.store.removed(),
            unique_properties: self.store.unique_properties(),
            log: self.log.iter().cloned().collect(),
        }
    }
}
