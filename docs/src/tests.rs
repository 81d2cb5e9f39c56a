use super::*;
use std::path::Path;

const HEAD: &str = "<!--\nman: demo 5 File Formats\nname: a demo page\nsynopsis: /etc/demo.toml\n-->\n\n# demo reference\n\n";

fn page(body: &str) -> String {
    man_page(&format!("{HEAD}{body}"), "2026-11-25", "pve-mcp 0.1.0").unwrap()
}

/// The page without the roff crate's preamble.
fn body(page: &str) -> &str {
    &page[page.find(".TH").unwrap()..]
}

#[test]
fn the_header_names_the_page() {
    let p = page("Intro text.\n");
    assert!(body(&p).starts_with(concat!(
        ".TH DEMO 5 2026-11-25 \"pve-mcp 0.1.0\" \"File Formats\"\n",
        ".SH NAME\ndemo \\- a demo page\n",
        ".SH SYNOPSIS\n\\fI/etc/demo.toml\\fR\n",
        ".SH DESCRIPTION\nIntro text.\n",
    )));
    assert!(!p.contains("demo reference"), "the title is not rendered");
    for bad in [
        "# no comment\n",
        "<!--\nname: x\n-->\n",
        "<!--\nman: demo\nname: x\n-->\n",
        "<!--\nman: demo 5 X\n-->\n",
    ] {
        assert!(man_page(bad, "d", "s").is_err(), "{bad}");
    }
}

#[test]
fn sections_paragraphs_and_inline_styles() {
    let p = page(concat!(
        "## `[guests]`: the scope\n\nFirst `allow` line,\n*all* of **it**.\n\n",
        "Second -- with .dots\n.leading.\n\n### Sub\n\nText.\n"
    ));
    let want = concat!(
        ".SH\n[guests]: the scope\n",
        "First \\fBallow\\fR line,\n\\fIall\\fR of \\fBit\\fR.\n",
        ".PP\nSecond \\-\\- with .dots\n\\&.leading.\n",
        ".SS\nSub\nText.\n",
    );
    assert!(body(&p).ends_with(want), "{p}");
}

#[test]
fn code_blocks_keep_their_lines() {
    let p = page("Before.\n\n    [api]\n    allow = [\"GET /a-b\"]\n\n    # x\n\nAfter.\n");
    assert!(
        body(&p).ends_with(concat!(
            "Before.\n.PP\n.RS 4\n.nf\n[api]\nallow = [\"GET /a\\-b\"]\n.sp\n# x\n.fi\n.RE\n",
            ".PP\nAfter.\n"
        )),
        "{p}"
    );
}

#[test]
fn lists_nest_and_tables_become_tagged_paragraphs() {
    let p = page(concat!(
        "1. **One**: first\n   - a\n   - b\n2. Two\n\n",
        "| word | what |\n| --- | --- |\n| `*` | every guest |\n| `100` | guest 100 |\n"
    ));
    assert!(
        body(&p).ends_with(concat!(
            ".IP 1. 4\n\\fBOne\\fR: first\n.RS\n.IP \\(bu 2\na\n.IP \\(bu 2\nb\n.RE\n",
            ".IP 2. 4\nTwo\n",
            ".TP\n\\fB*\\fR\nevery guest\n.TP\n\\fB100\\fR\nguest 100\n"
        )),
        "{p}"
    );
}

#[test]
fn what_cannot_render_is_refused_not_dropped() {
    let three = "| a | b | c |\n| - | - | - |\n| 1 | 2 | 3 |\n";
    let image = "![x](y.png)\n";
    let html = "<b>bold</b>\n";
    let unknown = "A snowman \u{2603}.\n";
    for bad in [three, image, html, unknown] {
        assert!(
            man_page(&format!("{HEAD}{bad}"), "d", "s").is_err(),
            "{bad}"
        );
    }
    assert!(page("Wide × high, and so on…\n").contains("Wide \\(mu high, and so on\\&...\n"));
}

#[test]
fn the_changelog_dates_the_pages() {
    let log = "pve-mcp (0.1.0) unstable; urgency=medium\n\n  * x\n\n -- A <a@b.c>  Wed, 25 Nov 2026 00:00:00 +0000\n";
    assert_eq!(pages::changelog_date(log).unwrap(), "2026-11-25");
    assert!(pages::changelog_date("nothing").is_err());
}

/// The man pages in the repository are what their Markdown generates, and the
/// examples in the Markdown are the example files: they cannot drift apart. On
/// failure: `cargo run -p pve-mcp-docs`.
#[test]
fn the_man_pages_and_examples_are_generated_from_their_sources() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    if let Err(e) = pages::write_all(&root, true) {
        panic!("{e}");
    }
}
