//! A small shell tokenizer: quotes, escapes, expansions, substitutions,
//! operators, redirections and here-documents, the way a POSIX shell (and
//! bash) splits a command line. No regular expressions: structure comes
//! from walking the bytes once.
//!
//! Word text is the word after quote removal, with expansions kept as
//! written (`$HOME`, `${X}`, `$(pwd)`), which is how a reader sees the
//! word. Command substitutions, backticks and process substitutions are
//! parsed into nested [`Script`]s, since they run too.

use crate::ast::{self, Script};

/// How deep substitutions (`$( $( … ) )`, backticks) may nest before the
/// rest is skipped unparsed (and the command flagged as too deep).
pub const MAX_DEPTH: u32 = 16;

/// One shell word.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Word {
    /// The text after quote removal, expansions as written.
    pub text: String,
    /// Some part was quoted or escaped.
    pub quoted: bool,
    /// An unquoted `*`, `?` or `[` (a glob pattern).
    pub glob: bool,
    /// Starts with an unquoted `~` (tilde expansion).
    pub tilde: bool,
    /// Starts with an expansion (`$…`, `${…}`, `$(…)`, backticks).
    pub lead_expansion: bool,
    /// Commands run inside the word.
    pub subs: Vec<Sub>,
}

impl Word {
    /// A literal word (an argv element from a JSON array).
    pub fn literal(text: &str) -> Word {
        Word {
            text: text.to_string(),
            quoted: true,
            ..Word::default()
        }
    }

    /// True when the word is exactly `text`, unquoted.
    pub fn is(&self, text: &str) -> bool {
        !self.quoted && self.text == text
    }
}

/// What kind of substitution a nested script came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubKind {
    /// `$( … )` or backticks: the output becomes text.
    Command,
    /// `<( … )`: the output is read as a file.
    ProcessIn,
    /// `>( … )`: a file written into the command.
    ProcessOut,
}

/// A command run inside a word.
#[derive(Debug, Clone, PartialEq)]
pub struct Sub {
    /// How it was written.
    pub kind: SubKind,
    /// What it runs.
    pub script: Script,
}

/// A redirection operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedirKind {
    /// `>`, `>|`, `&>`.
    Out,
    /// `>>`, `&>>`.
    Append,
    /// `<`.
    In,
    /// `<>`.
    ReadWrite,
    /// `>&`, `<&` (duplicating a descriptor).
    Dup,
    /// `<<`, `<<-`: the target word is the document's body.
    HereDoc,
    /// `<<<`.
    HereString,
}

impl RedirKind {
    /// True for operators that write to their target.
    pub fn writes(self) -> bool {
        matches!(
            self,
            RedirKind::Out | RedirKind::Append | RedirKind::ReadWrite
        )
    }
}

/// A token.
#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    /// A word.
    Word(Word),
    /// `&&`.
    And,
    /// `||`.
    Or,
    /// `;`.
    Semi,
    /// `;;` (and `;&`, `;;&`): ends a `case` branch.
    DSemi,
    /// `|` or `|&`.
    Pipe,
    /// `&`.
    Amp,
    /// `(`.
    LParen,
    /// `)`.
    RParen,
    /// A newline.
    Newline,
    /// A redirection; its target is the next word, or for a here-document
    /// the body stored under `heredoc`.
    Redir {
        /// The redirected descriptor, when written (`2>`).
        fd: Option<u32>,
        /// The operator.
        kind: RedirKind,
        /// Index of the here-document body.
        heredoc: Option<usize>,
    },
}

/// A here-document waiting for its body (read after the next newline).
#[derive(Debug)]
struct Pending {
    index: usize,
    delim: Vec<u8>,
    strip_tabs: bool,
}

/// Parse a command line into a [`Script`].
pub fn parse(src: &str) -> Script {
    parse_at(src, 0)
}

