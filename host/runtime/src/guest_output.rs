//! Guest stdout and stderr, captured per unit of work.
//!
//! Each stream keeps only its *last* [`MAX_STREAM_BYTES`] bytes and counts the
//! earlier bytes it dropped: a panic message or a Python/JavaScript traceback is
//! written last, just before the guest aborts, so the tail is what explains a
//! fault. Writing never fails, blocks or traps, however much a guest writes;
//! a guest cannot grow host memory past the cap.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};

use bytes::Bytes;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamResult};

use crate::error::GuestFault;

/// Bytes kept per stream (stdout and stderr each), so 16 KiB per unit.
pub const MAX_STREAM_BYTES: usize = 8 * 1024;

/// Most bytes of stderr appended to a fault's text.
const MAX_FAULT_STDERR: usize = 2048;

/// How much a guest may write per `write` call; any amount is accepted anyway.
const WRITE_PERMIT: usize = 64 * 1024;

/// One captured stream: clones share the same buffer, so the WASI side writes
/// and the host side reads the same bytes.
#[derive(Clone, Debug)]
pub(crate) struct Capture {
    inner: Arc<Mutex<Tail>>,
}

/// The last `cap` bytes written, and the count of everything written.
///
/// `buf` holds up to `2 * cap` bytes and is compacted when it would grow past
/// that, so each byte is copied a bounded number of times however small the
/// writes; its last `cap` bytes are the ones kept.
#[derive(Debug)]
struct Tail {
    buf: Vec<u8>,
    cap: usize,
    written: u64,
}

/// A copy of a capture at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Captured {
    /// The kept bytes: the last ones written.
    pub(crate) bytes: Vec<u8>,
    /// Every byte ever written, kept or not.
    pub(crate) written: u64,
}

impl Captured {
    /// Bytes written but no longer kept.
    pub(crate) fn dropped(&self) -> u64 {
        self.written - self.bytes.len() as u64
    }

    /// The kept bytes as text: lossy UTF-8, without the partial character a
    /// dropped head may have cut in two.
    pub(crate) fn text(&self) -> String {
        let mut start = 0;
        if self.dropped() > 0 {
            // At most three continuation bytes of a character whose start was dropped.
            while start < self.bytes.len().min(3) && self.bytes[start] & 0b1100_0000 == 0b1000_0000
            {
                start += 1;
            }
        }
        String::from_utf8_lossy(&self.bytes[start..]).into_owned()
    }
}

impl Capture {
    /// An empty capture keeping the last `cap` bytes.
    pub(crate) fn new(cap: usize) -> Self {
        Self {
            inner: Arc::new(Mutex::new(Tail {
                buf: Vec::new(),
                cap,
                written: 0,
            })),
        }
    }

    /// Appends `data`, dropping the oldest bytes past the cap. Never fails.
    pub(crate) fn push(&self, data: &[u8]) {
        let mut tail = self.lock();
        tail.written = tail.written.saturating_add(data.len() as u64);
        let cap = tail.cap;
        let data = &data[data.len().saturating_sub(cap)..];
        if tail.buf.len() + data.len() > 2 * cap {
            // Keep only the old bytes still among the last `cap` after this write.
            let keep = cap - data.len();
            let from = tail.buf.len().saturating_sub(keep);
            tail.buf.drain(..from);
        }
        tail.buf.extend_from_slice(data);
    }

    /// What has been captured so far.
    pub(crate) fn snapshot(&self) -> Captured {
        let tail = self.lock();
        Captured {
            bytes: tail.buf[tail.buf.len().saturating_sub(tail.cap)..].to_vec(),
            written: tail.written,
        }
    }

    /// The buffer; a panic elsewhere while holding it cannot leave it
    /// inconsistent (every update is complete before the guard drops), so a
    /// poisoned lock is used as is.
    fn lock(&self) -> MutexGuard<'_, Tail> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl IsTerminal for Capture {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for Capture {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }

    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for Capture {
    /// Always ready: a capture never applies back-pressure.
    async fn ready(&mut self) {}
}

#[wasmtime_wasi::async_trait]
impl OutputStream for Capture {
    /// Accepts every byte, even past the permit, and never reports an error.
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        self.push(&bytes);
        Ok(())
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(WRITE_PERMIT)
    }
}

