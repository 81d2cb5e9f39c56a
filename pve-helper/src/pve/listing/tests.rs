use super::*;

/// What a decoding produced, comparable: each guest's vmid, name, node, tags and lock,
/// or that it failed.
fn outcome(r: Result<Snapshot, PveError>) -> Result<Vec<String>, ()> {
    r.map(|s| s.iter().map(|g| format!("{:?}", g.summary())).collect())
        .map_err(drop)
}

/// Feeds `body` in chunks of `size` bytes.
fn streamed(body: &[u8], size: usize) -> Result<Snapshot, PveError> {
    let mut d = ListingDecoder::default();
    for chunk in body.chunks(size.max(1)) {
        d.feed(chunk);
    }
    d.finish()
}

/// Feeds `body` in chunks of `size` bytes, letting go of the text read at once.
fn streamed_letting_go(body: &[u8], size: usize) -> Result<Snapshot, PveError> {
    let mut d = ListingDecoder::letting_go_at(1);
    for chunk in body.chunks(size.max(1)) {
        d.feed(chunk);
    }
    d.finish()
}

/// Every way of cutting `body` into chunks (letting go of the text read or not), or
/// into parts read side by side (from the start, or after its first half was read),
/// decodes as the whole body does.
fn agrees(body: &str) -> Result<Vec<String>, ()> {
    let whole = outcome(decode(body.as_bytes()));
    for size in [1, 2, 3, 7, 16, 64, body.len()] {
        let got = outcome(streamed(body.as_bytes(), size));
        assert_eq!(got, whole, "chunks of {size}: {body}");
        let got = outcome(streamed_letting_go(body.as_bytes(), size));
        assert_eq!(got, whole, "chunks of {size}, letting go: {body}");
    }
    for pieces in [2, 3, 4, 9] {
        for read_first in [0, body.len() / 2] {
            let (first, second) = body.as_bytes().split_at(read_first);
            let mut d = ListingDecoder::letting_go_at(1);
            d.feed(first);
            d.append(second);
            let got = outcome(d.finish_in(pieces, 1).0);
            assert_eq!(got, whole, "in {pieces} parts after {read_first}: {body}");
        }
    }
    whole
}

/// How many parts beside the first were read side by side and kept.
fn parts_kept(body: &str, pieces: usize) -> usize {
    let mut p = Progress::default();
    p.rest(&mut body.to_owned(), pieces, 1, &Beside::default())
}

const A: &str =
    r#"{"type":"qemu","vmid":101,"node":"pve1","name":"a","tags":"x;y","lock":"backup"}"#;
const B: &str = r#"{"type":"lxc","vmid":"102","node":"pve2","name":"b \"{[\\","template":1}"#;

