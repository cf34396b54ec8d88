//! What an upstream HTTP status means: the status the client sees, whether
//! a retry may help, and the canonical error kind.

use crate::KindName;

/// The status a client should see for an upstream status: the status itself
/// when it is an error (`400..=599`, as the canonical contract wants), else
/// (1xx, 2xx, 3xx) 502, a bad gateway.
pub fn client_status(status: u16) -> u16 {
    if (400..=599).contains(&status) {
        status
    } else {
        502
    }
}

/// True when a request that failed with `status` may succeed if retried:
/// 408, 409, 429 and every 5xx.
pub fn is_retryable(status: u16) -> bool {
    matches!(status, 408 | 409 | 429) || (500..=599).contains(&status)
}

/// The canonical error kind for an upstream HTTP status. `too_long` says
/// whether the error's message (or code) says the prompt was too long for
/// the model, which makes a 400 or 422 a context-length error; a 413 always
/// is one.
pub fn kind_for_status(status: u16, too_long: bool) -> KindName {
    match status {
        413 => KindName::ContextLength,
        400 | 422 if too_long => KindName::ContextLength,
        401 => KindName::Authentication,
        403 => KindName::Permission,
        404 => KindName::NotFound,
        408 | 504 => KindName::Timeout,
        429 => KindName::RateLimit,
        503 | 529 => KindName::Overloaded,
        500..=599 => KindName::Upstream,
        _ => KindName::InvalidRequest,
    }
}

/// True when `message` contains any of `needles` (lower-case phrases),
/// ignoring ASCII case.
pub fn mentions_any(message: &str, needles: &[&str]) -> bool {
    let lower = message.to_ascii_lowercase();
    needles.iter().any(|needle| lower.contains(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_table() {
        let cases = [
            (400, KindName::InvalidRequest, false),
            (401, KindName::Authentication, false),
            (402, KindName::InvalidRequest, false),
            (403, KindName::Permission, false),
            (404, KindName::NotFound, false),
            (408, KindName::Timeout, true),
            (409, KindName::InvalidRequest, true),
            (413, KindName::ContextLength, false),
            (422, KindName::InvalidRequest, false),
            (429, KindName::RateLimit, true),
            (500, KindName::Upstream, true),
            (502, KindName::Upstream, true),
            (503, KindName::Overloaded, true),
            (504, KindName::Timeout, true),
            (529, KindName::Overloaded, true),
        ];
        for (status, kind, retryable) in cases {
            assert_eq!(
                (kind_for_status(status, false), is_retryable(status)),
                (kind, retryable),
                "status {status}"
            );
        }
    }

    #[test]
    fn too_long_only_changes_400_and_422() {
        assert_eq!(kind_for_status(400, true), KindName::ContextLength);
        assert_eq!(kind_for_status(422, true), KindName::ContextLength);
        assert_eq!(kind_for_status(413, true), KindName::ContextLength);
        assert_eq!(kind_for_status(401, true), KindName::Authentication);
        assert_eq!(kind_for_status(500, true), KindName::Upstream);
    }

    #[test]
    fn odd_statuses_become_bad_gateway() {
        assert_eq!(client_status(302), 502);
        assert_eq!(client_status(200), 502);
        assert_eq!(client_status(100), 502);
        assert_eq!(client_status(600), 502);
        assert_eq!(client_status(400), 400);
        assert_eq!(client_status(599), 599);
    }

    #[test]
    fn mentions_ignore_case() {
        let needles = &["maximum context", "context length"];
        assert!(mentions_any(
            "This model's Maximum Context is 8192",
            needles
        ));
        assert!(!mentions_any("rate limited", needles));
        assert!(!mentions_any("anything", &[]));
    }
}
