//! Reading one entry of a `/cluster/resources` answer straight from its text: for every
//! guest, only what its scope, the listing's filters and its counts need ([`scope`]:
//! serde_json reads the entry, keeping borrowed text and nothing else); the rest
//! ([`detail`]: name, lock, figures) only for the guests an answer carries, by a reader
//! of our own over the same text ([`Reader`], which the listing's whole reading also
//! uses for the answer around the entries).
//!
//! Both readings refuse the same entries but in corner cases the details' reader alone
//! refuses (nesting beyond [`MAX_DEPTH`], a member we do not keep named twice): such a
//! guest is listed without its details. What they accept: a JSON object; `type` a
//! string; `node`, `status`, `pool`, `tags`, `name`, `lock` strings or null; `vmid`,
//! `template`, `cpu`, `maxcpu`, `mem`, `maxmem`, `uptime` numbers, numeric strings,
//! booleans or null ([`Num`]); any other member any JSON value. Anything else is
//! refused, and with it the whole listing.
//!
//! Trust: the text is Proxmox's, unvalidated until read here. Strings holding an
//! escape are decoded by serde_json; numbers that could overflow are parsed to make
//! sure they do not.

use super::Num;
use serde::Deserialize;
use std::borrow::Cow;

/// How deep arrays and objects may nest inside an entry (serde_json's own limit is 128).
pub const MAX_DEPTH: u32 = 100;

/// Why an entry could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// The text ended before the entry did: more may come.
    Incomplete,
    /// Not an entry we accept, whatever follows.
    Invalid,
}

/// What a guest's scope, the filters and the counts need.
#[derive(Debug, Default)]
pub struct Scope<'a> {
    pub kind: Option<Cow<'a, str>>,
    pub vmid: Option<Num>,
    pub node: Option<Cow<'a, str>>,
    pub status: Option<Cow<'a, str>>,
    pub pool: Option<Cow<'a, str>>,
    pub tags: Option<Cow<'a, str>>,
}

/// The rest of a guest, for the guests an answer carries.
#[derive(Debug, Default)]
pub struct Detail<'a> {
    pub name: Option<Cow<'a, str>>,
    pub lock: Option<Cow<'a, str>>,
    pub template: Option<Num>,
    pub cpu: Num,
    pub maxcpu: Num,
    pub mem: Num,
    pub maxmem: Num,
    pub uptime: Num,
}

/// The members we know, each allowed once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Type,
    Vmid,
    Node,
    Status,
    Pool,
    Tags,
    Name,
    Lock,
    Template,
    Cpu,
    Maxcpu,
    Mem,
    Maxmem,
    Uptime,
}

impl Key {
    fn of(name: &[u8]) -> Option<Key> {
        // Most names are of members we skip: tell them apart by length and first byte
        // before comparing.
        let maybe = matches!(
            (name.len(), name.first()),
            (3, Some(b'c' | b'm'))
                | (4, Some(b't' | b'v' | b'n' | b'p' | b'l'))
                | (6, Some(b's' | b'm' | b'u'))
                | (8, Some(b't'))
        );
        if !maybe {
            return None;
        }
        Some(match name {
            b"type" => Key::Type,
            b"vmid" => Key::Vmid,
            b"node" => Key::Node,
            b"status" => Key::Status,
            b"pool" => Key::Pool,
            b"tags" => Key::Tags,
            b"name" => Key::Name,
            b"lock" => Key::Lock,
            b"template" => Key::Template,
            b"cpu" => Key::Cpu,
            b"maxcpu" => Key::Maxcpu,
            b"mem" => Key::Mem,
            b"maxmem" => Key::Maxmem,
            b"uptime" => Key::Uptime,
            _ => return None,
        })
    }

    fn is_text(self) -> bool {
        matches!(
            self,
            Key::Type | Key::Node | Key::Status | Key::Pool | Key::Tags | Key::Name | Key::Lock
        )
    }
}

/// Every member of an entry we know, as serde_json reads them: borrowed text (decoded
/// only when it holds escapes), numbers as [`Num`], any other member skipped (still
/// checked to be JSON). Reading the details' members too (without keeping them) keeps
/// their types and the rule of no member twice the same for both readings.
#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct Fields<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    vmid: Option<Num>,
    #[serde(borrow)]
    node: Option<Cow<'a, str>>,
    #[serde(borrow)]
    status: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pool: Option<Cow<'a, str>>,
    #[serde(borrow)]
    tags: Option<Cow<'a, str>>,
    #[serde(borrow)]
    name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    lock: Option<Cow<'a, str>>,
    template: Option<Num>,
    cpu: Option<Num>,
    maxcpu: Option<Num>,
    mem: Option<Num>,
    maxmem: Option<Num>,
    uptime: Option<Num>,
}

