//! Turns `policy.toml` text (admin input, possibly with typos) into a [`Policy`],
//! collecting every error and warning with its line and column.

use super::{
    ApiRule, ArgPattern, ClientSpec, CommandRule, CommandRules, GuestRules, PathPattern, Policy,
    Selector, floor,
};
use pve_mcp_proto::{ApiMethod, ApiParams, ApiPath, GuestAction, NodeName, PoolName, Tag, VmId};
use serde::Deserialize;
use std::{
    fmt,
    ops::Range,
    path::{Path, PathBuf},
    time::Duration,
};
use toml::Spanned;

/// Directories searched for commands named without a path, in order.
pub const COMMAND_PATH: &[&str] = &["/usr/sbin", "/usr/bin", "/sbin", "/bin"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// One problem found in a policy file, printed as `FILE:LINE:COL: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub file: PathBuf,
    pub line: usize,
    pub col: usize,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tag = match self.severity {
            Severity::Error => "",
            Severity::Warning => "warning: ",
        };
        write!(
            f,
            "{}:{}:{}: {tag}{}",
            self.file.display(),
            self.line,
            self.col,
            self.message
        )
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    clients: Option<Spanned<RawClients>>,
    guests: Option<RawGuests>,
    api: Option<RawApi>,
    commands: Option<RawCommands>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClients {
    #[serde(default)]
    users: Vec<Spanned<RawUser>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawUser {
    Uid(i64),
    Name(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGuests {
    #[serde(default)]
    allow: Vec<Spanned<String>>,
    #[serde(default)]
    deny: Vec<Spanned<String>>,
    #[serde(default)]
    actions: Vec<Spanned<String>>,
    #[serde(default)]
    confirm: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawApi {
    #[serde(default)]
    allow: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCommands {
    #[serde(default)]
    allow: Vec<Spanned<Vec<String>>>,
    timeout_secs: Option<Spanned<u64>>,
    max_output_bytes: Option<Spanned<u64>>,
}

/// Collects diagnostics while building the policy.
struct Ctx<'a> {
    text: &'a str,
    file: &'a Path,
    diags: Vec<Diagnostic>,
}

impl Ctx<'_> {
    fn push(&mut self, severity: Severity, span: Range<usize>, message: impl Into<String>) {
        let before = &self.text[..span.start.min(self.text.len())];
        let line = before.matches('\n').count() + 1;
        let col = before
            .rfind('\n')
            .map_or(before.chars().count(), |i| before[i + 1..].chars().count())
            + 1;
        self.diags.push(Diagnostic {
            severity,
            file: self.file.to_owned(),
            line,
            col,
            message: message.into(),
        });
    }

    fn error(&mut self, span: Range<usize>, message: impl Into<String>) {
        self.push(Severity::Error, span, message);
    }

    fn warn(&mut self, span: Range<usize>, message: impl Into<String>) {
        self.push(Severity::Warning, span, message);
    }
}

/// Parses policy text. `Err` holds every diagnostic (at least one error).
pub fn parse(text: &str, file: &Path) -> Result<(Policy, Vec<Diagnostic>), Vec<Diagnostic>> {
    let mut cx = Ctx {
        text,
        file,
        diags: Vec::new(),
    };
    let raw: RawPolicy = match toml::from_str(text) {
        Ok(r) => r,
        Err(e) => {
            cx.error(e.span().unwrap_or(0..0), e.message().trim_end().to_owned());
            return Err(cx.diags);
        }
    };
    let clients = clients(&mut cx, raw.clients);
    let guests = raw.guests.map(|g| guests(&mut cx, g)).unwrap_or_default();
    let api = raw.api.map(|a| api(&mut cx, a)).unwrap_or_default();
    let commands = raw
        .commands
        .map(|c| commands(&mut cx, c))
        .unwrap_or_default();
    cx.diags.sort_by_key(|d| (d.line, d.col));
    if cx.diags.iter().any(|d| d.severity == Severity::Error) {
        return Err(cx.diags);
    }
    let policy = Policy {
        source: file.to_owned(),
        clients,
        guests,
        api,
        commands,
    };
    Ok((policy, cx.diags))
}

fn clients(cx: &mut Ctx, raw: Option<Spanned<RawClients>>) -> Vec<ClientSpec> {
    let Some(raw) = raw else {
        cx.warn(0..0, "no [clients] section: no user can connect");
        return Vec::new();
    };
    let span = raw.span();
    let raw = raw.into_inner();
    if raw.users.is_empty() {
        cx.warn(span, "[clients] users is empty: no user can connect");
    }
    let mut out = Vec::new();
    for u in raw.users {
        let span = u.span();
        let spec = match u.into_inner() {
            RawUser::Uid(n) => match u32::try_from(n) {
                Ok(uid) => ClientSpec::Uid(uid),
                Err(_) => {
                    cx.error(span, format!("uid {n} is out of range"));
                    continue;
                }
            },
            RawUser::Name(name) => match parse_user_name(&name) {
                Some(spec) => spec,
                None => {
                    cx.error(span, format!("{name:?} is not a valid user name or uid"));
                    continue;
                }
            },
        };
        if spec == ClientSpec::Uid(0) || spec == ClientSpec::Name("root".into()) {
            cx.warn(
                span.clone(),
                "root is a client: anything running as root on this host may use the helper",
            );
        }
        if out.contains(&spec) {
            cx.error(span, "duplicate client");
        } else {
            out.push(spec);
        }
    }
    out
}

fn parse_user_name(name: &str) -> Option<ClientSpec> {
    if !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit()) {
        return name.parse().ok().map(ClientSpec::Uid);
    }
    let ok = (1..=32).contains(&name.len())
        && !name.starts_with('-')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b));
    ok.then(|| ClientSpec::Name(name.to_owned()))
}

fn guests(cx: &mut Ctx, raw: RawGuests) -> GuestRules {
    let allow = selectors(cx, raw.allow, "allow");
    let deny = selectors(cx, raw.deny, "deny");
    if allow.is_empty() {
        cx.warn(0..0, "[guests] allow is empty: no guest is visible");
    }
    let mut actions = std::collections::BTreeSet::new();
    for a in raw.actions {
        let span = a.span();
        match a.get_ref().parse::<GuestAction>() {
            Ok(act) if !actions.insert(act) => {
                cx.error(span, format!("duplicate action {:?}", act.as_str()))
            }
            Ok(act) => {
                if act.is_destructive() {
                    cx.warn(
                        span,
                        format!(
                            "action {:?} can lose guest data (unclean power-off)",
                            act.as_str()
                        ),
                    );
                }
            }
            Err(e) => cx.error(span, e.to_string()),
        }
    }
    let mut confirm = std::collections::BTreeSet::new();
    for c in raw.confirm {
        let span = c.span();
        match c.get_ref().parse::<GuestAction>() {
            Ok(act) if !actions.contains(&act) => cx.error(
                span,
                format!(
                    "{:?} is in confirm but not in actions: confirm only marks granted actions",
                    act.as_str()
                ),
            ),
            Ok(act) if !confirm.insert(act) => {
                cx.error(span, format!("duplicate confirm {:?}", act.as_str()))
            }
            Ok(_) => {}
            Err(e) => cx.error(span, e.to_string()),
        }
    }
    GuestRules {
        allow,
        deny,
        actions,
        confirm,
    }
}

fn selectors(cx: &mut Ctx, raw: Vec<Spanned<String>>, list: &str) -> Vec<Selector> {
    let mut out: Vec<Selector> = Vec::new();
    for s in raw {
        let span = s.span();
        match parse_selector(s.get_ref()) {
            Ok(sel) if out.contains(&sel) => {
                cx.error(span, format!("duplicate selector {sel} in [guests] {list}"))
            }
            Ok(sel) => {
                if sel == Selector::All && list == "allow" {
                    cx.warn(
                        span.clone(),
                        "\"*\" puts every guest of the cluster in scope",
                    );
                }
                out.push(sel);
            }
            Err(e) => cx.error(span, e),
        }
    }
    out
}

/// `*`, `101`, `100-199`, `pool:NAME`, `tag:NAME`, `node:NAME`, `type:qemu|lxc`.
pub fn parse_selector(s: &str) -> Result<Selector, String> {
    let err = |e: pve_mcp_proto::InvalidValue| e.to_string();
    if s == "*" {
        return Ok(Selector::All);
    }
    if let Some((kind, value)) = s.split_once(':') {
        return match kind {
            "pool" => PoolName::parse(value)
                .map(|p| Selector::Pool(p.to_string()))
                .map_err(err),
            "tag" => Tag::parse(value)
                .map(|t| Selector::Tag(t.to_string()))
                .map_err(err),
            "node" => NodeName::parse(value).map(Selector::Node).map_err(err),
            "type" => value.parse().map(Selector::Type).map_err(err),
            _ => Err(format!(
                "unknown selector kind {kind:?}: use pool:, tag:, node: or type:"
            )),
        };
    }
    let (lo, hi) = s.split_once('-').unwrap_or((s, s));
    let lo: VmId = lo.parse().map_err(err)?;
    let hi: VmId = hi.parse().map_err(err)?;
    if lo > hi {
        return Err(format!("range {s:?} is empty: {lo} is greater than {hi}"));
    }
    Ok(Selector::Range(lo, hi))
}

fn api(cx: &mut Ctx, raw: RawApi) -> Vec<ApiRule> {
    let mut out: Vec<ApiRule> = Vec::new();
    for s in raw.allow {
        let span = s.span();
        let rule = match parse_api_rule(s.get_ref()) {
            Ok(r) => r,
            Err(e) => {
                cx.error(span, e);
                continue;
            }
        };
        if out
            .iter()
            .any(|r| r.method == rule.method && r.pattern == rule.pattern)
        {
            cx.error(span, format!("duplicate API rule \"{rule}\""));
            continue;
        }
        let sample = ApiPath::parse(&rule.pattern.sample());
        if let Some(reason) = sample
            .ok()
            .and_then(|p| floor::floor_reason(rule.method, &p, &ApiParams::default()))
        {
            cx.error(
                span,
                format!("\"{rule}\" tries to open the fixed floor: {reason}"),
            );
            continue;
        }
        for (m, p) in floor::EXAMPLES {
            if *m == rule.method && ApiPath::parse(p).is_ok_and(|p| rule.pattern.matches(&p)) {
                cx.warn(
                    span.clone(),
                    format!(
                        "\"{rule}\" also covers floor endpoints such as {m} {p}, which stay closed"
                    ),
                );
                break;
            }
        }
        if rule.method != ApiMethod::Get && rule.pattern.to_string().ends_with("**") {
            cx.warn(
                span.clone(),
                format!("\"{rule}\" allows writes under a whole subtree"),
            );
        }
        out.push(rule);
    }
    out
}

/// `METHOD /path/pattern`, e.g. `GET /nodes/*/status`.
pub fn parse_api_rule(s: &str) -> Result<ApiRule, String> {
    let Some((method, pattern)) = s.split_once(' ') else {
        return Err(format!(
            "API rule {s:?} must be \"METHOD /path\", e.g. \"GET /nodes/*/status\""
        ));
    };
    let method: ApiMethod = method
        .parse()
        .map_err(|e: pve_mcp_proto::InvalidValue| e.to_string())?;
    let pattern = PathPattern::parse(pattern.trim())?;
    Ok(ApiRule { method, pattern })
}

fn commands(cx: &mut Ctx, raw: RawCommands) -> CommandRules {
    let mut rules = CommandRules::default();
    if let Some(t) = raw.timeout_secs {
        let secs = *t.get_ref();
        if secs == 0 || Duration::from_secs(secs) > CommandRules::MAX_TIMEOUT {
            cx.error(
                t.span(),
                format!(
                    "timeout_secs must be 1 to {}",
                    CommandRules::MAX_TIMEOUT.as_secs()
                ),
            );
        } else {
            rules.timeout = Duration::from_secs(secs);
        }
    }
    if let Some(m) = raw.max_output_bytes {
        let n = *m.get_ref();
        match usize::try_from(n) {
            Ok(n) if (1..=CommandRules::MAX_OUTPUT).contains(&n) => rules.max_output_bytes = n,
            _ => cx.error(
                m.span(),
                format!("max_output_bytes must be 1 to {}", CommandRules::MAX_OUTPUT),
            ),
        }
    }
    for entry in raw.allow {
        let span = entry.span();
        match command_rule(entry.get_ref()) {
            Ok(rule) if rules.allow.contains(&rule) => {
                cx.error(span, format!("duplicate command \"{rule}\""))
            }
            Ok(rule) => {
                if rule.args.contains(&ArgPattern::Plain) {
                    cx.warn(
                        span.clone(),
                        format!(
                            "\"{rule}\": each * accepts any plain argument (no options, no paths)"
                        ),
                    );
                }
                rules.allow.push(rule);
            }
            Err(e) => cx.error(span, e),
        }
    }
    rules
}

fn command_rule(argv: &[String]) -> Result<CommandRule, String> {
    let Some((prog, rest)) = argv.split_first() else {
        return Err("a command must name a program".into());
    };
    if rest.len() >= pve_mcp_proto::Argv::MAX_ARGS {
        return Err("the command has too many arguments".into());
    }
    let program = resolve_program(prog)?;
    let args = rest
        .iter()
        .map(|a| match a.as_str() {
            "*" => Ok(ArgPattern::Plain),
            a if a.contains('\0') => Err("an argument contains a NUL byte".to_owned()),
            a => Ok(ArgPattern::Exact(a.to_owned())),
        })
        .collect::<Result<_, _>>()?;
    Ok(CommandRule {
        spelled: prog.clone(),
        program,
        args,
    })
}

/// Resolves a program name to an absolute path to an executable file, at load time.
fn resolve_program(prog: &str) -> Result<PathBuf, String> {
    use std::os::unix::fs::PermissionsExt;
    let executable = |p: &Path| {
        std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    };
    if prog.starts_with('/') {
        let p = PathBuf::from(prog);
        if p.components()
            .any(|c| matches!(c, std::path::Component::ParentDir))
        {
            return Err(format!("program {prog:?} must not contain '..'"));
        }
        return if executable(&p) {
            Ok(p)
        } else {
            Err(format!("program {prog:?} is not an executable file"))
        };
    }
    if prog.is_empty() || prog.contains('/') || prog == "*" {
        return Err(format!(
            "program {prog:?} must be a plain name or an absolute path"
        ));
    }
    COMMAND_PATH
        .iter()
        .map(|d| Path::new(d).join(prog))
        .find(|p| executable(p))
        .ok_or_else(|| {
            format!(
                "program {prog:?} is not found in {}",
                COMMAND_PATH.join(":")
            )
        })
}
