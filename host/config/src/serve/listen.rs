//! `server.listen`: a socket address, `IP:port`.

use std::net::SocketAddr;

use serde::Deserialize;
use serde::de::{Deserializer, Error};

/// Deserializes an `IP:port` socket address (IPv6 in brackets). Port 0 is allowed: the
/// operating system picks a free port. Host names are refused: the address is bound, not
/// resolved.
pub(crate) fn socket_addr<'de, D: Deserializer<'de>>(de: D) -> Result<SocketAddr, D::Error> {
    let text = String::deserialize(de)?;
    text.parse().map_err(|_| {
        D::Error::custom(format!(
            "{text:?} is not a socket address: give an IP address and a port, \
             e.g. \"127.0.0.1:8080\" or \"[::1]:8080\""
        ))
    })
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Listen {
        #[serde(deserialize_with = "super::socket_addr")]
        listen: std::net::SocketAddr,
    }

    fn parse(text: &str) -> Result<std::net::SocketAddr, String> {
        toml::from_str::<Listen>(&format!("listen = {text:?}"))
            .map(|l| l.listen)
            .map_err(|e| e.message().to_owned())
    }

    #[test]
    fn accepts_ipv4_ipv6_and_port_zero() {
        assert_eq!(parse("127.0.0.1:8080").unwrap().port(), 8080);
        assert_eq!(parse("0.0.0.0:0").unwrap().port(), 0);
        assert!(parse("[::1]:9000").unwrap().is_ipv6());
    }

    #[test]
    fn refuses_host_names_missing_ports_and_junk() {
        for text in [
            "localhost:8080",
            "127.0.0.1",
            ":8080",
            "127.0.0.1:65536",
            "::1:80",
            "",
        ] {
            let reason = parse(text).expect_err(text);
            assert!(
                reason.contains("is not a socket address"),
                "{text}: {reason}"
            );
        }
    }
}
