//! The operator commands (`dlq`, `audit`) as HTTP clients of `switchboard serve`: where
//! the server is, which token to send, and what its answers mean.
//!
//! Exit codes: 0 when the server did what was asked; 1 when it refused the action (400,
//! 404, 409: a bad filter or edit, no such entry, an entry that is not open); 2 for usage,
//! config and connection errors, and for 401/403 (the token is missing or wrong: a setup
//! problem, not a refused action) and 5xx.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, anyhow, bail};
use reqwest::{Method, StatusCode};
use serde_json::Value as Json;

/// Where the server is and how to authenticate, shared by `dlq` and `audit`.
#[derive(clap::Args, Clone)]
pub(crate) struct ServerArgs {
    /// Base URL of the running `switchboard serve`, e.g. `http://127.0.0.1:8080`. Without
    /// it, `server.listen` of the config is used.
    #[arg(long, global = true, env = "SWITCHBOARD_SERVER")]
    server: Option<String>,
    /// The host config, read for `server.listen` and `server.admin_token` when they are
    /// not given directly.
    #[arg(
        long,
        global = true,
        env = "SWITCHBOARD_CONFIG",
        default_value = "switchboard.toml"
    )]
    config: PathBuf,
    /// The admin token (overrides `server.admin_token` of the config).
    #[arg(
        long,
        global = true,
        env = "SWITCHBOARD_ADMIN_TOKEN",
        hide_env_values = true
    )]
    admin_token: Option<String>,
}

/// A connection to the operator API.
pub(crate) struct Client {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
}

/// The server answered with an error.
#[derive(Debug)]
pub(crate) struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// `error.code`, e.g. `not-open`.
    pub code: String,
    /// `error.message`.
    pub message: String,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ({} {})",
            self.message,
            self.status.as_u16(),
            self.code
        )
    }
}

impl ApiError {
    /// Whether this is the server refusing the action itself (exit 1), not a setup
    /// problem (exit 2).
    pub fn is_refusal(&self) -> bool {
        matches!(
            self.status,
            StatusCode::BAD_REQUEST | StatusCode::NOT_FOUND | StatusCode::CONFLICT
        )
    }

    /// Prints the error and gives the exit code, or passes a setup problem up to `main`.
    pub fn report(self) -> anyhow::Result<ExitCode> {
        if self.is_refusal() {
            eprintln!("error: {self}");
            Ok(ExitCode::from(1))
        } else {
            Err(self.into_setup_error())
        }
    }

    fn into_setup_error(self) -> anyhow::Error {
        let hint = match self.status {
            StatusCode::UNAUTHORIZED => {
                "; give the admin token with --admin-token or SWITCHBOARD_ADMIN_TOKEN, or set server.admin_token in the config"
            }
            StatusCode::FORBIDDEN if self.code == "admin-disabled" => {
                "; the server was started without server.admin_token"
            }
            _ => "",
        };
        anyhow!("{self}{hint}")
    }
}

/// What a request gave: a JSON body, or the server's refusal.
pub(crate) type Answer = Result<Json, ApiError>;

impl ServerArgs {
    /// Resolves the server URL and token, and builds the client.
    pub(crate) fn connect(&self) -> anyhow::Result<Client> {
        let (base, config_token) = match &self.server {
            Some(url) => {
                // The config is only needed for the token; read it when it is there.
                let token = if self.admin_token.is_none() && self.config.exists() {
                    self.config_token()?
                } else {
                    None
                };
                (normalize_url(url)?, token)
            }
            None => {
                let config = self.load_config()?;
                let listen = config.server.listen;
                if listen.port() == 0 {
                    bail!(
                        "{}: server.listen has port 0, so the server's port is chosen when it starts; \
                         give the URL it printed (\"listening on http://...\") with --server or SWITCHBOARD_SERVER",
                        self.config.display()
                    );
                }
                let token = if self.admin_token.is_none() {
                    resolve_token(&config)?
                } else {
                    None
                };
                (format!("http://{}", connect_addr(listen)), token)
            }
        };
        let http = reqwest::Client::builder()
            .connect_timeout(std::time::Duration::from_secs(10))
            .timeout(std::time::Duration::from_secs(120))
            .build()
            .context("building the HTTP client")?;
        Ok(Client {
            http,
            base,
            token: self.admin_token.clone().or(config_token),
        })
    }

