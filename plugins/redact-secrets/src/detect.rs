//! Built-in detectors for secrets with a recognisable shape: provider API
//! keys, tokens, private keys, JWTs, passwords in URLs.
//!
//! Each detector is hand-written (no regex). `scan` tries them only where a
//! token can start (the byte before is not a letter, digit, `_` or `-`) and
//! only where the first two bytes are those of some token ([`opens`], one
//! table lookup). Spans start and end on ASCII bytes or the text's ends, so
//! they are valid `str` slices.

/// Where a secret is in a text and what kind it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span<'k> {
    /// Byte offset of the first byte of the secret.
    pub start: usize,
    /// Byte offset just past the secret.
    pub end: usize,
    /// The kind name used in the placeholder.
    pub kind: &'k str,
}

/// OpenAI keys: `sk-…`, `sk-proj-…`, `sk-svcacct-…`.
pub const OPENAI_KEY: &str = "openai_key";
/// Anthropic keys: `sk-ant-…`.
pub const ANTHROPIC_KEY: &str = "anthropic_key";
/// Google API keys: `AIza…`.
pub const GOOGLE_API_KEY: &str = "google_api_key";
/// GitHub tokens: `ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`, `github_pat_`.
pub const GITHUB_TOKEN: &str = "github_token";
/// AWS access key ids: `AKIA…`, `ASIA…`, `ABIA…`, `ACCA…`.
pub const AWS_ACCESS_KEY: &str = "aws_access_key";
/// AWS secret access keys (found by their assignment, see `assign`).
pub const AWS_SECRET_KEY: &str = "aws_secret_key";
/// Slack tokens: `xoxb-`, `xoxa-`, `xoxp-`, `xoxr-`, `xoxs-`, `xoxe-`, `xapp-`.
pub const SLACK_TOKEN: &str = "slack_token";
/// Slack webhook URLs: `https://hooks.slack.com/services/…`.
pub const SLACK_WEBHOOK: &str = "slack_webhook";
/// Stripe keys: `sk_live_`, `sk_test_`, `rk_live_`, `rk_test_`, `pk_live_`, `whsec_`.
pub const STRIPE_KEY: &str = "stripe_key";
/// PEM private key blocks, BEGIN line to END line.
pub const PRIVATE_KEY: &str = "private_key";
/// JSON Web Tokens: `eyJ….eyJ….sig`.
pub const JWT: &str = "jwt";
/// Random-looking tokens after `Bearer `.
pub const BEARER_TOKEN: &str = "bearer_token";
/// The password in `scheme://user:password@host`.
pub const URL_PASSWORD: &str = "url_password";
/// Generic `password=` / `passwd:` / `passphrase` assignments.
pub const PASSWORD: &str = "password";
/// Generic `token=` assignments.
pub const TOKEN: &str = "token";
/// Generic `secret=` / `client_secret:` / `private_key=` assignments.
pub const SECRET: &str = "secret";
/// Generic `api_key:` / `apiKey=` assignments.
pub const API_KEY: &str = "api_key";

/// Every built-in kind, for `disable` validation and docs.
pub const BUILTIN_KINDS: &[&str] = &[
    OPENAI_KEY,
    ANTHROPIC_KEY,
    GOOGLE_API_KEY,
    GITHUB_TOKEN,
    AWS_ACCESS_KEY,
    AWS_SECRET_KEY,
    SLACK_TOKEN,
    SLACK_WEBHOOK,
    STRIPE_KEY,
    PRIVATE_KEY,
    JWT,
    BEARER_TOKEN,
    URL_PASSWORD,
    PASSWORD,
    TOKEN,
    SECRET,
    API_KEY,
];

/// Stripe prefixes and the shortest body each needs.
const STRIPE_PREFIXES: &[(&[u8], usize)] = &[
    (b"sk_live_", 16),
    (b"sk_test_", 16),
    (b"rk_live_", 16),
    (b"rk_test_", 16),
    (b"pk_live_", 16),
    (b"whsec_", 24),
];

/// Slack webhook URL starts.
const SLACK_HOOKS: &[&[u8]] = &[
    b"https://hooks.slack.com/",
    b"http://hooks.slack.com/",
    b"hooks.slack.com/",
];

