//! Reading one entry of a `/cluster/resources` answer straight from its text: the
//! members a guest's scope, the listing's filters and counts, and its summary need
//! ([`read`]: borrowed text, decoded only when it holds escapes), and a check that the
//! others are JSON. An entry as Proxmox writes them is read in one pass of our own
//! ([`plain`]); any other, and any the pass gives up on, by serde_json ([`read_any`]),
//! which reads the plain ones the same way. The text around the entries, which only
//! the reading of an answer of an unusual shape looks at, is read by [`Reader`].
//!
//! What an entry may be: a JSON object; `type` a string; `node`, `status`, `pool`,
//! `tags`, `name`, `lock` strings or null; `vmid`, `template`, `cpu`, `maxcpu`, `mem`,
//! `maxmem`, `uptime` numbers, numeric strings, booleans or null ([`Num`]); no member of
//! these twice; any other member any JSON value. Anything else is refused, and with it
//! the whole listing.
//!
//! Trust: the text is Proxmox's, unvalidated until read here. Strings holding an
//! escape are decoded by serde_json; numbers that could overflow are parsed to make
//! sure they do not.

use super::Num;
pub use plain::Shape;
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

/// What an entry says of a guest: everything a listing keeps of it.
#[derive(Debug, Default, Deserialize)]
pub struct Entry<'a> {
    #[serde(rename = "type", borrow)]
    pub kind: Cow<'a, str>,
    pub vmid: Option<Num>,
    #[serde(borrow)]
    pub node: Option<Text<'a>>,
    #[serde(borrow)]
    pub status: Option<Text<'a>>,
    #[serde(borrow)]
    pub pool: Option<Text<'a>>,
    #[serde(borrow)]
    pub tags: Option<Text<'a>>,
    #[serde(borrow)]
    pub name: Option<Text<'a>>,
    #[serde(borrow)]
    pub lock: Option<Text<'a>>,
    pub template: Option<Num>,
    pub cpu: Option<Num>,
    pub maxcpu: Option<Num>,
    pub mem: Option<Num>,
    pub maxmem: Option<Num>,
    pub uptime: Option<Num>,
}

/// A string of the entry: borrowed from the text, decoded (owned) only when it holds
/// escapes. (serde borrows a `Cow` field only when it is not inside an `Option`: an
/// `Option<Cow<str>>` would copy every string.)
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Text<'a>(pub Cow<'a, str>);

impl std::ops::Deref for Text<'_> {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// Reads the entry that starts at `start` (its `{`); returns it and where the entry
/// ends. An entry written plainly, as Proxmox writes them, is read by [`plain`]
/// (`shape`: what the entries before it looked like), any other by [`read_any`].
pub fn read<'a>(
    text: &'a str,
    start: usize,
    shape: &mut Shape,
) -> Result<(Entry<'a>, usize), Stop> {
    match plain::read(text, start, shape) {
        Some(read) => Ok(read),
        None => read_any(text, start),
    }
}

/// Reads the entry that starts at `start` (its `{`) with serde_json, whatever its
/// form: it and where it ends.
pub fn read_any(text: &str, start: usize) -> Result<(Entry<'_>, usize), Stop> {
    let rest = text.get(start..).ok_or(Stop::Invalid)?;
    // An object: serde would read a struct from a list too.
    if !rest.starts_with('{') {
        return Err(if rest.is_empty() {
            Stop::Incomplete
        } else {
            Stop::Invalid
        });
    }
    let mut stream = serde_json::Deserializer::from_str(rest).into_iter::<Entry<'_>>();
    match stream.next() {
        Some(Ok(entry)) => Ok((entry, start + stream.byte_offset())),
        Some(Err(e)) if e.is_eof() => Err(Stop::Incomplete),
        Some(Err(_)) | None => Err(Stop::Invalid),
    }
}

/// The string whose contents are `text[from..to]` (escapes included), decoded by
/// serde_json; `None` when an escape is not valid JSON (or names a lone surrogate).
fn unescape(text: &str, from: usize, to: usize) -> Option<String> {
    let quoted = text.get(from.checked_sub(1)?..to + 1)?;
    serde_json::from_str::<String>(quoted).ok()
}

/// A position in a JSON text, and the steps of reading it: the reading of a whole
/// answer, around its entries.
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

pub mod plain;
#[cfg(test)]
mod tests;
