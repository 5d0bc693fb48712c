//! `dlq.webhook_url`: an `http` or `https` URL with a host and no user info.
//!
//! Errors never repeat the whole URL: webhook URLs often carry a token in their path, and
//! user info is a password.

use serde::Deserialize;
use serde::de::{Deserializer, Error};

use crate::hosts::{check_host, check_port, split_host_port};

/// Checks a webhook URL, returning why it is refused.
pub(crate) fn check_webhook_url(url: &str) -> Result<(), String> {
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("must not contain spaces or control characters".to_owned());
    }
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err("must start with \"http://\" or \"https://\"".to_owned());
    };
    if scheme != "http" && scheme != "https" {
        return Err(format!("scheme {scheme:?} is not \"http\" or \"https\""));
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return Err("must not contain user info (\"user:password@\")".to_owned());
    }
    let (host, port) = split_host_port(authority)?;
    if host.contains('*') {
        return Err("the host must not contain a wildcard".to_owned());
    }
    check_host(host)?;
    match port {
        Some("*") => Err("port \"*\" is not allowed: give a number or none".to_owned()),
        Some(port) => check_port(port),
        None => Ok(()),
    }
}

/// Deserializes an optional webhook URL (a present key is `Some`).
pub(crate) fn webhook_url<'de, D: Deserializer<'de>>(de: D) -> Result<Option<String>, D::Error> {
    let url = String::deserialize(de)?;
    match check_webhook_url(&url) {
        Ok(()) => Ok(Some(url)),
        Err(reason) => Err(D::Error::custom(format!("invalid webhook URL: {reason}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::check_webhook_url;

    #[test]
    fn accepts_http_and_https_urls_with_a_host() {
        for url in [
            "http://127.0.0.1:9999/alerts",
            "https://hooks.example.com/services/T000/B000/XXXX",
            "https://hooks.example.com",
            "https://hooks.example.com:8443/a?b=c#d",
            "http://[::1]:9000/x",
            "http://localhost/",
        ] {
            assert_eq!(check_webhook_url(url), Ok(()), "{url}");
        }
    }

    #[test]
    fn refuses_other_schemes_missing_hosts_user_info_and_bad_ports() {
        for (url, needle) in [
            ("ftp://example.com/x", "scheme"),
            ("example.com/alerts", "must start with"),
            ("", "must start with"),
            ("https://", "host is empty"),
            ("https:///alerts", "host is empty"),
            ("https://user:pw@example.com/", "user info"),
            ("https://example.com:0/", "port"),
            ("https://example.com:99999/", "port"),
            ("https://example.com:*/", "port"),
            ("https://*.example.com/", "wildcard"),
            ("https://exa mple.com/", "spaces"),
            ("https://Example.com/", "contains 'E'"),
            ("http://::1/", "brackets"),
        ] {
            let reason = check_webhook_url(url).expect_err(url);
            assert!(reason.contains(needle), "{url:?}: {reason}");
        }
    }

    #[test]
    fn user_info_password_is_not_repeated() {
        let reason = check_webhook_url("https://user:hunter2@example.com/").unwrap_err();
        assert!(!reason.contains("hunter2"), "{reason}");
    }
}
