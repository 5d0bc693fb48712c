//! `switchboard conformance` through the binary: the bundled HubSpot connector passes
//! every check; a connector built to break every rule fails each check with what was
//! expected, what came back and how to reproduce it; `--case`, `--cases`, `--crm`,
//! `--json` and `--junit` do what they say; a bad case file is refused with its place.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;
use switchboard_tests::{connector_wasm, guest_wasm, language_connector_wasm, switchboard_bin};

fn conformance(wasm: &Path, args: &[&str]) -> (Output, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = Command::new(switchboard_bin())
        .arg("--data-dir")
        .arg(dir.path())
        .arg("conformance")
        .arg(wasm)
        .args(args)
        .output()
        .expect("running switchboard conformance");
    (out, dir)
}

fn json_report(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn result<'a>(report: &'a Value, check: &str) -> &'a Value {
    let (suite, name) = check.split_once('/').expect("suite/name");
    report["results"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["suite"] == suite && r["name"] == name))
        .unwrap_or_else(|| panic!("no result {check:?} in {report:#}"))
}

#[test]
fn the_bundled_hubspot_connector_passes_every_check() {
    let wasm = connector_wasm("hubspot");
    let (out, dir) = conformance(&wasm, &["--json"]);
    let report = json_report(&out);
    assert_eq!(out.status.code(), Some(0), "{report:#}");
    assert_eq!(report["failed"], 0, "{report:#}");
    assert_eq!(report["skipped"], 0, "{report:#}");
    assert!(report["passed"].as_u64().unwrap_or(0) >= 70, "{report:#}");
    assert_eq!(report["simulator"], "hubspot");
    for suite in [
        "describe",
        "normalize",
        "map-fields",
        "classify-error",
        "push",
        "sandbox",
    ] {
        assert!(
            report["results"]
                .as_array()
                .is_some_and(|r| r.iter().any(|r| r["suite"] == suite)),
            "suite {suite} missing"
        );
    }
    drop(dir);
    let junit_dir = tempfile::tempdir().expect("temp dir");
    let junit = junit_dir.path().join("report.xml");
    let (out, _dir) = conformance(&wasm, &["--junit", junit.to_str().expect("utf-8 path")]);
    assert_eq!(out.status.code(), Some(0));
    let xml = std::fs::read_to_string(&junit).expect("junit written");
    assert!(xml.contains("failures=\"0\""), "{xml}");
    assert!(xml.contains("<testsuite name=\"push\""), "{xml}");
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("0 failed, 0 skipped"), "{table}");
}

