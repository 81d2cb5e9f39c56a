use super::*;
use crate::pve::listing::decode;

#[test]
fn parses_pve_shapes_and_drops_invalid() {
    let snap = decode(
        br#"{"data":[
        {"id":"qemu/101","type":"qemu","vmid":101,"name":"web","node":"pve1","status":"running",
         "tags":"mcp;web","pool":"lab","template":0,"cpu":0.25,"maxcpu":2,"mem":1073741824,
         "maxmem":2147483648,"uptime":3600,"hastate":"started","netin":{"odd":[1]}},
        {"id":"lxc/200","type":"lxc","vmid":"200","node":"pve2","status":"stopped","template":1},
        {"id":"node/pve1","type":"node","node":"pve1","status":"online"},
        {"id":"qemu/5","type":"qemu","vmid":5,"node":"pve1"},
        {"id":"qemu/102","type":"qemu","vmid":102,"node":"pve/1"},
        {"id":"qemu/103","type":"qemu","vmid":103,"name":"db\u0020\"1\"","node":"pve1",
         "tags":"mcp;web","pool":""}
    ]}"#,
    )
    .unwrap();
    let vmids: Vec<u32> = snap.iter().map(|g| g.vmid.get()).collect();
    assert_eq!(vmids, [101, 103, 200]);
    let web = snap.get(VmId::new(101).unwrap()).unwrap();
    assert_eq!(web.summary().tags, vec!["mcp", "web"]);
    assert_eq!(web.summary().status, GuestState::Running);
    assert_eq!(web.summary().mem, 1 << 30);
    assert_eq!(web.pool.as_deref(), Some("lab"));
    let db = snap.get(VmId::new(103).unwrap()).unwrap();
    assert_eq!(&*db.name, "db \"1\"");
    assert_eq!(db.pool, None, "an empty pool is no pool");
    // Shared, not copied, between guests.
    assert!(Arc::ptr_eq(&web.tags, &db.tags));
    assert!(Arc::ptr_eq(&web.node, &db.node));
    let ct = snap.get(VmId::new(200).unwrap()).unwrap();
    assert!(ct.summary().template);
    assert_eq!(ct.guest_type, GuestType::Lxc);
    assert!(ct.tags.is_empty());
    assert_eq!(ct.node.as_str(), "pve2");
}

#[test]
fn names_pools_and_tags_carry_hidden_characters_escaped() {
    let snap = decode(
        r#"{"data":[
        {"type":"qemu","vmid":101,"node":"pve1","name":"web\u202Eexe.txt\u0007",
         "pool":"lab\u200B","tags":"mcp;w\u2066eb;\udb40\udc41"},
        {"type":"qemu","vmid":102,"node":"pve1","name":"Grüße","pool":"lab\u200B",
         "tags":"mcp;w\u2066eb;\udb40\udc41"},
        {"type":"qemu","vmid":103,"node":"pve1","name":" lab","pool":" lab","tags":"lab"}
    ]}"#
        .as_bytes(),
    )
    .unwrap();
    let web = snap.get(VmId::new(101).unwrap()).unwrap();
    assert_eq!(&*web.name, "web\\u{202E}exe.txt\\u{0007}");
    assert_eq!(web.pool.as_deref(), Some("lab\\u{200B}"));
    assert_eq!(&web.tags[..], ["mcp", "w\\u{2066}eb", "\\u{E0041}"]);
    let summary = web.summary();
    assert_eq!(summary.tags, ["mcp", "w\\u{2066}eb", "\\u{E0041}"]);
    assert_eq!(web.pool.as_deref(), Some("lab\\u{200B}"));
    let other = snap.get(VmId::new(102).unwrap()).unwrap();
    assert_eq!(&*other.name, "Grüße");
    assert!(Arc::ptr_eq(&web.tags, &other.tags));
    // Nothing trimmed: a pool that is not `lab` does not become `lab`.
    let spaced = snap.get(VmId::new(103).unwrap()).unwrap();
    assert_eq!(
        (&*spaced.name, spaced.pool.as_deref()),
        (" lab", Some(" lab"))
    );
}

#[test]
fn short_names_are_kept_inline_and_long_ones_whole() {
    for name in [
        "",
        "web-01",
        "Grüße",
        &"x".repeat(22),
        &"é".repeat(11),
        &"y".repeat(23),
    ] {
        let n = Name::new(name);
        assert_eq!(n.as_str(), name);
        assert_eq!(matches!(n, Name::Short { .. }), name.len() <= 22, "{name}");
    }
    assert_eq!(std::mem::size_of::<Name>(), 24);
}

