//! Syntax of `http.allowed_hosts` entries.
//!
//! An entry is `[scheme://]host[:port]`:
//! - `scheme` is `http` or `https`; without a scheme the entry means `https` on port 443;
//! - `host` is a lowercase DNS name, an IPv4 address, a bracketed IPv6 address, or a wildcard
//!   `*.example.com` (any subdomain of `example.com`, not `example.com` itself);
//! - `port` is `1..=65535`, or `*` for any port; without a port the scheme's default applies.
//!
//! Only the syntax is checked here; the entries stay strings and the http capability
//! interprets them.

use std::net::{Ipv4Addr, Ipv6Addr};

use serde::de::{Deserialize, Deserializer, Error};

/// Longest DNS name, in bytes.
const MAX_HOST_LEN: usize = 253;
/// Longest DNS label, in bytes.
const MAX_LABEL_LEN: usize = 63;

/// Checks one `allowed_hosts` entry, returning why it is refused.
pub(crate) fn check_allowed_host(entry: &str) -> Result<(), String> {
    let rest = match entry.split_once("://") {
        Some((scheme, rest)) => {
            if scheme != "http" && scheme != "https" {
                return Err(format!("scheme {scheme:?} is not \"http\" or \"https\""));
            }
            rest
        }
        None => entry,
    };
    if let Some(c) = rest.chars().find(|c| matches!(c, '/' | '?' | '#' | '@')) {
        return Err(format!(
            "{c:?} is not allowed: give only [scheme://]host[:port]"
        ));
    }
    let (host, port) = split_host_port(rest)?;
    if let Some(port) = port {
        check_port(port)?;
    }
    check_host(host)
}

/// Checks a host a connector declares in `describe` (`outbound-hosts`), returning why
/// it is refused: `scheme://host[:port]` with the scheme written out, one host (no
/// wildcard) and a numeric port.
pub fn check_declared_host(entry: &str) -> Result<(), String> {
    if !entry.contains("://") {
        return Err("must be scheme://host[:port], with the scheme".to_owned());
    }
    if entry.contains('*') {
        return Err(
            "must name one host and port: a wildcard would let the connector call anywhere"
                .to_owned(),
        );
    }
    check_allowed_host(entry)
}

/// Splits `host[:port]`, where host may be a bracketed IPv6 address.
pub(crate) fn split_host_port(rest: &str) -> Result<(&str, Option<&str>), String> {
    if let Some(after_bracket) = rest.strip_prefix('[') {
        let Some((v6, after)) = after_bracket.split_once(']') else {
            return Err("missing \"]\" after IPv6 address".to_owned());
        };
        if v6.parse::<Ipv6Addr>().is_err() {
            return Err(format!("{v6:?} is not a valid IPv6 address"));
        }
        return match after {
            "" => Ok((rest, None)),
            _ => match after.strip_prefix(':') {
                Some(port) => Ok((&rest[..v6.len() + 2], Some(port))),
                None => Err(format!("unexpected {after:?} after IPv6 address")),
            },
        };
    }
    match rest.split_once(':') {
        Some((_, port)) if port.contains(':') => {
            Err("IPv6 addresses must be written in brackets, e.g. \"[::1]:8080\"".to_owned())
        }
        Some((host, port)) => Ok((host, Some(port))),
        None => Ok((rest, None)),
    }
}

pub(crate) fn check_port(port: &str) -> Result<(), String> {
    if port == "*" {
        return Ok(());
    }
    match port.parse::<u16>() {
        Ok(p) if p >= 1 && port.bytes().all(|b| b.is_ascii_digit()) => Ok(()),
        _ => Err(format!(
            "port {port:?} must be between 1 and 65535, or \"*\""
        )),
    }
}

