//! Perl regular expressions, as the schema's `pattern`s and PVE's format checks write
//! them, matched the way Perl matches them: `(?^:...)` groups, `{,n}` counts (Perl
//! 5.34+), `\0`, and `$`, which also matches before a final newline. Patterns come from
//! the shipped schema and from this module's callers (trusted); a pattern Rust cannot
//! compile matches nothing and is reported by [`matches`] as `None`. Values are untrusted.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use regex_automata::meta::Regex;

/// Perl's `$` outside a character class.
const PERL_END: &str = r"(?:\n?\z)";

/// Rewrites Perl syntax Rust's regex engine reads differently.
pub fn translate(perl: &str) -> String {
    let chars: Vec<char> = perl.chars().collect();
    let mut out = String::with_capacity(perl.len() + 16);
    let mut in_class = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' if i + 1 < chars.len() => {
                let n = chars[i + 1];
                match n {
                    '0' => out.push_str(r"\x00"),
                    'Z' if !in_class => out.push_str(PERL_END),
                    'h' => out.push_str(r"[\t\x20]"),
                    _ => {
                        out.push('\\');
                        out.push(n);
                    }
                }
                i += 2;
                continue;
            }
            '[' if !in_class => {
                in_class = true;
                out.push('[');
                // A `]` or `^]` right at the start is a literal.
                if chars.get(i + 1) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
                if chars.get(i + 1) == Some(&']') {
                    out.push_str(r"\]");
                    i += 1;
                }
            }
            '[' if in_class && chars.get(i + 1) == Some(&':') => {
                // A POSIX class, `[:alnum:]`.
                let end = (i + 2..chars.len().saturating_sub(1))
                    .find(|&j| chars[j] == ':' && chars[j + 1] == ']');
                match end {
                    Some(j) => {
                        out.extend(&chars[i..=j + 1]);
                        i = j + 2;
                        continue;
                    }
                    None => out.push_str(r"\["),
                }
            }
            '[' => out.push_str(r"\["),
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            '$' if !in_class => out.push_str(PERL_END),
            // `(?!\n)$`: the end, but not before a final newline (Rust has no lookahead).
            '(' if !in_class && chars[i..].starts_with(&['(', '?', '!', '\\', 'n', ')', '$']) => {
                out.push_str(r"\z");
                i += 7;
                continue;
            }
            '(' if !in_class
                && chars.get(i + 1) == Some(&'?')
                && chars.get(i + 2) == Some(&'^') =>
            {
                out.push_str("(?");
                i += 3;
                continue;
            }
            '{' if !in_class && chars.get(i + 1) == Some(&',') => {
                let digits: String = chars[i + 2..]
                    .iter()
                    .take_while(|c| c.is_ascii_digit())
                    .collect();
                if !digits.is_empty() && chars.get(i + 2 + digits.len()) == Some(&'}') {
                    out.push_str(&format!("{{0,{digits}}}"));
                    i += 3 + digits.len();
                    continue;
                }
                out.push_str(r"\{");
            }
            _ => out.push(c),
        }
        i += 1;
    }
    out
}

type Cache = Mutex<HashMap<String, Option<Arc<Regex>>>>;

fn compiled(perl: &str) -> Option<Arc<Regex>> {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(Cache::default);
    let mut map = cache.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(found) = map.get(perl) {
        return found.clone();
    }
    // Unicode classes under long counts (`[\w\s]{0,256}`) outgrow the default limit.
    let config = regex_automata::meta::Config::new().nfa_size_limit(Some(256 << 20));
    let regex = Regex::builder()
        .configure(config)
        .build(&translate(perl))
        .ok()
        .map(Arc::new);
    if regex.is_none() {
        tracing::warn!("pve-sim: cannot compile the Perl pattern {perl:?}");
    }
    map.insert(perl.to_owned(), regex.clone());
    regex
}

/// Whether `value` matches the Perl regex `perl` (written with its anchors); `None`
/// when the pattern does not compile.
pub fn matches(perl: &str, value: &str) -> Option<bool> {
    compiled(perl).map(|r| r.is_match(value))
}

/// `$value =~ m/^$pattern$/`, as `check_prop` tests a schema's `pattern`: the pattern
/// is interpolated as it is, not grouped (`a|b` means "starts with a, or ends in b").
pub fn schema_pattern(pattern: &str, value: &str) -> Option<bool> {
    matches(&format!("^{pattern}$"), value)
}

/// `$value =~ m/^...$/` for PVE's own format checks; `false` if it does not compile.
pub fn is(perl: &str, value: &str) -> bool {
    matches(perl, value).unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perl_syntax_is_translated() {
        assert_eq!(translate(r"(?^:\d+)"), r"(?:\d+)");
        assert_eq!(translate("[a-z]{,16}"), "[a-z]{0,16}");
        assert_eq!(translate("^a$"), r"^a(?:\n?\z)");
        assert_eq!(translate("[$]"), "[$]");
        assert_eq!(translate(r"^\d+(?!\n)$"), r"^\d+\z");
        assert!(schema_pattern(r"[A-Za-z0-9\-_\s]{,8}", "ab-c d").unwrap());
        assert!(!schema_pattern(r"[A-Za-z0-9\-_\s]{,8}", "abcdefghi").unwrap());
        assert!(schema_pattern(r"^[A-Za-z0-9_.@:*?!\[\]\/-]+$", "a/b[1]").unwrap());
        assert!(schema_pattern(r"(?^:^(?^:[^\s:/]+)\@(?^:[A-Za-z][A-Za-z0-9\.\-_]+)(?:!(?^:[A-Za-z][A-Za-z0-9\.\-_]+))?$)", "mcp@pve!mcp").unwrap());
        assert!(
            schema_pattern(
                r"(?^:(?:\w+=[^\x00-\x08\x0a-\x1F\x7F]*)(?:\0\w+=[^\x00-\x08\x0a-\x1F\x7F]*)*)",
                "A=1\0B=2"
            )
            .unwrap()
        );
        // Perl's `$` takes a final newline.
        assert!(schema_pattern(r"\d+", "12\n").unwrap());
        assert!(!schema_pattern(r"\d+", "12\n3").unwrap());
        // Interpolated, not grouped: `^/dev/parport\d+|/dev/usb/lp\d+$`.
        assert!(schema_pattern(r"/dev/parport\d+|/dev/usb/lp\d+", "/dev/parport0x").unwrap());
        assert!(is(
            r"(?i)^[a-f0-9][02468ace](?::[a-f0-9]{2}){5}$",
            "BC:24:11:00:00:01"
        ));
    }
}
