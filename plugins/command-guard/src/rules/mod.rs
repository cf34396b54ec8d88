//! The built-in rules, one family per file. Each looks at one simple
//! command (wrappers already stripped) and says why it is dangerous.

pub mod db;
pub mod exec;
pub mod fs;
pub mod git;
pub mod infra;

use crate::argv::program;
use crate::ast::Redirect;
use crate::lex::Word;
use crate::paths::{Cwd, Env};

/// Every built-in rule id, for the `disable` config key.
pub const RULES: &[&str] = &[
    "rm-recursive",
    "find-delete",
    "chmod-recursive",
    "mkfs",
    "disk-write",
    "fork-bomb",
    "pipe-to-shell",
    "sql-destructive",
    "git-force-push",
    "git-reset-hard",
    "git-clean",
    "git-discard",
    "git-branch-delete",
    "kubectl-delete",
    "terraform-destroy",
    "too-deep",
];

/// A rule that matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// The rule's id.
    pub rule: &'static str,
    /// Why, in a clause ("recursive delete of `/`, the filesystem root").
    pub reason: String,
}

impl Hit {
    /// A hit of `rule`.
    pub fn new(rule: &'static str, reason: impl Into<String>) -> Hit {
        Hit {
            rule,
            reason: reason.into(),
        }
    }
}

/// What the rules know besides the command.
#[derive(Debug, Clone, Copy)]
pub struct Ctx<'a> {
    /// The working directory.
    pub cwd: &'a Cwd,
    /// The workspace and home.
    pub env: Env<'a>,
    /// Glob patterns of protected git branches.
    pub protected: &'a [String],
}

/// Why the command `argv` (with `redirects`) is dangerous.
pub fn check(argv: &[Word], redirects: &[Redirect], ctx: &Ctx) -> Option<Hit> {
    let prog = argv.first().map(program).unwrap_or_default();
    let args = argv.get(1..).unwrap_or(&[]);
    let hit = match prog {
        "rm" | "grm" => fs::rm(args, ctx),
        "find" | "gfind" => fs::find(args, ctx),
        "chmod" | "chown" | "chgrp" => fs::chmod(prog, args, ctx),
        "mke2fs" | "mkswap" => fs::mkfs(prog, args),
        p if p.starts_with("mkfs") => fs::mkfs(prog, args),
        "dd" | "gdd" => fs::dd(args),
        "shred" | "wipefs" | "blkdiscard" | "cp" | "tee" | "pv" => fs::to_device(prog, args),
        "git" => git::git(args, ctx),
        "kubectl" | "oc" => infra::kubectl(args),
        "terraform" | "tofu" | "terragrunt" | "pulumi" | "cdk" => infra::destroy(prog, args),
        p => db::client(p, args, stdin(redirects)),
    };
    hit.or_else(|| fs::redirects(redirects))
        .or_else(|| exec::downloaded_code(argv, redirects))
}

/// What a here-document or here-string feeds the command.
pub fn stdin(redirects: &[Redirect]) -> Option<&str> {
    use crate::lex::RedirKind;
    redirects
        .iter()
        .rev()
        .find(|r| {
            matches!(r.kind, RedirKind::HereDoc | RedirKind::HereString)
                && r.fd.is_none_or(|fd| fd == 0)
        })
        .map(|r| r.target.text.as_str())
}
