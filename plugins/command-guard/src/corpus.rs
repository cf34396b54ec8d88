//! The shipped corpora: real-world agent commands that must be stopped
//! (`corpus/dangerous.txt`) and that must pass (`corpus/benign.txt`).

use crate::check::Guard;

const DANGEROUS: &str = include_str!("../corpus/dangerous.txt");
const BENIGN: &str = include_str!("../corpus/benign.txt");

/// The commands of a corpus file: one a line, `#` comment lines skipped.
fn lines(text: &str) -> Vec<&str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
}

fn guard() -> Guard {
    Guard::new(&crate::config::Config::default()).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn corpus_counts() {
    let g = guard();
    let dangerous = lines(DANGEROUS);
    let benign = lines(BENIGN);
    assert!(
        dangerous.len() >= 60,
        "{} dangerous commands",
        dangerous.len()
    );
    assert!(benign.len() >= 60, "{} benign commands", benign.len());
    let misses: Vec<&str> = dangerous
        .iter()
        .copied()
        .filter(|c| g.check_script(c, None).is_none())
        .collect();
    let alarms: Vec<String> = benign
        .iter()
        .filter_map(|c| {
            g.check_script(c, None)
                .map(|f| format!("{c}  ->  {} ({})", f.rule, f.reason))
        })
        .collect();
    println!(
        "command-guard corpus: dangerous {} (missed {}), benign {} (false alarms {})",
        dangerous.len(),
        misses.len(),
        benign.len(),
        alarms.len()
    );
    assert!(misses.is_empty(), "missed:\n{}", misses.join("\n"));
    assert!(alarms.len() <= 2, "false alarms:\n{}", alarms.join("\n"));
}

#[test]
fn every_dangerous_command_names_its_rule() {
    let g = guard();
    for c in lines(DANGEROUS) {
        if let Some(f) = g.check_script(c, None) {
            assert!(!f.reason.is_empty() && !f.command.is_empty(), "{c}");
            assert!(
                crate::rules::RULES.contains(&f.rule),
                "{c}: unknown rule {}",
                f.rule
            );
        }
    }
}
