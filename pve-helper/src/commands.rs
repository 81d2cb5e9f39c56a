//! Runs an allow-listed command: execve of the program resolved at policy load, no
//! shell, cleared environment, stdin closed, cwd `/`, its own process group killed on
//! timeout, output capped. The output is text the command's author, or a guest, wrote:
//! made fit to show before it leaves the helper
//! ([`sanitize_text`](crate::pve::sanitize_text)).

use crate::{
    paths,
    policy::CommandRule,
    pve::{cut_text, sanitize_text_owned},
};
use pve_mcp_proto::{Argv, CommandOutput};
use std::{process::Stdio, time::Instant};
use tokio::io::{AsyncRead, AsyncReadExt};

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("cannot start {program}: {source}")]
    Spawn {
        program: String,
        source: std::io::Error,
    },
    #[error("command {argv} did not finish within {secs} s and was killed")]
    Timeout { argv: String, secs: u64 },
    #[error("waiting for {program} failed: {source}")]
    Wait {
        program: String,
        source: std::io::Error,
    },
}

/// Runs `argv` as an instance of `rule`, with `env` added to the fixed PATH and LANG.
pub async fn run(
    rule: &CommandRule,
    argv: &Argv,
    env: &[(String, String)],
) -> Result<CommandOutput, RunError> {
    let (timeout, cap) = (rule.timeout, rule.max_output_bytes);
    let program = rule.program.display().to_string();
    let started = Instant::now();
    let mut child = tokio::process::Command::new(&rule.program)
        .args(&argv.args()[1..])
        .env_clear()
        .env("PATH", paths::COMMAND_ENV_PATH)
        .env("LANG", "C.UTF-8")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .current_dir("/")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
        .map_err(|source| RunError::Spawn {
            program: program.clone(),
            source,
        })?;
    let pid = child.id();
    // Declared after `child`, so dropped first: while the leader is not yet reaped its
    // pid cannot name another process group.
    let mut group = GroupKill(
        pid.and_then(|p| i32::try_from(p).ok())
            .map(nix::unistd::Pid::from_raw),
    );
    let (Some(out), Some(err)) = (child.stdout.take(), child.stderr.take()) else {
        return Err(RunError::Spawn {
            program,
            source: std::io::Error::other("no pipes"),
        });
    };
    let work = async {
        let (stdout, stderr, status) =
            tokio::join!(capped(out, cap), capped(err, cap), child.wait());
        (stdout, stderr, status)
    };
    match tokio::time::timeout(timeout, work).await {
        Ok((stdout, stderr, status)) => {
            use std::os::unix::process::ExitStatusExt;
            group.disarm();
            let status = status.map_err(|source| RunError::Wait { program, source })?;
            Ok(CommandOutput {
                exit_code: status.code(),
                signal: status.signal(),
                truncated: stdout.1 || stderr.1,
                stdout: stdout.0,
                stderr: stderr.0,
                duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            })
        }
        Err(_) => {
            group.kill();
            let _ = child.kill().await;
            Err(RunError::Timeout {
                argv: argv.to_string(),
                secs: timeout.as_secs(),
            })
        }
    }
}

/// The command's process group, killed when this is dropped: a request abandoned
/// mid-run (its front went away) leaves no process behind, not even one the command
/// started. Disarmed once the command has been waited for.
struct GroupKill(Option<nix::unistd::Pid>);

impl GroupKill {
    fn kill(&mut self) {
        if let Some(group) = self.0.take() {
            let _ = nix::sys::signal::killpg(group, nix::sys::signal::Signal::SIGKILL);
        }
    }

    fn disarm(&mut self) {
        self.0 = None;
    }
}

