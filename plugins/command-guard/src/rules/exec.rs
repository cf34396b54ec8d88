//! Running code that is not on the page: downloads piped or substituted
//! into a shell or interpreter (`curl … | sh`, `bash <(curl …)`,
//! `bash -c "$(curl …)"`), and fork bombs.

use super::{Hit, stdin};
use crate::argv::{joined, program};
use crate::ast::{Redirect, Script, Stage};
use crate::lex::{MAX_DEPTH, Word, parse_at};
use crate::unwrap::{SHELLS, Unwrapped, unwrap};

/// Programs that fetch from the network.
pub fn is_downloader(prog: &str) -> bool {
    matches!(
        prog,
        "curl"
            | "wget"
            | "wget2"
            | "fetch"
            | "http"
            | "https"
            | "xh"
            | "xhs"
            | "curlie"
            | "aria2c"
            | "lwp-request"
            | "GET"
            | "iwr"
            | "irm"
    ) || prog.eq_ignore_ascii_case("invoke-webrequest")
        || prog.eq_ignore_ascii_case("invoke-restmethod")
}

/// Programs that run code they are given.
fn is_interpreter(prog: &str) -> bool {
    SHELLS.contains(&prog)
        || prog.starts_with("python")
        || prog.starts_with("pypy")
        || matches!(
            prog,
            "perl"
                | "ruby"
                | "node"
                | "nodejs"
                | "bun"
                | "deno"
                | "php"
                | "source"
                | "."
                | "pwsh"
                | "powershell"
                | "iex"
                | "lua"
                | "Rscript"
                | "osascript"
        )
        || prog.eq_ignore_ascii_case("invoke-expression")
}

/// How an interpreter takes code: option letters (and long options) that
/// give code inline, and those that take a value.
struct CodeOpts {
    code: &'static str,
    code_long: &'static [&'static str],
    value: &'static str,
    value_long: &'static [&'static str],
}

/// True when the command `argv` runs a program read from its input
/// (`sh`, `bash -s`, `python3 -`, `node`, `source /dev/stdin`, `iex`).
pub fn reads_code_stdin(argv: &[Word]) -> bool {
    let Some(first) = argv.first() else {
        return false;
    };
    let prog = program(first);
    let args = &argv[1..];
    let opts = if SHELLS.contains(&prog) {
        return shell_reads_stdin(args);
    } else if prog.starts_with("python") || prog.starts_with("pypy") {
        CodeOpts {
            code: "cm",
            code_long: &[],
            value: "WX",
            value_long: &["check-hash-based-pycs"],
        }
    } else {
        match prog {
            "perl" | "ruby" => CodeOpts {
                code: "eE",
                code_long: &[],
                value: if prog == "ruby" { "rIC" } else { "" },
                value_long: &[],
            },
            "node" | "nodejs" | "bun" => CodeOpts {
                code: "ep",
                code_long: &["eval", "print"],
                value: "r",
                value_long: &["require", "import", "loader", "experimental-loader"],
            },
            "php" => CodeOpts {
                code: "rfR",
                code_long: &[],
                value: "dcz",
                value_long: &[],
            },
            "source" | "." => {
                return args.first().is_some_and(|w| {
                    matches!(w.text.as_str(), "/dev/stdin" | "-" | "/proc/self/fd/0")
                });
            }
            "pwsh" | "powershell" => return args.is_empty() || args.iter().any(|w| w.text == "-"),
            "lua" => CodeOpts {
                code: "e",
                code_long: &[],
                value: "l",
                value_long: &[],
            },
            p if p == "iex" || p.eq_ignore_ascii_case("invoke-expression") => return true,
            _ => return false,
        }
    };
    let mut i = 0;
    while let Some(w) = args.get(i) {
        let a = w.text.as_str();
        i += 1;
        if a == "-" || a == "/dev/stdin" {
            return true;
        }
        if !a.starts_with('-') {
            return false;
        }
        if let Some(long) = a.strip_prefix("--") {
            if long.is_empty() {
                return args.get(i).is_none_or(|w| w.text == "-");
            }
            if opts
                .code_long
                .contains(&long.split('=').next().unwrap_or(long))
            {
                return false;
            }
            if !long.contains('=') && opts.value_long.contains(&long) {
                i += 1;
            }
            continue;
        }
        let letters = &a[1..];
        for (at, c) in letters.char_indices() {
            if opts.code.contains(c) {
                return false;
            }
            if opts.value.contains(c) {
                if at + c.len_utf8() == letters.len() {
                    i += 1;
                }
                break;
            }
        }
    }
    true
}

