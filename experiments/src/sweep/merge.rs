//! `experiments merge DIR`: whatever cells of the sweep in `DIR` are complete, aggregated over
//! seeds per experiment and grid point: per claim how many seeds hold it; per claim metric and
//! reported number the mean, standard deviation and 95% interval; the spec's claims over seeds
//! (a one-sample t interval of per-seed values or paired differences); figures with error bands
//! per grid axis and per array figure; missing and failed cells listed with their errors.
//!
//! Writes `DIR/REPORT.md`, `DIR/merged.json` and `DIR/figures/`. Nothing in them depends on
//! when, where or in how many shards the cells ran (no runtimes, no paths outside `DIR`), so
//! merges of the same sweep compare equal byte for byte.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;

use serde_json::{json, Value};

use super::spec::{point_label, Cell, Side, Spec};
use super::{cell_dir, DONE_FILE, ERROR_FILE, SPEC_FILE};
use crate::error::{Error, Result};
use crate::runner::io::{write_atomic, write_json};
use crate::runner::{Bound, Figure, Series, Summary};
use crate::stats::{spread, Spread};

/// What a cell's directory holds.
enum Status {
    /// Complete: its summary.
    Done(Box<Summary>),
    /// Its last attempt failed: the error.
    Failed(String),
    /// Not run yet (or still running).
    Missing,
}

/// The status of `cell` in the sweep directory `dir`.
fn status(dir: &Path, cell: &Cell) -> Status {
    let cdir = cell_dir(dir, cell);
    if cdir.join(DONE_FILE).is_file() {
        let file = cdir.join(cell.experiment.name).join("summary.json");
        return match std::fs::read_to_string(&file)
            .map_err(|e| e.to_string())
            .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))
        {
            Ok(s) => Status::Done(Box::new(s)),
            Err(e) => Status::Failed(format!("{}: unreadable summary: {e}", file.display())),
        };
    }
    match std::fs::read_to_string(cdir.join(ERROR_FILE)) {
        Ok(e) => Status::Failed(e.trim().to_string()),
        Err(_) => Status::Missing,
    }
}

/// A quantity of a summary (see [`crate::sweep::spec`]): `ARRAY[XARRAY=v]`, a claim's text, a
/// reported number, or a one-element array.
pub fn quantity(s: &Summary, name: &str) -> Option<f64> {
    if let Some((array, at)) = name.strip_suffix(']').and_then(|n| n.split_once('[')) {
        let (x, v) = at.split_once('=')?;
        let v: f64 = v.trim().parse().ok()?;
        let i = s.arrays.get(x.trim())?.iter().position(|&e| e == v)?;
        return s.arrays.get(array.trim())?.get(i).copied();
    }
    s.claims
        .iter()
        .find(|c| c.claim == name)
        .map(|c| c.value)
        .or_else(|| s.report.get(name).copied())
        .or_else(|| match s.arrays.get(name).map(Vec::as_slice) {
            Some([v]) => Some(*v),
            _ => None,
        })
}

/// The cells of one experiment at one grid point, over seeds.
struct Group<'a> {
    experiment: &'static str,
    point: &'a [(String, Vec<f64>)],
    /// `(seed, summary)` of the complete cells, in seed order of the spec.
    done: Vec<(u64, &'a Summary)>,
}

/// A number for JSON: non-finite values as strings (as in `summary.json`).
fn num(x: f64) -> Value {
    if x.is_finite() {
        json!(x)
    } else {
        json!(x.to_string())
    }
}

fn spread_json(s: &Spread) -> Value {
    json!({"n": s.n, "mean": num(s.mean), "sd": num(s.sd), "ci95": [num(s.lo), num(s.hi)]})
}

/// `1.2345e-3` (the report's number format).
fn e4(x: f64) -> String {
    format!("{x:.4e}")
}

fn interval(s: &Spread) -> String {
    if s.lo.is_nan() {
        "—".into()
    } else {
        format!("[{}, {}]", e4(s.lo), e4(s.hi))
    }
}

fn cell_text(s: &str) -> String {
    s.replace('|', "\\|")
}

