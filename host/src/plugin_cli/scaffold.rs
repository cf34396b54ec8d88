//! What every scaffolded plugin project shares, whatever its language: the
//! plugin's identity (name and kind), the `{{key}}` template filling, the
//! embedded WIT contract and writing the files.

use std::path::Path;

use anyhow::Context;

use super::NewKind;

/// The contract's WIT files, embedded so a Python or JS project gets its own
/// copy in `wit/` and stands alone.
pub const WIT_FILES: [(&str, &str); 3] = [
    ("wit/host.wit", include_str!("../../../wit/host.wit")),
    (
        "wit/provider.wit",
        include_str!("../../../wit/provider.wit"),
    ),
    ("wit/types.wit", include_str!("../../../wit/types.wit")),
];

/// One file of a scaffolded project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectFile {
    /// Path relative to the project folder, `/`-separated.
    pub path: String,
    /// The whole text.
    pub text: String,
    /// True for a script that gets the executable bits (`build.sh`).
    pub executable: bool,
}

impl ProjectFile {
    /// A plain file.
    pub fn new(path: impl Into<String>, text: impl Into<String>) -> ProjectFile {
        ProjectFile {
            path: path.into(),
            text: text.into(),
            executable: false,
        }
    }

    /// An executable script.
    pub fn script(path: impl Into<String>, text: impl Into<String>) -> ProjectFile {
        ProjectFile {
            executable: true,
            ..ProjectFile::new(path, text)
        }
    }
}

/// A scaffolded project: its files and the commands to print after writing it.
#[derive(Debug, Clone)]
pub struct Project {
    /// Every file, in writing order.
    pub files: Vec<ProjectFile>,
    /// Shell lines (with comments) telling what to run next, from the
    /// project folder.
    pub next_steps: Vec<String>,
}

/// The plugin a project is for.
#[derive(Debug, Clone, Copy)]
pub struct Plugin<'a> {
    /// The plugin's name: `NAME.wasm` in the plugins folder.
    pub name: &'a str,
    /// Filter or provider.
    pub kind: NewKind,
}