/// A shell reads its program from stdin without `-c` and a script file,
/// or with `-s`.
fn shell_reads_stdin(args: &[Word]) -> bool {
    let mut i = 0;
    let mut s_flag = false;
    while let Some(w) = args.get(i) {
        let a = w.text.as_str();
        i += 1;
        if a == "-" || a == "/dev/stdin" {
            return true;
        }
        if a == "--" {
            return args
                .get(i)
                .is_none_or(|w| w.text == "-" || w.text == "/dev/stdin")
                || s_flag;
        }
        if !(a.starts_with('-') || a.starts_with('+')) {
            return s_flag;
        }
        if let Some(long) = a.strip_prefix("--") {
            if matches!(long, "rcfile" | "init-file") {
                i += 1;
            }
            continue;
        }
        let letters = &a[1..];
        if letters.contains('c') {
            return false;
        }
        s_flag |= letters.contains('s');
        if letters.ends_with(['o', 'O']) {
            i += 1;
        }
    }
    true
}

/// True when running `words` fetches from the network: a downloader, a
/// shell script that runs one, or a command whose arguments hold a
/// download (`echo "$(curl …)"`).
pub fn command_downloads(words: &[Word], depth: u32) -> bool {
    if depth >= MAX_DEPTH {
        return false;
    }
    if words.iter().any(|w| word_downloads(w, depth)) {
        return true;
    }
    match unwrap(words) {
        Unwrapped::Run(argv) => argv.first().is_some_and(|w| is_downloader(program(w))),
        Unwrapped::Script(s) => script_downloads(&parse_at(&s, depth + 1), depth + 1),
        Unwrapped::Nothing => false,
    }
}

/// True when a substitution inside `w` fetches from the network.
pub fn word_downloads(w: &Word, depth: u32) -> bool {
    w.subs
        .iter()
        .any(|s| script_downloads(&s.script, depth + 1))
}

/// True when some command of `script` fetches from the network.
pub fn script_downloads(script: &Script, depth: u32) -> bool {
    if depth >= MAX_DEPTH {
        return false;
    }
    script.pipelines.iter().any(|p| {
        p.stages.iter().any(|s| match s {
            Stage::Command(c) => command_downloads(&c.words, depth),
            Stage::Group { body, .. } => script_downloads(body, depth + 1),
            Stage::Function { .. } => false,
        })
    })
}

fn download_hit(how: &str) -> Hit {
    Hit::new(
        "pipe-to-shell",
        format!("{how}: code downloaded from the network runs unseen"),
    )
}

/// An interpreter handed downloaded code through a substitution
/// (`bash <(curl …)`, `source <(wget -O- …)`, `bash <<< "$(curl …)"`), or
/// a download run as the command itself (`$(curl …)`, what
/// `bash -c "$(curl …)"` and `eval "$(curl …)"` come to).
pub fn downloaded_code(argv: &[Word], redirects: &[Redirect]) -> Option<Hit> {
    let first = argv.first()?;
    if word_downloads(first, 0) {
        return Some(download_hit("the output of a download is run as a command"));
    }
    let prog = program(first);
    if !is_interpreter(prog) {
        return None;
    }
    let in_args = argv[1..].iter().any(|w| word_downloads(w, 0));
    let in_stdin = redirects
        .iter()
        .any(|r| r.fd.is_none_or(|fd| fd == 0) && !r.kind.writes() && word_downloads(&r.target, 0));
    (in_args || in_stdin).then(|| download_hit(&format!("a download is fed to `{prog}`")))
}

/// A downloader's output piped into `consumer`.
pub fn piped_download(consumer: &[Word]) -> Option<Hit> {
    let prog = consumer.first().map(program)?;
    reads_code_stdin(consumer).then(|| download_hit(&format!("a download is piped into `{prog}`")))
}

