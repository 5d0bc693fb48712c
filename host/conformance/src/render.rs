//! The report as a terminal table (with every failure spelled out) and as JUnit XML.

use std::fmt::Write;

use crate::report::{CaseResult, Report, Status};

/// A readable table: one line per check, then each failure's expected / got /
/// reproduce, then the summary.
pub fn table(report: &Report) -> String {
    let mut s = String::new();
    let c = &report.connector;
    let sim = report.simulator.as_deref().unwrap_or("none");
    let _ = writeln!(
        s,
        "conformance: {} {} ({}) from {}, simulator: {sim}\n",
        c.name, c.version, c.crm, c.path
    );
    let suite_w = report
        .results
        .iter()
        .map(|r| r.suite.len())
        .max()
        .unwrap_or(5)
        .max(5);
    let name_w = report
        .results
        .iter()
        .map(|r| r.name.chars().count())
        .max()
        .unwrap_or(4)
        .clamp(4, 64);
    let _ = writeln!(
        s,
        "{:<suite_w$}  {:<name_w$}  {:<6}  {:>6}  NOTE",
        "SUITE", "CASE", "RESULT", "MS"
    );
    for r in &report.results {
        let name: String = r.name.chars().take(name_w).collect();
        let note = match r.status {
            Status::Fail => "see below".to_string(),
            _ => r.note.clone().unwrap_or_default(),
        };
        let _ = writeln!(
            s,
            "{:<suite_w$}  {:<name_w$}  {:<6}  {:>6}  {note}",
            r.suite,
            name,
            word(r.status),
            r.ms
        );
    }
    let failures: Vec<&CaseResult> = report
        .results
        .iter()
        .filter(|r| r.status == Status::Fail)
        .collect();
    if !failures.is_empty() {
        let _ = writeln!(s, "\nFailures:");
        for (i, r) in failures.iter().enumerate() {
            let _ = writeln!(s, "\n{}) {} / {}", i + 1, r.suite, r.name);
            let _ = writeln!(s, "   expected: {}", r.expected.as_deref().unwrap_or(""));
            let _ = writeln!(s, "   got:      {}", r.got.as_deref().unwrap_or(""));
            for (j, line) in r.reproduce.as_deref().unwrap_or("").lines().enumerate() {
                let label = if j == 0 { "reproduce:" } else { "          " };
                let _ = writeln!(s, "   {label} {line}");
            }
        }
    }
    let m = &report.measurements;
    let _ = writeln!(
        s,
        "\n{} passed, {} failed, {} skipped; {} units of work, {} HTTP requests, peak memory {:.1} MiB, slowest unit {} ms guest time",
        report.passed,
        report.failed,
        report.skipped,
        m.units,
        m.http_requests,
        m.peak_memory_bytes as f64 / (1024.0 * 1024.0),
        m.max_guest_ms
    );
    s
}

fn word(s: Status) -> &'static str {
    match s {
        Status::Pass => "pass",
        Status::Fail => "FAIL",
        Status::Skip => "skip",
    }
}

/// JUnit XML: one `<testsuite>` per suite, one `<testcase>` per check; a failure's
/// message is what was expected, its text adds what came back and how to reproduce.
pub fn junit(report: &Report) -> String {
    let mut suites: Vec<&str> = Vec::new();
    for r in &report.results {
        if !suites.contains(&r.suite.as_str()) {
            suites.push(&r.suite);
        }
    }
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let total_ms: u64 = report.results.iter().map(|r| r.ms).sum();
    let _ = writeln!(
        s,
        "<testsuites name=\"switchboard conformance {}\" tests=\"{}\" failures=\"{}\" skipped=\"{}\" time=\"{}\">",
        esc(&report.connector.name),
        report.results.len(),
        report.failed,
        report.skipped,
        secs(total_ms)
    );
    for suite in suites {
        let cases: Vec<&CaseResult> = report.results.iter().filter(|r| r.suite == suite).collect();
        let count = |st| cases.iter().filter(|r| r.status == st).count();
        let _ = writeln!(
            s,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" skipped=\"{}\" time=\"{}\">",
            esc(suite),
            cases.len(),
            count(Status::Fail),
            count(Status::Skip),
            secs(cases.iter().map(|r| r.ms).sum())
        );
        for r in cases {
            let _ = write!(
                s,
                "    <testcase classname=\"conformance.{}\" name=\"{}\" time=\"{}\"",
                esc(&r.suite),
                esc(&r.name),
                secs(r.ms)
            );
            match r.status {
                Status::Pass => s.push_str("/>\n"),
                Status::Skip => {
                    let _ = writeln!(
                        s,
                        ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                        esc(r.note.as_deref().unwrap_or(""))
                    );
                }
                Status::Fail => {
                    let expected = r.expected.as_deref().unwrap_or("");
                    let _ = writeln!(
                        s,
                        ">\n      <failure message=\"expected: {}\">expected: {}\ngot: {}\nreproduce: {}</failure>\n    </testcase>",
                        esc(expected),
                        esc(expected),
                        esc(r.got.as_deref().unwrap_or("")),
                        esc(r.reproduce.as_deref().unwrap_or(""))
                    );
                }
            }
        }
        s.push_str("  </testsuite>\n");
    }
    s.push_str("</testsuites>\n");
    s
}

