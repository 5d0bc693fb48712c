//! The `switchboard-hubspot-sim` binary.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[tokio::test]
async fn binary_prints_address_serves_and_stops_on_sigterm() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_switchboard-hubspot-sim"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--token",
            "cli-token",
            "--burst-limit",
            "1",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .expect("binary starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("first line");
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");

    let client = reqwest::Client::new();
    let url = format!("{base}/crm/v3/objects/contacts");
    let ok = client
        .get(&url)
        .bearer_auth("cli-token")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status().as_u16(), 200);
    let limited = client
        .get(&url)
        .bearer_auth("cli-token")
        .send()
        .await
        .unwrap();
    assert_eq!(limited.status().as_u16(), 429);
    let default_token = client
        .get(&url)
        .bearer_auth("sim-token")
        .send()
        .await
        .unwrap();
    assert_eq!(default_token.status().as_u16(), 401);

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let exit = child.wait().expect("binary exits");
    assert!(exit.success(), "{exit:?}");
}

#[tokio::test]
async fn binary_flags_choose_the_unique_properties() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_switchboard-hubspot-sim"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--no-unique-properties",
            "--unique-property",
            "calls:order_ref",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .expect("binary starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("first line");
    let base = line.trim().trim_start_matches("listening on ").to_owned();
    let state: serde_json::Value = reqwest::get(format!("{base}/__sim/state"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        state["unique_properties"],
        serde_json::json!([["calls", "order_ref"]])
    );
    child.kill().expect("kill");
    let _ = child.wait();
}
