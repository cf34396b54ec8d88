//! Wrappers: commands that run another command. `sudo rm -rf /` runs
//! `rm -rf /`; `bash -c 'rm -rf /'` runs the script `rm -rf /`. This finds
//! what really runs.

use crate::argv::{Arg, Spec, first_operand, joined, program, scan, skip_assignments};
use crate::lex::Word;

/// What a command really runs.
#[derive(Debug, Clone, PartialEq)]
pub enum Unwrapped<'w> {
    /// This command (wrappers and assignments stripped), never empty.
    Run(&'w [Word]),
    /// A shell script given as text (`bash -c`, `eval`, `ssh host …`,
    /// `su -c`, `watch`, `env -S`, `flock -c`).
    Script(String),
    /// Nothing that runs a command (`command -v x`, a bare `sudo -l`).
    Nothing,
}

/// Shells that take `-c script`.
pub const SHELLS: &[&str] = &[
    "sh", "bash", "zsh", "dash", "ksh", "mksh", "ash", "fish", "yash", "posh", "rbash",
];

const SHELL_SPEC: Spec = Spec {
    short: "oO",
    long: &["rcfile", "init-file"],
};

/// The shell's `-c` script, when it has one.
pub fn shell_script(args: &[Word]) -> Option<&Word> {
    let mut i = 0;
    let mut command = false;
    while let Some(w) = args.get(i) {
        let a = w.text.as_str();
        if a == "--" || a == "-" || !(a.starts_with('-') || a.starts_with('+')) || a.len() == 1 {
            break;
        }
        i += 1;
        if let Some(long) = a.strip_prefix("--") {
            if SHELL_SPEC.long.contains(&long) {
                i += 1;
            }
            continue;
        }
        let letters = &a[1..];
        if letters.contains('c') {
            command = true;
        }
        if letters.ends_with(['o', 'O']) {
            i += 1;
        }
    }
    if a_dashdash(args, i) {
        i += 1;
    }
    if command { args.get(i) } else { None }
}

fn a_dashdash(args: &[Word], i: usize) -> bool {
    args.get(i).is_some_and(|w| w.text == "--")
}

