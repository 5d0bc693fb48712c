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
/// IPv4-compatible `::a.b.c.d`, NAT64 `64:ff9b::a.b.c.d` and `64:ff9b:1::/48`,
/// 6to4 `2002:aabb:ccdd::`, Teredo `2001:0:…`) are judged by the embedded IPv4
/// address, so `::ffff:127.0.0.1` and `2002:7f00:1::` are loopback.
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

/// The IPv4 address carried by an IPv4-mapped, IPv4-compatible, NAT64 (well-known
/// `64:ff9b::/96` and local-use `64:ff9b:1::/48`), 6to4 (`2002::/16`) or Teredo
/// (`2001::/32`) IPv6 address. For Teredo, the client's address (stored inverted) is
/// the one judged, unless the server's is the one that is not public.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return Some(v4);
    }
    let s = ip.segments();
    let v4 = |hi: u16, lo: u16| Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8);
    let low = v4(s[6], s[7]);
    let compatible = s[..6].iter().all(|&x| x == 0);
    let nat64 = s[0] == 0x64 && s[1] == 0xff9b && s[2..6].iter().all(|&x| x == 0);
    let nat64_local = s[0] == 0x64 && s[1] == 0xff9b && s[2] == 1;
    if compatible || nat64 || nat64_local {
        return Some(low);
    }
    match s[0] {
        0x2002 => Some(v4(s[1], s[2])),
        0x2001 if s[1] == 0 => {
            let server = v4(s[2], s[3]);
            let client = v4(!s[6], !s[7]);
            Some(if classify_v4(server).is_some() {
                server
            } else {
                client
            })
        }
        _ => None,
    }
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
            ("64:ff9b:1::a00:1", Private),
            // 6to4 embedding 127.0.0.1, 169.254.169.254 and 10.0.0.1.
            ("2002:7f00:1::", Loopback),
            ("2002:a9fe:a9fe::1", LinkLocal),
            ("2002:a00:1:1::1", Private),
            // Teredo: server 65.54.227.120, client 127.0.0.1 stored inverted.
            ("2001:0:4136:e378:8000:63bf:80ff:fffe", Loopback),
            // Teredo with a private server address.
            ("2001:0:a00:1::1", Private),
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
            "2002:808:808::1",
            // Teredo: server 65.54.227.120, client 8.8.8.8 stored inverted.
            "2001:0:4136:e378:8000:63bf:f7f7:f7f7",
        ] {
            assert_eq!(class(ip), None, "{ip}");
        }
    }
}
