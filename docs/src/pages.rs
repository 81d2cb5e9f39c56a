//! Which man pages come from which Markdown, dated by the newest entry of
//! `debian/changelog` and named after the workspace's version.

use crate::{Error, examples, man_page};
use std::path::Path;

/// `(Markdown source, man page)`, relative to the repository.
pub const PAGES: [(&str, &str); 1] = [("policy/README.md", "debian/man/pve-mcp-policy.5")];

/// Markdown whose examples come from the example files (`crate::examples`).
pub const WITH_EXAMPLES: [&str; 2] = ["policy/README.md", "README.md"];

/// The page generated from `source` as it would be written.
pub fn generate(root: &Path, source: &str) -> Result<String, Error> {
    let read =
        |p: &str| std::fs::read_to_string(root.join(p)).map_err(|e| Error(format!("{p}: {e}")));
    let date = changelog_date(&read("debian/changelog")?)?;
    man_page(
        &examples::without_markers(&read(source)?),
        &date,
        &format!("pve-mcp {}", env!("CARGO_PKG_VERSION")),
    )
    .map_err(|e| Error(format!("{source}: {e}")))
}

/// Writes every example and page, or with `check` only compares; what was done, one
/// line a file.
pub fn write_all(root: &Path, check: bool) -> Result<Vec<String>, Error> {
    let read =
        |p: &str| std::fs::read_to_string(root.join(p)).map_err(|e| Error(format!("{p}: {e}")));
    let mut done = Vec::new();
    for source in WITH_EXAMPLES {
        let have = read(source)?;
        let want =
            examples::with_examples(&have, read).map_err(|e| Error(format!("{source}: {e}")))?;
        if have == want {
            done.push(format!("{source}: examples up to date"));
        } else if check {
            return Err(Error(format!(
                "{source} holds an example that differs from its file: run `cargo run -p pve-mcp-docs`"
            )));
        } else {
            std::fs::write(root.join(source), want).map_err(|e| Error(format!("{source}: {e}")))?;
            done.push(format!("{source}: examples written from their files"));
        }
    }
    for (source, page) in PAGES {
        let want = generate(root, source)?;
        let path = root.join(page);
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        if have == want {
            done.push(format!("{page}: up to date with {source}"));
        } else if check {
            return Err(Error(format!(
                "{page} differs from what {source} generates: run `cargo run -p pve-mcp-docs`"
            )));
        } else {
            std::fs::write(&path, want).map_err(|e| Error(format!("{page}: {e}")))?;
            done.push(format!("{page}: written from {source}"));
        }
    }
    Ok(done)
}

/// `2026-11-25` from the first trailer line (` -- NAME <MAIL>  Wed, 25 Nov 2026 ...`).
pub fn changelog_date(changelog: &str) -> Result<String, Error> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let line = changelog
        .lines()
        .find(|l| l.starts_with(" -- "))
        .ok_or_else(|| Error("debian/changelog has no trailer line".into()))?;
    let date = line
        .split_once(">  ")
        .map(|(_, d)| d)
        .ok_or_else(|| Error(format!("no date in {line:?}")))?;
    let words: Vec<&str> = date.split_whitespace().collect();
    let (day, month, year) = match words.as_slice() {
        [_, day, month, year, ..] => (day, month, year),
        _ => return Err(Error(format!("no RFC 2822 date in {line:?}"))),
    };
    let month = MONTHS
        .iter()
        .position(|m| m == month)
        .ok_or_else(|| Error(format!("no month in {line:?}")))?;
    let day: u8 = day
        .parse()
        .map_err(|_| Error(format!("no day in {line:?}")))?;
    Ok(format!("{year}-{:02}-{day:02}", month + 1))
}
