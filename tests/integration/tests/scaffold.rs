//! `switchboard new connector NAME --lang rust|python|js`: each generated project builds
//! with its own toolchain and, as generated, passes the CRM-independent part of the
//! conformance kit (its CRM has no simulator, so push and classify cases do not apply).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use switchboard_tests::{language_connector_wasm, repo_root, switchboard_bin};

/// Runs `switchboard new connector NAME --lang LANG --dir DIR`, checking it succeeds.
fn generate(name: &str, lang: &str, dir: &Path) {
    let out = Command::new(switchboard_bin())
        .args(["new", "connector", name, "--lang", lang, "--dir"])
        .arg(dir)
        .arg("--sdk")
        .arg(repo_root().join("sdk"))
        .output()
        .expect("running switchboard new");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("next:") && text.contains("switchboard conformance"),
        "{text}"
    );
}

fn run(cmd: &mut Command, what: &str) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The kit's report on `wasm`: it must pass every CRM-independent check.
fn passes_the_crm_independent_kit(wasm: &Path) {
    let data = tempfile::tempdir().expect("temp dir");
    let out = Command::new(switchboard_bin())
        .arg("--data-dir")
        .arg(data.path())
        .arg("conformance")
        .arg(wasm)
        .arg("--json")
        .output()
        .expect("running switchboard conformance");
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(out.status.code(), Some(0), "{report:#}");
    assert_eq!(report["failed"], 0, "{report:#}");
    assert_eq!(report["simulator"], Value::Null, "{report:#}");
    assert!(report["passed"].as_u64().unwrap_or(0) >= 40, "{report:#}");
    let suites: Vec<&str> = report["results"]
        .as_array()
        .map(|r| r.iter().filter_map(|r| r["suite"].as_str()).collect())
        .unwrap_or_default();
    for suite in ["describe", "normalize", "map-fields", "sandbox"] {
        assert!(suites.contains(&suite), "{suite} missing: {report:#}");
    }
}

#[test]
fn a_new_rust_connector_builds_and_passes_the_crm_independent_kit() {
    let dir = tempfile::tempdir().expect("temp dir");
    let project = dir.path().join("acme-rust");
    generate("acme-rust-scaffold", "rust", &project);
    // The connectors' lockfile: the same dependency versions CI built for them, not
    // whatever crates.io has newest today (cargo drops the entries it does not need).
    std::fs::copy(
        repo_root().join("connectors/Cargo.lock"),
        project.join("Cargo.lock"),
    )
    .expect("copy Cargo.lock");
    // Shares the connectors' target directory, where the SDK is already built.
    let target: PathBuf = repo_root().join("connectors/target");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    run(
        Command::new(&cargo)
            .current_dir(&project)
            .args(["build", "--release", "--quiet", "--target", "wasm32-wasip2"])
            .env("CARGO_TARGET_DIR", &target)
            .env_remove("CARGO_ENCODED_RUSTFLAGS")
            .env_remove("RUSTFLAGS")
            .env_remove("CARGO_BUILD_TARGET"),
        "cargo build of the new Rust connector",
    );
    run(
        Command::new(&cargo)
            .current_dir(&project)
            .args(["test", "--quiet"])
            .env("CARGO_TARGET_DIR", &target)
            .env_remove("CARGO_ENCODED_RUSTFLAGS")
            .env_remove("RUSTFLAGS"),
        "cargo test of the new Rust connector",
    );
    passes_the_crm_independent_kit(&target.join("wasm32-wasip2/release/acme_rust_scaffold.wasm"));
}

#[test]
fn a_new_python_connector_builds_and_passes_the_crm_independent_kit() {
    // Reuses the Python connector's virtual environment (same pinned tools).
    language_connector_wasm("hubspot-py");
    let venv = repo_root().join("connectors/target/py-venv");
    let dir = tempfile::tempdir().expect("temp dir");
    let project = dir.path().join("acme-python");
    generate("acme-python", "python", &project);
    run(
        Command::new("bash")
            .arg(project.join("build.sh"))
            .env("VENV", &venv),
        "build.sh of the new Python connector",
    );
    run(
        Command::new(venv.join("bin/python"))
            .current_dir(&project)
            .args(["-m", "unittest", "discover", "-s", "tests"]),
        "unit tests of the new Python connector",
    );
    passes_the_crm_independent_kit(&project.join("target/acme-python.wasm"));
}

#[test]
fn a_new_javascript_connector_builds_and_passes_the_crm_independent_kit() {
    let dir = tempfile::tempdir().expect("temp dir");
    let project = dir.path().join("acme-js");
    generate("acme-js", "js", &project);
    run(
        Command::new("bash").arg(project.join("build.sh")),
        "build.sh of the new JavaScript connector",
    );
    run(
        Command::new("npm")
            .current_dir(&project)
            .args(["test", "--silent"]),
        "npm test of the new JavaScript connector",
    );
    passes_the_crm_independent_kit(&project.join("target/acme-js.wasm"));
}

#[test]
fn new_refuses_a_bad_name_and_a_non_empty_directory() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = Command::new(switchboard_bin())
        .args(["new", "connector", "Acme CRM", "--lang", "rust", "--dir"])
        .arg(dir.path().join("x"))
        .output()
        .expect("running switchboard new");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("connector name \"Acme CRM\""));
    std::fs::write(dir.path().join("keep.txt"), "mine").expect("write");
    let out = Command::new(switchboard_bin())
        .args(["new", "connector", "acme", "--lang", "js", "--dir"])
        .arg(dir.path())
        .output()
        .expect("running switchboard new");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not empty"));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("keep.txt")).expect("kept"),
        "mine"
    );
}
