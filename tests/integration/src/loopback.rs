//! Tiny loopback HTTP servers for tests: a CRM that answers from a function, an alert
//! webhook, a host that must never be reached. Each records every request it got.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Every request a [`recording_server`] received, head and body as text.
pub type Seen = Arc<Mutex<Vec<String>>>;

/// Reads one HTTP/1.1 request: the head, then as much body as `Content-Length` says.
pub async fn read_request(sock: &mut TcpStream) -> String {
    let mut got = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        let n = sock.read(&mut chunk).await.unwrap_or(0);
        if n == 0 {
            break;
        }
        got.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&got);
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let len = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                })
                .unwrap_or(0);
            if body.len() >= len {
                break;
            }
        }
    }
    String::from_utf8_lossy(&got).into_owned()
}

/// Serves every request with `status` and the JSON body `answer(request)`, recording each
/// request; returns `host:port` and the record.
pub async fn recording_server(status: &'static str, answer: fn(&str) -> String) -> (String, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address").to_string();
    let seen: Seen = Arc::default();
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let log = log.clone();
            tokio::spawn(async move {
                let request = read_request(&mut sock).await;
                let body = answer(&request);
                if let Ok(mut log) = log.lock() {
                    log.push(request);
                }
                let reply = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = sock.write_all(reply.as_bytes()).await;
            });
        }
    });
    (addr, seen)
}