/// Find what `words` runs (at most a few dozen wrappers deep).
pub fn unwrap(words: &[Word]) -> Unwrapped<'_> {
    let mut argv = skip_assignments(words);
    for _ in 0..32 {
        let Some(first) = argv.first() else {
            return Unwrapped::Nothing;
        };
        let args = &argv[1..];
        let rest = |spec: Spec| after(args, spec);
        let next: &[Word] = match program(first) {
            "sudo" => {
                let spec = Spec {
                    short: "ughpCDrtTUR",
                    long: &[
                        "user",
                        "group",
                        "host",
                        "prompt",
                        "close-from",
                        "chdir",
                        "role",
                        "type",
                        "command-timeout",
                        "other-user",
                        "chroot",
                    ],
                };
                if scan(&args[..first_operand(args, spec)], spec)
                    .iter()
                    .any(|a| matches!(a, Arg::Short('e', _) | Arg::Long("edit", _)))
                {
                    return Unwrapped::Nothing;
                }
                rest(spec)
            }
            "doas" | "pkexec" => rest(Spec {
                short: "uC",
                long: &["user"],
            }),
            "env" => {
                let spec = Spec {
                    short: "uCS",
                    long: &["unset", "chdir", "split-string"],
                };
                let end = first_operand(args, spec);
                for a in scan(&args[..end], spec) {
                    if let Arg::Short('S', Some(s)) | Arg::Long("split-string", Some(s)) = a {
                        let mut script = s.to_string();
                        for w in &args[end..] {
                            script.push(' ');
                            script.push_str(&w.text);
                        }
                        return Unwrapped::Script(script);
                    }
                }
                skip_assignments(&args[end..])
            }
            "nohup" | "setsid" | "chronic" | "unbuffer" | "nocache" | "builtin" | "busybox"
            | "catchsegv" | "tsp" => rest(Spec::NONE),
            "time" => rest(Spec {
                short: "fo",
                long: &["format", "output"],
            }),
            "nice" => rest(Spec {
                short: "n",
                long: &["adjustment"],
            }),
            "ionice" => rest(Spec {
                short: "cn",
                long: &["class", "classdata"],
            }),
            "caffeinate" => rest(Spec {
                short: "tw",
                long: &[],
            }),
            "stdbuf" => rest(Spec {
                short: "ioe",
                long: &["input", "output", "error"],
            }),
            "exec" => rest(Spec {
                short: "a",
                long: &[],
            }),
            "strace" | "ltrace" => rest(Spec {
                short: "oepsEuPIXabn",
                long: &["output", "expr", "attach", "string-limit", "env", "user"],
            }),
            "command" => {
                let i = first_operand(args, Spec::NONE);
                if args[..i].iter().any(|w| w.text.contains(['v', 'V'])) {
                    return Unwrapped::Nothing;
                }
                &args[i..]
            }
            "timeout" | "gtimeout" => {
                let r = rest(Spec {
                    short: "sk",
                    long: &["signal", "kill-after"],
                });
                r.get(1..).unwrap_or(&[])
            }
            "taskset" | "chrt" => rest(Spec::NONE).get(1..).unwrap_or(&[]),
            "flock" => {
                let r = rest(Spec {
                    short: "wE",
                    long: &["timeout", "wait", "conflict-exit-code"],
                });
                match r.get(1).map(|w| w.text.as_str()) {
                    Some("-c" | "--command") => {
                        return match r.get(2) {
                            Some(w) => Unwrapped::Script(w.text.clone()),
                            None => Unwrapped::Nothing,
                        };
                    }
                    _ => r.get(1..).unwrap_or(&[]),
                }
            }
            "xargs" => rest(Spec {
                short: "nLPsdEaIl",
                long: &[
                    "max-args",
                    "max-lines",
                    "max-procs",
                    "max-chars",
                    "delimiter",
                    "eof",
                    "arg-file",
                ],
            }),
            "watch" => {
                let spec = Spec {
                    short: "nq",
                    long: &["interval"],
                };
                let end = first_operand(args, spec);
                let exec = scan(&args[..end], spec)
                    .iter()
                    .any(|a| matches!(a, Arg::Short('x', _) | Arg::Long("exec", _)));
                if exec {
                    &args[end..]
                } else {
                    return script_or_nothing(joined(&args[end..]));
                }
            }
            "su" | "runuser" => {
                let spec = Spec {
                    short: "cgGswu",
                    long: &[
                        "command",
                        "group",
                        "supp-group",
                        "shell",
                        "whitelist-environment",
                        "user",
                    ],
                };
                let mut user_given = false;
                for a in scan(args, spec) {
                    match a {
                        Arg::Short('c', Some(s)) | Arg::Long("command", Some(s)) => {
                            return Unwrapped::Script(s.to_string());
                        }
                        Arg::Short('u', _) | Arg::Long("user", _) => user_given = true,
                        _ => {}
                    }
                }
                if program(first) == "su" {
                    return Unwrapped::Nothing;
                }
                let r = rest(spec);
                if user_given {
                    r
                } else {
                    r.get(1..).unwrap_or(&[])
                }
            }
            "script" => {
                let spec = Spec {
                    short: "cEIOT",
                    long: &["command", "echo", "log-in", "log-out", "log-timing"],
                };
                for a in scan(args, spec) {
                    if let Arg::Short('c', Some(s)) | Arg::Long("command", Some(s)) = a {
                        return Unwrapped::Script(s.to_string());
                    }
                }
                return Unwrapped::Nothing;
            }
            "eval" => return script_or_nothing(joined(args)),
            "ssh" => {
                let spec = Spec {
                    short: "BbcDEeFIiJLlmOoPpQRSWw",
                    long: &[],
                };
                let host = first_operand(args, spec);
                return script_or_nothing(joined(args.get(host + 1..).unwrap_or(&[])));
            }
            "docker" | "podman" | "docker-compose" | "kubectl" | "oc" => {
                match container_exec(program(first), args) {
                    Some(inner) => inner,
                    None => return Unwrapped::Run(argv),
                }
            }
            name if SHELLS.contains(&name) => match shell_script(args) {
                Some(script) => return Unwrapped::Script(script.text.clone()),
                None => return Unwrapped::Run(argv),
            },
            _ => return Unwrapped::Run(argv),
        };
        argv = next;
    }
    if argv.is_empty() {
        Unwrapped::Nothing
    } else {
        Unwrapped::Run(argv)
    }
}

/// The words after `args`' options.
fn after(args: &[Word], spec: Spec) -> &[Word] {
    &args[first_operand(args, spec)..]
}

