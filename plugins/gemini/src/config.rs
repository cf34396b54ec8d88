//! Validation of the plugin's own configuration.

use crate::error;
use crate::types::Error;

/// Accept any JSON object (the plugin has no settings of its own yet) and
/// reject anything else with an `invalid-request` error.
pub fn validate(config: &str) -> Result<(), Error> {
    let text = if config.trim().is_empty() {
        "{}"
    } else {
        config
    };
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(_)) => Ok(()),
        Ok(_) => Err(error::invalid_request(
            "gemini plugin config must be a JSON object",
        )),
        Err(e) => Err(error::invalid_request(format!(
            "gemini plugin config is not valid JSON: {e}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::validate;

    #[test]
    fn accepts_objects_and_empty() {
        assert!(validate("{}").is_ok());
        assert!(validate("").is_ok());
        assert!(validate(r#"{"anything": [1, 2]}"#).is_ok());
    }

    #[test]
    fn rejects_non_objects() {
        assert!(validate("[]").is_err());
        assert!(validate("42").is_err());
        assert!(validate("{not json").is_err());
    }
}
