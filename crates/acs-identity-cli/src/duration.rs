//! Durations on the command line: `1h`, `90m`, `3600s`, compound `1h30m` or `1h 30m` (humantime's syntax).

use std::time::Duration;

use acs_identity_blocking::TokenLifetime;

/// Parses a humantime duration (`1h`, `90m`, `1h30m`, `2m 30s`, `1d`); a bare number takes `bare_unit`
/// (`None`: a unit is required).
pub(crate) fn parse_duration(input: &str, bare_unit: Option<char>) -> Result<Duration, String> {
    let input = input.trim();
    let bad = || format!("{input:?} is not a duration: write it like 1h, 90m, 1h30m or 3600s");
    if !input.is_empty() && input.bytes().all(|b| b.is_ascii_digit()) {
        let seconds_per_unit = match bare_unit {
            Some('h') => 3600,
            Some('m') => 60,
            Some('s') => 1,
            _ => return Err(bad()),
        };
        let number: u64 = input
            .parse()
            .map_err(|_| format!("{input:?} is too long"))?;
        return number
            .checked_mul(seconds_per_unit)
            .map(Duration::from_secs)
            .ok_or_else(|| format!("{input:?} is too long"));
    }
    humantime::parse_duration(input).map_err(|error| match error {
        humantime::DurationError::NumberOverflow => format!("{input:?} is too long"),
        _ => bad(),
    })
}

/// A token lifetime: 60 to 1440 whole minutes; a bare number is minutes.
pub(crate) fn parse_lifetime(input: &str) -> Result<TokenLifetime, String> {
    let duration =
        parse_duration(input, Some('m')).map_err(|error| format!("--expires-in: {error}"))?;
    TokenLifetime::try_from(duration).map_err(|error| format!("--expires-in {input}: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units() {
        assert_eq!(parse_duration("1h", None), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("90m", None), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("3600s", None), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration(" 30s ", None), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("1h30m", None), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("2m 30s", None), Ok(Duration::from_secs(150)));
        assert_eq!(parse_duration("1d", None), Ok(Duration::from_secs(86400)));
        assert!(parse_duration("30", None).is_err());
        for bad in [
            "",
            "h",
            "-1h",
            "1x",
            "99999999999999999999h",
            "99999999999999999999",
        ] {
            assert!(parse_duration(bad, Some('m')).is_err(), "{bad}");
        }
    }

    #[test]
    fn lifetimes_are_whole_minutes_from_60_to_1440() {
        assert_eq!(parse_lifetime("1h").map(TokenLifetime::as_minutes), Ok(60));
        assert_eq!(parse_lifetime("90").map(TokenLifetime::as_minutes), Ok(90));
        assert_eq!(
            parse_lifetime("1h30m").map(TokenLifetime::as_minutes),
            Ok(90)
        );
        assert_eq!(
            parse_lifetime("86400s").map(TokenLifetime::as_minutes),
            Ok(1440)
        );
        for bad in ["59m", "1441m", "25h", "3601s", "0"] {
            let error = parse_lifetime(bad).unwrap_err();
            assert!(
                error.starts_with(&format!("--expires-in {bad}: a token lifetime must be")),
                "{error}"
            );
        }
    }
}
