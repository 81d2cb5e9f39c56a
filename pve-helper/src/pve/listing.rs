//! Reading a `/cluster/resources` answer while it arrives. The `data` array's entries
//! are read and validated one by one as their bytes come in ([`entry`]: only what
//! scope, filters and counts need is kept of each), so little is left to do when the
//! last byte is in: on a 3,000-guest cluster most of the reading happens while
//! Proxmox is still sending.
//!
//! An entry cut short by the end of the bytes so far is read again when more arrive.
//! An answer of any other shape than `{"data":[{..},..]}` (other members, an entry that
//! did not read, anything unexpected) is read whole at the end ([`decode_whole`]), as
//! [`Snapshot::decode`] does. Both ways therefore accept the same answers and produce
//! the same guests (one [`Interner`] validates each entry, and escapes its pool and
//! tags, for both); a test and a fuzz target check it.
//!
//! Trust: the bytes are Proxmox's and unvalidated until [`entry`] has read them.

use super::resources::{
    Guest, Interner, Snapshot,
    entry::{self, Reader, Stop},
};
use super::{BodySink, MAX_BODY, PveError};

/// Incremental decoder of one listing; feed it the body's chunks, then [`finish`].
///
/// [`finish`]: ListingDecoder::finish
#[derive(Debug, Default)]
pub struct ListingDecoder {
    /// The answer so far, up to its last whole character.
    text: String,
    /// The first bytes of a character cut by the end of the last chunk.
    carry: Vec<u8>,
    /// Where the answer stopped being UTF-8 (it is then refused, as whole).
    not_utf8_at: Option<usize>,
    /// Where decoding resumes in `text`.
    pos: usize,
    phase: Phase,
    interner: Interner,
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
    /// A decoder writing the answer into `buffer` (emptied first; its memory reused).
    pub fn with_buffer(mut buffer: String) -> Self {
        buffer.clear();
        Self {
            text: buffer,
            ..Self::default()
        }
    }

    /// Takes the next bytes of the answer and decodes every entry they complete.
    pub fn feed(&mut self, chunk: &[u8]) {
        self.append(chunk);
        while self.phase != Phase::Whole && self.step() {}
    }

    /// Appends the chunk's whole characters to `text`, keeping a cut one for later.
    fn append(&mut self, mut chunk: &[u8]) {
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
                    self.not_utf8_at = Some(self.text.len());
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
                    Some(_) => self.not_utf8_at = Some(self.text.len()),
                }
            }
        }
    }

    /// Advances by one token or entry; false when more bytes are needed.
    fn step(&mut self) -> bool {
        let Some(&b) = self.text.as_bytes().get(self.pos) else {
            return false;
        };
        match self.phase {
            Phase::Head => {
                let head = &self.text.as_bytes()[..self.text.len().min(HEAD_MAX)];
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
            Phase::BeforeEntry { .. } if b == b'{' => return self.entry(),
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
            Phase::BeforeEntry { .. } | Phase::AfterEntry | Phase::Tail { .. } | Phase::Whole => {
                self.phase = Phase::Whole;
            }
        }
        true
    }

    /// Reads the entry that begins at `pos`; false when its end has not arrived.
    fn entry(&mut self) -> bool {
        match entry::scope(&self.text, self.pos) {
            Ok((scope, end)) => {
                self.guests.extend(self.interner.guest(scope, self.pos));
                self.pos = end;
                self.phase = Phase::AfterEntry;
                true
            }
            Err(Stop::Incomplete) => false,
            // The whole reading at the end says what is wrong with it.
            Err(Stop::Invalid) => {
                self.phase = Phase::Whole;
                true
            }
        }
    }

    /// The listing, once the whole answer has been fed.
    pub fn finish(self) -> Result<Snapshot, PveError> {
        // A character still cut at the end is invalid where it begins.
        let cut = (!self.carry.is_empty()).then_some(self.text.len());
        if let Some(at) = self.not_utf8_at.or(cut) {
            return Err(PveError::Decode(format!(
                "the answer is not UTF-8 (at byte {at})"
            )));
        }
        if self.phase == (Phase::Tail { closed: true }) && self.pos == self.text.len() {
            return Ok(Snapshot::new(self.text, self.guests));
        }
        decode_whole(self.text)
    }
}

/// Reads a whole answer: an object whose `data` member (once) is a list of entries
/// (objects, each read by [`entry`]), other members any JSON value, whitespace around
/// tokens.
pub(super) fn decode_whole(text: String) -> Result<Snapshot, PveError> {
    let mut interner = Interner::default();
    let mut guests = Vec::new();
    let read = document(&text, |scope, at| guests.extend(interner.guest(scope, at)));
    match read {
        Ok(()) => Ok(Snapshot::new(text, guests)),
        Err(at) => Err(PveError::Decode(format!(
            "the guest listing is not a list of resources (at byte {at})"
        ))),
    }
}

/// The answer's members and the `data` entries; `Err` says at which byte it failed.
fn document<'a>(text: &'a str, mut each: impl FnMut(entry::Scope<'a>, usize)) -> Result<(), usize> {
    let mut r = Reader::new(text, 0);
    let data = members(&mut r, &mut each).map_err(|_| r.at())?;
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
fn members<'a>(
    r: &mut Reader<'a>,
    each: &mut impl FnMut(entry::Scope<'a>, usize),
) -> Result<bool, Stop> {
    let mut data = false;
    r.ws()?;
    r.expect(b'{')?;
    r.ws()?;
    if r.peek()? == b'}' {
        r.expect(b'}')?;
        return Ok(data);
    }
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
fn entries<'a>(
    r: &mut Reader<'a>,
    each: &mut impl FnMut(entry::Scope<'a>, usize),
) -> Result<(), Stop> {
    r.expect(b'[')?;
    r.ws()?;
    if r.peek()? == b']' {
        return r.expect(b']');
    }
    loop {
        if r.peek()? != b'{' {
            return Err(Stop::Invalid);
        }
        let start = r.at();
        let (scope, end) = entry::scope(r.text(), start)?;
        each(scope, start);
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
        self.text
            .reserve(len.min(MAX_BODY).saturating_sub(self.text.len()));
    }

    fn chunk(&mut self, bytes: &[u8]) {
        self.feed(bytes);
    }
}

#[cfg(test)]
mod tests;
