//! `switchboard.toml` (`ServeConfig`): loading, every rule, through the public API only.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use switchboard_config::{
    DeliveryOverrides, DeliveryPolicy, ManifestError, SecretError, SecretSource, ServeConfig,
};
use tempfile::TempDir;

/// The complete example of `docs/config.md`: every section and every key.
const COMPLETE: &str = r#"
[storage]
dir = "data"

[server]
listen = "127.0.0.1:8080"
max_batch_records = 1000
max_body_bytes = 8388608
shutdown_grace_ms = 10000
admin_token = { env = "SWITCHBOARD_ADMIN_TOKEN" }

[workers]
concurrency = 16
lease_ms = 30000
poll_interval_ms = 50

[delivery]
max_attempts = 8
max_age_secs = 86400
backoff_base_ms = 500
backoff_cap_ms = 300000

[dlq]
webhook_url = "http://127.0.0.1:9999/alerts"
webhook_timeout_ms = 5000

[audit]
retention_days = 30
excerpt_bytes = 1024

[tenants.acme]
ingest_token = { env = "ACME_INGEST_TOKEN" }
concurrency = 8

[tenants.acme.deployments.hubspot]
wasm = "connectors/hubspot.wasm"
manifest = "tenants/acme/hubspot.toml"
kinds = ["call", "contact"]
concurrency = 4

[tenants.acme.deployments.hubspot.delivery]
max_attempts = 3

[tenants.globex]
ingest_token = { file = "secrets/globex-token" }

[tenants.globex.deployments.hubspot-eu]
wasm = "connectors/hubspot.wasm"
manifest = "tenants/acme/hubspot.toml"
"#;

/// A valid deployment manifest, with a secret file relative to its own directory.
const MANIFEST: &str = r#"
[connector]
name = "hubspot"

[http]
allowed_hosts = ["https://api.hubapi.com"]

[secrets]
hubspot-token = { file = "hubspot-token.txt" }
"#;

const TOKEN: &str = "ingest-token-value-never-shown";

/// A directory holding the files `COMPLETE` and `config` refer to.
struct Fixture {
    dir: TempDir,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("connectors")).unwrap();
        std::fs::create_dir_all(root.join("tenants/acme")).unwrap();
        std::fs::create_dir_all(root.join("secrets")).unwrap();
        std::fs::write(root.join("connectors/hubspot.wasm"), b"\0asm").unwrap();
        std::fs::write(root.join("tenants/acme/hubspot.toml"), MANIFEST).unwrap();
        std::fs::write(root.join("secrets/globex-token"), format!("{TOKEN}\n")).unwrap();
        Fixture { dir }
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    /// The path the config text is treated as coming from.
    fn origin(&self) -> String {
        self.root().join("switchboard.toml").display().to_string()
    }

    fn parse(&self, text: &str) -> Result<ServeConfig, ManifestError> {
        ServeConfig::parse(text, &self.origin())
    }

    fn parse_err(&self, text: &str) -> ManifestError {
        self.parse(text).expect_err("config should be refused")
    }

    /// Asserts the error names this config file and `key`, and its reason contains `reason`.
    fn assert_refused(&self, text: &str, key: &str, reason: &str) -> ManifestError {
        let err = self.parse_err(text);
        assert_eq!(err.file(), self.origin(), "{err}");
        assert_eq!(err.key(), Some(key), "{err}");
        assert!(err.reason().contains(reason), "{err}");
        let shown = err.to_string();
        assert!(
            shown.starts_with(&format!("{}: key {key:?}: ", self.origin())),
            "{shown}"
        );
        err
    }
}

/// A minimal valid config with `server` lines added to `[server]`, `sections` added after
/// it, and `deployment` lines added to the one deployment's table.
fn config(server: &str, sections: &str, deployment: &str) -> String {
    format!(
        "[storage]\ndir = \"data\"\n\n[server]\nlisten = \"127.0.0.1:0\"\n{server}\n{sections}\n\
         [tenants.acme]\ningest_token = {{ env = \"ACME_INGEST_TOKEN\" }}\n\n\
         [tenants.acme.deployments.hubspot]\nwasm = \"connectors/hubspot.wasm\"\n\
         manifest = \"tenants/acme/hubspot.toml\"\n{deployment}\n"
    )
}

fn minimal() -> String {
    config("", "", "")
}