#[test]
fn the_usual_shape_is_decoded_entry_by_entry() {
    let body = format!("{{\"data\":[{A},{B}]}}");
    let mut d = ListingDecoder::default();
    d.feed(&body.as_bytes()[..body.len() / 2 + 10]);
    assert_eq!(
        d.read.guests.len(),
        1,
        "the first entry is decoded before the rest arrives"
    );
    d.feed(&body.as_bytes()[body.len() / 2 + 10..]);
    assert_eq!(d.read.phase, Phase::Tail { closed: true });
    let guests = agrees(&body).unwrap();
    assert_eq!(guests.len(), 2);
    assert!(guests[0].contains("lock: Some(Backup)"), "{guests:?}");
    let spaced = format!(" \n{{ \"data\" :\t[ {A} ,\r\n{B} ] }} \n");
    assert_eq!(agrees(&spaced), agrees(&body));
    assert_eq!(agrees(r#"{"data":[]}"#), Ok(vec![]));
}

/// Read as it arrives, a listing holds about what is waiting to be read; guests keep
/// their place in the whole answer (of a guest listed twice, the first is kept), and
/// what follows the data is read from what is left.
#[test]
fn text_read_is_let_go_of() {
    let entry = |vmid: u32, name: &str| {
        format!(r#"{{"type":"qemu","vmid":{vmid},"node":"pve1","name":"{name}"}}"#)
    };
    let mut entries: Vec<String> = (200..400).map(|v| entry(v, "x")).collect();
    entries.insert(0, entry(101, "first"));
    entries.push(entry(101, "second"));
    let tails = ["]}", r#"],"total":202} "#, r#"],"data":[]}"#, "],}", "]} x"];
    for (i, tail) in tails.into_iter().enumerate() {
        let body = format!("{{\"data\":[{}{tail}", entries.join(","));
        let mut d = ListingDecoder::letting_go_at(1024);
        let mut held = 0;
        for chunk in body.as_bytes().chunks(100) {
            d.feed(chunk);
            held = held.max(d.text.len());
        }
        assert!(d.read.base > 0 && held < 2 * 1024 + 100, "held {held}");
        assert_eq!(d.read_so_far() + d.text.len() - d.read.pos, body.len());
        let got = outcome(d.finish());
        assert_eq!(got, outcome(decode(body.as_bytes())), "{tail}");
        assert_eq!(
            got.is_ok(),
            i < 2,
            "only the first two are listings: {tail}"
        );
        if let Ok(guests) = got {
            assert!(guests[0].contains("\"first\""), "{tail}: {}", guests[0]);
            assert_eq!(guests.len(), 201, "{tail}");
        }
    }
}

#[test]
fn other_shapes_are_decoded_whole_with_the_same_result() {
    let bodies = [
        // Other members, before or after the data.
        format!(r#"{{"total":2,"data":[{A},{B}]}}"#),
        format!(r#"{{"data":[{A},{B}],"total":2}}"#),
        // An entry that is not an object.
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
    assert!(decode(&cut).is_err());
}

#[test]
fn a_name_cannot_forge_an_entry() {
    // A guest name holding what would close its entry and open another: the scanner
    // follows the string, so the name stays a name and no guest 666 appears.
    let forged = r#"{"type":"qemu","vmid":101,"node":"pve1","name":"x\"},{\"type\":\"qemu\",\"vmid\":666,\"node\":\"pve1\"},{\"a\":\""}"#;
    let body = format!(r#"{{"data":[{forged}]}}"#);
    let guests = agrees(&body).unwrap();
    assert_eq!(guests.len(), 1, "{guests:?}");
    assert!(
        guests[0].starts_with("GuestSummary { vmid: VmId(101)"),
        "{guests:?}"
    );
}

/// A listing of plain qemu guests, one for each of `vmids`.
fn qemu_listing(vmids: std::ops::Range<u32>) -> String {
    let entry = |v: u32| format!(r#"{{"type":"qemu","vmid":{v},"node":"pve1","name":"n{v}"}}"#);
    let entries: Vec<String> = vmids.map(entry).collect();
    format!("{{\"data\":[{}]}}", entries.join(","))
}

#[test]
fn parts_read_side_by_side_are_kept_only_where_an_entry_begins() {
    let body = qemu_listing(100..140);
    assert_eq!(agrees(&body).unwrap().len(), 40);
    assert_eq!(parts_kept(&body, 4), 3, "every split lands between entries");
    // What a split looks for, inside an entry: the part begun there reads an entry of
    // its own (guest 666), but the exact reading before it does not end there, so the
    // part is read again in order.
    let long = format!(
        r#"{{"type":"qemu","vmid":101,"node":"pve1","name":"{}","odd":[{{}},{{"type":"qemu","vmid":666,"node":"pve1"}}]}}"#,
        "x".repeat(300)
    );
    let body = format!(
        r#"{{"data":[{long},{{"type":"qemu","vmid":102,"node":"pve1","name":"}},{{\"type\":\"qemu\""}}]}}"#
    );
    let guests = agrees(&body).unwrap();
    assert_eq!(guests.len(), 2);
    assert!(!guests.iter().any(|g| g.contains("666")), "{guests:?}");
    assert_eq!(parts_kept(&body, 2), 0, "the split began inside an entry");
}

#[test]
fn parts_read_on_kept_threads_are_the_same() {
    let body = qemu_listing(100..500);
    let whole = outcome(decode(body.as_bytes()));
    let beside = Beside::start(3);
    // The same threads read the parts each time.
    for pieces in [4, 4, 2, 9] {
        let mut text = body.clone();
        let mut p = Progress::default();
        let kept = p.rest(&mut text, pieces, 1, &beside);
        assert_eq!(kept, pieces - 1, "every split lands between entries");
        assert_eq!(text, body, "the text is taken back whole");
        assert_eq!(p.pos, body.len());
        assert_eq!(outcome(Ok(Snapshot::new(p.guests))), whole);
    }
}

#[test]
fn a_part_no_thread_has_begun_is_read_by_the_reader() {
    let body = qemu_listing(100..500);
    let whole = outcome(decode(body.as_bytes()));
    let beside = Beside::start(1);
    // The kept thread is busy until told otherwise: the part sent to it waits.
    let (release, busy) = mpsc::channel::<()>();
    assert!(beside.run(
        0,
        Box::new(move || {
            let _ = busy.recv();
        })
    ));
    let (tx, rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut text = body.clone();
        let mut p = Progress::default();
        let kept = p.rest(&mut text, 2, 1, &beside);
        let _ = tx.send((kept, text == body, p.pos == body.len(), p.guests));
        beside
    });
    let (kept, text_back, at_end, guests) = rx
        .recv_timeout(std::time::Duration::from_secs(20))
        .expect("the reader waited for a thread that had not begun");
    assert_eq!(kept, 1, "the part was read, and kept");
    assert!(text_back && at_end);
    assert_eq!(outcome(Ok(Snapshot::new(guests))), whole);
    // Released, the thread finds the part taken and reads nothing.
    drop(release);
    let beside = reader.join().unwrap();
    let again = qemu_listing(100..300);
    let mut p = Progress::default();
    assert_eq!(p.rest(&mut again.clone(), 2, 1, &beside), 1);
    assert_eq!(
        outcome(Ok(Snapshot::new(p.guests))),
        outcome(decode(again.as_bytes()))
    );
}

#[tokio::test]
async fn a_listing_read_on_its_own_thread_is_the_same() {
    use bytes::Bytes;
    let entry = |v: u32| format!(r#"{{"type":"lxc","vmid":{v},"node":"pve2","tags":"a;b"}}"#);
    let good = format!(
        "{{\"data\":[{}]}}",
        (100..2100).map(entry).collect::<Vec<_>>().join(",")
    );
    let bodies = [
        good.clone(),
        format!("{good} x"),
        r#"{"total":0,"data":[]}"#.into(),
    ];
    for body in &bodies {
        let mut b = background::Background::start(String::with_capacity(64), Vec::new());
        b.announced(body.len());
        for chunk in body.as_bytes().chunks(1000) {
            b.chunk(Bytes::copy_from_slice(chunk));
        }
        let (snap, spare) = b.finish().await;
        assert_eq!(outcome(snap), outcome(decode(body.as_bytes())));
        assert!(spare.is_empty(), "the text's memory comes back emptied");
    }
    assert_eq!(outcome(decode(good.as_bytes())).unwrap().len(), 2000);
}

#[test]
fn reused_buffers_start_empty() {
    let mut spare = String::from("{\"data\":[");
    let good = format!("{{\"data\":[{A}]}}");
    let other = format!("{{\"data\":[{B},{A}]}}");
    let mut guests = Vec::new();
    for body in ["{\"data\":[{\"vmid\":", &good, &good, &other, &good] {
        let mut d = ListingDecoder::with_buffers(std::mem::take(&mut spare), guests);
        d.feed(body.as_bytes());
        let (snap, text) = d.finish_keeping();
        spare = text;
        assert!(spare.is_empty() && spare.capacity() >= body.len());
        let got = outcome(snap);
        assert_eq!(got, outcome(decode(body.as_bytes())), "{body}");
        // The guests of the listing before are let go of, not kept.
        guests = decode(body.as_bytes()).map_or(Vec::new(), Snapshot::into_guests);
    }
}

mod timing;

/// serde_json refuses some entries cut at the end of the text that more text would
/// complete (a number cut after its `e`): while more may arrive, such an entry is read
/// again, never taken as refused (once text was let go of, nothing could read it
/// again at the end).
#[test]
fn an_entry_refused_while_cut_short_is_read_again() {
    let entry = r#"{"type":"qemu","vmid":101,"node":"n","x":1e12}"#;
    let cut = &entry[..entry.rfind('e').unwrap() + 1];
    assert_eq!(
        entry::read(cut, 0, &mut entry::Shape::default()).err(),
        Some(Stop::Invalid),
        "{cut}"
    );
    let body = format!("{{\"data\":[{entry},{entry}]}}");
    assert_eq!(agrees(&body).map(|g| g.len()), Ok(1));
    let odd = r#"{"data":[{"type":"0qemu","\\vmid":1e1124200}]}"#;
    assert_eq!(agrees(odd), Ok(vec![]));
}
