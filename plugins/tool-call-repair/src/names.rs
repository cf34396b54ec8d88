//! Matching a tool name the model wrote to the tools the request declared.

/// How a name matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameMatch {
    /// The name is declared as written.
    Exact,
    /// The name means this declared tool (case, separators, a
    /// `functions.` prefix or a small typo differ).
    Fixed(String),
    /// No declared tool, or more than one, is close enough.
    Unknown,
}

/// Prefixes some models put before tool names.
const PREFIXES: [&str; 3] = ["functions.", "function.", "tools."];

/// Match `name` against `declared`. With `fuzzy` off only exact names
/// match. Otherwise, in order: a known prefix stripped, the same name
/// ignoring case, the same name ignoring case and `_`/`-`/space/`.`
/// separators, and finally the unique declared name within edit distance
/// `max_distance` (optimal string alignment, so a swap of two neighbours
/// counts 1), where the distance may also be at most a third of the
/// declared name's length so short names never match something unrelated.
pub fn resolve(name: &str, declared: &[&str], fuzzy: bool, max_distance: usize) -> NameMatch {
    if declared.contains(&name) {
        return NameMatch::Exact;
    }
    if !fuzzy {
        return NameMatch::Unknown;
    }
    let trimmed = name.trim();
    let stripped = PREFIXES
        .iter()
        .find_map(|p| trimmed.strip_prefix(p))
        .unwrap_or(trimmed);
    if let Some(found) = declared.iter().find(|d| **d == stripped) {
        return NameMatch::Fixed((*found).to_string());
    }
    let unique = |pred: &dyn Fn(&str) -> bool| -> Option<String> {
        let mut hits = declared.iter().filter(|d| pred(d));
        match (hits.next(), hits.next()) {
            (Some(one), None) => Some((*one).to_string()),
            _ => None,
        }
    };
    let lower = stripped.to_lowercase();
    if let Some(found) = unique(&|d| d.to_lowercase() == lower) {
        return NameMatch::Fixed(found);
    }
    let loose = normalize(stripped);
    if !loose.is_empty()
        && let Some(found) = unique(&|d| normalize(d) == loose)
    {
        return NameMatch::Fixed(found);
    }
    if max_distance == 0 {
        return NameMatch::Unknown;
    }
    let wanted: Vec<char> = lower.chars().collect();
    let mut best: Option<(usize, &str)> = None;
    let mut tie = false;
    for d in declared {
        let candidate: Vec<char> = d.to_lowercase().chars().collect();
        let limit = max_distance.min(candidate.len() / 3);
        if limit == 0 || wanted.len().abs_diff(candidate.len()) > limit {
            continue;
        }
        let distance = osa_distance(&wanted, &candidate);
        if distance > limit {
            continue;
        }
        match best {
            Some((b, _)) if distance > b => {}
            Some((b, _)) if distance == b => tie = true,
            _ => {
                best = Some((distance, d));
                tie = false;
            }
        }
    }
    match best {
        Some((_, found)) if !tie => NameMatch::Fixed(found.to_string()),
        _ => NameMatch::Unknown,
    }
}

/// Lowercase, without separators.
fn normalize(name: &str) -> String {
    name.chars()
        .filter(|c| !matches!(c, '_' | '-' | ' ' | '.'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Optimal string alignment distance (Levenshtein plus adjacent swaps).
fn osa_distance(a: &[char], b: &[char]) -> usize {
    let width = b.len() + 1;
    // Three rows: two back, previous, current.
    let mut two_back = vec![0usize; width];
    let mut prev: Vec<usize> = (0..width).collect();
    let mut cur = vec![0usize; width];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..width {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(two_back[j - 2] + 1);
            }
            cur[j] = d;
        }
        std::mem::swap(&mut two_back, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOOLS: [&str; 5] = [
        "Bash",
        "Read",
        "get_weather",
        "search_files",
        "search_filesystem",
    ];

    fn fixed(name: &str) -> NameMatch {
        resolve(name, &TOOLS, true, 2)
    }

    #[test]
    fn exact_names() {
        assert_eq!(fixed("Bash"), NameMatch::Exact);
        assert_eq!(resolve("bash", &TOOLS, false, 2), NameMatch::Unknown);
    }

    #[test]
    fn case_prefix_and_separators() {
        assert_eq!(fixed("bash"), NameMatch::Fixed("Bash".into()));
        assert_eq!(fixed("BASH"), NameMatch::Fixed("Bash".into()));
        assert_eq!(
            fixed("functions.get_weather"),
            NameMatch::Fixed("get_weather".into())
        );
        assert_eq!(fixed("get-weather"), NameMatch::Fixed("get_weather".into()));
        assert_eq!(fixed("GetWeather"), NameMatch::Fixed("get_weather".into()));
    }

    #[test]
    fn close_matches() {
        assert_eq!(fixed("get_wether"), NameMatch::Fixed("get_weather".into()));
        assert_eq!(fixed("get_waether"), NameMatch::Fixed("get_weather".into()));
        assert_eq!(fixed("Bahs"), NameMatch::Fixed("Bash".into()));
        assert_eq!(fixed("Reed"), NameMatch::Fixed("Read".into()));
        // Too far, or too short to guess.
        assert_eq!(fixed("get_wthr"), NameMatch::Unknown);
        assert_eq!(fixed("Bxxh"), NameMatch::Unknown);
        assert_eq!(resolve("rm", &["ls"], true, 2), NameMatch::Unknown);
        assert_eq!(fixed("Write"), NameMatch::Unknown);
        // max_distance bounds the guess.
        assert_eq!(resolve("get_wether", &TOOLS, true, 0), NameMatch::Unknown);
        assert_eq!(
            resolve("get_waether", &TOOLS, true, 1),
            NameMatch::Fixed("get_weather".into())
        );
        assert_eq!(resolve("get_wxathxr", &TOOLS, true, 1), NameMatch::Unknown);
    }

    #[test]
    fn ambiguous_names_stay_unknown() {
        assert_eq!(
            resolve("bash", &["Bash", "BASH"], true, 2),
            NameMatch::Unknown
        );
        assert_eq!(
            resolve("search_filez", &["search_files", "search_filex"], true, 2),
            NameMatch::Unknown
        );
        // The closer one wins.
        assert_eq!(
            fixed("search_file"),
            NameMatch::Fixed("search_files".into())
        );
    }

    #[test]
    fn distance() {
        let d = |a: &str, b: &str| {
            osa_distance(
                &a.chars().collect::<Vec<_>>(),
                &b.chars().collect::<Vec<_>>(),
            )
        };
        assert_eq!(d("", ""), 0);
        assert_eq!(d("abc", ""), 3);
        assert_eq!(d("kitten", "sitting"), 3);
        assert_eq!(d("ab", "ba"), 1);
        assert_eq!(d("héllo", "hello"), 1);
    }
}