#[test]
fn parses_the_complete_example() {
    let fx = Fixture::new();
    let c = fx.parse(COMPLETE).unwrap();
    let root = fx.root();

    assert_eq!(c.storage.dir, root.join("data"));
    assert_eq!(
        c.server.listen,
        "127.0.0.1:8080".parse::<SocketAddr>().unwrap()
    );
    assert_eq!(c.server.max_batch_records, 1000);
    assert_eq!(c.server.max_body_bytes, 8_388_608);
    assert_eq!(c.server.shutdown_grace(), Duration::from_secs(10));
    assert_eq!(c.workers.concurrency, 16);
    assert_eq!(c.workers.lease(), Duration::from_secs(30));
    assert_eq!(c.workers.poll_interval(), Duration::from_millis(50));
    assert_eq!(c.delivery.max_attempts, 8);
    assert_eq!(
        c.dlq.webhook_url.as_deref(),
        Some("http://127.0.0.1:9999/alerts")
    );
    assert_eq!(c.dlq.webhook_timeout(), Duration::from_secs(5));
    assert_eq!(c.audit.retention(), Duration::from_secs(30 * 86_400));
    assert_eq!(c.audit.excerpt_bytes, 1024);

    assert_eq!(c.tenants.keys().collect::<Vec<_>>(), ["acme", "globex"]);
    let acme = c.tenant("acme").unwrap();
    assert_eq!(acme.name, "acme");
    assert_eq!(acme.concurrency, Some(8));
    assert_eq!(acme.deployments["hubspot"].concurrency, Some(4));
    assert_eq!(
        acme.ingest_token,
        SecretSource::Env {
            var: "ACME_INGEST_TOKEN".into()
        }
    );
    let hubspot = c.deployment("acme", "hubspot").unwrap();
    assert_eq!(
        (hubspot.tenant.as_str(), hubspot.name.as_str()),
        ("acme", "hubspot")
    );
    assert_eq!(hubspot.wasm, root.join("connectors/hubspot.wasm"));
    assert_eq!(
        hubspot.manifest_path,
        root.join("tenants/acme/hubspot.toml")
    );
    assert_eq!(hubspot.manifest.connector.name.as_deref(), Some("hubspot"));
    assert_eq!(
        hubspot.kinds.as_deref(),
        Some(&["call".to_owned(), "contact".to_owned()][..])
    );
    assert_eq!(
        hubspot.delivery,
        DeliveryOverrides {
            max_attempts: Some(3),
            ..DeliveryOverrides::default()
        }
    );
    let eu = c.deployment("globex", "hubspot-eu").unwrap();
    assert_eq!(eu.kinds, None);
    assert_eq!(c.deployment("globex", "hubspot"), None);
    assert_eq!(c.deployment("nobody", "hubspot"), None);
    let names: Vec<_> = c
        .deployments()
        .map(|d| format!("{}/{}", d.tenant, d.name))
        .collect();
    assert_eq!(names, ["acme/hubspot", "globex/hubspot-eu"]);
}

#[test]
fn delivery_policy_merges_overrides_over_defaults() {
    let fx = Fixture::new();
    let c = fx.parse(COMPLETE).unwrap();
    let hubspot = c.deployment("acme", "hubspot").unwrap();
    assert_eq!(
        c.delivery_policy(hubspot),
        DeliveryPolicy {
            max_attempts: 3,
            max_age: Duration::from_secs(86_400),
            backoff_base: Duration::from_millis(500),
            backoff_cap: Duration::from_secs(300),
        }
    );
    let eu = c.deployment("globex", "hubspot-eu").unwrap();
    assert_eq!(c.delivery_policy(eu), c.delivery.policy());
    assert_eq!(c.delivery_policy(eu).max_attempts, 8);

    let text = config(
        "",
        "[delivery]\nmax_attempts = 5\nbackoff_cap_ms = 60000\n",
        "[tenants.acme.deployments.hubspot.delivery]\nmax_age_secs = 60\nbackoff_base_ms = 1000\nbackoff_cap_ms = 2000\n",
    );
    let c = fx.parse(&text).unwrap();
    let policy = c.delivery_policy(c.deployment("acme", "hubspot").unwrap());
    assert_eq!(
        policy,
        DeliveryPolicy {
            max_attempts: 5,
            max_age: Duration::from_secs(60),
            backoff_base: Duration::from_secs(1),
            backoff_cap: Duration::from_secs(2),
        }
    );
}

