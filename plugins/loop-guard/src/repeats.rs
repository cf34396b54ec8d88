//! Counting how often the end of a sequence of tool calls repeats, and the
//! per-conversation counter kept in the key-value store.

/// A repetition at the end of a call sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cycle {
    /// How many calls one round of the cycle has (1: the same call again).
    pub period: usize,
    /// How many full rounds in a row end the sequence.
    pub repeats: usize,
}

/// What the key-value counter knows: the first `history` calls of the
/// sequence come from the request, and its last call had been the last call
/// of `count` consecutive requests (so it was made at least `count` times in
/// a row, even if the client dropped the older turns).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Floor {
    /// Calls of the sequence that came with the request.
    pub history: usize,
    /// The counter for the request's last call.
    pub count: usize,
}

/// The strongest cycle (most rounds; the shorter period on a tie) ending
/// `calls`, for periods `1..=max_period`.
pub fn trailing_cycle(calls: &[u64], max_period: usize, floor: Option<Floor>) -> Cycle {
    let len = calls.len();
    let Some(&last) = calls.last() else {
        return Cycle {
            period: 1,
            repeats: 0,
        };
    };
    let mut run = calls.iter().rev().take_while(|&&c| c == last).count();
    if let Some(Floor { history, count }) = floor
        && history >= 1
        && history <= len
    {
        let new = len - history;
        // The run reaches back into the request's calls: it continues the
        // streak the counter saw.
        if run > new {
            run = run.max(count + new);
        }
    }
    let mut best = Cycle {
        period: 1,
        repeats: run,
    };
    for period in 2..=max_period {
        if len < 2 * period {
            break;
        }
        let matching = (0..len - period)
            .rev()
            .take_while(|&i| calls[i] == calls[i + period])
            .count();
        let repeats = (period + matching) / period;
        if repeats > best.repeats {
            best = Cycle { period, repeats };
        }
    }
    best
}

/// Encode the counter: the last call's hash, how many consecutive requests
/// ended with it, and the id the client gave that call.
pub fn encode_counter(call: u64, count: usize, id: &str) -> Vec<u8> {
    format!("{call:016x} {count} {id}").into_bytes()
}

/// The counter for a request whose last call is `call` with id `id`, given
/// what was stored: one more when the stored call is the same, else 1. The
/// same call with the same id is the same request again (a client's retry
/// after an upstream error, say), not a new repetition: it keeps the count.
pub fn next_count(stored: Option<&[u8]>, call: u64, id: &str) -> usize {
    let parsed = stored
        .and_then(|b| std::str::from_utf8(b).ok())
        .and_then(|s| {
            let mut fields = s.splitn(3, ' ');
            let hash = u64::from_str_radix(fields.next()?, 16).ok()?;
            let count = fields.next()?.parse::<usize>().ok()?;
            Some((hash, count, fields.next()))
        });
    match parsed {
        Some((h, n, Some(seen))) if h == call && !id.is_empty() && seen == id => n.max(1),
        Some((h, n, _)) if h == call => n.saturating_add(1),
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cycle(calls: &[u64], max_period: usize) -> (usize, usize) {
        let c = trailing_cycle(calls, max_period, None);
        (c.period, c.repeats)
    }

    #[test]
    fn same_call_runs() {
        assert_eq!(cycle(&[], 2), (1, 0));
        assert_eq!(cycle(&[1], 2), (1, 1));
        assert_eq!(cycle(&[1, 1, 1], 2), (1, 3));
        assert_eq!(cycle(&[1, 1, 2, 1, 1], 2), (1, 2));
        assert_eq!(cycle(&[1, 2, 3, 4], 3), (1, 1));
    }

    #[test]
    fn longer_cycles() {
        assert_eq!(cycle(&[1, 2, 1, 2, 1, 2], 2), (2, 3));
        assert_eq!(cycle(&[1, 2, 1, 2, 1, 2], 1), (1, 1));
        assert_eq!(cycle(&[2, 1, 2, 1, 2], 2), (2, 2));
        assert_eq!(cycle(&[9, 1, 2, 3, 1, 2, 3], 3), (3, 2));
        assert_eq!(cycle(&[1, 1, 2, 1, 1, 2, 1, 1, 2], 3), (3, 3));
        // A run of one call is period 1, not 2.
        assert_eq!(cycle(&[5, 5, 5, 5], 2), (1, 4));
    }

    #[test]
    fn counter_floor() {
        // Truncated history: one call in the request, seen in 3 requests.
        let floor = Some(Floor {
            history: 1,
            count: 3,
        });
        assert_eq!(trailing_cycle(&[7], 2, floor).repeats, 3);
        // The answer repeats it once more.
        assert_eq!(trailing_cycle(&[7, 7], 2, floor).repeats, 4);
        // The answer makes another call: the streak is over.
        assert_eq!(trailing_cycle(&[7, 8], 2, floor).repeats, 1);
        // A longer history than the counter: the history wins.
        let floor = Some(Floor {
            history: 4,
            count: 2,
        });
        assert_eq!(trailing_cycle(&[7, 7, 7, 7], 2, floor).repeats, 4);
    }

    #[test]
    fn counter_round_trip() {
        assert_eq!(next_count(None, 5, "c1"), 1);
        assert_eq!(next_count(Some(&encode_counter(5, 2, "c1")), 5, "c2"), 3);
        assert_eq!(next_count(Some(&encode_counter(6, 2, "c1")), 5, "c2"), 1);
        assert_eq!(next_count(Some(b"garbage"), 5, "c1"), 1);
        assert_eq!(next_count(Some(&[0xff, 0xfe]), 5, "c1"), 1);
        // The same request again keeps its count; an id with a space is whole.
        assert_eq!(next_count(Some(&encode_counter(5, 2, "c 1")), 5, "c 1"), 2);
        // No id to tell them apart, or a counter written before ids were.
        assert_eq!(next_count(Some(&encode_counter(5, 2, "")), 5, ""), 3);
        assert_eq!(next_count(Some(b"0000000000000005 2"), 5, "c1"), 3);
    }
}
