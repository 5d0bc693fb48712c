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
    println!("connector     {} {} ({})", d.name, d.version, d.crm);
    println!("sha256        {}", loaded.content_hash());
    let contract = loaded.contract();
    let note = if contract.is_deprecated() {
        format!(
            " (deprecated: rebuild against {})",
            switchboard_runtime::CONTRACT_PACKAGE
        )
    } else {
        String::new()
    };
    println!("contract      {}{note}", contract.package());
    println!("record kinds  {}", d.record_kinds.join(", "));
    println!("hosts         {}", d.outbound_hosts.join(", "));
    println!("config keys   {}", d.config_keys.join(", "));
    println!("secrets       {}", d.secret_names.join(", "));
    println!("owned fields  {}", d.owned_fields.join(", "));
    println!("rate limits");
    for l in &d.rate_limits {
        println!("  {}", budget_line(l));
    }
    println!("exports");
    for e in loaded.exports() {
        println!("  {e}");
    }
    println!("imports");
    for i in loaded.imports() {
        println!("  {i}");
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