fn bound_text(relation: &str, b: &Bound) -> String {
    match b {
        Bound::Value(v) => format!("{relation} {}", e4(*v)),
        Bound::Range([lo, hi]) => format!("in [{}, {}]", e4(*lo), e4(*hi)),
    }
}

/// The point's label, or `(no grid)`.
fn point_or_none(point: &[(String, Vec<f64>)]) -> String {
    let p = point_label(point);
    if p.is_empty() {
        "(no grid)".into()
    } else {
        p
    }
}

/// A claim over seeds at one grid point: per-seed values, their spread, the verdict.
struct SeedVerdict {
    values: Vec<(u64, f64)>,
    spread: Spread,
    holds: bool,
}

fn seed_verdict(g: &Group, c: &super::spec::SeedClaim) -> SeedVerdict {
    let values: Vec<(u64, f64)> = g
        .done
        .iter()
        .filter_map(|(seed, s)| {
            let v = quantity(s, &c.value)?;
            let m = match &c.minus {
                Some(m) => quantity(s, m)?,
                None => 0.0,
            };
            Some((*seed, v - m))
        })
        .collect();
    let xs: Vec<f64> = values.iter().map(|v| v.1).collect();
    let spread = spread(&xs);
    let holds = match c.side {
        Side::Above(b) => spread.lo > b,
        Side::Below(b) => spread.hi < b,
    };
    SeedVerdict {
        values,
        spread,
        holds,
    }
}

