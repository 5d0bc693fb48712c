//! `normalize`: phones to E.164, e-mail lower-case, `started-at` to UTC,
//! duration and direction checked. Pure; every invalid field is reported.

use switchboard_sdk::prelude::*;

use crate::fields::{self, *};

/// Unix values below this (1973-03-03 in milliseconds) are almost surely
/// seconds sent by mistake.
const MIN_UNIX_MS: i64 = 100_000_000_000;

/// Normalizes `rec`, reading numbers without a country code as numbers of
/// `region` (ISO 3166 alpha-2, e.g. `US`). Fields this connector does not
/// know are kept unchanged. Fails with one [`FieldError`] per bad field.
pub fn normalize_record_with(rec: Record, region: &str) -> Result<Record, Vec<FieldError>> {
    let is_call = match rec.kind.as_str() {
        KIND_CALL => true,
        KIND_CONTACT => false,
        other => {
            return Err(vec![FieldError::new(
                "",
                format!(
                    "unknown record kind {other:?}; this connector accepts \"call\" and \"contact\""
                ),
            )]);
        }
    };
    let mut out = Normalized {
        rec,
        errors: Vec::new(),
    };
    out.required(is_call);
    for name in [PHONE, FROM_NUMBER, TO_NUMBER] {
        out.apply(name, |r| phone_field(r, name, region));
    }
    out.apply(EMAIL, email_field);
    out.apply(STARTED_AT, |r| started_at(r.get(STARTED_AT)));
    out.apply(DURATION, duration);
    out.apply(DIRECTION, direction);
    out.apply(STATUS, status);
    out.apply(RECORDING_URL, recording_url);
    for name in [FIRST_NAME, LAST_NAME, COMPANY, TITLE, NOTES] {
        out.apply(name, |r| Ok(fields::text(r, name)?.map(Value::Text)));
    }
    if out.errors.is_empty() {
        Ok(out.rec)
    } else {
        Err(out.errors)
    }
}

/// The record being rewritten and the errors found so far.
struct Normalized {
    rec: Record,
    errors: Vec<FieldError>,
}

impl Normalized {
    /// Runs one field's normalizer: a value replaces the field, `None`
    /// leaves it, an error is collected under the field's name.
    fn apply(&mut self, name: &str, f: impl FnOnce(&Record) -> Result<Option<Value>, String>) {
        match f(&self.rec) {
            Ok(Some(v)) => self.rec.set(name, v),
            Ok(None) => {}
            Err(reason) => self.errors.push(FieldError::new(name, reason)),
        }
    }

    /// Reports missing required fields: a call needs `phone` and
    /// `started-at`; a contact needs `phone` or `email`.
    fn required(&mut self, is_call: bool) {
        let has = |name| fields::is_present(&self.rec, name);
        let mut missing = Vec::new();
        if is_call {
            if !has(PHONE) {
                missing.push((PHONE, "is required: the other party's phone number"));
            }
            if !has(STARTED_AT) {
                missing.push((STARTED_AT, "is required: RFC 3339 or Unix milliseconds"));
            }
        } else if !has(PHONE) && !has(EMAIL) {
            missing.push((PHONE, "a contact needs a phone or an email"));
        }
        self.errors
            .extend(missing.into_iter().map(|(f, r)| FieldError::new(f, r)));
    }
}

fn phone_field(rec: &Record, name: &str, region: &str) -> Result<Option<Value>, String> {
    let Some(raw) = fields::text(rec, name)? else {
        return Ok(None);
    };
    phone::to_e164(&raw, region)
        .map(|e| Some(Value::Text(e)))
        .map_err(|e| e.to_string())
}

fn email_field(rec: &Record) -> Result<Option<Value>, String> {
    let Some(raw) = fields::text(rec, EMAIL)? else {
        return Ok(None);
    };
    email::normalize(&raw).map(|e| Some(Value::Text(e)))
}

/// RFC 3339 with any offset, or Unix milliseconds (number or digits), to
/// RFC 3339 UTC.
fn started_at(v: Option<&Value>) -> Result<Option<Value>, String> {
    let raw = match v {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Text(s) | Value::Timestamp(s)) if s.trim().is_empty() => return Ok(None),
        Some(Value::Text(s) | Value::Timestamp(s)) => s.trim().to_string(),
        Some(Value::Integer(ms)) => ms.to_string(),
        Some(Value::Number(n)) if n.is_finite() && n.fract() == 0.0 => format!("{n:.0}"),
        Some(other) => {
            return Err(format!(
                "must be an RFC 3339 timestamp or Unix milliseconds, got {}",
                fields::value_kind(other)
            ));
        }
    };
    if let Ok(ms) = raw.parse::<i64>()
        && ms < MIN_UNIX_MS
    {
        return Err(format!(
            "{raw:?} looks like Unix seconds; send Unix milliseconds or RFC 3339"
        ));
    }
    time::to_utc(&raw).map(|t| Some(Value::Timestamp(t)))
}

fn duration(rec: &Record) -> Result<Option<Value>, String> {
    if !fields::is_present(rec, DURATION) {
        return Ok(None);
    }
    match rec.integer(DURATION) {
        Some(s) if s >= 0 => Ok(Some(Value::Integer(s))),
        Some(s) => Err(format!("must be 0 or more seconds, got {s}")),
        None => Err(format!(
            "must be a whole number of seconds, got {}",
            describe_value(rec, DURATION)
        )),
    }
}

fn direction(rec: &Record) -> Result<Option<Value>, String> {
    let Some(raw) = fields::text(rec, DIRECTION)? else {
        return Ok(None);
    };
    match raw.to_ascii_lowercase().as_str() {
        d @ ("inbound" | "outbound") => Ok(Some(Value::Text(d.to_string()))),
        _ => Err(format!("must be \"inbound\" or \"outbound\", got {raw:?}")),
    }
}

/// Upper-case with `_` separators (`no answer` -> `NO_ANSWER`).
fn status(rec: &Record) -> Result<Option<Value>, String> {
    let Some(raw) = fields::text(rec, STATUS)? else {
        return Ok(None);
    };
    let s: String = raw
        .chars()
        .map(|c| {
            if c == ' ' || c == '-' {
                '_'
            } else {
                c.to_ascii_uppercase()
            }
        })
        .collect();
    if s.chars().all(|c| c.is_ascii_uppercase() || c == '_') {
        Ok(Some(Value::Text(s)))
    } else {
        Err(format!(
            "must be a HubSpot call status such as \"COMPLETED\" or \"NO_ANSWER\", got {raw:?}"
        ))
    }
}

fn recording_url(rec: &Record) -> Result<Option<Value>, String> {
    let Some(raw) = fields::text(rec, RECORDING_URL)? else {
        return Ok(None);
    };
    let lower = raw.to_ascii_lowercase();
    if lower.starts_with("https://") || lower.starts_with("http://") {
        Ok(Some(Value::Text(raw)))
    } else {
        Err(format!("must be an http(s) URL, got {raw:?}"))
    }
}

fn describe_value(rec: &Record, name: &str) -> String {
    match rec.get(name) {
        Some(Value::Text(s)) => format!("{s:?}"),
        Some(Value::Number(n)) => n.to_string(),
        Some(v) => fields::value_kind(v).to_string(),
        None => "nothing".to_string(),
    }
}
