//! Images and files sent as URLs, `data:` URLs or base64, and the media
//! type of a file from its name: shared by the front-ends whose wires send
//! files (Responses `input_file`, Chat `file`).

use crate::canonical::{Image, ImageSource};

/// A `data:` URL becomes base64 with its media type, plain base64 (file
/// data may come without the prefix) stays base64, a URL stays a URL.
pub fn media_from_url(url: &str, media_type: Option<&str>, detail: Option<String>) -> Image {
    if let Some(rest) = url.strip_prefix("data:")
        && let Some((meta, data)) = rest.split_once(',')
        && let Some(declared) = meta.strip_suffix(";base64")
    {
        let declared = (!declared.is_empty()).then_some(declared);
        return Image {
            source: ImageSource::Base64(data.to_string()),
            media_type: declared.or(media_type).map(str::to_string),
            detail,
        };
    }
    let is_url = url.contains("://");
    Image {
        source: if is_url {
            ImageSource::Url(url.to_string())
        } else {
            ImageSource::Base64(url.to_string())
        },
        media_type: media_type.map(str::to_string),
        detail,
    }
}

/// A media type from a file name, for files sent without one.
pub fn media_type_of(filename: &str) -> Option<&'static str> {
    let ext = filename.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match ext.as_str() {
        "pdf" => "application/pdf",
        "txt" => "text/plain",
        "md" => "text/markdown",
        "csv" => "text/csv",
        "json" => "application/json",
        "html" | "htm" => "text/html",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        _ => return None,
    })
}
