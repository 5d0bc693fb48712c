//! Checks a connector's request against the policy and builds what will be
//! sent. Everything here happens before any I/O.

use std::net::IpAddr;
use std::time::Duration;

use reqwest::Method;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use url::{Host, Url};

use crate::error::HttpError;
use crate::policy::HttpPolicy;
use crate::request::Request;
use crate::resolver::check_literal;
use crate::secrets::Secrets;

/// Methods a connector may use.
const METHODS: [Method; 7] = [
    Method::GET,
    Method::HEAD,
    Method::POST,
    Method::PUT,
    Method::PATCH,
    Method::DELETE,
    Method::OPTIONS,
];

/// Headers that frame or route the message: the host owns them.
const RESERVED_HEADERS: [&str; 11] = [
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "upgrade",
    "expect",
];

/// A request that passed every check.
#[derive(Debug)]
pub(crate) struct Prepared {
    pub(crate) method: Method,
    pub(crate) url: Url,
    /// The URL's host as written in messages, e.g. `api.hubapi.com` or `::1`.
    pub(crate) host: String,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Option<Vec<u8>>,
    pub(crate) timeout: Duration,
}

/// Validates `req`, applies the allowlist and address policy, and injects secrets.
pub(crate) fn prepare(
    req: Request,
    policy: &HttpPolicy,
    secrets: &Secrets,
) -> Result<Prepared, HttpError> {
    let method = parse_method(&req.method)?;
    let (url, host) = parse_url(&req.url)?;
    check_destination(&url, policy)?;
    let headers = build_headers(&req, &url, policy, secrets)?;
    if let Some(body) = &req.body
        && body.len() as u64 > policy.max_request_bytes
    {
        return Err(HttpError::InvalidRequest(format!(
            "body of {} bytes exceeds the request limit of {} bytes",
            body.len(),
            policy.max_request_bytes
        )));
    }
    let timeout = req
        .timeout
        .map_or(policy.total_timeout, |t| t.min(policy.total_timeout));
    Ok(Prepared {
        method,
        url,
        host,
        headers,
        body: req.body,
        timeout,
    })
}

fn parse_method(method: &str) -> Result<Method, HttpError> {
    METHODS
        .into_iter()
        .find(|m| m.as_str() == method)
        .ok_or_else(|| {
            HttpError::InvalidRequest(
                "method is not supported: use GET, HEAD, POST, PUT, PATCH, DELETE or OPTIONS"
                    .into(),
            )
        })
}

