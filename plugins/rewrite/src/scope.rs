//! Which models and upstreams a rule applies to.

/// Does the glob `pattern` match all of `text`? `*` matches any run of
/// characters (also none), `?` exactly one; everything else matches itself
/// (case-sensitive).
pub fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    // Where the last `*` was, and the text position it was tried at.
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(&c) if c == '?' || t.get(ti) == Some(&c) => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                // Let the last `*` swallow one more character.
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p.get(pi..)
        .is_some_and(|rest| rest.iter().all(|&c| c == '*'))
}

/// Limits a rule to some models and upstreams. Empty lists mean "any".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    /// Globs over the model name.
    pub models: Vec<String>,
    /// Globs over the upstream name.
    pub upstreams: Vec<String>,
}

impl Scope {
    /// Does this scope cover a request for `model` (as the client asked for
    /// it, possibly `upstream/model`)?
    ///
    /// A model glob matches either the whole name or the part after the
    /// first `/`. The upstream is the part before the first `/`; a model
    /// without one names no upstream, so a scope with `upstreams` does not
    /// cover it.
    pub fn covers(&self, model: &str) -> bool {
        let (upstream, bare) = match model.split_once('/') {
            Some((u, rest)) if !u.is_empty() && !rest.is_empty() => (Some(u), rest),
            _ => (None, model),
        };
        let model_ok =
            self.models.is_empty() || self.models.iter().any(|g| glob(g, model) || glob(g, bare));
        let upstream_ok = self.upstreams.is_empty()
            || upstream.is_some_and(|u| self.upstreams.iter().any(|g| glob(g, u)));
        model_ok && upstream_ok
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // A failed unwrap is a failed test.
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob("gpt-*", "gpt-4o"));
        assert!(glob("gpt-*", "gpt-"));
        assert!(!glob("gpt-*", "gp"));
        assert!(glob("*", ""));
        assert!(glob("*-mini", "gpt-4o-mini"));
        assert!(glob("claude-*-4*", "claude-sonnet-4-5"));
        assert!(!glob("claude-*-4*", "claude-sonnet-3"));
        assert!(glob("gpt-4?", "gpt-4o"));
        assert!(!glob("gpt-4?", "gpt-4"));
        assert!(glob("exact", "exact"));
        assert!(!glob("exact", "exactly"));
        assert!(!glob("Exact", "exact"));
        assert!(glob("a*b*c", "aXbYbZc"));
        assert!(!glob("a*b*c", "aXbYbZ"));
        assert!(glob("é*", "éa"));
    }

    fn scope(models: &[&str], upstreams: &[&str]) -> Scope {
        Scope {
            models: models.iter().map(|s| s.to_string()).collect(),
            upstreams: upstreams.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn scopes() {
        assert!(Scope::default().covers("anything"));
        let gpt = scope(&["gpt-*"], &[]);
        assert!(gpt.covers("gpt-4o"));
        assert!(gpt.covers("openai/gpt-4o"));
        assert!(!gpt.covers("claude-3"));
        let local = scope(&[], &["local", "ollama*"]);
        assert!(local.covers("local/llama"));
        assert!(local.covers("ollama-2/qwen"));
        assert!(!local.covers("llama"));
        assert!(!local.covers("cloud/llama"));
        assert!(!local.covers("local/"));
        let both = scope(&["llama*"], &["local"]);
        assert!(both.covers("local/llama-3"));
        assert!(!both.covers("local/qwen"));
        assert!(!both.covers("llama-3"));
    }
}
