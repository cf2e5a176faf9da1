//! The address policy: which IP addresses a request may connect to, and which requests may reach
//! non-public ones. Pure: addresses and listing contexts in, verdicts out; no I/O.
//!
//! Every address falls in one of three classes (`classify`):
//! - `Forbidden`: link-local (169.254.0.0/16, fe80::/10) and the cloud metadata endpoints listed
//!   in `METADATA`. Never connected to, whoever listed the URL and whatever the flags say: that is
//!   where a cloud VM's credentials live.
//! - `NonPublic`: every other address that is not globally reachable unicast, in any spelling:
//!   loopback, unspecified, RFC 1918 and unique-local private ranges, shared address space
//!   (CGNAT), documentation and benchmarking ranges, multicast, broadcast and reserved space,
//!   and IPv6 forms that embed an IPv4 address (IPv4-mapped, IPv4-compatible, NAT64, 6to4)
//!   classified as that IPv4 address.
//! - `Public`: the rest.
//!
//! A request carries a `Reach`: `PublicOnly` connects to public addresses only, `PrivateToo` to
//! non-public ones as well. A URL the operator listed (a seed, a manifest's items and page, the
//! links of a local HTML file, a web-archive endpoint) gets `PrivateToo`; a link gets it only when
//! the page listing it answered from a non-public address (`ListedBy`). A redirect hop keeps
//! `PrivateToo` only when the hop before it answered from a non-public address (`Reach::after`),
//! so a public address can never redirect into a private one. `--allow-private` and a host rule's
//! `allow-private` widen every request (or that host's) to `PrivateToo` (`Reach::widened`).
//!
//! The fetcher enforces the verdicts at connect time: each reach has its own client whose DNS
//! resolver drops the addresses the reach may not use (`client::FilteringResolver`), and IP-literal
//! hosts, which never reach a resolver, are checked before anything is sent (`literal`).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use url::{Host, Url};

/// Cloud metadata endpoints, never connected to (beside every link-local address, which covers
/// 169.254.169.254 of AWS, GCP, Azure, OCI and DigitalOcean, and 169.254.170.2 of AWS ECS).
pub const METADATA: &[IpAddr] = &[
    // AWS EC2 instance metadata over IPv6.
    IpAddr::V6(Ipv6Addr::new(0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x0254)),
    // Alibaba Cloud ECS metadata (inside 100.64.0.0/10, which is otherwise only non-public).
    IpAddr::V4(Ipv4Addr::new(100, 100, 100, 200)),
    // Azure WireServer (a public address: listed here so it is refused anyway).
    IpAddr::V4(Ipv4Addr::new(168, 63, 129, 16)),
    // Oracle Cloud's older metadata address.
    IpAddr::V4(Ipv4Addr::new(192, 0, 0, 192)),
];

/// How far a request may reach, from strictest to widest (so `max` widens).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reach {
    /// Public addresses only: a link found on a page served from a public address.
    PublicOnly,
    /// Non-public addresses too (never `Forbidden` ones): what the operator listed.
    PrivateToo,
}

impl Reach {
    /// Whether a request with this reach may connect to an address of `class`.
    pub fn permits(self, class: Class) -> bool {
        match class {
            Class::Public => true,
            Class::NonPublic => self == Reach::PrivateToo,
            Class::Forbidden => false,
        }
    }

    /// The reach of the next redirect hop, after this hop was answered from `remote`: a private
    /// reach survives only a hop answered from a non-public address (unknown counts as public).
    pub fn after(self, remote: Option<IpAddr>) -> Reach {
        match self {
            Reach::PrivateToo if remote.is_some_and(is_non_public) => Reach::PrivateToo,
            _ => Reach::PublicOnly,
        }
    }

    /// Widened to `PrivateToo` when the operator allowed private addresses (`--allow-private`,
    /// or the host rule's `allow-private`).
    pub fn widened(self, allow_private: bool) -> Reach {
        if allow_private {
            Reach::PrivateToo
        } else {
            self
        }
    }
}

