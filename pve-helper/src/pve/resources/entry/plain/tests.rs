use super::super::read_any;
use super::*;

/// The plain reading of `text`, checked against serde_json's: whenever it reads an
/// entry, serde_json reads the same one, to the bit, ending at the same byte.
fn both<'a>(text: &'a str, shape: &mut Shape) -> Option<(Entry<'a>, usize)> {
    let plain = read(text, 0, shape);
    if let Some(read) = &plain {
        let any = read_any(text, 0).unwrap_or_else(|e| panic!("{e:?} for {text}"));
        assert_eq!(format!("{read:?}"), format!("{any:?}"), "{text}");
    }
    plain
}

const QEMU: &str = r#"{"id":"qemu/100","type":"qemu","vmid":100,"node":"pve1","name":"web-000","status":"running","uptime":603,"template":0,"maxcpu":2,"cpu":0.001,"maxmem":1073741824,"mem":322122540,"maxdisk":8589934592,"disk":0,"netin":603603,"netout":422703,"diskread":12470491,"diskwrite":6235547,"pool":"prod","tags":"mcp;web","hastate":"started","lock":"backup"},"#;
const LXC: &str = r#"{"cpu":0.0021,"disk":1031090176,"diskread":0,"diskwrite":0,"id":"lxc/201","maxcpu":1,"maxdisk":8589934592,"maxmem":536870912,"mem":42360832,"name":"ct-éé","netin":1234,"netout":5678,"node":"pve2","status":"stopped","template":1,"type":"lxc","uptime":0,"vmid":201,"pool":null,"tags":null}"#;
const STORAGE: &str = r#"{"id":"storage/pve1/local","type":"storage","storage":"local","node":"pve1","status":"available","shared":0,"disk":123,"maxdisk":456,"plugintype":"dir","content":"iso,vztmpl,backup"}"#;

#[test]
fn entries_as_proxmox_writes_them_are_read_plainly() {
    let mut shape = Shape::default();
    for text in [QEMU, LXC, STORAGE, QEMU, QEMU, LXC, STORAGE, LXC] {
        let (e, end) = both(text, &mut shape).unwrap_or_else(|| panic!("{text}"));
        assert_eq!(
            text[end..].chars().next(),
            if text == QEMU { Some(',') } else { None }
        );
        assert!(matches!(e.kind, Cow::Borrowed(_)));
    }
    let (e, _) = both(QEMU, &mut shape).unwrap();
    assert_eq!(
        (e.vmid.map(Num::u64), e.lock.as_deref()),
        (Some(100), Some("backup"))
    );
    let (e, _) = both(LXC, &mut Shape::default()).unwrap();
    assert_eq!(
        (e.name.as_deref(), e.pool, e.template.map(|t| t.0)),
        (Some("ct-éé"), None, Some(1.0))
    );
}

#[test]
fn numbers_are_serde_jsons_to_the_bit() {
    let read_as = |v: &str| {
        let text = format!(r#"{{"type":"qemu","cpu":{v}}}"#);
        both(&text, &mut Shape::default()).map(|(e, _)| e.cpu.map(|n| n.0.to_bits()))
    };
    for plain in [
        "0",
        "-0",
        "7",
        "-7",
        "0.0",
        "-0.0",
        "0.1",
        "0.001078",
        "0.04899223390855868",
        "24838.5",
        "1073741824",
        "999999999999999999",
        "-999999999999999999",
        "12345678.12345678",
        "0.00000000000000001",
        "900719925474099.1",
        "0.038072999999999996",
        "9999999999999999999",
        "0.000000000000000001",
        // Correctly rounded, 61.82279139353189; serde_json gives 61.822791393531894.
        "61.8227913935318852",
    ] {
        assert!(read_as(plain).is_some(), "{plain} is read plainly");
    }
    for other in [
        "1e5",
        "1E5",
        "0.5e-3",
        "12345678901234567890",
        "9007199254740993000.0",
        "0.1234567890123456789",
        "01",
        "-",
        "1.",
        ".5",
        "+1",
        "-a",
        "\"1\"",
        "true",
        "[1]",
    ] {
        assert_eq!(read_as(other), None, "{other} is left to serde_json");
    }
}

#[test]
fn anything_unusual_is_left_to_serde_json() {
    for text in [
        r#"{ "type":"qemu"}"#,
        r#"{"type" :"qemu"}"#,
        r#"{"type":"qemu" }"#,
        r#"{"type":"qemu",
            "vmid":1}"#,
        r#"{"type":"q\"emu"}"#,
        r#"{"t\u0079pe":"qemu"}"#,
        "{\"type\":\"qemu\",\"name\":\"a\u{1f}\"}",
        r#"{"type":"qemu","x":[]}"#,
        r#"{"type":"qemu","x":{}}"#,
        r#"{"type":"qemu","vmid":1,"vmid":2}"#,
        r#"{"type":"qemu","name":null,"name":"a"}"#,
        r#"{"type":null}"#,
        r#"{"type":"qemu","type":"lxc"}"#,
        r#"{"vmid":1}"#,
        r#"{}"#,
        r#"{"type":"qemu",}"#,
        r#"{"type":"qemu","maxcpu":"2"}"#,
        r#"{"type":"qemu","template":false}"#,
        r#"{"type":"qemu","name":5}"#,
        r#"{"type":"qemu","x":nul}"#,
        r#"["type","qemu"]"#,
    ] {
        assert!(both(text, &mut Shape::default()).is_none(), "{text}");
    }
    // Unknown members may repeat, and hold literals.
    let text = r#"{"type":"qemu","x":true,"x":false,"x":null,"x":-1.5,"y":"é"}"#;
    assert!(both(text, &mut Shape::default()).is_some());
}

