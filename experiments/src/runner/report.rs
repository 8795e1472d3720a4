//! `REPORT.md`, the one-line-per-experiment verdict table, and that table
//! spliced into the README between marker comments.

use std::fmt::Write;
use std::path::Path;

use crate::error::{Error, Result};
use crate::runner::io::write_atomic;
use crate::runner::{Bound, Claim, Summary};

/// The line after which `experiments all --readme FILE` writes the verdict table.
pub const README_BEGIN: &str = "<!-- verdicts:begin -->";
/// The line before which `experiments all --readme FILE` ends the verdict table.
pub const README_END: &str = "<!-- verdicts:end -->";

/// `PASS` / `FAIL` and, per claim kind present, how many held:
/// `PASS (12/12 predictions, 4/4 controls, 3/3 sanity, 1 not discriminating)`.
pub fn verdict(s: &Summary) -> String {
    let v = if s.all_hold() { "PASS" } else { "FAIL" };
    let (tally, not_discriminating) = s.tally();
    let mut parts: Vec<String> = tally
        .iter()
        .filter(|(_, _, n)| *n > 0)
        .map(|(k, held, n)| format!("{held}/{n} {}", k.plural()))
        .collect();
    if not_discriminating > 0 {
        parts.push(format!("{not_discriminating} not discriminating"));
    }
    if parts.is_empty() {
        parts.push("no claims".into());
    }
    format!("{v} ({})", parts.join(", "))
}

