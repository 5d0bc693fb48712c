//! Connect, TLS-handshake and total budgets, and how failures are classified.

use std::time::{Duration, Instant};

use switchboard_http::{HttpError, HttpPolicy, OutboundHttp, Secrets, TimeoutPhase};

use crate::server::{blurting_server, closed_port, full_backlog_listener, silent_server};
use crate::{get, policy};

fn timed(connect_ms: u64, tls_ms: u64, total_ms: u64) -> OutboundHttp {
    OutboundHttp::new(HttpPolicy {
        connect_timeout: Duration::from_millis(connect_ms),
        tls_timeout: Duration::from_millis(tls_ms),
        total_timeout: Duration::from_millis(total_ms),
        ..policy(&["http://127.0.0.1:*", "https://127.0.0.1:*"], true)
    })
    .unwrap()
}

/// The timeout's text, after checking it is the `expected` phase.
fn timeout_text(err: HttpError, expected: TimeoutPhase) -> String {
    match err {
        HttpError::Timeout { detail, phase, .. } => {
            assert_eq!(phase, expected, "{detail}");
            detail
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
}

#[tokio::test]
async fn connect_timeout_fires() {
    // A listener whose accept queue is full never answers the SYN.
    let (addr, _keep) = full_backlog_listener();
    let http = timed(300, 5_000, 10_000);
    let started = Instant::now();
    let err = http
        .send(get(format!("http://{addr}/")), &Secrets::new())
        .await
        .unwrap_err();
    let elapsed = started.elapsed();
    assert_eq!(
        timeout_text(err, TimeoutPhase::Connect),
        "connect to \"127.0.0.1\" timed out after 300ms"
    );
    assert!(
        elapsed >= Duration::from_millis(300) && elapsed < Duration::from_secs(3),
        "{elapsed:?}"
    );
}

#[tokio::test]
async fn tls_handshake_timeout_fires() {
    // TCP is accepted at once, but the server never answers the ClientHello.
    let (addr, mut accepted) = silent_server().await;
    let http = timed(5_000, 300, 10_000);
    let started = Instant::now();
    let err = http
        .send(get(format!("https://{addr}/")), &Secrets::new())
        .await
        .unwrap_err();
    let elapsed = started.elapsed();
    assert_eq!(
        timeout_text(err, TimeoutPhase::TlsHandshake),
        "tls handshake with \"127.0.0.1\" timed out after 300ms"
    );
    assert!(
        elapsed >= Duration::from_millis(300) && elapsed < Duration::from_secs(3),
        "{elapsed:?}"
    );
    assert!(accepted.recv().await.is_some());
}

#[tokio::test]
async fn total_timeout_fires() {
    // Connected and request sent, but no response ever comes.
    let (addr, _) = silent_server().await;
    let http = timed(5_000, 5_000, 400);
    let started = Instant::now();
    let err = http
        .send(get(format!("http://{addr}/")), &Secrets::new())
        .await
        .unwrap_err();
    let elapsed = started.elapsed();
    assert_eq!(
        timeout_text(err, TimeoutPhase::Total),
        "request to \"127.0.0.1\" timed out after 400ms"
    );
    assert!(
        elapsed >= Duration::from_millis(400) && elapsed < Duration::from_secs(3),
        "{elapsed:?}"
    );
}

#[tokio::test]
async fn request_timeout_only_shortens_the_total() {
    let (addr, _) = silent_server().await;
    let http = timed(5_000, 5_000, 10_000);
    let mut req = get(format!("http://{addr}/"));
    req.timeout = Some(Duration::from_millis(200));
    let err = http.send(req, &Secrets::new()).await.unwrap_err();
    assert_eq!(
        timeout_text(err, TimeoutPhase::Total),
        "request to \"127.0.0.1\" timed out after 200ms"
    );

    let http = timed(5_000, 5_000, 300);
    let mut req = get(format!("http://{addr}/"));
    req.timeout = Some(Duration::from_secs(60));
    let err = http.send(req, &Secrets::new()).await.unwrap_err();
    assert_eq!(
        timeout_text(err, TimeoutPhase::Total),
        "request to \"127.0.0.1\" timed out after 300ms"
    );
}

#[tokio::test]
async fn classifies_tls_failure_as_tls() {
    // A plain-HTTP server answering a ClientHello: rustls rejects the bytes.
    let addr = blurting_server(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n").await;
    let http = timed(2_000, 2_000, 5_000);
    let err = http
        .send(get(format!("https://{addr}/")), &Secrets::new())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, HttpError::Tls(m) if m.starts_with("tls handshake with \"127.0.0.1\" failed")),
        "{err:?}"
    );
}

#[tokio::test]
async fn classifies_refused_connection_as_connect() {
    let addr = closed_port();
    let http = timed(2_000, 2_000, 5_000);
    for scheme in ["http", "https"] {
        let err = http
            .send(get(format!("{scheme}://{addr}/")), &Secrets::new())
            .await
            .unwrap_err();
        assert!(
            matches!(&err, HttpError::Connect(m) if m.starts_with("connection to \"127.0.0.1\" failed")),
            "{err:?}"
        );
    }
}
