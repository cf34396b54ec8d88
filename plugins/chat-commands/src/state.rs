//! A conversation's sticky routing, as kept in the key-value store, and the
//! model name a request goes out with.

use serde::{Deserialize, Serialize};

/// The key of a conversation's sticky state.
pub fn state_key(conversation: u64) -> String {
    format!("conv:{conversation:016x}")
}

/// A key that exists while any conversation may have sticky state, so a
/// request without commands can skip hashing its conversation.
pub const ACTIVE_KEY: &str = "active";

/// What sticks for a conversation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sticky {
    /// The model set with `model(…)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The upstream set with `backend(…)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backend: Option<String>,
}

impl Sticky {
    /// Nothing sticks.
    pub fn is_empty(&self) -> bool {
        self.model.is_none() && self.backend.is_none()
    }

    /// The stored form.
    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Read a stored value; anything unreadable counts as nothing.
    pub fn decode(bytes: &[u8]) -> Sticky {
        serde_json::from_slice(bytes).unwrap_or_default()
    }
}

/// A one-off target for a single message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Oneoff {
    /// The upstream.
    pub upstream: String,
    /// The model it should see.
    pub model: String,
}

/// The model name to put in the request: the host routes `upstream/model`
/// to that upstream, anything else by its model patterns.
///
/// A one-off wins; otherwise the sticky model (or the client's) goes to the
/// sticky backend when there is one. With a sticky backend, a model that
/// already starts with one of the known `backends` and `/` loses that prefix.
pub fn route(
    sticky: &Sticky,
    oneoff: Option<&Oneoff>,
    client_model: &str,
    backends: &[String],
) -> String {
    if let Some(o) = oneoff {
        return format!("{}/{}", o.upstream, o.model);
    }
    let model = sticky.model.as_deref().unwrap_or(client_model);
    match &sticky.backend {
        Some(backend) => {
            let bare = match model.split_once('/') {
                Some((up, rest)) if !rest.is_empty() && backends.iter().any(|b| b == up) => rest,
                _ => model,
            };
            format!("{backend}/{bare}")
        }
        None => model.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sticky(model: Option<&str>, backend: Option<&str>) -> Sticky {
        Sticky {
            model: model.map(str::to_string),
            backend: backend.map(str::to_string),
        }
    }

    #[test]
    fn round_trip() {
        for s in [
            Sticky::default(),
            sticky(Some("gpt-x"), None),
            sticky(Some("m"), Some("alt")),
        ] {
            assert_eq!(Sticky::decode(&s.encode()), s);
        }
        assert_eq!(Sticky::default().encode(), b"{}");
        assert_eq!(Sticky::decode(b"garbage"), Sticky::default());
        assert_eq!(Sticky::decode(br#"{"model": 3}"#), Sticky::default());
        assert_eq!(state_key(0xab), "conv:00000000000000ab");
    }

    #[test]
    fn routes() {
        let none: &[String] = &[];
        assert_eq!(route(&Sticky::default(), None, "gpt", none), "gpt");
        assert_eq!(route(&sticky(Some("x"), None), None, "gpt", none), "x");
        assert_eq!(
            route(&sticky(None, Some("alt")), None, "gpt", none),
            "alt/gpt"
        );
        assert_eq!(
            route(&sticky(Some("x"), Some("alt")), None, "gpt", none),
            "alt/x"
        );
        let oneoff = Oneoff {
            upstream: "mock".into(),
            model: "y".into(),
        };
        assert_eq!(
            route(&sticky(Some("x"), Some("alt")), Some(&oneoff), "gpt", none),
            "mock/y"
        );
        // A known upstream prefix is replaced; an unknown one is part of the name.
        let backends = ["mock".to_string(), "alt".to_string()];
        assert_eq!(
            route(&sticky(None, Some("alt")), None, "mock/gpt", &backends),
            "alt/gpt"
        );
        assert_eq!(
            route(&sticky(None, Some("alt")), None, "meta/llama", &backends),
            "alt/meta/llama"
        );
    }
}
