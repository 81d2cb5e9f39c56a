//! Request parameters, from untrusted query strings and bodies: percent-decoding, form and
//! JSON bodies (as `PVE::APIServer::AnyEvent::extract_params` merges them), and the schema
//! checks `PVE::JSONSchema` applies, with its exact error messages, for the routes whose
//! schemas the simulator writes by hand ([`super::api::lifecycle_schema`]); with PVE's
//! registered string [`formats`] and [`property_string`]s.

pub(crate) mod formats;
pub(crate) mod property_string;

use std::collections::BTreeMap;

use crate::sim::errors::schema;
use crate::sim::schema::perl_values::{Raw, decode_urlencoded};

/// Percent-decodes `s` (`+` stays `+`, like Perl's `uri_unescape`); invalid escapes stay
/// as they are and invalid UTF-8 is replaced.
pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = |c: u8| (c as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Decodes `application/x-www-form-urlencoded` data (`+` is a space here) as
/// `PVE::APIServer::AnyEvent::decode_urlencoded` does: pairs are separated by `&` *or*
/// `;` (a raw `;` in a value, like `tags=a;b`, cuts it short), a raw `=` in a value ends
/// it too (Perl's `split(/=/, $kv)` keeps two fields: `net0=virtio,bridge=vmbr0` gives
/// `virtio,bridge`), and a key given more than once becomes a list.
fn decode_form(s: &str, into: &mut Params) {
    for pair in s.split(['&', ';']).filter(|p| !p.is_empty()) {
        let mut fields = pair.split('=');
        let k = fields.next().unwrap_or_default();
        let v = fields.next().unwrap_or_default();
        let k = percent_decode(&k.replace('+', " "));
        let v = percent_decode(&v.replace('+', " "));
        into.push(k, v);
    }
}

/// The merged parameters of one request: one value per name, and for names given more
/// than once (or as a JSON array) every value, in order.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Params {
    values: BTreeMap<String, String>,
    lists: BTreeMap<String, Vec<String>>,
    /// The same parameters as Perl values, for the schema check ([`Params::raw`]).
    raw: BTreeMap<String, Raw>,
}

/// A body PVE could not decode: it answers 500 with the decoder's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadBody(pub String);

impl Params {
    /// The parameters of a request as pveproxy reads them: for `POST` and `PUT` the body
    /// (JSON when the content type says so, else form data), then the query string's
    /// parameters, each replacing a body parameter of its name; `GET` and `DELETE`
    /// bodies are ignored.
    pub fn parse_request(
        method: &str,
        query: Option<&str>,
        content_type: Option<&str>,
        body: &[u8],
    ) -> Result<Params, BadBody> {
        let body = if matches!(method, "POST" | "PUT") {
            body
        } else {
            b""
        };
        Params::parse(query, content_type, body)
    }

    /// Body parameters (JSON when the content type says so, else form data), then query
    /// parameters on top, replacing body parameters of the same name; `_dc` (the ExtJS
    /// cache buster) is dropped.
    pub fn parse(
        query: Option<&str>,
        content_type: Option<&str>,
        body: &[u8],
    ) -> Result<Params, BadBody> {
        let mut map = Params::default();
        if !body.is_empty() {
            let json = content_type
                .and_then(|ct| ct.split(';').next())
                .is_some_and(|ct| ct.trim().eq_ignore_ascii_case("application/json"));
            if json {
                let value: serde_json::Value = serde_json::from_slice(body)
                    .map_err(|e| BadBody(format!("malformed JSON string: {e}")))?;
                let serde_json::Value::Object(obj) = value else {
                    return Err(BadBody("malformed JSON string: not an object".into()));
                };
                for (k, v) in obj {
                    map.raw.insert(k.clone(), Raw::from_json(&v));
                    match v {
                        serde_json::Value::Array(items) => {
                            let items: Vec<String> = items.into_iter().map(json_scalar).collect();
                            let last = items.last().cloned().unwrap_or_default();
                            map.lists.insert(k.clone(), items);
                            map.values.insert(k, last);
                        }
                        other => {
                            map.values.insert(k, json_scalar(other));
                        }
                    }
                }
            } else {
                let text = String::from_utf8_lossy(body);
                decode_form(&text, &mut map);
                map.raw = decode_urlencoded(&text);
            }
        }
        if let Some(q) = query {
            let mut on_top = Params::default();
            decode_form(q, &mut on_top);
            on_top.raw = decode_urlencoded(q);
            for name in on_top.raw.keys() {
                map.values.remove(name);
                map.lists.remove(name);
            }
            map.values.append(&mut on_top.values);
            map.lists.append(&mut on_top.lists);
            map.raw.append(&mut on_top.raw);
        }
        map.values.remove("_dc");
        map.lists.remove("_dc");
        map.raw.remove("_dc");
        Ok(map)
    }

    /// The parameters as Perl values, as the schema check sees them.
    pub fn raw(&self) -> &BTreeMap<String, Raw> {
        &self.raw
    }

