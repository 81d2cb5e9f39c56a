//! Examples in the documentation that are the example files themselves: a line
//! `<!-- example: policy/examples/lab-operator.toml -->` in a Markdown source is
//! followed by an indented code block that must hold that file, byte for byte (each
//! line indented four spaces). `cargo run -p pve-mcp-docs` rewrites such blocks from
//! the files; `--check` (run by the tests) fails on a block that differs, so an example
//! in the docs cannot drift from the file `pve-helper check` is tested on.
//!
//! Input is this repository's own documentation, trusted.

use crate::Error;

const OPEN: &str = "<!-- example: ";
const CLOSE: &str = " -->";

/// The path a marker line names, if `line` is one.
fn marker(line: &str) -> Option<&str> {
    line.strip_prefix(OPEN)?.strip_suffix(CLOSE).map(str::trim)
}

/// `markdown` with the block after each marker replaced by the file it names, read
/// by `read` (a path relative to the repository).
pub fn with_examples(
    markdown: &str,
    read: impl Fn(&str) -> Result<String, Error>,
) -> Result<String, Error> {
    let lines: Vec<&str> = markdown.lines().collect();
    let mut out = String::with_capacity(markdown.len());
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        out.push_str(line);
        out.push('\n');
        i += 1;
        let Some(path) = marker(line) else { continue };
        if lines.get(i).is_some_and(|l| !l.is_empty()) {
            return Err(Error(format!(
                "the example of {path} must follow its marker after one blank line"
            )));
        }
        // Skip the old block: the blank line, then indented or blank lines up to the
        // next line of text (trailing blank lines belong to the text after it).
        let mut end = i + 1;
        let mut last_code = i;
        while end < lines.len() && (lines[end].is_empty() || lines[end].starts_with("    ")) {
            if !lines[end].is_empty() {
                last_code = end;
            }
            end += 1;
        }
        out.push('\n');
        for l in read(path)?.lines() {
            if !l.is_empty() {
                out.push_str("    ");
                out.push_str(l);
            }
            out.push('\n');
        }
        i = last_code + 1;
    }
    Ok(out)
}

/// `markdown` without its example markers (for rendering: the block stays).
pub fn without_markers(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    let mut lines = markdown.lines().peekable();
    while let Some(line) = lines.next() {
        if marker(line).is_some() {
            // The marker and the blank line after it.
            if lines.peek().is_some_and(|l| l.is_empty()) {
                lines.next();
            }
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str) -> Result<String, Error> {
        match path {
            "ex.toml" => Ok("# comment\n[a]\nb = 1\n\nc = 2\n".into()),
            _ => Err(Error(format!("{path}: no such file"))),
        }
    }

    #[test]
    fn a_block_is_rewritten_from_its_file_and_the_rest_is_kept() {
        let md = "Intro.\n\n<!-- example: ex.toml -->\n\n    [old]\n\n    x = 1\n\nAfter.\n";
        let want = "Intro.\n\n<!-- example: ex.toml -->\n\n    # comment\n    [a]\n    b = 1\n\n    c = 2\n\nAfter.\n";
        assert_eq!(with_examples(md, file).unwrap(), want);
        assert_eq!(with_examples(want, file).unwrap(), want, "stable");
    }

    #[test]
    fn a_block_at_the_end_and_errors() {
        let md = "<!-- example: ex.toml -->\n\n    old\n";
        assert!(with_examples(md, file).unwrap().ends_with("    c = 2\n"));
        assert!(with_examples("<!-- example: nope.toml -->\n\n    x\n", file).is_err());
        assert!(with_examples("<!-- example: ex.toml -->\n    x\n", file).is_err());
    }

    #[test]
    fn markers_are_dropped_for_rendering() {
        let md = "A\n\n<!-- example: ex.toml -->\n\n    code\n\nB\n";
        assert_eq!(without_markers(md), "A\n\n    code\n\nB\n");
    }
}