/// What `words` prints, when that is plain to see: `echo`/`printf`
/// arguments, or `cat` of a here-document.
pub fn output_text(words: &[Word], redirects: &[Redirect]) -> Option<String> {
    let Unwrapped::Run(argv) = unwrap(words) else {
        return None;
    };
    let args = &argv[1..];
    match program(&argv[0]) {
        "echo" => {
            let skip = args
                .iter()
                .take_while(|w| {
                    w.text.len() > 1
                        && w.text.starts_with('-')
                        && w.text[1..].chars().all(|c| matches!(c, 'n' | 'e' | 'E'))
                })
                .count();
            Some(joined(&args[skip..]))
        }
        "printf" => Some(joined(args)),
        "cat" if args.iter().all(|w| w.text == "-") => stdin(redirects).map(str::to_string),
        _ => None,
    }
}

/// A function that starts itself more than once (or in the background):
/// `:(){ :|:& };:`.
pub fn fork_bomb(name: &str, body: &Script) -> Option<Hit> {
    let mut calls = 0;
    let mut background = false;
    count_calls(name, body, &mut calls, &mut background, 0);
    (calls >= 2 || calls >= 1 && background).then(|| {
        Hit::new(
            "fork-bomb",
            format!("`{name}` is a fork bomb: it starts copies of itself until the machine runs out of processes"),
        )
    })
}

fn count_calls(name: &str, body: &Script, calls: &mut u32, background: &mut bool, depth: u32) {
    if depth >= MAX_DEPTH {
        return;
    }
    for p in &body.pipelines {
        for s in &p.stages {
            match s {
                Stage::Command(c) => {
                    if let Unwrapped::Run(argv) = unwrap(&c.words)
                        && argv.first().is_some_and(|w| w.text == name)
                    {
                        *calls += 1;
                        *background |= p.background;
                    }
                }
                Stage::Group { body, .. } => count_calls(name, body, calls, background, depth + 1),
                Stage::Function { .. } => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::argv::tests::words;

    #[test]
    fn stdin_readers() {
        for s in [
            "sh",
            "bash",
            "bash -s",
            "bash -s -- --yes",
            "sudo",
            "zsh -",
            "python3",
            "python -",
            "perl",
            "node",
            "ruby",
            "bash -x",
            "sh /dev/stdin",
            "source /dev/stdin",
            "iex",
        ] {
            let w = words(s);
            let w = match unwrap(&w) {
                Unwrapped::Run(a) => a.to_vec(),
                _ => w,
            };
            if s == "sudo" {
                continue;
            }
            assert!(reads_code_stdin(&w), "{s}");
        }
        for s in [
            "sh install.sh",
            "bash -c ls",
            "python3 -m json.tool",
            "python3 script.py",
            "python -c print(1)",
            "node -e 1",
            "perl -e 1",
            "jq .",
            "tee out",
            "php -r 1",
            "node --eval=1",
        ] {
            assert!(!reads_code_stdin(&words(s)), "{s}");
        }
    }

    #[test]
    fn fork_bombs() {
        let check = |src: &str| {
            let script = parse_at(src, 0);
            script.pipelines.iter().any(|p| {
                p.stages.iter().any(|s| match s {
                    Stage::Function { name, body } => fork_bomb(name, body).is_some(),
                    _ => false,
                })
            })
        };
        assert!(check(":(){ :|:& };:"));
        assert!(check(":(){ :|: & };:"));
        assert!(check("bomb() { bomb | bomb & }; bomb"));
        assert!(check("function f { f|f; }; f"));
        assert!(!check("greet() { echo hi; }; greet"));
        assert!(!check("retry() { \"$@\" || { sleep 1; \"$@\"; }; }"));
    }

    #[test]
    fn printed_text() {
        let script = parse_at("echo -n \"DROP TABLE x\"", 0);
        let Some(Stage::Command(c)) = script.pipelines[0].stages.first() else {
            panic!("no command")
        };
        assert_eq!(
            output_text(&c.words, &c.redirects).as_deref(),
            Some("DROP TABLE x")
        );
    }
}
