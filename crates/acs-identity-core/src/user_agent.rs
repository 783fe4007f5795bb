//! The `User-Agent` of the Azure SDK guidelines.

use http::HeaderValue;

use crate::Error;

/// The SDK name in the `User-Agent`.
pub(crate) const SDK: &str = "azsdk-rust-communication-identity";

/// The longest application id the Azure SDK guidelines allow.
const APPLICATION_ID_MAX: usize = 24;

/// Builds `[<application id> ]azsdk-rust-communication-identity/<version> (<rustc>; <os>; <arch>)`.
///
/// The application id (yours, to tell your traffic apart) has at most 24 characters and no
/// spaces, as the Azure SDK guidelines require; anything else is an
/// [`ErrorKind::InvalidInput`](crate::ErrorKind) error. The other parts are the frontend's.
///
/// ```
/// let value = acs_identity_core::user_agent(Some("contoso-app"), "0.1.0", "rustc-1.88.0", "linux", "x86_64")?;
/// assert_eq!(value, "contoso-app azsdk-rust-communication-identity/0.1.0 (rustc-1.88.0; linux; x86_64)");
/// # Ok::<(), acs_identity_core::Error>(())
/// ```
pub fn user_agent(
    application_id: Option<&str>,
    crate_version: &str,
    rustc: &str,
    os: &str,
    arch: &str,
) -> Result<HeaderValue, Error> {
    let prefix = match application_id {
        Some(id) => {
            validate_application_id(id)?;
            format!("{id} ")
        }
        None => String::new(),
    };
    let value = format!("{prefix}{SDK}/{crate_version} ({rustc}; {os}; {arch})");
    HeaderValue::try_from(value)
        .map_err(|_| Error::invalid_input("the User-Agent parts must be visible ASCII text"))
}

fn validate_application_id(id: &str) -> Result<(), Error> {
    if id.is_empty() || id.chars().count() > APPLICATION_ID_MAX {
        return Err(Error::invalid_input(format!(
            "the application id must have 1 to {APPLICATION_ID_MAX} characters (got {})",
            id.chars().count()
        )));
    }
    if !id.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::invalid_input(
            "the application id must be visible ASCII without spaces",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_application_id() {
        let value = user_agent(None, "0.1.0", "rustc-1.88.0", "windows", "aarch64").unwrap();
        assert_eq!(
            value,
            "azsdk-rust-communication-identity/0.1.0 (rustc-1.88.0; windows; aarch64)"
        );
    }

    #[test]
    fn application_id_rules() {
        let ok = |id| user_agent(Some(id), "1", "r", "o", "a").is_ok();
        assert!(ok("a"));
        assert!(ok("exactly-twenty-four-char"));
        assert!(!ok("exactly-twenty-five-chars"));
        assert!(!ok(""));
        assert!(!ok("my app"));
        assert!(!ok("tab\there"));
        assert!(!ok("caf\u{e9}"));
        let error = user_agent(Some("my app"), "1", "r", "o", "a").unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid input: the application id must be visible ASCII without spaces"
        );
    }

    #[test]
    fn rejects_parts_that_cannot_be_a_header() {
        assert!(user_agent(None, "1\n", "r", "o", "a").is_err());
    }
}
