//! Builders and constructors for the canonical types, and JSON helpers for
//! tool arguments. The types are generated in this crate, so these are
//! plain inherent methods: `Response::text("hi")`, `Request::builder()`,
//! `StreamEvent::text("…")`, `Error::invalid_request("…")`.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::types::{
    ContentPart, Error, ErrorKind, FinishReason, HttpRequest, HttpResponse, Message, Request,
    RequestContext, Response, Role, Sampling, StreamEvent, StreamStart, ToolCall, ToolCallDelta,
    ToolCallStart, ToolDefinition, ToolResult, ToolResultPart, Usage,
};

/// The arguments of a tool call, deserialized into `T` (an `invalid-request`
/// error naming the tool when they do not fit). Empty arguments count as `{}`.
pub fn tool_args<T: DeserializeOwned>(call: &ToolCall) -> Result<T, Error> {
    let text = if call.arguments.trim().is_empty() {
        "{}"
    } else {
        &call.arguments
    };
    serde_json::from_str(text)
        .map_err(|e| Error::invalid_request(format!("arguments of tool call `{}`: {e}", call.name)))
}

/// `value` as tool-call argument text (JSON; `{}` if it cannot be encoded).
pub fn to_args<T: Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "{}".into())
}

impl Error {
    /// An error of `kind` with the usual HTTP status for it and the usual
    /// retry hint (`rate-limit`, `overloaded`, `timeout` and `upstream` are
    /// retryable).
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        let (status, retryable) = match kind {
            ErrorKind::InvalidRequest | ErrorKind::ContextLength | ErrorKind::ContentFilter => {
                (400, false)
            }
            ErrorKind::Authentication => (401, false),
            ErrorKind::Permission => (403, false),
            ErrorKind::NotFound => (404, false),
            ErrorKind::RateLimit => (429, true),
            ErrorKind::Overloaded => (503, true),
            ErrorKind::Timeout => (504, true),
            ErrorKind::Upstream => (502, true),
            ErrorKind::Plugin | ErrorKind::Internal => (500, false),
        };
        Error {
            kind,
            message: message.into(),
            status,
            retryable,
        }
    }

    /// 400: the client's request is wrong (or the plugin refuses it).
    pub fn invalid_request(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::InvalidRequest, message)
    }

    /// 401: missing or bad credentials.
    pub fn authentication(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Authentication, message)
    }

    /// 403: not allowed.
    pub fn permission(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Permission, message)
    }

    /// 404: no such model or resource.
    pub fn not_found(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::NotFound, message)
    }

    /// 429, retryable.
    pub fn rate_limit(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::RateLimit, message)
    }

    /// 503, retryable.
    pub fn overloaded(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Overloaded, message)
    }

    /// 504, retryable.
    pub fn timeout(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Timeout, message)
    }

    /// 400: the prompt is too long for the model.
    pub fn context_length(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::ContextLength, message)
    }

    /// 400: blocked by a content policy.
    pub fn content_filter(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::ContentFilter, message)
    }

    /// 502, retryable: the upstream failed.
    pub fn upstream(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Upstream, message)
    }

    /// 500: the plugin itself is broken.
    pub fn plugin(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Plugin, message)
    }

    /// 500: something unexpected.
    pub fn internal(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Internal, message)
    }

    /// The same error with HTTP status `status`.
    pub fn with_status(mut self, status: u16) -> Error {
        self.status = status;
        self
    }

    /// The same error with the retry hint set to `retryable`.
    pub fn with_retryable(mut self, retryable: bool) -> Error {
        self.retryable = retryable;
        self
    }
}

impl ContentPart {
    /// A text part.
    pub fn text(text: impl Into<String>) -> ContentPart {
        ContentPart::Text(text.into())
    }

    /// The text of a text part.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            ContentPart::Text(t) => Some(t),
            _ => None,
        }
    }
}

/// The text parts of `content`, joined.
fn joined_text(content: &[ContentPart]) -> String {
    content.iter().filter_map(ContentPart::as_text).collect()
}

impl Message {
    /// A message of `role` with `content`.
    pub fn new(role: Role, content: Vec<ContentPart>) -> Message {
        Message {
            role,
            content,
            name: None,
            extra: None,
        }
    }

    /// A system message with one text part.
    pub fn system(text: impl Into<String>) -> Message {
        Message::new(Role::System, vec![ContentPart::text(text)])
    }

    /// A user message with one text part.
    pub fn user(text: impl Into<String>) -> Message {
        Message::new(Role::User, vec![ContentPart::text(text)])
    }

    /// An assistant message with one text part.
    pub fn assistant(text: impl Into<String>) -> Message {
        Message::new(Role::Assistant, vec![ContentPart::text(text)])
    }

