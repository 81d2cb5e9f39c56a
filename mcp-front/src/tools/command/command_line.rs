//! `execute_command`'s command line, split into the argv that the helper runs with
//! execve, no shell. Shell syntax is refused, never dropped or passed on: a line that a
//! reader could take for a pipeline, a comment, an expansion or a redirection would run
//! as something else than it reads.
//!
//! Words are separated by spaces (or tabs). Single quotes keep what they enclose as it
//! is, exactly as a shell would, so `'a b;c*'` is one argument and any character may
//! stand inside them. Double quotes group words too, but `$`, backquotes, `\` and `!`
//! are refused inside them, since a shell would still expand those there. Outside
//! quotes, every character a shell treats specially is refused: `;`, `&`, `|`, `<`,
//! `>`, `` ` ``, `$`, `\`, `#`, the glob characters `*`, `?`, `[`, and `(`, `)`, `{`,
//! `}`, `~`, `!`; so is a program name with `=` (a shell takes `NAME=value` for an
//! assignment). Anywhere, control characters (line breaks included), invisible
//! formatting characters and other Unicode spaces are refused.
//!
//! Input is untrusted model output; every refusal names what it refused.

use crate::{render::untrusted, tools::args::ArgError};

/// Where a character stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quote {
    None,
    Single,
    Double,
}

/// The words of `line`, or why the line is refused.
pub fn split(line: &str) -> Result<Vec<String>, ArgError> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut quote = Quote::None;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if let Some(e) = unreadable(c, quote) {
            return Err(e);
        }
        match (quote, c) {
            (Quote::Single, '\'') | (Quote::Double, '"') => quote = Quote::None,
            (Quote::Single, _) => word.get_or_insert_default().push(c),
            (Quote::Double, '$' | '`' | '\\' | '!') => {
                return Err(shell_syntax(c, chars.peek().copied(), Quote::Double));
            }
            (Quote::Double, _) => word.get_or_insert_default().push(c),
            (Quote::None, ' ' | '\t') => words.extend(word.take()),
            (Quote::None, '\'') => {
                quote = Quote::Single;
                word.get_or_insert_default();
            }
            (Quote::None, '"') => {
                quote = Quote::Double;
                word.get_or_insert_default();
            }
            (Quote::None, _) if effect(c).is_some() => {
                return Err(shell_syntax(c, chars.peek().copied(), Quote::None));
            }
            (Quote::None, _) => word.get_or_insert_default().push(c),
        }
    }
    if quote != Quote::None {
        return Err(ArgError("the command has an unterminated quote".into()));
    }
    words.extend(word);
    if let Some(program) = words.first().filter(|p| p.contains('=')) {
        let program = crate::render::truncate(program, 64);
        return Err(ArgError(format!(
            "the command starts with '{program}': commands run without a shell, so a \
             leading NAME=value would not set an environment variable but name the program \
             to run; send the program first"
        )));
    }
    Ok(words)
}

/// Why a character that no command line may hold, quoted or not, is refused.
fn unreadable(c: char, quote: Quote) -> Option<ArgError> {
    let refuse =
        |what: String, why: &str| Some(ArgError(format!("the command contains {what}{why}")));
    let code = u32::from(c);
    match c {
        '\t' if quote == Quote::None => None,
        '\0' => refuse("a NUL byte".into(), ", which no argument can hold"),
        '\n' | '\r' => refuse(
            "a line break".into(),
            ": commands run without a shell, so a line break would not separate commands; \
             send one command on one line",
        ),
        _ if c.is_control() => refuse(
            format!("the control character U+{code:04X}"),
            ": send the command as printable text",
        ),
        _ if untrusted::is_hidden(c) => refuse(
            format!("the invisible formatting character U+{code:04X}"),
            ": send the command as visible text",
        ),
        _ if c.is_whitespace() && c != ' ' => refuse(
            format!("the Unicode space U+{code:04X}"),
            ": separate words with plain spaces, and put an argument that holds spaces in \
             '...'",
        ),
        _ => None,
    }
}

/// What a shell would do with `c` outside quotes that the argv will not: `None` for an
/// ordinary character.
fn effect(c: char) -> Option<&'static str> {
    Some(match c {
        ';' => "separate commands",
        '&' => "run a command in the background or chain commands",
        '|' => "pipe one command into another",
        '>' => "redirect output to a file",
        '<' => "read input from a file",
        '`' => "run a command and insert its output",
        '$' => "expand a variable or insert a command's output",
        '\\' => "escape the next character",
        '#' => "start a comment that drops the rest of the line",
        '*' | '?' | '[' => "match file names",
        '(' | ')' => "group commands in a subshell",
        '{' | '}' => "group commands or expand a list",
        '~' => "expand to a home directory",
        '!' => "negate a command or recall history",
        _ => return None,
    })
}