#[test]
fn minimal_config_takes_every_default() {
    let fx = Fixture::new();
    let c = fx.parse(&minimal()).unwrap();
    assert_eq!(c.server.listen.port(), 0, "port 0 is allowed");
    assert_eq!(
        (
            c.server.max_batch_records,
            c.server.max_body_bytes,
            c.server.shutdown_grace_ms
        ),
        (1000, 8 * 1024 * 1024, 10_000)
    );
    assert_eq!(
        (
            c.workers.concurrency,
            c.workers.lease_ms,
            c.workers.poll_interval_ms
        ),
        (16, 30_000, 50)
    );
    assert_eq!(
        (
            c.delivery.max_attempts,
            c.delivery.max_age_secs,
            c.delivery.backoff_base_ms,
            c.delivery.backoff_cap_ms
        ),
        (8, 86_400, 500, 300_000)
    );
    assert_eq!(c.dlq.webhook_url, None);
    assert_eq!(c.dlq.webhook_timeout_ms, 5000);
    assert_eq!((c.audit.retention_days, c.audit.excerpt_bytes), (30, 1024));
    let d = c.deployment("acme", "hubspot").unwrap();
    assert_eq!(d.kinds, None);
    assert_eq!(d.delivery, DeliveryOverrides::default());

    // Empty optional tables are the same as absent ones.
    let text = config(
        "",
        "[workers]\n[delivery]\n[dlq]\n[audit]\n",
        "[tenants.acme.deployments.hubspot.delivery]\n",
    );
    assert_eq!(fx.parse(&text).unwrap(), c);
}

