//! Man pages from the Markdown references they repeat, so that the two cannot drift:
//! `policy/README.md` is the one source of `pve-mcp-policy(5)`; and the examples in
//! the documentation, taken from the example files (`examples`).
//!
//! The Markdown opens with a comment that names the page:
//!
//! ```text
//! <!--
//! man: pve-mcp-policy 5 File Formats
//! name: what an AI assistant connected through pve-mcp may see and do
//! synopsis: /etc/pve-mcp/policy.toml
//! -->
//! ```
//!
//! Then the `#` title (not rendered: the page has its NAME), text up to the first `##`
//! (DESCRIPTION), `##` and `###` sections, paragraphs, indented or fenced code, ordered
//! and bulleted lists (nested too), two-column tables (rendered as tagged paragraphs),
//! `code` and **strong** in bold, *emphasis* in italics. Anything else is an error
//! rather than a page that silently lost it. Non-ASCII characters become roff escapes
//! (a few are known; any other is an error), so the page is plain ASCII.
//!
//! Input is this repository's own documentation, trusted.

pub mod examples;
pub mod pages;

use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use roff::{Inline, Roff, bold, italic, roman};

/// What the opening comment says of the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// `pve-mcp-policy`.
    pub page: String,
    /// `5`.
    pub section: String,
    /// The manual's title (`File Formats`).
    pub manual: String,
    /// NAME's one line.
    pub summary: String,
    /// SYNOPSIS, when the page has one.
    pub synopsis: Option<String>,
}

/// Why a page cannot be generated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(pub String);

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

fn err<T>(message: impl Into<String>) -> Result<T, Error> {
    Err(Error(message.into()))
}

/// Reads the opening comment.
pub fn header(markdown: &str) -> Result<Header, Error> {
    let Some(body) = markdown
        .trim_start()
        .strip_prefix("<!--")
        .and_then(|rest| rest.split_once("-->"))
        .map(|(body, _)| body)
    else {
        return err("the Markdown does not open with a <!-- man: ... --> comment");
    };
    let field = |key: &str| {
        body.lines()
            .find_map(|l| l.trim().strip_prefix(key)?.strip_prefix(':'))
            .map(|v| v.trim().to_owned())
    };
    let Some(man) = field("man") else {
        return err("the opening comment has no `man: PAGE SECTION MANUAL` line");
    };
    let mut words = man.splitn(3, ' ');
    let (Some(page), Some(section), Some(manual)) = (words.next(), words.next(), words.next())
    else {
        return err(format!("`man: {man}` is not `man: PAGE SECTION MANUAL`"));
    };
    let Some(summary) = field("name") else {
        return err("the opening comment has no `name:` line");
    };
    Ok(Header {
        page: page.to_owned(),
        section: section.to_owned(),
        manual: manual.to_owned(),
        summary,
        synopsis: field("synopsis"),
    })
}

/// The man page of `markdown`, dated `date` (`YYYY-MM-DD`) for `source`
/// (`pve-mcp 0.1.0`).
pub fn man_page(markdown: &str, date: &str, source: &str) -> Result<String, Error> {
    let header = header(markdown)?;
    let mut page = Roff::new();
    page.control(
        "TH",
        [
            header.page.to_uppercase().as_str(),
            header.section.as_str(),
            date,
            source,
            header.manual.as_str(),
        ],
    );
    page.control("SH", ["NAME"]);
    page.text([roman(format!("{} - {}", header.page, header.summary))]);
    if let Some(synopsis) = &header.synopsis {
        page.control("SH", ["SYNOPSIS"]);
        page.text([italic(synopsis.as_str())]);
    }
    page.control("SH", ["DESCRIPTION"]);
    let mut writer = Writer {
        page,
        lines: vec![Vec::new()],
        styles: Vec::new(),
        fresh: true,
        lists: Vec::new(),
        table: None,
        title: Title::Expected,
        link: None,
        in_comment: false,
    };
    for event in Parser::new_ext(markdown, Options::ENABLE_TABLES) {
        writer.event(event)?;
    }
    if !writer.lists.is_empty() || writer.table.is_some() {
        return err("the Markdown ends inside a list or a table");
    }
    ascii(&writer.page.render())
}

/// Where the `#` title stands.
#[derive(Debug, PartialEq, Eq)]
enum Title {
    Expected,
    Reading,
    Read,
}

/// A list being written: its next number, if ordered, and whether an item's first
/// block is still to come.
#[derive(Debug)]
struct List {
    next: Option<u64>,
    item_opened: bool,
}

/// A table being written: the cells of the row being read, and whether it is the head.
#[derive(Debug, Default)]
struct Table {
    head: bool,
    cells: Vec<Vec<Inline>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Bold,
    Italic,
}