impl Plugin<'_> {
    /// `filter` or `provider`: also the name of the exported interface.
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            NewKind::Filter => "filter",
            NewKind::Provider => "provider",
        }
    }

    /// The WIT world the plugin implements.
    pub fn world(&self) -> &'static str {
        match self.kind {
            NewKind::Filter => "filter-plugin",
            NewKind::Provider => "provider-plugin",
        }
    }

    /// The exported resource of the world.
    pub fn resource(&self) -> &'static str {
        match self.kind {
            NewKind::Filter => "stream-filter",
            NewKind::Provider => "stream-decoder",
        }
    }

    /// One sentence on what the template does.
    pub fn description(&self) -> &'static str {
        match self.kind {
            NewKind::Filter => "Adds a system message and rejects over-long prompts.",
            NewKind::Provider => "Adapter for a small JSON generate API.",
        }
    }

    /// A paragraph on what the template does, for a README.
    pub fn about(&self) -> &'static str {
        match self.kind {
            NewKind::Filter => {
                "Config (both optional), the `config` table where the gateway uses it:\n\n\
                 - `system`: a system message put in front of every conversation;\n\
                 - `max_prompt_chars`: the longest last user message accepted, in\n  \
                 characters; a longer one is rejected with a 400 in the client's own\n  \
                 error format, before anything goes upstream.\n\n\
                 Unknown keys and wrong types are refused by `init`, so the gateway\n\
                 refuses to load a config with a typo. Whole answers and streamed events\n\
                 pass through unchanged (`on-response`, the `stream-filter` resource):\n\
                 change them there."
            }
            NewKind::Provider => {
                "It speaks a small JSON API; change the translations in the logic\n\
                 module (`src/logic.*`) to your upstream's wire format (the host does\n\
                 all network I/O):\n\n\
                 - request: `POST {base_url}/generate` with\n  \
                 `{\"model\", \"messages\": [{\"role\", \"content\"}], \"stream\"}` and\n  \
                 `authorization: Bearer KEY`;\n\
                 - whole answer: `{\"id\", \"text\", \"input_tokens\", \"output_tokens\"}`;\n  \
                 a non-2xx status becomes a typed error (401, 403, 404, 429, other 4xx,\n  \
                 else 502) carrying the upstream's message;\n\
                 - streamed answer: one JSON object per line: `{\"text\": \"…\"}` pieces,\n  \
                 then `{\"done\": true, \"input_tokens\": N, \"output_tokens\": N}`."
            }
        }
    }

    /// A config `plugin check` accepts, as JSON.
    pub fn check_config(&self) -> &'static str {
        match self.kind {
            NewKind::Filter => r#"{"system":"Be brief.","max_prompt_chars":20000}"#,
            NewKind::Provider => "{}",
        }
    }

    /// The `wasmgate.toml` lines that use the plugin.
    pub fn usage(&self) -> String {
        let name = self.name;
        match self.kind {
            NewKind::Filter => format!(
                "[[filters]]\nplugin = \"{name}\"\nconfig = {{ system = \"Be brief.\", max_prompt_chars = 20000 }}"
            ),
            NewKind::Provider => format!(
                "[[upstreams]]\nname = \"{name}\"\nprovider = \"{name}\"\nbase_url = \"http://127.0.0.1:9000\"\napi_keys = [\"${{{upper}_KEY}}\"]\nmodels = [\"*\"]",
                upper = name.to_uppercase().replace('-', "_")
            ),
        }
    }

    /// `template` with `{{name}}`, `{{kind}}`, `{{world}}`, `{{resource}}`,
    /// `{{description}}`, `{{about}}`, `{{config}}` and `{{usage}}` filled
    /// in, then each of `extra` (`("key", value)` fills `{{key}}`).
    pub fn fill(&self, template: &str, extra: &[(&str, &str)]) -> String {
        let mut text = template
            .replace("{{name}}", self.name)
            .replace("{{kind}}", self.kind_name())
            .replace("{{world}}", self.world())
            .replace("{{resource}}", self.resource())
            .replace("{{description}}", self.description())
            .replace("{{about}}", self.about())
            .replace("{{config}}", self.check_config())
            .replace("{{usage}}", &self.usage());
        for (key, value) in extra {
            text = text.replace(&format!("{{{{{key}}}}}"), value);
        }
        text
    }
}

/// The contract's WIT files as project files.
pub fn wit_files() -> Vec<ProjectFile> {
    WIT_FILES
        .iter()
        .map(|(path, text)| ProjectFile::new(*path, *text))
        .collect()
}

/// Write `project` into `dir` (created when missing).
pub fn write(dir: &Path, project: &Project) -> anyhow::Result<()> {
    for file in &project.files {
        let path = dir.join(&file.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&path, &file.text)
            .with_context(|| format!("cannot write {}", path.display()))?;
        if file.executable {
            make_executable(&path)?;
        }
    }
    Ok(())
}

#[cfg(unix)]
fn make_executable(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .with_context(|| format!("cannot make {} executable", path.display()))
}

#[cfg(not(unix))]
fn make_executable(_path: &Path) -> anyhow::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_wit_file_of_the_checkout_is_embedded() -> anyhow::Result<()> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../wit");
        let mut on_disk = Vec::new();
        for entry in std::fs::read_dir(&dir)? {
            let name = entry?.file_name().to_string_lossy().into_owned();
            if name.ends_with(".wit") {
                on_disk.push(format!("wit/{name}"));
            }
        }
        on_disk.sort();
        let embedded: Vec<&str> = WIT_FILES.iter().map(|(p, _)| *p).collect();
        assert_eq!(on_disk, embedded);
        for (path, text) in WIT_FILES {
            let on_disk = std::fs::read_to_string(dir.join("..").join(path))?;
            assert_eq!(on_disk, text, "{path}");
        }
        Ok(())
    }

    #[test]
    fn fill_replaces_every_placeholder() {
        let plugin = Plugin {
            name: "my-provider",
            kind: NewKind::Provider,
        };
        let text = plugin.fill("{{name}} {{world}} {{usage}} {{x}}", &[("x", "1")]);
        assert!(text.starts_with("my-provider provider-plugin [[upstreams]]"));
        assert!(text.contains("${MY_PROVIDER_KEY}") && text.ends_with(" 1"));
    }
}
