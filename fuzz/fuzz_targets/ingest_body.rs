//! `switchboard_ingest::parse_body` on arbitrary bytes, with two small record limits.
//!
//! Must hold: no panic; an accepted body has between 1 and `max` records; a refusal is
//! only `Malformed` or `TooManyRecords` (with the limit given and more records than it);
//! the two limits agree (what fits under the small one is parsed the same under the large
//! one, and a body over the large one is over the small one too).

#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value as Json;
use switchboard_ingest::{IngestError, parse_body};

/// The limits the body is parsed under.
const LARGE: usize = 16;
const SMALL: usize = 2;

fuzz_target!(|data: &[u8]| {
    let large = parse_body(data, LARGE);
    let small = parse_body(data, SMALL);
    check(&large, LARGE);
    check(&small, SMALL);
    match (&large, &small) {
        (Ok(values), small) if values.len() <= SMALL => {
            assert_eq!(small.as_ref().ok(), Some(values), "limits disagree");
        }
        (Ok(values), small) => assert!(
            matches!(small, Err(IngestError::TooManyRecords { got, .. }) if *got == values.len()),
            "{} records fit {LARGE} but not refused over {SMALL}: {small:?}",
            values.len()
        ),
        (Err(IngestError::TooManyRecords { got, .. }), small) => assert!(
            matches!(small, Err(IngestError::TooManyRecords { got: g, .. }) if g == got),
            "over {LARGE} but not over {SMALL}: {small:?}"
        ),
        (Err(_), small) => assert!(
            small.is_err(),
            "refused under {LARGE}, accepted under {SMALL}"
        ),
    }
    if let Ok(values) = &large {
        let text = std::str::from_utf8(data).expect("accepted bodies are UTF-8");
        // Leading whitespace is Rust's (Unicode), not only JSON's: trimmed as parse_body does.
        let trimmed = text.trim_start();
        if trimmed.starts_with('[') {
            let direct: Vec<Json> = serde_json::from_str(trimmed).expect("accepted array parses");
            assert_eq!(&direct, values, "array body parsed differently");
        } else {
            let lines = text.lines().filter(|l| !l.trim().is_empty()).count();
            assert_eq!(lines, values.len(), "one record per non-blank line");
        }
    }
});

fn check(result: &Result<Vec<Json>, IngestError>, max: usize) {
    match result {
        Ok(values) => assert!(
            (1..=max).contains(&values.len()),
            "{} records accepted under a limit of {max}",
            values.len()
        ),
        Err(IngestError::TooManyRecords { got, max: m }) => {
            assert_eq!(*m, max, "the limit reported is not the one given");
            assert!(got > m, "{got} records refused as over {m}");
        }
        Err(IngestError::Malformed(reason)) => assert!(!reason.is_empty()),
        Err(other) => panic!("parse_body returned a non-parse error: {other:?}"),
    }
    if let Err(e) = result {
        let _ = e.to_string();
    }
}