/// Reads the entry that starts at `start` (its `{`) for its scope; returns it and where
/// the entry ends. Read by serde_json, which is faster at this than [`read`]: every
/// guest passes here, and only the guests an answer carries pass [`detail`].
pub fn scope(text: &str, start: usize) -> Result<(Scope<'_>, usize), Stop> {
    let rest = text.get(start..).ok_or(Stop::Invalid)?;
    // An object: serde would read a struct from a list too.
    if !rest.starts_with('{') {
        return Err(if rest.is_empty() {
            Stop::Incomplete
        } else {
            Stop::Invalid
        });
    }
    let mut stream = serde_json::Deserializer::from_str(rest).into_iter::<Fields<'_>>();
    match stream.next() {
        Some(Ok(f)) => Ok((
            Scope {
                kind: Some(f.kind),
                vmid: f.vmid,
                node: f.node,
                status: f.status,
                pool: f.pool,
                tags: f.tags,
            },
            start + stream.byte_offset(),
        )),
        Some(Err(e)) if e.is_eof() => Err(Stop::Incomplete),
        Some(Err(_)) | None => Err(Stop::Invalid),
    }
}

/// Reads the entry that starts at `start` for its details.
pub fn detail(text: &str, start: usize) -> Result<Detail<'_>, Stop> {
    let mut d = Detail::default();
    read(text, start, |key, value| match key {
        Key::Name => d.name = value.text(),
        Key::Lock => d.lock = value.text(),
        Key::Template => d.template = value.num(),
        Key::Cpu => d.cpu = value.num().unwrap_or_default(),
        Key::Maxcpu => d.maxcpu = value.num().unwrap_or_default(),
        Key::Mem => d.mem = value.num().unwrap_or_default(),
        Key::Maxmem => d.maxmem = value.num().unwrap_or_default(),
        Key::Uptime => d.uptime = value.num().unwrap_or_default(),
        _ => {}
    })?;
    Ok(d)
}

/// A value of a member we know, read lazily: what is not asked for is only validated.
#[derive(Debug)]
struct Value<'a> {
    text: &'a str,
    token: Token,
}

#[derive(Debug, Clone, Copy)]
enum Token {
    Null,
    Bool(bool),
    /// A number's text, from..to.
    Number(usize, usize),
    /// A string's contents (quotes excluded), from..to, and whether it holds escapes.
    Str(usize, usize, bool),
}

impl<'a> Value<'a> {
    /// A string (or null): borrowed, or decoded when it holds escapes.
    fn text(&self) -> Option<Cow<'a, str>> {
        match self.token {
            Token::Str(from, to, false) => self.text.get(from..to).map(Cow::Borrowed),
            Token::Str(from, to, true) => unescape(self.text, from, to).map(Cow::Owned),
            _ => None,
        }
    }

    /// A [`Num`] (`None` for null), as serde read one.
    fn num(&self) -> Option<Num> {
        match self.token {
            Token::Null => None,
            Token::Bool(b) => Some(Num(if b { 1.0 } else { 0.0 })),
            Token::Number(from, to) => Some(Num(self
                .text
                .get(from..to)
                .and_then(|n| n.parse().ok())
                .unwrap_or(0.0))),
            Token::Str(..) => Some(Num(self
                .text()
                .and_then(|s| s.trim().parse().ok())
                .unwrap_or(0.0))),
        }
    }
}

/// The string whose contents are `text[from..to]` (escapes included), decoded by
/// serde_json; `None` when an escape is not valid JSON (or names a lone surrogate).
fn unescape(text: &str, from: usize, to: usize) -> Option<String> {
    let quoted = text.get(from.checked_sub(1)?..to + 1)?;
    serde_json::from_str::<String>(quoted).ok()
}

