//! Reading a `/cluster/resources` answer while it arrives. The `data` array's entries
//! are read and validated one by one ([`entry`]), as their bytes come in or, for what
//! is left when the last byte is in, in parts side by side ([`ListingDecoder::finish`];
//! [`background`] reads on a thread of its own while the answer arrives).
//!
//! An entry cut short by the end of the bytes so far is read again when more arrive.
//! The text read is let go of as reading goes on ([`ListingDecoder::let_go`]), so a
//! listing read as it arrives holds about what is waiting to be read, not the whole
//! answer. An answer of any other shape than `{"data":[{..},..]}` (other members
//! before the data, an escaped key, a long head) is read whole at the end
//! ([`decode_whole`]), as [`decode`] does; once text was let go of, only that shape can
//! be in reading, and what may still follow it (other members after the data, or
//! something wrong) is read from what is left ([`after_data`]). All ways therefore
//! accept the same answers and produce the same guests (one [`Interner`] validates each
//! entry, and escapes its name, pool and tags, for all); tests and a fuzz target check
//! it.
//!
//! Trust: the bytes are Proxmox's and unvalidated until [`entry`] has read them.

use super::resources::{
    Guest, Interner, Snapshot,
    entry::{self, Reader, Stop},
};
use super::{BodySink, MAX_BODY, PveError};
use beside::Beside;
use std::sync::{Arc, Mutex, mpsc};

/// Incremental decoder of one listing; feed it the body's chunks, then [`finish`].
///
/// [`finish`]: ListingDecoder::finish
#[derive(Debug)]
pub struct ListingDecoder {
    /// The answer so far, up to its last whole character, less what was let go of
    /// once read (`read.base` bytes).
    text: String,
    /// The first bytes of a character cut by the end of the last chunk.
    carry: Vec<u8>,
    /// Where (in the whole answer) it stopped being UTF-8: it is then refused, as whole.
    not_utf8_at: Option<usize>,
    read: Progress,
    /// How much text read is worth letting go of ([`LET_GO`]).
    let_go_at: usize,
    /// The threads that read parts of the listing beside this one.
    beside: Beside,
}

impl Default for ListingDecoder {
    fn default() -> Self {
        Self {
            text: String::new(),
            carry: Vec::new(),
            not_utf8_at: None,
            read: Progress::default(),
            let_go_at: LET_GO,
            beside: Beside::default(),
        }
    }
}

/// Least text read that is let go of at once (then at least half of what is held).
pub const LET_GO: usize = 256 * 1024;

/// How far the entries of a text have been read, and what they gave: a reading needs
/// the text only while it steps, so parts of one text can be read side by side.
#[derive(Debug, Default)]
struct Progress {
    /// How much of the answer came before the text (let go of once read).
    base: usize,
    /// Where reading resumes in the text.
    pos: usize,
    phase: Phase,
    /// The text holds the rest of the answer: an entry that does not read is refused.
    /// Until then it is read again when more arrives, as one cut short is: serde_json
    /// may refuse an entry cut at the end of the text that more text would complete
    /// (a number cut after its `e`), and text read may have been let go of.
    complete: bool,
    interner: Interner,
    /// What the entries read so far looked like ([`entry::Shape`]).
    shape: entry::Shape,
    guests: Vec<Guest>,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Reading `{"data":[` from the start (whitespace allowed between the tokens).
    #[default]
    Head,
    /// Where an entry must begin: after `[` (`first`) or after a `,`.
    BeforeEntry { first: bool },
    /// After an entry: `,` or `]`.
    AfterEntry,
    /// After `]`: whitespace, one `}`, whitespace.
    Tail { closed: bool },
    /// After `],`: other members follow the data, read at the end ([`after_data`]).
    Members,
    /// Not the usual shape, or an entry that did not decode: decoded whole at the end.
    Whole,
}

/// The head `{"data":[` with optional whitespace, as tokens.
const HEAD: [&[u8]; 4] = [b"{", b"\"data\"", b":", b"["];
/// Longest head looked at; a head with more whitespace is decoded whole.
const HEAD_MAX: usize = 64;

