//! Where `pve-helper audit` reads records: the helper's `audit_file` (with the copies
//! logrotate left beside it, plain or gzipped), named files or standard input, or the
//! journal of the unit, through `journalctl -o json` (run without a shell). Each line
//! is handed on with where it came from; lines are capped in length, so a file with
//! no newline cannot make the reader hold it whole. Following waits for new lines:
//! a file is polled (and reopened when it was rotated or truncated), the journal is
//! followed by `journalctl --follow` from the last entry already read.

use flate2::read::MultiGzDecoder;
use std::{
    fs::File,
    io::{self, BufRead, BufReader, Seek, SeekFrom},
    os::unix::fs::MetadataExt,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::Duration,
};

/// The longest line read whole; the rest of a longer one is skipped.
pub const MAX_LINE: usize = 64 * 1024;
/// How often a followed file is looked at.
const POLL: Duration = Duration::from_millis(500);

/// One place to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    File(PathBuf),
    Stdin,
    /// The journal of the helper's unit.
    Journal {
        since_epoch: Option<i64>,
    },
}

impl Source {
    /// How lines of this source are named in messages.
    pub fn name(&self) -> String {
        match self {
            Self::File(p) => p.display().to_string(),
            Self::Stdin => "standard input".into(),
            Self::Journal { .. } => format!("the journal of {}", crate::paths::SERVICE_UNIT),
        }
    }
}

/// Whether the reader should go on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Stop,
}

/// A line, or `None` for a line over [`MAX_LINE`] bytes; and the line's number.
pub type Sink<'a> = dyn FnMut(Option<&str>, u64) -> Flow + 'a;

/// Where a followed source was left.
#[derive(Debug, Clone, Default)]
pub struct Position {
    /// A file's inode and offset after its last complete line.
    file: Option<(u64, u64)>,
    /// The journal's cursor of its last entry.
    cursor: Option<String>,
    line: u64,
}

/// `audit_file` and what logrotate left of it, oldest first: `FILE.N.gz`, ...,
/// `FILE.1`, `FILE`.
pub fn with_rotated(file: &Path) -> Vec<PathBuf> {
    let mut rotated: Vec<(u32, PathBuf)> = Vec::new();
    if let (Some(dir), Some(name)) = (file.parent(), file.file_name().and_then(|n| n.to_str()))
        && let Ok(entries) = std::fs::read_dir(if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        })
    {
        for e in entries.flatten() {
            let other = e.file_name();
            let Some(rest) = other.to_str().and_then(|o| o.strip_prefix(name)) else {
                continue;
            };
            let number = rest
                .strip_prefix('.')
                .map(|r| r.strip_suffix(".gz").unwrap_or(r));
            if let Some(n) = number.and_then(|n| n.parse::<u32>().ok()) {
                rotated.push((n, e.path()));
            }
        }
    }
    rotated.sort_by_key(|r| std::cmp::Reverse(r.0));
    let mut out: Vec<PathBuf> = rotated.into_iter().map(|(_, p)| p).collect();
    out.push(file.to_owned());
    out
}

/// Reads every line of `source` up to its present end.
pub fn read(source: &Source, sink: &mut Sink) -> io::Result<Position> {
    match source {
        Source::Stdin => {
            let mut pos = Position::default();
            lines(io::stdin().lock(), &mut pos.line, sink)?;
            Ok(pos)
        }
        Source::File(path) => read_file(path, sink),
        Source::Journal { since_epoch } => {
            let mut args = vec!["--no-pager".to_owned()];
            if let Some(t) = since_epoch {
                args.push(format!("--since=@{t}"));
            }
            let mut last = String::new();
            let mut pos = Position::default();
            journal(&args, &mut pos.line, &mut |line, n| {
                if let Some(l) = line {
                    l.clone_into(&mut last);
                }
                sink(line, n)
            })?;
            pos.cursor = cursor_of(&last);
            Ok(pos)
        }
    }
}

fn read_file(path: &Path, sink: &mut Sink) -> io::Result<Position> {
    let file = File::open(path)?;
    let meta = file.metadata()?;
    let mut pos = Position::default();
    if path.extension().is_some_and(|e| e == "gz") {
        lines(
            BufReader::new(MultiGzDecoder::new(file)),
            &mut pos.line,
            sink,
        )?;
        return Ok(pos);
    }
    let mut reader = BufReader::new(file);
    if complete_lines(&mut reader, &mut pos.line, sink)? == Flow::Stop {
        return Ok(pos);
    }
    // Following starts after the last complete line: a record being written is
    // handed on now as it is, and whole when followed.
    pos.file = Some((meta.ino(), reader.stream_position()?));
    if let Some(l) = next_line(&mut reader, true)? {
        sink(l.as_deref(), pos.line + 1);
    }
    Ok(pos)
}

