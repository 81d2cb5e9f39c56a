//! What is wrong with a policy file, and where: [`Diagnostic`]s printed as
//! `FILE:LINE:COL: message`, and the [`Ctx`] every section parser reports them
//! through. Trusts nothing of the text but its byte offsets, which it clamps.

use std::{
    fmt,
    ops::Range,
    path::{Path, PathBuf},
};
use toml::Spanned;

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

/// Collects diagnostics while building the policy.
pub(super) struct Ctx<'a> {
    text: &'a str,
    file: &'a Path,
    pub(super) diags: Vec<Diagnostic>,
}

impl<'a> Ctx<'a> {
    pub(super) fn new(text: &'a str, file: &'a Path) -> Self {
        Self {
            text,
            file,
            diags: Vec::new(),
        }
    }

    /// The line and column (1-based, in characters) where `span` starts.
    pub(super) fn position(&self, span: Range<usize>) -> (usize, usize) {
        let before = self
            .text
            .get(..span.start.min(self.text.len()))
            .unwrap_or_default();
        let line = before.matches('\n').count() + 1;
        let col = before
            .rfind('\n')
            .map_or(before.chars().count(), |i| before[i + 1..].chars().count())
            + 1;
        (line, col)
    }

    fn push(&mut self, severity: Severity, span: Range<usize>, message: impl Into<String>) {
        let (line, col) = self.position(span);
        self.diags.push(Diagnostic {
            severity,
            file: self.file.to_owned(),
            line,
            col,
            message: message.into(),
        });
    }

    pub(super) fn error(&mut self, span: Range<usize>, message: impl Into<String>) {
        self.push(Severity::Error, span, message);
    }

    pub(super) fn warn(&mut self, span: Range<usize>, message: impl Into<String>) {
        self.push(Severity::Warning, span, message);
    }

    /// An integer setting within `range`, or an error at its position.
    pub(super) fn bounded(
        &mut self,
        v: &Spanned<i64>,
        key: &str,
        range: Range<u64>,
    ) -> Option<u64> {
        match u64::try_from(*v.get_ref()) {
            Ok(n) if range.contains(&n) => Some(n),
            _ => {
                self.error(
                    v.span(),
                    format!("{key} must be {} to {}", range.start, range.end - 1),
                );
                None
            }
        }
    }
}
