//! Parsing and validation of deployment manifests, through the public API only.

use std::path::{Path, PathBuf};

use switchboard_config::{DeploymentManifest, ManifestError, SecretError, SecretSource};

const FULL: &str = r#"
[connector]
name = "hubspot"
version = "^0.1"

[limits]
memory_mb = 128
time_budget_ms = 2000
wall_timeout_ms = 60000

[http]
allowed_hosts = ["https://api.hubapi.com", "*.hubspot.com", "http://localhost:*", "api.example.com:8443"]
allow_private_addresses = true
allow_secrets_over_http = true
connect_timeout_ms = 1000
tls_timeout_ms = 2000
request_timeout_ms = 10000
max_response_bytes = 1048576
max_request_bytes = 524288

[config]
base_url = "https://api.hubapi.com"
page-size = 100
sandbox = false

[secrets]
hubspot-token = { env = "SWITCHBOARD_HUBSPOT_TOKEN", hosts = ["https://api.hubapi.com"] }
other = { file = "secrets/other.txt", hosts = ["*.hubspot.com", "http://localhost:*"] }

[state]
max_value_bytes = 1024
max_keys = 50

[owned_fields]
fields = ["hs_call_body", "hs_call_title"]
"#;

fn parse_err(text: &str) -> ManifestError {
    DeploymentManifest::parse(text, "deploy.toml").expect_err("manifest should be refused")
}

/// Asserts the error names the file and key, and its reason contains `reason`.
fn assert_refused(text: &str, key: &str, reason: &str) {
    let err = parse_err(text);
    assert_eq!(err.file(), "deploy.toml", "{err}");
    assert_eq!(err.key(), Some(key), "{err}");
    assert!(err.reason().contains(reason), "{err}");
    let shown = err.to_string();
    assert!(shown.starts_with("deploy.toml: "), "{shown}");
    assert!(shown.contains(&format!("key {key:?}")), "{shown}");
}

#[test]
fn parses_a_full_manifest() {
    let m = DeploymentManifest::parse(FULL, "/etc/switchboard/acme/deploy.toml").unwrap();
    assert_eq!(m.connector.name.as_deref(), Some("hubspot"));
    let req = m.connector.version.as_ref().unwrap();
    assert!(req.matches(&semver::Version::new(0, 1, 7)));
    assert!(!req.matches(&semver::Version::new(0, 2, 0)));
    assert_eq!(
        (
            m.limits.memory_mb,
            m.limits.time_budget_ms,
            m.limits.wall_timeout_ms
        ),
        (128, 2000, 60_000)
    );
    assert_eq!(m.limits.memory_bytes(), 128 * 1024 * 1024);
    assert_eq!(m.http.allowed_hosts.len(), 4);
    assert_eq!(m.http.allowed_hosts[1], "*.hubspot.com");
    assert!(m.http.allow_private_addresses);
    assert_eq!(m.http.connect_timeout().as_millis(), 1000);
    assert_eq!(m.http.tls_timeout_ms, 2000);
    assert_eq!(m.http.request_timeout_ms, 10_000);
    assert_eq!(m.http.max_response_bytes, 1_048_576);
    assert_eq!(m.http.max_request_bytes, 524_288);
    assert_eq!(m.config["base_url"], "https://api.hubapi.com");
    assert_eq!(m.config["page-size"], "100");
    assert_eq!(m.config["sandbox"], "false");
    assert_eq!(
        m.secrets["hubspot-token"].source,
        SecretSource::Env {
            var: "SWITCHBOARD_HUBSPOT_TOKEN".into()
        }
    );
    assert_eq!(
        m.secrets["other"].source,
        SecretSource::File {
            path: PathBuf::from("/etc/switchboard/acme/secrets/other.txt")
        }
    );
    assert_eq!(m.secret_hosts("hubspot-token"), ["https://api.hubapi.com"]);
    assert_eq!(
        m.secret_hosts("other"),
        ["*.hubspot.com", "http://localhost:*"]
    );
    assert!(m.http.allow_secrets_over_http);
    assert_eq!((m.state.max_value_bytes, m.state.max_keys), (1024, 50));
    assert_eq!(m.owned_fields.fields, ["hs_call_body", "hs_call_title"]);
}

