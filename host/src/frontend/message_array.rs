//! A `messages` array kept as JSON text (see [`super::kept_text`]): read by
//! a front-end's typed fast path when the array has the common shape, else
//! through a tree, message by message, with the front-end's own checks.

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::api_error::ApiError;
use crate::canonical::Message;

/// A fast path: `raw` read as typed wire messages `W`, each made a
/// canonical message by `into`; `None` when `raw` is not an array of `W`,
/// is empty, or `into` refuses a message.
pub fn typed<W: DeserializeOwned>(
    raw: &str,
    into: impl FnMut(W) -> Option<Message>,
) -> Option<Vec<Message>> {
    let wire: Vec<W> = serde_json::from_str(raw).ok()?;
    if wire.is_empty() {
        return None;
    }
    wire.into_iter().map(into).collect()
}

/// The messages in `raw`: `fast` (which answers `None` for any shape it
/// does not take), else [`through_tree`].
pub fn decode(
    raw: &str,
    fast: impl FnOnce(&str) -> Option<Vec<Message>>,
    each: impl FnMut((usize, Value)) -> Result<Message, ApiError>,
) -> Result<Vec<Message>, ApiError> {
    match fast(raw) {
        Some(messages) => Ok(messages),
        None => through_tree(raw, each),
    }
}

/// The messages in `raw` through a JSON tree: `each` decodes one message
/// (with its index) or says what is wrong with it.
pub fn through_tree(
    raw: &str,
    each: impl FnMut((usize, Value)) -> Result<Message, ApiError>,
) -> Result<Vec<Message>, ApiError> {
    match serde_json::from_str(raw) {
        Ok(Value::Array(items)) if !items.is_empty() => {
            items.into_iter().enumerate().map(each).collect()
        }
        _ => Err(missing()),
    }
}

/// The error for a request without a usable `messages` array.
pub fn missing() -> ApiError {
    ApiError::bad_field(
        "messages",
        "`messages` is required and must be a non-empty array",
    )
}

/// For a front-end's tests: `raw` decodes to the same result whether or
/// not `fast` takes it, and `fast` takes it exactly when `taken`.
#[cfg(test)]
pub fn assert_paths_agree(
    raw: &str,
    taken: bool,
    fast: impl Fn(&str) -> Option<Vec<Message>>,
    each: impl Fn((usize, Value)) -> Result<Message, ApiError>,
) {
    let simple = fast(raw);
    assert_eq!(simple.is_some(), taken, "{raw}");
    let general = through_tree(raw, &each);
    let decoded = decode(raw, &fast, &each);
    assert_eq!(format!("{decoded:?}"), format!("{general:?}"), "{raw}");
    if let Some(simple) = simple {
        assert_eq!(
            format!("{:?}", Ok::<_, ApiError>(simple)),
            format!("{general:?}"),
            "{raw}"
        );
    }
}
