//! `POST .../qemu/{vmid}/agent/exec` and `GET .../agent/exec-status`, as
//! `PVE::API2::Qemu::Agent` and the QEMU guest agent answer them. A few programs are
//! simulated, deterministically: `echo`, `uname [-a|-r|-n|-s]`, `hostname`,
//! `cat /etc/os-release` (and `cat` of `input-data`), `true`, `false`, `sleep N` (runs N
//! real seconds), `id`, `whoami`, `sh -c`/`bash -c` with one of those; a program that
//! does not exist fails to start (the agent's error, HTTP 500), one a shell cannot find
//! exits 127. Commands are untrusted strings and only compared.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::sim::cluster::dataset::GuestKind;
use crate::sim::cluster::state::{Cluster, Guest};
use crate::sim::errors::ApiError;

/// At most this many finished-but-unread commands are remembered per guest.
const MAX_EXECS: usize = 256;

/// A command started through the guest agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exec {
    pub pid: u32,
    pub started: Instant,
    pub runs_for: Duration,
    pub exitcode: i32,
    pub out: String,
    pub err: String,
}

/// What a simulated program prints and returns: `(exitcode, stdout, stderr, run time)`.
type Outcome = (i32, String, String, Duration);

const OS_RELEASE: &str = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\n\
VERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nVERSION_CODENAME=bookworm\nID=debian\n\
HOME_URL=\"https://www.debian.org/\"\nSUPPORT_URL=\"https://www.debian.org/support\"\n\
BUG_REPORT_URL=\"https://bugs.debian.org/\"\n";
const KERNEL: &str = "6.1.0-28-amd64";

fn ok(out: String) -> Option<Outcome> {
    Some((0, out, String::new(), Duration::ZERO))
}

/// Runs a simulated program; `None` if there is no such program in the guest.
fn run(name: &str, argv: &[&str], input: Option<&str>, shell: bool) -> Option<Outcome> {
    let (prog, args) = argv.split_first()?;
    let prog = prog.rsplit('/').next().unwrap_or(prog);
    match prog {
        "echo" => ok(format!("{}\n", args.join(" "))),
        "true" => ok(String::new()),
        "false" => Some((1, String::new(), String::new(), Duration::ZERO)),
        "hostname" => ok(format!("{name}\n")),
        "whoami" => ok("root\n".into()),
        "id" => ok("uid=0(root) gid=0(root) groups=0(root)\n".into()),
        "uname" => ok(match args.first().copied() {
            Some("-a") => format!(
                "Linux {name} {KERNEL} #1 SMP PREEMPT_DYNAMIC Debian 6.1.119-1 (2024-11-22) x86_64 GNU/Linux\n"
            ),
            Some("-r") => format!("{KERNEL}\n"),
            Some("-n") => format!("{name}\n"),
            _ => "Linux\n".into(),
        }),
        "cat" => match args.first().copied() {
            None => ok(input.unwrap_or_default().to_owned()),
            Some("/etc/os-release") | Some("/usr/lib/os-release") => ok(OS_RELEASE.into()),
            Some("/etc/hostname") => ok(format!("{name}\n")),
            Some(f) => Some((
                1,
                String::new(),
                format!("cat: {f}: No such file or directory\n"),
                Duration::ZERO,
            )),
        },
        "sleep" => match args.first().and_then(|s| s.parse::<u64>().ok()) {
            Some(secs) => Some((
                0,
                String::new(),
                String::new(),
                Duration::from_secs(secs.min(86_400)),
            )),
            None => Some((
                1,
                String::new(),
                format!(
                    "sleep: invalid time interval '{}'\nTry 'sleep --help' for more information.\n",
                    args.first().unwrap_or(&"")
                ),
                Duration::ZERO,
            )),
        },
        "sh" | "bash" if !shell && args.first() == Some(&"-c") => {
            let script = args.get(1).copied().unwrap_or_default();
            let words: Vec<&str> = script.split_whitespace().collect();
            if words.is_empty() {
                return ok(String::new());
            }
            run(name, &words, input, true).or_else(|| {
                let shell = if prog == "sh" {
                    "sh: 1: "
                } else {
                    "bash: line 1: "
                };
                let tail = if prog == "sh" {
                    "not found"
                } else {
                    "command not found"
                };
                Some((
                    127,
                    String::new(),
                    format!("{shell}{}: {tail}\n", words[0]),
                    Duration::ZERO,
                ))
            })
        }
        _ => None,
    }
}