#[test]
fn empty_file_gives_all_defaults() {
    let m = DeploymentManifest::parse("", "deploy.toml").unwrap();
    assert_eq!(m, DeploymentManifest::default());
    assert_eq!(m.connector.name, None);
    assert_eq!(m.connector.version, None);
    assert_eq!(
        (
            m.limits.memory_mb,
            m.limits.time_budget_ms,
            m.limits.wall_timeout_ms
        ),
        (64, 1000, 30_000)
    );
    assert!(m.http.allowed_hosts.is_empty());
    assert!(!m.http.allow_private_addresses);
    assert_eq!(
        (
            m.http.connect_timeout_ms,
            m.http.tls_timeout_ms,
            m.http.request_timeout_ms
        ),
        (5000, 5000, 30_000)
    );
    assert_eq!(m.http.max_response_bytes, 4_194_304);
    assert_eq!(m.http.max_request_bytes, 4_194_304);
    assert!(m.config.is_empty() && m.secrets.is_empty());
    assert_eq!(
        (m.state.max_value_bytes, m.state.max_keys),
        (16_384, 10_000)
    );
    assert!(m.owned_fields.fields.is_empty());
}

#[test]
fn empty_sections_take_defaults_for_missing_keys() {
    let m = DeploymentManifest::parse("[limits]\nmemory_mb = 8\n[http]\n", "d.toml").unwrap();
    assert_eq!(m.limits.memory_mb, 8);
    assert_eq!(m.limits.time_budget_ms, 1000);
    assert_eq!(m.http, Default::default());
}

#[test]
fn unknown_top_level_key_is_named_with_file_and_position() {
    let err = parse_err("[limits]\nmemory_mb = 64\n\n[limitz]\nmemory_mb = 1\n");
    assert_eq!(err.key(), Some("limitz"));
    assert_eq!(err.file(), "deploy.toml");
    assert!(err.reason().contains("unknown field `limitz`"), "{err}");
    assert_eq!(err.line(), Some(4), "{err}");
}

#[test]
fn unknown_nested_key_is_named_by_dotted_path() {
    assert_refused(
        "[limits]\nmemory_mib = 64\n",
        "limits.memory_mib",
        "unknown field",
    );
    assert_refused(
        "[secrets]\ntoken = { env = \"X\", optional = true }\n",
        "secrets.token.optional",
        "unknown field",
    );
    assert_refused(
        "[owned_fields]\nfield = []\n",
        "owned_fields.field",
        "unknown field",
    );
}

#[test]
fn wrong_type_is_refused_with_key() {
    assert_refused(
        "[limits]\nmemory_mb = \"64\"\n",
        "limits.memory_mb",
        "expected an integer",
    );
    assert_refused(
        "[http]\nallow_private_addresses = \"yes\"\n",
        "http.allow_private_addresses",
        "invalid type",
    );
    assert_refused(
        "[http]\nallowed_hosts = \"api.hubapi.com\"\n",
        "http.allowed_hosts",
        "invalid type",
    );
    assert_refused("limits = 3\n", "limits", "expected a table");
    assert_refused(
        "[config]\nratio = 1.5\n",
        "config.ratio",
        "a string, an integer or a boolean",
    );
    assert_refused(
        "[config]\nlist = [\"a\"]\n",
        "config.list",
        "a string, an integer or a boolean",
    );
    assert_refused(
        "[secrets]\ntoken = \"literal\"\n",
        "secrets.token",
        "exactly one of `env` or `file`",
    );
    // A secret written in place of its source is not repeated in the error.
    for literal in ["token = \"s3cret-literal\"", "token = 987654321"] {
        let err = parse_err(&format!("[secrets]\n{literal}\n"));
        assert_eq!(err.key(), Some("secrets.token"), "{err}");
        assert!(!err.to_string().contains("s3cret-literal"), "{err}");
        assert!(!err.to_string().contains("987654321"), "{err}");
    }
}

#[test]
fn each_range_is_checked_at_both_ends() {
    let cases: &[(&str, &str, u64, u64)] = &[
        ("limits", "memory_mb", 1, 4096),
        ("limits", "time_budget_ms", 1, 600_000),
        ("limits", "wall_timeout_ms", 1, 3_600_000),
        ("http", "connect_timeout_ms", 1, 300_000),
        ("http", "tls_timeout_ms", 1, 300_000),
        ("http", "request_timeout_ms", 1, 3_600_000),
        ("http", "max_response_bytes", 1, 268_435_456),
        ("http", "max_request_bytes", 1, 268_435_456),
        ("state", "max_value_bytes", 1, 16_777_216),
        ("state", "max_keys", 1, 10_000_000),
    ];
    for &(section, key, min, max) in cases {
        // wall_timeout_ms must also be >= time_budget_ms, so give a tiny budget.
        let extra = match (section, key) {
            ("limits", "time_budget_ms") => "wall_timeout_ms = 3600000\n",
            ("limits", _) => "time_budget_ms = 1\n",
            _ => "",
        };
        for ok in [min, max] {
            let text = format!("[{section}]\n{extra}{key} = {ok}\n");
            DeploymentManifest::parse(&text, "deploy.toml").unwrap_or_else(|e| panic!("{e}"));
        }
        for bad in [min as i64 - 1, max as i64 + 1, -5] {
            let text = format!("[{section}]\n{extra}{key} = {bad}\n");
            assert_refused(
                &text,
                &format!("{section}.{key}"),
                &format!("must be between {min} and {max}, got {bad}"),
            );
        }
    }
}

