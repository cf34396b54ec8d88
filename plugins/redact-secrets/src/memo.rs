//! Texts already scanned and found clean, remembered per conversation.
//!
//! An agent sends the whole conversation again on every turn, so almost
//! every text in a request was scanned on an earlier turn. A text that
//! needed no change and held no placeholder is remembered by a 128-bit
//! digest, under a key derived from the config and the conversation's
//! opening texts, in the host key-value store; on later turns it is skipped
//! unscanned, so a turn costs a hash of the conversation plus a scan of what
//! is new. Only digests of clean texts are stored, never a text or a secret,
//! and a digest is only trusted under the exact config that produced it.

/// A text's 128-bit digest.
pub type Digest = [u64; 2];

/// Most digests kept per conversation; the oldest go first.
pub const MAX_DIGESTS: usize = 2048;
/// How long a conversation's digests live after their last write.
pub const TTL_MS: u64 = 60 * 60 * 1000;

/// Odd 64-bit constants (golden ratio, xxHash's prime 2).
const K0: u64 = 0x9E37_79B9_7F4A_7C15;
const K1: u64 = 0xC2B2_AE3D_27D4_EB4F;

/// The digest of `text`: two multiply-rotate lanes over 8-byte words,
/// each finished with the murmur3 mixer. Not cryptographic; a collision
/// needs crafted text, and crafted text holds only what its author knows.
pub fn digest(text: &str) -> Digest {
    let b = text.as_bytes();
    let len = b.len() as u64;
    let (mut x, mut y) = (K0 ^ len, K1 ^ len.rotate_left(32));
    let mut words = b.chunks_exact(8);
    for w in &mut words {
        let mut word = [0u8; 8];
        word.copy_from_slice(w);
        let w = u64::from_le_bytes(word);
        x = (x ^ w).wrapping_mul(K0).rotate_left(31);
        y = (y ^ w).rotate_left(27).wrapping_mul(K1);
    }
    let mut tail = [0u8; 8];
    tail[..words.remainder().len()].copy_from_slice(words.remainder());
    let w = u64::from_le_bytes(tail);
    x = (x ^ w).wrapping_mul(K0).rotate_left(31);
    y = (y ^ w).rotate_left(27).wrapping_mul(K1);
    [mix(x ^ y.rotate_left(13)), mix(y ^ x.rotate_left(41))]
}

/// murmur3's 64-bit finaliser.
fn mix(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xFF51_AFD7_ED55_8CCD);
    h ^= h >> 33;
    h = h.wrapping_mul(0xC4CE_B9FE_1A85_EC53);
    h ^ (h >> 33)
}

/// The store key for a conversation: the digest of its config's text and
/// its opening texts.
pub fn key(config: Digest, opening: &[&str]) -> String {
    let mut k = config;
    for text in opening {
        let d = digest(text);
        k = [mix(k[0] ^ d[0]), mix(k[1] ^ d[1].rotate_left(7))];
    }
    format!("clean/{:016x}{:016x}", k[0], k[1])
}

/// The clean-text digests of one conversation.
#[derive(Debug, Default)]
pub struct Memo {
    /// Digests as loaded, oldest first.
    loaded: Vec<Digest>,
    /// The same, sorted, for lookups.
    sorted: Vec<Digest>,
    /// Digests found clean by this request.
    added: Vec<Digest>,
}

impl Memo {
    /// Read the stored form (16 bytes per digest); a torn tail is ignored.
    pub fn decode(bytes: &[u8]) -> Memo {
        let loaded: Vec<Digest> = bytes
            .chunks_exact(16)
            .map(|c| {
                let (mut a, mut b) = ([0u8; 8], [0u8; 8]);
                a.copy_from_slice(&c[..8]);
                b.copy_from_slice(&c[8..]);
                [u64::from_le_bytes(a), u64::from_le_bytes(b)]
            })
            .collect();
        let mut sorted = loaded.clone();
        sorted.sort_unstable();
        Memo {
            loaded,
            sorted,
            added: Vec::new(),
        }
    }

    /// True when a text with this digest was found clean before.
    pub fn contains(&self, d: &Digest) -> bool {
        self.sorted.binary_search(d).is_ok() || self.added.contains(d)
    }

    /// Remember a text found clean.
    pub fn insert(&mut self, d: Digest) {
        if !self.contains(&d) {
            self.added.push(d);
        }
    }

    /// True when this request found new clean texts.
    pub fn changed(&self) -> bool {
        !self.added.is_empty()
    }

    /// The stored form: the newest [`MAX_DIGESTS`], oldest first.
    pub fn encode(&self) -> Vec<u8> {
        let all = self.loaded.len() + self.added.len();
        let skip = all.saturating_sub(MAX_DIGESTS);
        self.loaded
            .iter()
            .chain(&self.added)
            .skip(skip)
            .flat_map(|d| {
                let mut out = [0u8; 16];
                out[..8].copy_from_slice(&d[0].to_le_bytes());
                out[8..].copy_from_slice(&d[1].to_le_bytes());
                out
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_differ_by_content_length_and_tail() {
        let texts = [
            "",
            "a",
            "a\0",
            "abcdefgh",
            "abcdefgh\0",
            "abcdefghi",
            "abcdefgi",
        ];
        for (i, a) in texts.iter().enumerate() {
            for b in &texts[i + 1..] {
                assert_ne!(digest(a), digest(b), "{a:?} vs {b:?}");
            }
        }
        assert_eq!(digest("same text"), digest("same text"));
    }

    #[test]
    fn round_trip_and_cap() {
        let mut memo = Memo::decode(&[]);
        assert!(!memo.changed());
        for i in 0..MAX_DIGESTS + 5 {
            memo.insert(digest(&i.to_string()));
        }
        memo.insert(digest("0"));
        assert!(memo.changed());
        let bytes = memo.encode();
        assert_eq!(bytes.len(), MAX_DIGESTS * 16);
        let again = Memo::decode(&bytes);
        // The oldest five fell out; the newest stayed.
        assert!(!again.contains(&digest("4")));
        assert!(again.contains(&digest("5")));
        assert!(again.contains(&digest(&(MAX_DIGESTS + 4).to_string())));
        assert!(!again.changed());
    }

    #[test]
    fn torn_values_are_read_as_far_as_they_go() {
        let mut memo = Memo::default();
        memo.insert(digest("x"));
        let mut bytes = memo.encode();
        bytes.extend_from_slice(&[1, 2, 3]);
        assert!(Memo::decode(&bytes).contains(&digest("x")));
    }

    #[test]
    fn keys_depend_on_config_and_opening() {
        let a = key(digest("{}"), &["sys", "hello"]);
        assert_eq!(a, key(digest("{}"), &["sys", "hello"]));
        assert_ne!(a, key(digest(r#"{"restore":true}"#), &["sys", "hello"]));
        assert_ne!(a, key(digest("{}"), &["sys", "hello!"]));
        assert_ne!(a, key(digest("{}"), &["syshello"]));
        assert!(a.starts_with("clean/") && a.len() == 6 + 32);
    }
}
