//! A plugin's outbound HTTP request, checked and parsed once into the
//! request the host sends (`crate::http_client`): the method, URL and
//! headers are not parsed a second time on the way out.

use std::cell::RefCell;

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue};
use http::{Method, Uri};
use http_body_util::Full;

use crate::canonical::HttpRequest;
use crate::http_client::OutRequest;

/// Check `req` and turn it into a request the host can send. The error
/// says what is wrong, for the plugin's contract error or a denial.
pub fn parse(req: HttpRequest) -> Result<OutRequest, String> {
    let method = Method::from_bytes(req.method.as_bytes())
        .map_err(|_| format!("invalid HTTP method `{}`", req.method))?;
    let uri = parse_uri(&req.url)?;
    let mut out = OutRequest::new(Full::new(Bytes::from(req.body)));
    *out.method_mut() = method;
    *out.uri_mut() = uri;
    let headers = out.headers_mut();
    headers.reserve(req.headers.len());
    for (name, value) in &req.headers {
        let header = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("invalid header name `{name}`"))?;
        let value = HeaderValue::from_str(value)
            .map_err(|_| format!("invalid value for header `{name}`"))?;
        headers.append(header, value);
    }
    Ok(out)
}

/// `text` as the URI to send to: parsed and normalised by the URL
/// standard's rules (as browsers and curl read URLs), `http` or `https`
/// only, without a fragment. The last URL parsed on this thread is kept: a
/// gateway sends most requests to a few upstream URLs, and a clone costs a
/// small part of a parse (the host name goes through IDNA mapping on every
/// parse).
fn parse_uri(text: &str) -> Result<Uri, String> {
    thread_local! {
        static LAST: RefCell<Option<(String, Uri)>> = const { RefCell::new(None) };
    }
    LAST.with(|last| {
        let mut last = last.borrow_mut();
        if let Some((_, uri)) = last.as_ref().filter(|(seen, _)| seen == text) {
            return Ok(uri.clone());
        }
        let mut url = url::Url::parse(text).map_err(|e| format!("invalid URL: {e}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("URL scheme `{}` is not http(s)", url.scheme()));
        }
        url.set_fragment(None);
        let uri: Uri = url
            .as_str()
            .parse()
            .map_err(|e| format!("invalid URL: {e}"))?;
        *last = Some((text.to_string(), uri.clone()));
        Ok(uri)
    })
}

#[cfg(test)]
mod tests {
    use http_body_util::BodyExt;

    use super::*;

    fn request(method: &str, url: &str, headers: &[(&str, &str)]) -> HttpRequest {
        HttpRequest {
            method: method.into(),
            url: url.into(),
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: b"{}".to_vec(),
        }
    }

    #[tokio::test]
    async fn keeps_method_url_headers_and_body() -> Result<(), String> {
        let out = parse(request(
            "POST",
            "https://api.example.com/v1/chat/completions?x=1#part",
            &[("authorization", "Bearer k"), ("x-a", "1"), ("x-a", "2")],
        ))?;
        assert_eq!(out.method(), Method::POST);
        assert_eq!(
            out.uri().to_string(),
            "https://api.example.com/v1/chat/completions?x=1"
        );
        let values: Vec<_> = out.headers().get_all("x-a").iter().collect();
        assert_eq!(values, ["1", "2"], "repeated headers are all kept");
        assert_eq!(
            out.headers().get("authorization").map(|v| v.as_bytes()),
            Some(&b"Bearer k"[..])
        );
        let body = out
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        assert_eq!(&body[..], b"{}");
        Ok(())
    }

    #[test]
    fn a_reused_url_is_the_one_a_parse_gives() -> Result<(), String> {
        for (text, normal) in [
            (
                "http://127.0.0.1:9000/v1/chat/completions",
                "http://127.0.0.1:9000/v1/chat/completions",
            ),
            (
                "HTTPS://API.Example.COM:443/v1/../v1/chat/completions",
                "https://api.example.com/v1/chat/completions",
            ),
            (
                "http://127.0.0.1:9000/v1/chat/completions",
                "http://127.0.0.1:9000/v1/chat/completions",
            ),
            (
                "https://api.example.com/v1/chat/completions",
                "https://api.example.com/v1/chat/completions",
            ),
            (
                "https://api.example.com/v1/chat/completions",
                "https://api.example.com/v1/chat/completions",
            ),
        ] {
            for _ in 0..2 {
                assert_eq!(parse_uri(text)?.to_string(), normal);
            }
        }
        assert!(parse_uri("not a url").is_err());
        Ok(())
    }

    #[test]
    fn refuses_what_cannot_be_sent() {
        let says = |req: HttpRequest| parse(req).err().unwrap_or_default();
        assert!(says(request("POST", "file:///etc/passwd", &[])).contains("scheme `file`"));
        assert!(says(request("POST", "not a url", &[])).contains("invalid URL"));
        assert!(says(request("GE T", "http://h/", &[])).contains("invalid HTTP method"));
        assert!(says(request("GET", "http://h/", &[("bad name", "v")])).contains("header name"));
        assert!(
            says(request("GET", "http://h/", &[("x", "a\nb")])).contains("value for header `x`")
        );
    }
}
