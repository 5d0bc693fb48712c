//! Secret injection, and proof that secret values never leak.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use switchboard_http::{
    HttpPolicy, OutboundHttp, Request, SecretHeader, Secrets, redact_request_summary,
};
use tracing_subscriber::fmt::format::FmtSpan;

use crate::server::{closed_port, http_server, response, silent_server};
use crate::{get, policy};

const SECRET: &str = "s3cret-Value-7f3a";

/// Collects everything a tracing subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn with_secret_header(url: String, secret: &str) -> Request {
    Request {
        method: "POST".into(),
        url,
        headers: vec![("x-request-id".into(), "r-1".into())],
        secret_headers: vec![SecretHeader {
            header: "Authorization".into(),
            secret: secret.into(),
            prefix: "Bearer ".into(),
        }],
        body: Some(b"{}".to_vec()),
        timeout: None,
    }
}

#[tokio::test]
async fn injects_secret_header_and_never_leaks_it() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(FmtSpan::CLOSE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let http = OutboundHttp::new(HttpPolicy {
        total_timeout: Duration::from_millis(300),
        allow_secrets_over_http: true,
        ..policy(&["http://127.0.0.1:*"], true)
    })
    .unwrap();
    let secrets: Secrets = [("hubspot-token", SECRET)].into_iter().collect();
    let mut shown = vec![format!("{secrets:?}"), format!("{http:?}")];

    // Success: the server sees the injected value.
    let (addr, mut seen) = http_server(response("200 OK", &[], b"ok", true)).await;
    let req = with_secret_header(format!("http://{addr}/v1?x=1"), "hubspot-token");
    shown.push(format!("{req:?}"));
    shown.push(redact_request_summary(&req));
    let resp = http.send(req, &secrets).await.unwrap();
    shown.push(format!("{resp:?}"));
    let got = seen.recv().await.unwrap();
    assert!(
        got.head
            .contains(&format!("authorization: Bearer {SECRET}\r\n")),
        "{}",
        got.head
    );

    // Failures with the secret header set: none may carry the value.
    let (silent, _) = silent_server().await;
    let refused = closed_port();
    for req in [
        with_secret_header(format!("http://{silent}/"), "hubspot-token"),
        with_secret_header(format!("http://{refused}/"), "hubspot-token"),
        with_secret_header("http://denied.test/".into(), "hubspot-token"),
        with_secret_header(format!("http://{addr}/"), "not-granted"),
    ] {
        shown.push(format!("{req:?}"));
        let err = http.send(req, &secrets).await.unwrap_err();
        shown.push(format!("{err} {err:?}"));
    }
    // A secret that cannot form a header value is refused without echoing it.
    let bad: Secrets = [("hubspot-token", format!("{SECRET}\n"))]
        .into_iter()
        .collect();
    let err = http
        .send(
            with_secret_header(format!("http://{addr}/"), "hubspot-token"),
            &bad,
        )
        .await
        .unwrap_err();
    shown.push(format!("{err} {err:?} {bad:?}"));

    drop(_guard);
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("connector.http.send"),
        "tracing was not captured: {logs}"
    );
    assert!(logs.contains("status=200"), "{logs}");
    shown.push(logs);
    for text in &shown {
        assert!(!text.contains(SECRET), "secret leaked in: {text}");
        assert!(!text.contains("s3cret"), "secret leaked in: {text}");
    }
}

#[tokio::test]
async fn a_bound_secret_goes_only_to_its_hosts() {
    let (crm, mut crm_seen) = http_server(response("200 OK", &[], b"ok", true)).await;
    let (other, mut other_seen) = http_server(response("200 OK", &[], b"ok", true)).await;
    let http = OutboundHttp::new(HttpPolicy {
        allow_secrets_over_http: true,
        ..policy(&["http://127.0.0.1:*"], true)
    })
    .unwrap();
    let mut secrets = Secrets::new();
    let bound: switchboard_http::AllowedHost =
        format!("http://127.0.0.1:{}", crm.port()).parse().unwrap();
    secrets.insert_for_hosts("hubspot-token", SECRET, vec![bound]);

    http.send(
        with_secret_header(format!("http://{crm}/"), "hubspot-token"),
        &secrets,
    )
    .await
    .unwrap();
    assert!(crm_seen.recv().await.unwrap().head.contains(SECRET));

    // Another allowlisted host: refused before anything is sent.
    let err = http
        .send(
            with_secret_header(format!("http://{other}/"), "hubspot-token"),
            &secrets,
        )
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("may not be sent to this host"),
        "{err}"
    );
    // Without the secret header the same host is reachable, so the refusal was the binding.
    http.send(get(format!("http://{other}/")), &secrets)
        .await
        .unwrap();
    let seen = other_seen.recv().await.unwrap();
    assert!(!seen.head.contains(SECRET), "{}", seen.head);
}

#[tokio::test]
async fn secrets_are_refused_over_plain_http_unless_allowed() {
    let (addr, _seen) = http_server(response("200 OK", &[], b"ok", true)).await;
    let secrets: Secrets = [("hubspot-token", SECRET)].into_iter().collect();
    let strict = OutboundHttp::new(policy(&["http://127.0.0.1:*"], true)).unwrap();
    let err = strict
        .send(
            with_secret_header(format!("http://{addr}/"), "hubspot-token"),
            &secrets,
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("plain http"), "{err}");
    assert!(!format!("{err} {err:?}").contains(SECRET));
}
