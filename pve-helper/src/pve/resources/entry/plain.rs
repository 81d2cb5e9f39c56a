//! The quick way through an entry written as Proxmox writes it: no whitespace, no
//! escapes, members that are strings, numbers or literals. [`read`] reads such an entry
//! in one pass, finding each member's name where the entry before had it ([`Shape`]),
//! and gives up (`None`) at the first thing of any other kind, or at the end of the
//! text: the entry is then read from its start by serde_json ([`super::read_any`]),
//! which says what is wrong with it, if anything is.
//!
//! What it accepts, it reads as serde_json reads it: the same members, the same strings
//! (borrowed), the same numbers to the bit ([`number`]), a member of an entry twice
//! refused by giving up. Tests and the `listing` fuzz target compare the two on every
//! entry they read.

use super::{Entry, Num, Text};
use std::borrow::Cow;

/// The member names of the entries read so far, by place (the last one seen at each
/// place), each with its field: an entry of the same kind has them in the same
/// places, and a name is then checked with one comparison instead of read and looked
/// up.
#[derive(Debug, Default)]
pub struct Shape {
    names: Vec<Known>,
}

/// A member's name as it begins a member: `"name":`, at most [`PATTERN`] bytes.
#[derive(Debug, Clone, Copy)]
struct Known {
    pattern: u128,
    mask: u128,
    len: usize,
    field: Field,
}

/// The most names a [`Shape`] keeps (Proxmox's entries have about 25 members).
const MAX_NAMES: usize = 64;

/// The most bytes of `"name":` a [`Known`] holds.
const PATTERN: usize = 16;

/// The members an [`Entry`] keeps, and any other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Kind,
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
    Other,
}

impl Field {
    fn of(name: &[u8]) -> Self {
        match name {
            b"type" => Self::Kind,
            b"vmid" => Self::Vmid,
            b"node" => Self::Node,
            b"status" => Self::Status,
            b"pool" => Self::Pool,
            b"tags" => Self::Tags,
            b"name" => Self::Name,
            b"lock" => Self::Lock,
            b"template" => Self::Template,
            b"cpu" => Self::Cpu,
            b"maxcpu" => Self::Maxcpu,
            b"mem" => Self::Mem,
            b"maxmem" => Self::Maxmem,
            b"uptime" => Self::Uptime,
            _ => Self::Other,
        }
    }
}

/// Reads the entry that starts at `start` (its `{`) when it is plain through and
/// through: the entry and where it ends. `None` otherwise, whatever the reason.
pub fn read<'a>(text: &'a str, start: usize, shape: &mut Shape) -> Option<(Entry<'a>, usize)> {
    let b = text.as_bytes();
    if b.get(start) != Some(&b'{') {
        return None;
    }
    let mut entry = Entry::default();
    // One bit per kept field seen: serde refuses a field twice, and an entry without
    // `type`.
    let mut seen = 0u16;
    let mut i = start + 1;
    for k in 0.. {
        let (field, at) = match shape.names.get(k).and_then(|n| n.at(b, i)) {
            Some(hit) => hit,
            None => {
                let (field, known, at) = Known::read(b, i)?;
                // A name too long to keep leaves the shape as it was.
                if let Some(known) = known {
                    if let Some(slot) = shape.names.get_mut(k) {
                        *slot = known;
                    } else if shape.names.len() == k && k < MAX_NAMES {
                        shape.names.push(known);
                    }
                }
                (field, at)
            }
        };
        i = at;
        if field != Field::Other {
            let bit = 1 << field as u16;
            if seen & bit != 0 {
                return None;
            }
            seen |= bit;
        }
        i = match field {
            Field::Kind => {
                let (s, end) = string(b, i)?;
                entry.kind = Cow::Borrowed(text.get(s..end)?);
                end + 1
            }
            Field::Node => text_or_null(text, i, &mut entry.node)?,
            Field::Status => text_or_null(text, i, &mut entry.status)?,
            Field::Pool => text_or_null(text, i, &mut entry.pool)?,
            Field::Tags => text_or_null(text, i, &mut entry.tags)?,
            Field::Name => text_or_null(text, i, &mut entry.name)?,
            Field::Lock => text_or_null(text, i, &mut entry.lock)?,
            Field::Vmid => num_or_null(b, i, &mut entry.vmid)?,
            Field::Template => num_or_null(b, i, &mut entry.template)?,
            Field::Cpu => num_or_null(b, i, &mut entry.cpu)?,
            Field::Maxcpu => num_or_null(b, i, &mut entry.maxcpu)?,
            Field::Mem => num_or_null(b, i, &mut entry.mem)?,
            Field::Maxmem => num_or_null(b, i, &mut entry.maxmem)?,
            Field::Uptime => num_or_null(b, i, &mut entry.uptime)?,
            Field::Other => other(b, i)?,
        };
        match b.get(i)? {
            b',' => i += 1,
            b'}' if seen & 1 << Field::Kind as u16 != 0 => return Some((entry, i + 1)),
            _ => return None,
        }
    }
    None
}

