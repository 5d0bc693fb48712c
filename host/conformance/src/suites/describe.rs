//! `describe`: well formed, the same in every instance, no host calls but `log`,
//! and refusing record kinds it does not declare. Whether it declares what the
//! connector then uses is judged at the end, in the sandbox suite.

use std::collections::BTreeSet;

use switchboard_runtime::types::Descriptor;

use crate::kit::Kit;
use crate::suites::Out;

const SUITE: &str = "describe";
/// A kind no connector declares.
const UNDECLARED_KIND: &str = "conformance-undeclared-kind";

/// Runs the suite.
pub(crate) async fn run(kit: &Kit, out: &mut Out) {
    let d = kit.descriptor().clone();
    out.check(kit, SUITE, "is well formed", None, async || {
        let problems = problems(&d);
        if problems.is_empty() {
            Ok(())
        } else {
            Err((
                "a descriptor every deployment can use".into(),
                problems.join("; "),
            ))
        }
    })
    .await;
    out.check(
        kit,
        SUITE,
        "is the same in a fresh instance and calls only log",
        None,
        async || {
            let (_dep, mut inst) = kit.fresh(None, "describe").await?;
            let again = inst.describe().await;
            kit.observe("describe", &inst, Vec::new(), again.as_ref().err());
            let again = again.map_err(|f| ("describe to return".into(), f.to_string()))?;
            if format!("{again:?}") != format!("{d:?}") {
                return Err((format!("{d:?}"), format!("{again:?}")));
            }
            let calls = inst.observed().calls;
            let other: Vec<String> = calls
                .iter()
                .filter(|(name, _)| **name != "log.log")
                .map(|(name, n)| format!("{name} x{n}"))
                .collect();
            if other.is_empty() {
                Ok(())
            } else {
                Err(("no host calls but log".into(), other.join(", ")))
            }
        },
    )
    .await;
    out.check(
        kit,
        SUITE,
        "refuses a record kind it does not declare",
        None,
        async || {
            let (_dep, mut inst) = kit.fresh(None, "describe/undeclared kind").await?;
            let rec =
                crate::records::record("conformance-kind", UNDECLARED_KIND, &Default::default())
                    .map_err(|e| ("a record".into(), e))?;
            let result = inst.normalize(&rec).await;
            kit.observe(
                "describe/undeclared kind",
                &inst,
                vec![format!("{result:?}")],
                result.as_ref().err(),
            );
            match result {
                Ok(Err(_)) => Ok(()),
                Ok(Ok(r)) => Err((
                    format!(
                        "normalize to refuse kind {UNDECLARED_KIND:?} (describe lists {:?})",
                        d.record_kinds
                    ),
                    format!("accepted as {:?}", crate::records::fields_json(&r)),
                )),
                Err(f) => Err((
                    "a field error".into(),
                    format!("a fault: {}", crate::suites::brief(&f.to_string())),
                )),
            }
        },
    )
    .await;
}

/// Everything wrong with `d`; empty when well formed.
pub(crate) fn problems(d: &Descriptor) -> Vec<String> {
    let mut p = Vec::new();
    if !switchboard_config::is_valid_name(&d.name) {
        p.push(format!(
            "name {:?} must match [a-z0-9][a-z0-9_-]{{0,63}}",
            d.name
        ));
    }
    if switchboard_config::semver::Version::parse(&d.version).is_err() {
        p.push(format!(
            "version {:?} is not semver (e.g. 1.2.0)",
            d.version
        ));
    }
    if d.crm.trim().is_empty() {
        p.push("crm is empty".into());
    }
    if d.record_kinds.is_empty() {
        p.push("record-kinds is empty".into());
    }
    for k in &d.record_kinds {
        if !switchboard_config::is_valid_name(k) {
            p.push(format!(
                "record kind {k:?} must match [a-z0-9][a-z0-9_-]{{0,63}}"
            ));
        }
    }
    for host in &d.outbound_hosts {
        if let Err(why) = switchboard_config::check_declared_host(host) {
            p.push(format!("outbound host {host:?}: {why}"));
        }
    }
    for (what, names) in [
        ("config key", &d.config_keys),
        ("secret name", &d.secret_names),
    ] {
        for n in names {
            if !switchboard_config::is_valid_name(n) {
                p.push(format!(
                    "{what} {n:?} must match [a-z0-9][a-z0-9_-]{{0,63}}"
                ));
            }
        }
    }
    for (what, list) in [
        ("record kind", &d.record_kinds),
        ("outbound host", &d.outbound_hosts),
        ("config key", &d.config_keys),
        ("secret name", &d.secret_names),
        ("owned field", &d.owned_fields),
    ] {
        let mut seen = BTreeSet::new();
        for item in list {
            if !seen.insert(item) {
                p.push(format!("{what} {item:?} is listed twice"));
            }
        }
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    fn descriptor() -> Descriptor {
        Descriptor {
            name: "acme".into(),
            version: "1.0.0".into(),
            crm: "Acme".into(),
            record_kinds: vec!["contact".into()],
            outbound_hosts: vec!["https://api.acme.test".into()],
            config_keys: vec!["base-url".into()],
            secret_names: vec!["token".into()],
            owned_fields: vec![],
            rate_limits: vec![],
        }
    }

    #[test]
    fn a_good_descriptor_has_no_problems() {
        assert!(problems(&descriptor()).is_empty());
    }

    #[test]
    fn each_problem_is_named() {
        let mut d = descriptor();
        d.name = "Acme CRM".into();
        d.version = "one".into();
        d.outbound_hosts = vec!["https://api.acme.test/v1".into(), "ftp://x".into()];
        d.config_keys = vec!["base-url".into(), "base-url".into()];
        let p = problems(&d).join("\n");
        for want in [
            "name \"Acme CRM\"",
            "not semver",
            "is not allowed",
            "is not \"http\" or \"https\"",
            "listed twice",
        ] {
            assert!(p.contains(want), "{want}: {p}");
        }
    }

    #[test]
    fn a_host_is_one_named_host_with_a_numeric_port() {
        let mut d = descriptor();
        d.outbound_hosts = vec![
            "https://*".into(),
            "https://*.acme.test".into(),
            "https://api.acme.test:*".into(),
            "api.acme.test".into(),
            "https://[::1]:443".into(),
        ];
        let p = problems(&d);
        assert_eq!(p.len(), 4, "{p:#?}");
        assert!(p[..3].iter().all(|m| m.contains("wildcard")), "{p:#?}");
        assert!(p[3].contains("with the scheme"), "{p:#?}");
    }
}
