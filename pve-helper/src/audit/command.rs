//! `pve-helper audit`: the admin's view of what the assistant did. Reads the audit
//! trail (see [`super::source`] for where), keeps the records the filters admit, and
//! shows them as a table or JSON lines, then with `--follow` waits for more. A line
//! that is not a record is counted and reported on standard error, never fatal.

use super::{
    entry::{Entry, Line, parse_line},
    filter::{ClientFilter, DecisionFilter, Filter, parse_when},
    source::{self, Flow, Source},
    table::{self, Users},
};
use crate::config::Config;
use std::{
    collections::VecDeque,
    io::{self, Write},
    path::{Path, PathBuf},
    process::ExitCode,
};

#[derive(Debug, Clone, clap::Args)]
pub struct AuditArgs {
    /// Only records from this time on: today, yesterday, 2h, 7d, 2026-12-06,
    /// "2026-12-06 14:30" (local time) or RFC 3339.
    #[arg(long, value_name = "WHEN")]
    pub since: Option<String>,
    /// Only records before this time (same forms as --since).
    #[arg(long, value_name = "WHEN")]
    pub until: Option<String>,
    /// Only this client: a local user name or uid.
    #[arg(long, value_name = "USER")]
    pub client: Option<ClientFilter>,
    /// Only requests naming this guest.
    #[arg(long, value_name = "VMID")]
    pub guest: Option<u32>,
    /// Only these decisions: allow, or deny for every refusal (or one kind of it).
    #[arg(long, value_enum)]
    pub decision: Option<DecisionFilter>,
    /// Only the last N matching records (with --follow, 10 unless --since is given).
    #[arg(short = 'n', long, value_name = "N")]
    pub lines: Option<usize>,
    /// After the records so far, wait for new ones and show them as they come.
    #[arg(short, long)]
    pub follow: bool,
    /// One JSON object a line, for scripts.
    #[arg(long)]
    pub json: bool,
    /// Also show the front's reads of its own permissions (describe), made by every
    /// session and hidden by default.
    #[arg(long)]
    pub all: bool,
    /// Read this file instead of the configured trail: JSON lines of audit_file,
    /// `journalctl -o json` output or the helper's log; - for standard input, *.gz
    /// decompressed. Repeatable.
    #[arg(long = "file", value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Read the journal even when audit_file is configured.
    #[arg(long, conflicts_with = "files")]
    pub journal: bool,
}

/// Malformed lines: how many, and the first few.
#[derive(Debug, Default)]
struct Malformed {
    count: u64,
    first: Vec<String>,
}

impl Malformed {
    fn add(&mut self, at: String, reason: &str, now: bool) {
        self.count += 1;
        if now {
            eprintln!("pve-helper audit: skipped {at}: {reason}");
        } else if self.first.len() < 3 {
            self.first.push(format!("{at}: {reason}"));
        }
    }

    fn report(&self) {
        if self.count > 0 {
            eprintln!(
                "pve-helper audit: skipped {} malformed line(s), first: {}",
                self.count,
                self.first.join("; ")
            );
        }
    }
}

/// Writes rows, and knows whether the reader of standard output went away.
#[derive(Debug)]
struct Output {
    json: bool,
    users: Users,
    out: io::BufWriter<io::StdoutLock<'static>>,
    closed: bool,
}

impl Output {
    fn line(&mut self, line: &str) -> Flow {
        if !self.closed && writeln!(self.out, "{line}").is_err() {
            self.closed = true;
        }
        if self.closed {
            Flow::Stop
        } else {
            Flow::Continue
        }
    }

    fn flush(&mut self) -> Flow {
        if !self.closed && self.out.flush().is_err() {
            self.closed = true;
        }
        if self.closed {
            Flow::Stop
        } else {
            Flow::Continue
        }
    }
}

pub fn run(config: &Path, args: &AuditArgs) -> ExitCode {
    let now = chrono::Local::now();
    let when = |s: &Option<String>| s.as_deref().map(|s| parse_when(s, now)).transpose();
    let (since, until) = match (when(&args.since), when(&args.until)) {
        (Ok(s), Ok(u)) => (s, u),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("pve-helper audit: {e}");
            return ExitCode::from(2);
        }
    };
    let mut reader = Reader {
        filter: Filter {
            since,
            until,
            client: args.client.clone(),
            guest: args.guest,
            decision: args.decision,
            describe: args.all,
        },
        out: Output {
            json: args.json,
            users: Users::default(),
            out: io::BufWriter::new(io::stdout().lock()),
            closed: false,
        },
        malformed: Malformed::default(),
        failed: false,
    };
    let sources = sources(config, args, since.map(|t| t.timestamp()));
    let keep = args
        .lines
        .or((args.follow && args.since.is_none()).then_some(10));
    let (kept, last) = reader.history(&sources, keep, args.follow);
    show(&mut reader.out, &kept, args.follow);
    reader.malformed.report();
    if args.follow
        && reader.out.flush() == Flow::Continue
        && let Some((s, pos)) = last
    {
        reader.follow(s, pos, args.json || !kept.is_empty());
    }
    let _ = reader.out.flush();
    if reader.failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// A record and its client's user name.
