//! DNS resolution that drops forbidden addresses.
//!
//! Filtering happens on the addresses the connection will actually use, after
//! resolution, so a name that resolves (or re-resolves, DNS rebinding) to
//! `127.0.0.1` or `169.254.169.254` cannot reach them. IP-literal URLs never
//! reach a resolver; [`check_literal`] covers them before any I/O.

use std::fmt;
use std::io;
use std::net::{IpAddr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::address::{AddressClass, classify};

/// A reqwest resolver that resolves with tokio and applies the address policy.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PolicyResolver {
    pub(crate) allow_private: bool,
}

impl Resolve for PolicyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        let allow_private = self.allow_private;
        Box::pin(async move {
            let found = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map_err(|source| LookupFailed {
                    host: host.clone(),
                    source,
                })?;
            let kept = filter(&host, found.collect(), allow_private)?;
            Ok(Box::new(kept.into_iter()) as Addrs)
        })
    }
}

/// Keeps the allowed addresses; fails if none is left.
fn filter(
    host: &str,
    found: Vec<SocketAddr>,
    allow_private: bool,
) -> Result<Vec<SocketAddr>, Box<dyn std::error::Error + Send + Sync>> {
    if found.is_empty() {
        return Err(Box::new(LookupFailed {
            host: host.to_owned(),
            source: io::Error::new(io::ErrorKind::NotFound, "no addresses found"),
        }));
    }
    if allow_private {
        return Ok(found);
    }
    let mut refused: Vec<AddressClass> = Vec::new();
    let kept: Vec<SocketAddr> = found
        .into_iter()
        .filter(|addr| match classify(addr.ip()) {
            Some(class) => {
                refused.push(class);
                false
            }
            None => true,
        })
        .collect();
    if kept.is_empty() {
        refused.sort();
        refused.dedup();
        return Err(Box::new(AddressDenied {
            host: host.to_owned(),
            classes: refused,
            literal: false,
        }));
    }
    Ok(kept)
}

/// Refuses an IP-literal host whose address class the policy does not allow.
pub(crate) fn check_literal(ip: IpAddr, allow_private: bool) -> Result<(), AddressDenied> {
    match classify(ip) {
        Some(class) if !allow_private => Err(AddressDenied {
            host: ip.to_string(),
            classes: vec![class],
            literal: true,
        }),
        _ => Ok(()),
    }
}

/// Every address of a host is of a forbidden class.
#[derive(Debug)]
pub(crate) struct AddressDenied {
    host: String,
    classes: Vec<AddressClass>,
    literal: bool,
}

impl fmt::Display for AddressDenied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let classes: Vec<String> = self.classes.iter().map(ToString::to_string).collect();
        let classes = classes.join(", ");
        if self.literal {
            write!(
                f,
                "address {:?} is {classes}, which this deployment does not allow",
                self.host
            )
        } else {
            write!(
                f,
                "host {:?} resolves only to forbidden addresses ({classes})",
                self.host
            )
        }
    }
}

impl std::error::Error for AddressDenied {}

/// DNS resolution failed or returned nothing.
#[derive(Debug, thiserror::Error)]
#[error("dns lookup for host {host:?} failed: {source}")]
pub(crate) struct LookupFailed {
    host: String,
    #[source]
    source: io::Error,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> SocketAddr {
        SocketAddr::new(s.parse().unwrap(), 0)
    }

    #[test]
    fn drops_forbidden_addresses_and_keeps_public_ones() {
        let kept = filter(
            "mixed.test",
            vec![addr("127.0.0.1"), addr("8.8.8.8")],
            false,
        )
        .unwrap();
        assert_eq!(kept, vec![addr("8.8.8.8")]);
    }

    #[test]
    fn denies_when_only_forbidden_addresses_remain() {
        let err = filter(
            "evil.test",
            vec![
                addr("169.254.169.254"),
                addr("::ffff:10.0.0.1"),
                addr("10.0.0.2"),
            ],
            false,
        )
        .unwrap_err();
        assert!(err.is::<AddressDenied>());
        assert_eq!(
            err.to_string(),
            "host \"evil.test\" resolves only to forbidden addresses (private, link-local)"
        );
    }

    #[test]
    fn keeps_private_addresses_when_permitted() {
        let all = vec![addr("127.0.0.1"), addr("::1")];
        assert_eq!(filter("localhost", all.clone(), true).unwrap(), all);
    }

    #[test]
    fn literal_metadata_address_is_denied() {
        let err = check_literal("169.254.169.254".parse().unwrap(), false).unwrap_err();
        assert_eq!(
            err.to_string(),
            "address \"169.254.169.254\" is link-local, which this deployment does not allow"
        );
        assert!(check_literal("169.254.169.254".parse().unwrap(), true).is_ok());
        assert!(check_literal("8.8.8.8".parse().unwrap(), false).is_ok());
    }
}
