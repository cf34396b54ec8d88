//! Model name → upstream.

use crate::config::UpstreamConfig;

/// Does `pattern` (exact, `prefix*` or `*`) match `model`?
pub fn matches(pattern: &str, model: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => model.starts_with(prefix),
        None => pattern == model,
    }
}

/// A resolved route: which upstream, and the model name it should see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// Index into the configured upstreams.
    pub upstream: usize,
    /// The model name for the upstream.
    pub model: String,
}

/// Resolve `model`: `upstream/model` names an upstream explicitly; otherwise
/// the first upstream (in config order) with a matching pattern serves.
pub fn resolve(upstreams: &[UpstreamConfig], model: &str) -> Option<Route> {
    candidates(upstreams, model).into_iter().next()
}

/// Every upstream that serves `model`, in the order they are tried: the one
/// `upstream/model` names, or each upstream (in config order) with a
/// matching pattern. The later ones are failovers.
pub fn candidates(upstreams: &[UpstreamConfig], model: &str) -> Vec<Route> {
    if let Some((name, rest)) = model.split_once('/')
        && let Some(upstream) = upstreams.iter().position(|u| u.name == name)
        && !rest.is_empty()
    {
        return vec![Route {
            upstream,
            model: rest.to_string(),
        }];
    }
    upstreams
        .iter()
        .enumerate()
        .filter(|(_, u)| u.models.iter().any(|p| matches(p, model)))
        .map(|(upstream, _)| Route {
            upstream,
            model: model.to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upstream(name: &str, models: &[&str]) -> UpstreamConfig {
        UpstreamConfig {
            grants: Default::default(),
            name: name.into(),
            provider: "openai".into(),
            base_url: None,
            api_keys: vec![],
            models: models.iter().map(|m| m.to_string()).collect(),
            config: None,
        }
    }

    #[test]
    fn exact_prefix_wildcard_and_explicit() {
        let ups = [upstream("a", &["gpt-4o", "llama-*"]), upstream("b", &["*"])];
        assert_eq!(resolve(&ups, "gpt-4o").map(|r| r.upstream), Some(0));
        assert_eq!(resolve(&ups, "llama-3").map(|r| r.upstream), Some(0));
        assert_eq!(resolve(&ups, "other").map(|r| r.upstream), Some(1));
        assert_eq!(
            resolve(&ups, "b/gpt-4o"),
            Some(Route {
                upstream: 1,
                model: "gpt-4o".into()
            })
        );
        // An unknown prefix is part of the model name (e.g. `meta-llama/x`).
        assert_eq!(
            resolve(&ups, "meta/x").map(|r| r.model),
            Some("meta/x".into())
        );
        assert_eq!(resolve(&[upstream("a", &["x"])], "y"), None);
    }

    #[test]
    fn every_matching_upstream_is_a_candidate() {
        let ups = [
            upstream("a", &["gpt-4o"]),
            upstream("b", &["llama-*"]),
            upstream("c", &["*"]),
        ];
        let order = |model| {
            candidates(&ups, model)
                .into_iter()
                .map(|r| r.upstream)
                .collect::<Vec<_>>()
        };
        assert_eq!(order("gpt-4o"), [0, 2]);
        assert_eq!(order("llama-3"), [1, 2]);
        assert_eq!(order("other"), [2]);
        assert_eq!(order("a/llama-3"), [0], "a named upstream has no failover");
    }
}