#[test]
fn an_entry_cut_short_is_left_to_serde_json() {
    let mut shape = Shape::default();
    for cut in 0..QEMU.len() - 1 {
        assert!(both(&QEMU[..cut], &mut shape).is_none(), "{}", &QEMU[..cut]);
    }
}

#[test]
fn names_are_found_wherever_they_are() {
    let mut shape = Shape::default();
    let long = r#"{"a-name-longer-than-a-pattern":1,"type":"lxc","vmid":7,"node":"n"}"#;
    let moved = r#"{"vmid":8,"node":"m","type":"qemu","a-name-longer-than-a-pattern":2}"#;
    // Names that begin like a known one, at its place.
    let alike = r#"{"vmids":9,"node2":"x","type":"qemu","vmid":10}"#;
    for text in [QEMU, long, moved, alike, long, QEMU, alike] {
        let (e, _) = both(text, &mut shape).unwrap_or_else(|| panic!("{text}"));
        let vmid = e.vmid.map(Num::u64);
        let want = match text {
            t if t == long => Some(7),
            t if t == moved => Some(8),
            t if t == alike => Some(10),
            _ => Some(100),
        };
        assert_eq!(vmid, want, "{text}");
    }
}

/// Entries made of every kind of member and value, in random orders: the plain
/// reading agrees with serde_json's on each it reads, and reads the plain ones.
#[test]
fn random_entries_read_alike() {
    let names = [
        "type",
        "vmid",
        "node",
        "status",
        "pool",
        "tags",
        "name",
        "lock",
        "template",
        "cpu",
        "maxcpu",
        "mem",
        "maxmem",
        "uptime",
        "id",
        "netin",
        "a-name-longer-than-a-pattern",
        "ty",
        "typ\\u0065",
    ];
    let values = [
        "\"qemu\"",
        "\"lxc\"",
        "\"\"",
        "\"é😀\"",
        "\"a\\\"b\"",
        "null",
        "true",
        "false",
        "0",
        "-0",
        "101",
        "0.25",
        "-1.5",
        "1e3",
        "18446744073709551616",
        "0.30000000000000004",
        "[1]",
        "{}",
        "\"1\"",
        "01",
    ];
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    let mut shape = Shape::default();
    let (mut plain, mut all) = (0, 0);
    for _ in 0..20_000 {
        let mut text = String::from("{\"type\":\"qemu\"");
        for _ in 0..next(8) {
            text += &format!(
                ",\"{}\":{}",
                names[next(names.len())],
                values[next(values.len())]
            );
        }
        text += "}";
        all += 1;
        plain += usize::from(both(&text, &mut shape).is_some());
    }
    assert!(
        plain > all / 10 && plain < all,
        "{plain} of {all} read plainly"
    );
}

/// The numbers of members not kept are checked as numbers, of any length.
#[test]
fn other_numbers_are_checked_not_read() {
    let read_as = |v: &str| {
        let text = format!(r#"{{"type":"qemu","netin":{v}}}"#);
        both(&text, &mut Shape::default()).is_some()
    };
    for plain in [
        "0",
        "-0",
        "12345678",
        "123456789012345678901234567890",
        "-1.25",
        "0.000000001",
    ] {
        assert!(read_as(plain), "{plain}");
    }
    for other in [
        "01", "-", "1.", ".5", "+1", "1e5", "-a", "1.e5", "00.5", "1.5E-3",
    ] {
        assert!(!read_as(other), "{other}");
    }
    // Wherever a run of digits ends, in eight-byte steps or after them.
    for len in 1..40 {
        let digits = "7".repeat(len);
        for after in [",", "}", ".5}", "x}", " }"] {
            let text = format!(r#"{{"type":"qemu","netin":{digits}{after}"#);
            let plain = read(&text, 0, &mut Shape::default()).map(|(_, end)| end);
            let any = read_any(&text, 0).ok().map(|(_, end)| end);
            let expected = if matches!(after, "," | " }" | "x}") {
                None
            } else {
                any
            };
            assert_eq!(plain, expected, "{text}");
        }
    }
}
