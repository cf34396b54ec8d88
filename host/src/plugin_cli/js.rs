//! `plugin new --lang js`: a componentize-qjs project whose logic is a
//! plain ES module (unit-tested with `node --test`) behind a thin WIT glue
//! module, with the toolchain pinned by a `package-lock.json`.

use anyhow::Context;

use super::NewKind;
use super::scaffold::{Plugin, Project, ProjectFile, wit_files};

/// The lock file of `examples/js-filter`: the pinned componentize-qjs and its
/// platform bindings, with integrity hashes. A project gets it with its own
/// name, so `npm ci` installs exactly these versions.
const EXAMPLE_LOCK: &str = include_str!("../../../examples/js-filter/package-lock.json");

/// The package name in [`EXAMPLE_LOCK`] (the root and its `""` package).
const EXAMPLE_NAME: &str = "\"name\": \"wasmgate-example-js-filter\"";

/// The root package's license in [`EXAMPLE_LOCK`].
const EXAMPLE_LICENSE: &str = "\"license\": \"MIT OR Apache-2.0\"";

/// The componentize-qjs version [`EXAMPLE_LOCK`] pins.
fn componentize_qjs_version() -> anyhow::Result<String> {
    let lock: serde_json::Value =
        serde_json::from_str(EXAMPLE_LOCK).context("the embedded package-lock.json is not JSON")?;
    lock["packages"]["node_modules/componentize-qjs"]["version"]
        .as_str()
        .map(str::to_string)
        .context("the embedded package-lock.json pins no componentize-qjs")
}

/// [`EXAMPLE_LOCK`] for the package `name` (license Apache-2.0, as its
/// `package.json`).
fn lock_for(name: &str) -> String {
    EXAMPLE_LOCK
        .replace(EXAMPLE_NAME, &format!("\"name\": \"{name}\""))
        .replacen(EXAMPLE_LICENSE, "\"license\": \"Apache-2.0\"", 1)
}

/// The project: `wit/`, `src/logic.js` (plain logic), `src/plugin.js` (the
/// export), `test/logic.test.js`, `package.json`, `package-lock.json`,
/// `build.sh`, `README.md` and `.gitignore`.
pub fn project(plugin: Plugin<'_>) -> anyhow::Result<Project> {
    let (logic, glue, test) = match plugin.kind {
        NewKind::Filter => (
            include_str!("../scaffold/js/filter_logic.js.in"),
            include_str!("../scaffold/js/filter_plugin.js.in"),
            include_str!("../scaffold/js/filter_test.js.in"),
        ),
        NewKind::Provider => (
            include_str!("../scaffold/js/provider_logic.js.in"),
            include_str!("../scaffold/js/provider_plugin.js.in"),
            include_str!("../scaffold/js/provider_test.js.in"),
        ),
    };
    let version = componentize_qjs_version()?;
    let fill = |template: &str| plugin.fill(template, &[("componentize_qjs", version.as_str())]);
    let mut files = wit_files();
    files.extend([
        ProjectFile::new("src/logic.js", fill(logic)),
        ProjectFile::new("src/plugin.js", fill(glue)),
        ProjectFile::new("test/logic.test.js", fill(test)),
        ProjectFile::new(
            "package.json",
            fill(include_str!("../scaffold/js/package.json.in")),
        ),
        ProjectFile::new("package-lock.json", lock_for(plugin.name)),
        ProjectFile::script("build.sh", fill(include_str!("../scaffold/js/build.sh.in"))),
        ProjectFile::new(
            "README.md",
            fill(include_str!("../scaffold/js/README.md.in")),
        ),
        ProjectFile::new(
            ".gitignore",
            fill(include_str!("../scaffold/js/gitignore.in")),
        ),
    ]);
    Ok(Project {
        files,
        next_steps: vec![
            "node --test             # unit tests of src/logic.js".into(),
            format!(
                "./build.sh              # {}.wasm (installs componentize-qjs {version} with npm ci the first time)",
                plugin.name
            ),
            format!(
                "wasmgate plugin check {}.wasm --config '{}'",
                plugin.name,
                plugin.check_config()
            ),
        ],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn the_lock_matches_the_package_json() -> anyhow::Result<()> {
        let project = project(Plugin {
            name: "my-js-filter",
            kind: NewKind::Filter,
        })?;
        let file = |path: &str| -> anyhow::Result<Value> {
            let file = project
                .files
                .iter()
                .find(|f| f.path == path)
                .with_context(|| format!("no {path}"))?;
            Ok(serde_json::from_str(&file.text)?)
        };
        let (package, lock) = (file("package.json")?, file("package-lock.json")?);
        assert_eq!(lock["name"], "my-js-filter");
        let root = &lock["packages"][""];
        assert_eq!(root["name"], "my-js-filter");
        assert_eq!(root["license"], package["license"]);
        assert_eq!(root["version"], package["version"]);
        assert_eq!(root["dependencies"], package["dependencies"]);
        let version = componentize_qjs_version()?;
        assert_eq!(
            package["dependencies"]["componentize-qjs"],
            version.as_str()
        );
        assert_eq!(
            lock["packages"]["node_modules/componentize-qjs"]["version"],
            version.as_str()
        );
        assert!(!project.files.iter().any(|f| f.text.contains("{{")));
        Ok(())
    }
}