pub(crate) fn check_host(host: &str) -> Result<(), String> {
    if host.is_empty() {
        return Err("host is empty".to_owned());
    }
    if host.starts_with('[') || host.parse::<Ipv4Addr>().is_ok() {
        return Ok(());
    }
    let name = match host.strip_prefix("*.") {
        Some(domain) => domain,
        None => host,
    };
    if name.contains('*') {
        return Err(
            "a wildcard is only allowed as a leading \"*.\", e.g. \"*.example.com\"".to_owned(),
        );
    }
    if name.len() > MAX_HOST_LEN {
        return Err(format!("host is longer than {MAX_HOST_LEN} bytes"));
    }
    for label in name.split('.') {
        if label.is_empty() || label.len() > MAX_LABEL_LEN {
            return Err(format!(
                "host {host:?} has an empty label or one longer than {MAX_LABEL_LEN} bytes"
            ));
        }
        if let Some(c) = label
            .chars()
            .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
        {
            return Err(format!(
                "host {host:?} contains {c:?}: use lowercase letters, digits, '-' and '.'"
            ));
        }
    }
    Ok(())
}

/// One `allowed_hosts` entry, checked while deserializing so the error names its index.
pub(crate) struct AllowedHost(pub(crate) String);

impl<'de> Deserialize<'de> for AllowedHost {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        let entry = String::deserialize(de)?;
        match check_allowed_host(&entry) {
            Ok(()) => Ok(AllowedHost(entry)),
            Err(reason) => Err(D::Error::custom(format!(
                "invalid allowed host {entry:?}: {reason}"
            ))),
        }
    }
}

/// Deserializes the `allowed_hosts` list.
pub(crate) fn allowed_hosts<'de, D: Deserializer<'de>>(de: D) -> Result<Vec<String>, D::Error> {
    let entries = Vec::<AllowedHost>::deserialize(de)?;
    Ok(entries.into_iter().map(|AllowedHost(e)| e).collect())
}

#[cfg(test)]
mod tests {
    use super::{check_allowed_host, check_declared_host};

    #[test]
    fn accepts_documented_forms() {
        for entry in [
            "https://api.hubapi.com",
            "http://localhost:8080",
            "api.hubapi.com",
            "*.example.com",
            "https://*.example.com:*",
            "example.com:*",
            "http://127.0.0.1:9000",
            "http://[::1]:9000",
            "[2001:db8::1]",
            "https://x.example.com:65535",
        ] {
            assert_eq!(check_allowed_host(entry), Ok(()), "{entry:?}");
        }
    }

    #[test]
    fn a_declared_host_is_one_host_with_its_scheme() {
        for good in [
            "https://api.hubapi.com",
            "http://127.0.0.1:8080",
            "https://[::1]:443",
        ] {
            assert_eq!(check_declared_host(good), Ok(()), "{good}");
        }
        for (bad, why) in [
            ("api.hubapi.com", "with the scheme"),
            ("https://*.hubapi.com", "wildcard"),
            ("https://api.hubapi.com:*", "wildcard"),
            ("https://api.hubapi.com/v3", "is not allowed"),
            ("https://API.hubapi.com", "lowercase"),
        ] {
            let got = check_declared_host(bad).expect_err(bad);
            assert!(got.contains(why), "{bad}: {got}");
        }
    }

    #[test]
    fn refuses_bad_entries_with_a_reason() {
        for (entry, needle) in [
            ("ftp://example.com", "scheme"),
            ("https://", "host is empty"),
            ("", "host is empty"),
            ("https://example.com/path", "'/'"),
            ("https://user@example.com", "'@'"),
            ("example.com:0", "port"),
            ("example.com:65536", "port"),
            ("example.com:", "port"),
            ("example.com:+80", "port"),
            ("*", "wildcard"),
            ("api.*.com", "wildcard"),
            ("example..com", "empty label"),
            ("Example.com", "contains 'E'"),
            ("exa mple.com", "contains ' '"),
            ("::1", "brackets"),
            ("[::1", "missing"),
            ("[nope]:80", "IPv6"),
            ("[::1]x", "unexpected"),
        ] {
            let reason = check_allowed_host(entry).expect_err(entry);
            assert!(reason.contains(needle), "{entry:?}: {reason}");
        }
    }
}