    /// Adds a value; a second value for the same name makes the name a list.
    fn push(&mut self, name: String, value: String) {
        if let Some(old) = self.values.insert(name.clone(), value.clone()) {
            self.lists
                .entry(name)
                .or_insert_with(|| vec![old])
                .push(value);
        }
    }

    /// Sets one value, replacing any earlier ones (for tests and internal callers).
    pub fn set(&mut self, name: &str, value: &str) {
        self.lists.remove(name);
        self.values.insert(name.to_owned(), value.to_owned());
        self.raw.insert(name.to_owned(), Raw::Str(value.to_owned()));
    }

    /// Removes a parameter; returns its (last) value.
    pub fn take(&mut self, name: &str) -> Option<String> {
        self.lists.remove(name);
        self.raw.remove(name);
        self.values.remove(name)
    }

    /// The (last) value of a parameter.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// Every value of a parameter: a list, a single value as a list of one, or empty.
    pub fn all(&self, name: &str) -> Vec<&str> {
        match (self.lists.get(name), self.values.get(name)) {
            (Some(list), _) => list.iter().map(String::as_str).collect(),
            (None, Some(v)) => vec![v.as_str()],
            (None, None) => Vec::new(),
        }
    }

    /// Parameter names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.values.keys().map(String::as_str)
    }

    /// Every `(name, value)` pair (the last value of a list).
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.values.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    fn is_list(&self, name: &str) -> bool {
        self.lists.contains_key(name)
    }

    /// A boolean parameter that passed [`validate`]: `1` is true.
    pub fn flag(&self, name: &str) -> bool {
        self.get(name) == Some("1")
    }
}

/// A JSON scalar as PVE's JSON body decoder hands it to the schema check.
fn json_scalar(v: serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s,
        serde_json::Value::Bool(b) => u8::from(b).to_string(),
        other => other.to_string(),
    }
}

/// The type of a parameter in an endpoint's schema.
#[derive(Debug, Clone, Copy)]
pub enum Ty {
    Bool,
    Int {
        min: i64,
    },
    /// An integer with a maximum too.
    Range {
        min: i64,
        max: i64,
    },
    /// A JSON number (`cpulimit`, `bwlimit` of containers).
    Num,
    Str,
    Enum(&'static [&'static str]),
    /// A string with a format check, given the parameter's name and value, that returns
    /// PVE's whole message.
    Format(fn(&str, &str) -> Result<(), String>),
    /// `type => 'array'`: repeated form fields or a JSON array; a single value is taken
    /// as a list of one (`$normalize_legacy_param_formats`).
    Array,
    /// A `*-list` format string: a repeated field is joined with `,`.
    List,
}

fn is_integer(v: &str) -> bool {
    let digits = v.strip_prefix(['+', '-']).unwrap_or(v);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

fn is_number(v: &str) -> bool {
    let v = v.strip_prefix(['+', '-']).unwrap_or(v);
    let (int, frac) = v.split_once('.').unwrap_or((v, "0"));
    !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
}

/// PVE's complaint about `value` for parameter `name` of type `ty`, if any.
pub fn check_value(ty: Ty, name: &str, value: &str) -> Option<String> {
    match ty {
        Ty::Bool if value != "0" && value != "1" => Some(schema::type_check("boolean", value)),
        Ty::Int { .. } | Ty::Range { .. } if !is_integer(value) => {
            Some(schema::type_check("integer", value))
        }
        Ty::Int { min } => match value.parse::<i128>() {
            Ok(v) if v < i128::from(min) => Some(schema::minimum(min)),
            _ => None,
        },
        Ty::Range { min, max } => match value.parse::<i128>() {
            Ok(v) if v < i128::from(min) => Some(schema::minimum(min)),
            Ok(v) if v > i128::from(max) => Some(schema::maximum(max)),
            Err(_) => Some(schema::maximum(max)),
            _ => None,
        },
        Ty::Num if !is_number(value) => Some(schema::type_check("number", value)),
        Ty::Enum(allowed) if !allowed.contains(&value) => Some(schema::not_in_enum(value, allowed)),
        Ty::Format(check) => check(name, value).err(),
        _ => None,
    }
}

/// Checks the parameters `schema` names, adding PVE's message for each offending one to
/// `errors` (unknown names were refused by the release's schema before).
pub fn validate(params: &Params, schema: &[(&str, Ty)], errors: &mut BTreeMap<String, String>) {
    validate_with(
        params,
        |name| schema.iter().find(|(n, _)| *n == name).map(|(_, t)| *t),
        errors,
    );
}

/// Like [`validate`], with the schema as a lookup (for numbered names like `net0`).
pub fn validate_with(
    params: &Params,
    schema: impl Fn(&str) -> Option<Ty>,
    errors: &mut BTreeMap<String, String>,
) {
    for (name, value) in params.iter() {
        // Which names exist is the release's schema's call, made before any handler
        // runs ([`crate::sim::schema::admit`]): a name this list lacks is left alone.
        let Some(ty) = schema(name) else {
            continue;
        };
        // A field without a value (`name=`) is `undef` to PVE: nothing to check.
        if params.raw.get(name) == Some(&Raw::Undef) {
            continue;
        }
        let problem = match ty {
            Ty::Array => None,
            Ty::List if params.is_list(name) => None,
            _ if params.is_list(name) => Some(schema::got_array(ty_name(ty))),
            _ => check_value(ty, name, value),
        };
        if let Some(p) = problem {
            errors.insert(name.to_owned(), p);
        }
    }
}

fn ty_name(ty: Ty) -> &'static str {
    match ty {
        Ty::Bool => "boolean",
        Ty::Int { .. } | Ty::Range { .. } => "integer",
        Ty::Num => "number",
        Ty::Array => "array",
        _ => "string",
    }
}

