//! Database rules: destructive SQL given to a command-line client
//! (`psql -c`, `mysql -e`, `sqlite3 db "…"`, here-documents, and text
//! piped in), `dropdb`, `mysqladmin drop`, `redis-cli FLUSHALL`, Mongo
//! shell drops.

use super::Hit;
use crate::argv::{Arg, Spec, scan};
use crate::lex::Word;
use crate::sql::{destructive, destructive_js};

/// How a client takes SQL.
struct Client {
    /// Options whose value is SQL to run.
    sql_short: &'static str,
    sql_long: &'static [&'static str],
    /// Options whose value is a script file (then stdin is not read).
    file_short: &'static str,
    file_long: &'static [&'static str],
    /// Every option that takes a value.
    spec: Spec,
    /// Operands after the first are SQL (`sqlite3 db "…"`).
    sql_operands: bool,
}

fn client_of(prog: &str) -> Option<Client> {
    let c = match prog {
        "psql" => Client {
            sql_short: "c",
            sql_long: &["command"],
            file_short: "f",
            file_long: &["file"],
            spec: Spec {
                short: "cdfhLoPpRTUvF",
                long: &[
                    "command",
                    "dbname",
                    "file",
                    "host",
                    "log-file",
                    "output",
                    "pset",
                    "port",
                    "record-separator",
                    "table-attr",
                    "username",
                    "variable",
                    "set",
                    "field-separator",
                ],
            },
            sql_operands: false,
        },
        "mysql" | "mariadb" => Client {
            sql_short: "e",
            sql_long: &["execute"],
            file_short: "",
            file_long: &[],
            spec: Spec {
                short: "eDhuPS",
                long: &["execute", "database", "host", "user", "port", "socket"],
            },
            sql_operands: false,
        },
        "sqlcmd" => Client {
            sql_short: "Qq",
            sql_long: &["query"],
            file_short: "i",
            file_long: &["input-file"],
            spec: Spec {
                short: "QqSUPdiol",
                long: &["query"],
            },
            sql_operands: false,
        },
        "clickhouse-client" => Client {
            sql_short: "q",
            sql_long: &["query"],
            file_short: "",
            file_long: &["queries-file"],
            spec: Spec {
                short: "qhudp",
                long: &[
                    "query",
                    "host",
                    "user",
                    "database",
                    "port",
                    "password",
                    "queries-file",
                ],
            },
            sql_operands: false,
        },
        "duckdb" => Client {
            sql_short: "c",
            sql_long: &[],
            file_short: "",
            file_long: &[],
            spec: Spec {
                short: "c",
                long: &[],
            },
            sql_operands: true,
        },
        _ => return None,
    };
    Some(c)
}

/// True when `prog` reads SQL from its input when given none as arguments.
pub fn reads_sql_stdin(prog: &str, args: &[Word]) -> bool {
    match prog {
        "sqlite3" | "sqlite" => sqlite(args).1,
        "cockroach" => {
            args.first().is_some_and(|w| w.text == "sql")
                && !args
                    .iter()
                    .any(|w| w.text.starts_with("-e") || w.text.starts_with("--execute"))
        }
        _ => match client_of(prog) {
            Some(c) => !scan(args, c.spec).iter().any(|a| match a {
                Arg::Short(s, _) => c.sql_short.contains(*s) || c.file_short.contains(*s),
                Arg::Long(l, _) => c.sql_long.contains(l) || c.file_long.contains(l),
                Arg::Operand(_) => false,
            }),
            None => false,
        },
    }
}

/// sqlite3's SQL arguments, and whether it reads stdin (no SQL given).
fn sqlite(args: &[Word]) -> (Vec<&str>, bool) {
    let mut sql = Vec::new();
    let mut ops = Vec::new();
    let mut i = 0;
    while let Some(w) = args.get(i) {
        let t = w.text.trim_start_matches('-');
        i += 1;
        if !w.text.starts_with('-') || w.text == "-" {
            ops.push(w.text.as_str());
        } else if t == "cmd" {
            if let Some(v) = args.get(i) {
                sql.push(v.text.as_str());
            }
            i += 1;
        } else if matches!(
            t,
            "separator"
                | "newline"
                | "nullvalue"
                | "init"
                | "maxsize"
                | "vfs"
                | "mmap"
                | "lookaside"
                | "pagecache"
        ) {
            i += 1;
        }
    }
    let given = ops.len() > 1;
    sql.extend(ops.iter().skip(1));
    (sql, !given)
}

fn hit(prog: &str, what: String) -> Hit {
    Hit::new(
        "sql-destructive",
        format!("{what} through `{prog}` deletes data"),
    )
}

