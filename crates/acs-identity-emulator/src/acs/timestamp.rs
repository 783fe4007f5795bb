//! The service's two timestamp formats.

use std::time::{SystemTime, UNIX_EPOCH};

use time::OffsetDateTime;

/// `expiresOn`: `2025-04-14T17:32:27.2078535+00:00`, always 7 fractional digits (.NET ticks) and `+00:00`.
pub(crate) fn expires_on(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:07}+00:00",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        at.nanosecond() / 100
    )
}

/// `lastTokenIssuedAt`: `2025-04-14T15:32:27+00:00`, whole seconds.
pub(crate) fn last_token_issued_at(unix_seconds: i64) -> String {
    let at =
        OffsetDateTime::from_unix_timestamp(unix_seconds).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}+00:00",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

/// Nanoseconds since the Unix epoch (0 before it), the precision the store keeps revocation times in.
pub(crate) fn unix_nanos(at: SystemTime) -> i64 {
    at.duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Whole seconds since the Unix epoch (0 before it).
pub(crate) fn unix_seconds(at: SystemTime) -> i64 {
    at.duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// A `SystemTime` as an `OffsetDateTime`, clamped to the epoch.
pub(crate) fn to_datetime(at: SystemTime) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(unix_nanos(at)))
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn formats_like_the_service() {
        assert_eq!(
            expires_on(datetime!(2025-04-14 17:32:27.2078535 UTC)),
            "2025-04-14T17:32:27.2078535+00:00"
        );
        assert_eq!(
            expires_on(datetime!(2025-04-14 17:32:27 UTC)),
            "2025-04-14T17:32:27.0000000+00:00"
        );
        assert_eq!(
            last_token_issued_at(1_744_644_747),
            "2025-04-14T15:32:27+00:00"
        );
    }
}
