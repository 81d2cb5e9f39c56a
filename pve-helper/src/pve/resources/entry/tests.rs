use super::*;

/// Reads the entry both ways: the plain reading, when it reads it, must agree with
/// serde_json's.
fn scoped(text: &str) -> Result<(Entry<'_>, usize), Stop> {
    let any = read_any(text, 0);
    if let Some(plain) = plain::read(text, 0, &mut Shape::default()) {
        assert_eq!(
            format!("{:?}", Ok::<_, Stop>(plain)),
            format!("{any:?}"),
            "{text}"
        );
    }
    read(text, 0, &mut Shape::default())
}

#[test]
fn every_member_kept_is_read_from_the_entry() {
    let text = r#"{"id":"qemu/101","type":"qemu","vmid":101,"name":"w\u00e9b","node":"pve1",
        "status":"running","tags":"a;b","pool":"lab","template":0,"cpu":0.25,"maxcpu":"2",
        "mem":1073741824,"maxmem":2e9,"uptime":true,"lock":null,"netin":{"odd":[1,[],{}]},
        "hastate":"started"} ,"#;
    let (s, end) = scoped(text).unwrap();
    assert_eq!(&text[end..], " ,");
    assert_eq!(
        (&*s.kind, s.node.as_deref(), s.status.as_deref()),
        ("qemu", Some("pve1"), Some("running"))
    );
    assert_eq!(
        (s.pool.as_deref(), s.tags.as_deref()),
        (Some("lab"), Some("a;b"))
    );
    assert_eq!(s.vmid.map(Num::u64), Some(101));
    assert_eq!(s.name.as_deref(), Some("wéb"));
    assert_eq!(s.lock, None);
    assert_eq!(s.template.map(|t| t.0), Some(0.0));
    let num = |n: Option<Num>| n.unwrap_or_default();
    assert_eq!((num(s.cpu).0, num(s.maxcpu).0), (0.25, 2.0));
    assert_eq!(
        (num(s.mem).u64(), num(s.maxmem).u64(), num(s.uptime).u64()),
        (1 << 30, 2_000_000_000, 1)
    );
}

#[test]
fn numbers_read_as_serde_read_them() {
    let num = |v: &str| {
        let text = format!(r#"{{"type":"qemu","vmid":{v}}}"#);
        scoped(&text).map(|(s, _)| s.vmid.map(|n| n.0))
    };
    assert_eq!(num("101"), Ok(Some(101.0)));
    assert_eq!(num("\" 102 \""), Ok(Some(102.0)));
    assert_eq!(num("\"x\""), Ok(Some(0.0)));
    assert_eq!(num("-1.5e2"), Ok(Some(-150.0)));
    assert_eq!(num("false"), Ok(Some(0.0)));
    assert_eq!(num("null"), Ok(None));
    for bad in [
        "1e999", "01", "1.", ".5", "-", "1e", "+1", "[1]", "{}", "nul", "tru",
    ] {
        assert_eq!(num(bad), Err(Stop::Invalid), "{bad}");
    }
    assert_eq!(num(&"9".repeat(400)), Err(Stop::Invalid), "beyond f64");
}

#[test]
fn what_is_refused() {
    for text in [
        r#"["qemu",101]"#,
        r#"{"vmid":101}"#,
        r#"{"type":null}"#,
        r#"{"type":5}"#,
        r#"{"type":"qemu","node":1}"#,
        r#"{"type":"qemu","name":[]}"#,
        r#"{"type":"qemu","cpu":{}}"#,
        r#"{"type":"qemu","vmid":1,"vmid":2}"#,
        r#"{"type":"qemu","name":"a","n\u0061me":"b"}"#,
        r#"{"type":"qemu","name":"\ud800"}"#,
        r#"{"type":"qemu","name":"\x"}"#,
        "{\"type\":\"qemu\",\"name\":\"a\u{1}\"}",
        r#"{"type":"qemu",}"#,
        r#"{"type":"qemu" "vmid":1}"#,
        r#"{"type":"qemu","x":[1,]}"#,
        r#"{"type":"qemu","x":{"a":1,}}"#,
        r#"{"type":"qemu","x":{"a"}}"#,
        r#"{"type":"qemu","x":[}"#,
        r#"{"type":"qemu","x":TRUE}"#,
    ] {
        assert_eq!(scoped(text).err(), Some(Stop::Invalid), "{text}");
    }
}

#[test]
fn unknown_members_may_repeat_and_nest() {
    let ok = r#"{"type":"lxc","x":1,"x":"2","y":[[{"z":[null,true,false,-0.5e-3,"\""]}]]}"#;
    assert_eq!(scoped(ok).unwrap().1, ok.len());
    let nest = |n: usize| format!(r#"{{"type":"lxc","x":{}{}}}"#, "[".repeat(n), "]".repeat(n));
    // serde_json skips a member at any depth.
    assert!(scoped(&nest(50)).is_ok() && scoped(&nest(200)).is_ok());
}

#[test]
fn an_entry_cut_short_waits_for_more() {
    let whole = r#"{"type":"qemu","vmid":101,"name":"a\"b","x":[1,{"y":null}],"cpu":0.5}"#;
    for cut in 0..whole.len() {
        assert_eq!(
            scoped(&whole[..cut]).err(),
            Some(Stop::Incomplete),
            "{}",
            &whole[..cut]
        );
    }
    assert!(scoped(whole).is_ok());
}

/// A string without escapes is read from the text, not copied.
#[test]
fn plain_strings_are_borrowed() {
    let text = r#"{"type":"qemu","node":"pve1","status":"running","pool":"lab","tags":"a",
        "name":"web","lock":"backup"}"#;
    let (s, _) = scoped(text).unwrap();
    let all = [&s.node, &s.status, &s.pool, &s.tags, &s.name, &s.lock];
    for t in all {
        assert!(matches!(t.as_ref().unwrap().0, Cow::Borrowed(_)), "{t:?}");
    }
    assert!(matches!(s.kind, Cow::Borrowed(_)));
}

#[test]
fn escaped_names_and_values_are_decoded() {
    let text = r#"{"t\u0079pe":"qemu","node":"pve\u0031","tags":"a\u003bb","name":"\u202e"}"#;
    let (s, _) = scoped(text).unwrap();
    assert_eq!(&*s.kind, "qemu");
    assert_eq!(s.node.as_deref(), Some("pve1"));
    assert!(matches!(s.node.as_ref().unwrap().0, Cow::Owned(_)));
    assert_eq!(s.tags.as_deref(), Some("a;b"));
    assert_eq!(s.name.as_deref(), Some("\u{202e}"));
}
