//! File-system and disk rules: recursive deletes (`rm`, `find -delete`),
//! recursive `chmod`/`chown` on system directories, formatting, and raw
//! writes to block devices.

use super::{Ctx, Hit};
use crate::argv::{Arg, Spec, operands, scan};
use crate::ast::Redirect;
use crate::lex::Word;
use crate::paths::{Reach, delete_danger, system_danger};

/// Device files that are safe to write.
fn safe_device(name: &str) -> bool {
    matches!(
        name,
        "null"
            | "zero"
            | "full"
            | "random"
            | "urandom"
            | "stdin"
            | "stdout"
            | "stderr"
            | "console"
            | "ptmx"
            | "tty"
            | "kmsg"
            | "log"
    ) || ["tty", "pts/", "fd/", "shm/", "tcp/", "udp/", "cu."]
        .iter()
        .any(|p| name.starts_with(p))
}

/// The device a path names when it is one that must not be overwritten
/// (a disk, partition, memory).
fn device(path: &str) -> Option<&str> {
    let name = path.strip_prefix("/dev/")?;
    (!name.is_empty() && !safe_device(name)).then_some(path)
}

/// `rm -r` / `-R` / `--recursive` (with or without `-f`) on a dangerous
/// target, or `--no-preserve-root`.
pub fn rm(args: &[Word], ctx: &Ctx) -> Option<Hit> {
    let mut recursive = false;
    for a in scan(args, Spec::NONE) {
        match a {
            Arg::Short('r' | 'R', _) | Arg::Long("recursive", _) => recursive = true,
            Arg::Long("no-preserve-root", _) => {
                return Some(Hit::new(
                    "rm-recursive",
                    "`rm --no-preserve-root` turns off the protection of `/`",
                ));
            }
            _ => {}
        }
    }
    if !recursive {
        return None;
    }
    operands(args, Spec::NONE).into_iter().find_map(|target| {
        delete_danger(target, ctx.cwd, ctx.env, Reach::Whole)
            .map(|why| Hit::new("rm-recursive", format!("recursive delete: {why}")))
    })
}

/// `find` tests that pick some files rather than all.
const NARROWING: &[&str] = &[
    "-name",
    "-iname",
    "-path",
    "-ipath",
    "-wholename",
    "-iwholename",
    "-regex",
    "-iregex",
    "-type",
    "-mtime",
    "-mmin",
    "-atime",
    "-amin",
    "-ctime",
    "-cmin",
    "-newer",
    "-size",
    "-empty",
    "-user",
    "-group",
    "-perm",
    "-links",
    "-inum",
    "-samefile",
    "-lname",
    "-ilname",
    "-uid",
    "-gid",
    "-nouser",
    "-nogroup",
    "-used",
    "-fstype",
];

/// `find PATH … -delete` (or `-exec rm …`) starting at a dangerous path.
pub fn find(args: &[Word], ctx: &Ctx) -> Option<Hit> {
    // Options before the paths.
    let mut i = 0;
    while let Some(w) = args.get(i) {
        match w.text.as_str() {
            "-H" | "-L" | "-P" => i += 1,
            "-D" | "-O" => i += 2,
            t if t.starts_with("-O") => i += 1,
            _ => break,
        }
    }
    let rest = args.get(i..).unwrap_or(&[]);
    let split = rest
        .iter()
        .position(|w| w.text.starts_with('-') || matches!(w.text.as_str(), "(" | "!" | ")" | "\\("))
        .unwrap_or(rest.len());
    let (paths, expr) = rest.split_at(split);
    let deletes = expr.iter().enumerate().any(|(n, w)| match w.text.as_str() {
        "-delete" => true,
        "-exec" | "-execdir" | "-ok" | "-okdir" => expr
            .get(n + 1)
            .is_some_and(|p| matches!(crate::argv::program(p), "rm" | "shred")),
        _ => false,
    });
    if !deletes {
        return None;
    }
    // Without a test like `-name`, everything under the paths goes.
    let narrowed = expr.iter().any(|w| NARROWING.contains(&w.text.as_str()));
    let reach = if narrowed {
        Reach::Some
    } else {
        Reach::Contents
    };
    paths.iter().find_map(|p| {
        delete_danger(p, ctx.cwd, ctx.env, reach)
            .map(|why| Hit::new("find-delete", format!("`find` deleting from {why}")))
    })
}

/// Recursive `chmod`/`chown`/`chgrp` on the root, a system directory or
/// a home directory.
pub fn chmod(prog: &str, args: &[Word], ctx: &Ctx) -> Option<Hit> {
    let spec = Spec {
        short: "",
        long: &["reference", "from"],
    };
    let mut recursive = false;
    let mut reference = false;
    for a in scan(args, spec) {
        match a {
            Arg::Short('R', _) | Arg::Long("recursive", _) => recursive = true,
            Arg::Long("reference", _) => reference = true,
            _ => {}
        }
    }
    if !recursive {
        return None;
    }
    let ops = operands(args, spec);
    // The mode or owner comes first unless `--reference` gives it.
    let skip = usize::from(!reference);
    ops.into_iter().skip(skip).find_map(|p| {
        system_danger(p, ctx.cwd, ctx.env)
            .map(|why| Hit::new("chmod-recursive", format!("recursive `{prog}` on {why}")))
    })
}

/// `mkfs*`, `mke2fs`; `mkswap` on a device.
pub fn mkfs(prog: &str, args: &[Word]) -> Option<Hit> {
    if prog == "mkswap" && !args.iter().any(|w| device(&w.text).is_some()) {
        return None;
    }
    let target = args
        .iter()
        .rev()
        .find(|w| !w.text.starts_with('-'))
        .map(|w| format!(" on `{}`", w.text))
        .unwrap_or_default();
    Some(Hit::new(
        "mkfs",
        format!("`{prog}` formats a file system{target}, erasing what is on it"),
    ))
}