/// Checks a `vmid` from the path like PVE's `pve-vmid` option: integer, then the format.
pub fn check_vmid(raw: &str) -> Result<u32, String> {
    if !is_integer(raw) {
        return Err(schema::type_check("integer", raw));
    }
    let b = raw.as_bytes();
    let format_ok = (3..=9).contains(&b.len()) && b[0] != b'0' && b.iter().all(u8::is_ascii_digit);
    match raw.parse::<u32>() {
        Ok(v) if format_ok => Ok(v),
        _ => Err(schema::BAD_VMID.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_like_uri_unescape() {
        assert_eq!(percent_decode("UPID%3Apve1%3A%21x"), "UPID:pve1:!x");
        assert_eq!(percent_decode("a%2"), "a%2");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz%41"), "%zzA");
    }

    #[test]
    fn merges_body_and_query() {
        let p = Params::parse(Some("type=vm&_dc=1"), None, b"timeout=5&forceStop=1")
            .unwrap_or_default();
        assert_eq!(p.get("type"), Some("vm"));
        assert_eq!(p.get("_dc"), None);
        assert!(p.flag("forceStop"));
        let j = Params::parse(
            None,
            Some("application/json"),
            br#"{"todisk":true,"timeout":3}"#,
        )
        .unwrap_or_default();
        assert_eq!(j.get("todisk"), Some("1"));
        assert_eq!(j.get("timeout"), Some("3"));
        assert!(Params::parse(None, Some("application/json"), b"{").is_err());
    }

    #[test]
    fn schema_messages() {
        let p =
            Params::parse(Some("type=pool&full=yes&start=-1&x=1"), None, b"").unwrap_or_default();
        let mut e = BTreeMap::new();
        let schema = [
            ("type", Ty::Enum(&["vm", "node"])),
            ("full", Ty::Bool),
            ("start", Ty::Int { min: 0 }),
        ];
        validate(&p, &schema, &mut e);
        assert_eq!(
            e["type"],
            "value 'pool' does not have a value in the enumeration 'vm, node'"
        );
        assert_eq!(e["full"], "type check ('boolean') failed - got 'yes'");
        assert_eq!(e["start"], "value must have a minimum value of 0");
        assert!(
            !e.contains_key("x"),
            "unknown names are the schema's to refuse"
        );
    }

    #[test]
    fn a_raw_semicolon_separates_pairs_like_pve() {
        let p = Params::parse(None, None, b"tags=a;b&name=x").unwrap_or_default();
        assert_eq!((p.get("tags"), p.get("b")), (Some("a"), Some("")));
        let p = Params::parse(None, None, b"tags=a%3Bb").unwrap_or_default();
        assert_eq!(p.get("tags"), Some("a;b"));
        let p = Params::parse(None, None, b"net0=virtio,bridge=vmbr0").unwrap_or_default();
        assert_eq!(p.get("net0"), Some("virtio,bridge"));
        let p = Params::parse(Some("net0=virtio%2Cbridge%3Dvmbr0"), None, b"").unwrap_or_default();
        assert_eq!(p.get("net0"), Some("virtio,bridge=vmbr0"));
    }

    #[test]
    fn repeated_fields_and_json_arrays_are_lists() {
        let p = Params::parse(None, None, b"command=uname&command=-a&x=1").unwrap_or_default();
        assert_eq!(p.all("command"), vec!["uname", "-a"]);
        assert_eq!(p.all("x"), vec!["1"]);
        let mut e = BTreeMap::new();
        validate(&p, &[("command", Ty::Array), ("x", Ty::Bool)], &mut e);
        assert!(e.is_empty(), "{e:?}");
        let j = Params::parse(
            None,
            Some("application/json"),
            br#"{"command":["ls","-l"]}"#,
        )
        .unwrap_or_default();
        assert_eq!(j.all("command"), vec!["ls", "-l"]);
        validate(&j, &[("command", Ty::Str)], &mut e);
        assert_eq!(e["command"], "type check ('string') failed - got ARRAY");
    }

    #[test]
    fn vmid_checks() {
        assert_eq!(check_vmid("101"), Ok(101));
        assert_eq!(
            check_vmid("abc"),
            Err("type check ('integer') failed - got 'abc'".into())
        );
        assert!(check_vmid("99").unwrap_err().contains("valid VM ID"));
        assert!(check_vmid("0101").is_err());
        assert!(check_vmid("1000000000").is_err());
        assert_eq!(check_vmid("999999999"), Ok(999_999_999));
    }
}
