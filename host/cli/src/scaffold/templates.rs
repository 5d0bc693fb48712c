//! The files of a new connector, per language, with `{{name}}`-style placeholders.
//! Python and JavaScript projects carry a copy of the WIT contract (`wit/`).

use std::path::Path;

use super::Lang;

/// Values for the placeholders.
pub(crate) struct Vars {
    /// `{{name}}`: the connector's name.
    pub(crate) name: String,
    /// `{{crate_name}}`: the name with `-` as `_` (Rust crate and `.wasm` file).
    pub(crate) crate_name: String,
    /// `{{type_name}}`: the name in CamelCase (the Rust type).
    pub(crate) type_name: String,
    /// `{{crm}}`: the CRM `describe` reports.
    pub(crate) crm: String,
    /// `{{sdk_path}}`: the SDK, relative to the new directory (Rust only).
    pub(crate) sdk_path: String,
}

/// Files as (relative path, template text).
type Files = &'static [(&'static str, &'static str)];

const RUST: [(&str, &str); 3] = [
    (
        "Cargo.toml",
        include_str!("../../templates/rust/Cargo.toml.tmpl"),
    ),
    (
        "src/lib.rs",
        include_str!("../../templates/rust/src/lib.rs.tmpl"),
    ),
    (
        "README.md",
        include_str!("../../templates/rust/README.md.tmpl"),
    ),
];

const PYTHON: [(&str, &str); 6] = [
    ("app.py", include_str!("../../templates/python/app.py.tmpl")),
    (
        "connector_logic.py",
        include_str!("../../templates/python/connector_logic.py.tmpl"),
    ),
    (
        "tests/test_logic.py",
        include_str!("../../templates/python/tests/test_logic.py.tmpl"),
    ),
    (
        "requirements.txt",
        include_str!("../../templates/python/requirements.txt.tmpl"),
    ),
    (
        "build.sh",
        include_str!("../../templates/python/build.sh.tmpl"),
    ),
    (
        "README.md",
        include_str!("../../templates/python/README.md.tmpl"),
    ),
];

const JS: [(&str, &str); 6] = [
    (
        "src/connector.js",
        include_str!("../../templates/js/src/connector.js.tmpl"),
    ),
    (
        "src/logic.js",
        include_str!("../../templates/js/src/logic.js.tmpl"),
    ),
    (
        "test/logic.test.js",
        include_str!("../../templates/js/test/logic.test.js.tmpl"),
    ),
    (
        "package.json",
        include_str!("../../templates/js/package.json.tmpl"),
    ),
    ("build.sh", include_str!("../../templates/js/build.sh.tmpl")),
    (
        "README.md",
        include_str!("../../templates/js/README.md.tmpl"),
    ),
];

/// The JavaScript tools' lockfile: the JavaScript HubSpot connector's, whose tools
/// (`devDependencies`) the JavaScript template pins to the same versions, so a new
/// project installs with `npm ci` exactly what CI builds with.
const JS_LOCK: &str = include_str!("../../../../connectors/hubspot-js/package-lock.json");
/// The package name in [`JS_LOCK`], replaced by the new project's.
const JS_LOCK_NAME: &str = "\"name\": \"switchboard-connector-hubspot-js\"";

/// What a new project keeps out of version control, per language.
const GITIGNORE_RUST: &str = "/target/\n";
const GITIGNORE_PYTHON: &str = "/target/\n__pycache__/\n";
const GITIGNORE_JS: &str = "/target/\n/node_modules/\n";

/// The contract, copied into Python and JavaScript projects.
const WIT: [(&str, &str); 10] = [
    ("wit/world.wit", include_str!("../../../../wit/world.wit")),
    ("wit/types.wit", include_str!("../../../../wit/types.wit")),
    ("wit/guest.wit", include_str!("../../../../wit/guest.wit")),
    ("wit/http.wit", include_str!("../../../../wit/http.wit")),
    ("wit/log.wit", include_str!("../../../../wit/log.wit")),
    ("wit/config.wit", include_str!("../../../../wit/config.wit")),
    ("wit/state.wit", include_str!("../../../../wit/state.wit")),
    ("wit/queue.wit", include_str!("../../../../wit/queue.wit")),
    ("wit/audit.wit", include_str!("../../../../wit/audit.wit")),
    ("wit/limits.wit", include_str!("../../../../wit/limits.wit")),
];