#[test]
fn range_error_has_the_documented_message_and_location() {
    let err = parse_err("[limits]\nmemory_mb = 0\n");
    assert_eq!(
        err.to_string(),
        "deploy.toml: key \"limits.memory_mb\": must be between 1 and 4096, got 0 (line 2, column 13)"
    );
}

#[test]
fn wall_timeout_shorter_than_time_budget_is_refused() {
    assert_refused(
        "[limits]\ntime_budget_ms = 5000\nwall_timeout_ms = 4999\n",
        "limits.wall_timeout_ms",
        "must be at least limits.time_budget_ms (5000), got 4999",
    );
    // Found after parsing, yet still located at the value.
    let err = parse_err("[limits]\ntime_budget_ms = 5000\nwall_timeout_ms = 4999\n");
    assert_eq!((err.line(), err.column()), (Some(3), Some(19)), "{err}");
}

#[test]
fn bad_allowed_host_entry_is_named_by_index() {
    for (entry, reason) in [
        ("ftp://api.hubapi.com", "scheme \"ftp\""),
        ("https://", "host is empty"),
        ("https://api.hubapi.com/v3", "'/'"),
        ("api.hubapi.com:0", "port \"0\""),
        ("api.hubapi.com:70000", "port \"70000\""),
        ("*", "wildcard"),
        ("API.hubapi.com", "lowercase"),
    ] {
        let text = format!("[http]\nallowed_hosts = [\"https://ok.example.com\", {entry:?}]\n");
        assert_refused(&text, "http.allowed_hosts[1]", reason);
        assert!(parse_err(&text).reason().contains(&format!("{entry:?}")));
    }
}

#[test]
fn secret_with_both_env_and_file_is_refused() {
    assert_refused(
        "[secrets]\ntoken = { env = \"A\", file = \"b.txt\" }\n",
        "secrets.token",
        "not both",
    );
    assert_refused("[secrets]\ntoken = {}\n", "secrets.token", "exactly one of");
    assert_refused(
        "[secrets]\ntoken = { env = \"\" }\n",
        "secrets.token",
        "not a valid environment variable name",
    );
}

#[test]
fn bad_secret_and_config_names_are_refused() {
    assert_refused(
        "[secrets]\nHubSpot = { env = \"A\" }\n",
        "secrets.HubSpot",
        "invalid name \"HubSpot\"",
    );
    assert_refused(
        "[secrets]\n\"-x\" = { env = \"A\" }\n",
        "secrets.-x",
        "invalid name",
    );
    let long = "a".repeat(65);
    assert_refused(
        &format!("[config]\n{long} = \"v\"\n"),
        &format!("config.{long}"),
        "invalid name",
    );
    assert_refused(
        "[config]\n\"base url\" = \"v\"\n",
        "config.\"base url\"",
        "invalid name",
    );
}

#[test]
fn bad_connector_version_requirement_is_refused() {
    assert_refused(
        "[connector]\nversion = \"latest\"\n",
        "connector.version",
        "not a semver requirement",
    );
    assert_refused(
        "[connector]\nname = \"\"\n",
        "connector.name",
        "must not be empty",
    );
}

#[test]
fn duplicate_owned_field_is_refused() {
    assert_refused(
        "[owned_fields]\nfields = [\"a\", \"b\", \"a\"]\n",
        "owned_fields.fields",
        "listed twice",
    );
}

#[test]
fn syntax_error_has_line_and_column_and_no_key() {
    let err = parse_err("[limits]\nmemory_mb = 64\ntime_budget_ms = = 3\n");
    assert_eq!(err.key(), None);
    assert_eq!(err.line(), Some(3), "{err}");
    assert!(err.column().is_some(), "{err}");
    assert!(err.reason().starts_with("invalid TOML"), "{err}");
    assert!(err.to_string().contains("(line 3, column "), "{err}");
}

#[test]
fn load_reads_a_file_and_names_it_in_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deploy.toml");
    std::fs::write(&path, "[limits]\nmemory_mb = 5000\n").unwrap();
    let err = DeploymentManifest::load(&path).unwrap_err();
    assert_eq!(err.file(), path.display().to_string());
    assert_eq!(err.key(), Some("limits.memory_mb"));
    assert!(
        err.to_string()
            .starts_with(&format!("{}: key ", path.display()))
    );

    std::fs::write(&path, "[limits]\nmemory_mb = 256\n").unwrap();
    assert_eq!(
        DeploymentManifest::load(&path).unwrap().limits.memory_mb,
        256
    );
}

