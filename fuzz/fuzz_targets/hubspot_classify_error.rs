//! The Rust HubSpot connector's `classify-error` (`hubspot::classify`), run natively on an
//! arbitrary response.
//!
//! The input is read like a small HTTP response so seeds stay readable: the first line is
//! the status (its digits, taken modulo 65536; without digits, the first two bytes), then
//! `name: value` header lines up to the first empty line, then the body (any bytes). For
//! example `429\nretry-after: 2\n\n{"policyName":"DAILY"}`.
//!
//! Must hold: no panic, and the class the status fixes: 401 auth, 403 permission, 404 not
//! found, 409 duplicate (with an all-digit id when one is found), 429 rate limited,
//! 408/425/477/5xx transient with the `Retry-After` the SDK reads; a field-removed class
//! names its field.

#![no_main]

use libfuzzer_sys::fuzz_target;
use switchboard_sdk::prelude::*;

fuzz_target!(|data: &[u8]| {
    let resp = response(data);
    let class = hubspot::classify(&resp);
    let after = errors::retry_after_ms(&resp);
    match resp.status {
        401 => assert!(matches!(class, ErrorClass::Auth(_)), "{class:?}"),
        403 => assert!(matches!(class, ErrorClass::Permission(_)), "{class:?}"),
        404 => assert!(matches!(class, ErrorClass::NotFound(_)), "{class:?}"),
        409 => match &class {
            ErrorClass::Duplicate(Some(id)) => assert!(
                !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()),
                "duplicate id {id:?}"
            ),
            ErrorClass::Duplicate(None) => {}
            other => panic!("409 classified as {other:?}"),
        },
        429 => assert!(matches!(class, ErrorClass::RateLimited(_)), "{class:?}"),
        408 | 425 | 477 | 500..=599 => {
            assert_eq!(
                class,
                ErrorClass::Transient(after),
                "status {}",
                resp.status
            )
        }
        _ => {}
    }
    if let ErrorClass::FieldRemoved(e) = &class {
        assert!(!e.field.is_empty(), "field-removed without a field: {e:?}");
    }
});

/// The response `data` describes (see the module docs).
fn response(data: &[u8]) -> CrmResponse {
    let (head, body) = match find(data, b"\n\n") {
        Some(at) => (&data[..at], &data[at + 2..]),
        None => (data, &[][..]),
    };
    let mut lines = head.split(|b| *b == b'\n');
    let first = lines.next().unwrap_or_default();
    let digits: Vec<u8> = first.iter().copied().filter(u8::is_ascii_digit).collect();
    let status = if digits.is_empty() {
        match first {
            [a, b, ..] => u16::from_be_bytes([*a, *b]),
            _ => 0,
        }
    } else {
        digits
            .iter()
            .fold(0u32, |n, d| (n * 10 + u32::from(d - b'0')) % 65_536) as u16
    };
    let headers = lines
        .filter_map(|line| {
            let colon = line.iter().position(|b| *b == b':')?;
            let name = String::from_utf8_lossy(&line[..colon]).trim().to_string();
            let value = String::from_utf8_lossy(&line[colon + 1..])
                .trim()
                .to_string();
            Some((name, value))
        })
        .collect();
    CrmResponse {
        status,
        headers,
        body: body.to_vec(),
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
