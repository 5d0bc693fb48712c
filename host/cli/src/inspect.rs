//! `switchboard inspect PATH.wasm`

use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Arguments of `inspect`.
#[derive(clap::Args)]
pub(crate) struct InspectArgs {
    /// The connector component.
    wasm: PathBuf,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

pub(crate) async fn run(data_dir: &Path, args: InspectArgs) -> anyhow::Result<ExitCode> {
    let rt = crate::open_runtime(data_dir)?;
    let loaded = rt.load(&args.wasm).await?;
    let d = loaded.descriptor();
    if args.json {
        let doc = serde_json::json!({
            "descriptor": d,
            "contract": loaded.contract().package(),
            "contract_deprecated": loaded.contract().is_deprecated(),
            "content_hash": loaded.content_hash(),
            "imports": loaded.imports(),
            "exports": loaded.exports(),
            "compiled_from_cache": loaded.from_cache(),
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
        return Ok(ExitCode::SUCCESS);
    }
    say(format!(
        "connector     {} {} ({})",
        d.name, d.version, d.crm
    ));
    say(format!("sha256        {}", loaded.content_hash()));
    let contract = loaded.contract();
    let note = if contract.is_deprecated() {
        format!(
            " (deprecated: rebuild against {})",
            switchboard_runtime::CONTRACT_PACKAGE
        )
    } else {
        String::new()
    };
    say(format!("contract      {}{note}", contract.package()));
    say(format!("record kinds  {}", d.record_kinds.join(", ")));
    say(format!("hosts         {}", d.outbound_hosts.join(", ")));
    say(format!("config keys   {}", d.config_keys.join(", ")));
    say(format!("secrets       {}", d.secret_names.join(", ")));
    say(format!("owned fields  {}", d.owned_fields.join(", ")));
    say("rate limits".into());
    for l in &d.rate_limits {
        say(format!("  {}", budget_line(l)));
    }
    say("exports".into());
    for e in loaded.exports() {
        say(format!("  {e}"));
    }
    say("imports".into());
    for i in loaded.imports() {
        say(format!("  {i}"));
    }
    Ok(ExitCode::SUCCESS)
}

/// `NAME  TOKENS per WINDOW ms (rolling|daily); costs: ...`.
fn budget_line(l: &switchboard_runtime::types::RateLimit) -> String {
    let scope = match l.scope {
        switchboard_runtime::types::LimitScope::Burst => "rolling",
        switchboard_runtime::types::LimitScope::Daily => "daily",
    };
    let mut costs: Vec<String> = l
        .costs
        .iter()
        .map(|c| {
            let method = if c.method.is_empty() { "*" } else { &c.method };
            format!("{method} {}* = {}", c.path_prefix, c.cost)
        })
        .collect();
    costs.push(format!("other = {}", l.default_cost));
    format!(
        "{:<14} {} per {} ms ({scope}); costs: {}",
        l.name,
        l.tokens,
        l.window_ms,
        costs.join(", ")
    )
}

/// Prints one line of text output with control characters escaped: the descriptor's
/// strings come from the guest and must not move the cursor or forge a line.
fn say(line: String) {
    println!("{}", switchboard_runtime::escape_control(&line));
}