/// Parse a command line found `depth` substitutions deep.
pub fn parse_at(src: &str, depth: u32) -> Script {
    if depth >= MAX_DEPTH {
        return Script {
            too_deep: true,
            ..Script::default()
        };
    }
    let mut lexer = Lexer {
        s: src.as_bytes(),
        pos: 0,
        depth,
        heredocs: Vec::new(),
        pending: Vec::new(),
        too_deep: false,
    };
    let toks = lexer.tokens(false);
    let mut script = ast::parse(toks, &lexer.heredocs);
    script.too_deep |= lexer.too_deep;
    script
}

/// The tokenizer state.
struct Lexer<'a> {
    s: &'a [u8],
    pos: usize,
    depth: u32,
    heredocs: Vec<String>,
    pending: Vec<Pending>,
    too_deep: bool,
}

fn text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

fn is_name_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

impl Lexer<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn at(&self, offset: usize) -> Option<u8> {
        self.s.get(self.pos + offset).copied()
    }

    /// Tokens up to the end, or (with `until_rparen`) up to and including
    /// the `)` that closes a substitution.
    fn tokens(&mut self, until_rparen: bool) -> Vec<Tok> {
        let mut out = Vec::new();
        let mut parens = 0u32;
        while let Some(c) = self.peek() {
            match c {
                b' ' | b'\t' | b'\r' => self.pos += 1,
                b'\\' if self.at(1) == Some(b'\n') => self.pos += 2,
                b'\n' => {
                    self.pos += 1;
                    out.push(Tok::Newline);
                    self.read_heredocs();
                }
                b'#' => {
                    while let Some(c) = self.peek() {
                        if c == b'\n' {
                            break;
                        }
                        self.pos += 1;
                    }
                }
                b';' => {
                    self.pos += 1;
                    match self.peek() {
                        Some(b';') => {
                            self.pos += 1;
                            if self.peek() == Some(b'&') {
                                self.pos += 1;
                            }
                            out.push(Tok::DSemi);
                        }
                        Some(b'&') => {
                            self.pos += 1;
                            out.push(Tok::DSemi);
                        }
                        _ => out.push(Tok::Semi),
                    }
                }
                b'&' => match self.at(1) {
                    Some(b'&') => {
                        self.pos += 2;
                        out.push(Tok::And);
                    }
                    Some(b'>') => {
                        self.pos += 2;
                        let kind = if self.peek() == Some(b'>') {
                            self.pos += 1;
                            RedirKind::Append
                        } else {
                            RedirKind::Out
                        };
                        out.push(Tok::Redir {
                            fd: None,
                            kind,
                            heredoc: None,
                        });
                    }
                    _ => {
                        self.pos += 1;
                        out.push(Tok::Amp);
                    }
                },
                b'|' => match self.at(1) {
                    Some(b'|') => {
                        self.pos += 2;
                        out.push(Tok::Or);
                    }
                    Some(b'&') => {
                        self.pos += 2;
                        out.push(Tok::Pipe);
                    }
                    _ => {
                        self.pos += 1;
                        out.push(Tok::Pipe);
                    }
                },
                b'(' => {
                    self.pos += 1;
                    parens += 1;
                    out.push(Tok::LParen);
                }
                b')' => {
                    self.pos += 1;
                    if until_rparen && parens == 0 {
                        return out;
                    }
                    parens = parens.saturating_sub(1);
                    out.push(Tok::RParen);
                }
                b'<' | b'>' if self.at(1) != Some(b'(') => {
                    let tok = self.redirect(None);
                    out.push(tok);
                }
                b'0'..=b'9' if self.fd_redirect().is_some() => {
                    let (fd, end) = self.fd_redirect().unwrap_or((0, self.pos));
                    self.pos = end;
                    let tok = self.redirect(Some(fd));
                    out.push(tok);
                }
                _ => {
                    let before = self.pos;
                    let word = self.word();
                    if self.pos == before {
                        // Never stall on a byte the word reader does not take.
                        self.pos += 1;
                    } else {
                        out.push(Tok::Word(word));
                    }
                }
            }
        }
        out
    }

    /// Digits right before a redirection operator: the descriptor and
    /// where the operator starts.
    fn fd_redirect(&self) -> Option<(u32, usize)> {
        let mut end = self.pos;
        while self.s.get(end).is_some_and(u8::is_ascii_digit) {
            end += 1;
        }
        match (self.s.get(end), self.s.get(end + 1)) {
            (Some(b'<' | b'>'), next) if next != Some(&b'(') => {
                let digits = std::str::from_utf8(&self.s[self.pos..end]).ok()?;
                Some((digits.parse().unwrap_or(u32::MAX), end))
            }
            _ => None,
        }
    }

    /// A redirection operator at `<` or `>`.
    fn redirect(&mut self, fd: Option<u32>) -> Tok {
        let first = self.peek();
        self.pos += 1;
        let kind = match (first, self.peek()) {
            (Some(b'>'), Some(b'>')) => {
                self.pos += 1;
                RedirKind::Append
            }
            (Some(b'>'), Some(b'&')) | (Some(b'<'), Some(b'&')) => {
                self.pos += 1;
                RedirKind::Dup
            }
            (Some(b'>'), Some(b'|')) => {
                self.pos += 1;
                RedirKind::Out
            }
            (Some(b'>'), _) => RedirKind::Out,
            (_, Some(b'>')) => {
                self.pos += 1;
                RedirKind::ReadWrite
            }
            (_, Some(b'<')) => {
                self.pos += 1;
                if self.peek() == Some(b'<') {
                    self.pos += 1;
                    RedirKind::HereString
                } else {
                    let strip_tabs = self.peek() == Some(b'-');
                    if strip_tabs {
                        self.pos += 1;
                    }
                    return self.heredoc(fd, strip_tabs);
                }
            }
            _ => RedirKind::In,
        };
        Tok::Redir {
            fd,
            kind,
            heredoc: None,
        }
    }

    /// `<<` was read: the delimiter word follows; the body comes after the
    /// next newline.
    fn heredoc(&mut self, fd: Option<u32>, strip_tabs: bool) -> Tok {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
        let delim = self.word().text.into_bytes();
        let index = self.heredocs.len();
        self.heredocs.push(String::new());
        self.pending.push(Pending {
            index,
            delim,
            strip_tabs,
        });
        Tok::Redir {
            fd,
            kind: RedirKind::HereDoc,
            heredoc: Some(index),
        }
    }

    /// After a newline: the bodies of the here-documents started on the
    /// line before.
    fn read_heredocs(&mut self) {
        for p in std::mem::take(&mut self.pending) {
            let mut body = Vec::new();
            while self.pos < self.s.len() {
                let start = self.pos;
                while self.peek().is_some_and(|c| c != b'\n') {
                    self.pos += 1;
                }
                let line = &self.s[start..self.pos];
                if self.peek() == Some(b'\n') {
                    self.pos += 1;
                }
                let mut cmp = line;
                if p.strip_tabs {
                    while let [b'\t', rest @ ..] = cmp {
                        cmp = rest;
                    }
                }
                let cmp = cmp.strip_suffix(b"\r").unwrap_or(cmp);
                if cmp == p.delim.as_slice() {
                    break;
                }
                body.extend_from_slice(cmp);
                body.push(b'\n');
            }
            if let Some(slot) = self.heredocs.get_mut(p.index) {
                *slot = text(body);
            }
        }
    }

    /// One word, up to an unquoted blank or operator.
    fn word(&mut self) -> Word {
        let mut w = Word::default();
        let mut buf: Vec<u8> = Vec::new();
        let start = self.pos;
        while let Some(c) = self.peek() {
            match c {
                b' ' | b'\t' | b'\r' | b'\n' | b';' | b'&' | b'|' | b'(' | b')' => break,
                b'<' | b'>' => {
                    if self.pos == start && self.at(1) == Some(b'(') {
                        let kind = if c == b'<' {
                            SubKind::ProcessIn
                        } else {
                            SubKind::ProcessOut
                        };
                        self.pos += 2;
                        let script = self.sub_script();
                        buf.extend_from_slice(&self.s[start..self.pos]);
                        w.lead_expansion = true;
                        w.subs.push(Sub { kind, script });
                    } else {
                        break;
                    }
                }
                b'\\' => {
                    self.pos += 1;
                    match self.peek() {
                        Some(b'\n') => self.pos += 1,
                        Some(next) => {
                            buf.push(next);
                            self.pos += 1;
                            w.quoted = true;
                        }
                        None => {}
                    }
                }
                b'\'' => {
                    self.pos += 1;
                    w.quoted = true;
                    while let Some(c) = self.peek() {
                        self.pos += 1;
                        if c == b'\'' {
                            break;
                        }
                        buf.push(c);
                    }
                }
                b'"' => {
                    self.pos += 1;
                    w.quoted = true;
                    self.double_quoted(&mut buf, &mut w);
                }
                b'$' => self.dollar(&mut buf, &mut w, false),
                b'`' => self.backtick(&mut buf, &mut w),
                b'*' | b'?' | b'[' => {
                    w.glob = true;
                    buf.push(c);
                    self.pos += 1;
                }
                b'~' if buf.is_empty() && !w.quoted => {
                    w.tilde = true;
                    buf.push(c);
                    self.pos += 1;
                }
                _ => {
                    buf.push(c);
                    self.pos += 1;
                }
            }
        }
        w.text = text(buf);
        w
    }

    /// The inside of `"…"` (the opening quote is consumed).
    fn double_quoted(&mut self, buf: &mut Vec<u8>, w: &mut Word) {
        while let Some(c) = self.peek() {
            match c {
                b'"' => {
                    self.pos += 1;
                    return;
                }
                b'\\' => match self.at(1) {
                    Some(b'\n') => self.pos += 2,
                    Some(next @ (b'$' | b'`' | b'"' | b'\\')) => {
                        buf.push(next);
                        self.pos += 2;
                    }
                    _ => {
                        buf.push(b'\\');
                        self.pos += 1;
                    }
                },
                b'$' => self.dollar(buf, w, true),
                b'`' => self.backtick(buf, w),
                _ => {
                    buf.push(c);
                    self.pos += 1;
                }
            }
        }
    }

    /// An expansion at `$`.
    fn dollar(&mut self, buf: &mut Vec<u8>, w: &mut Word, in_quotes: bool) {
        let start = self.pos;
        let lead = buf.is_empty();
        match self.at(1) {
            Some(b'\'') if !in_quotes => {
                self.pos += 2;
                w.quoted = true;
                self.ansi_c(buf);
                return;
            }
            Some(b'"') if !in_quotes => {
                // `$"…"`: a translated string, read as a plain one.
                self.pos += 1;
                return;
            }
            Some(b'(') if self.at(2) == Some(b'(') => {
                self.pos += 3;
                self.skip_balanced(b'(', b')', 2);
            }
            Some(b'(') => {
                self.pos += 2;
                let script = self.sub_script();
                w.subs.push(Sub {
                    kind: SubKind::Command,
                    script,
                });
            }
            Some(b'{') => {
                self.pos += 2;
                self.skip_balanced(b'{', b'}', 1);
            }
            Some(c) if c.is_ascii_digit() => self.pos += 2,
            Some(c) if is_name_byte(c) => {
                self.pos += 1;
                while self.peek().is_some_and(is_name_byte) {
                    self.pos += 1;
                }
            }
            Some(b'@' | b'*' | b'#' | b'?' | b'$' | b'!' | b'-') => self.pos += 2,
            _ => {
                buf.push(b'$');
                self.pos += 1;
                return;
            }
        }
        if lead {
            w.lead_expansion = true;
        }
        buf.extend_from_slice(&self.s[start..self.pos]);
    }

    /// Skip to the byte closing `depth` levels of `open`, ignoring quoted
    /// parts.
    fn skip_balanced(&mut self, open: u8, close: u8, mut depth: u32) {
        while let Some(c) = self.peek() {
            self.pos += 1;
            match c {
                b'\\' => self.pos += 1,
                b'\'' => {
                    while let Some(c) = self.peek() {
                        self.pos += 1;
                        if c == b'\'' {
                            break;
                        }
                    }
                }
                _ if c == open => depth += 1,
                _ if c == close => {
                    depth -= 1;
                    if depth == 0 {
                        return;
                    }
                }
                _ => {}
            }
        }
        self.pos = self.pos.min(self.s.len());
    }

    /// The body of `$( … )` or `<( … )` (the opening is consumed), up to
    /// and including its `)`.
    fn sub_script(&mut self) -> Script {
        if self.depth + 1 >= MAX_DEPTH {
            self.too_deep = true;
            self.skip_balanced(b'(', b')', 1);
            return Script::default();
        }
        self.depth += 1;
        let pending = std::mem::take(&mut self.pending);
        let toks = self.tokens(true);
        // Here-documents started inside without a newline there are lost.
        self.pending = pending;
        self.depth -= 1;
        ast::parse(toks, &self.heredocs)
    }

    /// A backtick substitution at `` ` ``.
    fn backtick(&mut self, buf: &mut Vec<u8>, w: &mut Word) {
        if buf.is_empty() {
            w.lead_expansion = true;
        }
        let start = self.pos;
        self.pos += 1;
        let mut inner = Vec::new();
        while let Some(c) = self.peek() {
            self.pos += 1;
            match c {
                b'`' => break,
                b'\\' => match self.peek() {
                    Some(next @ (b'`' | b'\\' | b'$')) => {
                        inner.push(next);
                        self.pos += 1;
                    }
                    _ => inner.push(b'\\'),
                },
                _ => inner.push(c),
            }
        }
        buf.extend_from_slice(&self.s[start..self.pos.min(self.s.len())]);
        let script = parse_at(&text(inner), self.depth + 1);
        self.too_deep |= script.too_deep;
        w.subs.push(Sub {
            kind: SubKind::Command,
            script,
        });
    }

    /// The inside of `$'…'` (the opening is consumed).
    fn ansi_c(&mut self, buf: &mut Vec<u8>) {
        while let Some(c) = self.peek() {
            self.pos += 1;
            match c {
                b'\'' => return,
                b'\\' => {
                    let Some(e) = self.peek() else { return };
                    self.pos += 1;
                    match e {
                        b'n' => buf.push(b'\n'),
                        b't' => buf.push(b'\t'),
                        b'r' => buf.push(b'\r'),
                        b'a' => buf.push(7),
                        b'b' => buf.push(8),
                        b'e' | b'E' => buf.push(27),
                        b'f' => buf.push(12),
                        b'v' => buf.push(11),
                        b'x' => {
                            let mut v = 0u32;
                            let mut n = 0;
                            while n < 2 {
                                match self.peek().and_then(|c| (c as char).to_digit(16)) {
                                    Some(d) => {
                                        v = v * 16 + d;
                                        self.pos += 1;
                                        n += 1;
                                    }
                                    None => break,
                                }
                            }
                            buf.push(u8::try_from(v).unwrap_or(b'?'));
                        }
                        b'0'..=b'7' => {
                            let mut v = u32::from(e - b'0');
                            let mut n = 1;
                            while n < 3 {
                                match self.peek() {
                                    Some(d @ b'0'..=b'7') => {
                                        v = v * 8 + u32::from(d - b'0');
                                        self.pos += 1;
                                        n += 1;
                                    }
                                    _ => break,
                                }
                            }
                            buf.push(u8::try_from(v & 0xff).unwrap_or(b'?'));
                        }
                        other => buf.push(other),
                    }
                }
                _ => buf.push(c),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ast::Stage;

    /// The words of every simple command, top level only.
    fn commands(src: &str) -> Vec<Vec<String>> {
        let script = parse(src);
        let mut out = Vec::new();
        for p in &script.pipelines {
            for s in &p.stages {
                if let Stage::Command(c) = s {
                    out.push(c.words.iter().map(|w| w.text.clone()).collect());
                }
            }
        }
        out
    }

    #[test]
    fn splits_on_operators() {
        assert_eq!(
            commands("cd src && make -j4 || echo fail; ls | wc -l & date\nid"),
            vec![
                vec!["cd", "src"],
                vec!["make", "-j4"],
                vec!["echo", "fail"],
                vec!["ls"],
                vec!["wc", "-l"],
                vec!["date"],
                vec!["id"]
            ]
        );
    }

    #[test]
    fn quotes_and_escapes() {
        assert_eq!(
            commands(r#"echo 'a b' "c $HOME d" e\ f "x\"y" $'t\tu' \rm"#),
            vec![vec![
                "echo",
                "a b",
                "c $HOME d",
                "e f",
                "x\"y",
                "t\tu",
                "rm"
            ]]
        );
        assert_eq!(
            commands("echo \"a;b|c\" 'd&&e'"),
            vec![vec!["echo", "a;b|c", "d&&e"]]
        );
        assert_eq!(commands("echo a\\\nb"), vec![vec!["echo", "ab"]]);
    }

    #[test]
    fn word_flags() {
        let script = parse("rm -rf ~ \"~\" * '*' $HOME/x \"$HOME\" a$B");
        let Some(Stage::Command(c)) = script.pipelines.first().and_then(|p| p.stages.first())
        else {
            panic!("no command")
        };
        let w = &c.words;
        assert!(w[2].tilde && !w[3].tilde);
        assert!(w[4].glob && !w[5].glob);
        assert!(w[6].lead_expansion && w[7].lead_expansion && !w[8].lead_expansion);
    }

    #[test]
    fn substitutions_are_parsed() {
        let script = parse("echo \"$(rm -rf / && ls)\" `whoami` <(curl x)");
        let Some(Stage::Command(c)) = script.pipelines.first().and_then(|p| p.stages.first())
        else {
            panic!("no command")
        };
        assert_eq!(c.words[1].subs[0].script.pipelines.len(), 2);
        assert_eq!(c.words[1].text, "$(rm -rf / && ls)");
        assert_eq!(c.words[2].subs[0].kind, SubKind::Command);
        assert_eq!(c.words[3].subs[0].kind, SubKind::ProcessIn);
    }

    #[test]
    fn redirections_and_heredocs() {
        let script =
            parse("cat <<'EOF' | psql -d x 2>/dev/null\nDROP TABLE t;\nEOF\necho done > out.txt");
        let p = &script.pipelines[0];
        let Stage::Command(cat) = &p.stages[0] else {
            panic!("cat")
        };
        assert_eq!(cat.redirects[0].kind, RedirKind::HereDoc);
        assert_eq!(cat.redirects[0].target.text, "DROP TABLE t;\n");
        let Stage::Command(psql) = &p.stages[1] else {
            panic!("psql")
        };
        assert_eq!(psql.redirects[0].fd, Some(2));
        assert_eq!(psql.redirects[0].target.text, "/dev/null");
        assert_eq!(
            commands(
                "cat <<'EOF' | psql -d x 2>/dev/null\nDROP TABLE t;\nEOF\necho done > out.txt"
            )
            .len(),
            3
        );
    }

    #[test]
    fn comments_are_skipped() {
        assert_eq!(
            commands("ls # rm -rf /\necho a#b"),
            vec![vec!["ls"], vec!["echo", "a#b"]]
        );
    }

    #[test]
    fn never_panics_on_odd_input() {
        for src in [
            "",
            "'",
            "\"",
            "$(",
            "`",
            "$((",
            "${",
            "<<",
            "<<EOF",
            "(((",
            ")))",
            "{ }",
            "&&&",
            "2>",
            "$'\\x",
            "$'\\",
            "\\",
            "a\\",
            "<(",
            "$(echo `",
            "fn() ",
            "function",
            "é $(ü) 'ß'",
            ";;&",
            "9999999999999>x",
        ] {
            let _ = parse(src);
        }
        let deep = "$(".repeat(10_000);
        assert!(parse(&deep).too_deep);
        let deep = "(".repeat(10_000);
        let _ = parse(&deep);
        let ticks = "echo `echo \\`echo \\\\\\`x\\\\\\`\\``".to_string();
        let _ = parse(&ticks);
    }
}
