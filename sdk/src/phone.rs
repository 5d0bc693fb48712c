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
    enlarge_pattern_cache();
    let region: country::Id = default_region
        .parse()
        .map_err(|_| PhoneError(format!("unknown default region {default_region:?}")))?;
    // A number typed with `+` carries its own country code: the default region must not
    // take part (with region US, the phone library read "+49 1512 …" as "+49 512 …").
    let international = trimmed.starts_with('+');
    let attempts = [
        if international {
            phonenumber::parse(None, trimmed).ok()
        } else {
            phonenumber::parse(Some(region), trimmed).ok()
        },
        (!international)
            .then(|| phonenumber::parse(None, format!("+{trimmed}")).ok())
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

/// Regions [`warm`] prepares by default: the most common CRM markets.
pub const DEFAULT_WARM_REGIONS: &[&str] =
    &["US", "GB", "DE", "FR", "CA", "AU", "NL", "ES", "IT", "IE"];

/// Compiled patterns the phone library keeps. Its own default (100) holds
/// barely two regions (Great Britain alone needs 44 patterns to parse and
/// validate), so warm regions would evict each other and every fresh
/// instance would recompile them.
pub const PATTERN_CACHE_CAPACITY: usize = 2048;

/// Enlarges the phone library's pattern cache to [`PATTERN_CACHE_CAPACITY`], once.
fn enlarge_pattern_cache() {
    static DONE: std::sync::Once = std::sync::Once::new();
    DONE.call_once(|| {
        let cache = phonenumber::metadata::DATABASE.cache();
        if let Ok(mut guard) = cache.lock() {
            *guard = regex_cache::RegexCache::new(PATTERN_CACHE_CAPACITY);
        }
    });
}

/// Loads the phone metadata and compiles the patterns of
/// [`DEFAULT_WARM_REGIONS`]. Called from `prepare`, so the deploy-time
/// snapshot holds them and no record pays for it (a first parse for a
/// region costs 2 to 10 ms natively, more in WebAssembly).
pub fn warm() {
    warm_regions(DEFAULT_WARM_REGIONS);
}

/// Like [`warm`] for the given regions (ISO 3166 alpha-2): parses and
/// validates each region's example mobile and fixed-line numbers, in
/// national and international form. Unknown regions are skipped.
pub fn warm_regions(regions: &[&str]) {
    enlarge_pattern_cache();
    for region in regions {
        let Some(meta) = phonenumber::metadata::DATABASE.by_id::<str>(region) else {
            continue;
        };
        let d = meta.descriptors();
        let examples = [d.mobile(), d.fixed_line()]
            .into_iter()
            .flatten()
            .filter_map(|d| d.example())
            .map(str::to_string)
            .collect::<Vec<_>>();
        for national in examples {
            if let Ok(e164) = to_e164(&national, region) {
                let _ = to_e164(&e164, region);
                let _ = typed_variants(&e164);
            }
            // The pattern engine builds its automaton states lazily, per
            // input seen. Feed it every digit in every position so a fresh
            // instance meets few digit sequences the snapshot has not seen.
            for shift in 1..10u32 {
                let rotated: String = national
                    .chars()
                    .map(|c| {
                        c.to_digit(10)
                            .and_then(|d| char::from_digit((d + shift) % 10, 10))
                            .unwrap_or(c)
                    })
                    .collect();
                let _ = to_e164(&rotated, region);
                let _ = to_e164(
                    &format!(
                        "+{}{}",
                        meta.country_code(),
                        rotated.trim_start_matches('0')
                    ),
                    region,
                );
            }
        }
    }
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
    fn an_international_number_ignores_the_default_region() {
        for (typed, want) in [
            ("+49 1512 3456789", "+4915123456789"),
            ("+44 113 496 0000", "+441134960000"),
            ("+33 1 23 45 67 89", "+33123456789"),
        ] {
            assert_eq!(to_e164(typed, "US").unwrap(), want, "{typed}");
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
    fn warming_keeps_every_default_region_cached() {
        warm();
        let cached = phonenumber::metadata::DATABASE
            .cache()
            .lock()
            .map(|c| c.len())
            .unwrap_or(0);
        // Every region's patterns stay compiled: far more than the phone
        // library's own 100-pattern cache would keep.
        assert!(
            cached > 150 && cached < PATTERN_CACHE_CAPACITY,
            "{cached} patterns cached"
        );
        assert_eq!(to_e164("030 123456", "DE").unwrap(), "+4930123456");
    }

    #[test]
    fn rejects_garbage() {
        assert!(to_e164("call me", "GB").is_err());
        assert!(to_e164("", "GB").is_err());
    }
}