/// Merges the sweep in `dir`: writes `REPORT.md`, `merged.json` and the figures; returns
/// whether every cell was complete.
pub fn merge(dir: &Path) -> Result<bool> {
    let spec_file = dir.join(SPEC_FILE);
    if !spec_file.is_file() {
        return Err(Error::Usage(format!(
            "{}: not a sweep directory (no {SPEC_FILE}; `experiments sweep SPEC --out DIR` writes it)",
            dir.display()
        )));
    }
    let spec = Spec::read(&spec_file)?;
    let cells = spec.cells();
    let statuses: Vec<Status> = cells.iter().map(|c| status(dir, c)).collect();
    let points = spec.points();
    let mut groups = Vec::new();
    for exp in &spec.experiments {
        for point in &points {
            let done = cells
                .iter()
                .zip(&statuses)
                .filter(|(c, _)| c.experiment.name == exp.name && &c.point == point)
                .filter_map(|(c, s)| match s {
                    Status::Done(x) => Some((c.seed, x.as_ref())),
                    _ => None,
                })
                .collect();
            groups.push(Group {
                experiment: exp.name,
                point,
                done,
            });
        }
    }
    let failed: Vec<(&Cell, &String)> = cells
        .iter()
        .zip(&statuses)
        .filter_map(|(c, s)| match s {
            Status::Failed(e) => Some((c, e)),
            _ => None,
        })
        .collect();
    let missing: Vec<&Cell> = cells
        .iter()
        .zip(&statuses)
        .filter(|(_, s)| matches!(s, Status::Missing))
        .map(|(c, _)| c)
        .collect();
    let complete = cells.len() - failed.len() - missing.len();

    let figures = draw_figures(dir, &spec, &groups)?;

    let mut md = String::from("# Sweep report\n\n");
    let _ = writeln!(
        md,
        "Spec `{SPEC_FILE}`: {} ({} experiment(s) x {} seed(s) x {} grid point(s) = {} cells), {}.\n",
        spec.experiments.iter().map(|e| e.name).collect::<Vec<_>>().join(", "),
        spec.experiments.len(),
        spec.seeds.len(),
        points.len(),
        cells.len(),
        if spec.quick { "quick defaults (`--quick`)" } else { "full-size defaults" }
    );
    if !spec.params.is_empty() {
        let _ = writeln!(
            md,
            "Parameters in every cell: {}.\n",
            crate::runner::params::label(&spec.params)
        );
    }
    if complete == cells.len() {
        let _ = writeln!(md, "All {} cells complete.\n", cells.len());
    } else {
        let _ = writeln!(
            md,
            "**Partial sweep**: {complete} of {} cells complete, {} failed, {} missing (listed at the end); the statistics below are over the complete cells only.\n",
            cells.len(),
            failed.len(),
            missing.len()
        );
    }
    md.push_str("Statistics over seeds: mean, sample standard deviation (sd) and the 95% Student-t interval of the mean.\n");

    let mut claims_json = Vec::new();
    if !spec.claims.is_empty() {
        md.push_str("\n## Claims over seeds\n\n| experiment | grid point | claim | seeds | mean | sd | 95% interval | bound | holds |\n|---|---|---|---|---|---|---|---|---|\n");
        for c in &spec.claims {
            for g in groups.iter().filter(|g| g.experiment == c.experiment) {
                let v = seed_verdict(g, c);
                let (rel, b) = match c.side {
                    Side::Above(b) => (">", b),
                    Side::Below(b) => ("<", b),
                };
                let _ = writeln!(
                    md,
                    "| {} | {} | {} | {} | {} | {} | {} | 95% interval {rel} {} | {} |",
                    g.experiment,
                    point_or_none(g.point),
                    cell_text(&c.claim),
                    v.values.len(),
                    e4(v.spread.mean),
                    e4(v.spread.sd),
                    interval(&v.spread),
                    e4(b),
                    if v.holds { "yes" } else { "**NO**" }
                );
                claims_json.push(json!({
                    "experiment": g.experiment,
                    "point": point_json(g.point),
                    "claim": c.claim,
                    "value": c.value,
                    "minus": c.minus,
                    "relation": rel,
                    "bound": num(b),
                    "per_seed": v.values.iter().map(|(s, x)| json!([s, num(*x)])).collect::<Vec<_>>(),
                    "spread": spread_json(&v.spread),
                    "holds": v.holds,
                }));
            }
        }
        md.push_str("\nA claim over seeds holds when the whole 95% interval of the mean (of the per-seed values, or of the paired per-seed differences `value - minus`) lies beyond its bound.\n");
    }

    let mut groups_json = Vec::new();
    for g in &groups {
        let _ = writeln!(
            md,
            "\n## {} — {}\n\nComplete seeds: {}.\n",
            g.experiment,
            point_or_none(g.point),
            if g.done.is_empty() {
                "none".to_string()
            } else {
                g.done
                    .iter()
                    .map(|(s, _)| s.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        );
        // Claims, in order of first appearance.
        let mut texts: Vec<&str> = Vec::new();
        for (_, s) in &g.done {
            for c in &s.claims {
                if !texts.contains(&c.claim.as_str()) {
                    texts.push(&c.claim);
                }
            }
        }
        let mut cj = Vec::new();
        if !texts.is_empty() {
            md.push_str("| claim | holds in | metric | mean | sd | 95% interval | bound |\n|---|---|---|---|---|---|---|\n");
        }
        for t in texts {
            let found: Vec<&crate::Claim> = g
                .done
                .iter()
                .filter_map(|(_, s)| s.claims.iter().find(|c| c.claim == t))
                .collect();
            let held = found.iter().filter(|c| c.holds).count();
            let sp = spread(&found.iter().map(|c| c.value).collect::<Vec<_>>());
            let first = found[0];
            let _ = writeln!(
                md,
                "| {} | {held}/{} | {} | {} | {} | {} | {} |",
                cell_text(t),
                found.len(),
                cell_text(&first.metric),
                e4(sp.mean),
                e4(sp.sd),
                interval(&sp),
                bound_text(&first.relation, &first.bound)
            );
            cj.push(json!({
                "claim": t, "metric": first.metric, "held": held, "of": found.len(),
                "relation": first.relation, "bound": match first.bound {
                    Bound::Value(v) => num(v),
                    Bound::Range([lo, hi]) => json!([num(lo), num(hi)]),
                },
                "spread": spread_json(&sp),
            }));
        }
        let mut reported: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
        for (_, s) in &g.done {
            for (k, v) in &s.report {
                reported.entry(k).or_default().push(*v);
            }
        }
        let mut rj = Vec::new();
        if !reported.is_empty() {
            md.push_str("\nReported (not asserted):\n\n| number | seeds | mean | sd | 95% interval |\n|---|---|---|---|---|\n");
        }
        for (k, v) in &reported {
            let sp = spread(v);
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} |",
                cell_text(k),
                sp.n,
                e4(sp.mean),
                e4(sp.sd),
                interval(&sp)
            );
            rj.push(json!({"name": k, "spread": spread_json(&sp)}));
        }
        groups_json.push(json!({
            "experiment": g.experiment,
            "point": point_json(g.point),
            "seeds": g.done.iter().map(|(s, _)| s).collect::<Vec<_>>(),
            "claims": cj,
            "report": rj,
        }));
    }

    if !figures.is_empty() {
        md.push_str(
            "\n## Figures\n\nMean over seeds; the band is the 95% interval of the mean.\n\n",
        );
        for f in &figures {
            let _ = writeln!(md, "![{f}](figures/{f}.svg)");
        }
    }
    if !failed.is_empty() {
        md.push_str("\n## Failed cells\n\n| cell | error |\n|---|---|\n");
        for (c, e) in &failed {
            let _ = writeln!(
                md,
                "| {} | {} |",
                c.dir_name(),
                cell_text(&e.replace('\n', " "))
            );
        }
    }
    if !missing.is_empty() {
        md.push_str("\n## Missing cells\n\nNot run yet, still running, or interrupted (rerun their shard to resume them):\n\n");
        for c in &missing {
            let _ = writeln!(md, "- {}", c.dir_name());
        }
    }
    write_atomic(&dir.join("REPORT.md"), md.as_bytes())?;
    let merged = json!({
        "spec": SPEC_FILE,
        "cells": cells.len(),
        "complete": complete,
        "failed": failed.iter().map(|(c, e)| json!({"cell": c.dir_name(), "error": e})).collect::<Vec<_>>(),
        "missing": missing.iter().map(|c| c.dir_name()).collect::<Vec<_>>(),
        "claims_over_seeds": claims_json,
        "groups": groups_json,
        "figures": figures,
    });
    write_json(&dir.join("merged.json"), &merged)?;
    println!(
        "merged {complete}/{} cells ({} failed, {} missing) into {}",
        cells.len(),
        failed.len(),
        missing.len(),
        dir.join("REPORT.md").display()
    );
    Ok(complete == cells.len())
}