/// The first two bytes of every token [`token_at`] finds (a Bearer token's
/// are those of `Bearer`): a position whose pair is not here starts none.
const OPENINGS: &[&[u8; 2]] = &[
    b"sk", b"rk", b"pk", b"wh", b"AI", b"AK", b"AS", b"AB", b"AC", b"gi", b"gh", b"xo", b"xa",
    b"ht", b"ho", b"--", b"ey", b"Be", b"be",
];

/// [`OPENINGS`] as a bitmap indexed by the pair read as a little-endian u16.
static OPENING_PAIRS: [u64; 1024] = {
    let mut t = [0u64; 1024];
    let mut i = 0;
    while i < OPENINGS.len() {
        let pair = u16::from_le_bytes(*OPENINGS[i]) as usize;
        t[pair / 64] |= 1 << (pair % 64);
        i += 1;
    }
    t
};

/// True when the bytes at `i` and `i + 1` are one of [`OPENINGS`].
pub fn opens(b: &[u8], i: usize) -> bool {
    match (b.get(i), b.get(i + 1)) {
        (Some(&x), Some(&y)) => {
            let pair = usize::from(x) | usize::from(y) << 8;
            OPENING_PAIRS[pair >> 6] & (1 << (pair & 63)) != 0
        }
        _ => false,
    }
}

/// True when the byte at `i` is the letter of a `\n`, `\r` or `\t` escape.
pub fn escape_letter(b: &[u8], i: usize) -> bool {
    matches!(b.get(i), Some(b'n' | b'r' | b't')) && i >= 1 && b[i - 1] == b'\\'
}

/// End of the run of bytes from `start` that satisfy `pred`.
pub fn run(b: &[u8], start: usize, pred: impl Fn(u8) -> bool) -> usize {
    let mut i = start;
    while i < b.len() && pred(b[i]) {
        i += 1;
    }
    i
}

/// Byte classes, looked up rather than computed in the hot loops.
const fn class_table(extra: &[u8]) -> [bool; 256] {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        t[c] = (c as u8).is_ascii_alphanumeric();
        c += 1;
    }
    let mut i = 0;
    while i < extra.len() {
        t[extra[i] as usize] = true;
        i += 1;
    }
    t
}

/// Letters, digits, `_` and `-`.
static B64URL: [bool; 256] = class_table(b"_-");
/// Letters, digits, `_`, `-` and `.`.
static KEY_CHARS: [bool; 256] = class_table(b"_-.");

/// Base64url alphabet: letters, digits, `_` and `-`.
pub fn is_b64url(c: u8) -> bool {
    B64URL[usize::from(c)]
}

/// Key identifier bytes: letters, digits, `_`, `-` and `.`.
pub fn is_key_char(c: u8) -> bool {
    KEY_CHARS[usize::from(c)]
}

/// True for text that looks machine-generated rather than a word or an
/// identifier: at least 16 bytes, two of upper/lower/digit, and a run of 12
/// letters or digits. `sk-learn-pipeline-2` or `compute_secret_value` fail.
pub fn looks_random(s: &[u8]) -> bool {
    if s.len() < 16 {
        return false;
    }
    let (mut upper, mut lower, mut digit) = (false, false, false);
    let (mut longest, mut current) = (0usize, 0usize);
    for &c in s {
        upper |= c.is_ascii_uppercase();
        lower |= c.is_ascii_lowercase();
        digit |= c.is_ascii_digit();
        if c.is_ascii_alphanumeric() {
            current += 1;
            longest = longest.max(current);
        } else {
            current = 0;
        }
    }
    usize::from(upper) + usize::from(lower) + usize::from(digit) >= 2 && longest >= 12
}

