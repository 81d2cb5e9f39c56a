//! The suite's figures ("N cases, B bypasses, L leaks, I imprecise" per class) and the
//! list of every failing case, by class, with what went wrong.

use super::case::{Class, Outcome};
use std::fmt::Write;

/// One line per class, then the totals.
pub fn figures(outcomes: &[Outcome]) -> String {
    let mut out = String::new();
    let count = |class: Option<Class>| {
        let of = |o: &&Outcome| class.is_none_or(|c| o.class == c);
        let n = outcomes.iter().filter(of).count();
        let b = outcomes
            .iter()
            .filter(of)
            .filter(|o| !o.bypasses.is_empty())
            .count();
        let l = outcomes
            .iter()
            .filter(of)
            .filter(|o| !o.leaks.is_empty())
            .count();
        let i = outcomes
            .iter()
            .filter(of)
            .filter(|o| o.bypasses.is_empty() && o.leaks.is_empty() && o.imprecise.is_some())
            .count();
        format!("{n} cases, {b} bypasses, {l} leaks, {i} imprecise")
    };
    for class in Class::ALL {
        let _ = writeln!(out, "{:<36} {}", class.name(), count(Some(class)));
    }
    let _ = write!(out, "{:<36} {}", "total", count(None));
    out
}

/// Every case that failed, grouped by class.
pub fn failures(outcomes: &[Outcome]) -> String {
    let mut out = String::new();
    for class in Class::ALL {
        let failed: Vec<&Outcome> = outcomes
            .iter()
            .filter(|o| o.class == class)
            .filter(|o| !o.bypasses.is_empty() || !o.leaks.is_empty() || o.imprecise.is_some())
            .collect();
        if failed.is_empty() {
            continue;
        }
        let _ = writeln!(out, "== {} ({} failing)", class.name(), failed.len());
        for o in failed {
            for b in &o.bypasses {
                let _ = writeln!(out, "BYPASS   {}: {b}", o.name);
            }
            for l in &o.leaks {
                let _ = writeln!(out, "LEAK     {}: {l}", o.name);
            }
            if o.bypasses.is_empty()
                && o.leaks.is_empty()
                && let Some(i) = &o.imprecise
            {
                let _ = writeln!(out, "IMPRECISE {}: {i}", o.name);
            }
        }
    }
    out
}
