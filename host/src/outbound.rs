//! A plugin's outbound HTTP request, checked and parsed once into the
//! `reqwest::Request` the host sends: the method, URL and headers are not
//! parsed a second time on the way out.

use std::cell::RefCell;

use reqwest::header::{HeaderName, HeaderValue};
use reqwest::{Method, Url};

use crate::canonical::HttpRequest;

/// Check `req` and turn it into a request the host can send. The error
/// says what is wrong, for the plugin's contract error or a denial.
pub fn parse(req: HttpRequest) -> Result<reqwest::Request, String> {
    let method = Method::from_bytes(req.method.as_bytes())
        .map_err(|_| format!("invalid HTTP method `{}`", req.method))?;
    let url = parse_url(&req.url)?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("URL scheme `{}` is not http(s)", url.scheme()));
    }
    let mut out = reqwest::Request::new(method, url);
    let headers = out.headers_mut();
    headers.reserve(req.headers.len());
    for (name, value) in &req.headers {
        let header = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("invalid header name `{name}`"))?;
        let value = HeaderValue::from_str(value)
            .map_err(|_| format!("invalid value for header `{name}`"))?;
        headers.append(header, value);
    }
    *out.body_mut() = Some(req.body.into());
    Ok(out)
}

/// `text` as a URL. The last URL parsed on this thread is kept: a gateway
/// sends most requests to a few upstream URLs, and a clone costs a small
/// part of a parse (the host name goes through IDNA mapping on every parse).
/// Only a URL whose serialization is `text` itself is reused, and parsing
/// a URL's serialization gives that URL back, so the answer is the parse's.
fn parse_url(text: &str) -> Result<Url, String> {
    thread_local! {
        static LAST: RefCell<Option<Url>> = const { RefCell::new(None) };
    }
    LAST.with(|last| {
        let mut last = last.borrow_mut();
        if let Some(url) = last.as_ref().filter(|url| url.as_str() == text) {
            return Ok(url.clone());
        }
        let url = Url::parse(text).map_err(|e| format!("invalid URL: {e}"))?;
        *last = Some(url.clone());
        Ok(url)
    })
}

#[cfg(test)]
mod tests {
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

    #[test]
    fn keeps_method_url_headers_and_body() -> Result<(), String> {
        let out = parse(request(
            "POST",
            "https://api.example.com/v1/chat/completions?x=1",
            &[("authorization", "Bearer k"), ("x-a", "1"), ("x-a", "2")],
        ))?;
        assert_eq!(out.method(), Method::POST);
        assert_eq!(
            out.url().as_str(),
            "https://api.example.com/v1/chat/completions?x=1"
        );
        let values: Vec<_> = out.headers().get_all("x-a").iter().collect();
        assert_eq!(values, ["1", "2"], "repeated headers are all kept");
        assert_eq!(
            out.headers().get("authorization").map(|v| v.as_bytes()),
            Some(&b"Bearer k"[..])
        );
        assert_eq!(
            out.body().and_then(reqwest::Body::as_bytes),
            Some(&b"{}"[..])
        );
        Ok(())
    }

    #[test]
    fn a_reused_url_is_the_one_a_parse_gives() -> Result<(), String> {
        for text in [
            "http://127.0.0.1:9000/v1/chat/completions",
            "HTTPS://API.Example.COM:443/v1/../v1/chat/completions",
            "http://127.0.0.1:9000/v1/chat/completions",
            "https://api.example.com/v1/chat/completions",
            "https://api.example.com/v1/chat/completions",
        ] {
            for _ in 0..2 {
                assert_eq!(
                    parse_url(text)?,
                    Url::parse(text).map_err(|e| e.to_string())?
                );
            }
        }
        assert!(parse_url("not a url").is_err());
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
