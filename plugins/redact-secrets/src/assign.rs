//! Generic secrets found by what they are assigned to: `password=…`,
//! `DB_PASSWORD: …`, `"api_key": "…"`, `--token …`, `client_secret = '…'`,
//! `aws_secret_access_key = …`.
//!
//! A key is an identifier (letters, digits, `_`, `.`, `-`) whose name,
//! ignoring case and separators, ends with `password`, `passwd`,
//! `passphrase`, `pass` (as its own word), `secret`, `token`, `apikey`,
//! `secretkey`, `accesskey` or `privatekey`. `max_tokens` or `secret_name`
//! are not keys. What follows decides whether there is a value, and the rules
//! lean towards leaving code alone:
//!
//! - a quoted value (`"…"`, `'…'`, `` `…` ``, `\"…\"`) after `=`, `:`, `:=`
//!   or `=>` is redacted;
//! - `key=value` with no blanks around `=` (env files, URLs, flags) is
//!   redacted;
//! - `--key value` (a command-line flag) is redacted;
//! - after `:` or a spaced `=` an unquoted value must end its line (YAML,
//!   INI, headers), and after a spaced `=` or `:=` it must also look random,
//!   so `token = tokens[i]` or `token: str` stay, and after `:` it must not
//!   be a word ending a sentence (`the password: rotated.`);
//! - values that are references or templates (`$VAR`, `${…}`, `{{…}}`,
//!   `<your-key>`, `get_token()`, `self.token`), keywords (`None`, `null`,
//!   `string`…), masks (`****`) or shorter than 4 bytes are not secrets.

use crate::detect::{self, Span, looks_random, run};

/// Which kind a key names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyClass {
    /// `password`, `passwd`, `passphrase`, `pass`.
    Password,
    /// `token`.
    Token,
    /// `secret`, `private_key`, `access_key`.
    Secret,
    /// `secret_key`: an AWS secret key when the value has that shape.
    SecretKey,
    /// `secret_access_key`: always an AWS secret key.
    AwsSecret,
    /// `api_key`.
    ApiKey,
}

impl KeyClass {
    /// The placeholder kind for `value` assigned to a key of this class.
    pub fn kind(self, value: &[u8]) -> &'static str {
        match self {
            KeyClass::Password => detect::PASSWORD,
            KeyClass::Token => detect::TOKEN,
            KeyClass::Secret => detect::SECRET,
            KeyClass::SecretKey if is_aws_secret(value) => detect::AWS_SECRET_KEY,
            KeyClass::SecretKey => detect::SECRET,
            KeyClass::AwsSecret => detect::AWS_SECRET_KEY,
            KeyClass::ApiKey => detect::API_KEY,
        }
    }
}

/// Name endings (lower case, separators removed) and their classes, longest
/// first where one ends another.
const KEY_ENDINGS: &[(&[u8], KeyClass)] = &[
    (b"secretaccesskey", KeyClass::AwsSecret),
    (b"secretkey", KeyClass::SecretKey),
    (b"privatekey", KeyClass::Secret),
    (b"accesskey", KeyClass::Secret),
    (b"apikey", KeyClass::ApiKey),
    (b"password", KeyClass::Password),
    (b"passwd", KeyClass::Password),
    (b"passphrase", KeyClass::Password),
    (b"secret", KeyClass::Secret),
    (b"token", KeyClass::Token),
];

/// Words that are never a secret value (compared ignoring case): keywords,
/// type names and stand-ins.
const NOT_VALUES: &[&str] = &[
    "null",
    "none",
    "nil",
    "true",
    "false",
    "undefined",
    "empty",
    "required",
    "optional",
    "string",
    "bytes",
    "integer",
    "number",
    "bool",
    "boolean",
    "unknown",
    "object",
    "float",
    "double",
    "char",
    "void",
    "list",
    "dict",
    "uuid",
    "date",
    "datetime",
    "text",
    "varchar",
    "usize",
    "isize",
    "secretstr",
    "secretstring",
    "redacted",
    "hidden",
    "masked",
];

