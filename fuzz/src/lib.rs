//! The properties the fuzz targets check, one module per parser. Each `check` takes
//! arbitrary bytes and panics only when a property fails; the targets in
//! `fuzz_targets/` call them under libFuzzer (nightly), and `tests/replay.rs` calls
//! them on the seeds and on every input that once failed (stable).
#![forbid(unsafe_code)]

use std::{
    future::Future,
    pin::pin,
    task::{Context, Poll, Waker},
};

/// Runs a future that never waits (reads from a byte slice, writes to a Vec).
fn ready<F: Future>(f: F) -> F::Output {
    let mut cx = Context::from_waker(Waker::noop());
    match pin!(f).poll(&mut cx) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("an in-memory read or write waited"),
    }
}

/// Whether two JSON values are equal but for floats one ulp apart: serde_json parses
/// floats to within an ulp (no `float_roundtrip`), so a parameter like 1.5e22 may come
/// back one ulp off through a round trip; nothing else may differ.
pub fn same_but_float_ulps(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value::*;
    match (a, b) {
        (Number(x), Number(y)) if x.is_f64() && y.is_f64() => {
            let (x, y) = (x.as_f64().unwrap_or(0.0), y.as_f64().unwrap_or(0.0));
            x.to_bits().abs_diff(y.to_bits()) <= 1
        }
        (Array(x), Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_but_float_ulps(x, y))
        }
        (Object(x), Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((k, x), (l, y))| k == l && same_but_float_ulps(x, y))
        }
        _ => a == b,
    }
}

/// Frame decoder: `read_frame` over arbitrary bytes, as the helper reads a socket.
pub mod frame {
    use super::ready;
    use pve_mcp_proto::*;

    /// Properties: decoding a stream of frames never panics, never reads a body longer
    /// than the cap, and every frame it accepts encodes to a frame that decodes equal.
    pub fn check(data: &[u8]) {
        let mut rest = data;
        for _ in 0..16 {
            let before = rest.len();
            let frame = ready(read_frame::<FrontFrame, _>(&mut rest, MAX_REQUEST_FRAME));
            let used = before - rest.len();
            match frame {
                Ok(f) => {
                    assert!(used <= 4 + MAX_REQUEST_FRAME as usize);
                    let mut buf = Vec::new();
                    ready(write_frame(&mut buf, &f, MAX_RESPONSE_FRAME)).expect("re-encodes");
                    let again = ready(read_frame::<FrontFrame, _>(
                        &mut buf.as_slice(),
                        MAX_RESPONSE_FRAME,
                    ))
                    .expect("decodes its own encoding");
                    if again != f {
                        let a = serde_json::to_value(&again).expect("encodes");
                        let b = serde_json::to_value(&f).expect("encodes");
                        assert!(crate::same_but_float_ulps(&a, &b), "{a} != {b}");
                    }
                }
                Err(FrameError::TooLarge { len, max }) => {
                    assert!(len > max);
                    assert_eq!(used, 4, "read past an oversized prefix");
                    return;
                }
                Err(_) => return,
            }
        }
    }
}

/// Request parsing: a frame's JSON as the helper decodes it, then everything the
/// helper does with a request before calling anyone (audit line, policy decision).
pub mod request {
    use pve_helper::policy::{Facts, GuestFacts, Policy, decide, referenced_vmids};
    use pve_mcp_proto::*;
    use std::{path::Path, sync::OnceLock};