#[derive(Debug)]
struct Writer {
    page: Roff,
    /// The text lines of the block being read (a soft break starts a new one).
    lines: Vec<Vec<Inline>>,
    styles: Vec<Style>,
    /// Nothing written since the last section heading: a paragraph needs no `.PP`.
    fresh: bool,
    lists: Vec<List>,
    table: Option<Table>,
    title: Title,
    /// The target of the link being read.
    link: Option<String>,
    /// In the opening comment.
    in_comment: bool,
}

impl Writer {
    fn event(&mut self, event: Event<'_>) -> Result<(), Error> {
        if self.title == Title::Reading {
            if let Event::End(TagEnd::Heading(_)) = event {
                self.title = Title::Read;
                self.lines = vec![Vec::new()];
            }
            return Ok(());
        }
        match event {
            // Only the opening comment (its lines come one event each).
            Event::Html(_) if self.in_comment => Ok(()),
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            Event::Text(text) => {
                self.inline(&text);
                Ok(())
            }
            Event::Code(code) => {
                self.lines_last().push(bold(code.as_ref()));
                Ok(())
            }
            Event::SoftBreak => {
                self.lines.push(Vec::new());
                Ok(())
            }
            Event::HardBreak => {
                self.lines_last().push(roff::line_break());
                Ok(())
            }
            other => err(format!("no man page rendering for {other:?}")),
        }
    }

    fn start(&mut self, tag: Tag<'_>) -> Result<(), Error> {
        match tag {
            Tag::Heading { level, .. } => {
                self.flush_lines();
                match (level, &self.title) {
                    (HeadingLevel::H1, Title::Expected) => self.title = Title::Reading,
                    (HeadingLevel::H1, _) => return err("a second `#` title"),
                    (HeadingLevel::H2, _) => {
                        self.page.control("SH", []);
                    }
                    _ => {
                        self.page.control("SS", []);
                    }
                }
                Ok(())
            }
            Tag::HtmlBlock if self.title == Title::Expected => {
                self.in_comment = true;
                Ok(())
            }
            Tag::Paragraph => {
                self.open_block();
                Ok(())
            }
            Tag::CodeBlock(kind) => {
                if let CodeBlockKind::Fenced(lang) = &kind
                    && !lang.is_empty()
                    && lang.as_ref() != "text"
                    && lang.as_ref() != "toml"
                    && lang.as_ref() != "sh"
                {
                    return err(format!("a code block in {lang:?}"));
                }
                self.open_block();
                self.page.control("RS", ["4"]).control("nf", []);
                Ok(())
            }
            Tag::List(first) => {
                if !self.lists.is_empty() {
                    self.flush_lines();
                    self.page.control("RS", []);
                }
                self.lists.push(List {
                    next: first,
                    item_opened: false,
                });
                Ok(())
            }
            Tag::Item => {
                self.flush_lines();
                let Some(list) = self.lists.last_mut() else {
                    return err("a list item outside a list");
                };
                list.item_opened = true;
                match &mut list.next {
                    Some(n) => {
                        let tag = format!("{n}.");
                        *n += 1;
                        self.page.control("IP", [tag.as_str(), "4"]);
                    }
                    None => {
                        self.page.control("IP", ["\\(bu", "2"]);
                    }
                }
                self.fresh = false;
                Ok(())
            }
            Tag::Table(alignments) => {
                if alignments.len() != 2 {
                    return err(format!(
                        "a table of {} columns (only two render, as tagged paragraphs)",
                        alignments.len()
                    ));
                }
                self.table = Some(Table::default());
                Ok(())
            }
            Tag::TableHead => {
                self.table_mut()?.head = true;
                Ok(())
            }
            Tag::TableRow => Ok(()),
            Tag::TableCell => {
                self.lines = vec![Vec::new()];
                Ok(())
            }
            Tag::Emphasis => {
                self.styles.push(Style::Italic);
                Ok(())
            }
            Tag::Strong => {
                self.styles.push(Style::Bold);
                Ok(())
            }
            Tag::Link { dest_url, .. } => {
                self.link = Some(dest_url.into_string());
                Ok(())
            }
            other => err(format!("no man page rendering for {other:?}")),
        }
    }