/// Hands on new lines of `source` as they come, after `pos`, until the sink stops.
pub fn follow(source: &Source, mut pos: Position, sink: &mut Sink) -> io::Result<()> {
    match source {
        Source::Stdin => lines(io::stdin().lock(), &mut pos.line, sink),
        Source::File(path) => follow_file(path, pos, sink),
        Source::Journal { .. } => {
            let mut args = vec!["--follow".to_owned()];
            match &pos.cursor {
                Some(c) => args.push(format!("--after-cursor={c}")),
                None => args.push("--lines=0".to_owned()),
            }
            journal(&args, &mut pos.line, sink)
        }
    }
}

fn follow_file(path: &Path, pos: Position, sink: &mut Sink) -> io::Result<()> {
    let (mut inode, mut offset) = pos.file.unwrap_or_default();
    let mut line = pos.line;
    loop {
        std::thread::sleep(POLL);
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            // Between logrotate's rename and the helper's next record.
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        if meta.ino() != inode || meta.len() < offset {
            (inode, offset, line) = (meta.ino(), 0, 0);
        }
        if meta.len() == offset {
            continue;
        }
        let mut file = File::open(path)?;
        file.seek(SeekFrom::Start(offset))?;
        let mut reader = BufReader::new(file);
        let flow = complete_lines(&mut reader, &mut line, sink)?;
        offset = reader.stream_position()?;
        if flow == Flow::Stop {
            return Ok(());
        }
    }
}

/// Every line to the end. A last line without its newline is handed on too.
fn lines(mut reader: impl BufRead, line: &mut u64, sink: &mut Sink) -> io::Result<()> {
    while let Some(l) = next_line(&mut reader, true)? {
        *line += 1;
        if sink(l.as_deref(), *line) == Flow::Stop {
            break;
        }
    }
    Ok(())
}

/// The complete lines to the end, leaving the reader after the last newline.
fn complete_lines(
    reader: &mut BufReader<File>,
    line: &mut u64,
    sink: &mut Sink,
) -> io::Result<Flow> {
    let mut start = reader.stream_position()?;
    loop {
        match next_line(reader, false)? {
            None => {
                reader.seek(SeekFrom::Start(start))?;
                return Ok(Flow::Continue);
            }
            Some(l) => {
                *line += 1;
                start = reader.stream_position()?;
                if sink(l.as_deref(), *line) == Flow::Stop {
                    return Ok(Flow::Stop);
                }
            }
        }
    }
}

/// The next line without its newline (`Some(None)` if it was too long); `None` at the
/// end, or before a last line without a newline unless `partial` is allowed.
fn next_line(reader: &mut impl BufRead, partial: bool) -> io::Result<Option<Option<String>>> {
    let mut buf = Vec::new();
    let mut too_long = false;
    loop {
        let chunk = reader.fill_buf()?;
        if chunk.is_empty() {
            return Ok((partial && (!buf.is_empty() || too_long))
                .then(|| (!too_long).then(|| String::from_utf8_lossy(&buf).into_owned())));
        }
        let (take, done) = match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => (i, true),
            None => (chunk.len(), false),
        };
        if buf.len() + take > MAX_LINE {
            too_long = true;
            buf.clear();
        } else if !too_long {
            buf.extend_from_slice(&chunk[..take]);
        }
        reader.consume(take + usize::from(done));
        if done {
            return Ok(Some(
                (!too_long).then(|| String::from_utf8_lossy(&buf).into_owned()),
            ));
        }
    }
}

/// Runs `journalctl` for the helper's unit with `args`, handing on its lines.
fn journal(args: &[String], line: &mut u64, sink: &mut Sink) -> io::Result<()> {
    let mut child = Command::new(crate::paths::JOURNALCTL)
        .arg(format!("--unit={}", crate::paths::SERVICE_UNIT))
        .args(["--output=json", "--output-fields=MESSAGE"])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| io::Error::new(e.kind(), format!("cannot run journalctl: {e}")))?;
    let Some(stdout) = child.stdout.take() else {
        return Err(io::Error::other("journalctl has no output"));
    };
    let stopped = {
        let mut stopped = false;
        lines(BufReader::new(stdout), line, &mut |l, n| {
            let flow = sink(l, n);
            stopped = flow == Flow::Stop;
            flow
        })?;
        stopped
    };
    if stopped {
        let _ = child.kill();
    }
    let status = child.wait()?;
    if !stopped && !status.success() {
        return Err(io::Error::other(format!("journalctl failed ({status})")));
    }
    Ok(())
}

/// The `__CURSOR` of a `journalctl -o json` line.
fn cursor_of(line: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(line).ok()?;
    v.get("__CURSOR")?.as_str().map(str::to_owned)
}

/// A file, standard input (`-`), in any shape [`super::entry`] reads.
pub fn named(path: &Path) -> Source {
    if path == Path::new("-") {
        Source::Stdin
    } else {
        Source::File(path.to_owned())
    }
}

#[cfg(test)]
mod tests;
