//! The `$headers` reserved key: HTTP headers a client sent that the
//! upstream needs (docs/canonical.md), filtered so that nothing unsafe is
//! forwarded.

use serde_json::{Map, Value};

use crate::extra::HEADERS_KEY;

/// Header names never taken from `$headers`: credentials of any provider,
/// and headers the plugins or the HTTP layer own.
const BLOCKED: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "x-api-key",
    "api-key",
    "x-goog-api-key",
    "cookie",
    "set-cookie",
    "host",
    "content-type",
    "content-length",
    "accept",
    "accept-encoding",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "upgrade",
    "te",
    "trailer",
    "expect",
];

/// The `$headers` of a reserved-key map (see
/// [`crate::extra::take_reserved`]) as `(lower-case name, value)` pairs,
/// in name order. An entry is skipped unless its name is an HTTP token, its
/// value a string of visible ASCII, spaces and tabs, and the header not one
/// of the credentials and framing headers in the block list.
pub fn passthrough(reserved: &Map<String, Value>) -> Vec<(String, String)> {
    let Some(Value::Object(headers)) = reserved.get(HEADERS_KEY) else {
        return Vec::new();
    };
    headers
        .iter()
        .filter_map(|(name, value)| {
            let name = name.to_ascii_lowercase();
            let value = value.as_str()?;
            (is_token(&name) && is_clean_value(value) && !BLOCKED.contains(&name.as_str()))
                .then(|| (name, value.to_string()))
        })
        .collect()
}

/// True for a non-empty HTTP token (RFC 9110 `tchar`s).
fn is_token(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// True when a header value holds only tabs and printable ASCII: no line
/// breaks, NULs or other control bytes, nothing outside ASCII.
fn is_clean_value(value: &str) -> bool {
    value
        .bytes()
        .all(|b| b == b'\t' || (b' '..=b'~').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn reserved(headers: Value) -> Map<String, Value> {
        let mut map = Map::new();
        map.insert(HEADERS_KEY.to_string(), headers);
        map
    }

    #[test]
    fn safe_headers_are_kept_lower_cased() {
        let got = passthrough(&reserved(json!({
            "Anthropic-Beta": "a,b",
            "OpenAI-Beta": "responses=v1",
            "X-Goog-User-Project": "p1",
            "x-tab": "a\tb",
        })));
        assert_eq!(
            got,
            vec![
                ("anthropic-beta".to_string(), "a,b".to_string()),
                ("openai-beta".to_string(), "responses=v1".to_string()),
                ("x-goog-user-project".to_string(), "p1".to_string()),
                ("x-tab".to_string(), "a\tb".to_string()),
            ]
        );
    }

    #[test]
    fn credentials_and_bad_headers_are_never_forwarded() {
        let got = passthrough(&reserved(json!({
            "Authorization": "Bearer client",
            "proxy-authorization": "p",
            "x-api-key": "k",
            "api-key": "k",
            "x-goog-api-key": "k",
            "Cookie": "c",
            "content-type": "text/plain",
            "accept": "text/plain",
            "te": "trailers",
            "expect": "100-continue",
            "bad name": "v",
            " x-space": "v",
            "": "v",
            "x-num": 3,
            "x-obj": {},
            "x-inject": "a\r\nb: c",
            "x-nul": "a\u{0}b",
            "x-del": "a\u{7f}b",
            "x-utf8": "h\u{e9}",
            "x-ok": "yes",
        })));
        assert_eq!(got, vec![("x-ok".to_string(), "yes".to_string())]);
    }

    #[test]
    fn missing_or_odd_headers_give_nothing() {
        assert!(passthrough(&Map::new()).is_empty());
        assert!(passthrough(&reserved(json!("x"))).is_empty());
        assert!(passthrough(&reserved(json!([["a", "b"]]))).is_empty());
    }
}