    /// A tool message carrying a text result for the call `call_id`.
    pub fn tool_result(call_id: impl Into<String>, text: impl Into<String>) -> Message {
        Message::new(
            Role::Tool,
            vec![ContentPart::ToolResult(ToolResult {
                call_id: call_id.into(),
                content: vec![ToolResultPart::Text(text.into())],
                is_error: false,
            })],
        )
    }

    /// The message's text parts, joined.
    pub fn text(&self) -> String {
        joined_text(&self.content)
    }
}

impl Sampling {
    /// No sampling parameters: upstream defaults.
    pub fn none() -> Sampling {
        Sampling {
            max_tokens: None,
            temperature: None,
            top_p: None,
            stop: Vec::new(),
            seed: None,
        }
    }
}

impl Request {
    /// A builder for a request (model `""`, no messages, not streamed).
    pub fn builder() -> RequestBuilder {
        RequestBuilder {
            req: Request {
                model: String::new(),
                messages: Vec::new(),
                tools: Vec::new(),
                tool_choice: None,
                parallel_tool_calls: None,
                sampling: Sampling::none(),
                stream: false,
                reasoning: None,
                extra: None,
            },
        }
    }

    /// The text of the last user message, if any.
    pub fn last_user_text(&self) -> Option<String> {
        self.messages
            .iter()
            .rev()
            .find(|m| m.role == Role::User)
            .map(Message::text)
    }

    /// Put a system message in front of the conversation.
    pub fn prepend_system(&mut self, text: impl Into<String>) {
        self.messages.insert(0, Message::system(text));
    }
}

/// Builds a [`Request`]: `Request::builder().model("m").user("hi").build()`.
#[derive(Debug, Clone)]
pub struct RequestBuilder {
    req: Request,
}

impl RequestBuilder {
    /// The model name.
    pub fn model(mut self, model: impl Into<String>) -> Self {
        self.req.model = model.into();
        self
    }

    /// Add a message.
    pub fn message(mut self, message: Message) -> Self {
        self.req.messages.push(message);
        self
    }

    /// Add a system message.
    pub fn system(self, text: impl Into<String>) -> Self {
        self.message(Message::system(text))
    }

    /// Add a user message.
    pub fn user(self, text: impl Into<String>) -> Self {
        self.message(Message::user(text))
    }

    /// Add an assistant message.
    pub fn assistant(self, text: impl Into<String>) -> Self {
        self.message(Message::assistant(text))
    }

    /// Offer a tool; `parameters` is its JSON Schema.
    pub fn tool(
        mut self,
        name: impl Into<String>,
        description: impl Into<String>,
        parameters: serde_json::Value,
    ) -> Self {
        self.req.tools.push(ToolDefinition {
            name: name.into(),
            description: Some(description.into()),
            parameters: parameters.to_string(),
            extra: None,
        });
        self
    }

    /// Ask for a streamed answer.
    pub fn stream(mut self, stream: bool) -> Self {
        self.req.stream = stream;
        self
    }

    /// Cap the answer's tokens.
    pub fn max_tokens(mut self, max_tokens: u32) -> Self {
        self.req.sampling.max_tokens = Some(max_tokens);
        self
    }

    /// Sampling temperature.
    pub fn temperature(mut self, temperature: f32) -> Self {
        self.req.sampling.temperature = Some(temperature);
        self
    }

    /// Wire fields with no canonical home (a JSON object).
    pub fn extra(mut self, extra: serde_json::Value) -> Self {
        self.req.extra = Some(extra.to_string());
        self
    }

    /// The request.
    pub fn build(self) -> Request {
        self.req
    }
}

impl Response {
    /// A complete answer holding `text`, finished with `stop` (id `resp`,
    /// model `""`: set them with [`Response::with_model`] and [`Response::with_id`]).
    pub fn text(text: impl Into<String>) -> Response {
        Response {
            id: "resp".into(),
            model: String::new(),
            created: None,
            content: vec![ContentPart::text(text)],
            finish_reason: Some(FinishReason::Stop),
            usage: None,
            extra: None,
        }
    }

    /// The same answer with `model`.
    pub fn with_model(mut self, model: impl Into<String>) -> Response {
        self.model = model.into();
        self
    }

    /// The same answer with `id`.
    pub fn with_id(mut self, id: impl Into<String>) -> Response {
        self.id = id.into();
        self
    }

    /// The same answer with token usage.
    pub fn with_usage(mut self, input_tokens: u64, output_tokens: u64) -> Response {
        self.usage = Some(Usage::new(input_tokens, output_tokens));
        self
    }

    /// The answer's text parts, joined.
    pub fn text_content(&self) -> String {
        joined_text(&self.content)
    }

    /// Rewrite every text part.
    pub fn map_text(&mut self, mut f: impl FnMut(&str) -> String) {
        for part in &mut self.content {
            if let ContentPart::Text(t) = part {
                *t = f(t);
            }
        }
    }

