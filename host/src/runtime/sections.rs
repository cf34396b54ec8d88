//! Top-level custom sections of a Wasm binary: the few lines needed to read
//! and append them, shared by the host (reading plugin metadata) and
//! `build.rs` (stamping the bundled plugins).

/// A custom section (id 0) named `name` holding `payload`, ready to append
/// to a module or component (custom sections may come anywhere).
pub fn encode(name: &str, payload: &[u8]) -> Vec<u8> {
    let mut body = Vec::with_capacity(name.len() + payload.len() + 5);
    leb128(&mut body, name.len());
    body.extend_from_slice(name.as_bytes());
    body.extend_from_slice(payload);
    let mut section = vec![0u8];
    leb128(&mut section, body.len());
    section.extend_from_slice(&body);
    section
}

/// Every top-level custom section of `bytes` as `(name, payload)`, in order.
/// Malformed input yields what could be read before the damage.
pub fn read(bytes: &[u8]) -> Vec<(String, &[u8])> {
    let mut sections = Vec::new();
    // The 8-byte preamble: `\0asm` and the version / layer.
    let mut at = 8;
    if bytes.len() < at || &bytes[..4] != b"\0asm" {
        return sections;
    }
    while at < bytes.len() {
        let id = bytes[at];
        at += 1;
        let Some((size, used)) = read_leb128(&bytes[at..]) else {
            break;
        };
        at += used;
        let Some(body) = bytes.get(at..at.saturating_add(size)) else {
            break;
        };
        at += size;
        if id != 0 {
            continue;
        }
        let Some((len, used)) = read_leb128(body) else {
            continue;
        };
        if let Some(name) = body.get(used..used.saturating_add(len))
            && let Ok(name) = std::str::from_utf8(name)
        {
            sections.push((name.to_string(), &body[used + len..]));
        }
    }
    sections
}

fn leb128(out: &mut Vec<u8>, mut value: usize) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn read_leb128(bytes: &[u8]) -> Option<(usize, usize)> {
    let mut value = 0usize;
    for (i, &byte) in bytes.iter().enumerate().take(5) {
        value |= usize::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_after_a_preamble_and_other_sections() {
        let mut wasm = b"\0asm\x0d\x00\x01\x00".to_vec();
        // A non-custom section (id 1, 3 bytes) must be skipped.
        wasm.extend_from_slice(&[1, 3, 9, 9, 9]);
        wasm.extend(encode("version", b"1.2.3"));
        wasm.extend(encode("description", "x".repeat(300).as_bytes()));
        let read = read(&wasm);
        assert_eq!(read.len(), 2);
        assert_eq!(read[0], ("version".to_string(), &b"1.2.3"[..]));
        assert_eq!(read[1].1.len(), 300);
        // Truncated input: no panic, what came before is kept.
        assert_eq!(super::read(&wasm[..wasm.len() - 10]).len(), 1);
        assert!(super::read(b"garbage").is_empty());
    }
}
