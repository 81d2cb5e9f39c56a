//! The README's no-Proxmox demo (`scripts/demo.sh`, binary `pve-demo`): a simulated
//! cluster, the real `pve-helper` under `policy/examples/lab-operator.toml` and the real
//! `mcp-front`, driven through a short MCP session whose every step is printed and
//! checked, so CI can run it as a smoke test. With `--serve` the cluster stays up for
//! Claude Code until Ctrl-C. Trusts its own inputs: the dataset rules and the repo's files.

use crate::client::{Client, is_error, text};
use crate::sim::{GuestSeed, PowerState, SimConfig, dataset};
use crate::stack::{Stack, StackOptions, bin_dir};
use anyhow::{Context, anyhow, bail, ensure};
use serde_json::{Value, json};
use std::io::Write;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Nodes of the demo cluster.
const NODES: usize = 3;
/// Guests (vmid 100-219): enough that some lie outside lab-operator's scope (150, and
/// the non-lab guests from 200 on), so "invisible" is shown on guests that exist.
const GUESTS: usize = 120;
/// Lines of a tool's answer shown before eliding the rest.
const MAX_LINES: usize = 14;
/// Width at which a long line of an answer is wrapped.
const WIDTH: usize = 94;
/// The policy the demo's helper runs, relative to the repository root.
const POLICY: &str = "policy/examples/lab-operator.toml";
/// The example's client line, replaced by the uid running the demo.
const CLIENT_LINE: &str = r#"users = ["claude-user"]"#;

/// Command-line options of `pve-demo`.
#[derive(Debug, Clone, Default, clap::Parser)]
#[command(name = "pve-demo", about = "pve-mcp on a simulated Proxmox VE cluster")]
pub struct DemoOptions {
    /// After the session, keep the cluster running for Claude Code until Ctrl-C.
    #[arg(long)]
    pub serve: bool,
}

/// How a demo run ended, when it did not fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    Finished,
    Interrupted,
}