fn secs(ms: u64) -> String {
    format!("{:.3}", ms as f64 / 1000.0)
}

/// XML text and attribute escaping; characters XML 1.0 cannot hold (controls, U+FFFE,
/// U+FFFF) become `?`.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\t' | '\r' => out.push(' '),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('?'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{ConnectorInfo, Measurements};

    fn report() -> Report {
        let info = ConnectorInfo {
            path: "x.wasm".into(),
            name: "acme".into(),
            version: "1.0.0".into(),
            crm: "Acme".into(),
        };
        let mut failed = CaseResult::fail(
            "normalize",
            "UK <mobile>",
            "phone = \"+44\"".into(),
            "phone = \"07\"".into(),
        );
        failed.reproduce =
            Some("switchboard conformance x.wasm --case \"normalize/UK\"\nrecord: {}".into());
        let results = vec![
            CaseResult::pass("describe", "is well formed"),
            failed,
            CaseResult::skip("push", "p", "no simulator"),
        ];
        Report::new(info, None, results, Measurements::default())
    }

    #[test]
    fn the_table_spells_out_each_failure() {
        let t = table(&report());
        assert!(t.contains("FAIL"), "{t}");
        assert!(t.contains("expected: phone = \"+44\""), "{t}");
        assert!(t.contains("got:      phone = \"07\""), "{t}");
        assert!(
            t.contains("reproduce: switchboard conformance x.wasm"),
            "{t}"
        );
        assert!(t.contains("1 passed, 1 failed, 1 skipped"), "{t}");
    }

    #[test]
    fn junit_is_escaped_and_counts_per_suite() {
        let x = junit(&report());
        assert!(x.contains("<testsuites name=\"switchboard conformance acme\" tests=\"3\" failures=\"1\" skipped=\"1\""), "{x}");
        assert!(x.contains("name=\"UK &lt;mobile&gt;\""), "{x}");
        assert!(
            x.contains("<failure message=\"expected: phone = &quot;+44&quot;\">"),
            "{x}"
        );
        assert!(x.contains("<skipped message=\"no simulator\"/>"), "{x}");
        assert_eq!(x.matches("<testsuite ").count(), 3, "{x}");
    }

    #[test]
    fn junit_parses_as_xml_whatever_the_connector_returned() {
        use quick_xml::events::Event;
        let mut r = report();
        let hostile = "a \"q\" & <b> 'c'\u{1}\u{FFFE}\r\n]]>";
        r.results[1].got = Some(hostile.into());
        r.results[1].name = hostile.into();
        let x = junit(&r);
        let mut reader = quick_xml::Reader::from_str(&x);
        let (mut cases, mut names, mut failure_text) = (0, Vec::new(), String::new());
        let mut in_failure = false;
        loop {
            match reader.read_event() {
                Ok(Event::Eof) => break,
                Ok(Event::Start(e) | Event::Empty(e)) => {
                    if e.name().as_ref() == b"testcase" {
                        cases += 1;
                        for a in e.attributes() {
                            let a = a.expect("attribute");
                            if a.key.as_ref() == b"name" {
                                let v = a
                                    .normalized_value(quick_xml::XmlVersion::Explicit1_0)
                                    .expect("attribute value");
                                names.push(v.into_owned());
                            }
                        }
                    }
                    in_failure = e.name().as_ref() == b"failure";
                }
                Ok(Event::Text(t)) if in_failure => {
                    failure_text.push_str(&t.decode().expect("failure text"));
                }
                Ok(Event::End(_)) => in_failure = false,
                Ok(_) => {}
                Err(e) => panic!("not well-formed at {}: {e}\n{x}", reader.buffer_position()),
            }
        }
        assert_eq!(cases, 3, "{x}");
        assert_eq!(names[1], "a \"q\" & <b> 'c'?? \n]]>", "{x}");
        assert!(failure_text.contains("got: "), "{failure_text}");
    }
}