/// Destructive SQL in a client's arguments or its here-document.
pub fn client(prog: &str, args: &[Word], stdin: Option<&str>) -> Option<Hit> {
    match prog {
        "dropdb" => {
            return Some(Hit::new("sql-destructive", "`dropdb` drops a database"));
        }
        "mysqladmin" => {
            return args
                .iter()
                .any(|w| w.text.eq_ignore_ascii_case("drop"))
                .then(|| Hit::new("sql-destructive", "`mysqladmin drop` drops a database"));
        }
        "redis-cli" => {
            let spec = Spec {
                short: "hpanusrid",
                long: &["user", "pass"],
            };
            let first = scan(args, spec).into_iter().find_map(|a| match a {
                Arg::Operand(o) => Some(o),
                _ => None,
            })?;
            return (first.eq_ignore_ascii_case("flushall")
                || first.eq_ignore_ascii_case("flushdb"))
            .then(|| {
                Hit::new(
                    "sql-destructive",
                    format!("`redis-cli {first}` deletes every key"),
                )
            });
        }
        "mongosh" | "mongo" => {
            let spec = Spec {
                short: "u",
                long: &["eval", "username", "host", "port"],
            };
            return scan(args, spec).iter().find_map(|a| match a {
                Arg::Long("eval", Some(js)) => destructive_js(js).map(|w| hit(prog, w)),
                _ => None,
            });
        }
        _ => {}
    }
    let mut texts: Vec<&str> = Vec::new();
    match prog {
        "sqlite3" | "sqlite" => texts.extend(sqlite(args).0),
        "cockroach" if args.first().is_some_and(|w| w.text == "sql") => {
            let spec = Spec {
                short: "e",
                long: &["execute", "database", "url", "host", "user"],
            };
            for a in scan(&args[1..], spec) {
                if let Arg::Short('e', Some(s)) | Arg::Long("execute", Some(s)) = a {
                    texts.push(s);
                }
            }
        }
        _ => {
            let c = client_of(prog)?;
            let mut first_operand = true;
            for a in scan(args, c.spec) {
                match a {
                    Arg::Short(s, Some(v)) if c.sql_short.contains(s) => texts.push(v),
                    Arg::Long(l, Some(v)) if c.sql_long.contains(&l) => texts.push(v),
                    Arg::Operand(o) if c.sql_operands => {
                        if !first_operand {
                            texts.push(o);
                        }
                        first_operand = false;
                    }
                    _ => {}
                }
            }
        }
    }
    if reads_sql_stdin(prog, args)
        && let Some(body) = stdin
    {
        texts.push(body);
    }
    texts
        .into_iter()
        .find_map(|t| destructive(t).map(|w| hit(prog, w)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(s: &str) -> Option<Hit> {
        let script = crate::lex::parse(s);
        let Some(crate::ast::Stage::Command(c)) =
            script.pipelines.first().and_then(|p| p.stages.first())
        else {
            return None;
        };
        let prog = crate::argv::program(&c.words[0]).to_string();
        client(&prog, &c.words[1..], super::super::stdin(&c.redirects))
    }

    #[test]
    fn destructive_clients() {
        for s in [
            "psql -U postgres -c 'DROP DATABASE prod'",
            "psql --command='drop table users' mydb",
            "mysql -u root -p -e 'TRUNCATE TABLE orders' shop",
            "mysql -e\"DROP DATABASE x\"",
            "sqlite3 app.db 'DELETE FROM users'",
            "sqlite3 app.db -cmd 'drop table t' .quit",
            "psql mydb <<'EOF'\nDROP TABLE users;\nEOF",
            "psql mydb <<< 'drop schema public cascade'",
            "dropdb prod",
            "mysqladmin -u root drop shop",
            "redis-cli -h cache FLUSHALL",
            "mongosh --eval 'db.dropDatabase()'",
            "cockroach sql --execute='DROP TABLE t'",
            "sqlcmd -S srv -Q \"DROP TABLE t\"",
            "clickhouse-client --query 'TRUNCATE TABLE hits'",
            "duckdb my.db 'DROP TABLE t'",
        ] {
            assert!(check(s).is_some(), "{s}");
        }
        for s in [
            "psql -c 'select count(*) from users'",
            "psql -d app -c '\\dt'",
            "mysql -e 'SHOW TABLES'",
            "sqlite3 app.db .tables",
            "sqlite3 app.db 'SELECT * FROM users LIMIT 5'",
            "psql -f migrations/001.sql",
            "redis-cli ping",
            "redis-cli get flushall",
            "psql -c \"select 'drop table x'\"",
        ] {
            assert_eq!(check(s), None, "{s}");
        }
    }
}
