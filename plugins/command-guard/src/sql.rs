//! Destructive SQL: `DROP DATABASE`/`SCHEMA`/`TABLE`, `TRUNCATE`, and
//! `DELETE FROM` without a `WHERE`. The text is split into statements and
//! keywords with strings, quoted identifiers and comments skipped, so
//! `SELECT 'drop table x'` is harmless.

/// Keywords of one statement, upper-cased, strings and comments removed.
fn statements(sql: &str) -> Vec<Vec<String>> {
    let b = sql.as_bytes();
    let mut out = vec![Vec::new()];
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match c {
            b'\'' | b'"' | b'`' => {
                i += 1;
                while i < b.len() {
                    if b[i] == c {
                        if b.get(i + 1) == Some(&c) {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    if b[i] == b'\\' && c == b'\'' {
                        i += 1;
                    }
                    i += 1;
                }
                i += 1;
                if let Some(last) = out.last_mut() {
                    last.push("?".into());
                }
            }
            b'-' if b.get(i + 1) == Some(&b'-') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'#' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i < b.len() && !(b[i] == b'*' && b.get(i + 1) == Some(&b'/')) {
                    i += 1;
                }
                i += 2;
            }
            b';' => {
                out.push(Vec::new());
                i += 1;
            }
            _ if c.is_ascii_alphanumeric() || c == b'_' => {
                let start = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
                if let Some(last) = out.last_mut() {
                    last.push(sql[start..i].to_ascii_uppercase());
                }
            }
            _ => i += 1,
        }
    }
    out
}

/// What destructive statement `sql` holds, if any.
pub fn destructive(sql: &str) -> Option<String> {
    for words in statements(sql) {
        let w: Vec<&str> = words.iter().map(String::as_str).collect();
        // Statement starts, past `WITH … AS (…)` noise: look at every
        // position, since keywords only count as a statement's verb.
        match w.as_slice() {
            ["DROP", "DATABASE" | "SCHEMA" | "TABLE", ..] => {
                return Some(format!("`DROP {}`", w[1]));
            }
            ["DROP", "OWNED", ..] => return Some("`DROP OWNED`".into()),
            ["TRUNCATE", ..] => return Some("`TRUNCATE`".into()),
            ["DELETE", "FROM", ..] | ["DELETE", _, ..] if !w.contains(&"WHERE") => {
                return Some("`DELETE` without `WHERE`".into());
            }
            ["FLUSHALL" | "FLUSHDB", ..] => return Some(format!("`{}`", w[0])),
            _ => {}
        }
    }
    None
}

/// Mongo shell code that drops a database or collection.
pub fn destructive_js(js: &str) -> Option<String> {
    for needle in ["dropDatabase(", ".drop(", "deleteMany({})", "remove({})"] {
        if js.contains(needle) {
            return Some(format!("`{}`", needle.trim_start_matches('.')));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_destructive_statements() {
        for sql in [
            "DROP DATABASE prod",
            "drop table if exists users;",
            "select 1; DROP SCHEMA public CASCADE",
            "TRUNCATE TABLE orders",
            "truncate orders, items",
            "DELETE FROM users",
            "delete from users;",
            "/* c */ DROP TABLE x",
            "FLUSHALL",
        ] {
            assert!(destructive(sql).is_some(), "{sql}");
        }
    }

    #[test]
    fn leaves_the_rest() {
        for sql in [
            "SELECT * FROM users WHERE name = 'drop table x'",
            "select count(*) from orders",
            "DELETE FROM sessions WHERE expires < now()",
            "-- DROP TABLE x\nSELECT 1",
            "INSERT INTO log VALUES ('TRUNCATE')",
            "\\dt",
            "CREATE TABLE t (id int)",
            "SELECT \"drop\" FROM t",
            "",
        ] {
            assert_eq!(destructive(sql), None, "{sql}");
        }
    }

    #[test]
    fn mongo() {
        assert!(destructive_js("db.dropDatabase()").is_some());
        assert!(destructive_js("db.users.drop()").is_some());
        assert!(destructive_js("db.users.find({})").is_none());
    }
}