/// Reads the object at `start`, handing each member we know to `visit`; returns where
/// it ends.
fn read<'a>(
    text: &'a str,
    start: usize,
    mut visit: impl FnMut(Key, Value<'a>),
) -> Result<usize, Stop> {
    let mut r = Reader::new(text, start);
    r.expect(b'{')?;
    r.ws()?;
    if r.peek()? == b'}' {
        r.i += 1;
        return Ok(r.i);
    }
    let mut seen = 0u32;
    loop {
        let key = r.key()?;
        r.ws()?;
        r.expect(b':')?;
        r.ws()?;
        match key {
            Some(key) => {
                let bit = 1 << key as u32;
                if seen & bit != 0 {
                    return Err(Stop::Invalid);
                }
                seen |= bit;
                let token = r.known_value(key)?;
                visit(key, Value { text, token });
            }
            None => r.skip_value()?,
        }
        r.ws()?;
        match r.bump()? {
            b',' => r.ws()?,
            b'}' => return Ok(r.i),
            _ => return Err(Stop::Invalid),
        }
    }
}

/// A position in a JSON text, and the steps of reading it: what [`read`] and the
/// listing's whole reading share.
#[derive(Debug)]
pub struct Reader<'a> {
    text: &'a str,
    b: &'a [u8],
    i: usize,
}

impl<'a> Reader<'a> {
    pub fn new(text: &'a str, at: usize) -> Self {
        Self {
            text,
            b: text.as_bytes(),
            i: at,
        }
    }

