//! The suites, run in this order: describe, normalize (with map-fields),
//! classify-error, push, and last sandbox (over everything the others left behind).

pub(crate) mod classify;
pub(crate) mod describe;
pub(crate) mod normalize;
pub(crate) mod push;
pub(crate) mod sandbox;

use std::time::Instant;

use crate::kit::Kit;
use crate::report::CaseResult;

/// A check's verdict: `Err((expected, got))` fails it.
pub(crate) type Check = Result<(), (String, String)>;

/// Checks judged over every case of other suites: selecting one with `--case` runs
/// every case (reporting only the selected checks).
pub(crate) const ACROSS_CASES: [&str; 10] = [
    "normalize/is idempotent",
    "map-fields/is deterministic",
    "map-fields/makes no host calls",
    "sandbox/stays inside its declared hosts",
    "sandbox/stays inside its memory limit",
    "sandbox/stays inside its time budget",
    "sandbox/never traps",
    "sandbox/keeps secrets out of its logs and results",
    "sandbox/declares every config key it reads",
    "sandbox/declares every secret and budget it uses",
];

/// The results so far.
#[derive(Default)]
pub(crate) struct Out {
    pub(crate) results: Vec<CaseResult>,
    /// Run every check, even those `--case` does not select (their results are dropped).
    pub(crate) run_all: bool,
}

impl Out {
    /// Runs one check if `--case` selects it; a failure gets the command that runs it
    /// alone and, when given, the input it was run on.
    pub(crate) async fn check(
        &mut self,
        kit: &Kit,
        suite: &str,
        name: &str,
        input: Option<String>,
        f: impl AsyncFnOnce() -> Check,
    ) {
        let selected = kit.selected(suite, name);
        if !selected && !self.run_all {
            return;
        }
        let started = Instant::now();
        let verdict = f().await;
        if !selected {
            return;
        }
        let mut result = CaseResult::from_check(suite, name, verdict);
        result.ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        if result.expected.is_some() {
            let command = kit.reproduce(suite, name);
            result.reproduce = Some(match input {
                Some(input) => format!("{command}\n{input}"),
                None => command,
            });
        }
        self.results.push(result);
    }

    /// Records a skipped check if `--case` selects it.
    pub(crate) fn skip(&mut self, kit: &Kit, suite: &str, name: &str, why: impl Into<String>) {
        if kit.selected(suite, name) {
            self.results.push(CaseResult::skip(suite, name, why));
        }
    }
}

/// `Err` for a check: what was expected, what came back.
pub(crate) fn fail<T>(
    expected: impl Into<String>,
    got: impl Into<String>,
) -> Result<T, (String, String)> {
    Err((expected.into(), got.into()))
}

/// Most items one failure lists.
const MAX_LISTED: usize = 5;
/// Longest text of one listed item, in characters.
const MAX_ITEM_CHARS: usize = 400;

/// `text` on one line and at most a few hundred characters (trap backtraces, payloads).
pub(crate) fn brief(text: &str) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= MAX_ITEM_CHARS {
        return one_line;
    }
    let cut: String = one_line.chars().take(MAX_ITEM_CHARS).collect();
    format!("{cut}…")
}

/// `Err` listing the first few offending items (each brief) out of `of`.
pub(crate) fn listed(expected: &str, bad: Vec<String>, of: Option<usize>) -> Check {
    if bad.is_empty() {
        return Ok(());
    }
    let count = bad.len();
    let mut got: Vec<String> = bad.iter().take(MAX_LISTED).map(|b| brief(b)).collect();
    if count > MAX_LISTED {
        got.push(format!("and {} more", count - MAX_LISTED));
    }
    let head = match of {
        Some(n) => format!("{count} of {n}: "),
        None => String::new(),
    };
    fail(expected, format!("{head}{}", got.join("; ")))
}