/// Whether a key ending in the bytes `x`, `y` may name a secret: `false`
/// when both are letters or digits that no ending ends with (`pass` ends in
/// `ss`). A key that ends otherwise goes on to the full check.
const fn may_end_a_key(x: u8, y: u8) -> bool {
    if !x.is_ascii_alphanumeric() || !y.is_ascii_alphanumeric() {
        return true;
    }
    matches!(
        [x.to_ascii_lowercase(), y.to_ascii_lowercase()],
        [b'e', b'y' | b't' | b'n'] | [b'r' | b'w', b'd'] | [b's', b'e' | b's']
    )
}

/// [`may_end_a_key`] for every pair of bytes, as a bitmap indexed by the
/// pair read as a little-endian u16.
static KEY_END_PAIRS: [u64; 1024] = {
    let mut t = [0u64; 1024];
    let mut pair = 0usize;
    while pair < 1 << 16 {
        if may_end_a_key((pair & 0xff) as u8, (pair >> 8) as u8) {
            t[pair >> 6] |= 1 << (pair & 63);
        }
        pair += 1;
    }
    t
};

/// The class of a key name, if it names a secret.
#[inline]
pub fn key_class(key: &[u8]) -> Option<KeyClass> {
    // Most words are turned away by their last two bytes, in one lookup.
    if let [.., x, y] = key {
        let pair = usize::from(*x) | usize::from(*y) << 8;
        if KEY_END_PAIRS[pair >> 6] & (1 << (pair & 63)) == 0 {
            return None;
        }
    }
    full_key_class(key)
}

/// [`key_class`] past its first lookup.
fn full_key_class(key: &[u8]) -> Option<KeyClass> {
    // Every ending is at least 4 long and ends in one of these letters.
    let last = key.iter().rev().find(|c| c.is_ascii_alphanumeric())?;
    if key.len() < 4
        || !matches!(
            last.to_ascii_lowercase(),
            b'y' | b'd' | b'e' | b't' | b'n' | b's'
        )
    {
        return None;
    }
    // The last (up to) 16 letters and digits, lower-cased.
    let mut buf = [0u8; 16];
    let mut n = 0;
    for &c in key.iter().rev().filter(|c| c.is_ascii_alphanumeric()) {
        if n == buf.len() {
            break;
        }
        n += 1;
        buf[buf.len() - n] = c.to_ascii_lowercase();
    }
    let tail = &buf[buf.len() - n..];
    // Every ending is at least 5 long and ends in one of these pairs; most
    // words are turned away here, before any comparison of whole endings.
    let candidate = matches!(
        tail,
        [.., _, _, _, b'e', b'y']
            | [.., _, _, _, b'r' | b'w', b'd']
            | [.., _, _, _, b's', b'e']
            | [.., _, _, _, b'e', b't' | b'n']
    );
    let found = candidate
        .then(|| {
            KEY_ENDINGS
                .iter()
                .find(|(ending, _)| tail.ends_with(ending))
                .map(|(_, class)| *class)
        })
        .flatten();
    found.or_else(|| ends_with_pass_word(key).then_some(KeyClass::Password))
}

/// `pass` as its own word at the end: `pass`, `DB_PASS`, `db-pass`, `dbPass`.
fn ends_with_pass_word(key: &[u8]) -> bool {
    let n = key.len();
    if n < 4 || !key[n - 4..].eq_ignore_ascii_case(b"pass") {
        return false;
    }
    n == 4
        || matches!(key[n - 5], b'_' | b'-' | b'.')
        || (key[n - 4] == b'P' && key[n - 5].is_ascii_lowercase())
}

/// 40 bytes of base64: the shape of an AWS secret access key.
fn is_aws_secret(v: &[u8]) -> bool {
    v.len() == 40
        && v.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'/' | b'+' | b'='))
}

/// How a value was attached to its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sep {
    /// `=`, with `blanks` telling whether spaces stood around it.
    Eq { blanks: bool },
    /// `:=` or `=>`.
    Bind,
    /// `:`.
    Colon,
    /// `--flag value`.
    Flag,
}

