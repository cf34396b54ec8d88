//! Plugin metadata embedded in the component, after the `wasm-metadata`
//! conventions: top-level custom sections `version`, `description`,
//! `authors`, `licenses`, `source`, `homepage` (UTF-8 text each), plus
//! `wasmgate:capabilities` (a JSON array of the capabilities the plugin asks
//! for). `wasm-tools metadata add` writes the standard ones.

use serde::Serialize;

use super::sections;

/// The custom section naming the capabilities a plugin asks for.
pub const CAPABILITIES_SECTION: &str = "wasmgate:capabilities";

/// What a plugin says about itself. Missing sections are `None` (or empty).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PluginMetadata {
    /// Its version.
    pub version: Option<String>,
    /// A human-readable description.
    pub description: Option<String>,
    /// Who is responsible for it.
    pub authors: Option<String>,
    /// SPDX license expression.
    pub licenses: Option<String>,
    /// Where its source is.
    pub source: Option<String>,
    /// Where to read more.
    pub homepage: Option<String>,
    /// Capabilities it asks for beyond the contract's host imports.
    pub capabilities: Vec<String>,
}

impl PluginMetadata {
    /// Read the metadata sections of a component.
    pub fn read(bytes: &[u8]) -> Self {
        let mut meta = PluginMetadata::default();
        for (name, payload) in sections::read(bytes) {
            let text = || Some(String::from_utf8_lossy(payload).into_owned());
            match name.as_str() {
                "version" => meta.version = text(),
                "description" => meta.description = text(),
                "authors" => meta.authors = text(),
                "licenses" => meta.licenses = text(),
                "source" => meta.source = text(),
                "homepage" => meta.homepage = text(),
                CAPABILITIES_SECTION => {
                    meta.capabilities = serde_json::from_slice(payload).unwrap_or_default();
                }
                _ => {}
            }
        }
        meta
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_is_there() {
        let mut wasm = b"\0asm\x0d\x00\x01\x00".to_vec();
        wasm.extend(sections::encode("version", b"0.3.1"));
        wasm.extend(sections::encode("licenses", b"Apache-2.0"));
        wasm.extend(sections::encode(CAPABILITIES_SECTION, br#"["http"]"#));
        let meta = PluginMetadata::read(&wasm);
        assert_eq!(meta.version.as_deref(), Some("0.3.1"));
        assert_eq!(meta.licenses.as_deref(), Some("Apache-2.0"));
        assert_eq!(meta.description, None);
        assert_eq!(meta.capabilities, vec!["http".to_string()]);
    }
}