/// The span of a token-shaped secret starting at `i`, if one does.
pub fn token_at(text: &str, i: usize) -> Option<Span<'static>> {
    let b = text.as_bytes();
    let rest = &b[i..];
    let span = |end: usize, kind| {
        Some(Span {
            start: i,
            end,
            kind,
        })
    };
    match rest.first()? {
        b's' | b'r' | b'p' | b'w' => {
            if rest.starts_with(b"sk-ant-") {
                let end = run(b, i + 7, is_b64url);
                return if end - (i + 7) >= 20 {
                    span(end, ANTHROPIC_KEY)
                } else {
                    None
                };
            }
            if rest.starts_with(b"sk-") {
                let end = run(b, i + 3, is_b64url);
                return if looks_random(&b[i + 3..end]) {
                    span(end, OPENAI_KEY)
                } else {
                    None
                };
            }
            for (prefix, min) in STRIPE_PREFIXES {
                if rest.starts_with(prefix) {
                    let body = i + prefix.len();
                    let end = run(b, body, |c| c.is_ascii_alphanumeric());
                    return if end - body >= *min {
                        span(end, STRIPE_KEY)
                    } else {
                        None
                    };
                }
            }
            None
        }
        b'A' => {
            if rest.starts_with(b"AIza") {
                let end = run(b, i + 4, is_b64url);
                return if end - (i + 4) >= 30 {
                    span(end, GOOGLE_API_KEY)
                } else {
                    None
                };
            }
            let aws = [&b"AKIA"[..], b"ASIA", b"ABIA", b"ACCA"];
            if rest.len() >= 20
                && aws.iter().any(|p| rest.starts_with(p))
                && rest[4..20]
                    .iter()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
                && !rest.get(20).is_some_and(u8::is_ascii_alphanumeric)
            {
                return span(i + 20, AWS_ACCESS_KEY);
            }
            None
        }
        b'g' => {
            if rest.starts_with(b"github_pat_") {
                let end = run(b, i + 11, |c| c.is_ascii_alphanumeric() || c == b'_');
                return if end - (i + 11) >= 30 {
                    span(end, GITHUB_TOKEN)
                } else {
                    None
                };
            }
            if rest.len() > 4 && rest[1] == b'h' && b"pousr".contains(&rest[2]) && rest[3] == b'_' {
                let end = run(b, i + 4, |c| c.is_ascii_alphanumeric());
                return if end - (i + 4) >= 30 {
                    span(end, GITHUB_TOKEN)
                } else {
                    None
                };
            }
            None
        }
        b'x' => {
            let slack = (rest.len() > 5
                && rest.starts_with(b"xox")
                && b"baprse".contains(&rest[3])
                && rest[4] == b'-')
                || rest.starts_with(b"xapp-");
            if slack {
                let end = run(b, i + 5, |c| c.is_ascii_alphanumeric() || c == b'-');
                let body = &b[i + 5..end];
                if body.len() >= 10 && body.iter().any(u8::is_ascii_digit) {
                    return span(end, SLACK_TOKEN);
                }
            }
            None
        }
        b'h' => {
            let prefix = SLACK_HOOKS.iter().find(|p| rest.starts_with(p))?;
            let path = i + prefix.len();
            let tail = &b[path..];
            let kind_len = [&b"services/"[..], b"workflows/", b"triggers/"]
                .iter()
                .find(|k| tail.starts_with(k))?
                .len();
            let end = run(b, path + kind_len, |c| {
                c.is_ascii_alphanumeric() || matches!(c, b'/' | b'_' | b'-')
            });
            if end - (path + kind_len) >= 20 {
                span(end, SLACK_WEBHOOK)
            } else {
                None
            }
        }
        b'-' => pem_at(text, i).and_then(|end| span(end, PRIVATE_KEY)),
        b'e' => jwt_at(b, i).and_then(|end| span(end, JWT)),
        b'B' | b'b' => {
            // After `=` it is a value (`token_type=bearer`), not a header.
            let after_eq = i > 0 && b[i - 1] == b'=';
            if after_eq || !(rest.starts_with(b"Bearer ") || rest.starts_with(b"bearer ")) {
                return None;
            }
            let start = run(b, i + 7, |c| c == b' ');
            if let Some(end) = jwt_at(b, start) {
                return Some(Span {
                    start,
                    end,
                    kind: JWT,
                });
            }
            let end = run(b, start, |c| {
                c.is_ascii_alphanumeric()
                    || matches!(c, b'.' | b'_' | b'~' | b'+' | b'/' | b'=' | b'-')
            });
            if looks_random(&b[start..end]) {
                Some(Span {
                    start,
                    end,
                    kind: BEARER_TOKEN,
                })
            } else {
                None
            }
        }
        _ => None,
    }
}