enum HeadMatch {
    Matched(usize),
    NeedMore,
    Other,
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

fn match_head(b: &[u8]) -> HeadMatch {
    let mut i = 0;
    for token in HEAD {
        while b.get(i).copied().is_some_and(is_ws) {
            i += 1;
        }
        let have = &b[i.min(b.len())..];
        if have.len() < token.len() {
            return if token.starts_with(have) && i + token.len() <= HEAD_MAX {
                HeadMatch::NeedMore
            } else {
                HeadMatch::Other
            };
        }
        if !have.starts_with(token) {
            return HeadMatch::Other;
        }
        i += token.len();
    }
    HeadMatch::Matched(i)
}

impl ListingDecoder {
    /// A decoder writing the answer into `buffer` and its guests into `guests` (both
    /// emptied first, their memory reused: the guests of a listing before, let go of
    /// here, while Proxmox prepares its answer, instead of taking their memory from the
    /// system afresh, a page fault every 4 KiB: 940 per 30,000-guest listing), with
    /// the threads that will read parts of it beside this one started and kept
    /// ([`Beside`]).
    pub fn with_buffers(mut buffer: String, mut guests: Vec<Guest>) -> Self {
        buffer.clear();
        guests.clear();
        Self {
            text: buffer,
            read: Progress {
                guests,
                ..Progress::default()
            },
            beside: Beside::start(pieces() - 1),
            ..Self::default()
        }
    }

    /// A decoder that lets go of text read once it is `at` bytes (not [`LET_GO`]), for
    /// tests and fuzzing.
    pub fn letting_go_at(at: usize) -> Self {
        Self {
            let_go_at: at,
            ..Self::default()
        }
    }

    /// Takes the next bytes of the answer and decodes every entry they complete.
    pub fn feed(&mut self, chunk: &[u8]) {
        self.append(chunk);
        self.read.run(&self.text, usize::MAX);
        self.let_go();
    }

    /// Lets go of the text read, between two entries, once it is at least `let_go_at`
    /// bytes and at least half of what is held: what is left moves to the front, so
    /// each byte moves at most once in all.
    fn let_go(&mut self) {
        let read = self.read.pos;
        let between = matches!(
            self.read.phase,
            Phase::BeforeEntry { .. } | Phase::AfterEntry
        );
        if between && read >= self.let_go_at && read * 2 >= self.text.len() {
            self.text.drain(..read);
            self.read.base += read;
            self.read.pos = 0;
        }
    }

    /// When at least two parts' worth ([`MIN_PIECE`]) is unread and there is more
    /// than one processor: reads all that was taken in parts side by side, as
    /// [`finish`] reads what is left, and says so (nothing is then left to read until
    /// more arrive). Otherwise does nothing.
    ///
    /// [`finish`]: ListingDecoder::finish
    pub fn catch_up(&mut self) -> bool {
        let pieces = pieces();
        if pieces < 2 || self.taken() - self.read_so_far() < 2 * MIN_PIECE {
            return false;
        }
        // The next entry first: one that cannot be read yet leaves nothing to read in
        // parts after it (they would be read again, each time more arrives, and
        // dropped).
        let at = self.read.pos;
        self.read.run(&self.text, at + 1);
        if self.read.pos > at {
            self.read
                .rest(&mut self.text, pieces, MIN_PIECE, &self.beside);
        }
        self.let_go();
        true
    }

    /// How much of the answer has been read.
    pub fn read_so_far(&self) -> usize {
        self.read.base + self.read.pos
    }

    /// How much of the answer has been taken.
    pub fn taken(&self) -> usize {
        self.read.base + self.text.len() + self.carry.len()
    }

    /// Takes the next bytes of the answer without reading them yet ([`advance`] does).
    ///
    /// [`advance`]: ListingDecoder::advance
    pub fn append(&mut self, mut chunk: &[u8]) {
        if self.not_utf8_at.is_some() {
            return;
        }
        // Completes a character cut by the end of the last chunk, byte by byte.
        while !self.carry.is_empty() {
            let Some((&b, rest)) = chunk.split_first() else {
                return;
            };
            chunk = rest;
            self.carry.push(b);
            match std::str::from_utf8(&self.carry) {
                Ok(c) => {
                    self.text.push_str(c);
                    self.carry.clear();
                }
                Err(e) if e.error_len().is_some() => {
                    self.not_utf8_at = Some(self.read.base + self.text.len());
                    return;
                }
                Err(_) => {}
            }
        }
        match std::str::from_utf8(chunk) {
            Ok(s) => self.text.push_str(s),
            Err(e) => {
                let (done, rest) = chunk.split_at(e.valid_up_to());
                // `done` is UTF-8: `valid_up_to` says so.
                self.text
                    .push_str(std::str::from_utf8(done).unwrap_or_default());
                match e.error_len() {
                    None => self.carry = rest.to_vec(),
                    Some(_) => self.not_utf8_at = Some(self.read.base + self.text.len()),
                }
            }
        }
    }

