//! [`body_size_hint!`](crate::body_size_hint): how long a request's upstream
//! body will be, so that it is written into one buffer of about that size.
//!
//! A buffer that grows by doubling holds the old and the new copy at once,
//! and the guest's memory keeps what it grew to: a 15 MB image (under the
//! gateway's 20 MiB body limit) then took a plugin past its 64 MiB cap.

/// Write, in a plugin, `fn body_size_hint(req: &Request) -> usize`: the
/// bytes of every string the request carries (texts, image data, tool
/// arguments and results, schemas, `extra`), plus room for the JSON
/// around them. The argument is the module of the plugin's generated types.
///
/// ```text
/// wasmgate_wire::body_size_hint!(crate::types);
/// let body = splice::to_vec_sized(&body, body_size_hint(&req))?;
/// ```
#[macro_export]
macro_rules! body_size_hint {
    ($($types:ident)::+) => {
        /// About how many bytes the request's upstream body takes.
        fn body_size_hint(req: &$($types)::+::Request) -> usize {
            use $($types)::+::{ContentPart, ImageSource, ToolResultPart};
            fn opt(text: &Option<String>) -> usize {
                text.as_ref().map_or(0, String::len)
            }
            fn image(source: &ImageSource) -> usize {
                match source {
                    ImageSource::Base64(data) | ImageSource::Url(data) => data.len(),
                }
            }
            let mut bytes = req.model.len() + opt(&req.extra) + 4096;
            for tool in &req.tools {
                bytes += 64 + tool.name.len() + opt(&tool.description) + tool.parameters.len();
            }
            for message in &req.messages {
                bytes += 64 + opt(&message.name) + opt(&message.extra);
                for part in &message.content {
                    bytes += 64 + match part {
                        ContentPart::Text(text) => text.len(),
                        ContentPart::Image(img) => image(&img.source),
                        ContentPart::Thinking(t) => t.text.len() + opt(&t.signature),
                        ContentPart::ToolCall(call) => {
                            call.id.len() + call.name.len() + call.arguments.len()
                        }
                        ContentPart::ToolResult(result) => {
                            result.call_id.len()
                                + result
                                    .content
                                    .iter()
                                    .map(|part| match part {
                                        ToolResultPart::Text(text) => 64 + text.len(),
                                        ToolResultPart::Image(img) => 64 + image(&img.source),
                                    })
                                    .sum::<usize>()
                        }
                    };
                }
            }
            // Escapes (`\n`, `\"`) make text a little longer.
            bytes + bytes / 16
        }
    };
}