/// The verdict table printed by `all`.
pub fn verdict_table(summaries: &[Summary]) -> String {
    let mut s = format!(
        "{:<20} {:<56} {:>10}\n",
        "experiment", "verdict", "runtime_s"
    );
    for x in summaries {
        let _ = writeln!(
            s,
            "{:<20} {:<56} {:>10.1}",
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

/// `Seed S, full run` or `Seed S, quick run (...)`: the settings of one summary.
fn settings(x: &Summary) -> String {
    let mode = if x.quick {
        "**quick run** (`--quick`: small sizes and short horizons, not the full protocol)"
    } else {
        "full run"
    };
    format!("Seed {}, {mode}", x.seed)
}

/// The settings line above a verdict table: shared by every summary, or a
/// pointer to the per-section lines when the runs differ.
fn settings_line(summaries: &[Summary]) -> String {
    let all: Vec<String> = summaries.iter().map(settings).collect();
    match all.first() {
        Some(first) if all.iter().all(|x| x == first) => format!("{first}."),
        Some(_) => "Runs with different seeds or `--quick` settings: see each section.".into(),
        None => "No experiment has run.".into(),
    }
}

/// The Markdown verdict table: the settings line, then one row per experiment
/// (PASS/FAIL, claims held, runtime). Shared by `REPORT.md` and the README.
pub fn verdict_markdown(summaries: &[Summary]) -> String {
    let mut s = settings_line(summaries);
    s.push_str("\n\n| experiment | verdict | runtime (s) |\n|---|---|---|\n");
    for x in summaries {
        let _ = writeln!(
            s,
            "| {} | {} | {:.1} |",
            x.experiment,
            verdict(x),
            x.runtime_s
        );
    }
    s
}

/// Writes `OUT/REPORT.md`: the verdicts, then every claim, number and figure.
pub fn write_report(out: &Path, summaries: &[Summary]) -> Result<()> {
    let mut s = String::from("# Implicit-bias experiments: report\n\n");
    s.push_str(&verdict_markdown(summaries));
    for x in summaries {
        let _ = writeln!(s, "\n## {}\n", x.experiment);
        let _ = writeln!(s, "{}, {:.1} s.\n", settings(x), x.runtime_s);
        if let Some(d) = &x.data {
            let _ = writeln!(s, "Data: `{d}`\n");
        }
        s.push_str(
            "| kind | claim | metric | value | bound | holds |\n|---|---|---|---|---|---|\n",
        );
        for c in &x.claims {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {:.4e} | {} | {} |",
                format!("{:?}", c.kind).to_lowercase(),
                cell(&c.claim),
                cell(&c.metric),
                c.value,
                bound_text(c),
                match c.status() {
                    "held" => "yes",
                    "FAILED" => "**NO**",
                    _ => "not discriminating here",
                }
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

/// Rewrites `OUT/REPORT.md` with `fresh` in place of their experiments' earlier
/// results and, for every other registered experiment, the `OUT/NAME/summary.json`
/// already there: what `experiments run NAME...` does. Registry order, then the
/// fresh summaries of unregistered experiments.
pub fn update_report(out: &Path, fresh: &[Summary]) -> Result<()> {
    let mut all = Vec::new();
    for exp in crate::registered() {
        if fresh.iter().any(|x| x.experiment == exp.name) {
            continue;
        }
        let path = out.join(exp.name).join("summary.json");
        if path.is_file() {
            let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
            let x = serde_json::from_str(&text).map_err(|e| {
                Error::Other(format!(
                    "{}: {e} (written by another version? rerun that experiment or delete the file)",
                    path.display()
                ))
            })?;
            all.push(x);
        }
    }
    all.extend(fresh.iter().cloned());
    let rank = |x: &Summary| crate::registered().position(|e| e.name == x.experiment);
    // Stable sort: unregistered experiments go last, in the order given.
    all.sort_by_key(|x| rank(x).unwrap_or(usize::MAX));
    write_report(out, &all)
}

/// `text` with the lines strictly between the line [`README_BEGIN`] and the
/// line [`README_END`] replaced by `table`; a usage error naming `file` unless
/// each marker is a line of its own (the markers quoted inside prose do not
/// count), exactly once, begin before end.
pub fn splice_verdicts(file: &Path, text: &str, table: &str) -> Result<String> {
    // Byte offset of the start of each line equal to `marker` (surrounding blanks ignored).
    let find = |marker: &str| -> Result<(usize, usize)> {
        let mut offset = 0;
        let mut found = Vec::new();
        for line in text.split_inclusive('\n') {
            if line.trim() == marker {
                found.push((offset, offset + line.len()));
            }
            offset += line.len();
        }
        match found[..] {
            [one] => Ok(one),
            _ => Err(Error::Usage(format!(
                "{}: the line {marker} appears {} times; the verdict table goes between a line \
                 {README_BEGIN} and a line {README_END}, each exactly once",
                file.display(),
                found.len()
            ))),
        }
    };
    let (_, after_begin) = find(README_BEGIN)?;
    let (end, _) = find(README_END)?;
    if end < after_begin {
        return Err(Error::Usage(format!(
            "{}: the line {README_END} comes before the line {README_BEGIN}",
            file.display()
        )));
    }
    let mut head = text[..after_begin].to_string();
    if !head.ends_with('\n') {
        head.push('\n');
    }
    Ok(format!("{head}{table}{}", &text[end..]))
}

/// The block written between the README markers: where it came from, then
/// [`verdict_markdown`].
fn readme_block(summaries: &[Summary]) -> String {
    let total: f64 = summaries.iter().map(|x| x.runtime_s).sum();
    format!(
        "<!-- generated by `experiments all --readme` (see above); do not edit by hand -->\n\
         {}\nTotal runtime {total:.0} s.\n",
        verdict_markdown(summaries)
    )
}

/// Reads `file` and checks that it has the verdict markers, so that a bad
/// `--readme` fails before a long run rather than after it.
pub fn check_readme(file: &Path) -> Result<()> {
    let text = std::fs::read_to_string(file).map_err(|e| Error::io(file, e))?;
    splice_verdicts(file, &text, "").map(|_| ())
}

/// Writes the verdict table of `summaries` between the markers of `file`
/// (temporary file + rename: an interrupted write leaves the old README).
pub fn write_readme_verdicts(file: &Path, summaries: &[Summary]) -> Result<()> {
    let text = std::fs::read_to_string(file).map_err(|e| Error::io(file, e))?;
    let new = splice_verdicts(file, &text, &readme_block(summaries))?;
    write_atomic(file, new.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A summary of `name` whose single claim holds iff `holds`.
    fn summary(name: &str, holds: bool, quick: bool) -> Summary {
        let mut s = Summary {
            experiment: name.into(),
            seed: 3,
            quick,
            runtime_s: 1.25,
            ..Summary::default()
        };
        s.claim(Claim::below("c", "m", if holds { 0.0 } else { 2.0 }, 1.0));
        s
    }

    fn temp_dir(name: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("report-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    const README: &str = "# Title\n\nSay `<!-- verdicts:begin -->` in prose.\n\n\
                          <!-- verdicts:begin -->\nold table\n<!-- verdicts:end -->\n\n## Next\n";

    #[test]
    fn splice_replaces_only_the_lines_between_the_markers() {
        let f = Path::new("R.md");
        let out = splice_verdicts(f, README, "NEW\n").unwrap();
        assert_eq!(
            out,
            "# Title\n\nSay `<!-- verdicts:begin -->` in prose.\n\n\
             <!-- verdicts:begin -->\nNEW\n<!-- verdicts:end -->\n\n## Next\n"
        );
        // Splicing again replaces the previous table instead of stacking a second one.
        assert_eq!(splice_verdicts(f, &out, "NEW\n").unwrap(), out);
    }

    #[test]
    fn splice_names_the_file_and_the_problem() {
        let f = Path::new("docs/R.md");
        let err = |text: &str| splice_verdicts(f, text, "x\n").unwrap_err();
        let missing = err("# no markers\n");
        assert_eq!(missing.exit_code(), 2);
        let msg = missing.to_string();
        assert!(
            msg.starts_with("docs/R.md: the line <!-- verdicts:begin --> appears 0 times"),
            "{msg}"
        );
        let twice =
            err("<!-- verdicts:begin -->\n<!-- verdicts:begin -->\n<!-- verdicts:end -->\n");
        assert!(twice.to_string().contains("appears 2 times"), "{twice}");
        let no_end = err("<!-- verdicts:begin -->\n");
        assert!(
            no_end
                .to_string()
                .contains("verdicts:end --> appears 0 times"),
            "{no_end}"
        );
        let reversed = err("<!-- verdicts:end -->\n<!-- verdicts:begin -->\n");
        assert!(reversed.to_string().contains("comes before"), "{reversed}");
    }

    #[test]
    fn readme_gets_the_verdict_table_and_a_quick_label() {
        let dir = temp_dir("readme");
        let file = dir.join("README.md");
        std::fs::write(&file, README).unwrap();
        let runs = [summary("a", true, true), summary("b", false, true)];
        write_readme_verdicts(&file, &runs).unwrap();
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(text.starts_with("# Title\n"), "{text}");
        assert!(
            text.ends_with("<!-- verdicts:end -->\n\n## Next\n"),
            "{text}"
        );
        assert!(!text.contains("old table"), "{text}");
        assert!(text.contains("Seed 3, **quick run**"), "{text}");
        assert!(
            text.contains("| a | PASS (1/1 predictions) | 1.2 |"),
            "{text}"
        );
        assert!(
            text.contains("| b | FAIL (0/1 predictions) | 1.2 |"),
            "{text}"
        );
        // No temporary file left behind by the atomic write.
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        // A README without markers is refused before anything is written.
        std::fs::write(&file, "# plain\n").unwrap();
        assert!(check_readme(&file).is_err());
        assert!(write_readme_verdicts(&file, &runs).is_err());
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "# plain\n");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn update_report_keeps_the_other_experiments_in_registry_order() {
        let out = temp_dir("update");
        let tutorial = crate::TUTORIALS[0].name;
        let first = crate::EXPERIMENTS[0].name;
        let earlier = summary(first, false, false);
        crate::runner::io::write_json(&out.join(first).join("summary.json"), &earlier).unwrap();
        update_report(&out, &[summary(tutorial, true, true)]).unwrap();
        let report = std::fs::read_to_string(out.join("REPORT.md")).unwrap();
        let a = report.find(&format!("## {first}\n")).expect(&report);
        let b = report.find(&format!("## {tutorial}\n")).expect(&report);
        assert!(a < b, "{report}");
        assert!(
            report.contains("different seeds or `--quick` settings"),
            "{report}"
        );
        assert!(
            report.contains(&format!("| {first} | FAIL (0/1 predictions)")),
            "{report}"
        );
        std::fs::remove_dir_all(&out).unwrap();
    }
}
