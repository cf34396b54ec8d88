//! The in-memory key-value store behind the `kv` host import, namespaced per
//! plugin, with size limits and expiry.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Longest key, in bytes.
pub const MAX_KEY_BYTES: usize = 1024;
/// Largest value, in bytes.
pub const MAX_VALUE_BYTES: usize = 1024 * 1024;
/// Most live entries per namespace.
pub const MAX_ENTRIES_PER_NAMESPACE: usize = 10_000;

/// Why a write was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum KvError {
    /// Key or value too large.
    #[error("key or value too large")]
    TooLarge,
    /// The namespace is full.
    #[error("namespace full")]
    QuotaExceeded,
}

struct Entry {
    value: Vec<u8>,
    expires: Option<Instant>,
}

impl Entry {
    fn live(&self, now: Instant) -> bool {
        self.expires.is_none_or(|t| t > now)
    }
}

/// A process-local store shared by all instances of all plugins.
#[derive(Default)]
pub struct KvStore {
    namespaces: Mutex<HashMap<String, HashMap<String, Entry>>>,
}

impl std::fmt::Debug for KvStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KvStore").finish_non_exhaustive()
    }
}

impl KvStore {
    /// The live value of `key` in `namespace`.
    pub fn get(&self, namespace: &str, key: &str) -> Option<Vec<u8>> {
        let map = self.namespaces.lock().ok()?;
        let entry = map.get(namespace)?.get(key)?;
        entry.live(Instant::now()).then(|| entry.value.clone())
    }

    /// Store `value` under `key`, optionally expiring after `ttl`.
    pub fn set(
        &self,
        namespace: &str,
        key: &str,
        value: Vec<u8>,
        ttl: Option<Duration>,
    ) -> Result<(), KvError> {
        if key.len() > MAX_KEY_BYTES || value.len() > MAX_VALUE_BYTES {
            return Err(KvError::TooLarge);
        }
        let Ok(mut map) = self.namespaces.lock() else {
            return Err(KvError::QuotaExceeded);
        };
        let now = Instant::now();
        // The namespace's name is copied only the first time it is written.
        if !map.contains_key(namespace) {
            map.insert(namespace.to_string(), HashMap::new());
        }
        let Some(ns) = map.get_mut(namespace) else {
            return Err(KvError::QuotaExceeded);
        };
        if ns.len() >= MAX_ENTRIES_PER_NAMESPACE && !ns.contains_key(key) {
            ns.retain(|_, e| e.live(now));
            if ns.len() >= MAX_ENTRIES_PER_NAMESPACE {
                return Err(KvError::QuotaExceeded);
            }
        }
        let expires = ttl.map(|ttl| now + ttl);
        ns.insert(key.to_string(), Entry { value, expires });
        Ok(())
    }

    /// Remove `key`.
    pub fn delete(&self, namespace: &str, key: &str) {
        if let Ok(mut map) = self.namespaces.lock()
            && let Some(ns) = map.get_mut(namespace)
        {
            ns.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_are_separate_and_ttl_expires() -> Result<(), KvError> {
        let kv = KvStore::default();
        kv.set("a", "k", b"1".to_vec(), None)?;
        assert_eq!(kv.get("a", "k"), Some(b"1".to_vec()));
        assert_eq!(kv.get("b", "k"), None);
        kv.set("a", "t", b"2".to_vec(), Some(Duration::from_millis(0)))?;
        assert_eq!(kv.get("a", "t"), None);
        kv.delete("a", "k");
        assert_eq!(kv.get("a", "k"), None);
        Ok(())
    }

    #[test]
    fn limits_are_enforced() {
        let kv = KvStore::default();
        let big = vec![0; MAX_VALUE_BYTES + 1];
        assert_eq!(kv.set("a", "k", big, None), Err(KvError::TooLarge));
    }
}