/// The value assigned to the key at `key_start..key_end`, if any.
pub fn value_after(
    b: &[u8],
    key_start: usize,
    key_end: usize,
    class: KeyClass,
) -> Option<Span<'static>> {
    let blank = |c: u8| c == b' ' || c == b'\t';
    let mut p = key_end;
    // The closing quote of a quoted key: `"password": …` or `\"password\": …`.
    if matches!(b.get(p), Some(b'"' | b'\'')) {
        p += 1;
    } else if b[p..].starts_with(b"\\\"") {
        p += 2;
    }
    let before = run(b, p, blank);
    let spaced_before = before > p;
    p = before;
    let rest = &b[p..];
    let sep = if rest.starts_with(b":=") || rest.starts_with(b"=>") {
        p += 2;
        Sep::Bind
    } else if rest.first() == Some(&b'=') && rest.get(1) != Some(&b'=') {
        p += 1;
        Sep::Eq { blanks: false }
    } else if rest.first() == Some(&b':') && !matches!(rest.get(1), Some(b':' | b'/')) {
        p += 1;
        Sep::Colon
    } else if spaced_before && b[key_start] == b'-' && !rest.is_empty() {
        Sep::Flag
    } else {
        return None;
    };
    let after = run(b, p, blank);
    let sep = match sep {
        Sep::Eq { .. } => Sep::Eq {
            blanks: spaced_before || after > p,
        },
        other => other,
    };
    p = after;
    if let Some((start, end)) = quoted_at(b, p) {
        let value = &b[start..end];
        return quoted_value_ok(value).then(|| Span {
            start,
            end,
            kind: class.kind(value),
        });
    }
    let end = run(b, p, unquoted_char);
    let value = &b[p..end];
    if !unquoted_value_ok(value) || matches!(b.get(end), Some(b'(' | b'[')) {
        return None;
    }
    let aws = matches!(class, KeyClass::AwsSecret | KeyClass::SecretKey) && is_aws_secret(value);
    let accept = aws
        || match sep {
            Sep::Eq { blanks: false } | Sep::Flag => true,
            Sep::Colon => ends_line(b, end) && !value.contains(&b'<') && !prose_word(value),
            Sep::Eq { blanks: true } | Sep::Bind => ends_line(b, end) && looks_random(value),
        };
    accept.then(|| Span {
        start: p,
        end,
        kind: class.kind(value),
    })
}

/// Longest quoted value looked for, so many unclosed quotes on one huge line
/// stay linear. Longer token-shaped secrets are still found by `detect`.
const MAX_QUOTED: usize = 2048;

/// The inside of a quoted value opening at `p` (`"`, `'`, `` ` `` or `\"`),
/// closed on the same line within [`MAX_QUOTED`] bytes.
fn quoted_at(b: &[u8], p: usize) -> Option<(usize, usize)> {
    let limit = b.len().min(p + MAX_QUOTED);
    if b[p..].starts_with(b"\\\"") {
        let start = p + 2;
        let mut i = start;
        while i + 1 < limit && b[i] != b'\n' {
            if b[i] == b'\\' && b[i + 1] == b'"' {
                return Some((start, i));
            }
            i += 1;
        }
        return None;
    }
    let quote = *b.get(p)?;
    if !matches!(quote, b'"' | b'\'' | b'`') {
        return None;
    }
    let start = p + 1;
    let mut i = start;
    while i < limit && b[i] != b'\n' {
        if b[i] == b'\\' {
            i += 2;
            continue;
        }
        if b[i] == quote {
            return Some((start, i));
        }
        i += 1;
    }
    None
}

/// Bytes of an unquoted value.
fn unquoted_char(c: u8) -> bool {
    !c.is_ascii_whitespace()
        && !matches!(
            c,
            b'"' | b'\''
                | b'`'
                | b','
                | b';'
                | b'&'
                | b'<'
                | b'>'
                | b'('
                | b')'
                | b'['
                | b']'
                | b'{'
                | b'}'
                | b'|'
                | b'\\'
        )
}

/// True when only blanks stand between `i` and the end of its line (or a
/// closing quote, a `#` comment, or a `\n` escape in JSON-escaped text).
fn ends_line(b: &[u8], i: usize) -> bool {
    let j = run(b, i, |c| c == b' ' || c == b'\t');
    match b.get(j) {
        None | Some(b'\n' | b'\r' | b'"' | b'\'') => true,
        Some(b'#') => j > i,
        Some(b'\\') => matches!(b.get(j + 1), Some(b'n' | b'r' | b'"')),
        _ => false,
    }
}

