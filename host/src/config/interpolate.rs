//! `${VAR}` interpolation of the raw config text.
//!
//! Interpolation runs on the text before TOML parsing so that an error can
//! name the line and key. Comment lines are left alone. `${VAR:-default}`
//! uses `default` when `VAR` is unset or empty. Substituted values are escaped
//! for a TOML basic string.

use super::ConfigError;

/// Replace every `${VAR}` in `text` using `lookup`.
pub fn interpolate(
    text: &str,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<String, ConfigError> {
    interpolate_tracked(text, lookup).map(|(text, _)| text)
}

/// Values taken from the environment, which may be secrets: an error
/// message about the interpolated text shows each as the `${VAR}` it came
/// from.
#[derive(Debug, Default)]
pub struct Substituted(Vec<(String, String)>);

/// Values this short are not hidden: they are no secret, and hiding them
/// would garble the message (a `1` in every line number).
const SHORTEST_HIDDEN: usize = 4;

impl Substituted {
    /// `message` with every substituted value (as given, and as escaped in
    /// the text) shown as its `${VAR}`.
    pub fn hide(&self, message: &str) -> String {
        let mut out = message.to_string();
        let mut values: Vec<&(String, String)> = self.0.iter().collect();
        // Longest first: a value that contains another is hidden whole.
        values.sort_by_key(|(_, value)| std::cmp::Reverse(value.len()));
        for (placeholder, value) in values {
            for form in [escape_basic(value), value.clone()] {
                if form.len() >= SHORTEST_HIDDEN {
                    out = out.replace(&form, placeholder);
                }
            }
        }
        out
    }
}

/// [`interpolate`], and the values it put in.
pub fn interpolate_tracked(
    text: &str,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<(String, Substituted), ConfigError> {
    let mut substituted = Substituted::default();
    let mut out = String::with_capacity(text.len());
    for (index, line) in text.split_inclusive('\n').enumerate() {
        if line.trim_start().starts_with('#') || !line.contains("${") {
            out.push_str(line);
            continue;
        }
        let mut rest = line;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                return Err(ConfigError::Interpolation {
                    line: index + 1,
                    key: key_of(line),
                    message: "unclosed `${`".into(),
                });
            };
            let expr = &after[..end];
            let (name, default) = match expr.split_once(":-") {
                Some((name, default)) => (name, Some(default)),
                None => (expr, None),
            };
            let value = match (lookup(name).filter(|v| !v.is_empty()), default) {
                (Some(value), _) => value,
                (None, Some(default)) => default.to_string(),
                (None, None) => {
                    return Err(ConfigError::Interpolation {
                        line: index + 1,
                        key: key_of(line),
                        message: format!("environment variable `{name}` is not set"),
                    });
                }
            };
            out.push_str(&escape_basic(&value));
            substituted.0.push((format!("${{{expr}}}"), value));
            rest = &after[end + 1..];
        }
        out.push_str(rest);
    }
    Ok((out, substituted))
}

/// The key on a `key = value` line, for error messages.
fn key_of(line: &str) -> String {
    line.split_once('=')
        .map(|(key, _)| key.trim().to_string())
        .unwrap_or_default()
}

fn escape_basic(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "KEY" => Some("sk-1".into()),
            "QUOTE" => Some("a\"b".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    #[test]
    fn substitutes_and_escapes() -> Result<(), ConfigError> {
        let text = "a = \"${KEY}\"\nb = \"${QUOTE}\"\n# c = \"${MISSING}\"\n";
        assert_eq!(
            interpolate(text, env)?,
            "a = \"sk-1\"\nb = \"a\\\"b\"\n# c = \"${MISSING}\"\n"
        );
        Ok(())
    }

    #[test]
    fn default_applies_when_unset_or_empty() -> Result<(), ConfigError> {
        assert_eq!(
            interpolate("a = \"${NOPE:-x}${EMPTY:-y}\"", env)?,
            "a = \"xy\""
        );
        Ok(())
    }

    #[test]
    fn missing_variable_names_line_key_and_variable() {
        let err = interpolate("[server]\napi_keys = [\"${NOPE}\"]\n", env)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("line 2"), "{err}");
        assert!(err.contains("api_keys"), "{err}");
        assert!(err.contains("NOPE"), "{err}");
    }
}