    /// Reads the entries of about the next `bytes` bytes taken so far; false when
    /// nothing is left to read until more arrive.
    pub fn advance(&mut self, bytes: usize) -> bool {
        let until = self.read.pos.saturating_add(bytes);
        let more = self.read.run(&self.text, until);
        self.let_go();
        more && self.read.reading() && self.read.pos < self.text.len()
    }

    /// The listing, once the whole answer has been taken; what is left to read is
    /// read in as many parts side by side as the machine has processors (at most
    /// [`MAX_PIECES`]) when each would be at least [`MIN_PIECE`] bytes.
    pub fn finish(self) -> Result<Snapshot, PveError> {
        self.finish_keeping().0
    }

    /// [`finish`], giving back the text's memory (emptied) for the next listing.
    ///
    /// [`finish`]: ListingDecoder::finish
    pub fn finish_keeping(self) -> (Result<Snapshot, PveError>, String) {
        self.finish_in(pieces(), MIN_PIECE)
    }

    /// [`finish_keeping`], reading what is left in up to `pieces` parts of at least
    /// `min_piece` bytes each.
    ///
    /// [`finish_keeping`]: ListingDecoder::finish_keeping
    pub fn finish_in(
        mut self,
        pieces: usize,
        min_piece: usize,
    ) -> (Result<Snapshot, PveError>, String) {
        let snapshot = self.snapshot(pieces, min_piece);
        let mut text = self.text;
        text.clear();
        (snapshot, text)
    }

    fn snapshot(&mut self, pieces: usize, min_piece: usize) -> Result<Snapshot, PveError> {
        // A character still cut at the end is invalid where it begins.
        let cut = (!self.carry.is_empty()).then_some(self.read.base + self.text.len());
        if let Some(at) = self.not_utf8_at.or(cut) {
            return Err(not_utf8(at));
        }
        let (read_before, started) = (self.read.pos, std::time::Instant::now());
        self.read.complete = true;
        let kept = self
            .read
            .rest(&mut self.text, pieces, min_piece, &self.beside);
        tracing::debug!(
            bytes = self.text.len(),
            read_before,
            parts = kept + 1,
            rest_us = started.elapsed().as_micros(),
            "guest listing read"
        );
        let read = std::mem::take(&mut self.read);
        if read.phase == (Phase::Tail { closed: true }) && read.pos == self.text.len() {
            return Ok(Snapshot::new(read.guests));
        }
        if read.base == 0 {
            return decode_whole(&self.text);
        }
        // Text was let go of, between entries after `{"data":[`: reading the whole
        // answer would have read the same entries, so what is left decides.
        let left = match read.phase {
            Phase::Members => after_data(&self.text, read.pos),
            _ => Err(read.pos),
        };
        match left {
            Ok(()) => Ok(Snapshot::new(read.guests)),
            Err(at) => Err(not_a_listing(read.base + at)),
        }
    }
}

/// Most parts a listing's rest is read in at once.
pub const MAX_PIECES: usize = 4;
/// Least a part read beside others is worth (in bytes: about 800 guests).
pub const MIN_PIECE: usize = 128 * 1024;

/// How many parts a listing is read in at once: one per processor, at most
/// [`MAX_PIECES`]. Asked once (the standard library reads the kernel's and the cgroup's
/// answers each time).
fn pieces() -> usize {
    static PIECES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *PIECES
        .get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get().min(MAX_PIECES)))
}
/// About how long an entry is, before any is read (Proxmox VE 8 and 9: 300 to 400
/// bytes).
const ENTRY_LEN: usize = 300;

impl Progress {
    /// Reads on while the text allows, up to `until` (the entry that begins before it
    /// is read whole); false when the text ends before.
    fn run(&mut self, text: &str, until: usize) -> bool {
        while self.reading() && self.pos < until {
            if !self.step(text) {
                return false;
            }
        }
        true
    }

