//! Checks a parsed case file can run, so a typo fails at load with its place named
//! instead of as a confusing case failure.

use std::collections::BTreeSet;

use crate::cases::{CaseFile, ClassExpect, FaultSpec, PushCase};

/// The error classes of the contract, as case files spell them.
pub const CLASSES: [&str; 9] = [
    "transient",
    "rate-limited",
    "auth",
    "permission",
    "not-found",
    "validation",
    "field-removed",
    "duplicate",
    "permanent",
];
/// Push statuses, as case files spell them.
pub const STATUSES: [&str; 3] = ["created", "updated", "already-present"];
/// HTTP methods a fault may be limited to.
const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];
/// Most pushes one case may make.
const MAX_TIMES: u32 = 5;

/// Every problem is reported with the case's section and name.
pub(crate) fn check(file: &CaseFile) -> Result<(), String> {
    let objects = crate::sims::objects(&file.crm);
    if file.crm != crate::cases::ANY_CRM && objects.is_none() {
        return Err(format!(
            "key \"crm\": {:?} is neither \"any\" nor a simulator the kit has ({})",
            file.crm,
            crate::sims::KNOWN.join(", ")
        ));
    }
    unique("normalize", file.normalize.iter().map(|c| c.name.as_str()))?;
    unique("classify", file.classify.iter().map(|c| c.name.as_str()))?;
    unique("push", file.push.iter().map(|c| c.name.as_str()))?;
    for c in &file.normalize {
        let at = |m: String| format!("[[normalize]] {:?}: {m}", c.name);
        region(c.region.as_deref()).map_err(at)?;
        match (c.expect.fields.is_empty(), &c.expect.invalid) {
            (true, None) => return Err(at("expect needs `fields` or `invalid`".into())),
            (false, Some(_)) => {
                return Err(at("expect has both `fields` and `invalid`; pick one".into()));
            }
            _ => {}
        }
    }
    for c in &file.classify {
        let at = |m: String| format!("[[classify]] {:?}: {m}", c.name);
        if !(100..=599).contains(&c.status) {
            return Err(at(format!("status {} is not an HTTP status", c.status)));
        }
        class(&c.expect).map_err(at)?;
    }
    if !file.push.is_empty() && file.crm == crate::cases::ANY_CRM {
        return Err("[[push]] cases need a simulator: set `crm` to one (e.g. \"hubspot\")".into());
    }
    for c in &file.push {
        let at = |m: String| format!("[[push]] {:?}: {m}", c.name);
        push(c).map_err(at)?;
        if let Some(objects) = objects {
            simulated(c, objects).map_err(at)?;
        }
    }
    Ok(())
}

fn unique<'a>(section: &str, names: impl Iterator<Item = &'a str>) -> Result<(), String> {
    let mut seen = BTreeSet::new();
    for name in names {
        if name.trim().is_empty() {
            return Err(format!("[[{section}]]: a case has an empty `name`"));
        }
        if !seen.insert(name) {
            return Err(format!(
                "[[{section}]] {name:?}: two cases have this name; `--case` needs them unique"
            ));
        }
    }
    Ok(())
}

fn region(region: Option<&str>) -> Result<(), String> {
    match region {
        Some(r) if r.len() != 2 || !r.bytes().all(|b| b.is_ascii_uppercase()) => Err(format!(
            "region {r:?} must be an ISO 3166 alpha-2 code such as \"GB\""
        )),
        _ => Ok(()),
    }
}

fn class(e: &ClassExpect) -> Result<(), String> {
    if !CLASSES.contains(&e.class.as_str()) {
        return Err(format!(
            "expect.class {:?} is not one of {}",
            e.class,
            CLASSES.join(", ")
        ));
    }
    if let Some(scope) = &e.scope
        && (e.class != "rate-limited" || !matches!(scope.as_str(), "burst" | "daily"))
    {
        return Err(format!(
            "expect.scope {scope:?}: only `rate-limited` has a scope, `burst` or `daily`"
        ));
    }
    if e.retry_after_ms.is_some() && !matches!(e.class.as_str(), "transient" | "rate-limited") {
        return Err("expect.retry_after_ms: only `transient` and `rate-limited` have one".into());
    }
    if e.field.is_some() && !matches!(e.class.as_str(), "validation" | "field-removed") {
        return Err("expect.field: only `validation` and `field-removed` name a field".into());
    }
    if e.existing_id.is_some() && e.class != "duplicate" {
        return Err("expect.existing_id: only `duplicate` carries an id".into());
    }
    Ok(())
}

