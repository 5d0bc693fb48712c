//! `switchboard serve` as an operator runs it: a child process of the release-shaped
//! binary, driven over HTTP/1.1 on loopback and stopped with signals.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::switchboard_bin;

/// The server child; killed if the test fails before it is stopped.
pub struct ServeChild {
    child: Child,
    /// `host:port` the API listens on.
    pub addr: String,
    /// The file the server's stderr goes to.
    pub stderr: PathBuf,
}

impl Drop for ServeChild {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl ServeChild {
    /// Starts `switchboard serve --config CONFIG` with `SWITCHBOARD_LOG=warn` and waits
    /// for its `listening on` line (up to three minutes: a first run compiles connectors).
    pub fn start(config: &Path, stderr: PathBuf) -> Self {
        Self::start_with_log(config, stderr, "warn")
    }

    /// [`ServeChild::start`] with `SWITCHBOARD_LOG=log`.
    pub fn start_with_log(config: &Path, stderr: PathBuf, log: &str) -> Self {
        let mut child = Command::new(switchboard_bin())
            .arg("serve")
            .arg("--config")
            .arg(config)
            .env("SWITCHBOARD_LOG", log)
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr).expect("stderr file"))
            .spawn()
            .expect("starting switchboard serve");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            if let Some(Ok(line)) = lines.next() {
                let _ = tx.send(line);
            }
            // Keep reading so the pipe never fills or closes under the server.
            for _ in lines {}
        });
        let line = match rx.recv_timeout(Duration::from_secs(180)) {
            Ok(l) => l,
            Err(_) => {
                let _ = child.kill();
                panic!(
                    "serve printed no address:\n{}",
                    std::fs::read_to_string(&stderr).unwrap_or_default()
                );
            }
        };
        let addr = line
            .strip_prefix("listening on http://")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        Self {
            child,
            addr,
            stderr,
        }
    }

    /// `http://ADDR`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// What the server wrote to stderr so far.
    pub fn stderr_text(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// SIGTERM, then the exit code and how long the exit took (panics after a minute).
    pub fn terminate(mut self) -> (Option<i32>, Duration) {
        let sent = Instant::now();
        let status = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status()
            .expect("kill");
        assert!(status.success());
        let deadline = sent + Duration::from_secs(60);
        loop {
            if let Some(s) = self.child.try_wait().expect("wait") {
                return (s.code(), sent.elapsed());
            }
            assert!(
                Instant::now() < deadline,
                "serve did not stop:\n{}",
                self.stderr_text()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGTERM, then the exit code.
    pub fn stop(self) -> Option<i32> {
        self.terminate().0
    }
}

/// One HTTP/1.1 request over a fresh connection: (status, body as JSON, or as a JSON
/// string when it is not JSON, e.g. `/metrics`).
/// Panics if no answer comes within `timeout`.
pub fn http_request(
    addr: &str,
    method: &str,
    path: &str,
    token: &str,
    body: &str,
    timeout: Duration,
) -> (u16, Value) {
    let mut stream = TcpStream::connect(addr).expect("connect to the server");
    stream.set_read_timeout(Some(timeout)).expect("timeout");
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).expect("send request");
    let mut raw = String::new();
    stream
        .read_to_string(&mut raw)
        .unwrap_or_else(|e| panic!("no answer to {method} {path} within {timeout:?}: {e}"));
    let (head, body) = raw.split_once("\r\n\r\n").expect("HTTP response");
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status code");
    let body = serde_json::from_str(body).unwrap_or_else(|_| Value::String(body.to_owned()));
    (status, body)
}

/// [`http_request`] (20 s timeout) on a blocking thread, for async tests.
pub async fn request(
    addr: &str,
    method: &str,
    path: &str,
    token: &str,
    body: String,
) -> (u16, Value) {
    let (addr, method, path, token) = (
        addr.to_owned(),
        method.to_owned(),
        path.to_owned(),
        token.to_owned(),
    );
    tokio::task::spawn_blocking(move || {
        http_request(
            &addr,
            &method,
            &path,
            &token,
            &body,
            Duration::from_secs(20),
        )
    })
    .await
    .expect("the request thread")
}

/// Runs `f` until it gives `Some`, for up to `limit`, every 200 ms.
pub async fn eventually<T, F, Fut>(what: &str, limit: Duration, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
