//! `plugin new --lang python`: a componentize-py project whose logic is
//! plain Python (unit-tested with `python3 -m unittest`) behind a thin WIT
//! glue module.

use super::NewKind;
use super::scaffold::{Plugin, Project, ProjectFile, wit_files};

/// The componentize-py the project pins: the version
/// `examples/python-filter/build.sh` uses (a unit test keeps them equal).
pub const COMPONENTIZE_PY_VERSION: &str = "0.25.1";

/// The project: `wit/`, `src/logic.py` (plain logic), `src/app.py` (the
/// export), `src/KIND.py` (the exported resource), `tests/`, `build.sh`,
/// `README.md` and `.gitignore`.
pub fn project(plugin: Plugin<'_>) -> Project {
    let (logic, app, resource, test) = match plugin.kind {
        NewKind::Filter => (
            include_str!("../scaffold/python/filter_logic.py.in"),
            include_str!("../scaffold/python/filter_app.py.in"),
            include_str!("../scaffold/python/filter_stream.py.in"),
            include_str!("../scaffold/python/filter_test.py.in"),
        ),
        NewKind::Provider => (
            include_str!("../scaffold/python/provider_logic.py.in"),
            include_str!("../scaffold/python/provider_app.py.in"),
            include_str!("../scaffold/python/provider_stream.py.in"),
            include_str!("../scaffold/python/provider_test.py.in"),
        ),
    };
    let fill =
        |template: &str| plugin.fill(template, &[("componentize_py", COMPONENTIZE_PY_VERSION)]);
    let mut files = wit_files();
    files.extend([
        ProjectFile::new("src/logic.py", fill(logic)),
        ProjectFile::new("src/app.py", fill(app)),
        // componentize-py looks an exported resource up in a module named
        // after its interface.
        ProjectFile::new(format!("src/{}.py", plugin.kind_name()), fill(resource)),
        ProjectFile::new("tests/__init__.py", ""),
        ProjectFile::new("tests/test_logic.py", fill(test)),
        ProjectFile::script(
            "build.sh",
            fill(include_str!("../scaffold/python/build.sh.in")),
        ),
        ProjectFile::new(
            "README.md",
            fill(include_str!("../scaffold/python/README.md.in")),
        ),
        ProjectFile::new(
            ".gitignore",
            fill(include_str!("../scaffold/python/gitignore.in")),
        ),
    ]);
    Project {
        files,
        next_steps: vec![
            "python3 -m unittest     # unit tests of src/logic.py".into(),
            format!(
                "./build.sh              # {}.wasm (installs componentize-py {COMPONENTIZE_PY_VERSION} into .venv the first time)",
                plugin.name
            ),
            format!(
                "wasmgate plugin check {}.wasm --config '{}'",
                plugin.name,
                plugin.check_config()
            ),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_the_componentize_py_of_the_python_example() -> std::io::Result<()> {
        let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../examples/python-filter/build.sh");
        let text = std::fs::read_to_string(script)?;
        assert!(
            text.contains(&format!(
                "COMPONENTIZE_PY_VERSION={COMPONENTIZE_PY_VERSION}\n"
            )),
            "examples/python-filter/build.sh pins another componentize-py"
        );
        Ok(())
    }

    #[test]
    fn fills_every_placeholder() {
        for kind in [NewKind::Filter, NewKind::Provider] {
            let project = project(Plugin { name: "p", kind });
            for file in &project.files {
                assert!(!file.text.contains("{{name"), "{}", file.path);
                assert!(!file.text.contains("{{componentize"), "{}", file.path);
            }
        }
    }
}
