use super::*;

/// What a decoding produced, comparable: each guest's vmid, name, node and tags, or
/// that it failed.
fn outcome(r: Result<Snapshot, PveError>) -> Result<Vec<String>, ()> {
    r.map(|s| {
        s.guests
            .iter()
            .map(|g| format!("{} {:?} {} {:?}", g.vmid, g.name, g.node, g.tags))
            .collect()
    })
    .map_err(drop)
}

/// Feeds `body` in chunks of `size` bytes.
fn streamed(body: &[u8], size: usize) -> Result<Snapshot, PveError> {
    let mut d = ListingDecoder::default();
    for chunk in body.chunks(size.max(1)) {
        d.feed(chunk);
    }
    d.finish(&mut String::new())
}

/// Every way of cutting `body` into chunks decodes as the whole body does.
fn agrees(body: &str) -> Result<Vec<String>, ()> {
    let whole = outcome(Snapshot::decode(body.as_bytes()));
    for size in [1, 2, 3, 7, 16, 64, body.len()] {
        let got = outcome(streamed(body.as_bytes(), size));
        assert_eq!(got, whole, "chunks of {size}: {body}");
    }
    whole
}

const A: &str = r#"{"type":"qemu","vmid":101,"node":"pve1","name":"a","tags":"x;y"}"#;
const B: &str = r#"{"type":"lxc","vmid":"102","node":"pve2","name":"b \"{[\\","template":1}"#;

#[test]
fn the_usual_shape_is_decoded_entry_by_entry() {
    let body = format!("{{\"data\":[{A},{B}]}}");
    let mut d = ListingDecoder::default();
    d.feed(&body.as_bytes()[..body.len() / 2 + 10]);
    assert_eq!(
        d.guests.len(),
        1,
        "the first entry is decoded before the rest arrives"
    );
    d.feed(&body.as_bytes()[body.len() / 2 + 10..]);
    assert_eq!(d.phase, Phase::Tail { closed: true });
    assert_eq!(agrees(&body).unwrap().len(), 2);
    let spaced = format!(" \n{{ \"data\" :\t[ {A} ,\r\n{B} ] }} \n");
    assert_eq!(agrees(&spaced), agrees(&body));
    assert_eq!(agrees(r#"{"data":[]}"#), Ok(vec![]));
}

#[test]
fn other_shapes_are_decoded_whole_with_the_same_result() {
    let bodies = [
        // Other members, before or after the data.
        format!(r#"{{"total":2,"data":[{A},{B}]}}"#),
        format!(r#"{{"data":[{A},{B}],"total":2}}"#),
        // An entry that is not an object (serde reads a struct from a list too).
        format!(r#"{{"data":[{A},["qemu",103]]}}"#),
        format!(r#"{{"data":[{A},5]}}"#),
        // An escaped key, a byte order mark, a long head.
        format!(r#"{{"d\u0061ta":[{A}]}}"#),
        format!("\u{feff}{{\"data\":[{A}]}}"),
        format!("{{{}\"data\":[{A}]}}", " ".repeat(80)),
        // Strings and nesting the scanner must follow.
        r#"{"data":[{"type":"qemu","vmid":104,"node":"n","name":"}]},{\"x\\\\"}]}"#.into(),
        r#"{"data":[{"type":"qemu","vmid":105,"node":"n","odd":{"a":[1,{"b":"]"}]}}]}"#.into(),
    ];
    let decoded: Vec<bool> = bodies.iter().map(|b| agrees(b).is_ok()).collect();
    assert_eq!(
        decoded,
        [true, true, false, false, true, false, true, true, true],
        "which of them decode at all"
    );
}

#[test]
fn broken_answers_fail_both_ways() {
    let bodies = [
        String::new(),
        "{".into(),
        format!(r#"{{"data":[{A}"#),
        format!(r#"{{"data":[{A},]}}"#),
        format!(r#"{{"data":[{A}]}} x"#),
        format!(r#"{{"data":[{A}]}}}}"#),
        format!(r#"{{"data":[{A},{A}]}},{{"data":[]}}"#),
        format!(r#"{{"data":[{A}],"data":[{B}]}}"#),
        r#"{"data":[{"type":"qemu","vmid":1e999,"node":"n"}]}"#.into(),
        r#"{"data":[{"type":"qemu","vmid":101,"node":"n","name":"\ud800"}]}"#.into(),
        r#"{"data":[{"type":"qemu","vmid":101,"node":"n"]}"#.into(),
        r#"{"data":[{"type":"qemu","vmid":101,"node":"n"}}]}"#.into(),
    ];
    for body in &bodies {
        assert!(agrees(body).is_err(), "{body}");
    }
    let mut not_utf8 = format!(r#"{{"data":[{A}]}}"#).into_bytes();
    not_utf8[40] = 0xff;
    for size in [1, 2, 5, 100] {
        assert!(streamed(&not_utf8, size).is_err());
    }
}

#[test]
fn characters_cut_between_chunks_are_kept_whole() {
    let body = r#"{"data":[{"type":"qemu","vmid":101,"node":"n","name":"é€𝄞ü"}]}"#;
    let names = agrees(body).unwrap();
    assert!(names[0].contains("é€𝄞ü"), "{names:?}");
    // A character cut at the very end is not UTF-8, as whole.
    let mut cut = body.as_bytes().to_vec();
    cut.extend_from_slice(&"𝄞".as_bytes()[..2]);
    for size in [1, 3, 100] {
        assert!(streamed(&cut, size).is_err());
    }
    assert!(Snapshot::decode(&cut).is_err());
}

#[test]
fn a_name_cannot_forge_an_entry() {
    // A guest name holding what would close its entry and open another: the scanner
    // follows the string, so the name stays a name and no guest 666 appears.
    let forged = r#"{"type":"qemu","vmid":101,"node":"pve1","name":"x\"},{\"type\":\"qemu\",\"vmid\":666,\"node\":\"pve1\"},{\"a\":\""}"#;
    let body = format!(r#"{{"data":[{forged}]}}"#);
    let guests = agrees(&body).unwrap();
    assert_eq!(guests.len(), 1, "{guests:?}");
    assert!(guests[0].starts_with("101 "), "{guests:?}");
}

#[test]
fn a_reused_buffer_starts_empty() {
    let mut spare = String::from("{\"data\":[");
    let good = format!("{{\"data\":[{A}]}}");
    for body in ["{\"data\":[{\"vmid\":", good.as_str(), good.as_str()] {
        let mut d = ListingDecoder::with_buffer(std::mem::take(&mut spare));
        d.feed(body.as_bytes());
        let r = outcome(d.finish(&mut spare));
        assert_eq!(r, outcome(Snapshot::decode(body.as_bytes())), "{body}");
        assert!(spare.is_empty() && spare.capacity() >= body.len());
    }
}
