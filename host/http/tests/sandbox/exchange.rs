//! Allowed requests: what goes out, what comes back, and the size cap.

use std::time::Duration;

use switchboard_http::{HttpError, OutboundHttp, Request, Secrets};

use crate::server::{endless_body_server, http_server, response};
use crate::{assert_nothing_arrives, client, get, policy};

#[tokio::test]
async fn allows_loopback_when_permitted() {
    let reply = response(
        "200 OK",
        &[("x-crm-id", "42"), ("content-type", "text/plain")],
        b"hello",
        true,
    );
    let (addr, mut seen) = http_server(reply).await;
    let http = client(&["http://127.0.0.1:*", "http://localhost:*"], true);

    let resp = http
        .send(
            Request {
                method: "POST".into(),
                url: format!("http://{addr}/crm/v3/objects?limit=1"),
                headers: vec![("Content-Type".into(), "application/json".into())],
                body: Some(b"{\"a\":1}".to_vec()),
                ..Request::default()
            },
            &Secrets::new(),
        )
        .await
        .unwrap();
    assert_eq!(resp.status, 200);
    assert_eq!(resp.body, b"hello");
    assert_eq!(resp.header("X-CRM-Id"), Some("42"));
    assert!(
        resp.headers
            .iter()
            .all(|(n, _)| *n == n.to_ascii_lowercase())
    );

    let got = seen.recv().await.unwrap();
    assert!(
        got.head
            .starts_with("POST /crm/v3/objects?limit=1 HTTP/1.1\r\n"),
        "{}",
        got.head
    );
    assert!(
        got.head.contains("content-type: application/json\r\n"),
        "{}",
        got.head
    );
    assert_eq!(got.body, b"{\"a\":1}");

    // A name resolving to loopback is fine too once the deployment allows it.
    let resp = http
        .send(
            get(format!("http://localhost:{}/", addr.port())),
            &Secrets::new(),
        )
        .await
        .unwrap();
    assert_eq!(resp.status, 200);
}

#[tokio::test]
async fn redirect_is_not_followed() {
    let (target, mut target_seen) = http_server(response("200 OK", &[], b"moved", true)).await;
    let location = format!("http://{target}/elsewhere");
    let reply = response("302 Found", &[("location", &location)], b"", true);
    let (addr, _seen) = http_server(reply).await;
    let http = client(&["http://127.0.0.1:*"], true);

    let resp = http
        .send(get(format!("http://{addr}/")), &Secrets::new())
        .await
        .unwrap();
    assert_eq!(resp.status, 302);
    assert_eq!(resp.header("location"), Some(location.as_str()));
    assert_nothing_arrives(&mut target_seen).await;
}

fn capped(limit: u64) -> OutboundHttp {
    OutboundHttp::new(switchboard_http::HttpPolicy {
        max_response_bytes: limit,
        ..policy(&["http://127.0.0.1:*"], true)
    })
    .unwrap()
}

#[tokio::test]
async fn rejects_response_over_cap() {
    let http = capped(1000);
    let big = vec![b'x'; 1001];

    // Announced by Content-Length: refused before the body is read.
    let (addr, _) = http_server(response("200 OK", &[], &big, true)).await;
    let err = http
        .send(get(format!("http://{addr}/")), &Secrets::new())
        .await
        .unwrap_err();
    assert_eq!(err, HttpError::TooLarge { limit: 1000 });

    // No Content-Length, body delimited by connection close: counted while streaming.
    let (addr, _) = http_server(response("200 OK", &[], &big, false)).await;
    let err = http
        .send(get(format!("http://{addr}/")), &Secrets::new())
        .await
        .unwrap_err();
    assert_eq!(err, HttpError::TooLarge { limit: 1000 });

    // Exactly at the cap is fine, with or without Content-Length.
    for content_length in [true, false] {
        let (addr, _) = http_server(response("200 OK", &[], &big[..1000], content_length)).await;
        let resp = http
            .send(get(format!("http://{addr}/")), &Secrets::new())
            .await
            .unwrap();
        assert_eq!(resp.body.len(), 1000);
    }
}

#[tokio::test]
async fn stops_reading_an_endless_body_at_the_cap() {
    let http = capped(64 * 1024);
    let (addr, mut written) = endless_body_server().await;
    let err = http
        .send(get(format!("http://{addr}/")), &Secrets::new())
        .await
        .unwrap_err();
    assert_eq!(err, HttpError::TooLarge { limit: 64 * 1024 });
    // The client hung up: the server's writes fail soon after, well before the
    // total timeout, having sent far less than an unbounded read would take.
    let sent = tokio::time::timeout(Duration::from_secs(3), written.recv())
        .await
        .expect("server kept writing: the client did not stop reading")
        .unwrap();
    assert!(sent < 64 * 1024 * 1024, "server wrote {sent} bytes");
}
