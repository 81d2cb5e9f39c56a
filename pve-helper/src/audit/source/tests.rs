use super::*;
use std::io::Write;

fn collect(source: &Source) -> (Vec<Option<String>>, Position) {
    let mut got = Vec::new();
    let pos = read(source, &mut |l, _| {
        got.push(l.map(str::to_owned));
        Flow::Continue
    })
    .unwrap();
    (got, pos)
}

#[test]
fn rotated_copies_are_read_oldest_first() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("audit.jsonl");
    std::fs::write(&file, "live\n").unwrap();
    std::fs::write(dir.path().join("audit.jsonl.1"), "one\n").unwrap();
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(dir.path().join("audit.jsonl.2.gz")).unwrap(),
        flate2::Compression::default(),
    );
    gz.write_all(b"two\n").unwrap();
    gz.finish().unwrap();
    std::fs::write(dir.path().join("audit.jsonl.10.gz"), "not gzip").unwrap();
    std::fs::write(dir.path().join("audit.jsonl.old"), "ignored").unwrap();
    std::fs::write(dir.path().join("other.jsonl.1"), "ignored").unwrap();
    let files = with_rotated(&file);
    let names: Vec<String> = files
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "audit.jsonl.10.gz",
            "audit.jsonl.2.gz",
            "audit.jsonl.1",
            "audit.jsonl"
        ]
    );
    assert!(read(&Source::File(files[0].clone()), &mut |_, _| Flow::Continue).is_err());
    let lines: Vec<Option<String>> = files[1..]
        .iter()
        .flat_map(|f| collect(&Source::File(f.clone())).0)
        .collect();
    assert_eq!(lines, ["two", "one", "live"].map(|s| Some(s.to_owned())));
}

#[test]
fn a_line_too_long_is_skipped_and_the_next_read() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("audit.jsonl");
    let long = "x".repeat(MAX_LINE * 3);
    std::fs::write(&file, format!("a\n{long}\nb\n{long}")).unwrap();
    let (lines, _) = collect(&Source::File(file));
    assert_eq!(lines, [Some("a".into()), None, Some("b".into()), None]);
}

#[test]
fn following_a_file_sees_appends_rotation_and_truncation() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("audit.jsonl");
    std::fs::write(&file, "one\ntwo-partial").unwrap();
    let (lines, pos) = collect(&Source::File(file.clone()));
    // The partial line is handed on when read whole, but following starts before it.
    assert_eq!(lines.len(), 2);
    let writer = {
        let file = file.clone();
        std::thread::spawn(move || {
            let append = |s: &str| {
                let mut f = std::fs::OpenOptions::new()
                    .append(true)
                    .open(&file)
                    .unwrap();
                f.write_all(s.as_bytes()).unwrap();
            };
            std::thread::sleep(Duration::from_millis(700));
            append("-done\nthree\n");
            std::thread::sleep(Duration::from_millis(700));
            // logrotate: rename, then the helper starts a new file.
            std::fs::rename(&file, file.with_extension("jsonl.1")).unwrap();
            std::fs::write(&file, "four\n").unwrap();
            std::thread::sleep(Duration::from_millis(700));
            // copytruncate.
            std::fs::write(&file, "").unwrap();
            std::thread::sleep(Duration::from_millis(700));
            append("five\n");
        })
    };
    let mut got = Vec::new();
    follow(&Source::File(file), pos, &mut |l, _| {
        got.push(l.unwrap_or_default().to_owned());
        if got.len() == 4 {
            Flow::Stop
        } else {
            Flow::Continue
        }
    })
    .unwrap();
    writer.join().unwrap();
    assert_eq!(got, ["two-partial-done", "three", "four", "five"]);
}

#[test]
fn standard_input_and_files_are_named() {
    assert_eq!(named(Path::new("-")), Source::Stdin);
    assert_eq!(
        named(Path::new("/x/a.jsonl")),
        Source::File("/x/a.jsonl".into())
    );
    assert_eq!(Source::Stdin.name(), "standard input");
    assert!(
        Source::Journal { since_epoch: None }
            .name()
            .contains("pve-mcp-helper.service")
    );
    assert_eq!(
        cursor_of(r#"{"__CURSOR": "s=abc", "MESSAGE": "x"}"#).as_deref(),
        Some("s=abc")
    );
    assert_eq!(cursor_of("not json"), None);
}
