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
    println!("record kinds  {}", d.record_kinds.join(", "));
    println!("hosts         {}", d.outbound_hosts.join(", "));
    println!("config keys   {}", d.config_keys.join(", "));
    println!("secrets       {}", d.secret_names.join(", "));
    println!("owned fields  {}", d.owned_fields.join(", "));
    println!("rate limits");
    for l in &d.rate_limits {
        let scope = if l.path_prefix.is_empty() {
            "all requests"
        } else {
            l.path_prefix.as_str()
        };
        println!(
            "  {:<14} {} per {} ms ({scope})",
            l.name, l.requests, l.window_ms
        );
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
