//! `escape` mode: try every way out of the sandbox and report the outcome.

use crate::types::{ContentPart, FinishReason, Response};

/// What one attempt gave: `denied: …` or `ALLOWED: …`.
fn outcome<T, E: std::fmt::Display>(result: Result<T, E>, what: impl Fn(T) -> String) -> String {
    match result {
        Ok(value) => format!("ALLOWED: {}", what(value)),
        Err(error) => format!("denied: {error}"),
    }
}

/// A response whose text is one `name=outcome` line per attempt.
pub fn report() -> Response {
    let file = outcome(std::fs::read_to_string("/etc/hostname"), |s| s);
    let dir = outcome(std::fs::read_dir("/"), |_| "listed /".to_string());
    let write = outcome(std::fs::write("/tmp/misbehave-escape", b"x"), |()| {
        "wrote /tmp".to_string()
    });
    let net = outcome(std::net::TcpStream::connect("127.0.0.1:80"), |_| {
        "connected".to_string()
    });
    let dns = outcome(
        std::net::ToSocketAddrs::to_socket_addrs("localhost:80"),
        |_| "resolved".to_string(),
    );
    let vars: Vec<String> = std::env::vars().map(|(k, _)| k).collect();
    let env = if vars.is_empty() {
        "denied: no variables".to_string()
    } else {
        format!("ALLOWED: {}", vars.join(","))
    };
    let text = format!("file={file}\ndir={dir}\nwrite={write}\nnet={net}\ndns={dns}\nenv={env}\n");
    Response {
        id: "misbehave-escape".into(),
        model: "misbehave".into(),
        created: None,
        content: vec![ContentPart::Text(text)],
        finish_reason: Some(FinishReason::Stop),
        usage: None,
        extra: None,
    }
}