/// The end of a PEM private key block starting at `i`: just past its END
/// line, or the end of the text when the block is cut off (a partial key is
/// still a secret).
fn pem_at(text: &str, i: usize) -> Option<usize> {
    let b = text.as_bytes();
    const BEGIN: &[u8] = b"-----BEGIN ";
    const DASHES: &[u8] = b"-----";
    if !b[i..].starts_with(BEGIN) {
        return None;
    }
    let label_start = i + BEGIN.len();
    let label_end = run(b, label_start, |c| {
        c.is_ascii_uppercase() || c.is_ascii_digit() || c == b' '
    });
    let label = &b[label_start..label_end];
    if !(label.ends_with(b"PRIVATE KEY") || label.ends_with(b"PRIVATE KEY BLOCK"))
        || !b[label_end..].starts_with(DASHES)
    {
        return None;
    }
    let body = label_end + DASHES.len();
    let Some(end_line) = find(text, body, "-----END ") else {
        return Some(b.len());
    };
    let after = end_line + b"-----END ".len();
    let close = run(b, after, |c| {
        c.is_ascii_uppercase() || c.is_ascii_digit() || c == b' '
    });
    if b[close..].starts_with(DASHES) {
        Some(close + DASHES.len())
    } else {
        Some(close)
    }
}

/// The end of a JWT (`eyJ<header>.eyJ<payload>.<signature>`) starting at `i`.
fn jwt_at(b: &[u8], i: usize) -> Option<usize> {
    if !b[i..].starts_with(b"eyJ") {
        return None;
    }
    let header_end = run(b, i, is_b64url);
    if header_end - i < 10 || b.get(header_end) != Some(&b'.') {
        return None;
    }
    let payload = header_end + 1;
    if !b[payload..].starts_with(b"eyJ") {
        return None;
    }
    let payload_end = run(b, payload, is_b64url);
    if payload_end - payload < 10 || b.get(payload_end) != Some(&b'.') {
        return None;
    }
    Some(run(b, payload_end + 1, is_b64url))
}

/// First index of `needle` in `text` at or after `from` (a char boundary).
pub fn find(text: &str, from: usize, needle: &str) -> Option<usize> {
    let (b, n) = (text.as_bytes(), needle.as_bytes());
    let Some(&first) = n.first() else {
        return text.get(from..).map(|_| from);
    };
    // A scan for the first byte, then a compare: the needles here are short
    // and rare, so this beats building a two-way searcher per call.
    let mut i = from;
    while let Some(p) = position_of(first, b.get(i..)?) {
        let at = i + p;
        if b[at..].starts_with(n) {
            return Some(at);
        }
        i = at + 1;
    }
    None
}

/// Index of the first `byte` in `b`, eight bytes at a time (the guest has
/// no SIMD; a byte loop was most of a clean text's scan).
fn position_of(byte: u8, b: &[u8]) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let pattern = LO.wrapping_mul(u64::from(byte));
    let mut words = b.chunks_exact(8);
    let mut at = 0;
    for word in &mut words {
        let mut w = [0u8; 8];
        w.copy_from_slice(word);
        // A zero byte of `v` is a match. A borrow can only flag a byte
        // above a real zero, so the lowest flagged byte is the first match.
        let v = u64::from_le_bytes(w) ^ pattern;
        let zeros = v.wrapping_sub(LO) & !v & HI;
        if zeros != 0 {
            return Some(at + zeros.trailing_zeros() as usize / 8);
        }
        at += 8;
    }
    words
        .remainder()
        .iter()
        .position(|&c| c == byte)
        .map(|p| at + p)
}