    pub fn text(&self) -> &'a str {
        self.text
    }

    /// Where the reader is.
    pub fn at(&self) -> usize {
        self.i
    }

    pub fn seek(&mut self, at: usize) {
        self.i = at;
    }

    pub fn peek(&self) -> Result<u8, Stop> {
        self.b.get(self.i).copied().ok_or(Stop::Incomplete)
    }

    pub fn bump(&mut self) -> Result<u8, Stop> {
        let b = self.peek()?;
        self.i += 1;
        Ok(b)
    }

    pub fn expect(&mut self, want: u8) -> Result<(), Stop> {
        if self.bump()? == want {
            Ok(())
        } else {
            Err(Stop::Invalid)
        }
    }

    /// Skips whitespace; more text must follow.
    pub fn ws(&mut self) -> Result<(), Stop> {
        while matches!(self.peek()?, b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
        Ok(())
    }

    /// A string at `i` (its `"`): its contents from..to, and whether it holds escapes,
    /// which serde_json then validates.
    fn string(&mut self) -> Result<(usize, usize, bool), Stop> {
        self.expect(b'"')?;
        let from = self.i;
        let mut escaped = false;
        loop {
            // The next quote or backslash (memchr looks at many bytes at a time); the
            // run before it must hold no control character.
            let rest = self.b.get(self.i..).unwrap_or_default();
            let plain = memchr::memchr2(b'"', b'\\', rest).ok_or(Stop::Incomplete)?;
            let control = rest[..plain].iter().fold(false, |any, &c| any | (c < 0x20));
            if control {
                return Err(Stop::Invalid);
            }
            self.i += plain;
            match self.bump()? {
                b'"' => break,
                _ => {
                    escaped = true;
                    // The escaped character; `\u` digits are plain and checked below.
                    self.bump()?;
                }
            }
        }
        let to = self.i - 1;
        if escaped && unescape(self.text, from, to).is_none() {
            return Err(Stop::Invalid);
        }
        Ok((from, to, escaped))
    }

    /// A member's name: the key it is, if we know it.
    fn key(&mut self) -> Result<Option<Key>, Stop> {
        let (from, to, escaped) = self.string()?;
        Ok(match escaped {
            false => self.b.get(from..to).and_then(Key::of),
            true => unescape(self.text, from, to).and_then(|name| Key::of(name.as_bytes())),
        })
    }

    /// A number: its text from..to. Refused when it does not fit an `f64`.
    fn number(&mut self) -> Result<(usize, usize), Stop> {
        let from = self.i;
        if self.peek()? == b'-' {
            self.i += 1;
        }
        match self.bump()? {
            b'0' => {}
            b'1'..=b'9' => self.digits()?,
            _ => return Err(Stop::Invalid),
        }
        let mut exponent = false;
        if self.peek()? == b'.' {
            self.i += 1;
            self.first_digit()?;
            self.digits()?;
        }
        if matches!(self.peek()?, b'e' | b'E') {
            exponent = true;
            self.i += 1;
            if matches!(self.peek()?, b'+' | b'-') {
                self.i += 1;
            }
            self.first_digit()?;
            self.digits()?;
        }
        let to = self.i;
        // Without an exponent, 300 characters stay far below f64::MAX.
        if exponent || to - from > 300 {
            let finite = self.text[from..to].parse::<f64>().is_ok_and(f64::is_finite);
            if !finite {
                return Err(Stop::Invalid);
            }
        }
        Ok((from, to))
    }

    fn first_digit(&mut self) -> Result<(), Stop> {
        match self.bump()? {
            b'0'..=b'9' => Ok(()),
            _ => Err(Stop::Invalid),
        }
    }

    /// Digits up to the first other byte (which must be there).
    fn digits(&mut self) -> Result<(), Stop> {
        let rest = self.b.get(self.i..).unwrap_or_default();
        let n = rest
            .iter()
            .position(|c| !c.is_ascii_digit())
            .ok_or(Stop::Incomplete)?;
        self.i += n;
        Ok(())
    }

    fn literal(&mut self, word: &[u8]) -> Result<(), Stop> {
        for &w in word {
            if self.bump()? != w {
                return Err(Stop::Invalid);
            }
        }
        Ok(())
    }

    /// The value of a member we know, of the type that member takes.
    fn known_value(&mut self, key: Key) -> Result<Token, Stop> {
        let token = match self.peek()? {
            b'"' => {
                let (from, to, escaped) = self.string()?;
                Token::Str(from, to, escaped)
            }
            b'n' => {
                self.literal(b"null")?;
                Token::Null
            }
            b't' => {
                self.literal(b"true")?;
                Token::Bool(true)
            }
            b'f' => {
                self.literal(b"false")?;
                Token::Bool(false)
            }
            b'-' | b'0'..=b'9' => {
                let (from, to) = self.number()?;
                Token::Number(from, to)
            }
            _ => return Err(Stop::Invalid),
        };
        let fits = match (key.is_text(), token) {
            // `type` is a string; the other text members may also be null.
            (true, Token::Str(..)) => true,
            (true, Token::Null) => key != Key::Type,
            (true, _) => false,
            (false, _) => true,
        };
        if fits { Ok(token) } else { Err(Stop::Invalid) }
    }

    /// Any JSON value, nested at most [`MAX_DEPTH`] deep.
    pub fn skip_value(&mut self) -> Result<(), Stop> {
        // One bit per open container: set for an object, clear for an array.
        let mut objects: u128 = 0;
        let mut depth = 0u32;
        loop {
            // A value.
            match self.peek()? {
                open @ (b'{' | b'[') => {
                    if depth == MAX_DEPTH {
                        return Err(Stop::Invalid);
                    }
                    self.i += 1;
                    self.ws()?;
                    let close = if open == b'{' { b'}' } else { b']' };
                    if self.peek()? == close {
                        self.i += 1;
                    } else {
                        objects = (objects << 1) | u128::from(open == b'{');
                        depth += 1;
                        if open == b'{' {
                            drop(self.member_name()?);
                        }
                        continue;
                    }
                }
                b'"' => drop(self.string()?),
                b'-' | b'0'..=b'9' => drop(self.number()?),
                b't' => self.literal(b"true")?,
                b'f' => self.literal(b"false")?,
                b'n' => self.literal(b"null")?,
                _ => return Err(Stop::Invalid),
            }
            // After a value: close what ends here, or go on to the next value.
            loop {
                if depth == 0 {
                    return Ok(());
                }
                self.ws()?;
                let in_object = objects & 1 == 1;
                match (self.bump()?, in_object) {
                    (b',', true) => {
                        self.ws()?;
                        drop(self.member_name()?);
                        break;
                    }
                    (b',', false) => {
                        self.ws()?;
                        break;
                    }
                    (b'}', true) | (b']', false) => {
                        objects >>= 1;
                        depth -= 1;
                    }
                    _ => return Err(Stop::Invalid),
                }
            }
        }
    }

    /// `"name" :` and the whitespace up to the value: the name, decoded.
    pub fn member_name(&mut self) -> Result<Cow<'a, str>, Stop> {
        let (from, to, escaped) = self.string()?;
        let name = match escaped {
            false => Cow::Borrowed(self.text.get(from..to).ok_or(Stop::Invalid)?),
            true => Cow::Owned(unescape(self.text, from, to).ok_or(Stop::Invalid)?),
        };
        self.ws()?;
        self.expect(b':')?;
        self.ws()?;
        Ok(name)
    }
}

#[cfg(test)]
mod tests;