/// Where a range case's key lives.
#[derive(Clone, Copy)]
enum Table {
    Server,
    Section(&'static str),
    Override,
}

#[test]
fn each_range_is_checked_at_both_ends() {
    use Table::*;
    // (table, key, min, max, other lines the table needs so that min and max are valid)
    let cases: &[(Table, &str, i64, i64, &str)] = &[
        (Server, "max_batch_records", 1, 100_000, ""),
        (Server, "max_body_bytes", 1, 268_435_456, ""),
        (Server, "shutdown_grace_ms", 0, 600_000, ""),
        (Section("workers"), "concurrency", 1, 1024, ""),
        (Section("workers"), "lease_ms", 1000, 3_600_000, ""),
        (Section("workers"), "poll_interval_ms", 1, 60_000, ""),
        (Section("delivery"), "max_attempts", 1, 1000, ""),
        (Section("delivery"), "max_age_secs", 1, 2_592_000, ""),
        (
            Section("delivery"),
            "backoff_base_ms",
            1,
            3_600_000,
            "backoff_cap_ms = 86400000",
        ),
        (
            Section("delivery"),
            "backoff_cap_ms",
            1,
            86_400_000,
            "backoff_base_ms = 1",
        ),
        (Section("dlq"), "webhook_timeout_ms", 1, 600_000, ""),
        (Section("audit"), "retention_days", 1, 3650, ""),
        (Section("audit"), "excerpt_bytes", 0, 65_536, ""),
        (Override, "max_attempts", 1, 1000, ""),
        (Override, "max_age_secs", 1, 2_592_000, ""),
        (
            Override,
            "backoff_base_ms",
            1,
            3_600_000,
            "backoff_cap_ms = 86400000",
        ),
        (
            Override,
            "backoff_cap_ms",
            1,
            86_400_000,
            "backoff_base_ms = 1",
        ),
    ];
    let fx = Fixture::new();
    for &(table, key, min, max, other) in cases {
        let text = |value: i64| {
            let lines = format!("{key} = {value}\n{other}\n");
            match table {
                Server => config(&lines, "", ""),
                Section(name) => config("", &format!("[{name}]\n{lines}"), ""),
                Override => config(
                    "",
                    "",
                    &format!("[tenants.acme.deployments.hubspot.delivery]\n{lines}"),
                ),
            }
        };
        let full_key = match table {
            Server => format!("server.{key}"),
            Section(name) => format!("{name}.{key}"),
            Override => format!("tenants.acme.deployments.hubspot.delivery.{key}"),
        };
        for ok in [min, max] {
            if let Err(e) = fx.parse(&text(ok)) {
                panic!("{full_key} = {ok} should be accepted: {e}");
            }
        }
        for bad in [min - 1, max + 1] {
            let err = fx.assert_refused(&text(bad), &full_key, "must be between");
            assert_eq!(
                err.reason(),
                format!("must be between {min} and {max}, got {bad}"),
                "{err}"
            );
            assert!(err.line().is_some() && err.column().is_some(), "{err}");
        }
    }
}

#[test]
fn backoff_cap_below_base_is_refused_at_either_level() {
    let fx = Fixture::new();
    fx.assert_refused(
        &config(
            "",
            "[delivery]\nbackoff_base_ms = 1000\nbackoff_cap_ms = 999\n",
            "",
        ),
        "delivery.backoff_cap_ms",
        "must be at least backoff_base_ms (1000), got 999",
    );
    // Equal is fine.
    fx.parse(&config(
        "",
        "[delivery]\nbackoff_base_ms = 1000\nbackoff_cap_ms = 1000\n",
        "",
    ))
    .unwrap();
    // An override is checked against the defaults it is merged with.
    let err = fx.assert_refused(
        &config(
            "",
            "",
            "[tenants.acme.deployments.hubspot.delivery]\nbackoff_cap_ms = 100\n",
        ),
        "tenants.acme.deployments.hubspot.delivery.backoff_cap_ms",
        "must be at least backoff_base_ms (500 from [delivery]), got 100",
    );
    assert!(err.line().is_some(), "{err}");
    fx.assert_refused(
        &config(
            "",
            "",
            "[tenants.acme.deployments.hubspot.delivery]\nbackoff_base_ms = 400000\n",
        ),
        "tenants.acme.deployments.hubspot.delivery.backoff_base_ms",
        "must be at most backoff_cap_ms (300000 from [delivery]), got 400000",
    );
}

#[test]
fn unknown_keys_are_refused_at_every_level() {
    let fx = Fixture::new();
    let deployment_table = "[tenants.acme.deployments.hubspot.delivery]\n";
    let cases = [
        (config("", "[storag]\n", ""), "storag"),
        (format!("bogus = 1\n{}", minimal()), "bogus"),
        (config("listne = \"x\"", "", ""), "server.listne"),
        (
            config("", "[workers]\nconcurrent = 1\n", ""),
            "workers.concurrent",
        ),
        (
            config("", "[delivery]\nretries = 1\n", ""),
            "delivery.retries",
        ),
        (config("", "[dlq]\nurl = \"http://x\"\n", ""), "dlq.url"),
        (config("", "[audit]\ndays = 1\n", ""), "audit.days"),
        (
            config("", "", "wasm_path = \"x\"\n"),
            "tenants.acme.deployments.hubspot.wasm_path",
        ),
        (
            config("", "", &format!("{deployment_table}attempts = 1\n")),
            "tenants.acme.deployments.hubspot.delivery.attempts",
        ),
    ];
    for (text, key) in cases {
        let field = key.rsplit('.').next().unwrap();
        fx.assert_refused(&text, key, &format!("unknown field `{field}`"));
    }
    fx.assert_refused(
        &minimal().replace("[storage]\n", "[storage]\npath = \"x\"\n"),
        "storage.path",
        "unknown field `path`",
    );
    fx.assert_refused(
        &minimal().replace(
            "ingest_token = { env = \"ACME_INGEST_TOKEN\" }",
            "ingest_token = { env = \"ACME_INGEST_TOKEN\" }\ntoken = \"x\"",
        ),
        "tenants.acme.token",
        "unknown field `token`",
    );
    fx.assert_refused(
        &minimal().replace(
            "{ env = \"ACME_INGEST_TOKEN\" }",
            "{ env = \"A\", value = \"x\" }",
        ),
        "tenants.acme.ingest_token.value",
        "unknown field `value`",
    );
}

#[test]
fn missing_required_keys_are_named() {
    let fx = Fixture::new();
    let m = minimal();
    let cases = [
        (m.replace("[storage]\ndir = \"data\"\n", ""), "storage"),
        (m.replace("dir = \"data\"\n", ""), "storage.dir"),
        (
            m.replace("[server]\nlisten = \"127.0.0.1:0\"\n", ""),
            "server",
        ),
        (m.replace("listen = \"127.0.0.1:0\"\n", ""), "server.listen"),
        (
            "[storage]\ndir = \"data\"\n[server]\nlisten = \"127.0.0.1:0\"\n".to_owned(),
            "tenants",
        ),
        (
            m.replace("ingest_token = { env = \"ACME_INGEST_TOKEN\" }\n", ""),
            "tenants.acme.ingest_token",
        ),
        (
            m.replace("wasm = \"connectors/hubspot.wasm\"\n", ""),
            "tenants.acme.deployments.hubspot.wasm",
        ),
        (
            m.replace("manifest = \"tenants/acme/hubspot.toml\"\n", ""),
            "tenants.acme.deployments.hubspot.manifest",
        ),
    ];
    for (text, key) in cases {
        let err = fx.assert_refused(&text, key, "is required");
        assert_eq!(err.reason(), "is required", "{err}");
    }
    // A tenant with no deployments table at all.
    let text = "[storage]\ndir = \"data\"\n[server]\nlisten = \"127.0.0.1:0\"\n\
                [tenants.acme]\ningest_token = { env = \"A\" }\n";
    let err = fx.assert_refused(text, "tenants.acme.deployments", "is required");
    assert_eq!(err.line(), Some(5), "points at the tenant's table: {err}");
}

#[test]
fn at_least_one_tenant_and_one_deployment_per_tenant() {
    let fx = Fixture::new();
    let head = "[storage]\ndir = \"data\"\n[server]\nlisten = \"127.0.0.1:0\"\n";
    fx.assert_refused(
        &format!("{head}[tenants]\n"),
        "tenants",
        "must have at least one tenant",
    );
    fx.assert_refused(
        &format!("{head}[tenants.acme]\ningest_token = {{ env = \"A\" }}\ndeployments = {{}}\n"),
        "tenants.acme.deployments",
        "must have at least one deployment",
    );
}

#[test]
fn tenant_and_deployment_names_follow_the_name_rule() {
    let fx = Fixture::new();
    for bad in ["Acme", "-acme", "a.b", &"a".repeat(65)] {
        let quoted = format!("{bad:?}");
        let text = minimal().replace("tenants.acme", &format!("tenants.{quoted}"));
        let key_name = if bad.contains('.') {
            quoted.clone()
        } else {
            bad.to_owned()
        };
        fx.assert_refused(&text, &format!("tenants.{key_name}"), "invalid name");
        let text = minimal().replace("deployments.hubspot", &format!("deployments.{quoted}"));
        fx.assert_refused(
            &text,
            &format!("tenants.acme.deployments.{key_name}"),
            "invalid name",
        );
    }
    let text = minimal()
        .replace("tenants.acme", "tenants.acme_2-x")
        .replace("deployments.hubspot", "deployments.0hub");
    let c = fx.parse(&text).unwrap();
    assert!(c.deployment("acme_2-x", "0hub").is_some());
}

#[test]
fn listen_must_be_an_ip_socket_address() {
    let fx = Fixture::new();
    for good in ["127.0.0.1:8080", "0.0.0.0:0", "[::1]:9000", "[::]:80"] {
        let c = fx
            .parse(&minimal().replace("127.0.0.1:0", good))
            .unwrap_or_else(|e| panic!("{good}: {e}"));
        assert_eq!(c.server.listen, good.parse::<SocketAddr>().unwrap());
    }
    for bad in [
        "localhost:8080",
        "127.0.0.1",
        "127.0.0.1:65536",
        "::1:80",
        "",
        "http://127.0.0.1:80",
    ] {
        let err = fx.assert_refused(
            &minimal().replace("127.0.0.1:0", bad),
            "server.listen",
            "is not a socket address",
        );
        assert_eq!(err.line(), Some(5), "{err}");
    }
    fx.assert_refused(
        &minimal().replace("\"127.0.0.1:0\"", "8080"),
        "server.listen",
        "invalid type",
    );
}

#[test]
fn webhook_url_must_be_http_or_https_with_a_host_and_no_user_info() {
    let fx = Fixture::new();
    for good in [
        "http://127.0.0.1:9999/alerts",
        "https://hooks.example.com/services/T0/B0/xyz?x=1",
        "https://[::1]:8443/",
    ] {
        let c = fx
            .parse(&config("", &format!("[dlq]\nwebhook_url = {good:?}\n"), ""))
            .unwrap_or_else(|e| panic!("{good}: {e}"));
        assert_eq!(c.dlq.webhook_url.as_deref(), Some(good));
    }
    for (bad, reason) in [
        ("ftp://example.com/x", "scheme \"ftp\""),
        ("hooks.example.com/alerts", "must start with"),
        ("https://", "host is empty"),
        ("https://:80/x", "host is empty"),
        ("https://example.com:0/", "port"),
        ("https://*.example.com/", "wildcard"),
        ("https://exa mple.com/", "spaces"),
    ] {
        let err = fx.assert_refused(
            &config("", &format!("[dlq]\nwebhook_url = {bad:?}\n"), ""),
            "dlq.webhook_url",
            reason,
        );
        assert!(err.reason().starts_with("invalid webhook URL: "), "{err}");
    }
    let err = fx.assert_refused(
        &config(
            "",
            "[dlq]\nwebhook_url = \"https://ops:hunter2@hooks.example.com/x\"\n",
            "",
        ),
        "dlq.webhook_url",
        "user info",
    );
    assert!(!err.to_string().contains("hunter2"), "{err}");
    assert!(!format!("{err:?}").contains("hunter2"), "{err:?}");
}

#[test]
fn kinds_are_non_empty_strings_without_duplicates() {
    let fx = Fixture::new();
    let key = "tenants.acme.deployments.hubspot.kinds";
    fx.assert_refused(&config("", "", "kinds = []\n"), key, "at least one kind");
    fx.assert_refused(
        &config("", "", "kinds = [\"call\", \"call\"]\n"),
        key,
        "kind \"call\" is listed twice",
    );
    fx.assert_refused(
        &config("", "", "kinds = [\"call\", \"  \"]\n"),
        &format!("{key}[1]"),
        "must not be empty",
    );
    fx.assert_refused(
        &config("", "", "kinds = [\"call\", 3]\n"),
        &format!("{key}[1]"),
        "invalid type",
    );
    fx.assert_refused(&config("", "", "kinds = \"call\"\n"), key, "invalid type");
    let c = fx.parse(&config("", "", "kinds = [\"deal\"]\n")).unwrap();
    let kinds = c.deployment("acme", "hubspot").unwrap().kinds.clone();
    assert_eq!(kinds, Some(vec!["deal".to_owned()]));
}

#[test]
fn empty_paths_are_refused_with_the_documented_message() {
    // Parse-time errors come before any file is looked at, so a bare origin works here.
    let text = minimal().replace("wasm = \"connectors/hubspot.wasm\"", "wasm = \"\"");
    let err = ServeConfig::parse(&text, "switchboard.toml").unwrap_err();
    let line = text.lines().position(|l| l == "wasm = \"\"").unwrap() + 1;
    assert_eq!(
        err.to_string(),
        format!(
            "switchboard.toml: key \"tenants.acme.deployments.hubspot.wasm\": must not be empty (line {line}, column 8)"
        )
    );
    assert_eq!(err.file(), "switchboard.toml");
    assert_eq!(err.key(), Some("tenants.acme.deployments.hubspot.wasm"));
    assert_eq!(err.reason(), "must not be empty");
    assert_eq!((err.line(), err.column()), (Some(line), Some(8)));

    let fx = Fixture::new();
    fx.assert_refused(
        &minimal().replace("dir = \"data\"", "dir = \" \""),
        "storage.dir",
        "must not be empty",
    );
    fx.assert_refused(
        &minimal().replace(
            "manifest = \"tenants/acme/hubspot.toml\"",
            "manifest = \"\"",
        ),
        "tenants.acme.deployments.hubspot.manifest",
        "must not be empty",
    );
}

#[test]
fn relative_paths_are_resolved_against_the_config_directory() {
    let fx = Fixture::new();
    let c = fx.parse(COMPLETE).unwrap();
    let root = fx.root();
    assert_eq!(c.storage.dir, root.join("data"));
    let d = c.deployment("acme", "hubspot").unwrap();
    assert_eq!(d.wasm, root.join("connectors/hubspot.wasm"));
    assert_eq!(d.manifest_path, root.join("tenants/acme/hubspot.toml"));
    // The manifest's own relative paths are relative to the manifest's directory.
    assert_eq!(
        d.manifest.secrets["hubspot-token"].source,
        SecretSource::File {
            path: root.join("tenants/acme/hubspot-token.txt")
        }
    );
    let globex = c.tenant("globex").unwrap();
    assert_eq!(
        globex.ingest_token,
        SecretSource::File {
            path: root.join("secrets/globex-token")
        }
    );

    // Absolute paths are kept as they are.
    let elsewhere = tempfile::tempdir().unwrap();
    let wasm = elsewhere.path().join("c.wasm");
    let manifest = elsewhere.path().join("m.toml");
    std::fs::write(&wasm, b"\0asm").unwrap();
    std::fs::write(&manifest, "").unwrap();
    let data = elsewhere.path().join("data");
    let text = minimal()
        .replace("\"data\"", &format!("{:?}", data.display().to_string()))
        .replace(
            "\"connectors/hubspot.wasm\"",
            &format!("{:?}", wasm.display().to_string()),
        )
        .replace(
            "\"tenants/acme/hubspot.toml\"",
            &format!("{:?}", manifest.display().to_string()),
        );
    let c = fx.parse(&text).unwrap();
    let d = c.deployment("acme", "hubspot").unwrap();
    assert_eq!(c.storage.dir, data);
    assert_eq!(
        (d.wasm.clone(), d.manifest_path.clone()),
        (wasm.clone(), manifest.clone())
    );

    // An origin without a directory leaves relative paths relative (to the current directory).
    let c = ServeConfig::parse(
        &text.replace(&format!("{:?}", data.display().to_string()), "\"data\""),
        "switchboard.toml",
    )
    .unwrap();
    assert_eq!(c.storage.dir, PathBuf::from("data"));
}

#[test]
fn load_reads_the_file_and_resolves_against_its_directory() {
    let fx = Fixture::new();
    let path = fx.root().join("switchboard.toml");
    std::fs::write(&path, COMPLETE).unwrap();
    let c = ServeConfig::load(&path).unwrap();
    assert_eq!(c, fx.parse(COMPLETE).unwrap());
    assert_eq!(c.storage.dir, fx.root().join("data"));

    std::fs::write(&path, minimal().replace("127.0.0.1:0", "nope")).unwrap();
    let err = ServeConfig::load(&path).unwrap_err();
    assert_eq!(err.file(), path.display().to_string());
    assert_eq!(err.key(), Some("server.listen"));

    let missing = fx.root().join("absent.toml");
    let err = ServeConfig::load(&missing).unwrap_err();
    assert_eq!(err.file(), missing.display().to_string());
    assert_eq!(err.key(), None);
    assert!(err.reason().starts_with("cannot read file"), "{err}");
}

#[test]
fn missing_wasm_names_the_key_and_the_resolved_path() {
    let fx = Fixture::new();
    let text = minimal().replace("connectors/hubspot.wasm", "connectors/absent.wasm");
    let resolved = fx.root().join("connectors/absent.wasm");
    let err = fx.assert_refused(
        &text,
        "tenants.acme.deployments.hubspot.wasm",
        &format!("file {resolved:?} does not exist"),
    );
    let line = text.lines().position(|l| l.starts_with("wasm =")).unwrap() + 1;
    assert_eq!((err.line(), err.column()), (Some(line), Some(8)), "{err}");

    // A directory is not a connector.
    let text = minimal().replace("connectors/hubspot.wasm", "connectors");
    fx.assert_refused(
        &text,
        "tenants.acme.deployments.hubspot.wasm",
        &format!("{:?} is not a file", fx.root().join("connectors")),
    );

    // Also found when the deployment is an inline table.
    let text = "[storage]\ndir = \"data\"\n[server]\nlisten = \"127.0.0.1:0\"\n\
                [tenants.acme]\ningest_token = { env = \"A\" }\n\
                deployments.hubspot = { wasm = \"x.wasm\", manifest = \"tenants/acme/hubspot.toml\" }\n";
    let err = fx.assert_refused(
        text,
        "tenants.acme.deployments.hubspot.wasm",
        "does not exist",
    );
    assert_eq!((err.line(), err.column()), (Some(7), Some(32)), "{err}");
}

#[test]
fn manifest_is_loaded_and_its_errors_name_the_manifest_file() {
    let fx = Fixture::new();
    // Missing: reported against switchboard.toml, with the resolved path.
    let text = minimal().replace("tenants/acme/hubspot.toml", "tenants/acme/absent.toml");
    let resolved = fx.root().join("tenants/acme/absent.toml");
    fx.assert_refused(
        &text,
        "tenants.acme.deployments.hubspot.manifest",
        &format!("file {resolved:?} does not exist"),
    );

    // Invalid: the manifest's own error, naming the manifest file and its key.
    let manifest = fx.root().join("tenants/acme/hubspot.toml");
    std::fs::write(&manifest, "[limits]\nmemory_mb = 0\n").unwrap();
    let err = fx.parse_err(&minimal());
    assert_eq!(err.file(), manifest.display().to_string(), "{err}");
    assert_eq!(err.key(), Some("limits.memory_mb"));
    assert_eq!(err.reason(), "must be between 1 and 4096, got 0");
    assert_eq!((err.line(), err.column()), (Some(2), Some(13)));
    assert_eq!(
        err.to_string(),
        format!(
            "{}: key \"limits.memory_mb\": must be between 1 and 4096, got 0 (line 2, column 13)",
            manifest.display()
        )
    );

    std::fs::write(&manifest, "[limitz]\n").unwrap();
    let err = fx.parse_err(&minimal());
    assert_eq!(err.file(), manifest.display().to_string(), "{err}");
    assert_eq!(err.key(), Some("limitz"));
}

#[test]
fn syntax_and_type_errors_name_the_file() {
    let fx = Fixture::new();
    let err = fx.parse_err("[storage\ndir = 1\n");
    assert_eq!(err.file(), fx.origin());
    assert_eq!(err.key(), None);
    assert!(err.reason().starts_with("invalid TOML"), "{err}");
    assert_eq!(err.line(), Some(1));

    fx.assert_refused(
        &minimal().replace("dir = \"data\"", "dir = 3"),
        "storage.dir",
        "invalid type",
    );
    fx.assert_refused(
        &config("max_batch_records = \"10\"", "", ""),
        "server.max_batch_records",
        "expected an integer",
    );
    fx.assert_refused(
        &format!("server2 = 1\n{}", minimal()),
        "server2",
        "unknown field",
    );
}

#[test]
fn ingest_token_is_resolved_from_a_file_and_never_shown() {
    let fx = Fixture::new();
    let c = fx.parse(COMPLETE).unwrap();
    let globex = c.tenant("globex").unwrap();
    assert_eq!(globex.resolve_ingest_token().unwrap(), TOKEN);

    // Neither the config nor the tenant shows the value; only where it is read from.
    for debug in [format!("{c:?}"), format!("{globex:?}")] {
        assert!(!debug.contains(TOKEN), "{debug}");
        assert!(debug.contains("globex-token"), "{debug}");
    }

    // Resolving errors name the tenant's key and the file, never a value.
    std::fs::write(fx.root().join("secrets/globex-token"), "\n").unwrap();
    let err = globex.resolve_ingest_token().unwrap_err();
    assert_eq!(err.secret(), "tenants.globex.ingest_token");
    assert!(matches!(err, SecretError::Empty { .. }), "{err}");
    std::fs::remove_file(fx.root().join("secrets/globex-token")).unwrap();
    let err = globex.resolve_ingest_token().unwrap_err();
    assert!(matches!(err, SecretError::FileUnreadable { .. }), "{err}");
    assert!(err.to_string().contains("globex-token"), "{err}");

    // A token written inline by mistake is refused without being repeated.
    let err = fx.assert_refused(
        &COMPLETE.replace("{ env = \"ACME_INGEST_TOKEN\" }", &format!("{TOKEN:?}")),
        "tenants.acme.ingest_token",
        "exactly one of `env` or `file`",
    );
    assert!(!err.to_string().contains(TOKEN), "{err}");
    assert!(!format!("{err:?}").contains(TOKEN), "{err:?}");

    // A config error next to a token file does not show the token either.
    std::fs::write(fx.root().join("secrets/globex-token"), TOKEN).unwrap();
    let err = fx.parse_err(&COMPLETE.replace("max_attempts = 3", "max_attempts = 0"));
    assert!(!err.to_string().contains(TOKEN), "{err}");
    assert!(!format!("{err:?}").contains(TOKEN), "{err:?}");
}

/// The TOML blocks of `docs/config.md`, in order.
fn doc_examples() -> Vec<String> {
    let doc = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/config.md");
    let doc = std::fs::read_to_string(doc).unwrap();
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in doc.lines() {
        match (&mut current, line) {
            (None, "```toml") => current = Some(String::new()),
            (Some(_), "```") => blocks.extend(current.take()),
            (Some(block), line) => {
                block.push_str(line);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    blocks
}

#[test]
fn the_documented_examples_are_valid() {
    let fx = Fixture::new();
    let blocks = doc_examples();
    assert!(blocks.len() >= 2, "{blocks:?}");
    // The complete example, then the smallest valid file.
    let complete = fx.parse(&blocks[0]).unwrap();
    assert_eq!(
        complete
            .delivery_policy(complete.deployment("acme", "hubspot").unwrap())
            .max_attempts,
        3
    );
    fx.parse(&blocks[1]).unwrap();
    // The complete example is the start of this file's COMPLETE.
    assert!(
        COMPLETE.trim_start().starts_with(blocks[0].trim()),
        "docs and COMPLETE differ"
    );

    // Its documented error: an empty `wasm` on line 35.
    let text = blocks[0].replace("wasm = \"connectors/hubspot.wasm\"", "wasm = \"\"");
    assert_eq!(
        ServeConfig::parse(&text, "switchboard.toml")
            .unwrap_err()
            .to_string(),
        "switchboard.toml: key \"tenants.acme.deployments.hubspot.wasm\": must not be empty (line 35, column 8)"
    );
}
