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
            rest = &after[end + 1..];
        }
        out.push_str(rest);
    }
    Ok(out)
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