impl Known {
    /// The field whose name begins the member at `i`, and where its value begins.
    fn at(&self, b: &[u8], i: usize) -> Option<(Field, usize)> {
        let window = b.get(i..i + PATTERN)?;
        let word = u128::from_le_bytes(window.try_into().ok()?);
        (word & self.mask == self.pattern).then_some((self.field, i + self.len))
    }

    /// Reads the name of the member at `i` (a plain string, then `:`): its field, the
    /// name as a [`Known`] (`None` when it is too long to keep) and where its value
    /// begins.
    fn read(b: &[u8], i: usize) -> Option<(Field, Option<Self>, usize)> {
        let (from, to) = string(b, i)?;
        if b.get(to + 1) != Some(&b':') {
            return None;
        }
        let field = Field::of(&b[from..to]);
        let len = to + 2 - i;
        let known = b.get(i..i + len).filter(|_| len <= PATTERN).map(|bytes| {
            let mut word = [0u8; PATTERN];
            word[..len].copy_from_slice(bytes);
            Self {
                pattern: u128::from_le_bytes(word),
                mask: u128::MAX >> (8 * (PATTERN - len)),
                len,
                field,
            }
        });
        Some((field, known, i + len))
    }
}

/// A byte of 1 in each place of a `u64`, and the top bit of each.
const ONES: u64 = u64::from_ne_bytes([1; 8]);
const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);

/// Where a string without escapes or control characters ends (its closing `"`), from
/// `i`, just after its opening one. Eight bytes at a time while eight are left.
fn string_end(b: &[u8], mut i: usize) -> Option<usize> {
    while let Some(window) = b.get(i..i + 8) {
        let w = u64::from_le_bytes(window.try_into().ok()?);
        let quote = w ^ (ONES * u64::from(b'"'));
        let backslash = w ^ (ONES * u64::from(b'\\'));
        // A byte is flagged when it is zero (quote, backslash) or below 0x20: the
        // lowest flag is exact, which is the one that counts.
        let zero = |x: u64| x.wrapping_sub(ONES) & !x;
        let flags = (zero(quote) | zero(backslash) | w.wrapping_sub(ONES * 0x20) & !w) & HIGH;
        if flags != 0 {
            let at = i + (flags.trailing_zeros() / 8) as usize;
            return (b[at] == b'"').then_some(at);
        }
        i += 8;
    }
    loop {
        match *b.get(i)? {
            b'"' => return Some(i),
            b'\\' | 0..0x20 => return None,
            _ => i += 1,
        }
    }
}

/// A plain string at `i`: its contents from..to (`to` its closing `"`).
fn string(b: &[u8], i: usize) -> Option<(usize, usize)> {
    if b.get(i) != Some(&b'"') {
        return None;
    }
    Some((i + 1, string_end(b, i + 1)?))
}

/// `null` at `i`: where it ends.
fn null(b: &[u8], i: usize) -> Option<usize> {
    literal(b, i, b"null")
}

fn literal(b: &[u8], i: usize, word: &[u8]) -> Option<usize> {
    (b.get(i..i + word.len())? == word).then_some(i + word.len())
}

/// A string or `null` at `i` into `slot`; where the value ends.
fn text_or_null<'a>(text: &'a str, i: usize, slot: &mut Option<Text<'a>>) -> Option<usize> {
    let b = text.as_bytes();
    if b.get(i) == Some(&b'n') {
        return null(b, i);
    }
    let (from, to) = string(b, i)?;
    *slot = Some(Text(Cow::Borrowed(text.get(from..to)?)));
    Some(to + 1)
}