#[test]
fn load_of_missing_file_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nope.toml");
    let err = DeploymentManifest::load(&path).unwrap_err();
    assert_eq!(err.file(), path.display().to_string());
    assert_eq!(err.key(), None);
    assert!(err.reason().starts_with("cannot read file"), "{err}");
}

#[test]
fn file_secret_is_relative_to_the_manifest_directory() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("secrets")).unwrap();
    std::fs::write(dir.path().join("secrets/other.txt"), "s3cr3t-value\r\n\n").unwrap();
    let path = dir.path().join("deploy.toml");
    std::fs::write(
        &path,
        "[secrets]\nother = { file = \"secrets/other.txt\" }\n",
    )
    .unwrap();

    let m = DeploymentManifest::load(&path).unwrap();
    assert_eq!(
        m.secrets["other"].source,
        SecretSource::File {
            path: dir.path().join("secrets/other.txt")
        }
    );
    // Trailing newlines are trimmed; the current directory plays no part.
    assert_eq!(m.resolve_secret("other").unwrap(), "s3cr3t-value");
}

#[test]
fn absolute_file_secret_is_kept_as_is() {
    let m = DeploymentManifest::parse(
        "[secrets]\nk = { file = \"/run/secrets/k\" }\n",
        "conf/deploy.toml",
    )
    .unwrap();
    assert_eq!(
        m.secrets["k"].source,
        SecretSource::File {
            path: PathBuf::from("/run/secrets/k")
        }
    );
}

#[test]
fn missing_secret_file_names_the_secret_and_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let origin = dir.path().join("deploy.toml");
    let m = DeploymentManifest::parse(
        "[secrets]\nother = { file = \"missing.txt\" }\n",
        origin.to_str().unwrap(),
    )
    .unwrap();
    let err = m.resolve_secret("other").unwrap_err();
    assert_eq!(err.secret(), "other");
    let shown = err.to_string();
    assert!(shown.contains("secret \"other\""), "{shown}");
    assert!(
        shown.contains(&format!("{:?}", dir.path().join("missing.txt"))),
        "{shown}"
    );
}

#[test]
fn empty_secret_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("empty.txt"), "\n").unwrap();
    let origin = dir.path().join("deploy.toml");
    let m = DeploymentManifest::parse(
        "[secrets]\ne = { file = \"empty.txt\" }\n",
        origin.to_str().unwrap(),
    )
    .unwrap();
    let err = m.resolve_secret("e").unwrap_err();
    assert!(matches!(err, SecretError::Empty { .. }), "{err}");
}

#[test]
fn undeclared_secret_is_an_error() {
    let m = DeploymentManifest::parse("", "d.toml").unwrap();
    let err = m.resolve_secret("nope").unwrap_err();
    assert_eq!(
        err,
        SecretError::Undeclared {
            secret: "nope".into()
        }
    );
}

#[test]
fn readme_example_parses() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let start = readme.find("```toml\n").expect("README has a toml example") + "```toml\n".len();
    let len = readme[start..].find("```").unwrap();
    DeploymentManifest::parse(&readme[start..start + len], "README.md")
        .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn a_secret_is_bound_to_allowlist_entries() {
    // One allowlist entry: the secret is bound to it without saying so.
    let m = DeploymentManifest::parse(
        "[http]\nallowed_hosts = [\"https://api.hubapi.com\"]\n[secrets]\nt = { env = \"T\" }\n",
        "deploy.toml",
    )
    .unwrap();
    assert_eq!(m.secret_hosts("t"), ["https://api.hubapi.com"]);
    assert!(!m.http.allow_secrets_over_http);
    assert!(m.secret_hosts("undeclared").is_empty());
    // Several entries: the operator must say where it may go.
    assert_refused(
        "[http]\nallowed_hosts = [\"https://api.hubapi.com\", \"https://echo.example\"]\n[secrets]\nt = { env = \"T\" }\n",
        "secrets.t",
        "say which hosts this secret may be sent to",
    );
    // A binding must name an allowlist entry exactly.
    assert_refused(
        "[http]\nallowed_hosts = [\"https://api.hubapi.com\"]\n[secrets]\nt = { env = \"T\", hosts = [\"https://evil.example\"] }\n",
        "secrets.t.hosts",
        "is not one of [http].allowed_hosts",
    );
    assert_refused(
        "[http]\nallowed_hosts = [\"https://api.hubapi.com\"]\n[secrets]\nt = { env = \"T\", hosts = [] }\n",
        "secrets.t",
        "at least one",
    );
    assert_refused(
        "[http]\nallowed_hosts = [\"https://api.hubapi.com\"]\n[secrets]\nt = { env = \"T\", hosts = [\"https://a/b\"] }\n",
        "secrets.t",
        "give only [scheme://]host[:port]",
    );
}
