//! Test support (feature `testing`): the ways of cutting a body into pieces
//! that a streaming decoder must not be able to tell apart.

/// One way of cutting a body, with a label for assertion messages.
#[derive(Debug)]
pub struct Split<'a> {
    /// Where the cuts are (`cut at 5`, `cuts at 3 and 9`, `byte by byte`).
    pub label: String,
    /// The pieces, in order; together they are the whole body.
    pub pieces: Vec<&'a [u8]>,
}

/// Every way of cutting `body` in two; cuts in three with the first cut
/// every `step_a` bytes and the second every `step_b` bytes after it; and
/// single bytes. A step of 0 counts as 1.
pub fn splits(body: &[u8], step_a: usize, step_b: usize) -> impl Iterator<Item = Split<'_>> {
    let halves = (0..=body.len()).map(move |cut| Split {
        label: format!("cut at {cut}"),
        pieces: vec![&body[..cut], &body[cut..]],
    });
    let thirds = (0..body.len()).step_by(step_a.max(1)).flat_map(move |a| {
        (a..body.len()).step_by(step_b.max(1)).map(move |b| Split {
            label: format!("cuts at {a} and {b}"),
            pieces: vec![&body[..a], &body[a..b], &body[b..]],
        })
    });
    let bytes = std::iter::once(Split {
        label: "byte by byte".to_string(),
        pieces: body.chunks(1).collect(),
    });
    halves.chain(thirds).chain(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_split_rebuilds_the_body() {
        let body = b"abcdefg";
        let all: Vec<Split<'_>> = splits(body, 3, 2).collect();
        for split in &all {
            assert_eq!(split.pieces.concat(), body, "{}", split.label);
        }
        let labels: Vec<&str> = all.iter().map(|s| s.label.as_str()).collect();
        assert_eq!(labels.iter().filter(|l| l.starts_with("cut at")).count(), 8);
        assert!(labels.contains(&"cuts at 3 and 5"));
        assert_eq!(labels.last(), Some(&"byte by byte"));
        assert_eq!(all.last().map(|s| s.pieces.len()), Some(7));
    }
}