/// Words ending a sentence (`base64.`, `sk-learn!`): prose after
/// `Password:`, not a value. A value ending in `.` is always taken for prose;
/// one ending in `!` or `?` only when it has no digit.
fn prose_word(v: &[u8]) -> bool {
    match v.split_last() {
        Some((b'.', _)) => true,
        Some((b'!' | b'?', rest)) => !rest.iter().any(u8::is_ascii_digit),
        _ => false,
    }
}

/// Checks shared by quoted and unquoted values.
fn value_ok(v: &[u8]) -> bool {
    if v.len() < 4 || v.iter().all(|&c| c == v[0]) {
        return false;
    }
    let Ok(s) = std::str::from_utf8(v) else {
        return true;
    };
    if s.starts_with("[[REDACTED:") || s.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("your")) {
        return false;
    }
    if NOT_VALUES.iter().any(|w| s.eq_ignore_ascii_case(w)) {
        return false;
    }
    let templated = s.starts_with("${")
        || s.starts_with("$(")
        || s.starts_with("{{")
        || s.starts_with("%(")
        || s.starts_with("%s")
        || (s.starts_with('<') && s.ends_with('>'))
        || (s.starts_with('{') && s.ends_with('}'))
        || is_env_reference(v);
    !templated
}

/// `$NAME` or `$name`: a variable, not a value.
fn is_env_reference(v: &[u8]) -> bool {
    v.first() == Some(&b'$')
        && v.len() > 1
        && v[1..]
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || *c == b'_')
}

/// A quoted value that may be a secret.
pub fn quoted_value_ok(v: &[u8]) -> bool {
    value_ok(v) && !v.contains(&b'\n')
}