fn push(c: &PushCase) -> Result<(), String> {
    region(c.region.as_deref())?;
    if c.times == 0 || c.times > MAX_TIMES {
        return Err(format!("times must be 1 to {MAX_TIMES}, got {}", c.times));
    }
    let status_ok = |s: &Option<String>, key: &str| match s {
        Some(s) if !STATUSES.contains(&s.as_str()) => Err(format!(
            "expect.{key} {s:?} is not one of {}",
            STATUSES.join(", ")
        )),
        _ => Ok(()),
    };
    status_ok(&c.expect.status, "status")?;
    status_ok(&c.expect.repeat_status, "repeat_status")?;
    match (&c.expect.status, &c.expect.failure) {
        (None, None) => return Err("expect needs `status` or `failure`".into()),
        (Some(_), Some(_)) => return Err("expect has both `status` and `failure`".into()),
        (None, Some(f)) => class(f).map_err(|m| m.replace("expect.", "expect.failure."))?,
        _ => {}
    }
    if c.expect.repeat_status.is_some() && c.times < 2 {
        return Err("expect.repeat_status needs `times` of 2 or more".into());
    }
    if c.fresh_state && c.times < 2 {
        return Err("fresh_state needs `times` of 2 or more".into());
    }
    if c.expect.uses_seed && c.seed.is_empty() {
        return Err("expect.uses_seed needs a `seed`".into());
    }
    if let Some(t) = &c.expect.transport {
        if c.expect.failure.is_none() {
            return Err(
                "expect.transport needs `failure`: a transport failure fails the push".into(),
            );
        }
        if !switchboard_runtime::TRANSPORT_FAILURES
            .iter()
            .any(|known| known.starts_with(t.as_str()))
            || t.is_empty()
        {
            return Err(format!(
                "expect.transport {t:?} is not one of (or a prefix of) {}",
                switchboard_runtime::TRANSPORT_FAILURES.join(", ")
            ));
        }
    }
    if let Some(f) = &c.fault {
        fault(f)?;
    }
    Ok(())
}

/// The case seeds and counts only objects its simulator has.
fn simulated(c: &PushCase, objects: crate::sims::Objects) -> Result<(), String> {
    for seed in &c.seed {
        if !objects.seeds.contains(&seed.object.as_str()) {
            return Err(format!(
                "seed object {:?}: the simulator seeds {:?}",
                seed.object, objects.seeds
            ));
        }
    }
    for object in c.expect.created.keys() {
        if !objects.counts.contains(&object.as_str()) {
            return Err(format!(
                "expect.created {object:?}: the simulator counts {:?}",
                objects.counts
            ));
        }
    }
    Ok(())
}

fn fault(f: &FaultSpec) -> Result<(), String> {
    if let Some(m) = &f.method
        && !METHODS.contains(&m.to_ascii_uppercase().as_str())
    {
        return Err(format!(
            "fault.method {m:?} is not one of {}",
            METHODS.join(", ")
        ));
    }
    match f.action.as_str() {
        "respond" if f.status.is_none() => Err("fault.status is required to `respond`".into()),
        "respond" => Ok(()),
        "timeout" if f.status.is_some() || !f.body.is_empty() || !f.headers.is_empty() => {
            Err("a `timeout` fault sends no response: drop status, headers and body".into())
        }
        "timeout" => Ok(()),
        other => Err(format!(
            "fault.action {other:?} must be `respond` or `timeout`"
        )),
    }
}

#[cfg(test)]
mod tests {
    use crate::cases::parse;

    fn err(text: &str) -> String {
        parse(text, "x.toml").map(|_| ()).unwrap_err().to_string()
    }

