//! Thought signatures on the Gemini wire.
//!
//! Gemini clients decode `thoughtSignature` as base64 bytes and encode them
//! again when they replay a turn (the google-genai SDK rejects anything
//! else, and re-pads what it accepts). Signatures from other providers are
//! opaque strings that need not be canonical base64 (OpenAI's
//! `encrypted_content` is URL-safe base64), so such a signature is wrapped
//! as standard base64 of `wasmgate-sig:` + the signature on the way out and
//! unwrapped when the client sends it back: every signature survives the
//! round trip byte for byte.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// What marks a wrapped signature inside its base64.
const WRAPPED: &[u8] = b"wasmgate-sig:";

/// The `thoughtSignature` to send a Gemini client for `signature`.
pub fn to_wire(signature: &str) -> String {
    let canonical = STANDARD
        .decode(signature)
        .is_ok_and(|bytes| STANDARD.encode(bytes) == signature);
    if canonical && !signature.is_empty() {
        return signature.to_owned();
    }
    let mut bytes = Vec::with_capacity(WRAPPED.len() + signature.len());
    bytes.extend_from_slice(WRAPPED);
    bytes.extend_from_slice(signature.as_bytes());
    STANDARD.encode(bytes)
}

/// The canonical signature for a `thoughtSignature` a Gemini client sent.
pub fn from_wire(wire: &str) -> String {
    STANDARD
        .decode(wire)
        .ok()
        .and_then(|bytes| {
            let inner = bytes.strip_prefix(WRAPPED)?;
            String::from_utf8(inner.to_vec()).ok()
        })
        .unwrap_or_else(|| wire.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_base64_passes_and_the_rest_round_trips() {
        assert_eq!(to_wire("c2lnLWdlbWluaS0x"), "c2lnLWdlbWluaS0x");
        for signature in ["sig-anthropic-1", "gAAAAABo-x_y", "c2lnLWFudGhyb3BpYy0", ""] {
            let wire = to_wire(signature);
            assert!(STANDARD.decode(&wire).is_ok(), "{wire}");
            assert_eq!(from_wire(&wire), signature);
        }
        assert_eq!(from_wire("c2lnLWdlbWluaS0x"), "c2lnLWdlbWluaS0x");
        assert_eq!(from_wire("not base64!"), "not base64!");
    }
}