fn point_json(point: &[(String, Vec<f64>)]) -> Value {
    Value::Object(
        point
            .iter()
            .map(|(k, v)| (k.clone(), Value::Array(v.iter().map(|&x| num(x)).collect())))
            .collect(),
    )
}

/// A series of means over seeds with its 95% band (where two seeds or more have a value).
fn band_series(name: &str, xs: &[f64], spreads: &[Spread]) -> Series {
    let ms: Vec<f64> = spreads.iter().map(|s| s.mean).collect();
    let (lo, hi): (Vec<f64>, Vec<f64>) = spreads.iter().map(|s| (s.lo, s.hi)).unzip();
    Series::new(name, xs, &ms).with_band(xs, &lo, &hi)
}

/// Whether values spanning two decades or more, all positive, are better on a log axis.
fn wide(v: &[f64]) -> bool {
    let (lo, hi) = v
        .iter()
        .filter(|x| x.is_finite())
        .fold((f64::MAX, f64::MIN), |(a, b), &x| (a.min(x), b.max(x)));
    lo > 0.0 && hi / lo >= 100.0
}

/// Draws the figures (per grid axis and quantity of `plot`; per `[[figure]]`) into
/// `dir/figures/`; returns their stems.
fn draw_figures(dir: &Path, spec: &Spec, groups: &[Group]) -> Result<Vec<String>> {
    let out = dir.join("figures");
    let mut stems = Vec::new();
    // Per grid axis: x = the axis value, one series per quantity and setting of the other axes.
    for (a, (axis, values)) in spec.grid.iter().enumerate() {
        if values.len() < 2 || values.iter().any(|v| v.len() != 1) {
            continue;
        }
        let xs: Vec<f64> = values.iter().map(|v| v[0]).collect();
        for exp in &spec.experiments {
            for (qi, q) in spec.plot.iter().enumerate() {
                // The other axes' settings, in order of first appearance.
                let mut rest: Vec<String> = Vec::new();
                for g in groups.iter().filter(|g| g.experiment == exp.name) {
                    let r = point_label(&without(g.point, a));
                    if !rest.contains(&r) {
                        rest.push(r);
                    }
                }
                let mut fig = Figure::new(
                    &format!("{}-{axis}-{qi}", exp.name),
                    &format!("{}: {q} vs {axis}", exp.name),
                    axis,
                    q,
                    wide(&xs),
                    false,
                );
                let mut all = Vec::new();
                for r in &rest {
                    let spreads: Vec<Spread> = xs
                        .iter()
                        .map(|&x| {
                            let vals: Vec<f64> = groups
                                .iter()
                                .filter(|g| {
                                    g.experiment == exp.name
                                        && g.point[a].1 == [x]
                                        && &point_label(&without(g.point, a)) == r
                                })
                                .flat_map(|g| g.done.iter().filter_map(|(_, s)| quantity(s, q)))
                                .collect();
                            spread(&vals)
                        })
                        .collect();
                    all.extend(spreads.iter().map(|s| s.mean));
                    let name = if r.is_empty() { q.clone() } else { r.clone() };
                    fig = fig.with(band_series(&name, &xs, &spreads));
                }
                if all.iter().all(|m| m.is_nan()) {
                    continue;
                }
                fig.log_y = wide(&all);
                fig.save(&out)?;
                stems.push(fig.stem);
            }
        }
    }
    // Arrays: elementwise over seeds, against the x array of the first complete seed.
    for (fi, f) in spec.figures.iter().enumerate() {
        let mut fig = Figure::new(
            &format!("{}-arrays-{fi}", f.experiment),
            &format!("{}: {} vs {}", f.experiment, f.y.join(", "), f.x),
            &f.x,
            &f.y.join(", "),
            f.log_x,
            f.log_y,
        );
        for g in groups.iter().filter(|g| g.experiment == f.experiment) {
            let Some(xs) = g.done.first().and_then(|(_, s)| s.arrays.get(&f.x)) else {
                continue;
            };
            for y in &f.y {
                let spreads: Vec<Spread> = (0..xs.len())
                    .map(|i| {
                        let vals: Vec<f64> = g
                            .done
                            .iter()
                            .filter(|(_, s)| s.arrays.get(&f.x) == Some(xs))
                            .filter_map(|(_, s)| s.arrays.get(y).and_then(|a| a.get(i)).copied())
                            .collect();
                        spread(&vals)
                    })
                    .collect();
                let p = point_label(g.point);
                let name = if p.is_empty() {
                    y.clone()
                } else {
                    format!("{y} {p}")
                };
                fig = fig.with(band_series(&name, xs, &spreads));
            }
        }
        if fig.series.is_empty() {
            continue;
        }
        fig.save(&out)?;
        stems.push(fig.stem);
    }
    Ok(stems)
}

/// The grid point without axis `a`.
fn without(point: &[(String, Vec<f64>)], a: usize) -> Vec<(String, Vec<f64>)> {
    point
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != a)
        .map(|(_, p)| p.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Claim;

    #[test]
    fn quantities_by_claim_report_array_and_element() {
        let mut s = Summary::default();
        s.claim(Claim::below("small", "x", 0.5, 1.0));
        s.report("lr", 0.1);
        s.array("widths", &[32.0, 1024.0]);
        s.array("test_error", &[0.2, 0.1]);
        s.array("one", &[7.0]);
        assert_eq!(quantity(&s, "small"), Some(0.5));
        assert_eq!(quantity(&s, "lr"), Some(0.1));
        assert_eq!(quantity(&s, "one"), Some(7.0));
        assert_eq!(quantity(&s, "test_error[widths=1024]"), Some(0.1));
        assert_eq!(quantity(&s, "test_error[widths=64]"), None);
        assert_eq!(quantity(&s, "widths"), None);
    }
}