    fn load_config(&self) -> anyhow::Result<switchboard_config::ServeConfig> {
        switchboard_config::ServeConfig::load(&self.config).with_context(|| {
            format!(
                "reading the config {} (give --server URL, or --config FILE)",
                self.config.display()
            )
        })
    }

    fn config_token(&self) -> anyhow::Result<Option<String>> {
        resolve_token(&self.load_config()?)
    }
}

fn resolve_token(config: &switchboard_config::ServeConfig) -> anyhow::Result<Option<String>> {
    config
        .server
        .resolve_admin_token()
        .map_err(|e| anyhow!("reading the admin token: {e}"))
}

/// The address to connect to for a listen address: the unspecified address means this
/// machine.
fn connect_addr(listen: std::net::SocketAddr) -> std::net::SocketAddr {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
    match listen.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => {
            SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), listen.port())
        }
        IpAddr::V6(ip) if ip.is_unspecified() => {
            SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), listen.port())
        }
        _ => listen,
    }
}

fn normalize_url(url: &str) -> anyhow::Result<String> {
    let url = url.trim().trim_end_matches('/');
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        bail!("--server {url:?}: give an http:// or https:// URL, e.g. http://127.0.0.1:8080");
    }
    Ok(url.to_owned())
}

/// Query parameters from optional texts and numbers; unset ones are left out.
pub(crate) fn query<'a>(
    texts: impl IntoIterator<Item = (&'a str, Option<String>)>,
    numbers: impl IntoIterator<Item = (&'a str, Option<u64>)>,
) -> Vec<(&'a str, String)> {
    let texts = texts.into_iter().filter_map(|(k, v)| Some((k, v?)));
    let numbers = numbers
        .into_iter()
        .filter_map(|(k, v)| Some((k, v?.to_string())));
    texts.chain(numbers).collect()
}

impl Client {
    /// `GET path?query` of a list endpoint (`{"entries": [...]}`), printed as the server's
    /// JSON or one `line` per entry (`none` when there is none); `after` then sees the
    /// answer (paging hints).
    pub(crate) async fn print_list(
        &self,
        path: &str,
        query: &[(&str, String)],
        json: bool,
        line: impl Fn(&Json) -> String,
        none: &str,
        after: impl FnOnce(&Json),
    ) -> anyhow::Result<ExitCode> {
        let answer = match self.get(path, query).await? {
            Ok(v) => v,
            Err(e) => return e.report(),
        };
        if json {
            print_json(&answer);
            return Ok(ExitCode::SUCCESS);
        }
        let entries = items(answer.get("entries"));
        for entry in entries {
            println!("{}", line(entry));
        }
        if entries.is_empty() {
            eprintln!("{none}");
        }
        after(&answer);
        Ok(ExitCode::SUCCESS)
    }

    /// `GET path?query`.
    pub(crate) async fn get(&self, path: &str, query: &[(&str, String)]) -> anyhow::Result<Answer> {
        self.send(Method::GET, path, query, None).await
    }

    /// `method path` with a JSON body.
    pub(crate) async fn send_json(
        &self,
        method: Method,
        path: &str,
        body: &Json,
    ) -> anyhow::Result<Answer> {
        self.send(method, path, &[], Some(body)).await
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Json>,
    ) -> anyhow::Result<Answer> {
        let url = format!("{}{path}", self.base);
        let mut req = self.http.request(method.clone(), &url).query(query);
        if let Some(token) = &self.token {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(body);
        }
        let resp = match req.send().await {
            Ok(r) => r,
            Err(e) if e.is_connect() || e.is_timeout() => {
                return Err(anyhow!(
                    "cannot reach {}: is `switchboard serve` running at {}? ({})",
                    url,
                    self.base,
                    innermost(&e)
                ));
            }
            Err(e) => return Err(anyhow!("{method} {url}: {}", innermost(&e))),
        };
        let status = resp.status();
        let bytes = resp
            .bytes()
            .await
            .with_context(|| format!("{method} {url}: reading the answer"))?;
        let json: Option<Json> = serde_json::from_slice(&bytes).ok();
        if status.is_success() {
            return json.map(Ok).ok_or_else(|| {
                anyhow!(
                    "{method} {url}: {status}, but the answer is not JSON: {}",
                    excerpt(&String::from_utf8_lossy(&bytes), 200)
                )
            });
        }
        let error = json.as_ref().and_then(|j| j.get("error"));
        let field = |name: &str| {
            error
                .and_then(|e| e.get(name))
                .and_then(Json::as_str)
                .map(str::to_owned)
        };
        Ok(Err(ApiError {
            status,
            code: field("code").unwrap_or_else(|| "unknown".to_owned()),
            message: field("message").unwrap_or_else(|| {
                format!(
                    "{method} {url}: {status}: {}",
                    excerpt(&String::from_utf8_lossy(&bytes), 200)
                )
            }),
        }))
    }
}

/// The deepest cause of a reqwest error (hyper's and the OS's words).
fn innermost(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

/// `text` on one line, cut to about `max` characters.
pub(crate) fn excerpt(text: &str, max: usize) -> String {
    let one_line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let one_line = one_line.trim();
    if one_line.chars().count() > max {
        let cut: String = one_line.chars().take(max).collect();
        format!("{cut}…")
    } else {
        one_line.to_owned()
    }
}

/// Unix milliseconds as RFC 3339 UTC, `2026-11-24T09:30:00.123Z`.
pub(crate) fn rfc3339(ms: u64) -> String {
    let secs = ms / 1000;
    let millis = ms % 1000;
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    (y, m, d)
}

/// The elements of a JSON array, or none when `value` is missing or not an array.
pub(crate) fn items(value: Option<&Json>) -> &[Json] {
    value
        .and_then(Json::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

/// A JSON value's text: strings bare, `-` for null or missing, others as JSON.
pub(crate) fn text(value: Option<&Json>) -> String {
    match value {
        None | Some(Json::Null) => "-".to_owned(),
        Some(Json::String(s)) if s.is_empty() => "-".to_owned(),
        // Guest words: escaped, so they stay on their line and drive no terminal.
        Some(Json::String(s)) => switchboard_runtime::escape_control(s),
        Some(other) => other.to_string(),
    }
}

/// A time field in unix ms as RFC 3339, `-` when absent.
pub(crate) fn time_of(value: Option<&Json>) -> String {
    value
        .and_then(Json::as_u64)
        .map(rfc3339)
        .unwrap_or_else(|| "-".to_owned())
}

/// Prints `value` as pretty JSON.
pub(crate) fn print_json(value: &Json) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_times_as_rfc3339_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(rfc3339(1_795_512_600_123), "2026-11-24T09:30:00.123Z");
    }

    #[test]
    fn connects_to_loopback_for_an_unspecified_listen_address() {
        let addr: std::net::SocketAddr = "0.0.0.0:8080".parse().unwrap();
        assert_eq!(connect_addr(addr).to_string(), "127.0.0.1:8080");
        let addr: std::net::SocketAddr = "[::]:8080".parse().unwrap();
        assert_eq!(connect_addr(addr).to_string(), "[::1]:8080");
        let addr: std::net::SocketAddr = "10.0.0.1:80".parse().unwrap();
        assert_eq!(connect_addr(addr), addr);
    }

    #[test]
    fn excerpts_are_one_line_and_cut() {
        assert_eq!(excerpt("a\nb", 10), "a b");
        assert_eq!(excerpt("abcdef", 3), "abc…");
    }
}