/// An unquoted value that may be a secret: not a reference to a variable
/// named like a secret (`password=password`, `token=self.token`).
fn unquoted_value_ok(v: &[u8]) -> bool {
    value_ok(v)
        && v.first()
            .is_some_and(|c| !matches!(c, b'$' | b'%' | b'*' | b'-' | b'#' | b'!' | b'&'))
        && key_class(v).is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<(&'static str, String)> {
        let mut spans = Vec::new();
        crate::scan::builtin(text, &mut Vec::new(), &mut spans);
        spans
            .iter()
            .map(|s| (s.kind, text[s.start..s.end].to_string()))
            .collect()
    }

    #[test]
    fn first_lookup_turns_away_only_non_keys() {
        // Every key the full check knows, cased and suffixed in every way,
        // plus pseudo-random words: the first lookup agrees with it.
        let mut words: Vec<Vec<u8>> = Vec::new();
        for (ending, _) in KEY_ENDINGS
            .iter()
            .chain(&[(&b"pass"[..], KeyClass::Password)])
        {
            for prefix in [&b""[..], b"db_", b"x-", b"my.", b"A"] {
                for suffix in [&b""[..], b"_", b"-", b".", b"__"] {
                    let word = [prefix, ending, suffix].concat();
                    words.push(word.to_ascii_uppercase());
                    words.push(word);
                }
            }
        }
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..20_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = 1 + (seed % 12) as usize;
            let alphabet = b"aAdDeEnNrRsStTwWyY0_-.k";
            words.push(
                (0..len)
                    .map(|k| alphabet[((seed >> (k * 5)) % alphabet.len() as u64) as usize])
                    .collect(),
            );
        }
        for word in &words {
            assert_eq!(
                key_class(word),
                full_key_class(word),
                "{}",
                String::from_utf8_lossy(word)
            );
        }
        assert!(words.iter().filter(|w| full_key_class(w).is_some()).count() > 100);
    }

    #[test]
    fn key_classes() {
        assert_eq!(key_class(b"password"), Some(KeyClass::Password));
        assert_eq!(key_class(b"DB_PASSWORD"), Some(KeyClass::Password));
        assert_eq!(key_class(b"--password"), Some(KeyClass::Password));
        assert_eq!(key_class(b"DB_PASS"), Some(KeyClass::Password));
        assert_eq!(key_class(b"dbPass"), Some(KeyClass::Password));
        assert_eq!(key_class(b"bypass"), None);
        assert_eq!(key_class(b"compass"), None);
        assert_eq!(key_class(b"GITHUB_TOKEN"), Some(KeyClass::Token));
        assert_eq!(key_class(b"csrfToken"), Some(KeyClass::Token));
        assert_eq!(key_class(b"max_tokens"), None);
        assert_eq!(key_class(b"tokenizer"), None);
        assert_eq!(key_class(b"client_secret"), Some(KeyClass::Secret));
        assert_eq!(key_class(b"secret_name"), None);
        assert_eq!(key_class(b"OPENAI_API_KEY"), Some(KeyClass::ApiKey));
        assert_eq!(key_class(b"x-api-key"), Some(KeyClass::ApiKey));
        assert_eq!(
            key_class(b"aws_secret_access_key"),
            Some(KeyClass::AwsSecret)
        );
        assert_eq!(key_class(b"SecretAccessKey"), Some(KeyClass::AwsSecret));
        assert_eq!(key_class(b"secret_key"), Some(KeyClass::SecretKey));
        assert_eq!(key_class(b"aws_access_key_id"), None);
        assert_eq!(key_class(b"password_hash"), None);
    }

    #[test]
    fn finds_assignments() {
        let cases: &[(&str, &str, &str)] = &[
            ("password=hunter2", detect::PASSWORD, "hunter2"),
            (
                "export DB_PASSWORD=p@ss.w0rd!",
                detect::PASSWORD,
                "p@ss.w0rd!",
            ),
            ("url?token=abc123def&x=1", detect::TOKEN, "abc123def"),
            ("password: hunter22\nnext: 1", detect::PASSWORD, "hunter22"),
            (r"password: hunter22\nnext: 1", detect::PASSWORD, "hunter22"),
            ("  api_key: 'k-123456'", detect::API_KEY, "k-123456"),
            (
                r#"{"client_secret": "s3cr3t value"}"#,
                detect::SECRET,
                "s3cr3t value",
            ),
            (
                r#"{\"password\": \"hunter2\"}"#,
                detect::PASSWORD,
                "hunter2",
            ),
            ("password = \"hunter2\"", detect::PASSWORD, "hunter2"),
            ("token := `abcd1234`", detect::TOKEN, "abcd1234"),
            ("'api_key' => 'zzz-111'", detect::API_KEY, "zzz-111"),
            (
                "gh auth login --token abcd1234efgh",
                detect::TOKEN,
                "abcd1234efgh",
            ),
            ("-H \"X-Api-Key: abc123xyz\"", detect::API_KEY, "abc123xyz"),
            (
                "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                detect::AWS_SECRET_KEY,
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            ),
            (
                "\"SecretAccessKey\": \"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\",",
                detect::AWS_SECRET_KEY,
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            ),
            ("secret_key=abcdefgh", detect::SECRET, "abcdefgh"),
            (
                "TOKEN = Zx9Kq2Lm8Np4Rt6Vw1Yb3",
                detect::TOKEN,
                "Zx9Kq2Lm8Np4Rt6Vw1Yb3",
            ),
        ];
        for (text, kind, value) in cases {
            assert_eq!(found(text), vec![(*kind, value.to_string())], "{text}");
        }
    }

    #[test]
    fn big_inputs_stay_fast() {
        let text = format!(
            "{} token=\"{}",
            "token=\"{{x}}\" ".repeat(50_000),
            "a".repeat(100_000)
        );
        let start = std::time::Instant::now();
        assert_eq!(found(&text), vec![]);
        assert!(start.elapsed() < std::time::Duration::from_secs(2));
    }

    #[test]
    fn leaves_code_and_prose() {
        for text in [
            "max_tokens=100",
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
            "password=password",
            "token=self.token",
            "self.token = token",
            "if token == expected {",
            "token := os.Getenv(\"TOKEN\")",
            "let token = env::var(\"TOKEN\")?;",
            "\"password\": {\"type\": \"string\", \"minLength\": 8}",
            "\"api_key\": {",
            "password: ********",
            "token: <your-token>",
            "API_KEY=your-api-key-here",
            "Enter your API key:",
            "Token: see the docs for details",
            "Remember the password: secret.\nok",
            "The password must be at least 8 characters.",
            "password:\n  value: x",
            "docker run -e API_KEY=$API_KEY image",
            "<input type=\"password\" name=\"password\">",
            "token_type=bearer num_tokens=512 TOKEN_LIMIT=4096",
            "secret = compute_secret(seed)",
            "password.length >= 8",
            "x = {password: 'abc'}",
        ] {
            assert_eq!(found(text), vec![], "{text}");
        }
    }
}
