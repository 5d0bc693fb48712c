//! Requests the sandbox must refuse before any connection is made.

use std::time::{Duration, Instant};

use switchboard_http::{HttpError, HttpPolicy, OutboundHttp, SecretHeader, Secrets};

use crate::server::{http_server, response};
use crate::{assert_nothing_arrives, client, get};

fn ok() -> Vec<u8> {
    response("200 OK", &[], b"hi", true)
}

#[tokio::test]
async fn denies_host_not_in_allowlist() {
    let (addr, mut seen) = http_server(ok()).await;
    let http = client(&["https://api.hubapi.com", "http://127.0.0.1:1"], true);

    let err = http
        .send(get("https://evil.test/x"), &Secrets::new())
        .await
        .unwrap_err();
    assert_eq!(
        err,
        HttpError::Denied("the url's host is not in the allowlist (https, port 443)".into())
    );
    let err = http
        .send(get("http://api.hubapi.com/"), &Secrets::new())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, HttpError::Denied(m) if m.contains("(http, port 80)")),
        "{err}"
    );

    // Allowed host, wrong port: refused, and the real server there is never contacted.
    let err = http
        .send(get(format!("http://{addr}/")), &Secrets::new())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, HttpError::Denied(m) if m.contains("not in the allowlist")),
        "{err}"
    );
    assert_nothing_arrives(&mut seen).await;
}

#[tokio::test]
async fn denies_everything_with_default_policy() {
    let http = OutboundHttp::new(HttpPolicy::default()).unwrap();
    let err = http
        .send(get("https://api.hubapi.com/"), &Secrets::new())
        .await
        .unwrap_err();
    assert!(matches!(err, HttpError::Denied(_)), "{err}");
}

#[tokio::test]
async fn denies_loopback_without_permission() {
    let (addr, mut seen) = http_server(ok()).await;
    let http = client(&["http://127.0.0.1:*", "http://[::1]:*"], false);

    let err = http
        .send(get(format!("http://{addr}/")), &Secrets::new())
        .await
        .unwrap_err();
    assert_eq!(
        err,
        HttpError::Denied(
            "address \"127.0.0.1\" is loopback, which this deployment does not allow".into()
        )
    );
    // Other spellings of loopback are caught too.
    for url in [
        format!("http://127.1:{}/", addr.port()),
        format!("http://2130706433:{}/", addr.port()),
        format!("http://0x7f.0.0.1:{}/", addr.port()),
        format!("http://127.0.0.1.:{}/", addr.port()),
        format!("http://[::1]:{}/", addr.port()),
    ] {
        let err = http.send(get(&url), &Secrets::new()).await.unwrap_err();
        assert!(
            matches!(&err, HttpError::Denied(m) if m.contains("loopback")),
            "{url}: {err}"
        );
    }
    assert_nothing_arrives(&mut seen).await;
}

#[tokio::test]
async fn denies_metadata_address_169_254_169_254() {
    // There is no route to 169.254.169.254 here: any connect attempt would fail
    // with a Connect error, so a Denied answer proves the check ran before I/O.
    let http = client(
        &["http://169.254.169.254", "http://[::ffff:169.254.169.254]"],
        false,
    );
    let started = Instant::now();
    let err = http
        .send(
            get("http://169.254.169.254/latest/meta-data/"),
            &Secrets::new(),
        )
        .await
        .unwrap_err();
    assert_eq!(
        err,
        HttpError::Denied(
            "address \"169.254.169.254\" is link-local, which this deployment does not allow"
                .into()
        )
    );
    let err = http
        .send(get("http://[::ffff:169.254.169.254]/"), &Secrets::new())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, HttpError::Denied(m) if m.contains("link-local")),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_millis(500));
}

#[tokio::test]
async fn denies_private_after_dns() {
    let (addr, mut seen) = http_server(ok()).await;
    let http = client(&["http://localhost:*"], false);
    let err = http
        .send(
            get(format!("http://localhost:{}/", addr.port())),
            &Secrets::new(),
        )
        .await
        .unwrap_err();
    assert_eq!(
        err,
        HttpError::Denied(
            "host \"localhost\" resolves only to forbidden addresses (loopback)".into()
        )
    );
    assert_nothing_arrives(&mut seen).await;
}

#[tokio::test]
async fn unknown_secret_is_denied() {
    let (addr, mut seen) = http_server(ok()).await;
    let http = client(&["http://127.0.0.1:*"], true);
    let mut req = get(format!("http://{addr}/"));
    req.secret_headers = vec![SecretHeader {
        header: "authorization".into(),
        secret: "salesforce-token".into(),
        prefix: "Bearer ".into(),
    }];
    let secrets: Secrets = [("hubspot-token", "s3cret")].into_iter().collect();
    let err = http.send(req, &secrets).await.unwrap_err();
    assert_eq!(
        err,
        HttpError::Denied("a secret header names a secret not granted to this deployment".into())
    );
    assert_nothing_arrives(&mut seen).await;
}
