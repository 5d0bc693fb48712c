//! Classification of IP addresses a connector must not reach by default.
//!
//! Connectors are untrusted: without an explicit `allow_private_addresses`
//! they may only talk to public unicast addresses. Everything that points back
//! into the host, its network or a cloud metadata service is refused.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why an address is not public unicast.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AddressClass {
    /// `127.0.0.0/8`, `::1`.
    Loopback,
    /// RFC 1918 `10/8`, `172.16/12`, `192.168/16`; IPv6 unique-local `fc00::/7`
    /// and deprecated site-local `fec0::/10`.
    Private,
    /// `169.254.0.0/16` (including the `169.254.169.254` metadata service) and `fe80::/10`.
    LinkLocal,
    /// `0.0.0.0/8` ("this network", reaches the local host on Linux) and `::`.
    Unspecified,
    /// Carrier-grade NAT shared space `100.64.0.0/10`.
    SharedCgnat,
    /// `255.255.255.255`.
    Broadcast,
    /// `224.0.0.0/4`, `ff00::/8`.
    Multicast,
    /// Reserved or special-purpose: `240.0.0.0/4`, `192.0.0.0/24`, `198.18.0.0/15`.
    Reserved,
}

impl fmt::Display for AddressClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Loopback => "loopback",
            Self::Private => "private",
            Self::LinkLocal => "link-local",
            Self::Unspecified => "unspecified",
            Self::SharedCgnat => "shared cgnat",
            Self::Broadcast => "broadcast",
            Self::Multicast => "multicast",
            Self::Reserved => "reserved",
        })
    }
}

/// Returns the class of a non-public address, or `None` for public unicast.
///
/// IPv6 forms that embed an IPv4 address (IPv4-mapped `::ffff:a.b.c.d`,
/// IPv4-compatible `::a.b.c.d`, NAT64 `64:ff9b::a.b.c.d`) are judged by the
/// embedded IPv4 address, so `::ffff:127.0.0.1` is loopback.
pub fn classify(ip: IpAddr) -> Option<AddressClass> {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn classify_v4(ip: Ipv4Addr) -> Option<AddressClass> {
    let [a, b, c, _] = ip.octets();
    if a == 0 {
        Some(AddressClass::Unspecified)
    } else if ip.is_loopback() {
        Some(AddressClass::Loopback)
    } else if ip.is_private() {
        Some(AddressClass::Private)
    } else if ip.is_link_local() {
        Some(AddressClass::LinkLocal)
    } else if a == 100 && (b & 0xc0) == 64 {
        Some(AddressClass::SharedCgnat)
    } else if ip.is_broadcast() {
        Some(AddressClass::Broadcast)
    } else if ip.is_multicast() {
        Some(AddressClass::Multicast)
    } else if a >= 240 || (a == 192 && b == 0 && c == 0) || (a == 198 && (b & 0xfe) == 18) {
        Some(AddressClass::Reserved)
    } else {
        None
    }
}

fn classify_v6(ip: Ipv6Addr) -> Option<AddressClass> {
    if ip.is_unspecified() {
        return Some(AddressClass::Unspecified);
    }
    if ip.is_loopback() {
        return Some(AddressClass::Loopback);
    }
    if let Some(v4) = embedded_v4(ip) {
        return classify_v4(v4);
    }
    let first = ip.segments()[0];
    if ip.is_multicast() {
        Some(AddressClass::Multicast)
    } else if (first & 0xffc0) == 0xfe80 {
        Some(AddressClass::LinkLocal)
    } else if (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfec0 {
        Some(AddressClass::Private)
    } else {
        None
    }
}

/// The IPv4 address carried by an IPv4-mapped, IPv4-compatible or NAT64 IPv6 address.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return Some(v4);
    }
    let s = ip.segments();
    let low = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    let compatible = s[..6].iter().all(|&x| x == 0);
    let nat64 = s[0] == 0x64 && s[1] == 0xff9b && s[2..6].iter().all(|&x| x == 0);
    (compatible || nat64).then_some(low)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(s: &str) -> Option<AddressClass> {
        classify(s.parse().unwrap())
    }

    #[test]
    fn classifies_forbidden_ipv4_ranges() {
        use AddressClass::*;
        let cases = [
            ("127.0.0.1", Loopback),
            ("127.255.0.9", Loopback),
            ("10.1.2.3", Private),
            ("172.16.0.1", Private),
            ("172.31.255.255", Private),
            ("192.168.1.1", Private),
            ("169.254.169.254", LinkLocal),
            ("169.254.0.1", LinkLocal),
            ("0.0.0.0", Unspecified),
            ("0.1.2.3", Unspecified),
            ("100.64.0.1", SharedCgnat),
            ("100.127.255.255", SharedCgnat),
            ("255.255.255.255", Broadcast),
            ("224.0.0.1", Multicast),
            ("239.255.255.250", Multicast),
            ("240.0.0.1", Reserved),
            ("198.18.0.1", Reserved),
            ("192.0.0.8", Reserved),
        ];
        for (ip, want) in cases {
            assert_eq!(class(ip), Some(want), "{ip}");
        }
    }

    #[test]
    fn classifies_forbidden_ipv6_ranges() {
        use AddressClass::*;
        let cases = [
            ("::1", Loopback),
            ("::", Unspecified),
            ("fe80::1", LinkLocal),
            ("febf::1", LinkLocal),
            ("fc00::1", Private),
            ("fd00:ec2::254", Private),
            ("fec0::1", Private),
            ("ff02::1", Multicast),
            ("::ffff:127.0.0.1", Loopback),
            ("::ffff:169.254.169.254", LinkLocal),
            ("::ffff:10.0.0.1", Private),
            ("::ffff:0.0.0.0", Unspecified),
            ("::127.0.0.1", Loopback),
            ("64:ff9b::a9fe:a9fe", LinkLocal),
        ];
        for (ip, want) in cases {
            assert_eq!(class(ip), Some(want), "{ip}");
        }
    }

    #[test]
    fn public_addresses_are_allowed() {
        for ip in [
            "8.8.8.8",
            "104.16.0.1",
            "100.128.0.1",
            "172.32.0.1",
            "169.255.0.1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
        ] {
            assert_eq!(class(ip), None, "{ip}");
        }
    }
}
