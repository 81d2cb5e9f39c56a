//! The `[commands]` section and `[[command]]` entries: argv patterns, programs
//! resolved to absolute paths at load, per-command timeout and output cap, and the
//! environment allow-list.

use super::diagnostics::Ctx;
use crate::policy::model::CommandRules;
use crate::policy::pattern::{ArgPattern, CommandRule};
use serde::Deserialize;
use std::{
    path::{Path, PathBuf},
    time::Duration,
};
use toml::Spanned;

/// Directories searched for commands named without a path, in order.
pub const COMMAND_PATH: &[&str] = &["/usr/sbin", "/usr/bin", "/sbin", "/bin"];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCommands {
    #[serde(default)]
    allow: Vec<Spanned<Vec<String>>>,
    timeout_secs: Option<Spanned<i64>>,
    max_output_bytes: Option<Spanned<i64>>,
    #[serde(default)]
    env: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCommand {
    argv: Spanned<Vec<String>>,
    timeout_secs: Option<Spanned<i64>>,
    max_output_bytes: Option<Spanned<i64>>,
}

/// Variables no policy may pass to a command: they change what a program loads.
const FORBIDDEN_ENV: &[&str] = &[
    "PATH",
    "LANG",
    "IFS",
    "ENV",
    "BASH_ENV",
    "SHELLOPTS",
    "PERL5LIB",
    "PYTHONPATH",
];

pub(super) fn commands(
    cx: &mut Ctx,
    raw: Option<RawCommands>,
    tables: Vec<Spanned<RawCommand>>,
) -> CommandRules {
    let mut rules = CommandRules::default();
    let mut timeout = CommandRules::DEFAULT_TIMEOUT;
    let mut cap = CommandRules::DEFAULT_MAX_OUTPUT;
    let mut entries: Vec<(std::ops::Range<usize>, Vec<String>, Duration, usize)> = Vec::new();
    if let Some(raw) = raw {
        if let Some(t) = raw.timeout_secs.as_ref().and_then(|t| seconds(cx, t)) {
            timeout = t;
        }
        if let Some(c) = raw
            .max_output_bytes
            .as_ref()
            .and_then(|c| output_cap(cx, c))
        {
            cap = c;
        }
        for e in raw.env {
            let name = e.get_ref();
            let valid = !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
                && !name.as_bytes()[0].is_ascii_digit();
            if !valid {
                cx.error(
                    e.span(),
                    format!("{name:?} is not an environment variable name (A-Z, 0-9, _)"),
                );
            } else if FORBIDDEN_ENV.contains(&name.as_str()) || name.starts_with("LD_") {
                cx.error(
                    e.span(),
                    format!(
                        "{name} cannot be passed to commands: it changes what programs load or run"
                    ),
                );
            } else if rules.env.contains(name) {
                cx.error(e.span(), format!("duplicate variable {name}"));
            } else {
                rules.env.push(name.clone());
            }
        }
        for a in raw.allow {
            entries.push((a.span(), a.into_inner(), timeout, cap));
        }
    }
    for t in tables {
        let t = t.into_inner();
        let own_timeout = t
            .timeout_secs
            .as_ref()
            .and_then(|v| seconds(cx, v))
            .unwrap_or(timeout);
        let own_cap = t
            .max_output_bytes
            .as_ref()
            .and_then(|v| output_cap(cx, v))
            .unwrap_or(cap);
        entries.push((t.argv.span(), t.argv.into_inner(), own_timeout, own_cap));
    }
    for (span, argv, timeout, cap) in entries {
        match command_rule(&argv, timeout, cap) {
            Ok(rule) if rules.allow.iter().any(|r| r.same_shape(&rule)) => {
                cx.error(span, format!("duplicate command \"{rule}\""));
            }
            Ok(rule) => {
                if rule.args.contains(&ArgPattern::Plain) {
                    cx.warn(
                        span,
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

fn seconds(cx: &mut Ctx, v: &Spanned<i64>) -> Option<Duration> {
    cx.bounded(
        v,
        "timeout_secs",
        1..CommandRules::MAX_TIMEOUT.as_secs() + 1,
    )
    .map(Duration::from_secs)
}

fn output_cap(cx: &mut Ctx, v: &Spanned<i64>) -> Option<usize> {
    let max = u64::try_from(CommandRules::MAX_OUTPUT).unwrap_or(u64::MAX);
    cx.bounded(v, "max_output_bytes", 1..max + 1)
        .and_then(|n| usize::try_from(n).ok())
}

fn command_rule(
    argv: &[String],
    timeout: Duration,
    max_output_bytes: usize,
) -> Result<CommandRule, String> {
    let Some((prog, rest)) = argv.split_first() else {
        return Err("a command must name a program".into());
    };
    if rest.len() >= pve_mcp_proto::Argv::MAX_ARGS {
        return Err("the command has too many arguments".into());
    }
    let program = resolve_program(prog)?;
    let args = rest
        .iter()
        .map(|a| ArgPattern::parse(a))
        .collect::<Result<_, _>>()?;
    Ok(CommandRule {
        spelled: prog.clone(),
        program,
        args,
        timeout,
        max_output_bytes,
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
    if prog.is_empty() || prog.contains('/') || prog == "*" || prog.starts_with('{') {
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
