//! E-mail addresses in canonical form.
//!
//! ```
//! assert_eq!(switchboard_sdk::email::normalize("  Ann@Example.COM ").unwrap(), "ann@example.com");
//! assert!(switchboard_sdk::email::normalize("not an email").is_err());
//! ```

/// Trims and lower-cases `raw` and checks it looks like `local@domain.tld`.
pub fn normalize(raw: &str) -> Result<String, String> {
    let s = raw.trim().to_lowercase();
    let (local, domain) = s
        .split_once('@')
        .ok_or_else(|| format!("{:?} has no '@'", raw.trim()))?;
    let ok = !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !s.chars().any(char::is_whitespace);
    if ok {
        Ok(s)
    } else {
        Err(format!("{:?} is not a valid e-mail address", raw.trim()))
    }
}
