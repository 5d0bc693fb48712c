//! The contract's data types with small constructors.

pub use crate::__bindings::switchboard::connector::types::{
    CrmRef, CrmResponse, Descriptor, Effect, ErrorClass, Field, FieldError, LimitScope, Payload,
    PushContext, PushError, PushOutcome, PushStatus, RateLimit, RateLimited, Record, RequestCost,
    Value,
};

impl Descriptor {
    /// A descriptor with a name, version and CRM; add the rest with the builder methods.
    pub fn new(name: &str, version: &str, crm: &str) -> Self {
        Descriptor {
            name: name.into(),
            version: version.into(),
            crm: crm.into(),
            record_kinds: Vec::new(),
            outbound_hosts: Vec::new(),
            config_keys: Vec::new(),
            secret_names: Vec::new(),
            owned_fields: Vec::new(),
            rate_limits: Vec::new(),
        }
    }
    /// Record kinds accepted.
    pub fn kinds<'a>(mut self, kinds: impl IntoIterator<Item = &'a str>) -> Self {
        self.record_kinds = kinds.into_iter().map(String::from).collect();
        self
    }
    /// Outbound hosts needed, `scheme://host[:port]`.
    pub fn hosts<'a>(mut self, hosts: impl IntoIterator<Item = &'a str>) -> Self {
        self.outbound_hosts = hosts.into_iter().map(String::from).collect();
        self
    }
    /// Config keys read.
    pub fn config_keys<'a>(mut self, keys: impl IntoIterator<Item = &'a str>) -> Self {
        self.config_keys = keys.into_iter().map(String::from).collect();
        self
    }
    /// Secrets needed.
    pub fn secrets<'a>(mut self, names: impl IntoIterator<Item = &'a str>) -> Self {
        self.secret_names = names.into_iter().map(String::from).collect();
        self
    }
    /// CRM fields written.
    pub fn owns<'a>(mut self, fields: impl IntoIterator<Item = &'a str>) -> Self {
        self.owned_fields = fields.into_iter().map(String::from).collect();
        self
    }
    /// A rate-limit budget (see [`RateLimit::burst`] and [`RateLimit::daily`]).
    pub fn rate_limit(mut self, limit: RateLimit) -> Self {
        self.rate_limits.push(limit);
        self
    }
}

impl RateLimit {
    /// A rolling window: at most `tokens` per `window_ms`; every request costs 1.
    pub fn burst(name: &str, tokens: u32, window_ms: u64) -> Self {
        RateLimit {
            name: name.into(),
            tokens,
            window_ms,
            scope: LimitScope::Burst,
            costs: Vec::new(),
            default_cost: 1,
        }
    }
    /// A daily quota of `tokens`, reset once a day; every request costs 1.
    pub fn daily(name: &str, tokens: u32) -> Self {
        RateLimit {
            scope: LimitScope::Daily,
            ..Self::burst(name, tokens, 86_400_000)
        }
    }
    /// Requests with `method` (empty: any) whose path starts with `path_prefix` cost
    /// `cost` (0: exempt). The first matching entry wins.
    pub fn cost(mut self, method: &str, path_prefix: &str, cost: u32) -> Self {
        self.costs.push(RequestCost {
            method: method.to_ascii_uppercase(),
            path_prefix: path_prefix.into(),
            cost,
        });
        self
    }
    /// What a request no entry matches costs (0: only the listed requests count).
    pub fn default_cost(mut self, cost: u32) -> Self {
        self.default_cost = cost;
        self
    }
}

impl FieldError {
    /// An error about one field.
    pub fn new(field: &str, reason: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

impl CrmRef {
    /// A reference to a CRM object.
    pub fn new(object: &str, id: impl Into<String>) -> Self {
        CrmRef {
            object: object.into(),
            id: id.into(),
        }
    }
}

impl PushOutcome {
    /// A newly created object.
    pub fn created(primary: CrmRef) -> Self {
        Self::with_status(PushStatus::Created, primary)
    }
    /// The CRM already had it.
    pub fn already_present(primary: CrmRef) -> Self {
        Self::with_status(PushStatus::AlreadyPresent, primary)
    }
    /// An existing object updated.
    pub fn updated(primary: CrmRef) -> Self {
        Self::with_status(PushStatus::Updated, primary)
    }
    fn with_status(status: PushStatus, primary: CrmRef) -> Self {
        PushOutcome {
            status,
            primary,
            related: Vec::new(),
            effects: Vec::new(),
        }
    }
    /// Adds a related object.
    pub fn related(mut self, r: CrmRef) -> Self {
        self.related.push(r);
        self
    }
    /// Adds a side effect, for later compensation.
    pub fn effect(mut self, action: &str, target: CrmRef) -> Self {
        self.effects.push(Effect {
            action: action.into(),
            target,
        });
        self
    }
}

impl CrmResponse {
    /// A header's value (names compare case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    /// The body parsed as JSON, if it is JSON.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }
}