/// Who listed a URL, which decides the reach it is fetched with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListedBy {
    /// The operator: a seed URL, a manifest item or page URL, a link of a local HTML file (a seed
    /// or a manifest's capture), a web-archive endpoint.
    Operator,
    /// A page fetched over the network, answered from this address (`None`: unknown, e.g. no
    /// answer in this run).
    Page(Option<IpAddr>),
}

impl ListedBy {
    pub fn reach(self) -> Reach {
        match self {
            ListedBy::Operator => Reach::PrivateToo,
            ListedBy::Page(remote) => Reach::PrivateToo.after(remote),
        }
    }
}

/// What the policy makes of an address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Class {
    Public,
    NonPublic,
    Forbidden,
}

/// An address's class and the name of the range that decided it (for messages).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Range {
    pub class: Class,
    pub name: &'static str,
}

const fn range(class: Class, name: &'static str) -> Range {
    Range { class, name }
}

const PUBLIC: Range = range(Class::Public, "public");

/// The class of `ip` and the range that decided it.
pub fn classify(ip: IpAddr) -> Range {
    if METADATA.contains(&ip) {
        return range(Class::Forbidden, "cloud metadata endpoint");
    }
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

/// Whether `ip` is anything but public.
pub fn is_non_public(ip: IpAddr) -> bool {
    classify(ip).class != Class::Public
}

fn classify_v4(ip: Ipv4Addr) -> Range {
    if METADATA.contains(&IpAddr::V4(ip)) {
        return range(Class::Forbidden, "cloud metadata endpoint");
    }
    let [a, b, c, _] = ip.octets();
    let non_public = |name| range(Class::NonPublic, name);
    match (a, b, c) {
        (169, 254, _) => range(Class::Forbidden, "link-local, 169.254.0.0/16"),
        (0, _, _) => non_public("unspecified, 0.0.0.0/8"),
        (10, _, _) => non_public("private, 10.0.0.0/8"),
        (100, 64..=127, _) => non_public("shared address space, 100.64.0.0/10"),
        (127, _, _) => non_public("loopback, 127.0.0.0/8"),
        (172, 16..=31, _) => non_public("private, 172.16.0.0/12"),
        (192, 0, 0) => non_public("IETF protocol assignments, 192.0.0.0/24"),
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => non_public("documentation"),
        (192, 88, 99) => non_public("6to4 relay anycast, 192.88.99.0/24"),
        (192, 168, _) => non_public("private, 192.168.0.0/16"),
        (198, 18..=19, _) => non_public("benchmarking, 198.18.0.0/15"),
        (224..=239, _, _) => non_public("multicast, 224.0.0.0/4"),
        (240..=255, _, _) => non_public("reserved or broadcast, 240.0.0.0/4"),
        _ => PUBLIC,
    }
}

fn classify_v6(ip: Ipv6Addr) -> Range {
    let seg = ip.segments();
    let non_public = |name| range(Class::NonPublic, name);
    // The IPv4 address in the low 32 bits, or (6to4) in bits 16..48.
    let low_v4 = || {
        let [.., a, b, c, d] = ip.octets();
        Ipv4Addr::new(a, b, c, d)
    };
    // At least `floor`, and as strict as the embedded IPv4 address is.
    let embedded = |v4: Ipv4Addr, floor: Range| {
        let inner = classify_v4(v4);
        if inner.class >= floor.class {
            inner
        } else {
            floor
        }
    };
    if ip.is_unspecified() {
        return non_public("unspecified");
    }
    if ip.is_loopback() {
        return non_public("loopback");
    }
    if let Some(v4) = ip.to_ipv4_mapped() {
        // ::ffff:a.b.c.d is a.b.c.d on the wire.
        return classify_v4(v4);
    }
    match seg {
        [0, 0, 0, 0, 0, 0, _, _] => embedded(low_v4(), non_public("IPv4-compatible, ::/96")),
        [0x64, 0xff9b, 0, 0, 0, 0, _, _] => embedded(low_v4(), PUBLIC),
        [0x64, 0xff9b, 1, ..] => embedded(low_v4(), non_public("local-use NAT64, 64:ff9b:1::/48")),
        [0x2002, hi, lo, ..] => {
            let [a, b] = hi.to_be_bytes();
            let [c, d] = lo.to_be_bytes();
            embedded(Ipv4Addr::new(a, b, c, d), PUBLIC)
        }
        [s, ..] if s & 0xffc0 == 0xfe80 => range(Class::Forbidden, "link-local, fe80::/10"),
        [s, ..] if s & 0xfe00 == 0xfc00 => non_public("unique local, fc00::/7"),
        [s, ..] if s & 0xffc0 == 0xfec0 => non_public("site-local, fec0::/10"),
        [s, ..] if s & 0xff00 == 0xff00 => non_public("multicast, ff00::/8"),
        [0x2001, 0xdb8, ..] => non_public("documentation, 2001:db8::/32"),
        [0x3fff, s, ..] if s & 0xf000 == 0 => non_public("documentation, 3fff::/20"),
        [0x2001, s, ..] if s < 0x200 => non_public("IETF protocol assignments, 2001::/23"),
        [0x5f00, ..] => non_public("segment routing, 5f00::/16"),
        // Global unicast is 2000::/3; everything else is reserved or special.
        [s, ..] if s & 0xe000 == 0x2000 => PUBLIC,
        _ => non_public("reserved IPv6 space"),
    }
}

/// The IP address a URL's host spells, if it is an IP literal (the `url` crate has already
/// turned decimal, hex and octal IPv4 spellings such as `http://2130706433/` into dotted form).
pub fn literal(url: &Url) -> Option<IpAddr> {
    match url.host()? {
        Host::Ipv4(v4) => Some(IpAddr::V4(v4)),
        Host::Ipv6(v6) => Some(IpAddr::V6(v6)),
        Host::Domain(_) => None,
    }
}

/// Why a request was not sent: its host is, or resolves only to, addresses its reach may not
/// connect to.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct Refused {
    /// The host as named in the URL.
    pub host: String,
    /// The addresses refused, each with its range.
    pub addresses: Vec<(IpAddr, &'static str)>,
    pub reach: Reach,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list: Vec<String> = self
            .addresses
            .iter()
            .map(|(ip, name)| format!("{ip} ({name})"))
            .collect();
        let list = list.join(", ");
        let literal = self.addresses.len() == 1
            && literal_ip(&self.host) == self.addresses.first().map(|(ip, _)| *ip);
        if !literal {
            write!(f, "{} resolves to ", self.host)?;
        }
        let forbidden = self
            .addresses
            .iter()
            .all(|(ip, _)| classify(*ip).class == Class::Forbidden);
        if forbidden || self.reach == Reach::PrivateToo {
            write!(
                f,
                "{list}: link-local and cloud metadata addresses are never fetched"
            )
        } else {
            write!(
                f,
                "{list}: a non-public address, not fetched for a link on a page served from a \
                 public address or a redirect from one (allow with --allow-private or the host \
                 rule's allow-private)"
            )
        }
    }
}

