//! `models/{model}:{action}` paths and the `alt` query parameter.

/// What a `POST …/models/{model}:{action}` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// `:generateContent`.
    Generate,
    /// `:streamGenerateContent`.
    StreamGenerate,
    /// `:countTokens`.
    CountTokens,
}

/// Split the part of the path after `models/` into the model and the
/// action, at the **last** `:` (model names may hold `/` and `:`, e.g.
/// `upstream/llama3:8b`). A leading `models/` on the model is dropped.
/// `Err` carries the action text when it is not one this gateway serves.
pub fn split(rest: &str) -> Result<(String, Action), String> {
    let Some((model, action)) = rest.rsplit_once(':') else {
        return Err(String::new());
    };
    let action = match action {
        "generateContent" => Action::Generate,
        "streamGenerateContent" => Action::StreamGenerate,
        "countTokens" => Action::CountTokens,
        other => return Err(other.to_string()),
    };
    Ok((model_name(model), action))
}

/// A model name as the client wrote it, without a leading `models/`.
pub fn model_name(model: &str) -> String {
    model.strip_prefix("models/").unwrap_or(model).to_string()
}

/// True when the query asks for server-sent events (`alt=sse`); otherwise
/// a streamed answer is one JSON array.
pub fn wants_sse(query: Option<&str>) -> bool {
    query.is_some_and(|q| q.split('&').any(|pair| pair == "alt=sse"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_at_the_last_colon() {
        assert_eq!(
            split("gpt-fake:generateContent"),
            Ok(("gpt-fake".into(), Action::Generate))
        );
        assert_eq!(
            split("mock/llama3:8b:streamGenerateContent"),
            Ok(("mock/llama3:8b".into(), Action::StreamGenerate))
        );
        assert_eq!(
            split("models/g:countTokens"),
            Ok(("g".into(), Action::CountTokens))
        );
        assert_eq!(split("g:embedContent"), Err("embedContent".into()));
        assert_eq!(split("g"), Err(String::new()));
    }

    #[test]
    fn alt_sse_is_found_among_other_params() {
        assert!(wants_sse(Some("key=k&alt=sse")));
        assert!(wants_sse(Some("alt=sse")));
        assert!(!wants_sse(Some("alt=json&key=k")));
        assert!(!wants_sse(None));
    }
}