    /// Reads what the text holds, in up to `pieces` parts side by side (the last stops
    /// where the text does, and reading resumes there when more arrives).
    ///
    /// Each later part begins where an entry seems to (after `},`), read as if
    /// it did. A part's reading is kept only when the reading before it, which is
    /// exact, ends exactly there, between two entries: from there on, reading depends
    /// on nothing but the text, so the part read alone is what reading straight through
    /// would have given. A part that is not kept, and all after it, are read again in
    /// order; a text that misleads the split (a name holding `},{`) costs time, never a
    /// different listing. Returns how many parts were kept.
    ///
    /// Each later part is read by whichever takes it first: its thread, or this one
    /// once done with its own part. On a virtual machine with two processors, a thread
    /// woken for its part began 0.1 to 0.7 ms later (its processor asleep, or shared
    /// with this thread), and two parts of a 3,000-guest listing took as long as
    /// reading it straight through.
    fn rest(
        &mut self,
        text: &mut String,
        pieces: usize,
        min_piece: usize,
        beside: &Beside,
    ) -> usize {
        while self.phase == Phase::Head && self.step(text) {}
        let starts = match self.phase {
            Phase::BeforeEntry { .. } | Phase::AfterEntry => {
                split_points(text, self.pos, pieces, min_piece)
            }
            _ => Vec::new(),
        };
        let Some(&first_end) = starts.first() else {
            self.run(text, usize::MAX);
            return 0;
        };
        let ends = starts.iter().skip(1).copied().chain([usize::MAX]);
        let between = Phase::BeforeEntry { first: false };
        // Each part's guests in a list of about the right size from the start (the
        // entries read so far tell how long one is): no list grows by copying.
        let entry_len = match self.guests.len() {
            0..16 => ENTRY_LEN,
            n => ((self.base + self.pos) / n).max(1),
        };
        // The text is shared with the parts' threads while they read, and taken back
        // once each has handed its reading back (having let go of the text first).
        let shared = Arc::new(std::mem::take(text));
        let running: Vec<(Claim, usize, Option<mpsc::Receiver<Progress>>)> = starts
            .iter()
            .zip(ends)
            .enumerate()
            .map(|(k, (&pos, end))| {
                let expected = (end.min(shared.len()) - pos) / entry_len;
                let part = Progress {
                    base: self.base,
                    pos,
                    phase: between,
                    complete: self.complete,
                    guests: Vec::with_capacity(expected + expected / 8 + 16),
                    ..Progress::default()
                };
                let claim: Claim = Arc::new(Mutex::new(Some((part, Arc::clone(&shared)))));
                let (done, read) = mpsc::sync_channel(1);
                let theirs = Arc::clone(&claim);
                let job = Box::new(move || {
                    if let Some((mut part, text)) = take(&theirs) {
                        part.run(&text, end);
                        drop(text);
                        let _ = done.send(part);
                    }
                });
                let read = beside.run(k, job).then_some(read);
                (claim, end, read)
            })
            .collect();
        self.run(&shared, first_end);
        // A part no thread has begun yet is read here (see above: why not wait).
        let mine: Vec<Option<Progress>> = running
            .iter()
            .map(|(claim, end, _)| {
                let (mut part, text) = take(claim)?;
                drop(text);
                part.run(&shared, *end);
                Some(part)
            })
            .collect();
        // A part whose thread is gone is not kept.
        let parts: Vec<Option<Progress>> = mine
            .into_iter()
            .zip(running)
            .map(|(mine, (_, _, read))| mine.or_else(|| read.and_then(|r| r.recv().ok())))
            .collect();
        // Shared still only when a part's thread ended without handing its reading back.
        *text = Arc::try_unwrap(shared).unwrap_or_else(|shared| String::clone(&shared));
        let mut kept = 0;
        let more: usize = parts.iter().flatten().map(|p| p.guests.len()).sum();
        self.guests.reserve_exact(more);
        for (start, part) in starts.into_iter().zip(parts) {
            match part {
                Some(part) if self.pos == start && self.phase == between => {
                    self.guests.extend(part.guests);
                    self.pos = part.pos;
                    self.phase = part.phase;
                    kept += 1;
                }
                _ => break,
            }
        }
        self.run(text, usize::MAX);
        kept
    }