    #[test]
    fn built_in_files_are_valid() {
        for (name, text) in crate::cases::BUILT_IN {
            parse(text, name).unwrap_or_else(|e| panic!("{e}"));
        }
    }

    #[test]
    fn names_the_case_and_the_problem() {
        let e = err(
            "crm = \"any\"\n[[classify]]\nname = \"x\"\nstatus = 401\nexpect = { class = \"authz\" }\n",
        );
        assert!(
            e.contains("[[classify]] \"x\"") && e.contains("\"authz\""),
            "{e}"
        );
        let e = err(
            "crm = \"any\"\n[[normalize]]\nname = \"p\"\nkind = \"contact\"\nfields = { phone = \"1\" }\nexpect = {}\n",
        );
        assert!(e.contains("expect needs `fields` or `invalid`"), "{e}");
        let e = err(
            "crm = \"any\"\n[[normalize]]\nname = \"p\"\nkind = \"contact\"\nregion = \"uk\"\nfields = {}\nexpect = { invalid = \"phone\" }\n",
        );
        assert!(e.contains("ISO 3166"), "{e}");
    }

    #[test]
    fn toml_errors_carry_the_line() {
        let e = err(
            "crm = \"any\"\n[[classify]]\nname = \"x\"\nstatus = \"401\"\nexpect = { class = \"auth\" }\n",
        );
        assert!(e.starts_with("x.toml: ") && e.contains("line 4"), "{e}");
        let e = err("crm = \"any\"\nextra = 1\n");
        assert!(e.contains("unknown field `extra`"), "{e}");
    }

    #[test]
    fn refuses_duplicate_names_and_push_without_a_simulator() {
        let two = "crm = \"any\"\n[[classify]]\nname = \"x\"\nstatus = 500\nexpect = { class = \"transient\" }\n";
        let e = err(&format!("{two}{}", &two[12..]));
        assert!(e.contains("two cases have this name"), "{e}");
        let e = err(
            "crm = \"any\"\n[[push]]\nname = \"p\"\nkind = \"call\"\nfields = {}\nexpect = { status = \"created\" }\n",
        );
        assert!(e.contains("need a simulator"), "{e}");
    }

    #[test]
    fn refuses_a_crm_without_a_simulator_and_objects_it_does_not_have() {
        let e = err("crm = \"HubSpot\"\n");
        assert!(e.contains("\"HubSpot\" is neither"), "{e}");
        let case = |extra: &str| {
            format!(
                "crm = \"hubspot\"\n[[push]]\nname = \"p\"\nkind = \"call\"\nfields = {{}}\n{extra}\n"
            )
        };
        let e = err(&case(
            "seed = [{ object = \"deals\", properties = {} }]\nexpect = { status = \"created\" }",
        ));
        assert!(e.contains("seed object \"deals\""), "{e}");
        let e = err(&case(
            "expect = { status = \"created\", created = { tasks = 1 } }",
        ));
        assert!(e.contains("expect.created \"tasks\""), "{e}");
        let e = err(&case(
            "fault = { action = \"timeout\", method = \"FETCH\" }\nexpect = { failure = { class = \"transient\" } }",
        ));
        assert!(e.contains("fault.method \"FETCH\""), "{e}");
        let e = err(&case(
            "expect = { failure = { class = \"transient\" }, transport = \"slow\" }",
        ));
        assert!(e.contains("expect.transport \"slow\""), "{e}");
        let e = err(&case(
            "expect = { status = \"created\", transport = \"timeout\" }",
        ));
        assert!(e.contains("needs `failure`"), "{e}");
    }

    #[test]
    fn refuses_details_that_do_not_fit_the_class() {
        let e = err(
            "crm = \"any\"\n[[classify]]\nname = \"x\"\nstatus = 429\nexpect = { class = \"transient\", scope = \"daily\" }\n",
        );
        assert!(e.contains("only `rate-limited` has a scope"), "{e}");
        let e = err(
            "crm = \"hubspot\"\n[[push]]\nname = \"p\"\nkind = \"call\"\nfields = {}\nfresh_state = true\nexpect = { status = \"created\" }\n",
        );
        assert!(e.contains("fresh_state needs"), "{e}");
    }
}