#[test]
fn a_guests_lock_is_read_and_an_unknown_one_kept_safe() {
    let snap = decode(
        r#"{"data":[
        {"type":"qemu","vmid":100,"node":"pve1","lock":"backup"},
        {"type":"lxc","vmid":101,"node":"pve1","lock":"snapshot-delete"},
        {"type":"qemu","vmid":102,"node":"pve1"},
        {"type":"qemu","vmid":103,"node":"pve1","lock":""},
        {"type":"qemu","vmid":104,"node":"pve1","lock":"frozen\u202E\n"},
        {"type":"qemu","vmid":105,"node":"pve1","lock":null}
    ]}"#
        .as_bytes(),
    )
    .unwrap();
    let lock = |v: u64| {
        let g = snap.get(VmId::new(v).unwrap()).unwrap();
        g.summary().lock
    };
    assert_eq!(lock(100), Some(GuestLock::Backup));
    assert_eq!(lock(101), Some(GuestLock::SnapshotDelete));
    assert_eq!((lock(102), lock(103), lock(105)), (None, None, None));
    // Unknown: kept, escaped; the guest is listed all the same.
    let odd = lock(104).unwrap();
    assert!(matches!(odd, GuestLock::Other(_)), "{odd:?}");
    assert_eq!(odd.as_str(), "frozen\\u{202E}");
    assert_eq!(snap.len(), 6);
}

#[test]
fn guests_are_kept_by_vmid_and_the_first_of_a_duplicate_wins() {
    let entry = |vmid: u32, name: &str| {
        format!(r#"{{"type":"qemu","vmid":{vmid},"node":"pve1","name":"{name}"}}"#)
    };
    let ids = [1000, 101, 100_000, 99_999, 101, 200];
    let body = format!(
        r#"{{"data":[{}]}}"#,
        ids.iter()
            .enumerate()
            .map(|(i, v)| entry(*v, &format!("n{i}")))
            .collect::<Vec<_>>()
            .join(",")
    );
    let snap = decode(body.as_bytes()).unwrap();
    let got: Vec<(u32, String)> = snap
        .iter()
        .map(|g| (g.vmid.get(), g.name.to_string()))
        .collect();
    assert_eq!(
        got,
        [
            (101, "n1"),
            (200, "n5"),
            (1000, "n0"),
            (99_999, "n3"),
            (100_000, "n2")
        ]
        .map(|(v, n)| (v, n.to_owned()))
    );
}

/// Many guests, some listed more than once, in each order a listing may have: sorted
/// as a stable sort by vmid sorts them, so the first of each keeps its place.
#[test]
fn guests_in_any_order_are_sorted_as_a_stable_sort_would() {
    let mut seed = 0x853c_49e6_748f_ea9b_u64;
    let scrambled: Vec<u32> = (0..5_000)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            100 + (seed % 3_000) as u32
        })
        .collect();
    // Proxmox's order: vmids sorted as text, of every length (duplicates kept).
    let mut as_text = scrambled.clone();
    as_text.extend([999_999_999, 100_000_000, 10_000, 100_000, 1_000_000]);
    as_text.sort_by_key(|v| v.to_string());
    let mut by_number = as_text.clone();
    by_number.sort_unstable();
    // As text but for one guest out of its place.
    let mut almost = as_text.clone();
    almost.swap(10, 20);
    let mut reversed = as_text.clone();
    reversed.reverse();
    for ids in [scrambled, as_text, by_number, almost, reversed] {
        sorted_as_a_stable_sort_would(&ids);
    }
}

fn sorted_as_a_stable_sort_would(ids: &[u32]) {
    let body = format!(
        r#"{{"data":[{}]}}"#,
        ids.iter()
            .enumerate()
            .map(|(i, v)| format!(r#"{{"type":"lxc","vmid":{v},"node":"n","name":"g{i}"}}"#))
            .collect::<Vec<_>>()
            .join(",")
    );
    let mut want: Vec<(u32, String)> = ids
        .iter()
        .enumerate()
        .map(|(i, v)| (*v, format!("g{i}")))
        .collect();
    want.sort_by_key(|(v, _)| *v);
    want.dedup_by_key(|(v, _)| *v);
    let snap = decode(body.as_bytes()).unwrap();
    let got: Vec<(u32, String)> = snap
        .iter()
        .map(|g| (g.vmid.get(), g.name.to_string()))
        .collect();
    assert_eq!(got, want);
    assert_eq!(snap.len(), want.len());
    // Each guest is found by its vmid, the first of a guest listed twice; a vmid not
    // listed is not found.
    for (vmid, name) in &want {
        let g = snap.get(VmId::new((*vmid).into()).unwrap()).unwrap();
        assert_eq!(&*g.name, name.as_str());
    }
    for absent in (100..3_200).filter(|v| !ids.contains(v)) {
        assert!(
            snap.get(VmId::new(absent.into()).unwrap()).is_none(),
            "{absent}"
        );
    }
}

#[test]
fn a_listing_that_is_not_a_list_is_an_error() {
    for body in [&br#"{"data":{}}"#[..], br#"{"data":[1]}"#, b"[]", b"{"] {
        assert!(decode(body).is_err(), "{body:?}");
    }
}
