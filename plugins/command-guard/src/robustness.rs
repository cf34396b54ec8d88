//! Random input never makes the filter panic (a trap is an error for the
//! client): command lines built from shell fragments, argv arrays, event
//! streams in any order, argument texts that are barely JSON.

use crate::check::Guard;
use crate::stream::StreamGuard;
use crate::types::{FinishReason, StreamEvent, ToolCallDelta, ToolCallStart};
use crate::verdict::tests::judge;

/// xorshift64: deterministic pseudo-random numbers.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n.max(1) as u64).unwrap_or(0)
    }
}

const FRAGMENTS: &[&str] = &[
    "rm",
    "-rf",
    "/",
    "~",
    "$HOME",
    "'",
    "\"",
    "`",
    "$(",
    ")",
    "(",
    "{",
    "}",
    ";",
    "&&",
    "||",
    "|",
    "&",
    "\n",
    "<<",
    "EOF",
    "<<-",
    "<<<",
    ">",
    "2>",
    ">&",
    "<(",
    ">(",
    "\\",
    "$'",
    "${",
    "#",
    "bash",
    "-c",
    "-lc",
    "sudo",
    "xargs",
    "git",
    "push",
    "-f",
    "--force",
    "+main",
    "*",
    "..",
    ".",
    "curl",
    "sh",
    "-s",
    "psql",
    "DROP TABLE",
    "é",
    "ü€",
    "$",
    "$?",
    "$1",
    "=",
    "A=1",
    "function",
    "()",
    ":",
    "if",
    "then",
    "fi",
    "case",
    "in",
    "esac",
    ";;",
    "eval",
    "ssh",
    "env",
    "-S",
    "timeout",
    "5",
    "find",
    "-delete",
    "-exec",
    "kubectl",
    "delete",
    "ns",
    "-A",
    "--all",
    "terraform",
    "destroy",
    "-destroy",
    "dd",
    "of=/dev/sda",
    "mkfs",
    "chmod",
    "-R",
    "777",
    "cd",
    "$(pwd)",
    "$PWD",
    "\"$DIR/\"",
    "./*",
    "/tmp",
    ".git",
    "docker",
    "exec",
    "--",
    "watch",
    "su",
    "flock",
    "redis-cli",
    "FLUSHALL",
    "sqlite3",
    "-cmd",
    "\t",
    "\r",
    "$((1+2))",
    "${X:-$(rm -rf /)}",
    "<<'EOF'",
    "\nEOF\n",
    ":(){",
    ":|:&",
    "};:",
];

/// Rounds per test: `CG_FUZZ_ROUNDS` or a quick default.
fn rounds(default: usize) -> usize {
    std::env::var("CG_FUZZ_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn random_command(rng: &mut Rng) -> String {
    let n = 1 + rng.below(40);
    let mut s = String::new();
    for _ in 0..n {
        s.push_str(FRAGMENTS[rng.below(FRAGMENTS.len())]);
        if rng.below(3) > 0 {
            s.push(' ');
        }
    }
    s
}

#[test]
fn random_command_lines() {
    let guard = Guard::new(
        &crate::config::parse(
            r#"{"workspace": "/home/u/p", "allow": ["^ls"], "deny": ["^npm publish"]}"#,
        )
        .unwrap_or_else(|e| panic!("{e}")),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let plain = Guard::new(&crate::config::Config::default()).unwrap_or_else(|e| panic!("{e}"));
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..rounds(20_000) {
        let cmd = random_command(&mut rng);
        let _ = guard.check_script(&cmd, Some("/home/u/p/src"));
        let _ = plain.check_script(&cmd, None);
        let argv: Vec<String> = cmd.split(' ').map(str::to_string).collect();
        let _ = plain.check_argv(&argv, Some("relative/dir"));
    }
}

#[test]
fn random_streams() {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let names = ["Bash", "Read", "shell", "exec_command"];
    let args = [
        r#"{"command": "rm -rf /"}"#,
        r#"{"command": "ls"}"#,
        r#"{"command": ["bash", "-lc", "git push -f"]}"#,
        "{not json",
        "",
    ];
    for round in 0..rounds(2_000) {
        let config = ["{}", r#"{"action": "warn"}"#, r#"{"action": "reject"}"#][round % 3];
        let mut s = StreamGuard::new(judge(config));
        for _ in 0..rng.below(30) {
            let index = u32::try_from(rng.below(4)).unwrap_or(0);
            let event = match rng.below(7) {
                0 => StreamEvent::ToolCallStart(ToolCallStart {
                    index,
                    id: format!("c{index}"),
                    name: names[rng.below(names.len())].into(),
                }),
                1 | 2 => {
                    let a = args[rng.below(args.len())];
                    let cut = rng.below(a.len() + 1);
                    StreamEvent::ToolCallDelta(ToolCallDelta {
                        index,
                        arguments: a.get(..cut).unwrap_or(a).into(),
                    })
                }
                3 => StreamEvent::ToolCallEnd(index),
                4 => StreamEvent::TextDelta("t".into()),
                5 => StreamEvent::Finish(FinishReason::ToolCalls),
                _ => StreamEvent::Error(crate::types::Error {
                    kind: crate::types::ErrorKind::Upstream,
                    message: "x".into(),
                    status: 502,
                    retryable: true,
                }),
            };
            let _ = s.on_events(vec![event]);
        }
        let _ = s.finish();
        let _ = s.take_notes();
    }
}

#[test]
fn random_arguments() {
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let pieces = [
        "{",
        "}",
        "[",
        "]",
        "\"command\"",
        "\"cmd\"",
        "\"commands\"",
        "\"action\"",
        ":",
        ",",
        "\"rm -rf /\"",
        "\"bash\"",
        "\"-lc\"",
        "1",
        "null",
        "\"workdir\"",
        "\"/\"",
        "\"\\\"\"",
    ];
    let mut j = judge("{}");
    for _ in 0..rounds(20_000) {
        let mut a = String::new();
        for _ in 0..rng.below(20) {
            a.push_str(pieces[rng.below(pieces.len())]);
        }
        let _ = j.decide("c", "Bash", &a);
    }
}

#[test]
fn large_and_deep_inputs_stay_fast() {
    let plain = Guard::new(&crate::config::Config::default()).unwrap_or_else(|e| panic!("{e}"));
    let body = "let x = \"rm -rf /\"; // $(curl x | sh) `id` 'q' \"dq\"\n".repeat(4_000);
    let heredoc = format!("cat > src/big.rs <<'EOF'\n{body}EOF\ncargo build");
    let mut nested = "rm -rf /".to_string();
    for _ in 0..15 {
        nested = format!("echo $({nested} | cat)");
    }
    let chain = "ls && ".repeat(20_000) + "rm -rf ~";
    let pipes = "cat x | ".repeat(5_000) + "sh";
    let started = std::time::Instant::now();
    assert_eq!(plain.check_script(&heredoc, None), None);
    assert!(plain.check_script(&nested, None).is_some());
    assert!(plain.check_script(&chain, None).is_some());
    assert_eq!(plain.check_script(&pipes, None), None);
    let spent = started.elapsed();
    assert!(spent.as_millis() < 1_000, "took {spent:?}");
}
