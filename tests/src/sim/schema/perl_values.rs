//! Request parameters as Perl values, the way `PVE::APIServer::AnyEvent::extract_params`
//! hands them to the schema check: a form field without a value (`a`, `a=`) is `undef`,
//! a field given twice becomes a list, a JSON body keeps its types (`true` is a
//! `JSON::PP::Boolean`, `null` is `undef`, numbers print as Perl prints them), and query
//! parameters replace body parameters of the same name. Values are untrusted.

use std::collections::BTreeMap;

use serde_json::Value;

/// One parameter value, as Perl sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Raw {
    Undef,
    Str(String),
    /// A JSON `true`/`false` (a `JSON::PP::Boolean` reference).
    Bool(bool),
    List(Vec<Raw>),
    /// A JSON object (a hash reference); its contents never pass a parameter check.
    Object,
}

impl Raw {
    /// A decoded JSON value.
    pub fn from_json(v: &Value) -> Raw {
        match v {
            Value::Null => Raw::Undef,
            Value::Bool(b) => Raw::Bool(*b),
            Value::Number(n) => Raw::Str(perl_number(n)),
            Value::String(s) => Raw::Str(s.clone()),
            Value::Array(items) => Raw::List(items.iter().map(Raw::from_json).collect()),
            Value::Object(_) => Raw::Object,
        }
    }

    /// `ref($value)`: the reference type, or `None` for a plain scalar (or `undef`).
    pub fn ref_name(&self) -> Option<&'static str> {
        match self {
            Raw::List(_) => Some("ARRAY"),
            Raw::Object => Some("HASH"),
            Raw::Bool(_) => Some("JSON::PP::Boolean"),
            Raw::Undef | Raw::Str(_) => None,
        }
    }

    /// The plain string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Raw::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Perl's truth: `undef`, `""` and `"0"` are false, as is JSON `false`.
    pub fn truthy(&self) -> bool {
        match self {
            Raw::Undef => false,
            Raw::Str(s) => !s.is_empty() && s != "0",
            Raw::Bool(b) => *b,
            Raw::List(_) | Raw::Object => true,
        }
    }

    /// The value interpolated into a string (`"$value"`): references print as
    /// `ARRAY(0x...)`, booleans as `1` or `0`, `undef` as nothing.
    pub fn perl_string(&self) -> String {
        match self {
            Raw::Undef => String::new(),
            Raw::Str(s) => s.clone(),
            Raw::Bool(b) => u8::from(*b).to_string(),
            Raw::List(_) => "ARRAY(0x55d0c0ffee00)".to_owned(),
            Raw::Object => "HASH(0x55d0c0ffee00)".to_owned(),
        }
    }
}

/// A JSON number as Perl prints it: integers in full, other numbers with 15
/// significant digits (`%.15g`), `1e+20` style exponents.
pub fn perl_number(n: &serde_json::Number) -> String {
    if n.is_i64() || n.is_u64() {
        return n.to_string();
    }
    n.as_f64().map_or_else(|| n.to_string(), perl_float)
}

/// `%.15g`, as Perl stringifies a floating point number.
pub fn perl_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".to_owned();
    }
    if f.is_infinite() {
        return if f > 0.0 { "Inf" } else { "-Inf" }.to_owned();
    }
    if f == 0.0 {
        return "0".to_owned();
    }
    let exp = f.abs().log10().floor() as i32;
    if (-5..15).contains(&exp) {
        let decimals = usize::try_from((14 - exp).max(0)).unwrap_or(0);
        let s = format!("{f:.decimals$}");
        let s = if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_owned()
        } else {
            s
        };
        return s;
    }
    let s = format!("{f:.14e}");
    let (mantissa, e) = s.split_once('e').unwrap_or((&s, "0"));
    let mantissa = if mantissa.contains('.') {
        mantissa.trim_end_matches('0').trim_end_matches('.')
    } else {
        mantissa
    };
    let e: i32 = e.parse().unwrap_or(0);
    let sign = if e < 0 { '-' } else { '+' };
    format!("{mantissa}e{sign}{:02}", e.abs())
}

/// `%XX` escapes as `s/%([0-9a-fA-F][0-9a-fA-F])/chr(hex($1))/eg` decodes them.
fn unescape(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let hex = |i: usize| b.get(i).and_then(|c| (*c as char).to_digit(16));
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && let (Some(h), Some(l)) = (hex(i + 1), hex(i + 2))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

/// Perl's `split(/RE/, $s)`: the fields, without the trailing empty ones.
fn perl_split<'a>(s: &'a str, sep: &[char]) -> Vec<&'a str> {
    let mut fields: Vec<&str> = s.split(sep).collect();
    while fields.last().is_some_and(|f| f.is_empty()) {
        fields.pop();
    }
    fields
}

/// `decode_urlencoded`: pairs split at `&` or `;`, each split at `=` (Perl's `split`
/// drops trailing empty fields, so `a=` has no value), `+` is a space, values are
/// decoded as UTF-8; a name given again with a value becomes a list, without one it
/// becomes `undef`.
pub fn decode_urlencoded(data: &str) -> BTreeMap<String, Raw> {
    let mut res: BTreeMap<String, Raw> = BTreeMap::new();
    for kv in perl_split(data, &['&', ';']) {
        let fields = perl_split(kv, &['=']);
        let k = fields
            .first()
            .copied()
            .unwrap_or_default()
            .replace('+', " ");
        let k = String::from_utf8_lossy(&unescape(&k)).into_owned();
        let Some(v) = fields.get(1) else {
            res.insert(k, Raw::Undef);
            continue;
        };
        let v = String::from_utf8_lossy(&unescape(&v.replace('+', " "))).into_owned();
        let new = match res.remove(&k) {
            Some(Raw::List(mut old)) => {
                old.push(Raw::Str(v));
                Raw::List(old)
            }
            Some(old @ Raw::Str(_)) => Raw::List(vec![old, Raw::Str(v)]),
            _ => Raw::Str(v),
        };
        res.insert(k, new);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_decode_like_pve() {
        let r = decode_urlencoded("a=1&b=&c&d=x%2Cy&a=2&e=1=2&f=a+b");
        assert_eq!(
            r["a"],
            Raw::List(vec![Raw::Str("1".into()), Raw::Str("2".into())])
        );
        assert_eq!(r["b"], Raw::Undef);
        assert_eq!(r["c"], Raw::Undef);
        assert_eq!(r["d"], Raw::Str("x,y".into()));
        assert_eq!(r["e"], Raw::Str("1".into()));
        assert_eq!(r["f"], Raw::Str("a b".into()));
        assert!(!r.contains_key(""));
        assert!(decode_urlencoded("").is_empty());
    }

    #[test]
    fn json_values_keep_their_perl_types() {
        let v: Value = serde_json::from_str(r#"[1, 2.5, 1e20, true, null, "x", {}]"#).unwrap();
        let Raw::List(items) = Raw::from_json(&v) else {
            panic!()
        };
        assert_eq!(items[0], Raw::Str("1".into()));
        assert_eq!(items[1], Raw::Str("2.5".into()));
        assert_eq!(items[2], Raw::Str("1e+20".into()));
        assert_eq!(items[3].ref_name(), Some("JSON::PP::Boolean"));
        assert_eq!(items[4], Raw::Undef);
        assert_eq!(items[6].ref_name(), Some("HASH"));
        assert_eq!(perl_float(2.0), "2");
        assert_eq!(perl_float(0.1), "0.1");
    }
}
