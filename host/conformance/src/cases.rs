//! Case files: the kit's suites as data (TOML), so QA adds a case without writing Rust.
//!
//! A file names the CRM whose simulator it needs (`crm = "any"` for cases every
//! connector must pass) and lists `[[normalize]]`, `[[classify]]` and `[[push]]`
//! cases. `docs/conformance.md` is the reference; `cases/*.toml` are the built-in suites.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

/// The built-in case files, compiled into the kit: `(file name, text)`.
pub const BUILT_IN: [(&str, &str); 2] = [
    ("common.toml", include_str!("../cases/common.toml")),
    ("hubspot.toml", include_str!("../cases/hubspot.toml")),
];

/// The `crm` value of a file whose cases apply to every connector.
pub const ANY_CRM: &str = "any";

/// One case file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseFile {
    /// The simulator these cases need (`hubspot`), or `any`.
    pub crm: String,
    /// `normalize` cases.
    #[serde(default)]
    pub normalize: Vec<NormalizeCase>,
    /// `classify-error` cases.
    #[serde(default)]
    pub classify: Vec<ClassifyCase>,
    /// `push` cases, run against the simulator.
    #[serde(default)]
    pub push: Vec<PushCase>,
    /// Where the file came from, for messages (set by the loader).
    #[serde(skip)]
    pub origin: String,
}

/// Record fields as in the CLI's JSON records: strings, numbers, booleans; tables
/// and arrays travel as JSON text.
pub type Fields = BTreeMap<String, toml::Value>;

/// A `normalize` case: a record and what `normalize` must make of it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NormalizeCase {
    /// What the case shows, e.g. `UK mobile typed nationally`.
    pub name: String,
    /// The record kind; a connector that does not declare it skips the case.
    pub kind: String,
    /// The deployment's `default-region` config (ISO 3166), if the case needs one.
    #[serde(default)]
    pub region: Option<String>,
    /// The record's fields.
    pub fields: Fields,
    /// What must come back.
    pub expect: NormalizeExpect,
}

/// What a `normalize` case expects: either fields (a subset of the result) or a refusal.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NormalizeExpect {
    /// Fields the normalized record must hold, with these exact values.
    #[serde(default)]
    pub fields: Fields,
    /// The record must be refused with a field error naming this field.
    #[serde(default)]
    pub invalid: Option<String>,
}

/// A `classify-error` case: a canonical CRM response and the class it must get.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassifyCase {
    /// What the case shows, e.g. `401 expired token`.
    pub name: String,
    /// HTTP status.
    pub status: u16,
    /// Response headers (names are lower-cased before the call).
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Response body, as sent by the CRM.
    #[serde(default)]
    pub body: String,
    /// The class it must get.
    pub expect: ClassExpect,
}

/// An expected error class, and optionally its details.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassExpect {
    /// `transient`, `rate-limited`, `auth`, `permission`, `not-found`, `validation`,
    /// `field-removed`, `duplicate` or `permanent`.
    pub class: String,
    /// For `rate-limited`: `burst` or `daily`.
    #[serde(default)]
    pub scope: Option<String>,
    /// For `transient` and `rate-limited`: the retry-after the CRM gave, in ms.
    #[serde(default)]
    pub retry_after_ms: Option<u64>,
    /// For `validation` and `field-removed`: the field at fault.
    #[serde(default)]
    pub field: Option<String>,
    /// For `duplicate`: the existing object's id.
    #[serde(default)]
    pub existing_id: Option<String>,
    /// Text the class's reason must contain (case-insensitive).
    #[serde(default)]
    pub reason_contains: Option<String>,
}

/// A `push` case: seed the simulator, maybe inject a fault, push a record (maybe
/// several times with the same idempotency key) and check the outcome and the CRM.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushCase {
    /// What the case shows.
    pub name: String,
    /// The record kind.
    pub kind: String,
    /// The deployment's `default-region` config, if the case needs one.
    #[serde(default)]
    pub region: Option<String>,
    /// The record's fields.
    pub fields: Fields,
    /// Objects stored in the CRM before the push, as a person would have typed them.
    #[serde(default)]
    pub seed: Vec<Seed>,
    /// A fault the simulator applies to matching requests.
    #[serde(default)]
    pub fault: Option<FaultSpec>,
    /// How many times the record is pushed with the same idempotency key.
    #[serde(default = "one")]
    pub times: u32,
    /// Each repeat runs with an empty `state` store, as after losing it: only the
    /// CRM-side idempotency can prevent a double.
    #[serde(default)]
    pub fresh_state: bool,
    /// What must happen.
    pub expect: PushExpect,
}

