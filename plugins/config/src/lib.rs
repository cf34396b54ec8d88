//! A plugin's config, read and parsed once per instance.
//!
//! An instance's config never changes (a new config gets new instances), and
//! the host may keep an instance for later requests (the `reuse`
//! capability), so a plugin reads its config text through the host's
//! `config` import and parses it on first use, then keeps the result:
//! [`ConfigCell`]. [`config_loader!`] writes the plugin's `load_config` and
//! `broken_config` around it, in terms of the plugin's own generated error
//! types (each plugin generates its own bindings).

#![warn(missing_docs)]
#![deny(clippy::unwrap_used, clippy::expect_used)]
#![cfg_attr(not(test), deny(clippy::panic))]

use std::cell::OnceCell;
use std::rc::Rc;

/// A config parsed on first use and kept: the parsed value, or the parse
/// error's message (a config that fails once fails the same way again).
#[derive(Debug)]
pub struct ConfigCell<T> {
    parsed: OnceCell<Result<Rc<T>, String>>,
}

impl<T> ConfigCell<T> {
    /// An empty cell, for a `thread_local!` (`const { ConfigCell::new() }`).
    pub const fn new() -> Self {
        Self {
            parsed: OnceCell::new(),
        }
    }

    /// The parsed config: on first use `read` fetches the text and `parse`
    /// parses it; later calls return what the first one got.
    pub fn get(
        &self,
        read: impl FnOnce() -> String,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<Rc<T>, String> {
        self.parsed
            .get_or_init(|| parse(&read()).map(Rc::new))
            .clone()
    }
}

impl<T> Default for ConfigCell<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// Write, in a plugin's crate root, its config cache and two functions:
///
/// - `load_config() -> Result<Rc<Config>, Error>`: the parsed config, read
///   through the host's `config` import and parsed with `parse` once per
///   instance; a config that does not parse is an `invalid-request` error
///   (400), which is what `init` should answer when the plugin is loaded;
/// - `broken_config(Error) -> Error`: the same error as the host's fault
///   (`plugin`, 500), for a hook that finds the config broken although
///   `init` accepted it.
///
/// It expects what every first-party plugin has at its crate root: the
/// `bindings` module wit-bindgen generated (for `bindings::wasmgate::plugin::config::get`),
/// and the WIT `Error` and `ErrorKind` types in scope.
///
/// ```text
/// wasmgate_config::config_loader!(config::Config, config::parse);
/// ```
#[macro_export]
macro_rules! config_loader {
    ($config:ty, $parse:path) => {
        ::std::thread_local! {
            /// The parsed config, kept for the life of the instance.
            static CONFIG: $crate::ConfigCell<$config> = const { $crate::ConfigCell::new() };
        }

        /// The plugin's config, read through the host's `config` import and
        /// parsed once per instance.
        fn load_config() -> ::core::result::Result<::std::rc::Rc<$config>, Error> {
            CONFIG
                .with(|cell| cell.get(bindings::wasmgate::plugin::config::get, $parse))
                .map_err(|message| Error {
                    kind: ErrorKind::InvalidRequest,
                    message,
                    status: 400,
                    retryable: false,
                })
        }

        /// A config that passed `init` but no longer parses is the host's
        /// fault.
        #[allow(dead_code)]
        fn broken_config(e: Error) -> Error {
            Error {
                kind: ErrorKind::Plugin,
                status: 500,
                ..e
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[test]
    fn the_config_is_read_and_parsed_once() {
        let cell = ConfigCell::<usize>::new();
        let reads = Cell::new(0);
        let read = || {
            reads.set(reads.get() + 1);
            "abc".to_string()
        };
        let parse = |text: &str| Ok::<_, String>(text.len());
        assert_eq!(cell.get(read, parse).as_deref(), Ok(&3));
        assert_eq!(cell.get(read, parse).as_deref(), Ok(&3));
        assert_eq!(reads.get(), 1);
    }

    #[test]
    fn a_broken_config_stays_broken() {
        let cell = ConfigCell::<usize>::new();
        let fail = |_: &str| Err::<usize, _>("bad config".to_string());
        assert_eq!(cell.get(String::new, fail), Err("bad config".into()));
        // A later parse that would succeed is not tried.
        assert_eq!(cell.get(String::new, |_| Ok(1)), Err("bad config".into()));
    }
}