    /// Whether entries or the tokens around them are still read as they come.
    fn reading(&self) -> bool {
        !matches!(self.phase, Phase::Whole | Phase::Members)
    }

    /// Advances by one token or entry; false when more bytes are needed.
    fn step(&mut self, text: &str) -> bool {
        let Some(&b) = text.as_bytes().get(self.pos) else {
            return false;
        };
        match self.phase {
            Phase::Head => {
                let head = &text.as_bytes()[..text.len().min(HEAD_MAX)];
                match match_head(head) {
                    HeadMatch::Matched(len) => {
                        self.pos = len;
                        self.phase = Phase::BeforeEntry { first: true };
                    }
                    HeadMatch::NeedMore => return false,
                    HeadMatch::Other => self.phase = Phase::Whole,
                }
            }
            _ if is_ws(b) => self.pos += 1,
            Phase::BeforeEntry { .. } if b == b'{' => return self.entry(text),
            Phase::BeforeEntry { first: true } | Phase::AfterEntry if b == b']' => {
                self.pos += 1;
                self.phase = Phase::Tail { closed: false };
            }
            Phase::AfterEntry if b == b',' => {
                self.pos += 1;
                self.phase = Phase::BeforeEntry { first: false };
            }
            Phase::Tail { closed: false } if b == b'}' => {
                self.pos += 1;
                self.phase = Phase::Tail { closed: true };
            }
            Phase::Tail { closed: false } if b == b',' => {
                self.pos += 1;
                self.phase = Phase::Members;
            }
            Phase::BeforeEntry { .. }
            | Phase::AfterEntry
            | Phase::Tail { .. }
            | Phase::Members
            | Phase::Whole => {
                self.phase = Phase::Whole;
            }
        }
        true
    }

    /// Reads the entry that begins at `pos`; false when its end has not arrived.
    fn entry(&mut self, text: &str) -> bool {
        match entry::read(text, self.pos, &mut self.shape) {
            Ok((entry, end)) => {
                self.guests.extend(self.interner.guest(entry));
                self.pos = end;
                self.phase = Phase::AfterEntry;
                true
            }
            Err(Stop::Incomplete) => false,
            Err(Stop::Invalid) if !self.complete => false,
            // The whole reading at the end says what is wrong with it.
            Err(Stop::Invalid) => {
                self.phase = Phase::Whole;
                true
            }
        }
    }
}

/// A part to read, with the text it is read from, until a thread takes it: the first
/// to take it reads it.
type Claim = Arc<Mutex<Option<(Progress, Arc<String>)>>>;

/// The part `claim` holds, unless a thread took it first.
fn take(claim: &Claim) -> Option<(Progress, Arc<String>)> {
    claim.lock().unwrap_or_else(|e| e.into_inner()).take()
}

/// Where the later of up to `pieces` equal parts of `text[from..]` begin: each at the
/// first `{` after a `},` past its share's start. None when a part would be shorter
/// than `min_piece`.
fn split_points(text: &str, from: usize, pieces: usize, min_piece: usize) -> Vec<usize> {
    let left = text.len().saturating_sub(from);
    let n = pieces.min(left / min_piece.max(1));
    let finder = memchr::memmem::Finder::new(b"},{");
    let mut starts: Vec<usize> = Vec::new();
    for k in 1..n {
        let share = from + left / n * k;
        let after = starts.last().map_or(share, |&last| share.max(last + 1));
        if let Some(i) = text.as_bytes().get(after..).and_then(|b| finder.find(b)) {
            starts.push(after + i + 2);
        }
    }
    starts
}

/// Decodes a `/cluster/resources?type=vm` answer (`{"data": [...]}`) whole.
pub fn decode(body: &[u8]) -> Result<Snapshot, PveError> {
    let text = std::str::from_utf8(body).map_err(|e| not_utf8(e.valid_up_to()))?;
    decode_whole(text)
}

fn not_utf8(at: usize) -> PveError {
    PveError::Decode(format!("the answer is not UTF-8 (at byte {at})"))
}

fn not_a_listing(at: usize) -> PveError {
    PveError::Decode(format!(
        "the guest listing is not a list of resources (at byte {at})"
    ))
}