    fn policy() -> &'static Policy {
        static P: OnceLock<Policy> = OnceLock::new();
        P.get_or_init(|| {
            let text = "[clients]\nusers = [0]\n[guests]\nallow = [\"100-199\", \"pool:lab\"]\n\
                deny = [\"150\"]\nactions = [\"start\", \"stop\"]\nconfirm = [\"stop\"]\n\
                [api]\nallow = [\"GET /**\", \"POST /nodes/*/qemu/*/status/*\"]\n\
                [commands]\nallow = [[\"echo\", \"*\"], [\"ls\", \"{vmid}\", \"{node}\"]]\n";
            Policy::parse(text, Path::new("fuzz.toml"))
                .expect("valid")
                .0
        })
    }

    /// Properties: decoding never panics; an accepted frame survives a JSON round trip
    /// unchanged (so front and helper agree on what was asked); its audit rendering is
    /// one line; judging it never panics, and an API call the fixed floor closes is
    /// denied whatever the policy says.
    pub fn check(data: &[u8]) {
        if let Ok(f) = serde_json::from_slice::<HelperFrame>(data) {
            let s = serde_json::to_string(&f).expect("encodes");
            let again: HelperFrame = serde_json::from_str(&s).expect("decodes its own encoding");
            assert_eq!(serde_json::to_string(&again).expect("encodes"), s);
        }
        let Ok(frame) = serde_json::from_slice::<FrontFrame>(data) else {
            return;
        };
        let s = serde_json::to_string(&frame).expect("encodes");
        let again: FrontFrame = serde_json::from_str(&s).expect("decodes its own encoding");
        if again != frame {
            let (a, b) = (
                serde_json::to_value(&again).expect("encodes"),
                serde_json::to_value(&frame).expect("encodes"),
            );
            assert!(
                super::same_but_float_ulps(&a, &b),
                "not stable through JSON: {s}"
            );
        }
        let FrontFrame::Call { request, .. } = frame else {
            return;
        };
        let line = pve_helper::audit::describe(&request);
        assert!(!line.contains(['\n', '\r']), "audit line breaks: {line:?}");
        let mut facts = Facts::default();
        for vmid in referenced_vmids(policy(), &request) {
            facts.guests.insert(
                vmid,
                GuestFacts {
                    vmid,
                    node: NodeName::parse("pve1").expect("valid"),
                    guest_type: GuestType::Qemu,
                    pool: (vmid.get() % 2 == 0).then(|| "lab".to_owned()),
                    tags: Vec::new(),
                    running: false,
                },
            );
        }
        let d = decide(policy(), &request, &facts);
        if let Request::Api(call) = &request
            && pve_helper::policy::floor_reason(call.method, &call.path, &call.params).is_some()
        {
            assert_eq!(d.verdict(), "deny", "the floor did not hold for {line}");
        }
    }
}

/// The API path normalizer and the policy's path patterns.
pub mod api_path {
    use pve_helper::policy::{PathPattern, floor_reason};
    use pve_mcp_proto::{ApiMethod, ApiParams, ApiPath};

    fn segment_byte(b: u8) -> bool {
        b.is_ascii_alphanumeric() || b"-_.:@!=+,~".contains(&b)
    }

    /// Input: `pattern \n path`. Properties of an accepted path: it is absolute, has no
    /// empty, `.` or `..` segment and only allowed bytes; normalizing it again changes
    /// nothing; and the URL the helper builds from it addresses exactly that path (no
    /// URL parser rewrites it). Of an accepted pattern: it prints as it parses, its
    /// sample path matches it, and a pattern without wildcards matches only itself.
    pub fn check(data: &[u8]) {
        let Ok(text) = std::str::from_utf8(data) else {
            return;
        };
        let (pattern, raw) = text.split_once('\n').unwrap_or(("/**", text));
        let path = match ApiPath::parse(raw) {
            Ok(p) => p,
            Err(_) => return check_pattern(pattern, None),
        };
        let p = path.as_str();
        assert!(p.starts_with('/'), "{raw:?} -> {p:?}");
        if p != "/" {
            for seg in p[1..].split('/') {
                assert!(
                    !seg.is_empty() && seg != "." && seg != "..",
                    "{raw:?} -> {p:?}"
                );
                assert!(seg.bytes().all(segment_byte), "{raw:?} -> {p:?}");
            }
        }
        assert_eq!(
            ApiPath::parse(p).as_ref(),
            Ok(&path),
            "not idempotent: {raw:?}"
        );
        let json = serde_json::to_string(&path).expect("encodes");
        assert_eq!(
            serde_json::from_str::<ApiPath>(&json).ok().as_ref(),
            Some(&path)
        );
        let url = url::Url::parse(&format!("https://pve.invalid:8006/api2/json{p}"))
            .expect("a valid URL");
        assert_eq!(
            url.path(),
            format!("/api2/json{p}"),
            "the URL rewrites {raw:?}"
        );
        assert!(url.query().is_none() && url.fragment().is_none());
        for m in [
            ApiMethod::Get,
            ApiMethod::Post,
            ApiMethod::Put,
            ApiMethod::Delete,
        ] {
            let _ = floor_reason(m, &path, &ApiParams::default());
        }
        check_pattern(pattern, Some(&path));
    }

