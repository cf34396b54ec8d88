//! The filter's configuration.

use serde_json::Value;

/// Settings, all optional. Empty strings count as unset.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    /// Text of a system message put in front of every request.
    pub system_prefix: Option<String>,
    /// Text appended to every answer.
    pub reply_suffix: Option<String>,
    /// A word that makes the filter reject a prompt containing it.
    pub block_word: Option<String>,
}

/// Read the config JSON text; the message says what is wrong with it.
pub fn parse(text: &str) -> Result<Config, String> {
    let text = if text.trim().is_empty() { "{}" } else { text };
    let json: Value = serde_json::from_str(text)
        .map_err(|e| format!("example-filter config is not valid JSON: {e}"))?;
    let Value::Object(obj) = json else {
        return Err("example-filter config must be a JSON object".into());
    };
    let field = |key: &str| -> Result<Option<String>, String> {
        match obj.get(key) {
            None => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(format!(
                "example-filter config `{key}` must be a string, not {other}"
            )),
        }
    };
    Ok(Config {
        system_prefix: field("system_prefix")?,
        reply_suffix: field("reply_suffix")?,
        block_word: field("block_word")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_and_full() {
        assert_eq!(parse("{}"), Ok(Config::default()));
        assert_eq!(parse(""), Ok(Config::default()));
        assert_eq!(
            parse(r#"{"system_prefix":"a","reply_suffix":"b","block_word":"c","other":1}"#),
            Ok(Config {
                system_prefix: Some("a".into()),
                reply_suffix: Some("b".into()),
                block_word: Some("c".into()),
            })
        );
    }

    #[test]
    fn rejects_bad_shapes() {
        assert!(parse("[]").is_err());
        assert!(parse("{oops").is_err());
        let err = parse(r#"{"block_word": 3}"#).err().unwrap_or_default();
        assert!(err.contains("block_word"), "{err}");
    }
}
