//! Property tests with a small deterministic PRNG: generated secrets of every
//! kind, embedded in generated benign text, never survive redaction and come
//! back exactly on restore; generated benign text is never changed.

use serde_json::Value;

use crate::assign::key_class;
use crate::config::{Config, parse};
use crate::json::redact_json;
use crate::redact::Redactor;
use crate::restore::{Restorer, StreamRestorer};
use crate::types::{FinishReason, StreamEvent, ToolCallDelta, ToolCallStart};

/// How many cases each property runs.
const CASES: usize = 400;

/// SplitMix64: small, fast, deterministic.
struct Rng(u64);

impl Rng {
    /// A generator for one property: `base`, shifted by the
    /// `REDACT_PROPERTY_SEED` environment variable when set (to explore more
    /// cases than the fixed default run).
    fn seeded(base: u64) -> Self {
        let shift = std::env::var("REDACT_PROPERTY_SEED")
            .ok()
            .and_then(|s| s.parse::<u64>().ok())
            .unwrap_or(0);
        Rng(base.wrapping_add(shift.wrapping_mul(1_000_003)))
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// A number in `lo..=hi`.
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// `n` bytes drawn from `alphabet`.
    fn string(&mut self, alphabet: &[u8], n: usize) -> String {
        (0..n).map(|_| char::from(*self.pick(alphabet))).collect()
    }
}

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const UPPER_DIGIT: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const DIGITS: &[u8] = b"0123456789";
const HEX: &[u8] = b"0123456789abcdef";
const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Alphanumerics with an occasional `-` or `_` (base64url-like, as in
/// project keys and JWTs).
fn b64url(rng: &mut Rng, n: usize) -> String {
    (0..n)
        .map(|_| match rng.below(32) {
            0 => '-',
            1 => '_',
            _ => char::from(*rng.pick(ALNUM)),
        })
        .collect()
}

/// Standard base64 of `n` random bytes.
fn base64(rng: &mut Rng, n: usize) -> String {
    let bytes: Vec<u8> = (0..n).map(|_| (rng.next() & 0xff) as u8).collect();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let v = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &b)| acc | (u32::from(b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(B64[((v >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A generated secret: its kind, its text, and substrings that must not
/// reach the upstream.
struct Secret {
    kind: &'static str,
    text: String,
    /// The text as it stands in the prompt (with its key, quotes, context).
    in_context: String,
    /// Parts that must not survive (the whole secret, PEM body lines).
    parts: Vec<String>,
}

/// A token-shaped secret placed in one of many contexts.
fn token_secret(rng: &mut Rng, kind: &'static str, text: String) -> Secret {
    let in_context = match rng.below(14) {
        0 => text.clone(),
        1 => format!("key: {text}"),
        2 => format!("export SOME_VAR={text}"),
        3 => format!("\"{text}\""),
        4 => format!("'{text}'"),
        5 => format!("({text})"),
        6 => format!("<{text}>"),
        7 => format!("`{text}`"),
        8 => format!("{text}."),
        9 => format!("{text}, then"),
        10 => format!("https://api.example.com/x?key={text}&page=2"),
        11 => format!("\n{text}\n"),
        12 => format!("{{\"credential\": \"{text}\"}}"),
        _ => format!("-H \"X-Header: {text}\""),
    };
    Secret {
        kind,
        parts: vec![text.clone()],
        text,
        in_context,
    }
}

/// A random password-like value that the generic rules accept.
fn random_value(rng: &mut Rng, extra: &[u8]) -> String {
    loop {
        let first = char::from(*rng.pick(ALNUM));
        let mut alphabet = ALNUM.to_vec();
        alphabet.extend_from_slice(extra);
        let n = rng.range(8, 22);
        let last = char::from(*rng.pick(ALNUM));
        let v = format!("{first}{}{last}", rng.string(&alphabet, n));
        let lower = v.to_ascii_lowercase();
        if !lower.starts_with("your") && key_class(v.as_bytes()).is_none() {
            return v;
        }
    }
}

/// A generic `key = value` secret.
fn assignment_secret(rng: &mut Rng) -> Secret {
    let (kind, keys, flag): (&'static str, &[&str], &str) = *rng.pick(&[
        (
            "password",
            &[
                "password",
                "DB_PASSWORD",
                "passwd",
                "db_pass",
                "adminPassword",
                "passphrase",
            ][..],
            "password",
        ),
        (
            "token",
            &[
                "token",
                "GITHUB_TOKEN",
                "access_token",
                "authToken",
                "refresh_token",
            ][..],
            "token",
        ),
        (
            "secret",
            &["secret", "client_secret", "CLIENT_SECRET", "app.secret"][..],
            "client-secret",
        ),
        (
            "api_key",
            &[
                "api_key",
                "API_KEY",
                "apiKey",
                "x-api-key",
                "openai_api_key",
            ][..],
            "api-key",
        ),
    ]);
    let key = *rng.pick(keys);
    let text = random_value(rng, b"!@#%^*_+~.-");
    let in_context = match rng.below(8) {
        0 => format!("{key}={text}"),
        1 => format!("export {key}={text}"),
        2 => format!("{key}: {text}\nnext: 1"),
        3 => format!("{key} = \"{text}\""),
        4 => format!("{key}='{text}'"),
        5 => format!("{{\"{key}\": \"{text}\"}}"),
        6 => format!("tool --{flag} {text} --verbose"),
        _ => format!("https://api.example.com/v1?{key}={text}&page=2"),
    };
    Secret {
        kind,
        parts: vec![text.clone()],
        text,
        in_context,
    }
}

/// A PEM private key block.
fn pem_secret(rng: &mut Rng) -> Secret {
    let label = *rng.pick(&[
        "RSA PRIVATE KEY",
        "PRIVATE KEY",
        "EC PRIVATE KEY",
        "OPENSSH PRIVATE KEY",
        "ENCRYPTED PRIVATE KEY",
        "PGP PRIVATE KEY BLOCK",
    ]);
    let lines: Vec<String> = (0..rng.range(3, 12)).map(|_| base64(rng, 48)).collect();
    let text = format!(
        "-----BEGIN {label}-----\n{}\n{}==\n-----END {label}-----",
        lines.join("\n"),
        rng.string(ALNUM, 10)
    );
    let in_context = match rng.below(3) {
        0 => text.clone(),
        1 => format!("key file:\n{text}\n"),
        _ => format!("cat > id <<EOF\n{text}\nEOF"),
    };
    let mut parts = lines;
    parts.push(text.clone());
    Secret {
        kind: "private_key",
        text,
        in_context,
        parts,
    }
}

/// One secret of every kind, chosen by `which`.
fn secret(rng: &mut Rng, which: usize) -> Secret {
    match which {
        0 => {
            let body = rng.string(ALNUM, 48);
            token_secret(rng, "openai_key", format!("sk-{body}"))
        }
        1 => {
            let n = rng.range(40, 150);
            let body = b64url(rng, n);
            let prefix = *rng.pick(&["sk-proj-", "sk-svcacct-", "sk-admin-"]);
            let head = rng.string(ALNUM, 12);
            token_secret(rng, "openai_key", format!("{prefix}{head}{body}"))
        }
        2 => {
            let n = rng.range(80, 95);
            let body = b64url(rng, n);
            token_secret(rng, "anthropic_key", format!("sk-ant-api03-{body}AA"))
        }
        3 => {
            let body = b64url(rng, 35);
            token_secret(rng, "google_api_key", format!("AIza{body}"))
        }
        4 => {
            let prefix = *rng.pick(&["ghp_", "gho_", "ghs_", "ghu_", "ghr_"]);
            let body = rng.string(ALNUM, 36);
            token_secret(rng, "github_token", format!("{prefix}{body}"))
        }
        5 => {
            let (a, b) = (rng.string(ALNUM, 22), rng.string(ALNUM, 59));
            token_secret(rng, "github_token", format!("github_pat_{a}_{b}"))
        }
        6 => {
            let prefix = *rng.pick(&["AKIA", "ASIA"]);
            let body = rng.string(UPPER_DIGIT, 16);
            token_secret(rng, "aws_access_key", format!("{prefix}{body}"))
        }
        7 => {
            let text = rng.string(B64, 40);
            let key = *rng.pick(&[
                "aws_secret_access_key",
                "AWS_SECRET_ACCESS_KEY",
                "SecretAccessKey",
            ]);
            let in_context = match rng.below(4) {
                0 => format!("{key} = {text}"),
                1 => format!("{key}={text}"),
                2 => format!("\"{key}\": \"{text}\","),
                _ => format!("export {key}=\"{text}\""),
            };
            Secret {
                kind: "aws_secret_key",
                parts: vec![text.clone()],
                text,
                in_context,
            }
        }
        8 => {
            let t = *rng.pick(&["b", "a", "p", "r", "s"]);
            let (a, b, c) = (
                rng.string(DIGITS, 12),
                rng.string(DIGITS, 13),
                rng.string(ALNUM, 24),
            );
            token_secret(rng, "slack_token", format!("xox{t}-{a}-{b}-{c}"))
        }
        9 => {
            let (t, b, c) = (
                rng.string(UPPER_DIGIT, 8),
                rng.string(UPPER_DIGIT, 10),
                rng.string(ALNUM, 24),
            );
            token_secret(
                rng,
                "slack_webhook",
                format!("https://hooks.slack.com/services/T{t}/B{b}/{c}"),
            )
        }
        10 => {
            let prefix = *rng.pick(&["sk_live_", "rk_live_", "pk_live_", "sk_test_"]);
            let n = rng.range(24, 99);
            let body = rng.string(ALNUM, n);
            token_secret(rng, "stripe_key", format!("{prefix}{body}"))
        }
        11 => pem_secret(rng),
        12 => {
            let (h, p, s) = (rng.range(20, 40), rng.range(20, 200), 43);
            let text = format!(
                "eyJ{}.eyJ{}.{}",
                b64url(rng, h),
                b64url(rng, p),
                b64url(rng, s)
            );
            token_secret(rng, "jwt", text)
        }
        13 => assignment_secret(rng),
        14 => {
            let text = random_value(rng, b"_~.-!*");
            let in_context = format!("DATABASE_URL=postgres://app:{text}@db.internal:5432/main");
            Secret {
                kind: "url_password",
                parts: vec![text.clone()],
                text,
                in_context,
            }
        }
        _ => {
            let n = rng.range(32, 64);
            let text = rng.string(ALNUM, n);
            let in_context =
                format!("curl -H 'Authorization: Bearer {text}' https://api.example.com");
            Secret {
                kind: "bearer_token",
                parts: vec![text.clone()],
                text,
                in_context,
            }
        }
    }
}

/// How many generators `secret` has.
const SECRET_KINDS: usize = 16;

/// Prose words, including ones that sound like secrets.
const WORDS: &[&str] = &[
    "the",
    "password",
    "token",
    "secret",
    "key",
    "API",
    "must",
    "be",
    "rotated",
    "every",
    "month",
    "and",
    "never",
    "committed",
    "to",
    "git",
    "Bearer",
    "authentication",
    "uses",
    "a",
    "sk-learn",
    "model",
    "pipeline",
    "with",
    "AKIA",
    "prefix",
    "ghp",
    "eyJ",
    "is",
    "JSON",
    "base64",
    "of",
    "token:",
    "password:",
    "secret.",
    "keys,",
    "deploy",
    "the",
    "build",
    "fails",
    "because",
];

/// Code and config lines that mention secrets without holding one.
const CODE: &[&str] = &[
    "let max_tokens = 512;",
    "token = tokens[i]",
    "password = get_password()",
    "password = hunter2",
    "if secret is None:",
    "api_key = os.environ[\"OPENAI_API_KEY\"]",
    "const token = await getToken();",
    "fn verify(password: &str) -> bool {",
    "    token: String,",
    "token: str",
    "auth_token: Optional[str] = None",
    "export OPENAI_API_KEY=$OPENAI_API_KEY",
    "export TOKEN=\"${GITHUB_TOKEN}\"",
    "git commit -m \"fix token refresh\"",
    "curl -H \"Authorization: Bearer $TOKEN\" https://api.example.com",
    "password_hash = bcrypt(password)",
    "\"password\": {\"type\": \"string\", \"minLength\": 8},",
    "<input type=\"password\" name=\"password\">",
    "secret_name: my-app-secret",
    "tokenizer = AutoTokenizer.from_pretrained(\"gpt2\")",
    "num_tokens=512 TOKEN_LIMIT=4096 token_type=bearer",
    "password=password",
    "self.token = token",
    "token=self.token",
    "token := os.Getenv(\"TOKEN\")",
    "let token = env::var(\"TOKEN\")?;",
    "password: ********",
    "token: <your-token>",
    "API_KEY=your-api-key-here",
    "Enter your API key:",
    "docker run -e API_KEY=$API_KEY -p 8080:80 image:latest",
    "ssh://git@github.com/owner/repo.git",
    "redis://localhost:6379/0",
    "https://user@example.com/path?page=2&sort=asc",
    "secret = compute_secret(seed)",
    "while (token != null) { token = next(token); }",
    "kubectl create secret generic db-creds --from-file=./creds",
    "pip install scikit-learn  # sk-learn",
    "SELECT id, password_hash FROM users WHERE token_id = 42;",
    "-----BEGIN CERTIFICATE-----",
    "-----BEGIN PUBLIC KEY-----",
    "assert!(looks_random(b\"Ab3dEf6hIj9kLm2nOp5q\"));",
];

/// A random benign document: prose, code, hashes, ids and blobs.
fn benign(rng: &mut Rng) -> String {
    let mut parts = Vec::new();
    for _ in 0..rng.range(1, 12) {
        let piece = match rng.below(10) {
            0 | 1 => {
                let words: Vec<&str> = (0..rng.range(3, 20)).map(|_| *rng.pick(WORDS)).collect();
                format!("{}.", words.join(" "))
            }
            2 | 3 => (*rng.pick(CODE)).to_string(),
            4 => rng.string(HEX, 40),
            5 => format!(
                "{}-{}-4{}-a{}-{}",
                rng.string(HEX, 8),
                rng.string(HEX, 4),
                rng.string(HEX, 3),
                rng.string(HEX, 3),
                rng.string(HEX, 12)
            ),
            6 => {
                let n = rng.range(30, 600);
                format!("data:image/png;base64,{}", base64(rng, n))
            }
            7 => format!("sha256:{}", rng.string(HEX, 64)),
            8 => format!(
                "https://github.com/owner/repo/commit/{} (#{})",
                rng.string(HEX, 7),
                rng.string(DIGITS, 4)
            ),
            _ => {
                let n = rng.range(10, 200);
                base64(rng, n)
            }
        };
        parts.push(piece);
    }
    let sep = *rng.pick(&[" ", "\n", "\n\n"]);
    parts.join(sep)
}

/// `benign + secret + benign`, kept apart by blanks.
fn embed(rng: &mut Rng, secret: &Secret) -> String {
    let before = benign(rng);
    let after = benign(rng);
    format!("{before}\n{} {after}", secret.in_context)
}

fn restorer(red: Redactor<'_>) -> Restorer {
    Restorer::new(red.into_mapping())
}

#[test]
fn no_generated_secret_survives() {
    let config = Config::default();
    let mut rng = Rng::seeded(7);
    for case in 0..CASES * SECRET_KINDS / 4 {
        let s = secret(&mut rng, case % SECRET_KINDS);
        let text = embed(&mut rng, &s);
        let mut red = Redactor::new(&config);
        let out = red.redact_text(&text).unwrap_or_else(|| text.clone());
        for part in &s.parts {
            assert!(
                !out.contains(part.as_str()),
                "{} survived:\n{text}\n---\n{out}",
                s.kind
            );
        }
        let want = format!("[[REDACTED:{}:", s.kind);
        assert!(out.contains(&want), "{want} missing:\n{text}\n---\n{out}");
        assert_eq!(
            restorer(red).restore(&out, false).as_deref(),
            Some(text.as_str())
        );
    }
}

#[test]
fn no_generated_secret_survives_in_json_arguments() {
    let config = Config::default();
    let mut rng = Rng::seeded(11);
    for case in 0..CASES * SECRET_KINDS / 4 {
        let s = secret(&mut rng, case % SECRET_KINDS);
        let text = embed(&mut rng, &s);
        let args = serde_json::json!({"command": text, "n": 3, "flags": ["-v"]}).to_string();
        let mut red = Redactor::new(&config);
        let out = redact_json(&mut red, &args).unwrap();
        for part in &s.parts {
            let escaped = serde_json::to_string(part).unwrap();
            let escaped = &escaped[1..escaped.len() - 1];
            assert!(!out.contains(escaped), "{} survived:\n{out}", s.kind);
        }
        let parsed: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(parsed["n"], 3);
        let back = restorer(red).restore(&out, true).unwrap();
        let back: Value = serde_json::from_str(&back).unwrap();
        assert_eq!(back, serde_json::from_str::<Value>(&args).unwrap());
    }
}

#[test]
fn keyed_json_values_are_redacted() {
    let config = Config::default();
    let mut rng = Rng::seeded(13);
    for _ in 0..CASES {
        let key = *rng.pick(&[
            "password",
            "db_password",
            "apiKey",
            "client_secret",
            "GITHUB_TOKEN",
        ]);
        let value = random_value(&mut rng, b" !@#%^*_+~.-\"\\");
        let args = serde_json::json!({"user": "bob", key: value}).to_string();
        let mut red = Redactor::new(&config);
        let out = redact_json(&mut red, &args).unwrap();
        let parsed: Value = serde_json::from_str(&out).unwrap();
        assert!(
            parsed[key].as_str().unwrap().starts_with("[[REDACTED:"),
            "{out}"
        );
        assert_eq!(parsed["user"], "bob");
        let back: Value =
            serde_json::from_str(&restorer(red).restore(&out, true).unwrap()).unwrap();
        assert_eq!(back[key], value.as_str());
    }
}

#[test]
fn many_secrets_stable_placeholders() {
    let config = Config::default();
    let mut rng = Rng::seeded(17);
    for _ in 0..CASES / 4 {
        let secrets: Vec<Secret> = (0..rng.range(2, 6))
            .map(|_| {
                let which = rng.below(SECRET_KINDS);
                secret(&mut rng, which)
            })
            .collect();
        let mut text = String::new();
        for s in secrets.iter().chain(secrets.iter()) {
            text.push_str(&embed(&mut rng, s));
            text.push('\n');
        }
        let mut red = Redactor::new(&config);
        let out = red.redact_text(&text).unwrap();
        for s in &secrets {
            assert!(!out.contains(&s.text), "{} survived", s.kind);
        }
        let mapping = red.into_mapping();
        // One placeholder per distinct secret, each used where its secret was.
        let mut placeholders: Vec<&String> = mapping.iter().map(|(p, _)| p).collect();
        placeholders.sort();
        placeholders.dedup();
        assert_eq!(placeholders.len(), mapping.len());
        for s in &secrets {
            let (p, _) = mapping
                .iter()
                .find(|(_, v)| v.contains(&s.text) || s.text.contains(v.as_str()))
                .unwrap();
            assert!(out.matches(p.as_str()).count() >= 2, "{p} used once");
        }
        assert_eq!(
            Restorer::new(mapping).restore(&out, false).as_deref(),
            Some(text.as_str())
        );
    }
}

#[test]
fn benign_text_is_unchanged() {
    let config = Config::default();
    let mut rng = Rng::seeded(23);
    for _ in 0..CASES * 4 {
        let text = benign(&mut rng);
        let mut red = Redactor::new(&config);
        assert_eq!(red.redact_text(&text), None, "changed:\n{text}");
        let args = serde_json::json!({"command": text}).to_string();
        assert_eq!(redact_json(&mut red, &args), None, "changed:\n{args}");
    }
}

#[test]
fn allowed_values_survive() {
    let mut rng = Rng::seeded(29);
    for case in 0..CASES {
        let s = secret(&mut rng, case % SECRET_KINDS);
        let config = parse(&serde_json::json!({"allow": [s.text]}).to_string()).unwrap();
        let text = embed(&mut rng, &s);
        assert_eq!(Redactor::new(&config).redact_text(&text), None, "{text}");
    }
}

#[test]
fn user_patterns_never_survive() {
    let config =
        parse(r#"{"patterns": [{"name": "ticket", "regex": "TICKET-[0-9]{5,8}"}]}"#).unwrap();
    let mut rng = Rng::seeded(31);
    for _ in 0..CASES {
        let n = rng.range(5, 8);
        let id = format!("TICKET-{}", rng.string(DIGITS, n));
        let text = format!("{} {id} {}", benign(&mut rng), benign(&mut rng));
        let mut red = Redactor::new(&config);
        let out = red.redact_text(&text).unwrap();
        assert!(
            !out.contains(&id) && out.contains("[[REDACTED:ticket:1]]"),
            "{out}"
        );
    }
}

/// Cut `text` at random char boundaries.
fn chunks(rng: &mut Rng, text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut at = 0;
    while at < chars.len() {
        let n = rng.range(1, 12).min(chars.len() - at);
        out.push(chars[at..at + n].iter().collect());
        at += n;
    }
    out
}

/// Feed `events` in random groups; collect the output.
fn feed(rng: &mut Rng, restorer: Restorer, events: Vec<StreamEvent>) -> Vec<StreamEvent> {
    let mut s = StreamRestorer::new(restorer);
    let mut out = Vec::new();
    let mut rest = events.as_slice();
    while !rest.is_empty() {
        let n = rng.range(1, 4).min(rest.len());
        out.extend(s.on_events(rest[..n].to_vec()));
        rest = &rest[n..];
    }
    out.extend(s.finish());
    out
}

#[test]
fn streamed_answers_restore_like_whole_ones() {
    let config = Config::default();
    let mut rng = Rng::seeded(37);
    for case in 0..CASES {
        let s = secret(&mut rng, case % SECRET_KINDS);
        let text = embed(&mut rng, &s);
        let args = serde_json::json!({"command": text}).to_string();
        let mut red = Redactor::new(&config);
        let answer = red.redact_text(&text).unwrap();
        let sent_args = redact_json(&mut red, &args).unwrap();
        let restorer = restorer(red);
        let mut events: Vec<StreamEvent> = chunks(&mut rng, &answer)
            .into_iter()
            .map(StreamEvent::TextDelta)
            .collect();
        events.push(StreamEvent::ToolCallStart(ToolCallStart {
            index: 0,
            id: "c".into(),
            name: "Bash".into(),
        }));
        for piece in chunks(&mut rng, &sent_args) {
            events.push(StreamEvent::ToolCallDelta(ToolCallDelta {
                index: 0,
                arguments: piece,
            }));
        }
        events.push(StreamEvent::ToolCallEnd(0));
        events.push(StreamEvent::Finish(FinishReason::ToolCalls));
        let out = feed(&mut rng, restorer, events);
        let (mut got_text, mut got_args) = (String::new(), String::new());
        for e in &out {
            match e {
                StreamEvent::TextDelta(t) => got_text.push_str(t),
                StreamEvent::ToolCallDelta(d) => got_args.push_str(&d.arguments),
                _ => {}
            }
        }
        assert_eq!(got_text, text);
        let got: Value = serde_json::from_str(&got_args).unwrap();
        assert_eq!(got, serde_json::from_str::<Value>(&args).unwrap());
        assert_eq!(
            out.last(),
            Some(&StreamEvent::Finish(FinishReason::ToolCalls))
        );
        let start = out
            .iter()
            .position(|e| matches!(e, StreamEvent::ToolCallStart(_)));
        let end = out
            .iter()
            .position(|e| matches!(e, StreamEvent::ToolCallEnd(_)));
        let last_text = out
            .iter()
            .rposition(|e| matches!(e, StreamEvent::TextDelta(_)));
        let last_delta = out
            .iter()
            .rposition(|e| matches!(e, StreamEvent::ToolCallDelta(_)));
        assert!(last_text < start && start < last_delta && last_delta < end);
    }
}

/// Rough native timing for a 20-message conversation (run with
/// `cargo test --release -- --ignored --nocapture timing`).
#[test]
#[ignore = "timing, not a check"]
fn timing() {
    let config = Config::default();
    let mut rng = Rng::seeded(41);
    let texts: Vec<String> = (0..20).map(|_| benign(&mut rng)).collect();
    let total: usize = texts.iter().map(String::len).sum();
    let rounds: u32 = 2000;
    let start = std::time::Instant::now();
    for _ in 0..rounds {
        let mut red = Redactor::new(&config);
        for t in &texts {
            std::hint::black_box(red.redact_text(t));
        }
    }
    let per = start.elapsed() / rounds;
    println!("20 messages, {total} bytes: {per:?} per request");
    let events: Vec<StreamEvent> = (0..200)
        .map(|i| StreamEvent::TextDelta(format!("tok{i} ")))
        .collect();
    let restorer = Restorer::new(vec![("[[REDACTED:openai_key:1]]".into(), "sk-x".into())]);
    let start = std::time::Instant::now();
    let mut s = StreamRestorer::new(restorer);
    for _ in 0..rounds {
        for e in &events {
            std::hint::black_box(s.on_events(vec![e.clone()]));
        }
    }
    println!("stream: {:?} per chunk", start.elapsed() / (rounds * 200));
}
