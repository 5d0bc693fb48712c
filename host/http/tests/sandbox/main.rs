//! End-to-end tests of the sandbox against real sockets on 127.0.0.1.

mod denials;
mod exchange;
mod secrets;
mod server;
mod timeouts;

use std::time::Duration;

use switchboard_http::{HttpPolicy, OutboundHttp, Request};
use tokio::sync::mpsc::UnboundedReceiver;

/// A policy allowing `hosts`, with short timeouts so failures show quickly.
fn policy(hosts: &[&str], allow_private: bool) -> HttpPolicy {
    HttpPolicy {
        allowed_hosts: hosts.iter().map(|h| h.parse().unwrap()).collect(),
        allow_private_addresses: allow_private,
        connect_timeout: Duration::from_secs(2),
        tls_timeout: Duration::from_secs(2),
        total_timeout: Duration::from_secs(5),
        ..HttpPolicy::default()
    }
}

fn client(hosts: &[&str], allow_private: bool) -> OutboundHttp {
    OutboundHttp::new(policy(hosts, allow_private)).unwrap()
}

fn get(url: impl Into<String>) -> Request {
    Request {
        method: "GET".into(),
        url: url.into(),
        ..Request::default()
    }
}

/// Fails if the server reports anything within 300 ms.
async fn assert_nothing_arrives<T: std::fmt::Debug>(rx: &mut UnboundedReceiver<T>) {
    let got = tokio::time::timeout(Duration::from_millis(300), rx.recv()).await;
    assert!(got.is_err(), "the server was reached: {got:?}");
}
