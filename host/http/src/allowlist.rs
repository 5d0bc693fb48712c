//! Allowlist entries: which scheme, host and port a connector may call.
//!
//! Accepted forms:
//! - `https://api.hubapi.com` (port defaults to the scheme's: 443 here)
//! - `https://*.hubapi.com` (any subdomain at any depth, not `hubapi.com` itself)
//! - `http://127.0.0.1:8080`, `http://[::1]:8080`, `http://127.0.0.1:*` (any port)
//! - `api.hubapi.com` (bare host: `https` on 443), `api.hubapi.com:8443`
//!
//! Hosts go through the same WHATWG host parser as request URLs (IDNA,
//! lower-casing, IPv4 forms like `127.1`), so an entry and a URL naming the
//! same host always compare equal.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use url::{Host, Url};

/// One allowed scheme + host + port combination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedHost {
    scheme: Scheme,
    host: HostPattern,
    port: PortPattern,
}

/// A scheme an entry may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scheme {
    Http,
    Https,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum HostPattern {
    /// A domain name, lower-case ASCII, without a trailing dot.
    Domain(String),
    /// Any strict subdomain of this domain.
    Subdomains(String),
    Ip(IpAddr),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PortPattern {
    Any,
    Exact(u16),
}

/// An allowlist entry that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid allowed host {entry:?}: {reason}")]
pub struct AllowedHostError {
    /// The entry as written.
    pub entry: String,
    /// What is wrong with it.
    pub reason: String,
}

impl AllowedHost {
    /// True if `url`'s scheme, host and port (explicit or the scheme default) match this entry.
    pub fn matches(&self, url: &Url) -> bool {
        let scheme_ok = match self.scheme {
            Scheme::Http => url.scheme() == "http",
            Scheme::Https => url.scheme() == "https",
        };
        let port_ok = match self.port {
            PortPattern::Any => true,
            PortPattern::Exact(port) => url.port_or_known_default() == Some(port),
        };
        scheme_ok && port_ok && self.matches_host(url.host())
    }

    fn matches_host(&self, host: Option<Host<&str>>) -> bool {
        match (&self.host, host) {
            (HostPattern::Ip(ip), Some(Host::Ipv4(v4))) => *ip == IpAddr::V4(v4),
            (HostPattern::Ip(ip), Some(Host::Ipv6(v6))) => *ip == IpAddr::V6(v6),
            (HostPattern::Domain(want), Some(Host::Domain(got))) => trim_dot(got) == want,
            (HostPattern::Subdomains(suffix), Some(Host::Domain(got))) => {
                let got = trim_dot(got);
                got.len() > suffix.len() + 1
                    && got.ends_with(suffix.as_str())
                    && got.as_bytes()[got.len() - suffix.len() - 1] == b'.'
            }
            _ => false,
        }
    }
}

fn trim_dot(domain: &str) -> &str {
    domain.strip_suffix('.').unwrap_or(domain)
}

impl FromStr for AllowedHost {
    type Err = AllowedHostError;

    fn from_str(entry: &str) -> Result<Self, Self::Err> {
        parse(entry.trim()).map_err(|reason| AllowedHostError {
            entry: entry.to_owned(),
            reason,
        })
    }
}

fn parse(entry: &str) -> Result<AllowedHost, String> {
    let (scheme, rest) = match entry.split_once("://") {
        Some((scheme, rest)) => match scheme.to_ascii_lowercase().as_str() {
            "http" => (Scheme::Http, rest),
            "https" => (Scheme::Https, rest),
            _ => return Err(format!("scheme {scheme:?} is not \"http\" or \"https\"")),
        },
        None => (Scheme::Https, entry),
    };
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    if authority.is_empty() {
        return Err("missing host".into());
    }
    if authority.contains(['/', '?', '#', '@', '\\']) {
        return Err("only a scheme, host and port may be given (no path, query or user)".into());
    }
    let (host, port) = split_port(authority)?;
    let port = match port {
        None => PortPattern::Exact(match scheme {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }),
        Some("*") => PortPattern::Any,
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n != 0 && p.bytes().all(|b| b.is_ascii_digit()) => PortPattern::Exact(n),
            _ => {
                return Err(format!(
                    "port {p:?} is not a number from 1 to 65535 or \"*\""
                ));
            }
        },
    };
    Ok(AllowedHost {
        scheme,
        host: parse_host(host)?,
        port,
    })
}

