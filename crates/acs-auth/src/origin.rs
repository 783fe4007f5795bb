//! The `scheme://host[:port]` at the start of an http(s) URL, parsed by hand: the `url` crate would bring
//! the whole Unicode (IDNA) stack, 25 crates, for endpoints that are ASCII domain names or IP addresses.
//!
//! Stricter than the URL standard on purpose: no IDNA (a Unicode host is refused, its `xn--` form is
//! accepted), no backslashes, no percent-encoded or numeric-shorthand hosts (`127.1`, `0x7f.0.0.1`). What it
//! accepts it normalises as the standard does: scheme and host lowercased, a default port dropped.

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::EndpointError;

/// An http(s) URL split after its authority.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Origin<'a> {
    /// `http` or `https`, lowercase.
    pub(crate) scheme: &'static str,
    /// A lowercase domain name, an IPv4 address, or `[ipv6]` in its canonical form.
    pub(crate) host: String,
    /// An explicit port other than the scheme's default.
    pub(crate) port: Option<u16>,
    /// The path, before any query or fragment (may be empty).
    pub(crate) path: &'a str,
    /// Whether a `?` follows the path.
    pub(crate) has_query: bool,
    /// Whether a `#` follows the path or query.
    pub(crate) has_fragment: bool,
}

impl Origin<'_> {
    /// `scheme://host[:port]`.
    pub(crate) fn origin(&self) -> String {
        match self.port {
            Some(port) => format!("{}://{}:{port}", self.scheme, self.host),
            None => format!("{}://{}", self.scheme, self.host),
        }
    }
}

/// Splits `input` (already trimmed).
pub(crate) fn parse(input: &str) -> Result<Origin<'_>, EndpointError> {
    let Some((scheme, rest)) = input.split_once(':') else {
        return Err(EndpointError::NotAbsoluteUrl);
    };
    let valid_scheme = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    if !valid_scheme {
        return Err(EndpointError::NotAbsoluteUrl);
    }
    let (scheme, default_port) = if scheme.eq_ignore_ascii_case("https") {
        ("https", 443)
    } else if scheme.eq_ignore_ascii_case("http") {
        ("http", 80)
    } else {
        return Err(EndpointError::UnsupportedScheme);
    };
    let Some(rest) = rest.strip_prefix("//") else {
        return Err(EndpointError::NotAbsoluteUrl);
    };
    let authority_end = rest.find(['/', '?', '#', '\\']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    if tail.starts_with('\\') {
        return Err(EndpointError::NotAbsoluteUrl);
    }
    if authority.contains('@') {
        return Err(EndpointError::HasUserInfo);
    }
    let (host, port) = split_port(authority)?;
    let host = parse_host(host)?;
    let port = port.filter(|&p| p != default_port);
    let path_end = tail.find(['?', '#']).unwrap_or(tail.len());
    let (path, after) = tail.split_at(path_end);
    Ok(Origin {
        scheme,
        host,
        port,
        path,
        has_query: after.starts_with('?'),
        has_fragment: after.contains('#'),
    })
}

/// `host[:port]` into the host text and the port (an empty port, `host:`, is none, as in the standard).
fn split_port(authority: &str) -> Result<(&str, Option<u16>), EndpointError> {
    let (host, port) = if authority.starts_with('[') {
        let close = authority.find(']').ok_or(EndpointError::InvalidHost)?;
        let (host, after) = authority.split_at(close + 1);
        match after {
            "" => (host, None),
            _ => (
                host,
                Some(after.strip_prefix(':').ok_or(EndpointError::InvalidHost)?),
            ),
        }
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    let port = match port {
        None | Some("") => None,
        Some(digits) if digits.bytes().all(|b| b.is_ascii_digit()) => {
            Some(digits.parse().map_err(|_| EndpointError::NotAbsoluteUrl)?)
        }
        Some(_) => return Err(EndpointError::NotAbsoluteUrl),
    };
    Ok((host, port))
}

/// The normalised host, or why it is refused.
fn parse_host(host: &str) -> Result<String, EndpointError> {
    if host.is_empty() {
        return Err(EndpointError::NotAbsoluteUrl);
    }
    if let Some(inner) = host.strip_prefix('[') {
        let address = inner
            .strip_suffix(']')
            .and_then(|a| a.parse::<Ipv6Addr>().ok())
            .ok_or(EndpointError::InvalidHost)?;
        return Ok(format!("[{address}]"));
    }
    if !host
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
    {
        return Err(EndpointError::InvalidHost);
    }
    let host = host.to_ascii_lowercase();
    // A host whose last label is a number is an IPv4 address: only the dotted-quad form is accepted, so that
    // the text means the same to every resolver (`127.1` and `0x7f.1` are shorthands some expand).
    let last = host
        .trim_end_matches('.')
        .rsplit('.')
        .next()
        .unwrap_or_default();
    let numeric = !last.is_empty()
        && (last.bytes().all(|b| b.is_ascii_digit())
            || last
                .strip_prefix("0x")
                .is_some_and(|h| h.bytes().all(|b| b.is_ascii_hexdigit())));
    if numeric {
        let address: Ipv4Addr = host.parse().map_err(|_| EndpointError::InvalidHost)?;
        return Ok(address.to_string());
    }
    Ok(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_and_normalises() {
        let o = parse("HTTPS://Contoso.Example:443/a?b#c").unwrap();
        assert_eq!(o.origin(), "https://contoso.example");
        assert_eq!((o.path, o.has_query, o.has_fragment), ("/a", true, true));
        assert_eq!(
            parse("http://[0:0::1]:8080").unwrap().origin(),
            "http://[::1]:8080"
        );
        assert_eq!(parse("http://h:").unwrap().origin(), "http://h");
    }

    #[test]
    fn refuses_what_resolvers_could_read_differently() {
        for input in [
            "http://127.1",
            "http://0x7f.0.0.1",
            "http://1.2.3.256",
            "http://a.1",
        ] {
            assert_eq!(parse(input), Err(EndpointError::InvalidHost), "{input}");
        }
        for input in [
            "https:contoso",
            "https:\\\\contoso",
            "https://h:99999",
            "https://h:1x",
            "//h",
        ] {
            assert!(parse(input).is_err(), "{input}");
        }
        assert_eq!(parse("https://[::1"), Err(EndpointError::InvalidHost));
        assert_eq!(parse("https://[::1]x"), Err(EndpointError::InvalidHost));
    }
}
