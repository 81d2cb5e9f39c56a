//! Patterns of the policy: API path patterns and command argv patterns. Built from
//! admin input at load time; matched against already-validated requests.

use pve_mcp_proto::{ApiPath, Argv, NodeName, VmId};
use std::{fmt, path::PathBuf, time::Duration};

/// One segment of a path pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seg {
    Literal(String),
    /// `*`: exactly one segment.
    One,
    /// `**`: the rest of the path, zero or more segments; only last.
    Rest,
}

/// An API path pattern such as `/nodes/*/qemu/**`, matched on normalized paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathPattern {
    segs: Vec<Seg>,
}

impl PathPattern {
    pub fn parse(s: &str) -> Result<Self, String> {
        if !s.starts_with('/') {
            return Err(format!("path pattern {s:?} must start with '/'"));
        }
        if s == "/" {
            return Ok(Self { segs: Vec::new() });
        }
        let parts: Vec<&str> = s[1..].split('/').collect();
        let mut segs = Vec::with_capacity(parts.len());
        for (i, p) in parts.iter().enumerate() {
            let seg = match *p {
                "*" => Seg::One,
                "**" if i + 1 == parts.len() => Seg::Rest,
                "**" => return Err(format!("in {s:?}, '**' may only be the last segment")),
                "" => return Err(format!("path pattern {s:?} has an empty segment")),
                lit => {
                    // A literal must survive path normalization unchanged.
                    let probe = format!("/{lit}");
                    match ApiPath::parse(&probe) {
                        Ok(p) if p.as_str() == probe && !lit.contains('*') => {
                            Seg::Literal(lit.to_owned())
                        }
                        _ => {
                            return Err(format!(
                                "in {s:?}, segment {lit:?} can never match a normalized path \
                                 (use letters, digits and -_.:@!=+,~, or * and **)"
                            ));
                        }
                    }
                }
            };
            segs.push(seg);
        }
        Ok(Self { segs })
    }

    pub fn matches(&self, path: &ApiPath) -> bool {
        let mut it = path.segments();
        for seg in &self.segs {
            match seg {
                Seg::Rest => return true,
                Seg::One => {
                    if it.next().is_none() {
                        return false;
                    }
                }
                Seg::Literal(l) => {
                    if it.next() != Some(l.as_str()) {
                        return false;
                    }
                }
            }
        }
        it.next().is_none()
    }

    /// Whether some path of the schema template `template` (`/nodes/{node}/status`)
    /// matches: a `{name}` segment stands for any value, so it meets any literal.
    pub fn may_match_template(&self, template: &str) -> bool {
        let mut it = template.split('/').filter(|s| !s.is_empty());
        for seg in &self.segs {
            match seg {
                Seg::Rest => return true,
                Seg::One => {
                    if it.next().is_none() {
                        return false;
                    }
                }
                Seg::Literal(l) => match it.next() {
                    Some(t) if t.starts_with('{') || t == l => {}
                    _ => return false,
                },
            }
        }
        it.next().is_none()
    }

    /// A concrete path this pattern matches, with `*` and `**` replaced by `x`.
    pub fn sample(&self) -> String {
        let mut out = String::new();
        for seg in &self.segs {
            out.push('/');
            out.push_str(match seg {
                Seg::Literal(l) => l,
                Seg::One | Seg::Rest => "x",
            });
        }
        if out.is_empty() { "/".to_owned() } else { out }
    }
}

impl fmt::Display for PathPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.segs.is_empty() {
            return f.write_str("/");
        }
        for seg in &self.segs {
            f.write_str("/")?;
            f.write_str(match seg {
                Seg::Literal(l) => l,
                Seg::One => "*",
                Seg::Rest => "**",
            })?;
        }
        Ok(())
    }
}

/// One element of a command pattern after the program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArgPattern {
    Exact(String),
    /// `*`: one plain argument (see [`is_plain_arg`]).
    Plain,
    /// `{vmid}`: a guest id, which must also be in scope.
    Vmid,
    /// `{node}`: a node name.
    Node,
}

impl ArgPattern {
    pub fn parse(a: &str) -> Result<Self, String> {
        match a {
            "*" => Ok(Self::Plain),
            "{vmid}" => Ok(Self::Vmid),
            "{node}" => Ok(Self::Node),
            a if a.contains('\0') => Err("an argument contains a NUL byte".into()),
            a if a.starts_with('{') && a.ends_with('}') => Err(format!(
                "unknown placeholder {a:?}: use {{vmid}}, {{node}} or * (a plain argument)"
            )),
            a => Ok(Self::Exact(a.to_owned())),
        }
    }

    /// Whether one argument fits this pattern.
    pub fn matches_arg(&self, a: &str) -> bool {
        self.matches(a)
    }

    fn matches(&self, a: &str) -> bool {
        match self {
            Self::Exact(e) => e == a,
            Self::Plain => is_plain_arg(a),
            Self::Vmid => a.parse::<VmId>().is_ok(),
            Self::Node => NodeName::parse(a).is_ok(),
        }
    }
}

impl fmt::Display for ArgPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Exact(e) => f.write_str(e),
            Self::Plain => f.write_str("*"),
            Self::Vmid => f.write_str("{vmid}"),
            Self::Node => f.write_str("{node}"),
        }
    }
}

/// An allow-listed command: the program as written and as resolved at load, the
/// argument patterns that must match one for one, and its limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandRule {
    pub spelled: String,
    pub program: PathBuf,
    pub args: Vec<ArgPattern>,
    pub timeout: Duration,
    pub max_output_bytes: usize,
}