    fn check_pattern(text: &str, path: Option<&ApiPath>) {
        let Ok(pattern) = PathPattern::parse(text) else {
            return;
        };
        let shown = pattern.to_string();
        assert_eq!(
            PathPattern::parse(&shown).as_ref(),
            Ok(&pattern),
            "{text:?}"
        );
        // A pattern longer than any path can be matches nothing (its sample is invalid).
        if let Ok(sample) = ApiPath::parse(&pattern.sample()) {
            assert!(pattern.matches(&sample), "{text:?} misses its sample");
        } else {
            assert!(pattern.sample().len() > ApiPath::MAX_LEN, "{text:?}");
        }
        if let Some(path) = path {
            let matched = pattern.matches(path);
            if !shown.contains('*') {
                assert_eq!(matched, shown == path.as_str(), "{shown} vs {path}");
            }
        }
    }
}

/// The front's command-line splitter and the helper's command patterns.
pub mod argv {
    use pve_helper::policy::{ArgPattern, CommandRule, is_plain_arg};
    use pve_mcp_proto::{Argv, VmId};
    use std::time::Duration;

    /// Bytes a shell would treat specially, or that start an option or a path.
    const SHELL: &[u8] = b" \t\n\r;&|$`*?[]<>(){}'\"\\#!%^/";

    /// Input: `command line \n pattern words`. The line is split as mcp-front splits
    /// it; the words (after the first, the program) are parsed as a policy's argument
    /// patterns. Properties: a `*` only ever accepts a plain argument (no shell
    /// character, no option, no path), `{vmid}` only a valid guest id, exact words
    /// only themselves; a match has exactly the pattern's length; the argv prints on
    /// one line.
    pub fn check(data: &[u8]) {
        let Ok(text) = std::str::from_utf8(data) else {
            return;
        };
        let (line, patterns) = text
            .split_once('\n')
            .unwrap_or((text, "echo * {vmid} {node}"));
        let Ok(words) = mcp_front::tools::command::command_line::split(line) else {
            return;
        };
        let Ok(argv) = Argv::new(words) else {
            return;
        };
        assert!(!argv.to_string().contains(['\n', '\r']));
        let mut pw = patterns.split(' ');
        let program = pw.next().unwrap_or("echo");
        let Ok(args) = pw.map(ArgPattern::parse).collect::<Result<Vec<_>, _>>() else {
            return;
        };
        let rule = CommandRule {
            spelled: program.to_owned(),
            program: format!("/usr/bin/{program}").into(),
            args,
            timeout: Duration::from_secs(1),
            max_output_bytes: 1,
        };
        if !rule.matches(&argv) {
            assert!(rule.vmids(&argv).is_empty());
            return;
        }
        let a = argv.args();
        assert_eq!(a.len(), rule.args.len() + 1);
        let mut vmids = 0;
        for (p, arg) in rule.args.iter().zip(&a[1..]) {
            match p {
                ArgPattern::Exact(e) => assert_eq!(e, arg),
                ArgPattern::Plain => {
                    assert!(is_plain_arg(arg));
                    assert!(!arg.starts_with('-') && !arg.is_empty(), "{arg:?}");
                    assert!(
                        !arg.bytes()
                            .any(|b| SHELL.contains(&b) || !b.is_ascii_graphic()),
                        "{arg:?}"
                    );
                }
                ArgPattern::Vmid => {
                    arg.parse::<VmId>().expect("a vmid");
                    vmids += 1;
                }
                ArgPattern::Node => {
                    assert!(
                        !arg.starts_with('-')
                            && arg.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'),
                        "{arg:?}"
                    );
                }
            }
        }
        assert_eq!(rule.vmids(&argv).len(), vmids);
    }
}

/// The policy parser, and the helper's use of a policy it accepted.
pub mod policy {
    use pve_helper::policy::{Facts, Policy, PolicyError, decide};
    use pve_mcp_proto::*;
    use std::path::Path;

    /// Endpoints the fixed floor closes, whatever a policy says.
    const FLOOR: &[(ApiMethod, &str)] = &[
        (ApiMethod::Post, "/nodes/x/termproxy"),
        (ApiMethod::Get, "/nodes/x/vncwebsocket"),
        (ApiMethod::Post, "/nodes/x/qemu/100/vncproxy"),
        (ApiMethod::Post, "/nodes/x/execute"),
        (ApiMethod::Post, "/nodes/x/qemu/100/agent/exec"),
        (ApiMethod::Get, "/access/ticket"),
        (ApiMethod::Put, "/access/users/x"),
        (ApiMethod::Post, "/cluster/config/join"),
        (ApiMethod::Post, "/nodes/x/certificates/custom"),
    ];

