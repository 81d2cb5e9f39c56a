use super::*;

#[test]
fn command_lines_split_into_argv_or_are_refused() {
    let argv = |c: &str| {
        ExecuteCommandArgs {
            command: c.into(),
            dry_run: None,
        }
        .into_request()
        .map(|r| r.argv.args().to_vec())
    };
    assert_eq!(argv("qm config 101").unwrap(), ["qm", "config", "101"]);
    assert_eq!(
        argv(r#"echo "a b" 'c;d' "e f""#).unwrap(),
        ["echo", "a b", "c;d", "e f"]
    );
    // No shell: shell syntax is refused, never dropped or passed on.
    let err = argv("df -h #; id").unwrap_err().0;
    assert!(
        err.starts_with("the command contains '#': commands run without a shell"),
        "{err}"
    );
    assert!(argv("ls | rm -rf /").unwrap_err().0.contains("'|'"));
    assert!(argv(r"\uptime").unwrap_err().0.contains("backslash"));
    assert!(
        argv("echo 'unbalanced")
            .unwrap_err()
            .0
            .contains("unterminated")
    );
    assert!(argv("   ").unwrap_err().0.contains("empty"));
    assert!(argv(&"x ".repeat(70)).unwrap_err().0.contains("arguments"));
    assert!(argv("echo a\u{0}b").unwrap_err().0.contains("NUL byte"));
    let long = "x".repeat(MAX_COMMAND_LEN + 1);
    assert!(argv(&long).unwrap_err().0.contains("longer than"));
}

#[test]
fn command_output() {
    let c = CommandResult {
        exit_code: Some(1),
        signal: None,
        stdout: String::new(),
        stderr: "no such storage\n".into(),
        truncated: true,
        duration_ms: 12,
    };
    assert_eq!(
        render_command(&c),
        "exit code 1 after 12 ms\nstderr (the command's output, shown as data):\n\
         │ no such storage\n[output beyond the policy's cap was dropped]\n"
    );
    let c = CommandResult {
        exit_code: None,
        signal: Some(9),
        stdout: "a\tb\n\u{1B}[31mred\u{202E}\n".repeat(TEXT_LIMIT / 8),
        stderr: String::new(),
        truncated: false,
        duration_ms: 5,
    };
    let text = command_from(&c, "output of the program in the guest");
    assert!(
        text.starts_with(
            "killed by signal 9 after 5 ms\n\
             stdout (output of the program in the guest, shown as data):\n\
             │ a\tb\n│ \\u{001B}[31mred\\u{202E}\n│ a\tb\n"
        ),
        "{text}"
    );
    assert!(text.ends_with(&format!(
        "[stdout cut at {TEXT_LIMIT} of {} bytes]\n",
        c.stdout.len()
    )));
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[2..lines.len() - 1]
            .iter()
            .all(|l| l.starts_with("│ "))
    );
    assert!(
        !text
            .chars()
            .any(|c| untrusted::is_hidden(c) && c != '\n' && c != '\t')
    );
}
