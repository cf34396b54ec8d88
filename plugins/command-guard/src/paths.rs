//! Where a path points, and whether deleting (or re-permissioning) it
//! recursively would be a disaster.
//!
//! Paths are resolved lexically (no file system): `~`, `$HOME` and
//! `${HOME}` are the home directory, `$PWD` and `$(pwd)` the working
//! directory, `..` is followed, a final `*` means everything in the
//! directory before it. The working directory is the workspace unless a
//! `cd` (or the call's `workdir`) moved it.

use crate::lex::Word;

/// Directories whose contents belong to the system.
const SYSTEM: &[&str] = &[
    "bin",
    "boot",
    "dev",
    "etc",
    "lib",
    "lib32",
    "lib64",
    "libx32",
    "opt",
    "proc",
    "root",
    "run",
    "sbin",
    "srv",
    "sys",
    "usr",
    "var",
    "home",
    "Users",
    "System",
    "Library",
    "Applications",
    "private",
    "snap",
    "nix",
];

/// The working directory of a command, as far as it is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cwd {
    /// The project directory (no workspace configured, so where it is is
    /// unknown), or a directory below it.
    Project(Vec<String>),
    /// An absolute directory.
    Abs(Vec<String>),
    /// A directory below the home directory (the home unknown).
    Home(Vec<String>),
    /// Unknown (`cd -`, `cd "$X"`).
    Unknown,
}

/// What the paths are judged against.
#[derive(Debug, Clone, Copy)]
pub struct Env<'a> {
    /// The workspace, when configured, as components.
    pub workspace: Option<&'a [String]>,
    /// The home directory when the workspace shows it (`/home/u/…`).
    pub home: Option<&'a [String]>,
}

/// Components of an absolute path text (`None` when it is not absolute).
pub fn absolute(path: &str) -> Option<Vec<String>> {
    let rest = path.strip_prefix('/')?;
    let mut out = Vec::new();
    push_all(&mut out, rest);
    Some(out)
}

/// The home directory a workspace path shows: `/home/u`, `/Users/u`, `/root`.
pub fn home_of(workspace: &[String]) -> Option<Vec<String>> {
    match workspace {
        [top, user, ..] if top == "home" || top == "Users" => Some(vec![top.clone(), user.clone()]),
        [top, ..] if top == "root" => Some(vec![top.clone()]),
        _ => None,
    }
}

/// Follow `rel` from `base`; `false` when a `..` climbed above `base`'s
/// first component.
fn push_all(base: &mut Vec<String>, rel: &str) -> bool {
    let mut inside = true;
    for part in rel.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if base.pop().is_none() {
                    inside = false;
                }
            }
            p => base.push(p.to_string()),
        }
    }
    inside
}

impl Cwd {
    /// The starting directory: the call's `workdir` when it gave one.
    pub fn start(workdir: Option<&str>, env: Env) -> Cwd {
        let project = match env.workspace {
            Some(ws) => Cwd::Abs(ws.to_vec()),
            None => Cwd::Project(Vec::new()),
        };
        match workdir {
            None => project,
            Some(dir) if dir.trim().is_empty() => project,
            Some(dir) => project.cd(dir, env),
        }
    }

    /// The directory after `cd dir`.
    pub fn cd(&self, dir: &str, env: Env) -> Cwd {
        if dir == "-" || dir.starts_with('$') && !is_home_var(dir) {
            return Cwd::Unknown;
        }
        if let Some(rest) = home_rest(dir) {
            let mut comps = Vec::new();
            if !push_all(&mut comps, rest) {
                return Cwd::Unknown;
            }
            return match env.home {
                Some(home) => {
                    let mut abs = home.to_vec();
                    push_all(&mut abs, rest);
                    Cwd::Abs(abs)
                }
                None => Cwd::Home(comps),
            };
        }
        if let Some(abs) = absolute(dir) {
            return Cwd::Abs(abs);
        }
        match self {
            Cwd::Project(c) | Cwd::Abs(c) | Cwd::Home(c) => {
                let mut next = c.clone();
                if push_all(&mut next, dir) {
                    match self {
                        Cwd::Project(_) => Cwd::Project(next),
                        Cwd::Home(_) => Cwd::Home(next),
                        _ => Cwd::Abs(next),
                    }
                } else if let Cwd::Abs(_) = self {
                    Cwd::Abs(next)
                } else {
                    Cwd::Unknown
                }
            }
            Cwd::Unknown => Cwd::Unknown,
        }
    }
}

