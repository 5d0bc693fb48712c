//! What a guest touched during one unit of work, beyond the audit journal:
//! how often it called each import, which config keys, secrets and budgets it
//! named, what it logged, what it wrote to stdout and stderr, and its peak
//! linear memory. The conformance kit judges a connector by this (`map-fields`
//! makes no host calls, `describe` declares every config key it reads, no
//! secret reaches a log line).

use std::collections::{BTreeMap, BTreeSet};

use crate::journal::truncate;

/// Most log lines kept per unit; later ones are counted, not kept.
const MAX_LOGS: usize = 256;
/// Longest log line kept, in bytes.
const MAX_LOG_BYTES: usize = 4096;
/// Most names kept in each of the name sets (config keys, secrets, budgets); later new
/// names are counted in `dropped_names`, not kept.
pub const MAX_NAMES: usize = 64;
/// Longest name kept, in bytes.
const MAX_NAME_BYTES: usize = 256;

/// One `log.log` call.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct GuestLog {
    /// `trace`, `debug`, `info`, `warn` or `error`.
    pub level: &'static str,
    /// The message as the guest wrote it (truncated, not redacted).
    pub message: String,
}

/// The observations of one unit of work.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Observed {
    /// Calls per import function, e.g. `http.send`, `config.get`, `log.log`.
    pub calls: BTreeMap<&'static str, u32>,
    /// Config keys the guest asked for (`config.get`), or `*` for `config.get-all`.
    pub config_keys: BTreeSet<String>,
    /// Secret names the guest referenced in `http.send` secret headers.
    pub secrets: BTreeSet<String>,
    /// Budget names the guest reported on (`limits.report`).
    pub budgets: BTreeSet<String>,
    /// Log lines, in order.
    pub logs: Vec<GuestLog>,
    /// Log lines dropped because of the cap.
    pub dropped_logs: u32,
    /// New names not kept in the name sets because of [`MAX_NAMES`].
    pub dropped_names: u32,
    /// The last bytes the guest wrote to stdout (at most
    /// [`MAX_STREAM_BYTES`](crate::MAX_STREAM_BYTES)), lossy UTF-8, secrets redacted.
    pub stdout: String,
    /// Earlier stdout bytes dropped because of the cap.
    pub dropped_stdout_bytes: u64,
    /// The last bytes the guest wrote to stderr (panic messages, tracebacks),
    /// as for `stdout`.
    pub stderr: String,
    /// Earlier stderr bytes dropped because of the cap.
    pub dropped_stderr_bytes: u64,
    /// The largest linear memory the guest asked for, in bytes.
    pub peak_memory: usize,
}

impl Observed {
    /// Counts one call of `import`.
    pub(crate) fn call(&mut self, import: &'static str) {
        *self.calls.entry(import).or_default() += 1;
    }

    /// Notes a config key the guest asked for.
    pub(crate) fn config_key(&mut self, key: &str) {
        Self::note(&mut self.config_keys, &mut self.dropped_names, key);
    }

    /// Notes a secret name the guest referenced.
    pub(crate) fn secret(&mut self, name: &str) {
        Self::note(&mut self.secrets, &mut self.dropped_names, name);
    }

    /// Notes a budget name the guest reported on.
    pub(crate) fn budget(&mut self, name: &str) {
        Self::note(&mut self.budgets, &mut self.dropped_names, name);
    }

    fn note(set: &mut BTreeSet<String>, dropped: &mut u32, name: &str) {
        let name = truncate(name.to_owned(), MAX_NAME_BYTES);
        if set.len() >= MAX_NAMES && !set.contains(&name) {
            *dropped = dropped.saturating_add(1);
            return;
        }
        set.insert(name);
    }

    /// Keeps one log line.
    pub(crate) fn log(&mut self, level: &'static str, message: &str) {
        if self.logs.len() >= MAX_LOGS {
            self.dropped_logs += 1;
            return;
        }
        self.logs.push(GuestLog {
            level,
            message: truncate(message.to_string(), MAX_LOG_BYTES),
        });
    }

    /// Every call except `log.log`, summed.
    pub fn calls_other_than_log(&self) -> u32 {
        self.calls
            .iter()
            .filter(|(name, _)| **name != "log.log")
            .map(|(_, n)| n)
            .sum()
    }

    /// The calls since `before` (an earlier copy of the same unit's observations).
    pub fn calls_since(&self, before: &Observed) -> BTreeMap<&'static str, u32> {
        self.calls
            .iter()
            .filter_map(|(name, n)| {
                let new = n - before.calls.get(name).copied().unwrap_or(0).min(*n);
                (new > 0).then_some((*name, new))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_calls_and_diffs_them() {
        let mut o = Observed::default();
        o.call("config.get");
        let before = o.clone();
        o.call("config.get");
        o.call("http.send");
        o.call("log.log");
        let since = o.calls_since(&before);
        assert_eq!(since.get("config.get"), Some(&1));
        assert_eq!(since.get("http.send"), Some(&1));
        assert_eq!(o.calls_other_than_log(), 3);
    }

    #[test]
    fn caps_name_sets() {
        let mut o = Observed::default();
        let name = |i: usize| format!("s{i}-{}", "x".repeat(100_000));
        for i in 0..(MAX_NAMES + 5) {
            o.secret(&name(i));
        }
        // A name already kept is not a new one.
        o.secret(&name(0));
        assert_eq!(o.secrets.len(), MAX_NAMES);
        assert_eq!(o.dropped_names, 5);
        assert!(o.secrets.iter().all(|s| s.len() <= MAX_NAME_BYTES + 3));
    }

    #[test]
    fn caps_log_lines() {
        let mut o = Observed::default();
        for i in 0..(MAX_LOGS + 3) {
            o.log("info", &format!("line {i}"));
        }
        assert_eq!(o.logs.len(), MAX_LOGS);
        assert_eq!(o.dropped_logs, 3);
    }
}