    /// Append `text` to the last text part (or add a text part).
    pub fn append_text(&mut self, text: &str) {
        let last = self.content.iter_mut().rev().find_map(|p| match p {
            ContentPart::Text(t) => Some(t),
            _ => None,
        });
        match last {
            Some(t) => t.push_str(text),
            None => self.content.push(ContentPart::text(text)),
        }
    }

    /// The tool calls in the answer.
    pub fn tool_calls(&self) -> impl Iterator<Item = &ToolCall> {
        self.content.iter().filter_map(|p| match p {
            ContentPart::ToolCall(c) => Some(c),
            _ => None,
        })
    }
}

impl Usage {
    /// Input and output token counts, nothing else.
    pub fn new(input_tokens: u64, output_tokens: u64) -> Usage {
        Usage {
            input_tokens,
            output_tokens,
            cached_input_tokens: None,
            cache_write_tokens: None,
            reasoning_tokens: None,
        }
    }
}

impl ToolCall {
    /// A tool call with `args` encoded as its arguments.
    pub fn new<T: Serialize + ?Sized>(
        id: impl Into<String>,
        name: impl Into<String>,
        args: &T,
    ) -> ToolCall {
        ToolCall {
            id: id.into(),
            name: name.into(),
            arguments: to_args(args),
        }
    }

    /// The arguments deserialized into `T` (see [`tool_args`]).
    pub fn args<T: DeserializeOwned>(&self) -> Result<T, Error> {
        tool_args(self)
    }
}

impl StreamEvent {
    /// The first event of a stream.
    pub fn start(id: impl Into<String>, model: impl Into<String>) -> StreamEvent {
        StreamEvent::Start(StreamStart {
            id: id.into(),
            model: model.into(),
            created: None,
            extra: None,
        })
    }

    /// A piece of answer text.
    pub fn text(text: impl Into<String>) -> StreamEvent {
        StreamEvent::TextDelta(text.into())
    }

    /// A tool call begins at `index`.
    pub fn tool_call_start(
        index: u32,
        id: impl Into<String>,
        name: impl Into<String>,
    ) -> StreamEvent {
        StreamEvent::ToolCallStart(ToolCallStart {
            index,
            id: id.into(),
            name: name.into(),
        })
    }

    /// More argument text for the tool call at `index`.
    pub fn tool_call_delta(index: u32, arguments: impl Into<String>) -> StreamEvent {
        StreamEvent::ToolCallDelta(ToolCallDelta {
            index,
            arguments: arguments.into(),
        })
    }

    /// Token usage.
    pub fn usage(input_tokens: u64, output_tokens: u64) -> StreamEvent {
        StreamEvent::Usage(Usage::new(input_tokens, output_tokens))
    }

    /// The end of the answer, with `stop`.
    pub fn stop() -> StreamEvent {
        StreamEvent::Finish(FinishReason::Stop)
    }

    /// The end of the answer, with `reason`.
    pub fn finish(reason: FinishReason) -> StreamEvent {
        StreamEvent::Finish(reason)
    }

    /// An error that ends the stream.
    pub fn error(error: Error) -> StreamEvent {
        StreamEvent::Error(error)
    }

    /// The text of a text delta.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            StreamEvent::TextDelta(t) => Some(t),
            _ => None,
        }
    }

    /// True for `finish`.
    pub fn is_finish(&self) -> bool {
        matches!(self, StreamEvent::Finish(_))
    }
}

impl RequestContext {
    /// A context (for tests and local answers).
    pub fn new(
        request_id: impl Into<String>,
        frontend: impl Into<String>,
        requested_model: impl Into<String>,
    ) -> RequestContext {
        RequestContext {
            request_id: request_id.into(),
            frontend: frontend.into(),
            requested_model: requested_model.into(),
        }
    }
}

impl HttpRequest {
    /// A `POST` of `body` as JSON to `url`.
    pub fn post_json<T: Serialize + ?Sized>(url: impl Into<String>, body: &T) -> HttpRequest {
        HttpRequest {
            method: "POST".into(),
            url: url.into(),
            headers: vec![("content-type".into(), "application/json".into())],
            body: serde_json::to_vec(body).unwrap_or_default(),
        }
    }

    /// The same request with one more header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> HttpRequest {
        self.headers.push((name.into(), value.into()));
        self
    }
}

impl HttpResponse {
    /// A response of `status` with `body` as JSON.
    pub fn json<T: Serialize + ?Sized>(status: u16, body: &T) -> HttpResponse {
        HttpResponse {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: serde_json::to_vec(body).unwrap_or_default(),
        }
    }

    /// The body parsed as JSON into `T` (an `upstream` error when it is not).
    pub fn body_json<T: DeserializeOwned>(&self) -> Result<T, Error> {
        serde_json::from_slice(&self.body).map_err(|e| {
            Error::upstream(format!("the upstream body is not the expected JSON: {e}"))
        })
    }

    /// True for a 2xx status.
    pub fn is_success(&self) -> bool {
        (200..=299).contains(&self.status)
    }
}