fn is_home_var(t: &str) -> bool {
    t == "$HOME" || t == "${HOME}" || t.starts_with("$HOME/") || t.starts_with("${HOME}/")
}

/// The part after `~`, `~user`, `$HOME` or `${HOME}`.
fn home_rest(t: &str) -> Option<&str> {
    if let Some(rest) = t.strip_prefix('~') {
        return Some(match rest.find('/') {
            Some(i) => &rest[i..],
            None => "",
        });
    }
    for var in ["${HOME}", "$HOME"] {
        if let Some(rest) = t.strip_prefix(var)
            && (rest.is_empty() || rest.starts_with('/'))
        {
            return Some(rest);
        }
    }
    None
}

/// The part after `$PWD`, `${PWD}`, `$(pwd)` or `` `pwd` ``.
fn pwd_rest(t: &str) -> Option<&str> {
    for var in ["${PWD}", "$PWD", "$(pwd)", "`pwd`"] {
        if let Some(rest) = t.strip_prefix(var)
            && (rest.is_empty() || rest.starts_with('/'))
        {
            return Some(rest);
        }
    }
    None
}

/// The leading expansion of `t` (`$X`, `${X}`, `$(…)`, `` `…` ``) and the rest.
fn split_expansion(t: &str) -> (&str, &str) {
    let b = t.as_bytes();
    let end = match b {
        [b'$', b'{', ..] => t.find('}').map_or(t.len(), |i| i + 1),
        [b'$', b'(', ..] => {
            let mut depth = 0;
            let mut end = t.len();
            for (i, c) in t.char_indices() {
                match c {
                    '(' => depth += 1,
                    ')' => {
                        depth -= 1;
                        if depth == 0 {
                            end = i + 1;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            end
        }
        [b'`', ..] => t[1..].find('`').map_or(t.len(), |i| i + 2),
        [b'$', ..] => {
            let rest = &t[1..];
            match rest
                .bytes()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == b'_')
                .count()
            {
                0 => 1 + rest.chars().next().map_or(0, char::len_utf8),
                n => 1 + n,
            }
        }
        _ => 0,
    };
    let end = end.min(t.len());
    if t.is_char_boundary(end) {
        t.split_at(end)
    } else {
        (t, "")
    }
}

/// A path after resolution.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Place {
    Abs(Vec<String>),
    /// Below the (unknown) home directory.
    Home(Vec<String>),
    /// Below the (unknown) project directory.
    Project(Vec<String>),
    /// Relative to an unknown directory: how many levels it climbs above
    /// it (0: inside it or the directory itself) and whether it is the
    /// directory itself or above.
    Unknown {
        at_or_above: bool,
    },
    /// Above the project directory (a `..` escape).
    AboveProject,
    /// Depends on a variable: `$X/` (root when `$X` is empty).
    VarRoot(String),
    /// Nothing known.
    Opaque,
}

/// The target `w` names: where it is, and whether a final `*` makes it
/// "everything in" the directory.
fn locate(w: &Word, cwd: &Cwd, env: Env) -> (Place, bool) {
    let mut t = w.text.as_str();
    if t.is_empty() {
        return (Place::Opaque, false);
    }
    // A final all-matching glob: the directory itself is emptied.
    let mut all = false;
    if w.glob {
        for pat in ["*", ".*", "*.*", "**"] {
            if t == pat {
                t = ".";
                all = true;
                break;
            }
            if let Some(dir) = t.strip_suffix(pat)
                && dir.ends_with('/')
            {
                t = match dir.trim_end_matches('/') {
                    "" => "/",
                    d => d,
                };
                all = true;
                break;
            }
        }
    }
    let expands = w.tilde || w.lead_expansion;
    if let Some(rest) = home_rest(t).filter(|_| expands) {
        let mut comps = Vec::new();
        let inside = push_all(&mut comps, rest);
        return match env.home {
            Some(h) => {
                let mut abs = h.to_vec();
                push_all(&mut abs, rest);
                (Place::Abs(abs), all)
            }
            None if !inside => (Place::Home(Vec::new()), all),
            None => (Place::Home(comps), all),
        };
    }
    let rel = if w.lead_expansion {
        match pwd_rest(t) {
            Some(rest) => rest.trim_start_matches('/'),
            None => {
                let (var, rest) = split_expansion(t);
                let mut comps = Vec::new();
                push_all(&mut comps, rest);
                // `$X/` (or `$X/*`): the root when `$X` is empty.
                if comps.is_empty() && (rest.starts_with('/') || all && t != w.text) {
                    return (Place::VarRoot(var.to_string()), all);
                }
                return (Place::Opaque, all);
            }
        }
    } else {
        t
    };
    if let Some(abs) = absolute(rel) {
        return (Place::Abs(abs), all);
    }
    let place = match cwd {
        Cwd::Abs(c) => {
            let mut p = c.clone();
            push_all(&mut p, rel);
            Place::Abs(p)
        }
        Cwd::Project(c) => {
            let mut p = c.clone();
            if push_all(&mut p, rel) {
                Place::Project(p)
            } else {
                Place::AboveProject
            }
        }
        Cwd::Home(c) => {
            let mut p = c.clone();
            if push_all(&mut p, rel) {
                Place::Home(p)
            } else {
                Place::Home(Vec::new())
            }
        }
        Cwd::Unknown => {
            let mut p = Vec::new();
            let inside = push_all(&mut p, rel);
            Place::Unknown {
                at_or_above: !inside || p.is_empty(),
            }
        }
    };
    (place, all)
}

fn show(comps: &[String]) -> String {
    format!("/{}", comps.join("/"))
}

fn is_temp(c: &[String]) -> bool {
    let s: Vec<&str> = c.iter().map(String::as_str).collect();
    matches!(
        s.as_slice(),
        ["tmp", _, ..]
            | ["var", "tmp", _, ..]
            | ["private", "tmp", _, ..]
            | ["private", "var", "folders", _, ..]
            | ["var", "folders", _, ..]
            | ["dev", "shm", _, ..]
    )
}

/// A temporary directory itself (emptying it is fine, removing it is not).
fn is_temp_root(c: &[String]) -> bool {
    let s: Vec<&str> = c.iter().map(String::as_str).collect();
    matches!(s.as_slice(), ["tmp"] | ["var", "tmp"] | ["private", "tmp"])
}

fn is_home_dir(c: &[String]) -> bool {
    let s: Vec<&str> = c.iter().map(String::as_str).collect();
    matches!(s.as_slice(), ["home", _] | ["Users", _] | ["root"])
}

/// Why an absolute path must not be deleted recursively.
fn abs_danger(c: &[String], env: Env, all: bool) -> Option<String> {
    if c.is_empty() {
        return Some("the filesystem root".into());
    }
    if is_temp(c) || all && is_temp_root(c) {
        return None;
    }
    if let Some(ws) = env.workspace {
        if c.starts_with(ws) && c.len() > ws.len() {
            return None;
        }
        if c == ws {
            return Some("the whole workspace".into());
        }
        if ws.starts_with(c) {
            return Some(format!("a parent of the workspace `{}`", show(ws)));
        }
        return Some(format!("outside the workspace `{}`", show(ws)));
    }
    if c.len() == 1 {
        return Some("a top-level directory".into());
    }
    if is_home_dir(c) {
        return Some("a home directory".into());
    }
    if SYSTEM.contains(&c[0].as_str()) && c[0] != "home" && c[0] != "Users" {
        return Some("a system directory".into());
    }
    None
}

/// How a delete reaches its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// `rm -r`: the target itself.
    Whole,
    /// `find PATH … -delete` with no test narrowing it: everything in it.
    Contents,
    /// `find PATH -name … -delete`: some things in it (the working
    /// directory is fine then).
    Some,
}

/// Why deleting `w` recursively is dangerous, if it is.
pub fn delete_danger(w: &Word, cwd: &Cwd, env: Env, reach: Reach) -> Option<String> {
    let (place, all) = locate(w, cwd, env);
    let all = all || reach != Reach::Whole;
    let cwd_ok = reach == Reach::Some;
    if reach == Reach::Whole
        && let Place::Abs(p) | Place::Project(p) | Place::Home(p) = &place
        && p.last().is_some_and(|l| l == ".git")
    {
        return Some(format!("`{}` is a git repository's whole history", w.text));
    }
    let what = |d: &str| {
        if all {
            format!("`{}` matches everything in {d}", w.text)
        } else {
            format!("`{}` is {d}", w.text)
        }
    };
    // The working directory itself (`true`) or a directory above it.
    let at_cwd = match (&place, cwd) {
        (Place::Abs(p), Cwd::Abs(c))
        | (Place::Project(p), Cwd::Project(c))
        | (Place::Home(p), Cwd::Home(c))
            if c.starts_with(p) =>
        {
            Some(c.len() == p.len())
        }
        _ => None,
    };
    let root = matches!(&place, Place::Abs(p) if p.is_empty());
    match at_cwd {
        Some(true) if cwd_ok => return None,
        Some(true) if !root => return Some(what("the working directory")),
        Some(false) if !root => return Some(what("a parent of the working directory")),
        _ => {}
    }
    match place {
        Place::Abs(p) => abs_danger(&p, env, all).map(|d| what(&d)),
        Place::Home(p) if p.is_empty() => Some(what("your home directory")),
        Place::Home(p) if p.len() >= 2 && matches!(cwd, Cwd::Home(_)) => None,
        Place::Home(_) => Some(what("in your home directory, outside the workspace")),
        Place::Project(_) => None,
        Place::AboveProject => Some(what("outside the project (`..`)")),
        Place::Unknown { at_or_above } if at_or_above && !cwd_ok => {
            Some(what("the working directory or above it"))
        }
        Place::Unknown { .. } => None,
        Place::VarRoot(var) => Some(format!(
            "`{}` becomes `/` when `{var}` is empty or unset",
            w.text
        )),
        Place::Opaque => None,
    }
}

/// Why changing owners or modes of `w` recursively is dangerous: the
/// root, a top-level or system directory (two levels deep), a home
/// directory.
pub fn system_danger(w: &Word, cwd: &Cwd, env: Env) -> Option<String> {
    let (place, all) = locate(w, cwd, env);
    let what = |d: &str| {
        if all {
            format!("`{}` matches everything in {d}", w.text)
        } else {
            format!("`{}` is {d}", w.text)
        }
    };
    match place {
        Place::Abs(p) if p.is_empty() => Some(what("the filesystem root")),
        Place::Abs(p) if is_home_dir(&p) || env.home.is_some_and(|h| h == p.as_slice()) => {
            Some(what("a home directory"))
        }
        Place::Abs(p) if p.len() == 1 => Some(what("a top-level directory")),
        Place::Abs(p) if p.len() == 2 && SYSTEM.contains(&p[0].as_str()) && !is_temp(&p) => {
            Some(what("a system directory"))
        }
        Place::Home(p) if p.is_empty() => Some(what("your home directory")),
        Place::VarRoot(var) => Some(format!(
            "`{}` becomes `/` when `{var}` is empty or unset",
            w.text
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lex::parse;

    /// The words of `rm` in `src` (parsed, so flags are real).
    fn word(src: &str) -> Word {
        let script = parse(&format!("rm {src}"));
        match script.pipelines.first().and_then(|p| p.stages.first()) {
            Some(crate::ast::Stage::Command(c)) => c.words.get(1).cloned().unwrap_or_default(),
            _ => Word::default(),
        }
    }

    fn danger(src: &str, ws: Option<&str>) -> Option<String> {
        let ws = ws.and_then(absolute);
        let home = ws.as_deref().and_then(home_of);
        let env = Env {
            workspace: ws.as_deref(),
            home: home.as_deref(),
        };
        delete_danger(&word(src), &Cwd::start(None, env), env, Reach::Whole)
    }

    #[test]
    fn catastrophic_targets() {
        for t in [
            "/",
            "//",
            "/.",
            "/*",
            "~",
            "~/",
            "$HOME",
            "\"$HOME\"",
            "${HOME}/",
            "*",
            ".",
            "./",
            "..",
            "../",
            "./*",
            ".*",
            "../..",
            "$PWD",
            "$(pwd)",
            "/usr",
            "/etc/nginx",
            "/home/alice",
            "/Users/bob",
            "/root",
            "/tmp",
            "~/Documents",
            "~/.ssh",
            "\"$DIR/\"",
            "$DIR/*",
            "/var/lib/apt/lists/*",
            "build/../..",
        ] {
            assert!(danger(t, None).is_some(), "{t} should be dangerous");
        }
    }

    #[test]
    fn ordinary_targets() {
        for t in [
            "build",
            "./build",
            "node_modules",
            "dist/",
            "target/debug",
            "/tmp/x",
            "/tmp/build-1",
            "\"*\"",
            "'~'",
            "*.o",
            "build/*",
            "$DIR",
            "\"$BUILD_DIR\"",
            "src/../dist",
            "/var/tmp/cache",
            "$TMPDIR/x",
            "/home/alice/project/build",
            "/opt2/x/y",
        ] {
            assert_eq!(danger(t, None), None, "{t} should be fine");
        }
    }

    #[test]
    fn workspace_bounds() {
        let ws = Some("/home/me/proj");
        assert_eq!(danger("/home/me/proj/build", ws), None);
        assert_eq!(danger("build", ws), None);
        assert_eq!(danger("/tmp/x", ws), None);
        assert_eq!(danger("~/proj/dist", ws), None);
        assert!(danger("/home/me/other", ws).is_some_and(|r| r.contains("outside the workspace")));
        assert!(danger("/home/me/proj", ws).is_some_and(|r| r.contains("the working directory")));
        assert!(danger("..", ws).is_some());
        assert!(danger("../other", ws).is_some());
        assert!(danger("~/.ssh", ws).is_some());
        assert!(danger("/", ws).is_some_and(|r| r.contains("filesystem root")));
    }

    #[test]
    fn cd_moves_the_working_directory() {
        let env = Env {
            workspace: None,
            home: None,
        };
        let cwd = Cwd::start(None, env).cd("/", env);
        assert!(delete_danger(&word("usr"), &cwd, env, Reach::Whole).is_some());
        let cwd = Cwd::start(None, env).cd("sub", env);
        assert!(delete_danger(&word("../x"), &cwd, env, Reach::Whole).is_none());
        assert!(delete_danger(&word("../.."), &cwd, env, Reach::Whole).is_some());
        let cwd = Cwd::start(None, env).cd("~/proj", env);
        assert!(delete_danger(&word("build"), &cwd, env, Reach::Whole).is_none());
        let cwd = Cwd::start(None, env).cd("-", env);
        assert!(delete_danger(&word("build"), &cwd, env, Reach::Whole).is_none());
        assert!(delete_danger(&word("."), &cwd, env, Reach::Whole).is_some());
        let cwd = Cwd::start(Some("/home/u/p"), env);
        assert!(delete_danger(&word("."), &cwd, env, Reach::Whole).is_some());
        assert!(delete_danger(&word("build"), &cwd, env, Reach::Whole).is_none());
    }

    #[test]
    fn system_targets() {
        let env = Env {
            workspace: None,
            home: None,
        };
        let cwd = Cwd::start(None, env);
        for t in [
            "/",
            "/*",
            "/usr",
            "/usr/local",
            "/etc",
            "~",
            "/home/x",
            "/var/www",
        ] {
            assert!(system_danger(&word(t), &cwd, env).is_some(), "{t}");
        }
        for t in [
            ".",
            "./scripts",
            "~/.npm",
            "/var/www/html",
            "/tmp/x",
            "build",
        ] {
            assert!(system_danger(&word(t), &cwd, env).is_none(), "{t}");
        }
    }
}