/// The address a host spells, if it is an IP literal (IPv6 in brackets, as URLs write it).
fn literal_ip(host: &str) -> Option<IpAddr> {
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()
}

/// The addresses of `addresses` that `reach` may connect to; when there are none, the refusal
/// naming every address and its range.
pub fn filter(
    host: &str,
    addresses: impl IntoIterator<Item = IpAddr>,
    reach: Reach,
) -> Result<Vec<IpAddr>, Refused> {
    let mut kept = Vec::new();
    let mut refused = Vec::new();
    for ip in addresses {
        let range = classify(ip);
        if reach.permits(range.class) {
            kept.push(ip);
        } else if !refused.iter().any(|(r, _)| *r == ip) {
            refused.push((ip, range.name));
        }
    }
    if kept.is_empty() && !refused.is_empty() {
        return Err(Refused {
            host: host.to_owned(),
            addresses: refused,
            reach,
        });
    }
    Ok(kept)
}

/// Checks a URL whose host is an IP literal (which no resolver sees) against `reach`; a URL
/// naming a host is checked when it is resolved, at connect time.
pub fn check_literal(url: &Url, reach: Reach) -> Result<(), Refused> {
    match literal(url) {
        Some(ip) => filter(url.host_str().unwrap_or_default(), [ip], reach).map(|_| ()),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Class::{Forbidden, NonPublic, Public};

    fn class(ip: &str) -> Class {
        classify(ip.parse().unwrap_or_else(|e| panic!("{ip}: {e}"))).class
    }

    #[test]
    fn every_range_is_classified() {
        let table: &[(&str, Class)] = &[
            // Link-local and metadata: never.
            ("169.254.169.254", Forbidden),
            ("169.254.0.1", Forbidden),
            ("169.254.170.2", Forbidden),
            ("100.100.100.200", Forbidden),
            ("168.63.129.16", Forbidden),
            ("192.0.0.192", Forbidden),
            ("fd00:ec2::254", Forbidden),
            ("fe80::1", Forbidden),
            ("febf::1", Forbidden),
            // Non-public IPv4.
            ("0.0.0.0", NonPublic),
            ("0.1.2.3", NonPublic),
            ("10.0.0.1", NonPublic),
            ("10.255.255.255", NonPublic),
            ("100.64.0.1", NonPublic),
            ("100.127.255.255", NonPublic),
            ("127.0.0.1", NonPublic),
            ("127.255.255.254", NonPublic),
            ("172.16.0.1", NonPublic),
            ("172.31.255.255", NonPublic),
            ("192.0.0.8", NonPublic),
            ("192.0.2.1", NonPublic),
            ("192.88.99.1", NonPublic),
            ("192.168.1.1", NonPublic),
            ("198.18.0.1", NonPublic),
            ("198.19.255.255", NonPublic),
            ("198.51.100.7", NonPublic),
            ("203.0.113.10", NonPublic),
            ("224.0.0.1", NonPublic),
            ("239.255.255.250", NonPublic),
            ("240.0.0.1", NonPublic),
            ("255.255.255.255", NonPublic),
            // Public IPv4, including the neighbours of every range above.
            ("1.1.1.1", Public),
            ("9.255.255.255", Public),
            ("11.0.0.1", Public),
            ("100.63.255.255", Public),
            ("100.128.0.1", Public),
            ("126.255.255.255", Public),
            ("128.0.0.1", Public),
            ("169.253.255.255", Public),
            ("169.255.0.1", Public),
            ("172.15.255.255", Public),
            ("172.32.0.1", Public),
            ("192.0.3.1", Public),
            ("192.167.255.255", Public),
            ("192.169.0.1", Public),
            ("198.17.255.255", Public),
            ("198.20.0.1", Public),
            ("203.0.114.1", Public),
            ("223.255.255.255", Public),
            // Non-public IPv6.
            ("::", NonPublic),
            ("::1", NonPublic),
            ("fc00::1", NonPublic),
            ("fd12:3456::1", NonPublic),
            ("fec0::1", NonPublic),
            ("ff02::1", NonPublic),
            ("2001:db8::1", NonPublic),
            ("3fff::1", NonPublic),
            ("2001::1", NonPublic),
            ("100::1", NonPublic),
            ("5f00::1", NonPublic),
            ("4000::1", NonPublic),
            // Public IPv6.
            ("2606:4700::1111", Public),
            ("2a00:1450:4001::1", Public),
            ("2001:200::1", Public),
            // IPv4 embedded in IPv6: classified as the IPv4 address.
            ("::ffff:127.0.0.1", NonPublic),
            ("::ffff:7f00:1", NonPublic),
            ("::ffff:169.254.169.254", Forbidden),
            ("::ffff:10.1.2.3", NonPublic),
            ("::ffff:8.8.8.8", Public),
            ("::127.0.0.1", NonPublic),
            ("::169.254.169.254", Forbidden),
            ("::8.8.8.8", NonPublic),
            ("64:ff9b::a9fe:a9fe", Forbidden),
            ("64:ff9b::7f00:1", NonPublic),
            ("64:ff9b::808:808", Public),
            ("64:ff9b:1::808:808", NonPublic),
            ("2002:a9fe:a9fe::", Forbidden),
            ("2002:7f00:1::", NonPublic),
            ("2002:808:808::", Public),
        ];
        for (ip, want) in table {
            assert_eq!(class(ip), *want, "{ip}");
        }
    }

    #[test]
    fn every_spelling_of_an_ip_literal_is_the_address() -> Result<(), url::ParseError> {
        let table: &[(&str, &str)] = &[
            ("http://127.0.0.1:8080/secret", "127.0.0.1"),
            ("http://2130706433/", "127.0.0.1"),
            ("http://0x7f000001/", "127.0.0.1"),
            ("http://0x7f.1/", "127.0.0.1"),
            ("http://017700000001/", "127.0.0.1"),
            ("http://0177.0.0.01/", "127.0.0.1"),
            ("http://127.1/", "127.0.0.1"),
            ("http://2852039166/latest/meta-data/", "169.254.169.254"),
            ("http://0xa9.0xfe.0xa9.0xfe/", "169.254.169.254"),
            ("http://0/", "0.0.0.0"),
            ("http://[::1]/", "::1"),
            ("http://[::ffff:127.0.0.1]/", "::ffff:127.0.0.1"),
            (
                "http://[0:0:0:0:0:ffff:a9fe:a9fe]/",
                "::ffff:169.254.169.254",
            ),
            ("http://[fd00:ec2::254]/", "fd00:ec2::254"),
        ];
        for (url, ip) in table {
            let parsed = Url::parse(url)?;
            assert_eq!(literal(&parsed), ip.parse().ok(), "{url}");
        }
        assert_eq!(literal(&Url::parse("http://localhost/")?), None);
        assert_eq!(literal(&Url::parse("http://127.0.0.1.nip.io/")?), None);
        Ok(())
    }

    #[test]
    fn literals_are_checked_against_the_reach() -> Result<(), url::ParseError> {
        use Reach::{PrivateToo, PublicOnly};
        let table: &[(&str, Reach, bool)] = &[
            ("http://127.0.0.1:8080/secret", PublicOnly, false),
            ("http://127.0.0.1:8080/secret", PrivateToo, true),
            ("http://2130706433/", PublicOnly, false),
            ("http://[::ffff:127.0.0.1]/", PublicOnly, false),
            ("http://[::ffff:127.0.0.1]/", PrivateToo, true),
            ("http://10.0.0.1/", PublicOnly, false),
            ("http://100.64.0.1/", PublicOnly, false),
            ("http://0.0.0.0/", PublicOnly, false),
            (
                "http://169.254.169.254/latest/meta-data/",
                PrivateToo,
                false,
            ),
            ("http://2852039166/latest/meta-data/", PrivateToo, false),
            ("http://[::ffff:a9fe:a9fe]/", PrivateToo, false),
            ("http://[fd00:ec2::254]/", PrivateToo, false),
            ("http://100.100.100.200/", PrivateToo, false),
            ("http://168.63.129.16/", PrivateToo, false),
            ("http://[fe80::1]/", PrivateToo, false),
            ("http://93.184.215.14/", PublicOnly, true),
            ("https://example.org/", PublicOnly, true),
        ];
        for (url, reach, allowed) in table {
            let got = check_literal(&Url::parse(url)?, *reach);
            assert_eq!(got.is_ok(), *allowed, "{url} with {reach:?}: {got:?}");
        }
        Ok(())
    }

    #[test]
    fn what_a_listing_allows() {
        use Reach::{PrivateToo, PublicOnly};
        let ip = |s: &str| s.parse::<IpAddr>().ok();
        // The operator's own listing reaches private addresses; a page's links only when the
        // page itself answered from a non-public address.
        assert_eq!(ListedBy::Operator.reach(), PrivateToo);
        assert_eq!(ListedBy::Page(ip("127.0.0.1")).reach(), PrivateToo);
        assert_eq!(ListedBy::Page(ip("10.1.2.3")).reach(), PrivateToo);
        assert_eq!(ListedBy::Page(ip("::ffff:192.168.0.1")).reach(), PrivateToo);
        assert_eq!(ListedBy::Page(ip("93.184.215.14")).reach(), PublicOnly);
        assert_eq!(ListedBy::Page(ip("2606:4700::1111")).reach(), PublicOnly);
        assert_eq!(ListedBy::Page(None).reach(), PublicOnly);
        // A redirect keeps a private reach only from a non-public address.
        assert_eq!(PrivateToo.after(ip("127.0.0.1")), PrivateToo);
        assert_eq!(PrivateToo.after(ip("93.184.215.14")), PublicOnly);
        assert_eq!(PrivateToo.after(None), PublicOnly);
        assert_eq!(PublicOnly.after(ip("127.0.0.1")), PublicOnly);
        assert_eq!(PublicOnly.after(ip("93.184.215.14")), PublicOnly);
        // --allow-private (or the host's rule) widens any reach, but never to forbidden space.
        assert_eq!(PublicOnly.widened(true), PrivateToo);
        assert_eq!(PublicOnly.widened(false), PublicOnly);
        assert_eq!(PrivateToo.widened(false), PrivateToo);
        for reach in [PublicOnly, PrivateToo] {
            assert!(reach.permits(Public));
            assert!(!reach.permits(Forbidden));
        }
        assert!(!PublicOnly.permits(NonPublic));
        assert!(PrivateToo.permits(NonPublic));
    }

    #[test]
    fn resolved_addresses_are_filtered_and_a_refusal_names_them() {
        let ips =
            |list: &[&str]| -> Vec<IpAddr> { list.iter().filter_map(|s| s.parse().ok()).collect() };
        // A name resolving to public and private addresses keeps only what the reach allows.
        let mixed = ips(&["127.0.0.1", "93.184.215.14", "169.254.169.254"]);
        assert_eq!(
            filter("mixed.example", mixed.clone(), Reach::PublicOnly),
            Ok(ips(&["93.184.215.14"]))
        );
        assert_eq!(
            filter("mixed.example", mixed, Reach::PrivateToo),
            Ok(ips(&["127.0.0.1", "93.184.215.14"]))
        );
        let refused = filter("rebind.example", ips(&["127.0.0.1"]), Reach::PublicOnly);
        let Err(refused) = refused else {
            panic!("127.0.0.1 accepted for a public-only request");
        };
        let message = refused.to_string();
        assert!(
            message.starts_with("rebind.example resolves to 127.0.0.1 (loopback, 127.0.0.0/8): "),
            "{message}"
        );
        assert!(message.contains("--allow-private"), "{message}");
        let metadata = filter(
            "169.254.169.254",
            ips(&["169.254.169.254"]),
            Reach::PrivateToo,
        );
        let message = metadata.err().map(|e| e.to_string()).unwrap_or_default();
        assert_eq!(
            message,
            "169.254.169.254 (link-local, 169.254.0.0/16): link-local and cloud metadata \
             addresses are never fetched"
        );
        // Nothing resolved is not a refusal: the DNS failure is reported as such.
        assert_eq!(
            filter("nowhere.example", [], Reach::PublicOnly),
            Ok(Vec::new())
        );
    }
}
