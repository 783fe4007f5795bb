//! Durations on the command line: `1h`, `90m`, `3600s`.

use std::time::Duration;

use acs_identity_blocking::TokenLifetime;

/// Parses `<number><unit>` with unit `h`, `m` or `s`; a bare number takes `bare_unit` (`None`: a unit is
/// required).
pub(crate) fn parse_duration(input: &str, bare_unit: Option<char>) -> Result<Duration, String> {
    let input = input.trim();
    let (number, unit) = match input.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((at, _)) => {
            let (number, unit) = input.split_at(at);
            (number, unit.trim())
        }
        None => (input, ""),
    };
    let unit = match (unit, bare_unit) {
        ("", Some(unit)) => unit.to_string(),
        (unit, _) => unit.to_owned(),
    };
    let seconds_per_unit = match unit.as_str() {
        "h" => 3600,
        "m" => 60,
        "s" => 1,
        _ => {
            return Err(format!(
                "{input:?} is not a duration: write it like 1h, 90m or 3600s"
            ));
        }
    };
    let number: u64 = number
        .parse()
        .map_err(|_| format!("{input:?} is not a duration: write it like 1h, 90m or 3600s"))?;
    number
        .checked_mul(seconds_per_unit)
        .map(Duration::from_secs)
        .ok_or_else(|| format!("{input:?} is too long"))
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
        assert_eq!(parse_duration(" 30 s ", None), Ok(Duration::from_secs(30)));
        assert!(parse_duration("30", None).is_err());
        for bad in ["", "h", "1.5h", "-1h", "1d", "1hm", "99999999999999999999h"] {
            assert!(parse_duration(bad, Some('m')).is_err(), "{bad}");
        }
    }

    #[test]
    fn lifetimes_are_whole_minutes_from_60_to_1440() {
        assert_eq!(parse_lifetime("1h").map(TokenLifetime::as_minutes), Ok(60));
        assert_eq!(parse_lifetime("90").map(TokenLifetime::as_minutes), Ok(90));
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
