//! The body parser of Switchboard's ingest API and the errors of an ingest request.
//!
//! [`parse_body`] splits a request body (a JSON array of records, or NDJSON: one JSON
//! value per line) into JSON values, refusing more than a limit before any record is
//! parsed. It is pure and depends on no runtime, so it can be fuzzed on its own
//! (`fuzz/`, target `ingest_body`); `switchboard-pipeline` re-exports everything here.
//!
//! ```
//! use switchboard_ingest::{IngestError, parse_body};
//!
//! let records = parse_body(b"{\"id\":\"a\"}\n{\"id\":\"b\"}\n", 100)?;
//! assert_eq!(records.len(), 2);
//! assert!(matches!(parse_body(b"[]", 100), Err(IngestError::Malformed(_))));
//! # Ok::<(), IngestError>(())
//! ```

#![warn(missing_docs)]

use serde::Serialize;
use serde_json::Value as Json;

/// Why an ingest request was refused. Nothing of a refused request is enqueued.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IngestError {
    /// No such tenant (404).
    #[error("unknown tenant {0:?}")]
    UnknownTenant(String),
    /// Missing or wrong ingest token (401).
    #[error("missing or invalid ingest token for tenant {0:?}")]
    Unauthorized(String),
    /// More records than allowed in one request (413).
    #[error("{got} records in one request; at most {max} are allowed")]
    TooManyRecords {
        /// Records sent.
        got: usize,
        /// The limit.
        max: usize,
    },
    /// The body is not a JSON array or NDJSON (400).
    #[error("body is not a JSON array of records or NDJSON: {0}")]
    Malformed(String),
    /// Some records are invalid (400).
    #[error("{} invalid record(s); nothing was enqueued", .0.len())]
    Invalid(Vec<RecordProblem>),
    /// The records could not be stored or flushed (503); nothing is acknowledged.
    #[error("records could not be made durable: {0}")]
    Storage(String),
    /// Some records are for a deployment that failed to load (503); nothing was enqueued.
    /// The request can be sent again once the operator has fixed the deployment.
    #[error("{} record(s) are for a deployment that is not running; nothing was enqueued", .0.len())]
    DeploymentDown(Vec<RecordProblem>),
}

/// What is wrong with one record of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordProblem {
    /// Position in the request, from 0.
    pub index: usize,
    /// The record's id, if it had a readable one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The field at fault (`id`, `kind`, `fields.phone`, `record`).
    pub field: String,
    /// Why.
    pub reason: String,
}

/// Splits a request body into JSON values: a JSON array, or one JSON value per line
/// (blank lines skipped). At most `max_records` values are accepted; for NDJSON the lines
/// are counted before any is parsed. An empty result is refused as
/// [`IngestError::Malformed`], as is a body that is not UTF-8 or not JSON.
pub fn parse_body(body: &[u8], max_records: usize) -> Result<Vec<Json>, IngestError> {
    let text =
        std::str::from_utf8(body).map_err(|e| IngestError::Malformed(format!("not UTF-8: {e}")))?;
    let trimmed = text.trim_start();
    let values: Vec<Json> = if trimmed.starts_with('[') {
        let values: Vec<Json> = serde_json::from_str(trimmed)
            .map_err(|e| IngestError::Malformed(format!("invalid JSON array: {e}")))?;
        check_count(values.len(), max_records)?;
        values
    } else {
        let lines: Vec<(usize, &str)> = text
            .lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l.trim()))
            .filter(|(_, l)| !l.is_empty())
            .collect();
        check_count(lines.len(), max_records)?;
        lines
            .into_iter()
            .map(|(n, line)| {
                serde_json::from_str(line)
                    .map_err(|e| IngestError::Malformed(format!("line {n}: invalid JSON: {e}")))
            })
            .collect::<Result<_, _>>()?
    };
    if values.is_empty() {
        return Err(IngestError::Malformed("no records".to_owned()));
    }
    Ok(values)
}

/// Refuses `got` records when more than `max` are allowed in one request
/// ([`IngestError::TooManyRecords`]).
pub fn check_count(got: usize, max: usize) -> Result<(), IngestError> {
    if got > max {
        return Err(IngestError::TooManyRecords { got, max });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_arrays_and_ndjson_and_counts_before_parsing_records() {
        assert_eq!(parse_body(b"[{\"a\":1},{\"b\":2}]", 10).unwrap().len(), 2);
        assert_eq!(
            parse_body(b"{\"a\":1}\n\n{\"b\":2}\r\n", 10).unwrap().len(),
            2
        );
        assert!(matches!(
            parse_body(b"{}\n{}\n{}", 2),
            Err(IngestError::TooManyRecords { got: 3, max: 2 })
        ));
        assert!(
            matches!(parse_body(b"{}\n{oops", 10), Err(IngestError::Malformed(m)) if m.contains("line 2"))
        );
        assert!(matches!(
            parse_body(b"  ", 10),
            Err(IngestError::Malformed(_))
        ));
        assert!(matches!(
            parse_body(b"\xff", 10),
            Err(IngestError::Malformed(_))
        ));
    }

    #[test]
    fn counts_array_elements_against_the_limit_and_refuses_an_empty_array() {
        assert!(matches!(
            parse_body(b"[1,2,3]", 2),
            Err(IngestError::TooManyRecords { got: 3, max: 2 })
        ));
        assert!(
            matches!(parse_body(b" []", 2), Err(IngestError::Malformed(m)) if m == "no records")
        );
        assert!(check_count(2, 2).is_ok());
    }
}