/// `dd … of=/dev/…`.
pub fn dd(args: &[Word]) -> Option<Hit> {
    args.iter().find_map(|w| {
        let path = w.text.strip_prefix("of=")?;
        device(path).map(|d| {
            Hit::new(
                "disk-write",
                format!("`dd` writes raw data to the device `{d}`"),
            )
        })
    })
}

/// `shred`, `wipefs`, `blkdiscard` on a device; `cp`/`tee`/`pv` into one.
pub fn to_device(prog: &str, args: &[Word]) -> Option<Hit> {
    let ops: Vec<&Word> = args.iter().filter(|w| !w.text.starts_with('-')).collect();
    let targets: Vec<&Word> = match prog {
        "cp" => ops.last().copied().into_iter().collect(),
        _ => ops,
    };
    targets.into_iter().find_map(|w| {
        device(&w.text).map(|d| {
            let what = match prog {
                "shred" | "wipefs" | "blkdiscard" => "wipes",
                _ => "writes to",
            };
            Hit::new("disk-write", format!("`{prog}` {what} the device `{d}`"))
        })
    })
}

/// Output redirected into a device (`> /dev/sda`).
pub fn redirects(redirects: &[Redirect]) -> Option<Hit> {
    redirects.iter().find_map(|r| {
        if !r.kind.writes() {
            return None;
        }
        device(&r.target.text).map(|d| {
            Hit::new(
                "disk-write",
                format!("output redirected into the device `{d}`"),
            )
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::argv::tests::words;
    use crate::paths::{Cwd, Env};

    fn ctx_check(f: impl Fn(&[Word], &Ctx) -> Option<Hit>, s: &str) -> Option<Hit> {
        let env = Env {
            workspace: None,
            home: None,
        };
        let cwd = Cwd::start(None, env);
        let ctx = Ctx {
            cwd: &cwd,
            env,
            protected: &[],
        };
        let w = crate::lex::parse(s);
        let Some(crate::ast::Stage::Command(c)) =
            w.pipelines.first().and_then(|p| p.stages.first())
        else {
            return None;
        };
        f(&c.words[1..], &ctx)
    }

    #[test]
    fn rm_flags_in_any_order() {
        for s in [
            "rm -rf /",
            "rm -fr /",
            "rm -Rf /",
            "rm -r -f /",
            "rm --recursive --force /",
            "rm -rfv /",
            "rm -f -R ~",
            "rm -r /",
            "rm -rf -- /",
            "rm / -rf",
            "rm --no-preserve-root -rf /",
            "rm -rf build /",
        ] {
            assert!(ctx_check(rm, s).is_some(), "{s}");
        }
        for s in [
            "rm -f /etc/x.conf",
            "rm -rf build",
            "rm -rf ./node_modules",
            "rm x",
        ] {
            assert_eq!(ctx_check(rm, s), None, "{s}");
        }
    }

    #[test]
    fn find_deletes() {
        assert!(ctx_check(find, "find / -name '*.log' -delete").is_some());
        assert!(ctx_check(find, "find ~ -type f -exec rm -f {} +").is_some());
        assert!(ctx_check(find, "find .. -delete").is_some());
        assert_eq!(ctx_check(find, "find . -name '*.pyc' -delete"), None);
        assert_eq!(ctx_check(find, "find /tmp -name '*.tmp' -delete"), None);
        assert_eq!(ctx_check(find, "find build -delete"), None);
        assert!(ctx_check(find, "find . -delete").is_some());
        assert!(ctx_check(find, "find . -mindepth 1 -delete").is_some());
        assert_eq!(ctx_check(find, "find / -name x"), None);
        assert_eq!(
            ctx_check(
                find,
                "find -L . -type d -name node_modules -exec rm -rf {} +"
            ),
            None
        );
    }

    #[test]
    fn chmod_on_system_dirs() {
        let ch = |a: &[Word], c: &Ctx| chmod("chmod", a, c);
        assert!(ctx_check(ch, "chmod -R 777 /").is_some());
        assert!(ctx_check(ch, "chmod -R 755 /usr/local").is_some());
        assert!(ctx_check(ch, "chmod --recursive a+rwx /etc").is_some());
        assert_eq!(ctx_check(ch, "chmod 777 /"), None);
        assert_eq!(ctx_check(ch, "chmod -R 755 ./scripts"), None);
        assert_eq!(ctx_check(ch, "chmod -R u+w ."), None);
        let own = |a: &[Word], c: &Ctx| chmod("chown", a, c);
        assert!(ctx_check(own, "chown -R nobody /").is_some());
        assert_eq!(ctx_check(own, "chown -R me:me ~/.npm"), None);
    }

    #[test]
    fn devices() {
        assert!(dd(&words("if=/dev/zero of=/dev/sda bs=1M")).is_some());
        assert!(dd(&words("if=/dev/zero of=/dev/nvme0n1")).is_some());
        assert_eq!(dd(&words("if=/dev/zero of=disk.img bs=1M count=10")), None);
        assert_eq!(dd(&words("if=x of=/dev/null")), None);
        assert!(to_device("shred", &words("-n 3 /dev/sdb")).is_some());
        assert_eq!(to_device("shred", &words("-u secret.txt")), None);
        assert!(to_device("cp", &words("image.iso /dev/sdc")).is_some());
        assert_eq!(to_device("tee", &words("/dev/stderr")), None);
        assert!(mkfs("mkfs.ext4", &words("/dev/sda1")).is_some());
        assert_eq!(mkfs("mkswap", &words("swapfile")), None);
    }
}