/// The `pve-demo` binary: parse arguments, run, map the outcome to an exit code.
pub fn main() -> ExitCode {
    let opts = <DemoOptions as clap::Parser>::parse();
    let rt = tokio::runtime::Runtime::new();
    match rt
        .map_err(anyhow::Error::from)
        .and_then(|rt| rt.block_on(run(&opts, &mut std::io::stdout())))
    {
        Ok(Ended::Finished) => ExitCode::SUCCESS,
        Ok(Ended::Interrupted) => {
            println!("\ninterrupted: the demo cluster is stopped");
            ExitCode::from(130)
        }
        Err(e) => {
            eprintln!("\npve-demo FAILED: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs the demo, printing to `out`. Everything it started is stopped before it returns,
/// including on SIGINT/SIGTERM (which end `--serve` normally).
pub async fn run(opts: &DemoOptions, out: &mut dyn Write) -> anyhow::Result<Ended> {
    let mut interrupt = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())?;
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let stack = start_stack()?;
    let front = std::fs::canonicalize(bin_dir().join("mcp-front"))?;
    intro(out, &stack)?;
    let session = tokio::select! {
        r = session(&stack, out) => r,
        _ = interrupt.recv() => return Ok(Ended::Interrupted),
        _ = terminate.recv() => return Ok(Ended::Interrupted),
    };
    if let Err(e) = session {
        let log = stack.helper_log();
        let tail = log.lines().skip(log.lines().count().saturating_sub(15));
        bail!(
            "{e:#}\n\nthe helper's log ends with:\n{}",
            tail.collect::<Vec<_>>().join("\n")
        );
    }
    writeln!(out, "\nAll steps behaved as the policy says.")?;
    if !opts.serve {
        let serve = "scripts/demo.sh --serve";
        writeln!(
            out,
            "Run `{serve}` to keep the demo cluster running and connect Claude Code to it."
        )?;
        return Ok(Ended::Finished);
    }
    let (socket, log) = (stack.socket.display(), stack.helper_log_path());
    write!(
        out,
        "
The demo cluster keeps running. Connect Claude Code to it from another terminal:

    claude mcp add pve-demo -- {} --socket {socket}

The helper logs its decisions to {}
Press Ctrl-C to stop the demo (then `claude mcp remove pve-demo`).
",
        front.display(),
        log.display()
    )?;
    out.flush()?;
    tokio::select! {
        _ = interrupt.recv() => {}
        _ = terminate.recv() => {}
    }
    writeln!(out, "\nstopping the demo cluster")?;
    drop(stack);
    Ok(Ended::Finished)
}

/// The simulator and a helper running lab-operator, with the caller's uid as client.
fn start_stack() -> anyhow::Result<Stack> {
    for path in ["pve-helper", "mcp-front"].map(|name| bin_dir().join(name)) {
        ensure!(
            path.exists(),
            "{} is not built: scripts/demo.sh builds it",
            path.display()
        );
    }
    let path = format!("{}/../{POLICY}", env!("CARGO_MANIFEST_DIR"));
    let policy = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
    ensure!(
        policy.contains(CLIENT_LINE),
        "{POLICY} lacks `{CLIENT_LINE}`"
    );
    let mut opts = StackOptions::new(&policy.replace(CLIENT_LINE, "users = [{uid}]"));
    opts.sim = SimConfig {
        nodes: NODES,
        guests: GUESTS,
        task_duration: Duration::from_secs(1),
        ..SimConfig::default()
    };
    Stack::start(opts).context("starting the simulator and pve-helper")
}

fn intro(out: &mut dyn Write, stack: &Stack) -> anyhow::Result<()> {
    write!(
        out,
        "pve-mcp demo: a simulated Proxmox VE cluster, the real pve-helper and mcp-front

  cluster  {NODES} nodes, {GUESTS} guests (vmid 100-{}), tasks take 1 s
  policy   {POLICY}: guests 100-199 except 150, and pool lab
           (the demo runs as you, so the policy's [clients] is set to your uid)
  helper   listening on {}
  client   an MCP client driving mcp-front over stdio; below, each tool call
           and the text the model gets back
",
        99 + GUESTS,
        stack.socket.display()
    )?;
    Ok(())
}

/// Whether lab-operator's `[guests]` puts a guest in scope: 100-199 or pool lab, not 150.
fn in_scope(g: &GuestSeed) -> bool {
    g.vmid != 150 && ((100..=199).contains(&g.vmid) || g.pool == Some("lab"))
}

/// In scope, and free of PVE's own refusals (locked, template, HA-managed).
fn plain(g: &GuestSeed) -> bool {
    in_scope(g) && !g.locked && !g.template && !g.ha
}

/// The vmid of the first guest of the dataset matching `f`.
fn first(what: &str, f: impl Fn(&GuestSeed) -> bool) -> anyhow::Result<u32> {
    let found = dataset(NODES, GUESTS).into_iter().find(|g| f(g));
    found
        .map(|g| g.vmid)
        .ok_or_else(|| anyhow!("the dataset has no {what}"))
}

/// What a step must return: success, or an error whose text contains a phrase.
enum Expect {
    Ok,
    Error(&'static str),
}

/// A tool's arguments, in the order they are shown.
type Args<'a> = &'a [(&'a str, Value)];

/// The MCP session: every step printed, every outcome checked.
async fn session(stack: &Stack, out: &mut dyn Write) -> anyhow::Result<()> {
    let up = first("running guest in scope, outside pool lab", |g| {
        plain(g) && g.initial == PowerState::Running && g.pool != Some("lab")
    })?;
    let down = first("stopped guest in scope", |g| {
        plain(g) && g.initial == PowerState::Stopped
    })?;
    let hidden = first("prod guest out of scope", |g| {
        !in_scope(g) && g.vmid >= 200 && g.pool == Some("prod")
    })?;
    ensure!(
        stack.sim.guest_state(hidden).is_some(),
        "the simulator lacks guest {hidden}"
    );
    let mut cmd = stack.front_command();
    cmd.kill_on_drop(true);
    let client = Client::spawn(cmd, &stack.dir().join("front.log"))
        .await
        .context("starting mcp-front")?;
    let listed = list_tools(&client, out).await?;
    #[rustfmt::skip]
    let steps: [(&str, Args, &str, Expect); 10] = [
        ("list_vms", &[("limit", json!(10))], "the guests in scope, first page", Expect::Ok),
        ("vm_status", &[("vmid", json!(up))], "a running guest in scope", Expect::Ok),
        ("vm_action", &[("vmid", json!(down)), ("action", json!("start"))],
            "start a stopped guest in scope, waiting for its task", Expect::Ok),
        ("vm_action", &[("vmid", json!(up)), ("action", json!("stop"))],
            "a hard stop outside pool lab: lab-operator grants it, confirmed, in the lab only",
            Expect::Error("guests.actions")),
        ("vm_status", &[("vmid", json!(hidden))],
            "a prod guest, outside the scope: invisible", Expect::Error("not found")),
        ("node_status", &[], "all nodes", Expect::Ok),
        ("proxmox_api", &[("endpoint", json!("/version"))], "a raw API call the policy allows", Expect::Ok),
        ("proxmox_api", &[("endpoint", json!("/nodes/pve1/termproxy")), ("method", json!("POST"))],
            "a node shell: refused whatever the policy says", Expect::Error("fixed floor")),
        ("execute_command", &[("command", json!("uptime"))], "an allow-listed command", Expect::Ok),
        ("execute_command", &[("command", json!("rm -rf /"))], "not allow-listed", Expect::Error("denied")),
    ];
    for (tool, ..) in &steps {
        ensure!(listed.iter().any(|t| t == tool), "tools/list lacks {tool}");
    }
    for (i, (tool, args, why, expect)) in steps.into_iter().enumerate() {
        step(&client, out, i + 2, tool, args, why, expect).await?;
    }
    let power = stack.sim.guest_state(down).map(|g| g.power);
    ensure!(
        power == Some(PowerState::Running),
        "guest {down} is {power:?} after its start"
    );
    client.close().await?;
    Ok(())
}

/// Step 1: `tools/list`, one line per tool with its annotations; returns the names.
async fn list_tools(client: &Client, out: &mut dyn Write) -> anyhow::Result<Vec<String>> {
    writeln!(out, "\n 1. tools/list")?;
    let tools = client.tools().await?;
    writeln!(
        out,
        "    {:<17} {:<10} {:<12} idempotent",
        "tool", "read-only", "destructive"
    )?;
    let yes = |b: Option<bool>| b.map_or("-", |b| if b { "yes" } else { "no" });
    for t in &tools {
        let a = t.annotations.clone().unwrap_or_default();
        let (ro, de) = (yes(a.read_only_hint), yes(a.destructive_hint));
        writeln!(
            out,
            "    {:<17} {ro:<10} {de:<12} {}",
            t.name,
            yes(a.idempotent_hint)
        )?;
    }
    Ok(tools.into_iter().map(|t| t.name.into_owned()).collect())
}

/// One tool call: print it, print what the model sees, check the outcome.
async fn step(
    client: &Client,
    out: &mut dyn Write,
    n: usize,
    tool: &str,
    args: Args<'_>,
    why: &str,
    expect: Expect,
) -> anyhow::Result<()> {
    let shown: Vec<String> = args.iter().map(|(k, v)| format!("{k:?}: {v}")).collect();
    let args = format!("{{{}}}", shown.join(", "));
    writeln!(out, "\n{n:>2}. {tool} {args}")?;
    writeln!(out, "    # {why}")?;
    out.flush()?;
    let t0 = Instant::now();
    let result = client
        .call(tool, serde_json::from_str(&args)?)
        .await
        .with_context(|| format!("{tool} {args}: MCP call failed"))?;
    let elapsed = t0.elapsed();
    let body = text(&result);
    let error = is_error(&result);
    let mark = if error { "!" } else { "|" };
    let lines: Vec<&str> = body.trim().lines().collect();
    for line in lines.iter().take(MAX_LINES) {
        for (i, part) in wrap(line, WIDTH).iter().enumerate() {
            writeln!(out, "    {mark} {}{part}", if i == 0 { "" } else { "    " })?;
        }
    }
    if lines.len() > MAX_LINES {
        writeln!(out, "    {mark} ... ({} more)", lines.len() - MAX_LINES)?;
    }
    let took = format!("{:.2} s", elapsed.as_secs_f64());
    match expect {
        Expect::Ok if !error => writeln!(out, "    => ok, {took}")?,
        Expect::Ok => bail!("{tool} {args} should succeed, but the model got an error:\n{body}"),
        Expect::Error(phrase) if error && body.to_lowercase().contains(phrase) => {
            writeln!(out, "    => ERROR, as expected ({took})")?
        }
        Expect::Error(phrase) => {
            bail!("{tool} {args} should fail with {phrase:?}, but got (error: {error}):\n{body}")
        }
    }
    Ok(())
}

/// `line` split at spaces into pieces of at most `width` characters (bar long words).
fn wrap(line: &str, width: usize) -> Vec<String> {
    let mut parts: Vec<String> = Vec::new();
    for word in line.split(' ') {
        match parts.last_mut() {
            Some(p) if p.chars().count() + 1 + word.chars().count() <= width => {
                p.push(' ');
                p.push_str(word);
            }
            _ => parts.push(word.to_owned()),
        }
    }
    parts
}
