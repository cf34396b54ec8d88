//! Git rules: force pushes to protected branches, `reset --hard`,
//! `clean -fdx`, discarding all changes, force-deleting branches.

use super::{Ctx, Hit};
use crate::argv::{Arg, Spec, scan};
use crate::lex::Word;

/// Options `git` itself takes before the subcommand, with values.
const GLOBAL: Spec = Spec {
    short: "Cc",
    long: &[
        "git-dir",
        "work-tree",
        "namespace",
        "config-env",
        "super-prefix",
    ],
};

/// `*` matches any run of characters (also `/`), `?` one character.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

fn protected(branch: &str, ctx: &Ctx) -> bool {
    let b = branch.strip_prefix("refs/heads/").unwrap_or(branch);
    ctx.protected.iter().any(|p| glob_match(p, b))
}

/// The subcommand and its arguments.
fn subcommand(args: &[Word]) -> Option<(&str, &[Word])> {
    let mut i = 0;
    while let Some(w) = args.get(i) {
        let a = w.text.as_str();
        if !a.starts_with('-') {
            return Some((a, &args[i + 1..]));
        }
        i += 1;
        if let Some(long) = a.strip_prefix("--") {
            if !long.contains('=') && GLOBAL.long.contains(&long) {
                i += 1;
            }
        } else if a.len() == 2 && a[1..].chars().all(|c| GLOBAL.short.contains(c)) {
            i += 1;
        }
    }
    None
}

/// Every git rule.
pub fn git(args: &[Word], ctx: &Ctx) -> Option<Hit> {
    let (sub, rest) = subcommand(args)?;
    match sub {
        "push" => push(rest, ctx),
        "reset" => scan(rest, Spec::NONE)
            .iter()
            .any(|a| matches!(a, Arg::Long("hard", _)))
            .then(|| {
                Hit::new(
                    "git-reset-hard",
                    "`git reset --hard` throws away uncommitted changes",
                )
            }),
        "clean" => clean(rest),
        "checkout" | "restore" => discard(sub, rest),
        "branch" => branch(rest),
        _ => None,
    }
}

/// Force pushes (`-f`, `--force`, `--force-with-lease`, `+refspec`,
/// `--mirror`) to protected branches or to no named branch, and deleting
/// protected branches.
fn push(args: &[Word], ctx: &Ctx) -> Option<Hit> {
    let spec = Spec {
        short: "o",
        long: &["push-option", "repo", "receive-pack", "exec"],
    };
    let mut force = false;
    let mut delete = false;
    let mut every = false;
    let mut operands = Vec::new();
    for a in scan(args, spec) {
        match a {
            Arg::Short('f', _) | Arg::Long("force" | "force-with-lease", _) => force = true,
            Arg::Short('n', _) | Arg::Long("dry-run", _) => return None,
            Arg::Short('d', _) | Arg::Long("delete", _) => delete = true,
            Arg::Long("mirror", _) => {
                return Some(Hit::new(
                    "git-force-push",
                    "`git push --mirror` overwrites every branch of the remote",
                ));
            }
            Arg::Long("all" | "branches", _) => every = true,
            Arg::Operand(o) => operands.push(o),
            _ => {}
        }
    }
    let refspecs = operands.get(1..).unwrap_or(&[]);
    // Destination branch of each refspec, and whether it forces.
    let dests: Vec<(bool, &str, bool)> = refspecs
        .iter()
        .map(|r| {
            let (plus, r) = match r.strip_prefix('+') {
                Some(rest) => (true, rest),
                None => (false, *r),
            };
            match r.split_once(':') {
                Some((src, dst)) => (plus, dst, src.is_empty()),
                None => (plus, r, false),
            }
        })
        .collect();
    for &(plus, dst, deleting) in &dests {
        let unknown = matches!(dst, "HEAD" | "@" | "") || dst.contains(['*', '$', '`']);
        if (deleting || delete) && protected(dst, ctx) {
            return Some(Hit::new(
                "git-force-push",
                format!("`git push` deletes the protected branch `{dst}`"),
            ));
        }
        if (force || plus) && (unknown || protected(dst, ctx)) {
            let what = if unknown {
                format!("`{dst}` (the current branch, which may be protected)")
            } else {
                format!("the protected branch `{dst}`")
            };
            return Some(Hit::new("git-force-push", format!("force push to {what}")));
        }
    }
    if force && (dests.is_empty() || every) {
        return Some(Hit::new(
            "git-force-push",
            "force push without naming a branch (the current branch may be protected)",
        ));
    }
    None
}

/// `git clean` with `-f` and `-d`, `-x` or `-X`, not a dry run.
fn clean(args: &[Word]) -> Option<Hit> {
    let spec = Spec {
        short: "e",
        long: &["exclude"],
    };
    let (mut force, mut wide, mut dry) = (false, false, false);
    for a in scan(args, spec) {
        match a {
            Arg::Short('f', _) | Arg::Long("force", _) => force = true,
            Arg::Short('d' | 'x' | 'X', _) => wide = true,
            Arg::Short('n' | 'i', _) | Arg::Long("dry-run" | "interactive", _) => dry = true,
            _ => {}
        }
    }
    (force && wide && !dry).then(|| {
        Hit::new(
            "git-clean",
            "`git clean -f` with `-d`/`-x` deletes untracked (and ignored) files and directories for good",
        )
    })
}