/// Every file of a new `lang` project: relative path and text.
pub(crate) fn files(lang: Lang, vars: &Vars) -> Vec<(String, String)> {
    let (own, wit): (Files, Files) = match lang {
        Lang::Rust => (&RUST, &[]),
        Lang::Python => (&PYTHON, &WIT),
        Lang::Js => (&JS, &WIT),
    };
    let mut all: Vec<(String, String)> = own
        .iter()
        .map(|(path, text)| ((*path).to_string(), fill(text, vars)))
        .chain(
            wit.iter()
                .map(|(path, text)| ((*path).to_string(), (*text).to_string())),
        )
        .collect();
    let gitignore = match lang {
        Lang::Rust => GITIGNORE_RUST,
        Lang::Python => GITIGNORE_PYTHON,
        Lang::Js => {
            let name = format!("\"name\": {:?}", vars.name);
            all.push((
                "package-lock.json".into(),
                JS_LOCK.replace(JS_LOCK_NAME, &name),
            ));
            GITIGNORE_JS
        }
    };
    all.push((".gitignore".into(), gitignore.into()));
    all
}

/// What to run next, from the current directory.
pub(crate) fn next_steps(lang: Lang, dir: &Path, vars: &Vars) -> String {
    let d = dir.display();
    match lang {
        Lang::Rust => format!(
            "  cd {d} && cargo build --release --target wasm32-wasip2 && cargo test\n  \
             switchboard conformance {d}/target/wasm32-wasip2/release/{}.wasm",
            vars.crate_name
        ),
        Lang::Python | Lang::Js => format!(
            "  bash {d}/build.sh\n  switchboard conformance {d}/target/{}.wasm",
            vars.name
        ),
    }
}

fn fill(text: &str, v: &Vars) -> String {
    text.replace("{{name}}", &v.name)
        .replace("{{crate_name}}", &v.crate_name)
        .replace("{{type_name}}", &v.type_name)
        .replace("{{crm}}", &v.crm)
        .replace("{{sdk_path}}", &v.sdk_path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> Vars {
        Vars {
            name: "acme-crm".into(),
            crate_name: "acme_crm".into(),
            type_name: "AcmeCrm".into(),
            crm: "Acme".into(),
            sdk_path: "../../sdk".into(),
        }
    }

    #[test]
    fn every_placeholder_is_filled() {
        for lang in [Lang::Rust, Lang::Python, Lang::Js] {
            for (path, text) in files(lang, &vars()) {
                assert!(!text.contains("{{"), "{lang:?} {path} keeps a placeholder");
            }
        }
    }

    #[test]
    fn the_js_lockfile_pins_the_templates_tools_under_the_new_name() {
        let f = files(Lang::Js, &vars());
        let json = |path: &str| -> serde_json::Value {
            let text = &f.iter().find(|(p, _)| p == path).expect(path).1;
            serde_json::from_str(text).expect(path)
        };
        let (package, lock) = (json("package.json"), json("package-lock.json"));
        assert_eq!(lock["name"], "acme-crm");
        assert_eq!(lock["packages"][""]["name"], "acme-crm");
        // `npm ci` refuses a lockfile whose root dependencies differ from package.json.
        assert_eq!(
            lock["packages"][""]["devDependencies"],
            package["devDependencies"]
        );
        assert_eq!(lock["packages"][""].get("dependencies"), None);
    }

    #[test]
    fn python_and_js_carry_the_contract() {
        for lang in [Lang::Python, Lang::Js] {
            let f = files(lang, &vars());
            assert!(
                f.iter()
                    .any(|(p, t)| p == "wit/world.wit"
                        && t.contains("package switchboard:connector@"))
            );
        }
        assert!(
            !files(Lang::Rust, &vars())
                .iter()
                .any(|(p, _)| p.starts_with("wit/"))
        );
    }
}