fn one() -> u32 {
    1
}

/// An object stored in the simulator before a push case.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Seed {
    /// The CRM object type, e.g. `contacts`.
    pub object: String,
    /// Its properties, as stored.
    pub properties: BTreeMap<String, String>,
}

/// A fault the simulator applies.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultSpec {
    /// `respond` (answer with `status`, `headers`, `body`) or `timeout` (answer later
    /// than the kit's request timeout).
    pub action: String,
    /// Only requests with this method.
    #[serde(default)]
    pub method: Option<String>,
    /// Only requests whose path starts with this.
    #[serde(default)]
    pub path: Option<String>,
    /// How many matching requests it applies to; 0 = every one during the case.
    #[serde(default)]
    pub times: u32,
    /// For `respond`: the status.
    #[serde(default)]
    pub status: Option<u16>,
    /// For `respond`: the headers.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// For `respond`: the body.
    #[serde(default)]
    pub body: String,
}

/// What a push case expects.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushExpect {
    /// The first push's status: `created`, `updated` or `already-present`.
    #[serde(default)]
    pub status: Option<String>,
    /// The status of every repeat (`times` > 1); default `already-present`.
    #[serde(default)]
    pub repeat_status: Option<String>,
    /// The push must fail with this class instead (with details as in classify cases).
    #[serde(default)]
    pub failure: Option<ClassExpect>,
    /// Live objects the case must have added to the CRM, per object type (exact).
    #[serde(default)]
    pub created: BTreeMap<String, u64>,
    /// The outcome's primary or related objects must include the first seeded object.
    #[serde(default)]
    pub uses_seed: bool,
    /// A request of the push must have failed in transport with this host failure
    /// name, or one starting with it: `timeout` (any phase), `timeout-total`,
    /// `connect-failed`, ... So a `timeout` fault case proves a timeout happened.
    #[serde(default)]
    pub transport: Option<String>,
}

/// Why a case file was refused.
#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    /// The file could not be read.
    #[error("{path}: cannot read: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not a valid case file.
    #[error("{origin}: {reason}")]
    Invalid {
        /// The file.
        origin: String,
        /// What is wrong and where (TOML errors carry line and column).
        reason: String,
    },
}

/// Parses one case file and checks every case can be run.
pub fn parse(text: &str, origin: &str) -> Result<CaseFile, CaseError> {
    let invalid = |reason: String| CaseError::Invalid {
        origin: origin.to_string(),
        reason,
    };
    let mut file: CaseFile = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
    file.origin = origin.to_string();
    crate::case_checks::check(&file).map_err(invalid)?;
    Ok(file)
}

/// The built-in files and every `*.toml` in `dirs` (sorted by name within a directory).
pub fn load(dirs: &[impl AsRef<Path>]) -> Result<Vec<CaseFile>, CaseError> {
    let mut files = BUILT_IN
        .iter()
        .map(|(name, text)| parse(text, &format!("built-in {name}")))
        .collect::<Result<Vec<_>, _>>()?;
    for dir in dirs {
        let dir = dir.as_ref();
        let read = |source| CaseError::Read {
            path: dir.display().to_string(),
            source,
        };
        let mut paths: Vec<_> = std::fs::read_dir(dir)
            .map_err(read)?
            .map(|e| e.map(|e| e.path()))
            .collect::<Result<_, _>>()
            .map_err(read)?;
        paths.retain(|p| p.extension().is_some_and(|e| e == "toml"));
        paths.sort();
        for path in paths {
            let text = std::fs::read_to_string(&path).map_err(|source| CaseError::Read {
                path: path.display().to_string(),
                source,
            })?;
            files.push(parse(&text, &path.display().to_string())?);
        }
    }
    Ok(files)
}
