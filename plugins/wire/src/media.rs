//! Files that ride in the canonical image part: a PDF or a text file is an
//! image part whose media type is not `image/…`. Wires that send files
//! differently from images (Chat `file`, Responses `input_file`) tell them
//! apart here.

/// The media type of a part: the one it declares, else the one its
/// `data:` URL names.
pub fn media_type<'a>(declared: Option<&'a str>, url: Option<&'a str>) -> Option<&'a str> {
    declared.or_else(|| {
        let meta = url?.strip_prefix("data:")?.split_once(',')?.0;
        let media = meta.strip_suffix(";base64").unwrap_or(meta);
        (!media.is_empty()).then_some(media)
    })
}

/// Whether a part of `media_type` is a file rather than an image. A part
/// with no media type is an image, as it always was.
pub fn is_file(media_type: Option<&str>) -> bool {
    media_type.is_some_and(|m| !m.trim().to_ascii_lowercase().starts_with("image/"))
}

/// A file name for a file of `media_type`, for wires that want one
/// (`document.pdf`).
pub fn file_name(media_type: &str) -> String {
    let extension = match media_type.trim().to_ascii_lowercase().as_str() {
        "application/pdf" => "pdf",
        "text/plain" => "txt",
        "text/markdown" => "md",
        "text/csv" => "csv",
        "text/html" => "html",
        "application/json" => "json",
        _ => return "document".to_string(),
    };
    format!("document.{extension}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_parts_with_a_media_type_that_is_not_an_image() {
        assert_eq!(
            media_type(Some("application/pdf"), None),
            Some("application/pdf")
        );
        assert_eq!(
            media_type(None, Some("data:application/pdf;base64,JVBERi0=")),
            Some("application/pdf")
        );
        assert_eq!(media_type(None, Some("data:;base64,AAAA")), None);
        assert_eq!(media_type(None, Some("https://x/doc.pdf")), None);
        assert!(is_file(Some("application/pdf")));
        assert!(is_file(Some("text/plain")));
        assert!(!is_file(Some("image/png")));
        assert!(!is_file(Some("IMAGE/JPEG")));
        assert!(!is_file(None));
        assert_eq!(file_name("application/pdf"), "document.pdf");
        assert_eq!(file_name("video/mp4"), "document");
    }
}
