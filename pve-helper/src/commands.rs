//! Runs an allow-listed command: execve of the program resolved at policy load, no
//! shell, cleared environment, stdin closed, cwd `/`, its own process group killed on
//! timeout, output capped.

use crate::{paths, policy::CommandRule};
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
            if let Some(pid) = pid.and_then(|p| i32::try_from(p).ok()) {
                let _ = nix::sys::signal::killpg(
                    nix::unistd::Pid::from_raw(pid),
                    nix::sys::signal::Signal::SIGKILL,
                );
            }
            let _ = child.kill().await;
            Err(RunError::Timeout {
                argv: argv.to_string(),
                secs: timeout.as_secs(),
            })
        }
    }
}

/// Reads a stream to its end, keeping at most `cap` bytes; returns the kept text
/// (invalid UTF-8 replaced) and whether anything was dropped.
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
    (String::from_utf8_lossy(&kept).into_owned(), truncated)
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