fn script_or_nothing(script: String) -> Unwrapped<'static> {
    if script.trim().is_empty() {
        Unwrapped::Nothing
    } else {
        Unwrapped::Script(script)
    }
}

/// The command of `docker exec`, `docker compose exec`, `kubectl exec`.
fn container_exec<'w>(prog: &str, args: &'w [Word]) -> Option<&'w [Word]> {
    let (sub, after) = match prog {
        "docker-compose" => (args.first()?, args.get(1..)?),
        "kubectl" | "oc" => {
            let i = args.iter().position(|w| w.text == "exec")?;
            let dash = args[i..].iter().position(|w| w.text == "--")?;
            return args.get(i + dash + 1..);
        }
        _ => match args.first()?.text.as_str() {
            "compose" => (args.get(1)?, args.get(2..)?),
            _ => (args.first()?, args.get(1..)?),
        },
    };
    if sub.text != "exec" {
        return None;
    }
    let spec = Spec {
        short: "euw",
        long: &["env", "user", "workdir", "env-file", "detach-keys", "index"],
    };
    let target = first_operand(after, spec);
    after.get(target + 1..)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::argv::tests::words;

    fn run(s: &str) -> String {
        let w = words(s);
        match unwrap(&w) {
            Unwrapped::Run(argv) => joined(argv),
            Unwrapped::Script(s) => format!("script: {s}"),
            Unwrapped::Nothing => "nothing".into(),
        }
    }

    #[test]
    fn wrappers_are_stripped() {
        assert_eq!(run("sudo -u root -E rm -rf /"), "rm -rf /");
        assert_eq!(run("A=1 env -i B=2 nohup nice -n 10 rm x"), "rm x");
        assert_eq!(run("timeout -s KILL 30 time -p stdbuf -oL make"), "make");
        assert_eq!(run("command rm -rf x"), "rm -rf x");
        assert_eq!(run("command -v rm"), "nothing");
        assert_eq!(run("xargs -0 -n 1 rm -rf"), "rm -rf");
        assert_eq!(run("exec /bin/rm -rf ."), "/bin/rm -rf .");
        assert_eq!(run("sudo -e /etc/hosts"), "nothing");
        assert_eq!(run("doas rm x"), "rm x");
        assert_eq!(run("ionice -c 3 nice -19 rm y"), "rm y");
        assert_eq!(run("taskset -c 0 make"), "make");
        assert_eq!(run("docker exec -it -u postgres db psql -c x"), "psql -c x");
        assert_eq!(run("docker compose exec -T db psql"), "psql");
        assert_eq!(
            run("kubectl exec -it pod -n ns -- rm -rf /data"),
            "rm -rf /data"
        );
        assert_eq!(run("kubectl get pods"), "kubectl get pods");
        assert_eq!(run("runuser -u app -- rm x"), "rm x");
    }

    #[test]
    fn scripts_are_found() {
        let w = vec![
            Word::literal("bash"),
            Word::literal("-lc"),
            Word::literal("rm -rf /"),
        ];
        assert_eq!(unwrap(&w), Unwrapped::Script("rm -rf /".into()));
        let w = vec![
            Word::literal("sudo"),
            Word::literal("sh"),
            Word::literal("-c"),
            Word::literal("x y"),
        ];
        assert_eq!(unwrap(&w), Unwrapped::Script("x y".into()));
        assert_eq!(run("bash -o pipefail -c ls"), "script: ls");
        assert_eq!(run("bash script.sh"), "bash script.sh");
        assert_eq!(run("eval rm -rf /"), "script: rm -rf /");
        assert_eq!(run("ssh -p 22 host rm -rf /var"), "script: rm -rf /var");
        assert_eq!(run("ssh host"), "nothing");
        assert_eq!(run("su - root -c ls"), "script: ls");
        assert_eq!(run("watch -n 5 ls -la"), "script: ls -la");
        let w = vec![
            Word::literal("env"),
            Word::literal("-S"),
            Word::literal("rm -rf x"),
            Word::literal("y"),
        ];
        assert_eq!(unwrap(&w), Unwrapped::Script("rm -rf x y".into()));
        assert_eq!(run("flock /tmp/l -c ls"), "script: ls");
        assert_eq!(run("flock /tmp/l make"), "make");
    }
}
