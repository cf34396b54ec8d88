//! Friendly wrappers around the host imports. In a component they call the
//! gateway; on the host target (`cargo test`) they use the in-memory state
//! of [`crate::testing`].

/// Structured logging into the gateway's log, tagged with the plugin's name.
pub mod log {
    pub use crate::__filter_world::wasmgate::plugin::log::Level;

    /// Write one log line at `level`.
    pub fn write(level: Level, message: &str) {
        #[cfg(target_arch = "wasm32")]
        crate::__filter_world::wasmgate::plugin::log::write(level, message);
        #[cfg(not(target_arch = "wasm32"))]
        crate::testing::state::log(level, message);
    }

    /// Log at `trace`.
    pub fn trace(message: impl AsRef<str>) {
        write(Level::Trace, message.as_ref());
    }

    /// Log at `debug`.
    pub fn debug(message: impl AsRef<str>) {
        write(Level::Debug, message.as_ref());
    }

    /// Log at `info`.
    pub fn info(message: impl AsRef<str>) {
        write(Level::Info, message.as_ref());
    }

    /// Log at `warn`.
    pub fn warn(message: impl AsRef<str>) {
        write(Level::Warn, message.as_ref());
    }

    /// Log at `error`.
    pub fn error(message: impl AsRef<str>) {
        write(Level::Error, message.as_ref());
    }
}

/// The plugin's own configuration: the `config` table of the place it is
/// used in the gateway config file, as JSON.
pub mod config {
    use serde::de::DeserializeOwned;

    use crate::types::Error;

    /// The config as JSON object text (`{}` when none).
    pub fn raw() -> String {
        #[cfg(target_arch = "wasm32")]
        return crate::__filter_world::wasmgate::plugin::config::get();
        #[cfg(not(target_arch = "wasm32"))]
        return crate::testing::state::config();
    }

    /// The config as a JSON value (`{}` when empty).
    pub fn value() -> Result<serde_json::Value, Error> {
        parse(&raw())
    }

    /// The config deserialized into `T`, or an `invalid-request` error (400)
    /// naming what is wrong, ready to return from `init`. Use
    /// `#[serde(deny_unknown_fields)]` so a typo is an error rather than a
    /// silently ignored setting.
    pub fn get<T: DeserializeOwned>() -> Result<T, Error> {
        parse(&raw())
    }

    /// Deserialize config text (empty text counts as `{}`).
    pub fn parse<T: DeserializeOwned>(text: &str) -> Result<T, Error> {
        let text = if text.trim().is_empty() { "{}" } else { text };
        serde_json::from_str(text).map_err(|e| Error {
            kind: crate::types::ErrorKind::InvalidRequest,
            message: format!("invalid plugin config: {e}"),
            status: 400,
            retryable: false,
        })
    }
}

/// A small key-value store, namespaced per plugin and shared by every
/// instance of that plugin in one gateway, for state across requests.
pub mod kv {
    pub use crate::__filter_world::wasmgate::plugin::kv::KvError;

    /// The bytes stored under `key`, if any and not expired.
    pub fn get(key: &str) -> Option<Vec<u8>> {
        #[cfg(target_arch = "wasm32")]
        return crate::__filter_world::wasmgate::plugin::kv::get(key);
        #[cfg(not(target_arch = "wasm32"))]
        return crate::testing::state::kv_get(key);
    }

    /// The UTF-8 text stored under `key` (None when missing or not UTF-8).
    pub fn get_string(key: &str) -> Option<String> {
        get(key).and_then(|bytes| String::from_utf8(bytes).ok())
    }

    /// The JSON value stored under `key`, deserialized (None when missing or
    /// not a `T`).
    pub fn get_json<T: serde::de::DeserializeOwned>(key: &str) -> Option<T> {
        get(key).and_then(|bytes| serde_json::from_slice(&bytes).ok())
    }

    /// Store `value` under `key`, expiring after `ttl_ms` when given.
    pub fn set(key: &str, value: &[u8], ttl_ms: Option<u64>) -> Result<(), KvError> {
        #[cfg(target_arch = "wasm32")]
        return crate::__filter_world::wasmgate::plugin::kv::set(key, value, ttl_ms);
        #[cfg(not(target_arch = "wasm32"))]
        return crate::testing::state::kv_set(key, value, ttl_ms);
    }

    /// Store `value` as JSON under `key`.
    pub fn set_json<T: serde::Serialize + ?Sized>(
        key: &str,
        value: &T,
        ttl_ms: Option<u64>,
    ) -> Result<(), KvError> {
        let bytes = serde_json::to_vec(value).unwrap_or_default();
        set(key, &bytes, ttl_ms)
    }

    /// Remove `key` (removing a missing key is not an error).
    pub fn delete(key: &str) {
        #[cfg(target_arch = "wasm32")]
        crate::__filter_world::wasmgate::plugin::kv::delete(key);
        #[cfg(not(target_arch = "wasm32"))]
        crate::testing::state::kv_delete(key);
    }
}

/// Time. (A component has no other clock: WASI is not linked.)
pub mod clock {
    /// Milliseconds since the Unix epoch.
    pub fn now_ms() -> u64 {
        #[cfg(target_arch = "wasm32")]
        return crate::__filter_world::wasmgate::plugin::clock::now_ms();
        #[cfg(not(target_arch = "wasm32"))]
        return crate::testing::state::now_ms();
    }

    /// Seconds since the Unix epoch.
    pub fn now_secs() -> u64 {
        now_ms() / 1000
    }
}