/// What may follow the data after `],` (from `at`): other members, then `}` and
/// whitespace, as [`decode_whole`] reads them (`data` again is refused). `Err` says at
/// which byte it failed.
fn after_data(text: &str, at: usize) -> Result<(), usize> {
    let mut r = Reader::new(text, at);
    let read = r
        .ws()
        .and_then(|()| more_members(&mut r, true, &mut |_| {}));
    let data = read.map_err(|_| r.at())?;
    ends(&r, data)
}

/// Reads a whole answer: an object whose `data` member (once) is a list of entries
/// (objects, each read by [`entry`]), other members any JSON value, whitespace around
/// tokens.
fn decode_whole(text: &str) -> Result<Snapshot, PveError> {
    let mut interner = Interner::default();
    let mut guests = Vec::new();
    let read = document(text, |entry| guests.extend(interner.guest(entry)));
    match read {
        Ok(()) => Ok(Snapshot::new(guests)),
        Err(at) => Err(not_a_listing(at)),
    }
}

/// The answer's members and the `data` entries; `Err` says at which byte it failed.
fn document<'a>(text: &'a str, mut each: impl FnMut(entry::Entry<'a>)) -> Result<(), usize> {
    let mut r = Reader::new(text, 0);
    let data = members(&mut r, &mut each).map_err(|_| r.at())?;
    ends(&r, data)
}

/// After the answer's last `}`: only whitespace, and there must have been a `data`.
fn ends(r: &Reader<'_>, data: bool) -> Result<(), usize> {
    let text = r.text();
    let rest = text.as_bytes().get(r.at()..).unwrap_or_default();
    if !rest.iter().all(|&b| is_ws(b)) {
        return Err(r.at());
    }
    if !data {
        return Err(text.len());
    }
    Ok(())
}

/// `{` members `}`, with whitespace before; whether one was `data`.
fn members<'a>(r: &mut Reader<'a>, each: &mut impl FnMut(entry::Entry<'a>)) -> Result<bool, Stop> {
    r.ws()?;
    r.expect(b'{')?;
    r.ws()?;
    if r.peek()? == b'}' {
        r.expect(b'}')?;
        return Ok(false);
    }
    more_members(r, false, each)
}

/// Members up to and with the object's `}`, from the next member's name; `data`
/// tells whether one was already read (then another is refused). Whether one was.
fn more_members<'a>(
    r: &mut Reader<'a>,
    mut data: bool,
    each: &mut impl FnMut(entry::Entry<'a>),
) -> Result<bool, Stop> {
    loop {
        let name = r.member_name()?;
        if name == "data" {
            if std::mem::replace(&mut data, true) {
                return Err(Stop::Invalid);
            }
            entries(r, each)?;
        } else {
            r.skip_value()?;
        }
        r.ws()?;
        match r.bump()? {
            b',' => r.ws()?,
            b'}' => return Ok(data),
            _ => return Err(Stop::Invalid),
        }
    }
}

/// `[` entries `]`, each an object.
fn entries<'a>(r: &mut Reader<'a>, each: &mut impl FnMut(entry::Entry<'a>)) -> Result<(), Stop> {
    r.expect(b'[')?;
    r.ws()?;
    if r.peek()? == b']' {
        return r.expect(b']');
    }
    let mut shape = entry::Shape::default();
    loop {
        if r.peek()? != b'{' {
            return Err(Stop::Invalid);
        }
        let (entry, end) = entry::read(r.text(), r.at(), &mut shape)?;
        each(entry);
        r.seek(end);
        r.ws()?;
        match r.bump()? {
            b',' => r.ws()?,
            b']' => return Ok(()),
            _ => return Err(Stop::Invalid),
        }
    }
}

impl BodySink for ListingDecoder {
    fn announced(&mut self, len: usize) {
        let len = len.min(MAX_BODY);
        self.text.reserve(len.saturating_sub(self.text.len()));
        // The guests' list at about its size (fitted once read): it does not grow by
        // copying itself.
        self.read.guests.reserve_exact(len / ENTRY_LEN);
    }

    fn chunk(&mut self, bytes: bytes::Bytes) {
        self.feed(&bytes);
    }
}

pub mod background;
pub mod beside;
#[cfg(test)]
mod tests;