/// Passwords in URLs: `scheme://user:password@host`.
pub fn url_passwords(text: &str, out: &mut Vec<Span<'static>>) {
    let b = text.as_bytes();
    let mut from = 0;
    while let Some(at) = find(text, from, "://") {
        let user = at + 3;
        from = user;
        let end = run(b, user, |c| {
            !c.is_ascii_whitespace()
                && !matches!(
                    c,
                    b'/' | b'@' | b'?' | b'#' | b'"' | b'\'' | b'<' | b'>' | b'`' | b'\\'
                )
        });
        if b.get(end) != Some(&b'@') {
            continue;
        }
        let Some(colon) = b[user..end].iter().position(|&c| c == b':') else {
            continue;
        };
        let start = user + colon + 1;
        let password = &b[start..end];
        let templated = password
            .first()
            .is_some_and(|c| matches!(c, b'$' | b'{' | b'<' | b'%'));
        if !password.is_empty() && !templated && !password.iter().all(|&c| c == b'*') {
            out.push(Span {
                start,
                end,
                kind: URL_PASSWORD,
            });
        }
        from = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openings_are_found_where_they_are() {
        let text = b"a bEst sk-x Bearer x";
        let at: Vec<usize> = (0..text.len()).filter(|&i| opens(text, i)).collect();
        assert_eq!(at, [7, 12]);
        assert!(!opens(b"s", 0));
        assert!(!opens(b"xsk", 5));
        // Every opening is one, and every token kind starts with one.
        for pair in OPENINGS {
            assert!(opens(&pair[..], 0));
        }
        let samples = [
            "sk-ant-api03-aaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "sk-proj-Qm7vR2xK9pL4wN8tZ3bH6cJ1fD5gS0aY",
            "sk_live_aaaaaaaaaaaaaaaaaaaa",
            "whsec_aaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "AIzaSyA1234567890abcdefghijklmnopqrstu",
            "AKIAIOSFODNN7EXAMPLE",
            "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
            "github_pat_abcdefghijklmnopqrstuvwxyz0123456789",
            "xoxb-1234567890-abcdefghij",
            "https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX",
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
            "Bearer Qm7vR2xK9pL4wN8tZ3bH6cJ1fD5gS0aY",
        ];
        for sample in samples {
            assert_eq!(found(sample).len(), 1, "{sample}");
        }
    }

    #[test]
    fn position_of_finds_the_first_match() {
        let text: Vec<u8> = (0..200u32).map(|i| (i * 7 % 251) as u8).collect();
        for byte in [0u8, 1, 7, 0x80, 0xff, b'[', b':'] {
            for start in 0..20 {
                for end in start..text.len().min(start + 40) {
                    let hay = &text[start..end];
                    assert_eq!(
                        position_of(byte, hay),
                        hay.iter().position(|&c| c == byte),
                        "{byte} in {start}..{end}"
                    );
                }
            }
        }
        // Repeats and neighbours that borrow: 0x01 after a match of 0x00.
        assert_eq!(position_of(0, &[1, 1, 0, 1, 0, 0, 1, 1, 1]), Some(2));
        assert_eq!(position_of(1, &[0, 0, 0, 0, 0, 0, 0, 0, 1]), Some(8));
        assert_eq!(position_of(b'[', b"abcdefgh[[REDACTED:x:1]]"), Some(8));
        assert_eq!(position_of(b'x', b""), None);
    }

    /// The token-shaped secrets found in `text`, as (kind, text).
    fn found(text: &str) -> Vec<(&'static str, String)> {
        let mut spans = Vec::new();
        crate::scan::builtin(text, &mut spans, &mut Vec::new());
        spans
            .iter()
            .map(|s| (s.kind, text[s.start..s.end].to_string()))
            .collect()
    }

    fn one(text: &str, kind: &'static str, secret: &str) {
        assert_eq!(found(text), vec![(kind, secret.to_string())], "{text}");
    }

    #[test]
    fn provider_keys() {
        let oa = "sk-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb7dEf0hIj3kLm6n";
        one(&format!("key {oa}."), OPENAI_KEY, oa);
        let proj = "sk-proj-Xy12_ab-CDef34GhIJ56klMN78opQR90stUV";
        one(&format!("\"{proj}\""), OPENAI_KEY, proj);
        let ant = "sk-ant-api03-abcDEF123_ghiJKL456-mnoPQR789stuVWX012yzAA";
        one(&format!("x={ant}"), ANTHROPIC_KEY, ant);
        let google = "AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q";
        one(&format!("({google})"), GOOGLE_API_KEY, google);
        let gh = "ghp_aB1cD2eF3gH4iJ5kL6mN7oP8qR9sT0uV1wX2";
        one(&format!("token {gh} end"), GITHUB_TOKEN, gh);
        let pat = "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEF";
        one(pat, GITHUB_TOKEN, pat);
        one(
            "AKIAIOSFODNN7EXAMPLE",
            AWS_ACCESS_KEY,
            "AKIAIOSFODNN7EXAMPLE",
        );
        let slack = "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx";
        one(&format!("'{slack}'"), SLACK_TOKEN, slack);
        let hook = "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX";
        one(&format!("post to {hook} now"), SLACK_WEBHOOK, hook);
        let stripe = "sk_live_4eC39HqLyjWDarjtT1zdp7dc";
        one(&format!("{stripe},"), STRIPE_KEY, stripe);
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
        one(&format!("jwt: {jwt}"), JWT, jwt);
        one(&format!("Authorization: Bearer {jwt}"), JWT, jwt);
        let bearer = "ya29.A0ARrdaM8xYz123AbCdEfGhIjKl";
        one(
            &format!("-H 'Authorization: Bearer {bearer}'"),
            BEARER_TOKEN,
            bearer,
        );
    }

    #[test]
    fn tokens_after_escapes_and_not_inside_words() {
        let gh = "ghp_aB1cD2eF3gH4iJ5kL6mN7oP8qR9sT0uV1wX2";
        for text in [
            format!(r"key:\n{gh}"),
            format!(r"\t{gh} x"),
            format!(r"a\r{gh}"),
            format!(r"\n\n{gh}"),
            format!("x.{gh}"),
        ] {
            one(&text, GITHUB_TOKEN, gh);
        }
        for text in [format!("x{gh}"), format!(r"\x{gh}"), format!("n{gh}")] {
            assert_eq!(found(&text), vec![], "{text}");
        }
    }

    #[test]
    fn pem_blocks() {
        let pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\nabc=\n-----END RSA PRIVATE KEY-----";
        one(&format!("key:\n{pem}\nthanks"), PRIVATE_KEY, pem);
        let escaped = r"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk\n-----END OPENSSH PRIVATE KEY-----";
        one(&format!("\"{escaped}\""), PRIVATE_KEY, escaped);
        let cut = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEI";
        one(&format!("x {cut}"), PRIVATE_KEY, cut);
        assert!(found("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----").is_empty());
        assert!(found("-----BEGIN PUBLIC KEY-----\nMIIB").is_empty());
    }

    #[test]
    fn url_password() {
        one(
            "postgres://app:s3cr3tPw@db:5432/x",
            URL_PASSWORD,
            "s3cr3tPw",
        );
        assert!(found("https://user@example.com ssh://git@github.com/a/b").is_empty());
        assert!(found("redis://localhost:6379/0 postgres://u:${PW}@h").is_empty());
    }

    #[test]
    fn benign_look_alikes() {
        for text in [
            "use sk-learn and sk-learn-pipeline-example-2024 today",
            "task-sk-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy",
            "AKIA is a prefix; ASIAPACIFICREGIONSXYZW too long",
            "ghp_short and xoxb-nodigits-here",
            "eyJhbGciOi alone, eyJ.eyJ.x",
            "Bearer token authentication, Bearer $TOKEN",
            "sk_live_short",
            "https://hooks.slack.com/services/short",
        ] {
            assert_eq!(found(text), vec![], "{text}");
        }
    }

    #[test]
    fn looks_random_cases() {
        assert!(looks_random(b"Ab3dEf6hIj9kLm2nOp5q"));
        assert!(!looks_random(b"learn-pipeline-example-2024"));
        assert!(!looks_random(b"compute_secret_value_now"));
        assert!(!looks_random(b"Ab3dEf6h"));
    }
}