impl CommandRule {
    /// Whether `argv` has the shape of this rule (placeholders well-formed). Guests
    /// named by `{vmid}` must still pass the scope: see [`Self::vmids`].
    /// `argv[0]` may be the program as written in the policy or its resolved path.
    pub fn matches(&self, argv: &Argv) -> bool {
        let args = argv.args();
        let prog = argv.program();
        if prog != self.spelled && std::path::Path::new(prog) != self.program {
            return false;
        }
        args.len() == self.args.len() + 1
            && self.args.iter().zip(&args[1..]).all(|(p, a)| p.matches(a))
    }

    /// The guests `argv` names through `{vmid}` placeholders (empty if no match).
    pub fn vmids(&self, argv: &Argv) -> Vec<VmId> {
        if !self.matches(argv) {
            return Vec::new();
        }
        self.args
            .iter()
            .zip(&argv.args()[1..])
            .filter(|(p, _)| **p == ArgPattern::Vmid)
            .filter_map(|(_, a)| a.parse().ok())
            .collect()
    }

    /// Whether two rules match exactly the same command lines.
    pub fn same_shape(&self, other: &Self) -> bool {
        self.program == other.program && self.args == other.args
    }
}

impl fmt::Display for CommandRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.spelled)?;
        for a in &self.args {
            write!(f, " {a}")?;
        }
        Ok(())
    }
}

/// A "plain" argument: 1..=255 bytes of letters, digits and `._:@=+,-`, not starting
/// with `-`. No option, no path separator, no glob or shell character can be one.
pub fn is_plain_arg(a: &str) -> bool {
    (1..=255).contains(&a.len())
        && !a.starts_with('-')
        && a.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._:@=+,-".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pat: &str, path: &str) -> bool {
        PathPattern::parse(pat)
            .unwrap()
            .matches(&ApiPath::parse(path).unwrap())
    }

    #[test]
    fn path_patterns() {
        assert!(m("/version", "/version"));
        assert!(!m("/version", "/version/x"));
        assert!(m("/nodes/*/status", "/nodes/pve1/status"));
        assert!(!m("/nodes/*/status", "/nodes/status"));
        assert!(!m("/nodes/*/status", "/nodes/pve1/qemu/status"));
        assert!(m("/nodes/**", "/nodes"));
        assert!(m("/nodes/**", "/nodes/pve1/qemu/101/status/current"));
        assert!(m("/**", "/"));
        assert!(m("/", "/"));
        assert!(!m("/", "/version"));
    }

    #[test]
    fn bad_path_patterns() {
        for bad in [
            "nodes",
            "/nodes//x",
            "/**/x",
            "/nodes/pve*",
            "/a/../b",
            "/a/%2F",
            "/a?b",
        ] {
            assert!(PathPattern::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            PathPattern::parse("/nodes/*/qemu/**").unwrap().sample(),
            "/nodes/x/qemu/x"
        );
    }

    #[test]
    fn command_patterns() {
        let rule = CommandRule {
            spelled: "df".into(),
            program: "/usr/bin/df".into(),
            args: vec![ArgPattern::Exact("-h".into()), ArgPattern::Plain],
            timeout: Duration::from_secs(1),
            max_output_bytes: 10,
        };
        let argv = |v: &[&str]| Argv::new(v.iter().map(|s| s.to_string()).collect()).unwrap();
        assert!(rule.matches(&argv(&["df", "-h", "sda1"])));
        assert!(rule.matches(&argv(&["/usr/bin/df", "-h", "sda1"])));
        assert!(!rule.matches(&argv(&["/bin/../usr/bin/df", "-h", "sda1"])));
        assert!(!rule.matches(&argv(&["df", "-h"])));
        assert!(!rule.matches(&argv(&["df", "-h", "sda1", "x"])));
        for hostile in [
            "--output=x",
            "-a",
            "/etc/shadow",
            "a;b",
            "$(id)",
            "`id`",
            "*",
            "a b",
            "a\nb",
            "",
            "../x",
        ] {
            assert!(!rule.matches(&argv(&["df", "-h", hostile])), "{hostile:?}");
        }
    }

    #[test]
    fn typed_placeholders() {
        let rule = CommandRule {
            spelled: "qm".into(),
            program: "/usr/sbin/qm".into(),
            args: vec![
                ArgPattern::Exact("status".into()),
                ArgPattern::Vmid,
                ArgPattern::Node,
            ],
            timeout: Duration::from_secs(1),
            max_output_bytes: 10,
        };
        let argv = |v: &[&str]| Argv::new(v.iter().map(|s| s.to_string()).collect()).unwrap();
        assert!(rule.matches(&argv(&["qm", "status", "101", "pve1"])));
        assert_eq!(
            rule.vmids(&argv(&["qm", "status", "101", "pve1"])),
            vec![VmId::new(101).unwrap()]
        );
        for bad in [
            ["qm", "status", "99", "pve1"],
            ["qm", "status", "101", "-pve"],
            ["qm", "status", "1e3", "pve1"],
            ["qm", "status", "101", "a/b"],
        ] {
            assert!(!rule.matches(&argv(&bad)), "{bad:?}");
            assert!(rule.vmids(&argv(&bad)).is_empty());
        }
        assert!(ArgPattern::parse("{storage}").is_err());
    }
}