/// The refusal of shell syntax `c` (followed by `next`), naming the operator.
fn shell_syntax(c: char, next: Option<char>, quote: Quote) -> ArgError {
    let shown = match (c, next) {
        ('&', Some('&')) => "'&&'".to_owned(),
        ('|', Some('|')) => "'||'".to_owned(),
        ('>', Some('>')) => "'>>'".to_owned(),
        ('$', Some('(')) => "'$('".to_owned(),
        ('$', Some('{')) => "'${'".to_owned(),
        ('\\', _) => "a backslash".to_owned(),
        _ => format!("'{c}'"),
    };
    let effect = match (c, next) {
        ('&', Some('&')) | ('|', Some('|')) => "chain commands",
        _ => effect(c).unwrap_or("expand it"),
    };
    let place = if quote == Quote::Double {
        " inside \"...\""
    } else {
        ""
    };
    ArgError(format!(
        "the command contains {shown}{place}: commands run without a shell, so {shown} \
         would not {effect}; send one command as plain words (to pass {shown} as it is, \
         put the argument in '...')"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(line: &str) -> String {
        match split(line) {
            Ok(words) => panic!("{line:?} was split into {words:?}"),
            Err(e) => e.0,
        }
    }

    /// Each line is refused, naming `shown` and saying that no shell runs.
    fn refused(cases: &[(&str, &str)]) {
        for (line, shown) in cases {
            let e = refusal(line);
            assert!(
                e.starts_with(&format!("the command contains {shown}"))
                    && e.contains("commands run without a shell"),
                "{line:?}: {e}"
            );
        }
    }

    #[test]
    fn plain_words_split_at_spaces_and_tabs() {
        assert_eq!(split("qm config 101").unwrap(), ["qm", "config", "101"]);
        assert_eq!(split("  pvesm\tstatus  ").unwrap(), ["pvesm", "status"]);
        assert_eq!(
            split("ls -la /var/lib/vz --color=never a,b:c@d%e^f+g").unwrap(),
            ["ls", "-la", "/var/lib/vz", "--color=never", "a,b:c@d%e^f+g"]
        );
        assert_eq!(split("   ").unwrap(), Vec::<String>::new());
        assert_eq!(split("echo héllo 日本").unwrap(), ["echo", "héllo", "日本"]);
    }

    #[test]
    fn single_quotes_keep_everything_as_it_is() {
        let special = ";&|<>`$\\#*?[](){}~!\"= ";
        assert_eq!(
            split(&format!("echo '{special}'")).unwrap(),
            ["echo", special]
        );
        assert_eq!(split("echo 'a b' ''").unwrap(), ["echo", "a b", ""]);
        assert_eq!(
            split("echo --name='x y'z").unwrap(),
            ["echo", "--name=x yz"]
        );
        assert_eq!(split(r"echo -e '\x41'").unwrap(), ["echo", "-e", r"\x41"]);
    }

    #[test]
    fn double_quotes_group_words_but_refuse_what_a_shell_expands_in_them() {
        assert_eq!(
            split(r#"echo "a b;c*#|" "it's""#).unwrap(),
            ["echo", "a b;c*#|", "it's"]
        );
        refused(&[
            (r#"echo "$HOME""#, "'$' inside \"...\""),
            (r#"echo "$(id)""#, "'$(' inside \"...\""),
            ("echo \"`id`\"", "'`' inside \"...\""),
            (r#"echo "a\"b""#, "a backslash inside \"...\""),
            (r#"echo "hi!""#, "'!' inside \"...\""),
        ]);
    }

    #[test]
    fn unterminated_quotes_are_refused() {
        for line in ["echo 'unbalanced", "echo \"a", "echo 'a'\"b"] {
            assert_eq!(
                refusal(line),
                "the command has an unterminated quote",
                "{line}"
            );
        }
    }

    #[test]
    fn command_separators_and_pipes_are_refused() {
        refused(&[
            ("uptime; id", "';'"),
            ("uptime;", "';'"),
            ("uptime & id", "'&'"),
            ("uptime && id", "'&&'"),
            ("uptime || id", "'||'"),
            ("echo a | sh", "'|'"),
            ("echo a|sh", "'|'"),
        ]);
        assert!(refusal("uptime; id").contains("';' would not separate commands"));
        let e = refusal("uptime\nid");
        assert!(
            e.contains("a line break") && e.contains("would not separate"),
            "{e}"
        );
    }

    #[test]
    fn redirections_are_refused() {
        refused(&[
            ("echo a > /etc/motd", "'>'"),
            ("echo a >> /etc/motd", "'>>'"),
            ("echo a 2>/dev/null", "'>'"),
            ("cat < /etc/shadow", "'<'"),
            ("cat <<EOF", "'<'"),
        ]);
    }

    #[test]
    fn expansions_and_substitutions_are_refused() {
        refused(&[
            ("echo $HOME", "'$'"),
            ("echo ${PATH}", "'${'"),
            ("echo $(id)", "'$('"),
            ("echo `id`", "'`'"),
            ("echo a$", "'$'"),
            ("ls ~", "'~'"),
            ("ls ~root/x", "'~'"),
        ]);
    }

    #[test]
    fn backslashes_are_refused_wherever_a_shell_reads_them() {
        refused(&[
            ("\\uptime", "a backslash"),
            ("echo a\\ b", "a backslash"),
            ("echo a\\", "a backslash"),
            ("echo \\;", "a backslash"),
        ]);
    }

    #[test]
    fn comments_are_refused_not_dropped() {
        refused(&[
            ("df -h #; id", "'#'"),
            ("uptime #", "'#'"),
            ("uptime #comment", "'#'"),
            ("echo a#b", "'#'"),
        ]);
        assert!(refusal("uptime #").contains("would not start a comment"));
    }

    #[test]
    fn globs_are_refused_and_can_be_quoted() {
        refused(&[
            ("echo *", "'*'"),
            ("ls /etc/*.conf", "'*'"),
            ("ls /etc/?", "'?'"),
            ("ls /dev/sd[ab]", "'['"),
        ]);
        assert!(refusal("echo *").contains("put the argument in '...'"));
        assert_eq!(split("ls '/etc/*.conf'").unwrap(), ["ls", "/etc/*.conf"]);
    }

    #[test]
    fn grouping_and_history_are_refused() {
        refused(&[
            ("(uptime)", "'('"),
            ("echo a)", "')'"),
            ("echo {a,b}", "'{'"),
            ("{ uptime; }", "'{'"),
            ("echo }", "'}'"),
            ("! uptime", "'!'"),
            ("echo !!", "'!'"),
        ]);
    }

    #[test]
    fn a_leading_assignment_is_refused() {
        for line in ["FOO=bar uptime", "LD_PRELOAD=/tmp/x.so uptime", "'A=b'"] {
            let e = refusal(line);
            assert!(
                e.contains("would not set an environment variable"),
                "{line}: {e}"
            );
        }
        assert_eq!(
            split("env FOO=bar uptime").unwrap(),
            ["env", "FOO=bar", "uptime"]
        );
    }

    #[test]
    fn control_invisible_and_unicode_space_characters_are_refused_even_quoted() {
        for c in ['\0', '\r', '\u{7}', '\u{1B}', '\u{85}'] {
            for line in [format!("echo a{c}b"), format!("echo 'a{c}b'")] {
                let e = refusal(&line);
                assert!(
                    e.contains("NUL byte") || e.contains("line break") || e.contains("control"),
                    "{line:?}: {e}"
                );
            }
        }
        for c in [
            '\u{202E}',
            '\u{200B}',
            '\u{2066}',
            '\u{FEFF}',
            '\u{E0041}',
            '\u{FE0F}',
        ] {
            let e = refusal(&format!("echo '{c}'"));
            let code = format!("U+{:04X}", u32::from(c));
            assert!(
                e.contains("invisible formatting character") && e.contains(&code),
                "{e}"
            );
        }
        for c in ['\u{A0}', '\u{3000}', '\u{2003}'] {
            assert!(refusal(&format!("echo a{c}b")).contains("Unicode space"));
        }
        assert!(refusal("echo 'a\tb'").contains("U+0009"));
    }

    #[test]
    fn no_special_character_passes_unquoted_or_goes_missing() {
        for c in ";&|<>`$\\#*?[(){}~!".chars() {
            let e = refusal(&format!("echo a{c}b"));
            assert!(e.contains("commands run without a shell"), "{c}: {e}");
            let quoted = format!("echo 'a{c}b'");
            assert_eq!(split(&quoted).unwrap(), ["echo", &format!("a{c}b")]);
        }
    }
}
