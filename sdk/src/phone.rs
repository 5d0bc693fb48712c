//! Phone numbers to E.164, with the `phonenumber` crate (libphonenumber
//! metadata), working inside `wasm32-wasip2`.
//!
//! ```
//! use switchboard_sdk::phone;
//! assert_eq!(phone::to_e164("07911 123456", "GB").unwrap(), "+447911123456");
//! assert_eq!(phone::to_e164("+44 7911 123456", "US").unwrap(), "+447911123456");
//! assert_eq!(phone::to_e164("44-7911-123456", "GB").unwrap(), "+447911123456");
//! assert!(phone::to_e164("12", "GB").is_err());
//! ```

use phonenumber::{Mode, country};

/// Why a string is not a usable phone number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneError(pub String);

impl std::fmt::Display for PhoneError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PhoneError {}

/// Parses `raw` as typed by a person, using `default_region` (ISO 3166
/// alpha-2, e.g. `GB`) for numbers without a country code, and returns E.164.
///
/// Digits-only input that starts with a valid country code and is not a
/// valid national number (e.g. `44-7911-123456` typed without `+`) is
/// retried as international.
pub fn to_e164(raw: &str, default_region: &str) -> Result<String, PhoneError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(PhoneError("is empty".into()));
    }
    let region: country::Id = default_region
        .parse()
        .map_err(|_| PhoneError(format!("unknown default region {default_region:?}")))?;
    let attempts = [
        phonenumber::parse(Some(region), trimmed).ok(),
        (!trimmed.starts_with('+'))
            .then(|| phonenumber::parse(None, &format!("+{trimmed}")).ok())
            .flatten(),
    ];
    attempts
        .into_iter()
        .flatten()
        .find(phonenumber::is_valid)
        .map(|n| n.format().mode(Mode::E164).to_string())
        .ok_or_else(|| PhoneError(format!("{trimmed:?} is not a valid phone number")))
}

/// Common ways people type the number `e164`: E.164 itself, international
/// with spaces, national with and without spaces, and bare digits. Used to
/// search CRMs that match phones only as stored.
pub fn typed_variants(e164: &str) -> Vec<String> {
    let Ok(n) = phonenumber::parse(None, e164) else {
        return vec![e164.to_string()];
    };
    let international = n.format().mode(Mode::International).to_string();
    let national = n.format().mode(Mode::National).to_string();
    let mut out = vec![
        e164.to_string(),
        international.clone(),
        national.clone(),
        national.chars().filter(char::is_ascii_digit).collect(),
        e164.trim_start_matches('+').to_string(),
        international.replace(' ', "-"),
    ];
    let mut seen = std::collections::HashSet::new();
    out.retain(|v| !v.is_empty() && seen.insert(v.clone()));
    out
}

/// Forces the phone metadata to load. Called from `prepare` so the
/// deploy-time snapshot holds it and no record pays for it.
pub fn warm() {
    let _ = to_e164("+1 650 253 0000", "US");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_number_typed_five_ways_is_one_e164() {
        for typed in [
            "+44 7911 123456",
            "07911123456",
            "44-7911-123456",
            "(07911) 123 456",
            "+447911123456",
        ] {
            assert_eq!(to_e164(typed, "GB").unwrap(), "+447911123456", "{typed}");
        }
    }

    #[test]
    fn variants_include_national_and_e164() {
        let v = typed_variants("+447911123456");
        assert!(v.contains(&"+447911123456".to_string()));
        assert!(v.contains(&"07911 123456".to_string()));
        assert!(v.contains(&"07911123456".to_string()));
    }

    #[test]
    fn rejects_garbage() {
        assert!(to_e164("call me", "GB").is_err());
        assert!(to_e164("", "GB").is_err());
    }
}