type Shown = (Entry, Option<String>);

/// What reading needs on the way: the filters, the output, the count of malformed
/// lines, and whether a source could not be read.
#[derive(Debug)]
struct Reader {
    filter: Filter,
    out: Output,
    malformed: Malformed,
    failed: bool,
}

impl Reader {
    /// The records of every source so far (the last `keep` if given), and where the
    /// last source was left, for `--follow`.
    fn history<'s>(
        &mut self,
        sources: &'s [Source],
        keep: Option<usize>,
        follow: bool,
    ) -> (Vec<Shown>, Option<(&'s Source, source::Position)>) {
        let mut kept: VecDeque<Shown> = VecDeque::new();
        let mut last = None;
        for s in sources {
            if follow && *s == Source::Stdin {
                // A pipe being followed (`journalctl -f -o json | ...`) never ends:
                // every line of it is shown as it comes.
                last = Some((s, source::Position::default()));
                continue;
            }
            let name = s.name();
            let result = source::read(s, &mut |line, n| {
                if let Some(shown) = self.admitted(line, n, &name, false) {
                    kept.push_back(shown);
                    if keep.is_some_and(|k| kept.len() > k) {
                        kept.pop_front();
                    }
                }
                Flow::Continue
            });
            match result {
                Ok(pos) => last = Some((s, pos)),
                Err(e) => {
                    eprintln!("pve-helper audit: {name}: {e}");
                    (self.failed, last) = (true, None);
                }
            }
        }
        (kept.into(), last)
    }

    /// Shows each new record of `s` after `pos` as it comes, until the reader of the
    /// output goes away.
    fn follow(&mut self, s: &Source, pos: source::Position, mut header: bool) {
        let name = s.name();
        let result = source::follow(s, pos, &mut |line, n| {
            let Some((e, client)) = self.admitted(line, n, &name, true) else {
                return Flow::Continue;
            };
            if !header {
                header = true;
                let _ = self.out.line(&table::header(&table::FOLLOW_WIDTHS));
            }
            let text = if self.out.json {
                table::json_line(&e, client.as_deref())
            } else {
                table::row(&table::cells(&e, client.as_deref()), &table::FOLLOW_WIDTHS)
            };
            match self.out.line(&text) {
                Flow::Continue => self.out.flush(),
                Flow::Stop => Flow::Stop,
            }
        });
        if let Err(e) = result {
            eprintln!("pve-helper audit: {name}: {e}");
            self.failed = true;
        }
    }

    /// The record on line `n` of source `name`, if the filters admit it; a malformed
    /// line is counted (and reported at once when `now`).
    fn admitted(&mut self, line: Option<&str>, n: u64, name: &str, now: bool) -> Option<Shown> {
        let at = || format!("{name}:{n}");
        let Some(line) = line else {
            let reason = format!("longer than {} bytes", source::MAX_LINE);
            self.malformed.add(at(), &reason, now);
            return None;
        };
        match parse_line(line) {
            Line::Other => None,
            Line::Malformed(reason) => {
                self.malformed.add(at(), &reason, now);
                None
            }
            Line::Record(e) => {
                let client = e.client.clone().or_else(|| self.out.users.name(e.uid));
                self.filter
                    .admits(&e, client.as_deref())
                    .then_some((*e, client))
            }
        }
    }
}

/// The records read so far: a table with a count, or JSON lines.
fn show(out: &mut Output, kept: &[Shown], follow: bool) {
    if out.json {
        for (e, client) in kept {
            if out.line(&table::json_line(e, client.as_deref())) == Flow::Stop {
                return;
            }
        }
        return;
    }
    let rows: Vec<[String; 8]> = kept
        .iter()
        .map(|(e, client)| table::cells(e, client.as_deref()))
        .collect();
    if !rows.is_empty() {
        let widths = if follow {
            table::FOLLOW_WIDTHS
        } else {
            table::widths(&rows)
        };
        let _ = out.line(&table::header(&widths));
        for row in &rows {
            if out.line(&table::row(row, &widths)) == Flow::Stop {
                return;
            }
        }
    }
    if !follow {
        let _ = out.line(&table::summary(
            kept.iter().map(|(e, _)| e.decision.as_str()),
        ));
    }
}

/// The files named, else `audit_file` of the configuration (and its rotated copies),
/// else the journal.
fn sources(config: &Path, args: &AuditArgs, since_epoch: Option<i64>) -> Vec<Source> {
    if !args.files.is_empty() {
        return args.files.iter().map(|f| source::named(f)).collect();
    }
    let journal = vec![Source::Journal { since_epoch }];
    if args.journal {
        return journal;
    }
    match Config::load(config) {
        Ok(Config {
            audit_file: Some(file),
            ..
        }) => {
            // The rotated copies, oldest first, then the live file (the one followed).
            source::with_rotated(&file)
                .into_iter()
                .map(Source::File)
                .collect()
        }
        Ok(_) => journal,
        Err(e) => {
            eprintln!("pve-helper audit: {e}; reading the journal");
            journal
        }
    }
}