/// `agent_available`: configured, running, answering.
fn check_agent(g: &Guest) -> Result<(), ApiError> {
    if !g.agent_enabled() {
        return Err(ApiError::Internal("No QEMU guest agent configured".into()));
    }
    if !g.is_running() {
        return Err(ApiError::Internal(format!(
            "VM {} is not running",
            g.seed.vmid
        )));
    }
    if !g.agent_installed || g.power == crate::sim::cluster::dataset::PowerState::Paused {
        return Err(ApiError::Internal("QEMU guest agent is not running".into()));
    }
    Ok(())
}

impl Cluster {
    fn agent_guest(&mut self, node: &str, vmid: u32) -> Result<&mut Guest, ApiError> {
        let g = self
            .guest_on(node, GuestKind::Qemu, vmid)
            .ok_or_else(|| ApiError::no_config(node, "qemu-server", vmid))?;
        check_agent(g)?;
        self.guest_mut(vmid)
            .ok_or_else(|| ApiError::no_config(node, "qemu-server", vmid))
    }

    /// `POST .../agent/exec`: `{"pid": N}`.
    pub fn agent_exec(
        &mut self,
        node: &str,
        vmid: u32,
        command: &[&str],
        input: Option<&str>,
    ) -> Result<Value, ApiError> {
        let now = Instant::now();
        self.settle(now);
        if command.is_empty() && input.is_none() {
            return Err(ApiError::Internal(
                "command or input-data (or both) required".into(),
            ));
        }
        let pid = self.tasks.next_pid() & 0x3F_FFFF;
        let g = self.agent_guest(node, vmid)?;
        let name = g.seed.name.clone();
        let Some((exitcode, out, err, runs_for)) = run(&name, command, input, false) else {
            let prog = command.first().copied().unwrap_or_default();
            return Err(ApiError::Internal(format!(
                "VM {vmid} qmp command 'guest-exec' failed - Guest agent command failed, error was \
                 'Failed to execute child process \u{201c}{prog}\u{201d} (No such file or directory)'"
            )));
        };
        if g.execs.len() >= MAX_EXECS {
            g.execs.remove(0);
        }
        g.execs.push(Exec {
            pid,
            started: now,
            runs_for,
            exitcode,
            out,
            err,
        });
        Ok(json!({ "pid": pid }))
    }

    /// `GET .../agent/exec-status?pid=N`: `{"exited": 0}` while it runs, then the result
    /// (once: the agent forgets a command whose end it reported).
    pub fn agent_exec_status(
        &mut self,
        node: &str,
        vmid: u32,
        pid: u32,
    ) -> Result<Value, ApiError> {
        let now = Instant::now();
        self.settle(now);
        let g = self.agent_guest(node, vmid)?;
        let Some(i) = g.execs.iter().position(|e| e.pid == pid) else {
            return Err(ApiError::Internal(format!(
                "VM {vmid} qmp command 'guest-exec-status' failed - Invalid parameter 'pid'"
            )));
        };
        let e = &g.execs[i];
        if now.saturating_duration_since(e.started) < e.runs_for {
            return Ok(json!({ "exited": 0 }));
        }
        let e = g.execs.remove(i);
        let mut v = json!({ "exited": 1, "exitcode": e.exitcode });
        if !e.out.is_empty() {
            v["out-data"] = json!(e.out);
        }
        if !e.err.is_empty() {
            v["err-data"] = json!(e.err);
        }
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn programs() {
        assert_eq!(
            run("web", &["echo", "a", "b"], None, false).unwrap().1,
            "a b\n"
        );
        assert_eq!(run("web", &["false"], None, false).unwrap().0, 1);
        assert!(run("web", &["nope"], None, false).is_none());
        let sh = run("web", &["sh", "-c", "nope --x"], None, false).unwrap();
        assert_eq!((sh.0, sh.2.as_str()), (127, "sh: 1: nope: not found\n"));
        assert_eq!(
            run("web", &["/bin/hostname"], None, false).unwrap().1,
            "web\n"
        );
        assert_eq!(
            run("web", &["sleep", "2"], None, false).unwrap().3,
            Duration::from_secs(2)
        );
        assert_eq!(run("web", &["cat"], Some("hi"), false).unwrap().1, "hi");
    }
}