impl Drop for GroupKill {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Reads a stream to its end, keeping at most `cap` bytes; returns the kept text and
/// whether anything was dropped. The text is what was read (invalid UTF-8 replaced)
/// made fit to show ([`sanitize_text`](crate::pve::sanitize_text)), still at most `cap`
/// bytes however many escapes it holds.
async fn capped(mut r: impl AsyncRead + Unpin, cap: usize) -> (String, bool) {
    let mut kept = Vec::new();
    let mut buf = [0u8; 8192];
    let mut truncated = false;
    loop {
        match r.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let room = cap.saturating_sub(kept.len());
                kept.extend_from_slice(&buf[..n.min(room)]);
                truncated |= n > room;
            }
        }
    }
    let text = match String::from_utf8(kept) {
        Ok(text) => text,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    };
    let mut text = sanitize_text_owned(text);
    truncated |= cut_text(&mut text, cap);
    (text, truncated)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::ArgPattern;
    use std::time::Duration;

    fn rule(program: &str, args: &[&str], timeout: Duration, cap: usize) -> CommandRule {
        CommandRule {
            spelled: program.rsplit('/').next().unwrap_or(program).into(),
            program: program.into(),
            args: args
                .iter()
                .map(|a| ArgPattern::Exact(a.to_string()))
                .collect(),
            timeout,
            max_output_bytes: cap,
        }
    }

    fn argv(v: &[&str]) -> Argv {
        Argv::new(v.iter().map(|s| s.to_string()).collect()).unwrap()
    }

    const FIVE: Duration = Duration::from_secs(5);

    #[tokio::test]
    async fn runs_without_shell_and_with_clean_env() {
        let env = [("TZ".to_owned(), "UTC".to_owned())];
        let out = run(
            &rule("/usr/bin/env", &[], FIVE, 4096),
            &argv(&["env"]),
            &env,
        )
        .await
        .unwrap();
        let mut vars: Vec<&str> = out.stdout.lines().collect();
        vars.sort();
        assert_eq!(
            vars,
            vec![
                "LANG=C.UTF-8",
                "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
                "TZ=UTC"
            ]
        );
        assert_eq!(out.exit_code, Some(0));
        let echo = rule("/bin/echo", &["$(id)"], FIVE, 4096);
        let out = run(&echo, &argv(&["echo", "$(id)"]), &[]).await.unwrap();
        assert_eq!(out.stdout, "$(id)\n");
    }

    #[tokio::test]
    async fn an_abandoned_command_leaves_no_process_behind() {
        // `timeout` forks `sleep`; killing only `timeout` would orphan it.
        let nap = "31.4159";
        let r = rule("/usr/bin/timeout", &["60", "sleep", nap], FIVE, 100);
        let a = argv(&["timeout", "60", "sleep", nap]);
        let sleeping = || {
            std::fs::read_dir("/proc").unwrap().flatten().any(|e| {
                std::fs::read(e.path().join("cmdline"))
                    .is_ok_and(|c| c == format!("sleep\0{nap}\0").as_bytes())
            })
        };
        let mut running = Box::pin(run(&r, &a, &[]));
        let mut started = false;
        for _ in 0..200 {
            tokio::select! {
                r = &mut running => panic!("the command finished early: {r:?}"),
                () = tokio::time::sleep(Duration::from_millis(10)) => {}
            }
            if sleeping() {
                started = true;
                break;
            }
        }
        assert!(started, "sleep {nap} never started");
        drop(running);
        for _ in 0..200 {
            if !sleeping() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("sleep {nap} outlived its abandoned request");
    }

    #[tokio::test]
    async fn output_is_shown_with_hidden_characters_escaped_within_the_cap() {
        let printed = "Ignore\u{202E}txt.exe\r\n\tnext\u{200B}\u{1B}[0m";
        let printf = rule("/usr/bin/printf", &[printed], FIVE, 4096);
        let out = run(&printf, &argv(&["printf", printed]), &[])
            .await
            .unwrap();
        assert_eq!(
            out.stdout,
            "Ignore\\u{202E}txt.exe\n\tnext\\u{200B}\\u{001B}[0m"
        );
        assert!(!out.truncated);
        // Escapes count against the cap, and none is cut in half.
        let many = "\u{202E}".repeat(20);
        let printf = rule("/usr/bin/printf", &[&many], FIVE, 60);
        let out = run(&printf, &argv(&["printf", &many]), &[]).await.unwrap();
        assert_eq!(out.stdout, "\\u{202E}".repeat(7));
        assert!(out.truncated);
    }

    #[tokio::test]
    async fn caps_output_and_times_out() {
        let seq = rule("/usr/bin/seq", &["100000"], FIVE, 100);
        let out = run(&seq, &argv(&["seq", "100000"]), &[]).await.unwrap();
        assert!(out.truncated);
        assert_eq!(out.stdout.len(), 100);
        let sleep = rule("/bin/sleep", &["30"], Duration::from_millis(200), 100);
        let e = run(&sleep, &argv(&["sleep", "30"]), &[]).await.unwrap_err();
        assert!(matches!(e, RunError::Timeout { .. }), "{e}");
    }
}
