//! Ollama's `created_at` (RFC 3339 with nanoseconds and a zone, as Go
//! writes it) to Unix time, and the answer id made from it.

/// Milliseconds since the Unix epoch for an RFC 3339 timestamp such as
/// `2025-05-01T12:30:45.123456789Z` or `2025-05-01T14:30:45.1+02:00`.
pub fn unix_ms(text: &str) -> Option<u64> {
    let b = text.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let num = |from: usize, to: usize| -> Option<i64> { text.get(from..to)?.parse().ok() };
    let (year, month, day) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    let (hour, minute, second) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    // Fraction, then the zone.
    let mut at = 19;
    let mut millis = 0i64;
    if b.get(at) == Some(&b'.') {
        at += 1;
        let start = at;
        while b.get(at).is_some_and(u8::is_ascii_digit) {
            at += 1;
        }
        let digits = &text[start..at];
        if digits.is_empty() {
            return None;
        }
        let ms: String = digits.chars().chain("000".chars()).take(3).collect();
        millis = ms.parse().ok()?;
    }
    let offset_secs = match b.get(at)? {
        b'Z' | b'z' if at + 1 == b.len() => 0,
        sign @ (b'+' | b'-') if at + 6 == b.len() && b[at + 3] == b':' => {
            let secs = num(at + 1, at + 3)? * 3600 + num(at + 4, at + 6)? * 60;
            if *sign == b'+' { secs } else { -secs }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset_secs;
    u64::try_from(secs * 1000 + millis).ok()
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The answer id: Ollama has none, so one is made from the answer's time.
pub fn answer_id(unix_ms: u64) -> String {
    format!("ollama-{unix_ms}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_go_timestamps() {
        assert_eq!(unix_ms("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            unix_ms("2023-08-04T19:22:45.499127Z"),
            Some(1_691_176_965_499)
        );
        assert_eq!(
            unix_ms("2023-08-04T21:22:45.4+02:00"),
            Some(1_691_176_965_400)
        );
        assert_eq!(
            unix_ms("2023-08-04T11:22:45-08:00"),
            Some(1_691_176_965_000)
        );
        assert_eq!(
            unix_ms("2000-02-29T00:00:00.000000001Z"),
            Some(951_782_400_000)
        );
    }

    #[test]
    fn rejects_garbage() {
        for text in [
            "",
            "yesterday",
            "2023-08-04",
            "2023-13-04T00:00:00Z",
            "2023-08-04T00:00:00",
            "2023-08-04T00:00:00.Z",
            "1969-12-31T23:59:59Z",
        ] {
            assert_eq!(unix_ms(text), None, "{text}");
        }
    }
}
