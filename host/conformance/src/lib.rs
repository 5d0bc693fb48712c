//! The Switchboard conformance kit: judges any connector `.wasm` through the real
//! host (`switchboard-runtime`) and, for its CRM, the matching simulator.
//!
//! Suites are data: the built-in case files in `cases/` plus any directory given
//! with `--cases`. `switchboard conformance PATH.wasm` is the front end; see
//! `docs/conformance.md`.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use switchboard_conformance::{Options, run};
//! let report = run(Options {
//!     wasm: "hubspot.wasm".into(),
//!     crm: None,
//!     case_dirs: vec![],
//!     filter: None,
//!     cache_dir: ".switchboard/cache".into(),
//!     memory_mb: 64,
//!     time_budget_ms: 1000,
//! })
//! .await?;
//! print!("{}", switchboard_conformance::render::table(&report));
//! # Ok(()) }
//! ```

mod case_checks;
pub mod cases;
mod kit;
mod records;
pub mod render;
pub mod report;
pub mod sims;
mod suites;

pub use kit::{Options, REQUEST_TIMEOUT};
pub use report::{CaseResult, Report, Status};

use crate::cases::{ANY_CRM, CaseFile};
use crate::report::ConnectorInfo;
use crate::suites::Out;

/// `--crm none`: run only the CRM-independent suites.
pub const NO_CRM: &str = "none";

/// Loads the cases and the connector, starts the simulator and runs every suite.
/// An `Err` means the kit could not judge at all (bad case file, a `.wasm` that does
/// not load, an unknown `--crm`); a connector that fails checks is an `Ok` report.
pub async fn run(options: Options) -> anyhow::Result<Report> {
    let files = cases::load(&options.case_dirs)?;
    let mut kit = kit::Kit::new(options).await?;
    let crm = pick_crm(&kit)?;
    if let Some(name) = crm.as_deref()
        && sims::KNOWN.contains(&name)
    {
        let sim = sims::start(name, &kit.secret)
            .await
            .map_err(anyhow::Error::msg)?;
        kit.sim = Some((name.to_string(), sim));
    }
    let applicable: Vec<&CaseFile> = files
        .iter()
        .filter(|f| f.crm == ANY_CRM || Some(f.crm.as_str()) == crm.as_deref())
        .collect();

    let mut out = Out {
        run_all: suites::ACROSS_CASES.iter().any(|check| {
            let (suite, name) = check.split_once('/').unwrap_or((check, ""));
            kit.selected(suite, name)
        }),
        ..Out::default()
    };
    suites::describe::run(&kit, &mut out).await;
    suites::normalize::run(&kit, &applicable, &mut out).await;
    suites::classify::run(&kit, &applicable, &mut out).await;
    suites::push::run(&kit, &applicable, &mut out).await;
    let evidence = kit.evidence();
    suites::sandbox::run(&kit, &evidence, &mut out).await;

    let d = kit.descriptor();
    let info = ConnectorInfo {
        path: kit.options.wasm.display().to_string(),
        name: d.name.clone(),
        version: d.version.clone(),
        crm: d.crm.clone(),
    };
    if let Some(filter) = &kit.options.filter
        && out.results.is_empty()
    {
        anyhow::bail!(
            "--case {filter:?} matches no check; a check is named `suite/case` as in the table"
        );
    }
    let measurements = suites::sandbox::measurements(&kit, &evidence);
    let simulator = kit.sim.as_ref().map(|(name, _)| name.clone());
    Ok(Report::new(info, simulator, out.results, measurements))
}

/// The CRM whose cases apply: `--crm`, else the simulator matching `describe`'s `crm`.
fn pick_crm(kit: &kit::Kit) -> anyhow::Result<Option<String>> {
    match kit.options.crm.as_deref() {
        Some(NO_CRM) => Ok(None),
        Some(name) if sims::KNOWN.contains(&name) => Ok(Some(name.to_string())),
        Some(other) => anyhow::bail!(
            "--crm {other:?}: no such simulator; use one of {} or {NO_CRM:?}",
            sims::KNOWN.join(", ")
        ),
        None => Ok(sims::for_crm(&kit.descriptor().crm).map(str::to_string)),
    }
}