impl tokio::io::AsyncWrite for Capture {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.push(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// `fault` with the tail of the guest's `stderr` appended, for the faults whose
/// text is free-form (traps and failed instantiations); other faults and an
/// empty `stderr` leave it as it is.
pub(crate) fn with_stderr(fault: GuestFault, stderr: &str) -> GuestFault {
    let stderr = stderr.trim();
    if stderr.is_empty() {
        return fault;
    }
    let stderr = tail(stderr, MAX_FAULT_STDERR);
    let note = |text: String| {
        let shown = stderr.strip_prefix('…').unwrap_or(&stderr).len();
        format!(
            "{}; guest stderr (last {shown} bytes): {stderr}",
            text.trim_end()
        )
    };
    match fault {
        GuestFault::Trap(text) => GuestFault::Trap(note(text)),
        GuestFault::Instantiate(text) => GuestFault::Instantiate(note(text)),
        other => other,
    }
}

/// The last at most `max` bytes of `text`, cut on a character boundary and
/// marked with a leading `…` when cut.
pub(crate) fn tail(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut start = text.len() - max;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    format!("…{}", &text[start..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_everything_under_the_cap() {
        let c = Capture::new(16);
        c.push(b"hello ");
        c.push(b"world");
        let got = c.snapshot();
        assert_eq!(got.bytes, b"hello world");
        assert_eq!(got.written, 11);
        assert_eq!(got.dropped(), 0);
    }

    #[test]
    fn keeps_the_last_bytes_and_counts_the_dropped_ones() {
        let c = Capture::new(8);
        c.push(b"0123456789");
        c.push(b"abc");
        let got = c.snapshot();
        assert_eq!(got.text(), "56789abc");
        assert_eq!(got.bytes, b"56789abc");
        assert_eq!(got.written, 13);
        assert_eq!(got.dropped(), 5);
    }

    #[test]
    fn many_small_writes_keep_the_last_bytes() {
        let c = Capture::new(10);
        let mut all = Vec::new();
        for i in 0..1000u32 {
            let line = format!("{i},");
            c.push(line.as_bytes());
            all.extend_from_slice(line.as_bytes());
            let got = c.snapshot();
            assert_eq!(got.bytes, &all[all.len().saturating_sub(10)..]);
            assert_eq!(got.written, all.len() as u64);
        }
        assert!(c.lock().buf.len() <= 20);
    }

    #[test]
    fn never_errors_however_much_is_written() {
        let mut c = Capture::new(MAX_STREAM_BYTES);
        let chunk = Bytes::from(vec![b'x'; 100_000]);
        for _ in 0..64 {
            assert_eq!(c.check_write().ok(), Some(WRITE_PERMIT));
            c.write(chunk.clone())
                .expect("a write past the cap succeeds");
            c.flush().expect("flush succeeds");
        }
        c.write(Bytes::from_static(b"the end")).expect("write");
        let got = c.snapshot();
        assert_eq!(got.bytes.len(), MAX_STREAM_BYTES);
        assert!(got.text().ends_with("xthe end"));
        assert_eq!(got.written, 64 * 100_000 + 7);
        assert_eq!(got.dropped(), got.written - MAX_STREAM_BYTES as u64);
    }

    #[tokio::test]
    async fn blocking_writes_and_async_writes_succeed_past_the_cap() {
        use tokio::io::AsyncWriteExt;
        let c = Capture::new(4);
        let mut p2 = c.p2_stream();
        p2.blocking_write_and_flush(Bytes::from_static(b"abcdefgh"))
            .await
            .expect("blocking write succeeds");
        let mut w = Pin::from(c.async_stream());
        w.write_all(b"ijkl").await.expect("async write succeeds");
        assert_eq!(c.snapshot().bytes, b"ijkl");
        assert_eq!(c.snapshot().written, 12);
    }

    #[test]
    fn text_skips_a_character_cut_by_the_dropped_head() {
        let c = Capture::new(4);
        c.push("aé€".as_bytes()); // 1 + 2 + 3 bytes; the last 4 start inside `é`
        assert_eq!(c.snapshot().text(), "€");
        let whole = Capture::new(8);
        whole.push("é".as_bytes());
        assert_eq!(whole.snapshot().text(), "é");
    }

    #[test]
    fn a_trap_gets_the_tail_of_stderr() {
        let stderr = format!("{}panicked at src/lib.rs:1:1:\nboom\n", "x".repeat(5000));
        let GuestFault::Trap(text) = with_stderr(GuestFault::Trap("wasm trap".into()), &stderr)
        else {
            panic!("still a trap");
        };
        assert!(
            text.starts_with("wasm trap; guest stderr (last 2048 bytes): …x"),
            "{text}"
        );
        assert!(
            text.ends_with("panicked at src/lib.rs:1:1:\nboom"),
            "{text}"
        );
        assert!(text.len() < 2048 + 64, "{}", text.len());
        let budget = GuestFault::TimeBudget(std::time::Duration::from_millis(5));
        assert_eq!(with_stderr(budget.clone(), "oops"), budget);
        let trap = GuestFault::Trap("t".into());
        assert_eq!(with_stderr(trap.clone(), " \n"), trap);
    }

    #[test]
    fn tail_cuts_on_a_character_boundary() {
        assert_eq!(tail("short", 10), "short");
        assert_eq!(tail("abcdef", 3), "…def");
        assert_eq!(tail("aé€", 4), "…€");
    }
}