fn parse_url(raw: &str) -> Result<(Url, String), HttpError> {
    // The URL itself is not echoed: its query string may carry tokens.
    let mut url =
        Url::parse(raw).map_err(|e| HttpError::InvalidRequest(format!("url is not valid: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(HttpError::InvalidRequest(
            "url scheme is not supported; use \"http\" or \"https\"".into(),
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(HttpError::InvalidRequest(
            "url may not carry user credentials; use a secret header".into(),
        ));
    }
    let host = match url.host() {
        Some(Host::Domain(d)) => d.to_owned(),
        Some(Host::Ipv4(ip)) => ip.to_string(),
        Some(Host::Ipv6(ip)) => ip.to_string(),
        None => return Err(HttpError::InvalidRequest("url has no host".into())),
    };
    url.set_fragment(None);
    Ok((url, host))
}

fn check_destination(url: &Url, policy: &HttpPolicy) -> Result<(), HttpError> {
    if !policy.allows(url) {
        let port = url.port_or_known_default().unwrap_or_default();
        return Err(HttpError::Denied(format!(
            "the url's host is not in the allowlist ({}, port {port})",
            url.scheme()
        )));
    }
    let literal = match url.host() {
        Some(Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
        Some(Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
        _ => None,
    };
    if let Some(ip) = literal {
        check_literal(ip, policy.allow_private_addresses)
            .map_err(|denied| HttpError::Denied(denied.to_string()))?;
    }
    Ok(())
}

fn build_headers(
    req: &Request,
    url: &Url,
    policy: &HttpPolicy,
    secrets: &Secrets,
) -> Result<HeaderMap, HttpError> {
    let mut headers = HeaderMap::new();
    for (name, value) in &req.headers {
        let name = header_name(name)?;
        let value = HeaderValue::from_str(value)
            .map_err(|_| HttpError::InvalidRequest("a header value is not valid".into()))?;
        headers.append(name, value);
    }
    let mut secret_names: Vec<HeaderName> = Vec::new();
    for secret_header in &req.secret_headers {
        let name = header_name(&secret_header.header)?;
        if headers.contains_key(&name) {
            return Err(HttpError::InvalidRequest(
                "a header is set both as a plain and as a secret header".into(),
            ));
        }
        if secret_names.contains(&name) {
            return Err(HttpError::InvalidRequest(
                "a secret header is given more than once".into(),
            ));
        }
        let secret = &secret_header.secret;
        let Some(value) = secrets.value(secret) else {
            return Err(HttpError::Denied(
                "a secret header names a secret not granted to this deployment".into(),
            ));
        };
        if !secrets.may_send_to(secret, url) {
            return Err(HttpError::Denied(
                "a secret header's secret may not be sent to this host (the manifest binds it to other hosts)".into(),
            ));
        }
        if url.scheme() == "http" && !policy.allow_secrets_over_http {
            return Err(HttpError::Denied(
                "a secret may not be sent over plain http (the manifest does not set http.allow_secrets_over_http)".into(),
            ));
        }
        let mut value = HeaderValue::from_str(&format!("{}{value}", secret_header.prefix))
            .map_err(|_| {
                HttpError::InvalidRequest(
                    "a granted secret with its prefix is not a valid header value".into(),
                )
            })?;
        value.set_sensitive(true);
        secret_names.push(name.clone());
        headers.insert(name, value);
    }
    Ok(headers)
}

fn header_name(name: &str) -> Result<HeaderName, HttpError> {
    let parsed = HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| HttpError::InvalidRequest("a header name is not valid".into()))?;
    if RESERVED_HEADERS.contains(&parsed.as_str()) {
        return Err(HttpError::InvalidRequest(format!(
            "header {:?} is set by the host and may not be supplied",
            parsed.as_str()
        )));
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::SecretHeader;

    fn policy(hosts: &[&str]) -> HttpPolicy {
        HttpPolicy {
            allowed_hosts: hosts.iter().map(|h| h.parse().unwrap()).collect(),
            ..HttpPolicy::default()
        }
    }

    fn get(url: &str) -> Request {
        Request {
            method: "GET".into(),
            url: url.into(),
            ..Request::default()
        }
    }

    fn invalid(req: Request) -> String {
        match prepare(req, &policy(&["https://api.test"]), &Secrets::new()) {
            Err(HttpError::InvalidRequest(msg)) => msg,
            other => panic!("expected InvalidRequest, got {other:?}"),
        }
    }

    #[test]
    fn rejects_bad_method_url_and_headers() {
        let mut req = get("https://api.test/");
        req.method = "CONNECT".into();
        // Guest input is never quoted back (see the crate docs).
        assert!(invalid(req).starts_with("method is not supported"));
        let mut req = get("https://api.test/");
        req.method = "get".into();
        let msg = invalid(req);
        assert!(msg.starts_with("method is not supported") && !msg.contains("get"));
        assert!(invalid(get("api.test/x")).starts_with("url is not valid"));
        assert!(invalid(get("ftp://api.test/")).contains("url scheme is not supported"));
        assert!(invalid(get("https://u:p@api.test/")).contains("credentials"));

        let mut req = get("https://api.test/");
        req.headers = vec![("bad header".into(), "v".into())];
        assert_eq!(invalid(req), "a header name is not valid");
        let mut req = get("https://api.test/");
        req.headers = vec![("x-a".into(), "line\nbreak".into())];
        assert_eq!(invalid(req), "a header value is not valid");
        let mut req = get("https://api.test/");
        req.headers = vec![("Host".into(), "internal.corp".into())];
        assert_eq!(
            invalid(req),
            "header \"host\" is set by the host and may not be supplied"
        );
    }

    #[test]
    fn rejects_plain_header_shadowing_a_secret_header() {
        let mut req = get("https://api.test/");
        req.headers = vec![("Authorization".into(), "Bearer guess".into())];
        req.secret_headers = vec![SecretHeader {
            header: "authorization".into(),
            secret: "token".into(),
            prefix: "Bearer ".into(),
        }];
        assert!(invalid(req).contains("both as a plain and as a secret header"));
    }

    #[test]
    fn rejects_oversized_request_body() {
        let p = HttpPolicy {
            max_request_bytes: 4,
            ..policy(&["https://api.test"])
        };
        let mut req = get("https://api.test/");
        req.body = Some(vec![0; 5]);
        let err = prepare(req, &p, &Secrets::new()).unwrap_err();
        assert_eq!(
            err,
            HttpError::InvalidRequest(
                "body of 5 bytes exceeds the request limit of 4 bytes".into()
            )
        );
    }

    #[test]
    fn request_timeout_only_shortens_the_policy() {
        let p = policy(&["https://api.test"]);
        let mut req = get("https://api.test/");
        req.timeout = Some(Duration::from_secs(3600));
        assert_eq!(
            prepare(req, &p, &Secrets::new()).unwrap().timeout,
            p.total_timeout
        );
        let mut req = get("https://api.test/");
        req.timeout = Some(Duration::from_millis(5));
        assert_eq!(
            prepare(req, &p, &Secrets::new()).unwrap().timeout,
            Duration::from_millis(5)
        );
    }

    #[test]
    fn denies_ipv4_mapped_literal_without_permission() {
        let p = policy(&["http://[::ffff:7f00:1]:*"]);
        let err = prepare(get("http://[::ffff:127.0.0.1]:8080/"), &p, &Secrets::new()).unwrap_err();
        assert!(
            matches!(&err, HttpError::Denied(m) if m.contains("loopback")),
            "{err}"
        );
    }
}
