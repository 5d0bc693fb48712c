//! What a run found: one result per check, with expected / got / how to reproduce
//! for every failure, and the measurements the sandbox checks are based on.

use serde::Serialize;

/// How a check ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The connector did what the case expects.
    Pass,
    /// It did not; `expected` and `got` say how.
    Fail,
    /// The case does not apply (kind not declared, no simulator, ...); `note` says why.
    Skip,
}

/// One check.
#[derive(Debug, Clone, Serialize)]
pub struct CaseResult {
    /// `describe`, `normalize`, `map-fields`, `push`, `classify-error` or `sandbox`.
    pub suite: String,
    /// The case's name.
    pub name: String,
    /// Pass, fail or skip.
    pub status: Status,
    /// For a failure: what the case expected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    /// For a failure: what came back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub got: Option<String>,
    /// For a failure: how to run this case alone, and its input.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reproduce: Option<String>,
    /// Why it was skipped, or a measurement worth showing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Time the check took, in milliseconds.
    pub ms: u64,
}

impl CaseResult {
    /// A passed check.
    pub fn pass(suite: &str, name: &str) -> Self {
        Self {
            suite: suite.into(),
            name: name.into(),
            status: Status::Pass,
            expected: None,
            got: None,
            reproduce: None,
            note: None,
            ms: 0,
        }
    }

    /// A failed check.
    pub fn fail(suite: &str, name: &str, expected: String, got: String) -> Self {
        Self {
            status: Status::Fail,
            expected: Some(expected),
            got: Some(got),
            ..Self::pass(suite, name)
        }
    }

    /// A skipped check.
    pub fn skip(suite: &str, name: &str, why: impl Into<String>) -> Self {
        Self {
            status: Status::Skip,
            note: Some(why.into()),
            ..Self::pass(suite, name)
        }
    }

    /// Adds a note.
    #[must_use]
    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.note = Some(note.into());
        self
    }

    /// `Ok` passes, `Err((expected, got))` fails.
    pub fn from_check(suite: &str, name: &str, check: Result<(), (String, String)>) -> Self {
        match check {
            Ok(()) => Self::pass(suite, name),
            Err((expected, got)) => Self::fail(suite, name, expected, got),
        }
    }
}

/// The connector under test.
#[derive(Debug, Clone, Serialize)]
pub struct ConnectorInfo {
    /// The `.wasm` file.
    pub path: String,
    /// `describe` name.
    pub name: String,
    /// `describe` version.
    pub version: String,
    /// `describe` CRM.
    pub crm: String,
}

/// What the sandbox checks measured over the whole run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Measurements {
    /// Units of work (fresh instances) run.
    pub units: u64,
    /// HTTP requests the connector sent.
    pub http_requests: u64,
    /// The largest linear memory any instance asked for, in bytes.
    pub peak_memory_bytes: u64,
    /// The per-instance memory cap the kit ran under, in bytes.
    pub memory_limit_bytes: u64,
    /// The most guest time one unit of work used, in milliseconds.
    pub max_guest_ms: u64,
    /// The per-unit guest time budget the kit ran under, in milliseconds.
    pub time_budget_ms: u64,
}

/// The whole run.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The connector.
    pub connector: ConnectorInfo,
    /// The simulator used for push and classify cases, if any.
    pub simulator: Option<String>,
    /// Every check, in the order run.
    pub results: Vec<CaseResult>,
    /// Sandbox measurements.
    pub measurements: Measurements,
    /// Checks passed.
    pub passed: usize,
    /// Checks failed.
    pub failed: usize,
    /// Checks skipped.
    pub skipped: usize,
}

impl Report {
    /// Builds the report and its counts.
    pub fn new(
        connector: ConnectorInfo,
        simulator: Option<String>,
        results: Vec<CaseResult>,
        measurements: Measurements,
    ) -> Self {
        let count = |s| results.iter().filter(|r| r.status == s).count();
        Self {
            passed: count(Status::Pass),
            failed: count(Status::Fail),
            skipped: count(Status::Skip),
            connector,
            simulator,
            results,
            measurements,
        }
    }

    /// True when no check failed.
    pub fn ok(&self) -> bool {
        self.failed == 0
    }
}
