//! [`Error`] into [`azure_core::Error`] (feature `azure_core`), so that our calls compose with other Azure
//! Rust crates' `?`.

use azure_core::error::ErrorKind as AzureKind;
use azure_core::http::StatusCode;

use crate::{Error, ErrorKind};

/// An [`Error`] as an [`azure_core::Error`] (feature `azure_core`): a service error becomes
/// [`ErrorKind::HttpResponse`](azure_core::error::ErrorKind::HttpResponse) with its HTTP status and ACS
/// error code (`IdentityNotOwned`, `Denied`...); a transport or timeout error `Io`, a decode error
/// `DataConversion`, a credential error `Credential`, invalid input `Other`. The original error is the
/// source, so its message (what to do) and its accessors (request ids, attempts) stay reachable by
/// `downcast_ref::<acs_identity_core::Error>()`.
///
/// ```
/// use acs_identity_core::Error;
///
/// let error: azure_core::Error = Error::invalid_input("scopes must not be empty").into();
/// assert_eq!(error.kind(), &azure_core::error::ErrorKind::Other);
/// assert!(error.to_string().contains("scopes must not be empty"));
/// ```
impl From<Error> for azure_core::Error {
    fn from(error: Error) -> Self {
        let kind = match error.kind() {
            ErrorKind::Service => AzureKind::HttpResponse {
                status: StatusCode::from(error.status().map_or(0, |status| status.as_u16())),
                error_code: error
                    .service_error()
                    .and_then(|service| service.code())
                    .map(str::to_owned),
            },
            ErrorKind::Transport | ErrorKind::Timeout => AzureKind::Io,
            ErrorKind::Decode => AzureKind::DataConversion,
            ErrorKind::Credential => AzureKind::Credential,
            ErrorKind::InvalidInput => AzureKind::Other,
        };
        azure_core::Error::new(kind, error)
    }
}