/// Splits `host[:port]` or `[v6][:port]`; the returned host keeps IPv6 brackets.
fn split_port(authority: &str) -> Result<(&str, Option<&str>), String> {
    if authority.starts_with('[') {
        let end = authority
            .find(']')
            .ok_or_else(|| "unclosed \"[\" in IPv6 host".to_string())?;
        let (host, after) = authority.split_at(end + 1);
        return match after {
            "" => Ok((host, None)),
            _ => match after.strip_prefix(':') {
                Some(port) => Ok((host, Some(port))),
                None => Err(format!("unexpected {after:?} after IPv6 host")),
            },
        };
    }
    match authority.split_once(':') {
        Some((_, port)) if port.contains(':') => {
            Err("IPv6 hosts must be written in brackets, e.g. \"[::1]\"".into())
        }
        Some((host, port)) => Ok((host, Some(port))),
        None => Ok((authority, None)),
    }
}

fn parse_host(host: &str) -> Result<HostPattern, String> {
    if host.is_empty() {
        return Err("missing host".into());
    }
    if let Some(suffix) = host.strip_prefix("*.") {
        if suffix.contains('*') {
            return Err("\"*\" may only be the whole leftmost label".into());
        }
        return match Host::parse(suffix) {
            Ok(Host::Domain(d)) if !trim_dot(&d).is_empty() => {
                Ok(HostPattern::Subdomains(trim_dot(&d).to_owned()))
            }
            Ok(_) => Err("a wildcard needs a domain name after \"*.\", not an address".into()),
            Err(e) => Err(format!("host {suffix:?} is not valid: {e}")),
        };
    }
    if host.contains('*') {
        return Err("\"*\" may only be the whole leftmost label, as in \"*.example.com\"".into());
    }
    match Host::parse(host) {
        Ok(Host::Domain(d)) if !trim_dot(&d).is_empty() => {
            Ok(HostPattern::Domain(trim_dot(&d).to_owned()))
        }
        Ok(Host::Domain(_)) => Err("missing host".into()),
        Ok(Host::Ipv4(ip)) => Ok(HostPattern::Ip(IpAddr::V4(ip))),
        Ok(Host::Ipv6(ip)) => Ok(HostPattern::Ip(IpAddr::V6(ip))),
        Err(e) => Err(format!("host {host:?} is not valid: {e}")),
    }
}