    fn end(&mut self, tag: TagEnd) -> Result<(), Error> {
        match tag {
            TagEnd::Heading(_) => {
                let text: Vec<Inline> = self
                    .lines
                    .drain(..)
                    .flatten()
                    .map(|i| match i {
                        Inline::Bold(t) | Inline::Italic(t) => roman(t),
                        other => other,
                    })
                    .collect();
                self.page.text(text);
                self.lines = vec![Vec::new()];
                self.fresh = true;
                Ok(())
            }
            TagEnd::HtmlBlock => {
                self.in_comment = false;
                Ok(())
            }
            TagEnd::Paragraph => {
                self.flush_lines();
                Ok(())
            }
            TagEnd::CodeBlock => {
                let text: String = self
                    .lines
                    .drain(..)
                    .flatten()
                    .map(|i| match i {
                        Inline::Roman(t) | Inline::Bold(t) | Inline::Italic(t) => t,
                        Inline::LineBreak => "\n".to_owned(),
                    })
                    .collect();
                for line in text.trim_end_matches('\n').split('\n') {
                    if line.is_empty() {
                        self.page.control("sp", []);
                    } else {
                        self.page.text([roman(line)]);
                    }
                }
                self.page.control("fi", []).control("RE", []);
                self.lines = vec![Vec::new()];
                Ok(())
            }
            TagEnd::List(_) => {
                self.flush_lines();
                self.lists.pop();
                if !self.lists.is_empty() {
                    self.page.control("RE", []);
                }
                Ok(())
            }
            TagEnd::Item => {
                self.flush_lines();
                Ok(())
            }
            TagEnd::Table => {
                self.table = None;
                self.fresh = false;
                Ok(())
            }
            TagEnd::TableHead => {
                let table = self.table_mut()?;
                table.head = false;
                table.cells.clear();
                Ok(())
            }
            TagEnd::TableRow => {
                let cells = std::mem::take(&mut self.table_mut()?.cells);
                let mut cells = cells.into_iter();
                let (Some(term), Some(what)) = (cells.next(), cells.next()) else {
                    return err("a table row without two cells");
                };
                self.page.control("TP", []).text(term).text(what);
                Ok(())
            }
            TagEnd::TableCell => {
                let cell: Vec<Inline> = self.lines.drain(..).flatten().collect();
                self.lines = vec![Vec::new()];
                let table = self.table_mut()?;
                if !table.head {
                    table.cells.push(cell);
                }
                Ok(())
            }
            TagEnd::Emphasis | TagEnd::Strong => {
                self.styles.pop();
                Ok(())
            }
            TagEnd::Link => {
                if let Some(url) = self.link.take() {
                    self.lines_last().push(roman(format!(" <{url}>")));
                }
                Ok(())
            }
            other => err(format!("no man page rendering for the end of {other:?}")),
        }
    }

    fn table_mut(&mut self) -> Result<&mut Table, Error> {
        match &mut self.table {
            Some(t) => Ok(t),
            None => err("a table part outside a table"),
        }
    }

    fn lines_last(&mut self) -> &mut Vec<Inline> {
        if self.lines.is_empty() {
            self.lines.push(Vec::new());
        }
        let last = self.lines.len() - 1;
        &mut self.lines[last]
    }

    fn inline(&mut self, text: &str) {
        // Text inside a code block keeps its line breaks.
        let styled = match self.styles.last() {
            Some(Style::Bold) => bold(text),
            Some(Style::Italic) => italic(text),
            None => roman(text),
        };
        self.lines_last().push(styled);
    }

    /// Starts a paragraph or a code block: `.PP` unless it opens a section or a list
    /// item; a further block of an item continues at the item's indentation.
    fn open_block(&mut self) {
        self.flush_lines();
        match self.lists.last_mut() {
            Some(list) if list.item_opened => list.item_opened = false,
            Some(_) => {
                self.page.control("IP", []);
            }
            None if self.fresh => {}
            None => {
                self.page.control("PP", []);
            }
        }
        self.fresh = false;
    }

    /// Writes the lines read so far, one text line each.
    fn flush_lines(&mut self) {
        for line in self.lines.drain(..) {
            if !line.is_empty() {
                self.page.text(line);
            }
        }
        self.lines = vec![Vec::new()];
    }
}

/// Characters the pages use beyond ASCII, as roff writes them.
const ESCAPES: [(char, &str); 11] = [
    ('…', "\\&..."),
    ('×', "\\(mu"),
    ('—', "\\(em"),
    ('–', "\\(en"),
    ('“', "\\(lq"),
    ('”', "\\(rq"),
    ('‘', "\\(oq"),
    ('’', "\\(cq"),
    ('→', "\\(->"),
    ('≤', "\\(<="),
    ('≥', "\\(>="),
];

/// `page` in ASCII, or the first character that has no escape here.
fn ascii(page: &str) -> Result<String, Error> {
    let mut out = String::with_capacity(page.len());
    for (n, line) in page.lines().enumerate() {
        for c in line.chars() {
            if c.is_ascii() {
                out.push(c);
            } else if let Some((_, e)) = ESCAPES.iter().find(|(k, _)| *k == c) {
                out.push_str(e);
            } else {
                return err(format!(
                    "line {} of the page: {c:?} has no roff escape here",
                    n + 1
                ));
            }
        }
        out.push('\n');
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