    /// Properties: parsing never panics; every diagnostic points inside the file; an
    /// accepted policy can be summarized, described to the front and asked about
    /// requests without panicking, and it never lets the fixed floor open.
    pub fn check(data: &[u8]) {
        let Ok(text) = std::str::from_utf8(data) else {
            return;
        };
        match Policy::parse(text, Path::new("fuzz.toml")) {
            Err(PolicyError::Invalid(diags)) => {
                let lines = text.split('\n').count();
                for d in &diags {
                    assert!(d.line >= 1 && d.line <= lines, "{d} (of {lines} lines)");
                    assert!(d.col >= 1, "{d}");
                    assert!(!d.message.is_empty());
                    let _ = d.to_string();
                }
            }
            Err(PolicyError::Read { .. }) => unreachable!("parse reads nothing"),
            Ok((policy, _)) => {
                let _ = policy.summary();
                let _ = policy.capabilities();
                let facts = Facts::default();
                for (m, p) in FLOOR {
                    let call = ApiCall {
                        method: *m,
                        path: ApiPath::parse(p).expect("valid"),
                        params: ApiParams::default(),
                    };
                    let d = decide(&policy, &Request::Api(call), &facts);
                    assert_eq!(d.verdict(), "deny", "the policy opened {m} {p}");
                }
                let list = Request::ListGuests(ListGuests::default());
                let _ = decide(&policy, &list, &facts);
            }
        }
    }
}

/// The `/cluster/resources` decoder that works while the answer arrives: cut into
/// chunks anywhere, or read at the end in parts side by side, any bytes decode to the
/// same guests as the whole answer does, or fail every way, whether the text read is
/// let go of or not. The first byte chooses the chunk size and the number of parts.
pub mod listing {
    use pve_helper::pve::{
        PveError,
        listing::{LET_GO, ListingDecoder, decode},
        resources::{Snapshot, entry},
    };

    /// Each guest, with the details an answer would carry of it.
    fn outcome(r: Result<Snapshot, PveError>) -> Option<Vec<String>> {
        let s = r.ok()?;
        Some(
            s.iter()
                .map(|g| format!("{g:?} {:?}", g.summary()))
                .collect(),
        )
    }

    /// Each entry the plain reading reads, at any `{` of the text, serde_json reads
    /// the same, to the bit, ending at the same byte; the shape carried from one to
    /// the next, as a listing carries it.
    fn plain_reads_as_serde_json(body: &[u8]) {
        let Ok(text) = std::str::from_utf8(body) else {
            return;
        };
        let mut shape = entry::Shape::default();
        for (at, _) in text.match_indices('{') {
            if let Some(plain) = entry::plain::read(text, at, &mut shape) {
                let any = entry::read_any(text, at);
                assert_eq!(format!("{:?}", Ok::<_, entry::Stop>(plain)), format!("{any:?}"));
            }
        }
    }

    pub fn check(data: &[u8]) {
        let Some((&size, body)) = data.split_first() else {
            return;
        };
        plain_reads_as_serde_json(body);
        let whole = outcome(decode(body));
        // As it arrives, the text read let go of at once or as the service does.
        for let_go in [1, LET_GO] {
            let mut d = ListingDecoder::letting_go_at(let_go);
            for chunk in body.chunks(usize::from(size).max(1)) {
                d.feed(chunk);
            }
            let got = outcome(d.finish());
            assert_eq!(got, whole, "chunks of {size}, letting go at {let_go}");
        }
        // Read at the end, in parts side by side split wherever `},{` is: all of it,
        // or what is left after the first half arrived and was read (and let go of).
        let pieces = usize::from(size % 8) + 2;
        for read_first in [0, body.len() / 2] {
            let (first, second) = body.split_at(read_first);
            let mut d = ListingDecoder::letting_go_at(1);
            d.feed(first);
            d.append(second);
            let got = outcome(d.finish_in(pieces, 1).0);
            assert_eq!(got, whole, "in {pieces} parts after {read_first} bytes");
        }
    }
}
