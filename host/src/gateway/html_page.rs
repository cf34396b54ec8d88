//! An upstream that answers with a web page: a base URL that points at a
//! web server, a sign-in page or a proxy's error page rather than at the
//! API. The page is no answer and no API error, and passed on as an error
//! message it would bury the cause in markup; the client is told what
//! happened instead.

use axum::http::StatusCode;

use crate::api_error::ApiError;
use crate::canonical::ErrorKind;

/// The longest page title quoted in the error.
const MAX_TITLE: usize = 80;

/// The error for an upstream `name` that answered `status` with `page`
/// (HTML): the upstream's status, or 502 for a success.
pub fn error(name: &str, status: u16, page: &[u8]) -> ApiError {
    let code = StatusCode::from_u16(status)
        .ok()
        .filter(|s| s.is_client_error() || s.is_server_error())
        .unwrap_or(StatusCode::BAD_GATEWAY);
    let title = title(page).map_or(String::new(), |t| format!(" (\"{t}\")"));
    ApiError::new(
        code,
        ErrorKind::Upstream,
        format!(
            "upstream `{name}` answered {status} with a web page{title}, not an API answer: \
             check its base_url"
        ),
    )
    .with_code("upstream_error")
}

/// The text of the page's `<title>`, shortened.
fn title(page: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(page);
    let lower = text.to_ascii_lowercase();
    let start = lower.find("<title")?;
    let open_end = start + lower[start..].find('>')? + 1;
    let close = open_end + lower[open_end..].find("</title")?;
    let title: String = text
        .get(open_end..close)?
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if title.is_empty() {
        return None;
    }
    Some(match title.char_indices().nth(MAX_TITLE) {
        Some((cut, _)) => format!("{}…", &title[..cut]),
        None => title,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_is_named_by_its_title() {
        let page = b"<!DOCTYPE html><HTML><head><Title lang=en>\n  404 Not   Found </title></head><body>x</body></html>";
        let error = error("local", 404, page);
        assert_eq!(error.status, StatusCode::NOT_FOUND);
        assert_eq!(
            error.message,
            "upstream `local` answered 404 with a web page (\"404 Not Found\"), not an API answer: check its base_url"
        );
        assert_eq!(
            super::error("u", 200, b"<p>hi</p>").status,
            StatusCode::BAD_GATEWAY
        );
        assert!(!super::error("u", 200, b"<p>hi</p>").message.contains('('));
        let long = format!("<title>{}</title>", "é".repeat(200));
        assert_eq!(title(long.as_bytes()).map(|t| t.chars().count()), Some(81));
        assert_eq!(title(b"<title></title>"), None);
    }
}
