//! A plugin's outbound HTTP request, checked and parsed once into the
//! `reqwest::Request` the host sends: the method, URL and headers are not
//! parsed a second time on the way out.

use reqwest::header::{HeaderName, HeaderValue};
use reqwest::{Method, Url};

use crate::canonical::HttpRequest;

/// Check `req` and turn it into a request the host can send. The error
/// says what is wrong, for the plugin's contract error or a denial.
pub fn parse(req: HttpRequest) -> Result<reqwest::Request, String> {
    let method = Method::from_bytes(req.method.as_bytes())
        .map_err(|_| format!("invalid HTTP method `{}`", req.method))?;
    let url = Url::parse(&req.url).map_err(|e| format!("invalid URL: {e}"))?;
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