/// `git checkout -- .`, `git checkout .`, `git restore .` (the working
/// tree, not only `--staged`).
fn discard(sub: &str, args: &[Word]) -> Option<Hit> {
    let spec = Spec {
        short: "sbBU",
        long: &["source", "pathspec-from-file", "conflict", "orphan"],
    };
    let mut staged = false;
    let mut worktree = false;
    let mut everything = false;
    for a in scan(args, spec) {
        match a {
            Arg::Short('S', _) | Arg::Long("staged", _) => staged = true,
            Arg::Short('W', _) | Arg::Long("worktree", _) => worktree = true,
            Arg::Operand(p) => {
                everything |= matches!(p, "." | "./" | "*" | ":/" | ":/*" | ":(top)" | "..")
            }
            _ => {}
        }
    }
    if !everything || sub == "restore" && staged && !worktree {
        return None;
    }
    Some(Hit::new(
        "git-discard",
        format!("`git {sub}` on the whole tree throws away every uncommitted change"),
    ))
}

/// `git branch -D` (or `--delete --force`).
fn branch(args: &[Word]) -> Option<Hit> {
    let (mut delete, mut force, mut big_d) = (false, false, false);
    for a in scan(args, Spec::NONE) {
        match a {
            Arg::Short('D', _) => big_d = true,
            Arg::Short('d', _) | Arg::Long("delete", _) => delete = true,
            Arg::Short('f', _) | Arg::Long("force", _) => force = true,
            _ => {}
        }
    }
    (big_d || delete && force).then(|| {
        Hit::new(
            "git-branch-delete",
            "`git branch -D` deletes a branch even when its commits are not merged",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::paths::{Cwd, Env};

    fn hit(s: &str) -> Option<&'static str> {
        let env = Env {
            workspace: None,
            home: None,
        };
        let cwd = Cwd::start(None, env);
        let protected: Vec<String> = ["main", "master", "production", "prod", "release/*"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let ctx = Ctx {
            cwd: &cwd,
            env,
            protected: &protected,
        };
        let script = crate::lex::parse(s);
        let Some(crate::ast::Stage::Command(c)) =
            script.pipelines.first().and_then(|p| p.stages.first())
        else {
            return None;
        };
        git(&c.words[1..], &ctx).map(|h| h.rule)
    }

    #[test]
    fn force_pushes() {
        for s in [
            "git push --force origin main",
            "git push -f origin master",
            "git push origin main --force",
            "git push --force-with-lease origin main",
            "git push --force-with-lease=main:abc origin main",
            "git push origin +main",
            "git push origin +HEAD:main",
            "git push -f",
            "git push --force",
            "git push -uf origin HEAD",
            "git push -f origin release/1.2",
            "git push origin :main",
            "git push origin --delete master",
            "git push --mirror",
            "git -C repo push -f origin prod",
            "git push -f origin refs/heads/main",
            "git push --force origin $(git branch --show-current)",
        ] {
            assert_eq!(hit(s), Some("git-force-push"), "{s}");
        }
        for s in [
            "git push origin main",
            "git push",
            "git push -u origin my-branch",
            "git push --force origin feature/x",
            "git push -f origin fix-123",
            "git push origin +feature",
            "git push --force-with-lease origin HEAD:feature/login",
            "git push -n -f origin main",
            "git push origin --delete old-feature",
            "git push --tags",
        ] {
            assert_eq!(hit(s), None, "{s}");
        }
    }

    #[test]
    fn other_git_rules() {
        assert_eq!(hit("git reset --hard"), Some("git-reset-hard"));
        assert_eq!(hit("git reset --hard origin/main"), Some("git-reset-hard"));
        assert_eq!(hit("git reset --soft HEAD~1"), None);
        assert_eq!(hit("git reset HEAD file"), None);
        for s in [
            "git clean -fdx",
            "git clean -xdf",
            "git clean -f -d",
            "git clean -ffdX",
            "git clean --force -x",
        ] {
            assert_eq!(hit(s), Some("git-clean"), "{s}");
        }
        for s in [
            "git clean -n",
            "git clean -fdn",
            "git clean -f",
            "git clean -fdi",
            "git clean --dry-run -fdx",
        ] {
            assert_eq!(hit(s), None, "{s}");
        }
        assert_eq!(hit("git checkout -- ."), Some("git-discard"));
        assert_eq!(hit("git checkout ."), Some("git-discard"));
        assert_eq!(hit("git restore ."), Some("git-discard"));
        assert_eq!(
            hit("git restore --staged --worktree ."),
            Some("git-discard")
        );
        assert_eq!(hit("git restore --staged ."), None);
        assert_eq!(hit("git checkout -- src/app.ts"), None);
        assert_eq!(hit("git checkout -b feature"), None);
        assert_eq!(hit("git checkout main"), None);
        assert_eq!(hit("git branch -D old"), Some("git-branch-delete"));
        assert_eq!(
            hit("git branch --delete --force old"),
            Some("git-branch-delete")
        );
        assert_eq!(hit("git branch -d old"), None);
        assert_eq!(hit("git -c core.pager=cat log --oneline"), None);
        assert_eq!(hit("git status"), None);
    }

    #[test]
    fn globs() {
        assert!(glob_match("release/*", "release/1.2"));
        assert!(glob_match("main", "main"));
        assert!(!glob_match("main", "main2"));
        assert!(glob_match("*-prod", "eu-prod"));
        assert!(!glob_match("release/*", "releases"));
        assert!(glob_match("a?c", "abc"));
    }
}