/// The kit's verdict on a connector that must pass everything.
fn passes_every_check(wasm: &Path) {
    let (out, _dir) = conformance(wasm, &["--json"]);
    let report = json_report(&out);
    let failed: Vec<String> = report["results"]
        .as_array()
        .map(|r| {
            r.iter()
                .filter(|r| r["status"] != "pass")
                .map(|r| {
                    format!(
                        "{}/{}: {} | {}",
                        r["suite"], r["name"], r["expected"], r["got"]
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    assert!(
        failed.is_empty(),
        "{}:\n{}",
        wasm.display(),
        failed.join("\n")
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(report["passed"].as_u64().unwrap_or(0) >= 70, "{report:#}");
    assert_eq!(report["simulator"], "hubspot");
}

#[test]
fn the_python_hubspot_connector_passes_every_check() {
    passes_every_check(&language_connector_wasm("hubspot-py"));
}

#[test]
fn the_javascript_hubspot_connector_passes_every_check() {
    passes_every_check(&language_connector_wasm("hubspot-js"));
}

#[test]
fn a_flawed_connector_fails_each_check_saying_expected_got_and_how_to_reproduce() {
    let wasm = guest_wasm("flawed");
    let (out, _dir) = conformance(&wasm, &["--json"]);
    let report = json_report(&out);
    assert_eq!(out.status.code(), Some(1), "{report:#}");
    for check in [
        "describe/is well formed",
        "describe/refuses a record kind it does not declare",
        "normalize/UK mobile typed nationally (GB)",
        "normalize/Words instead of a phone are refused",
        "normalize/is idempotent",
        "map-fields/is deterministic",
        "map-fields/makes no host calls",
        "classify-error/401 expired OAuth token",
        "classify-error/429 daily limit",
        "push/A call creates its contact and the call",
        "push/A call finds the contact typed nationally (US)",
        "push/The same call pushed twice is one call",
        "push/The same call pushed again after losing state is one call",
        "push/503 from HubSpot is transient",
        "sandbox/stays inside its declared hosts",
        "sandbox/stays inside its memory limit",
        "sandbox/stays inside its time budget",
        "sandbox/never traps",
        "sandbox/declares every config key it reads",
    ] {
        let r = result(&report, check);
        assert_eq!(r["status"], "fail", "{check}: {r:#}");
        for key in ["expected", "got", "reproduce"] {
            assert!(
                r[key].as_str().is_some_and(|s| !s.is_empty()),
                "{check} has no {key}: {r:#}"
            );
        }
        let reproduce = r["reproduce"].as_str().unwrap_or_default();
        assert!(
            reproduce.contains(&format!("--case '{check}'")),
            "{reproduce}"
        );
    }
    // What it does right is not held against it.
    for check in [
        "describe/is the same in a fresh instance and calls only log",
        "sandbox/keeps secrets out of its logs and results",
    ] {
        assert_eq!(result(&report, check)["status"], "pass", "{check}");
    }
    let uk = result(&report, "normalize/UK mobile typed nationally (GB)");
    assert_eq!(uk["expected"], "phone = \"+447911123456\"");
    assert_eq!(uk["got"], "phone = \"+07911123456\"");
    assert!(
        uk["reproduce"]
            .as_str()
            .unwrap_or_default()
            .contains("default-region = \"GB\"")
    );
    let dupe = result(
        &report,
        "push/A call finds the contact typed nationally (US)",
    );
    assert!(
        dupe["expected"]
            .as_str()
            .unwrap_or_default()
            .contains("seeded"),
        "{dupe:#}"
    );
}

#[test]
fn case_reruns_one_check_and_the_table_spells_out_the_failure() {
    let (out, _dir) = conformance(
        &guest_wasm("flawed"),
        &["--case", "normalize/UK mobile typed nationally"],
    );
    assert_eq!(out.status.code(), Some(1));
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("0 passed, 1 failed, 0 skipped"), "{table}");
    assert!(
        table.contains("expected: phone = \"+447911123456\""),
        "{table}"
    );
    assert!(
        table.contains("got:      phone = \"+07911123456\""),
        "{table}"
    );
    assert!(
        table.contains("reproduce: switchboard conformance"),
        "{table}"
    );
    // A check judged across cases runs them all, and shows only itself.
    let (out, _dir) = conformance(
        &guest_wasm("flawed"),
        &["--json", "--case", "sandbox/never traps"],
    );
    let report = json_report(&out);
    assert_eq!(
        report["results"].as_array().map(Vec::len),
        Some(1),
        "{report:#}"
    );
    assert_eq!(result(&report, "sandbox/never traps")["status"], "fail");
}

#[test]
fn a_qa_case_file_adds_cases_without_rust() {
    let cases = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        cases.path().join("teapot.toml"),
        "crm = \"hubspot\"\n\n[[classify]]\nname = \"418 from a proxy is permanent\"\nstatus = 418\nbody = \"I'm a teapot\"\nexpect = { class = \"permanent\" }\n\n\
         [[classify]]\nname = \"418 wrongly expected as transient\"\nstatus = 418\nexpect = { class = \"transient\" }\n",
    )
    .expect("write case file");
    let dir = cases.path().to_str().expect("utf-8 path");
    let (out, _d) = conformance(
        &connector_wasm("hubspot"),
        &["--json", "--cases", dir, "--case", "418"],
    );
    let report = json_report(&out);
    assert_eq!(out.status.code(), Some(1), "{report:#}");
    assert_eq!(
        result(&report, "classify-error/418 from a proxy is permanent")["status"],
        "pass"
    );
    let wrong = result(&report, "classify-error/418 wrongly expected as transient");
    assert_eq!(wrong["expected"], "transient");
    assert!(
        wrong["got"]
            .as_str()
            .unwrap_or_default()
            .contains("Permanent"),
        "{wrong:#}"
    );
    // The command to run it again names the QA directory, or it would find no case.
    assert!(
        wrong["reproduce"]
            .as_str()
            .unwrap_or_default()
            .contains(&format!("--cases {dir} ")),
        "{wrong:#}"
    );
}

#[test]
fn a_transient_failure_that_was_not_a_timeout_fails_a_timeout_expectation() {
    let cases = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        cases.path().join("slow.toml"),
        "crm = \"hubspot\"\n\n[[push]]\nname = \"a 503 posing as a timeout\"\nkind = \"contact\"\n\
         fields = { phone = \"+447911123456\" }\nfault = { action = \"respond\", status = 503 }\n\
         expect = { failure = { class = \"transient\" }, transport = \"timeout\" }\n",
    )
    .expect("write case file");
    let dir = cases.path().to_str().expect("utf-8 path");
    let (out, _d) = conformance(
        &connector_wasm("hubspot"),
        &["--json", "--cases", dir, "--case", "posing"],
    );
    let report = json_report(&out);
    assert_eq!(out.status.code(), Some(1), "{report:#}");
    let r = result(&report, "push/a 503 posing as a timeout");
    assert_eq!(r["status"], "fail", "{r:#}");
    assert!(
        r["expected"]
            .as_str()
            .unwrap_or_default()
            .contains("\"timeout\""),
        "{r:#}"
    );
    assert_eq!(r["got"], "every request got a response", "{r:#}");
}

#[test]
fn a_case_filter_that_matches_no_check_is_an_error_not_a_pass() {
    let (out, _d) = conformance(&connector_wasm("hubspot"), &["--case", "no such check"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("matches no check"), "{err}");
}

#[test]
fn a_bad_case_file_is_refused_naming_file_and_line() {
    let cases = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        cases.path().join("typo.toml"),
        "crm = \"hubspot\"\n[[classify]]\nname = \"x\"\nstatus = 401\nexpect = { klass = \"auth\" }\n",
    )
    .expect("write case file");
    let (out, _d) = conformance(
        &connector_wasm("hubspot"),
        &["--cases", cases.path().to_str().expect("utf-8")],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("typo.toml") && err.contains("line 5") && err.contains("klass"),
        "{err}"
    );
}

#[test]
fn crm_none_runs_only_the_crm_independent_suites() {
    let (out, _d) = conformance(&connector_wasm("hubspot"), &["--json", "--crm", "none"]);
    let report = json_report(&out);
    assert_eq!(out.status.code(), Some(0), "{report:#}");
    assert_eq!(report["simulator"], Value::Null);
    let suites: Vec<&str> = report["results"]
        .as_array()
        .map(|r| r.iter().filter_map(|r| r["suite"].as_str()).collect())
        .unwrap_or_default();
    assert!(
        suites.contains(&"normalize") && suites.contains(&"sandbox"),
        "{suites:?}"
    );
    assert!(
        !suites.contains(&"push") && !suites.contains(&"classify-error"),
        "{suites:?}"
    );
    let (out, _d) = conformance(&connector_wasm("hubspot"), &["--crm", "zoho"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no such simulator"));
}