impl fmt::Display for AllowedHost {
    /// The canonical form, e.g. `https://*.hubapi.com:443`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = match self.scheme {
            Scheme::Http => "http",
            Scheme::Https => "https",
        };
        write!(f, "{scheme}://")?;
        match &self.host {
            HostPattern::Domain(d) => write!(f, "{d}")?,
            HostPattern::Subdomains(d) => write!(f, "*.{d}")?,
            HostPattern::Ip(IpAddr::V4(ip)) => write!(f, "{ip}")?,
            HostPattern::Ip(IpAddr::V6(ip)) => write!(f, "[{ip}]")?,
        }
        match self.port {
            PortPattern::Any => write!(f, ":*"),
            PortPattern::Exact(port) => write!(f, ":{port}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(s: &str) -> AllowedHost {
        s.parse().unwrap()
    }

    fn allows(entry_str: &str, url: &str) -> bool {
        entry(entry_str).matches(&Url::parse(url).unwrap())
    }

    #[test]
    fn exact_host_matches_scheme_host_and_default_port() {
        assert!(allows(
            "https://api.hubapi.com",
            "https://api.hubapi.com/crm/v3"
        ));
        assert!(allows(
            "https://api.hubapi.com",
            "https://API.HubApi.com:443/"
        ));
        assert!(allows(
            "https://api.hubapi.com",
            "https://api.hubapi.com./x"
        ));
        assert!(!allows("https://api.hubapi.com", "http://api.hubapi.com/"));
        assert!(!allows(
            "https://api.hubapi.com",
            "https://api.hubapi.com:8443/"
        ));
        assert!(!allows(
            "https://api.hubapi.com",
            "https://api.hubapi.com.evil.io/"
        ));
        assert!(!allows(
            "https://api.hubapi.com",
            "https://xapi.hubapi.com/"
        ));
    }

    #[test]
    fn bare_host_means_https_on_443() {
        assert_eq!(
            entry("api.hubapi.com").to_string(),
            "https://api.hubapi.com:443"
        );
        assert!(allows("api.hubapi.com", "https://api.hubapi.com/"));
        assert!(!allows("api.hubapi.com", "http://api.hubapi.com/"));
        assert!(allows(
            "api.hubapi.com:8443",
            "https://api.hubapi.com:8443/"
        ));
    }

    #[test]
    fn wildcard_matches_subdomains_only() {
        let e = "https://*.hubapi.com";
        assert!(allows(e, "https://api.hubapi.com/"));
        assert!(allows(e, "https://a.b.hubapi.com/"));
        assert!(!allows(e, "https://hubapi.com/"));
        assert!(!allows(e, "https://evilhubapi.com/"));
        assert!(!allows(e, "https://api.hubapi.com.evil.io/"));
        assert!(!allows(e, "http://api.hubapi.com/"));
    }

    #[test]
    fn port_matching_exact_and_any() {
        assert!(allows("http://127.0.0.1:8080", "http://127.0.0.1:8080/"));
        assert!(!allows("http://127.0.0.1:8080", "http://127.0.0.1:8081/"));
        assert!(!allows("http://127.0.0.1:8080", "http://127.0.0.1/"));
        assert!(allows("http://127.0.0.1:*", "http://127.0.0.1:1/"));
        assert!(allows("http://127.0.0.1:*", "http://127.0.0.1/"));
        assert!(!allows("http://127.0.0.1:*", "https://127.0.0.1:8080/"));
        assert!(allows("http://127.0.0.1", "http://127.0.0.1:80/"));
    }

    #[test]
    fn ip_entries_match_equivalent_url_forms() {
        assert!(allows("http://127.0.0.1:*", "http://127.1:9/"));
        assert!(allows("http://127.0.0.1:*", "http://2130706433:9/"));
        assert!(allows("http://[::1]:8080", "http://[0:0::1]:8080/"));
        assert!(!allows("http://127.0.0.1:*", "http://localhost:9/"));
        assert!(!allows("http://[::1]:*", "http://127.0.0.1:9/"));
    }

    #[test]
    fn rejects_bad_entries_naming_them() {
        for (bad, reason) in [
            ("", "missing host"),
            ("ftp://x.com", "scheme \"ftp\""),
            ("https://x.com/path", "no path"),
            ("https://user@x.com", "no path"),
            ("https://x.com:0", "port \"0\""),
            ("https://x.com:99999", "port \"99999\""),
            ("https://x.com:+80", "port \"+80\""),
            ("https://*", "\"*\""),
            ("https://a.*.com", "\"*\""),
            ("https://*.*.com", "\"*\""),
            ("https://*.127.0.0.1", "not an address"),
            ("::1", "brackets"),
            ("https://[::1", "unclosed"),
            ("https://exa mple.com", "not valid"),
        ] {
            let err = bad.parse::<AllowedHost>().unwrap_err();
            let msg = err.to_string();
            assert!(
                msg.starts_with(&format!("invalid allowed host {bad:?}")),
                "{msg}"
            );
            assert!(msg.contains(reason), "{bad:?}: {msg}");
        }
    }

    #[test]
    fn display_is_canonical_and_round_trips() {
        for s in [
            "https://*.hubapi.com:443",
            "http://127.0.0.1:*",
            "http://[::1]:8080",
            "https://bücher.example:443",
        ] {
            let shown = entry(s).to_string();
            assert_eq!(entry(&shown), entry(s), "{s} -> {shown}");
        }
        assert_eq!(
            entry("HTTPS://Api.HubApi.COM/").to_string(),
            "https://api.hubapi.com:443"
        );
    }
}
