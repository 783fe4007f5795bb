//! The resource's endpoint URL.

use std::fmt;
use std::str::FromStr;

use crate::origin;

/// The absolute `http`/`https` URL of an ACS resource, such as `https://contoso.communication.azure.com`.
///
/// Rules, checked by [`Endpoint::parse`]:
/// - the scheme is `http` or `https` (`http` serves local emulators);
/// - there is a host: an ASCII domain name of letters, digits, `-`, `.` and `_` (a Unicode name in its
///   `xn--` form), or an IP address (IPv4 as a dotted quad, IPv6 in brackets); and no user name or password;
/// - there is no path other than `/`, no query and no fragment. ACS endpoints have no path, and requests are
///   built by appending the operation's path to the origin, so a path would either be dropped silently,
///   hiding a typo such as a pasted portal URL, or end up in every request. Rejecting it says so at once;
/// - a trailing `/` is fine and is not kept.
///
/// Like every URL parser, this one normalises: the scheme and host are lowercased, and a port equal to
/// the scheme's default (`443` for https, `80` for http) is dropped, so `https://host:443` becomes
/// `https://host`. This matches the `Host` header HTTP clients send, which also omits a default port.
///
/// Parse errors never echo the input: a mistyped connection string can put the access key in this value.
///
/// ```
/// use acs_auth::Endpoint;
///
/// let endpoint = Endpoint::parse("https://contoso.communication.azure.com/")?;
/// assert_eq!(endpoint.as_str(), "https://contoso.communication.azure.com");
/// assert_eq!(endpoint.host_header(), "contoso.communication.azure.com");
///
/// let local = Endpoint::parse("http://127.0.0.1:47123")?;
/// assert_eq!(local.host_header(), "127.0.0.1:47123");
///
/// assert!(Endpoint::parse("https://contoso.communication.azure.com/identities").is_err());
/// # Ok::<(), acs_auth::EndpointError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Endpoint {
    /// `scheme://host[:port]`, no trailing slash.
    origin: String,
    /// Length of the scheme in `origin`.
    scheme_len: usize,
    /// Start of `host[:port]` in `origin`.
    authority_start: usize,
    /// Explicit, non-default port.
    port: Option<u16>,
}

impl Endpoint {
    /// Parses and validates an endpoint URL (see the rules on [`Endpoint`]).
    pub fn parse(input: &str) -> Result<Self, EndpointError> {
        let url = origin::parse(input.trim())?;
        if url.path != "/" && !url.path.is_empty() {
            return Err(EndpointError::HasPath);
        }
        if url.has_query {
            return Err(EndpointError::HasQuery);
        }
        if url.has_fragment {
            return Err(EndpointError::HasFragment);
        }
        Ok(Self {
            scheme_len: url.scheme.len(),
            authority_start: url.scheme.len() + 3,
            port: url.port,
            origin: url.origin(),
        })
    }

    /// The origin, `scheme://host[:port]`, without a trailing slash: append an operation's path to it.
    pub fn as_str(&self) -> &str {
        &self.origin
    }

    /// `"https"` or `"http"`.
    pub fn scheme(&self) -> &str {
        self.origin.get(..self.scheme_len).unwrap_or_default()
    }

    /// The host alone: a lowercase domain name, an IPv4 address, or an IPv6 address in brackets.
    pub fn host(&self) -> &str {
        let authority = self.host_header();
        match self.port {
            Some(port) => authority
                .strip_suffix(&format!(":{port}"))
                .unwrap_or(authority),
            None => authority,
        }
    }

    /// The port, when the URL names one other than the scheme's default.
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// The value of the `Host` header for this endpoint, `host[:port]`: the port appears only when it is not
    /// the scheme's default (a default port is dropped while parsing), as HTTP clients send it. This is also
    /// the host that HMAC signing covers.
    pub fn host_header(&self) -> &str {
        self.origin.get(self.authority_start..).unwrap_or_default()
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.origin)
    }
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Endpoint").field(&self.origin).finish()
    }
}

impl FromStr for Endpoint {
    type Err = EndpointError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// Why an endpoint was rejected. Never contains the input, which may hold a misplaced access key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EndpointError {
    /// Not an absolute URL with a host.
    #[error("the endpoint is not an absolute URL with a host")]
    NotAbsoluteUrl,
    /// The host is neither a domain name (letters, digits, `-`, `.`, `_`) nor an IP address.
    #[error(
        "the endpoint's host is not an ASCII domain name (write a Unicode name in its xn-- form) or an IP address"
    )]
    InvalidHost,
    /// The scheme is neither `https` nor `http`.
    #[error("the endpoint's scheme must be https or http")]
    UnsupportedScheme,
    /// The URL carries a user name or password.
    #[error("the endpoint must not contain a user name or password")]
    HasUserInfo,
    /// The URL has a path other than `/`.
    #[error("the endpoint must not have a path (ACS endpoints are just scheme://host[:port])")]
    HasPath,
    /// The URL has a query (`?...`).
    #[error("the endpoint must not have a query")]
    HasQuery,
    /// The URL has a fragment (`#...`).
    #[error("the endpoint must not have a fragment")]
    HasFragment,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_origins_and_normalises() {
        let e = Endpoint::parse("  HTTPS://Contoso.Communication.Azure.com:443/ ").unwrap();
        assert_eq!(e.as_str(), "https://contoso.communication.azure.com");
        assert_eq!(e.scheme(), "https");
        assert_eq!(e.host(), "contoso.communication.azure.com");
        assert_eq!(e.port(), None);
        assert_eq!(e.to_string(), e.as_str());

        let e: Endpoint = "http://[::1]:8080".parse().unwrap();
        assert_eq!(e.as_str(), "http://[::1]:8080");
        assert_eq!(e.host_header(), "[::1]:8080");
        assert_eq!(e.host(), "[::1]");
        assert_eq!(e.port(), Some(8080));
        assert_eq!(format!("{e:?}"), r#"Endpoint("http://[::1]:8080")"#);

        assert_eq!(
            Endpoint::parse("http://localhost:80")
                .unwrap()
                .host_header(),
            "localhost"
        );
        assert_eq!(
            Endpoint::parse("https://localhost:80")
                .unwrap()
                .host_header(),
            "localhost:80"
        );
    }

    #[test]
    fn rejects_what_is_not_an_origin() {
        let cases = [
            (
                "contoso.communication.azure.com",
                EndpointError::NotAbsoluteUrl,
            ),
            ("", EndpointError::NotAbsoluteUrl),
            ("ftp://contoso", EndpointError::UnsupportedScheme),
            ("mailto:someone@contoso", EndpointError::UnsupportedScheme),
            ("https://user:pw@contoso", EndpointError::HasUserInfo),
            ("https://user@contoso", EndpointError::HasUserInfo),
            ("https://contoso/identities", EndpointError::HasPath),
            ("https://contoso//", EndpointError::HasPath),
            ("https://contoso/?", EndpointError::HasQuery),
            ("https://contoso?api-version=1", EndpointError::HasQuery),
            ("https://contoso/#top", EndpointError::HasFragment),
        ];
        for (input, expected) in cases {
            assert_eq!(Endpoint::parse(input), Err(expected), "{input}");
        }
    }
}
