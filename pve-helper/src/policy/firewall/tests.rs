use super::*;

fn bounds() -> FirewallBounds {
    let s = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    FirewallBounds {
        directions: s(&["in"]),
        actions: s(&["ACCEPT"]),
        groups: s(&["webgroup"]),
        protocols: s(&["tcp", "icmp"]),
        dports: PortSet::parse(["22", "80", "443", "8000:8999"]).unwrap(),
        sports: PortSet::parse(["1024:65535"]).unwrap(),
        sources: AddrSet::parse(["10.0.0.0/8", "fd00::/8", "+trusted", "mgmt"]).unwrap(),
        dests: AddrSet::parse(["192.168.1.0/24"]).unwrap(),
        macros: s(&["SSH"]),
        ifaces: s(&["net0"]),
        summary: Vec::new(),
    }
}

fn rule(fields: &[(&str, &str)]) -> RuleFields {
    fields
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn base(extra: &[(&str, &str)]) -> RuleFields {
    let mut r = rule(&[
        ("type", "in"),
        ("action", "ACCEPT"),
        ("proto", "tcp"),
        ("dport", "443"),
        ("source", "10.1.2.0/24"),
        ("dest", "192.168.1.5"),
    ]);
    for (k, v) in extra {
        if v.is_empty() {
            r.remove(*k);
        } else {
            r.insert((*k).to_owned(), (*v).to_owned());
        }
    }
    r
}

#[test]
fn a_rule_within_every_bound_passes() {
    let b = bounds();
    assert_eq!(b.judge(&base(&[])), Ok(()));
    assert_eq!(b.judge(&base(&[("dport", "22,80,8000:8100")])), Ok(()));
    assert_eq!(b.judge(&base(&[("source", "+trusted")])), Ok(()));
    assert_eq!(b.judge(&base(&[("source", "mgmt")])), Ok(()));
    assert_eq!(b.judge(&base(&[("source", "fd00::1-fd00::9")])), Ok(()));
    assert_eq!(
        b.judge(&base(&[("source", "10.0.0.1-10.0.0.9,10.9.9.9")])),
        Ok(())
    );
    assert_eq!(
        b.judge(&base(&[
            ("iface", "net0"),
            ("log", "info"),
            ("enable", "0")
        ])),
        Ok(())
    );
    assert_eq!(b.judge(&base(&[("sport", "2000:3000")])), Ok(()));
    assert_eq!(
        b.judge(&base(&[("proto", ""), ("dport", ""), ("macro", "ssh")])),
        Ok(())
    );
    assert_eq!(b.judge(&base(&[("proto", "icmp"), ("dport", "")])), Ok(()));
    assert_eq!(
        b.judge(&rule(&[
            ("type", "group"),
            ("action", "webgroup"),
            ("iface", "net0")
        ])),
        Ok(())
    );
    // What Proxmox reports of a rule it holds is not judged.
    assert_eq!(
        b.judge(&base(&[("pos", "3"), ("digest", "ab"), ("ipversion", "4")])),
        Ok(())
    );
}

#[test]
fn each_field_outside_its_bound_is_refused_by_name() {
    let b = bounds();
    for (field, value) in [
        ("type", "out"),
        ("type", "forward"),
        ("type", "IN"),
        ("action", "DROP"),
        ("action", "accept"),
        ("proto", "udp"),
        ("proto", "TCP"),
        ("proto", "6"),
        ("dport", "21"),
        ("dport", "1:65535"),
        ("dport", "22,23"),
        ("dport", "7999:8001"),
        ("dport", "ssh"),
        ("dport", " 22"),
        ("dport", "22:"),
        ("dport", "443:80"),
        ("dport", "65536"),
        ("sport", "80"),
        ("source", "0.0.0.0/0"),
        ("source", "0/0"),
        ("source", "::/0"),
        ("source", "10.0.0.0/7"),
        ("source", "11.0.0.1"),
        ("source", "10.0.0.1-11.0.0.1"),
        ("source", "10.0.0.1,11.0.0.1"),
        ("source", "+other"),
        ("source", "+TRUSTED"),
        ("source", "dc/mgmt"),
        ("source", "MGMT"),
        ("source", "mgmt,10.0.0.1"),
        ("source", "10.0.0.0/8 "),
        ("source", "010.0.0.1"),
        ("source", "::ffff:10.0.0.1"),
        ("dest", "192.168.2.1"),
        ("macro", "HTTP"),
        ("iface", "net1"),
        ("log", "loud"),
        ("enable", "2"),
        ("icmp-type", "echo-request"),
        ("ipset", "x"),
    ] {
        let r = base(&[(field, value)]);
        let why = b.judge(&r).expect_err(&format!("{field}={value} passed"));
        assert!(!why.is_empty());
    }
}

#[test]
fn missing_fields_mean_everything_and_are_bounded() {
    let b = bounds();
    // No source: every address, beyond 10.0.0.0/8.
    assert!(b.judge(&base(&[("source", "")])).is_err());
    // No dport on tcp: every port.
    assert!(b.judge(&base(&[("dport", "")])).is_err());
    // No proto, no macro: every protocol.
    assert!(b.judge(&base(&[("proto", "")])).is_err());
    assert!(b.judge(&base(&[("type", "")])).is_err());
    assert!(b.judge(&base(&[("action", "")])).is_err());
    // An empty section bounds everything away.
    assert!(FirewallBounds::default().judge(&base(&[])).is_err());
    // A security group not named, or one with addresses.
    assert!(
        b.judge(&rule(&[("type", "group"), ("action", "other")]))
            .is_err()
    );
    assert!(
        b.judge(&rule(&[
            ("type", "group"),
            ("action", "webgroup"),
            ("source", "10.0.0.1")
        ]))
        .is_err()
    );
}

#[test]
fn the_whole_space_is_allowed_only_when_named() {
    let mut b = bounds();
    b.sources = AddrSet::parse(["0.0.0.0/0", "::/0"]).unwrap();
    b.dports = PortSet::parse(["0:100", "101:65535"]).unwrap();
    b.protocols.push("any".into());
    assert_eq!(
        b.judge(&base(&[("source", ""), ("dport", ""), ("proto", "")])),
        Ok(())
    );
    b.sources = AddrSet::parse(["0.0.0.0/0"]).unwrap();
    assert!(b.judge(&base(&[("source", "")])).is_err());
}

#[test]
fn bound_entries_are_read_strictly() {
    assert!(PortSet::parse(["ssh"]).is_err());
    assert!(PortSet::parse(["80-90"]).is_err());
    assert!(PortSet::parse(["90:80"]).is_err());
    assert!(AddrSet::parse(["10.0.0.0/33"]).is_err());
    assert!(AddrSet::parse(["0/0"]).is_err());
    assert!(AddrSet::parse(["10.0.0.0/8,11.0.0.0/8"]).is_err());
    assert!(AddrSet::parse(["+trusted", "dc/mgmt", "fd00::/8"]).is_ok());
}
