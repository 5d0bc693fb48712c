//! Tiny raw-TCP servers on 127.0.0.1 that behave well or badly on purpose.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::mpsc;

/// A request as the server received it.
#[derive(Debug)]
pub struct Recorded {
    /// Request line and headers, as sent.
    pub head: String,
    pub body: Vec<u8>,
}

/// Answers every connection with `response` after reading one request, and
/// reports each request on the returned channel.
pub async fn http_server(response: Vec<u8>) -> (SocketAddr, mpsc::UnboundedReceiver<Recorded>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let tx = tx.clone();
            let response = response.clone();
            tokio::spawn(async move {
                if let Some(recorded) = read_request(&mut stream).await {
                    let _ = tx.send(recorded);
                    let _ = stream.write_all(&response).await;
                    let _ = stream.shutdown().await;
                }
            });
        }
    });
    (addr, rx)
}

/// A canned response with `Connection: close` and, if `content_length`, a Content-Length.
pub fn response(
    status_line: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    content_length: bool,
) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status_line}\r\nconnection: close\r\n");
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    if content_length {
        out.push_str(&format!("content-length: {}\r\n", body.len()));
    }
    out.push_str("\r\n");
    let mut out = out.into_bytes();
    out.extend_from_slice(body);
    out
}

async fn read_request(stream: &mut TcpStream) -> Option<Recorded> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos + 4;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let length = head
        .lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.trim().parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = buf[head_end..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(Recorded { head, body })
}

/// Accepts connections, reads whatever arrives, and never writes a byte.
/// Returns the address and a channel reporting each accepted connection.
pub async fn silent_server() -> (SocketAddr, mpsc::UnboundedReceiver<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let _ = tx.send(());
            tokio::spawn(async move {
                let mut sink = [0u8; 4096];
                while let Ok(n) = stream.read(&mut sink).await {
                    if n == 0 {
                        break;
                    }
                }
            });
        }
    });
    (addr, rx)
}

/// Writes `reply` as soon as a connection is accepted, whatever the client sends.
pub async fn blurting_server(reply: &'static [u8]) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let _ = stream.write_all(reply).await;
                let mut sink = [0u8; 4096];
                let _ = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut sink)).await;
            });
        }
    });
    addr
}

/// Sends a 200 header without Content-Length and then body bytes until the
/// client goes away. The returned channel reports how many bytes were written.
pub async fn endless_body_server() -> (SocketAddr, mpsc::UnboundedReceiver<u64>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                read_request(&mut stream).await;
                let head = b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n";
                if stream.write_all(head).await.is_err() {
                    return;
                }
                let block = [b'x'; 16 * 1024];
                let mut written = 0u64;
                while stream.write_all(&block).await.is_ok() {
                    written += block.len() as u64;
                }
                let _ = tx.send(written);
            });
        }
    });
    (addr, rx)
}

/// A listening socket whose accept queue is full: new connects get no SYN-ACK
/// (Linux drops the SYN), so they hang until the client gives up. Nothing
/// ever accepts; keep the returned value alive for the duration of the test.
pub fn full_backlog_listener() -> (SocketAddr, (TcpListener, Vec<std::net::TcpStream>)) {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = socket.local_addr().unwrap();
    let listener = socket.listen(0).unwrap();
    let mut filled = Vec::new();
    for _ in 0..16 {
        match std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
            Ok(stream) => filled.push(stream),
            Err(_) => return (addr, (listener, filled)),
        }
    }
    panic!("accept queue of {addr} never filled up; cannot simulate a hanging connect");
}

/// An address on which nothing listens.
pub fn closed_port() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}