/// A number or `null` at `i` into `slot`; where the value ends.
fn num_or_null(b: &[u8], i: usize, slot: &mut Option<Num>) -> Option<usize> {
    if b.get(i) == Some(&b'n') {
        return null(b, i);
    }
    let (n, end) = number(b, i)?;
    *slot = Some(Num(n));
    Some(end)
}

/// Any other member's value at `i`: a plain string, a number without an exponent or
/// a literal; where it ends.
fn other(b: &[u8], i: usize) -> Option<usize> {
    match *b.get(i)? {
        b'"' => Some(string_end(b, i + 1)? + 1),
        b'n' => null(b, i),
        b't' => literal(b, i, b"true"),
        b'f' => literal(b, i, b"false"),
        _ => skip_number(b, i),
    }
}

/// A number at `i` without an exponent, of any length, whose value is not needed:
/// where it ends. The same form as [`number`] takes, checked without adding up the
/// digits (finding where digits end first is slower for the numbers [`number`] reads,
/// which are short).
fn skip_number(b: &[u8], mut i: usize) -> Option<usize> {
    i += usize::from(b.get(i) == Some(&b'-'));
    let first = i;
    i = digits_end(b, i)?;
    if i == first || (i - first > 1 && b[first] == b'0') {
        return None;
    }
    if b.get(i) == Some(&b'.') {
        let from = i + 1;
        i = digits_end(b, from)?;
        if i == from {
            return None;
        }
    }
    match b.get(i)? {
        b'e' | b'E' => None,
        _ => Some(i),
    }
}

/// Where the digits at `i` end (more text must follow them): eight bytes at a time
/// while eight are left.
fn digits_end(b: &[u8], mut i: usize) -> Option<usize> {
    while let Some(window) = b.get(i..i + 8) {
        // Each byte less `'0'`: a digit is then 0 to 9; bytes above 9 are flagged,
        // without a carry from one byte to the next.
        let x = u64::from_le_bytes(window.try_into().ok()?) ^ (ONES * u64::from(b'0'));
        let other = ((x & (ONES * 0x7f)).wrapping_add(ONES * 0x76) | x) & HIGH;
        if other != 0 {
            return Some(i + (other.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    while b.get(i)?.is_ascii_digit() {
        i += 1;
    }
    Some(i)
}

/// Powers of ten, each exact in an `f64`, as serde_json divides by them.
const POW10: [f64; MAX_DIGITS + 1] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19,
];

/// The most digits of a number read here: any such number's digits fit in a `u64`,
/// as serde_json gathers them.
const MAX_DIGITS: usize = 19;

/// A number at `i` without an exponent, of at most [`MAX_DIGITS`] digits: its value
/// as serde_json gives it, and where it ends; `None` for any other (serde_json then
/// reads it). serde_json makes an integer's digits an `f64` (from a `u64` or `i64`),
/// and a fraction's the same way, then divides them once by a power of ten; so does
/// this. (With serde_json's `float_roundtrip` feature, which this build does not
/// have, a fraction of more than 15 digits could differ in its last bit; the tests
/// would say so.)
fn number(b: &[u8], mut i: usize) -> Option<(f64, usize)> {
    let negative = b.get(i) == Some(&b'-');
    i += usize::from(negative);
    let (whole, mut digits, at) = decimal_digits(b, i, 0, MAX_DIGITS)?;
    // One digit at least, and no leading zero.
    if whole == 0 || (whole > 1 && b[i] == b'0') {
        return None;
    }
    i = at;
    let mut value = digits as f64;
    if b.get(i) == Some(&b'.') {
        let (fraction, all, at) = decimal_digits(b, i + 1, digits, MAX_DIGITS - whole)?;
        if fraction == 0 {
            return None;
        }
        (i, digits) = (at, all);
        value = digits as f64 / POW10[fraction];
    }
    match b.get(i)? {
        b'e' | b'E' => None,
        _ => Some((if negative { -value } else { value }, i)),
    }
}

/// The digits at `i`, at most `most` of them, added to `value`: how many, the value,
/// and where they end.
fn decimal_digits(
    b: &[u8],
    mut i: usize,
    mut value: u64,
    most: usize,
) -> Option<(usize, u64, usize)> {
    let first = i;
    while let Some(&c @ b'0'..=b'9') = b.get(i) {
        if i - first == most {
            return None;
        }
        value = value * 10 + u64::from(c - b'0');
        i += 1;
    }
    Some((i - first, value, i))
}

#[cfg(test)]
mod tests;
