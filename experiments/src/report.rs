//! `REPORT.md` and the one-line-per-experiment verdict table.

use std::fmt::Write;
use std::path::Path;

use crate::error::Result;
use crate::io::write_atomic;
use crate::summary::{Bound, Claim, Summary};

/// `PASS` / `FAIL` and the number of claims that hold.
pub fn verdict(s: &Summary) -> String {
    let held = s.claims.iter().filter(|c| c.holds).count();
    let v = if s.all_hold() { "PASS" } else { "FAIL" };
    format!("{v} ({held}/{} claims)", s.claims.len())
}

/// The verdict table printed by `all`.
pub fn verdict_table(summaries: &[Summary]) -> String {
    let mut s = format!(
        "{:<20} {:<20} {:>10}\n",
        "experiment", "verdict", "runtime_s"
    );
    for x in summaries {
        let _ = writeln!(
            s,
            "{:<20} {:<20} {:>10.1}",
            x.experiment,
            verdict(x),
            x.runtime_s
        );
    }
    s
}

/// Escapes `|` for a Markdown table cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|")
}

fn bound_text(c: &Claim) -> String {
    match c.bound {
        Bound::Value(b) => format!("{} {b:.4e}", c.relation),
        Bound::Range([lo, hi]) => format!("in [{lo:.4e}, {hi:.4e}]"),
    }
}

/// Writes `OUT/REPORT.md`: the verdicts, then every claim, number and figure.
pub fn write_report(out: &Path, summaries: &[Summary]) -> Result<()> {
    let mut s = String::from("# Implicit-bias experiments: report\n\n");
    let quick = summaries.first().is_some_and(|x| x.quick);
    let seed = summaries.first().map_or(0, |x| x.seed);
    let _ = writeln!(s, "Seed {seed}, quick = {quick}.\n");
    s.push_str("| experiment | verdict | runtime (s) |\n|---|---|---|\n");
    for x in summaries {
        let _ = writeln!(
            s,
            "| {} | {} | {:.1} |",
            x.experiment,
            verdict(x),
            x.runtime_s
        );
    }
    for x in summaries {
        let _ = writeln!(s, "\n## {}\n", x.experiment);
        if let Some(d) = &x.data {
            let _ = writeln!(s, "Data: `{d}`\n");
        }
        s.push_str("| claim | metric | value | bound | holds |\n|---|---|---|---|---|\n");
        for c in &x.claims {
            let _ = writeln!(
                s,
                "| {} | {} | {:.4e} | {} | {} |",
                cell(&c.claim),
                cell(&c.metric),
                c.value,
                bound_text(c),
                if c.holds { "yes" } else { "**NO**" }
            );
        }
        if !x.report.is_empty() {
            s.push_str("\nReported (not asserted):\n\n");
            for (k, v) in &x.report {
                let _ = writeln!(s, "- {k}: {v:.4e}");
            }
        }
        if !x.notes.is_empty() {
            s.push_str("\nNotes:\n\n");
            for n in &x.notes {
                let _ = writeln!(s, "- {n}");
            }
        }
        s.push('\n');
        for f in x.figures.iter().filter(|f| f.ends_with(".svg")) {
            let _ = writeln!(s, "![{f}]({}/{f})", x.experiment);
        }
    }
    write_atomic(&out.join("REPORT.md"), s.as_bytes())
}
