//! A sweep spec (TOML) and the cells it expands to.
//!
//! ```toml
//! experiments = ["heavy_ball_min_norm"]   # registered names (`experiments list`)
//! seeds = [1, 2, 3, 4, 5]
//! quick = true                            # optional: --quick defaults (default false)
//! plot = ["lr"]                           # optional: quantities plotted against each grid axis
//!
//! [params]                                # optional: set in every cell
//! steps = 500
//!
//! [grid]                                  # optional: one cell per combination (axes in name order)
//! n = [10, 20]
//! d = [[40], [80]]                        # a value is a number or a list of numbers
//!
//! [[claim]]                               # optional: claims over seeds, stated by `merge`
//! experiment = "heavy_ball_min_norm"
//! claim = "from w0 the run stays away from the min-l2 interpolant"
//! value = "||w(T) - w_min_l2|| / ||w_min_l2||, from w0"
//! minus = "lr"                            # optional: a paired difference per seed
//! above = 0.0                             # or `below`: the 95% interval must lie beyond it
//!
//! [[figure]]                              # optional: arrays of the summaries, mean and band
//! experiment = "width_sweep"
//! x = "widths"
//! y = ["test_error", "train_error"]
//! log_x = true
//! ```
//!
//! Every name in `params` and `grid` must be a parameter that every listed experiment declares
//! (`experiments list --params NAME`), with values of its kind. A quantity (in `value`, `minus`,
//! `plot`) names, in a cell's summary, a claim (its text), a reported number, a one-element
//! array, or an array element `ARRAY[XARRAY=v]` (e.g. `test_error[widths=32]`).
//!
//! Cells are experiments x seeds x grid points, in that order (the last grid axis fastest);
//! their indices are fixed by the spec, so shards (`--shard I/N`: the cells `i` with
//! `i mod N = I`) of the same spec never overlap.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::error::{Error, Result};
use crate::runner::params::{self, Params};
use crate::Experiment;

/// A number or a list of numbers, as written in the spec.
#[derive(Deserialize)]
#[serde(untagged)]
enum Numbers {
    One(f64),
    Many(Vec<f64>),
}

impl Numbers {
    fn into_vec(self) -> Vec<f64> {
        match self {
            Numbers::One(v) => vec![v],
            Numbers::Many(v) => v,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSpec {
    experiments: Spanned<Vec<Spanned<String>>>,
    seeds: Spanned<Vec<u64>>,
    #[serde(default)]
    quick: bool,
    #[serde(default)]
    plot: Vec<String>,
    #[serde(default)]
    params: BTreeMap<Spanned<String>, Spanned<Numbers>>,
    #[serde(default)]
    grid: BTreeMap<Spanned<String>, Spanned<Vec<Numbers>>>,
    #[serde(default)]
    claim: Vec<Spanned<RawClaim>>,
    #[serde(default)]
    figure: Vec<Spanned<RawFigure>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClaim {
    experiment: String,
    claim: String,
    value: String,
    minus: Option<String>,
    above: Option<f64>,
    below: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFigure {
    experiment: String,
    x: String,
    y: Vec<String>,
    #[serde(default)]
    log_x: bool,
    #[serde(default)]
    log_y: bool,
}

/// Which side of its bound a claim over seeds puts the 95% interval of the mean.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Side {
    /// The whole interval above the bound.
    Above(f64),
    /// The whole interval below the bound.
    Below(f64),
}

/// A claim over seeds, checked by `merge`: per grid point, the per-seed values of `value`
/// (minus `minus`: a paired difference) have a 95% interval of the mean beyond the bound.
#[derive(Clone, Debug)]
pub struct SeedClaim {
    /// The experiment whose cells it reads.
    pub experiment: String,
    /// The claim, in words.
    pub claim: String,
    /// The quantity (see the module docs).
    pub value: String,
    /// The quantity subtracted per seed, if any.
    pub minus: Option<String>,
    /// The bound and its side.
    pub side: Side,
}

/// A figure of arrays over seeds: mean of each `y` array against the `x` array, with a 95% band.
#[derive(Clone, Debug)]
pub struct ArrayFigure {
    /// The experiment whose cells it reads.
    pub experiment: String,
    /// The array on the x axis.
    pub x: String,
    /// The arrays plotted.
    pub y: Vec<String>,
    /// log10 x axis.
    pub log_x: bool,
    /// log10 y axis.
    pub log_y: bool,
}

/// A parsed, checked sweep spec.
#[derive(Clone)]
pub struct Spec {
    /// The file it was read from.
    pub file: PathBuf,
    /// Its text (copied to the sweep directory, where `merge` reads it).
    pub text: String,
    /// The experiments.
    pub experiments: Vec<&'static Experiment>,
    /// The seeds.
    pub seeds: Vec<u64>,
    /// `--quick` defaults.
    pub quick: bool,
    /// Quantities plotted against each grid axis.
    pub plot: Vec<String>,
    /// Parameters set in every cell.
    pub params: Params,
    /// The grid axes (in name order) and their values.
    pub grid: Vec<(String, Vec<Vec<f64>>)>,
    /// Claims over seeds.
    pub claims: Vec<SeedClaim>,
    /// Figures of arrays over seeds.
    pub figures: Vec<ArrayFigure>,
}

/// One run of one experiment: a seed and a grid point.
#[derive(Clone)]
pub struct Cell {
    /// Its index in the sweep (fixed by the spec).
    pub index: usize,
    /// The experiment.
    pub experiment: &'static Experiment,
    /// The seed.
    pub seed: u64,
    /// The grid point: one value per axis, in axis order.
    pub point: Vec<(String, Vec<f64>)>,
    /// All parameter overrides: the spec's `params` and the grid point.
    pub params: Params,
}

/// `v1,v2,...` as the experiments print numbers.
pub fn show(values: &[f64]) -> String {
    values
        .iter()
        .map(|v| v.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// `name=value name=value ...` of a grid point (empty for none).
pub fn point_label(point: &[(String, Vec<f64>)]) -> String {
    point
        .iter()
        .map(|(k, v)| format!("{k}={}", show(v)))
        .collect::<Vec<_>>()
        .join(" ")
}

impl Cell {
    /// Its directory name under `DIR/cells/`: index, experiment, seed, grid point.
    pub fn dir_name(&self) -> String {
        let mut s = format!(
            "{:04}-{}-seed{}",
            self.index, self.experiment.name, self.seed
        );
        for (k, v) in &self.point {
            s.push_str(&format!("-{k}={}", show(v)));
        }
        s
    }

    /// `experiment seed=S name=value ...`, for progress lines and reports.
    pub fn label(&self) -> String {
        let p = point_label(&self.point);
        let mut s = format!("{} seed={}", self.experiment.name, self.seed);
        if !p.is_empty() {
            s.push(' ');
            s.push_str(&p);
        }
        s
    }
}

/// The 1-based line of byte `offset` in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

impl Spec {
    /// Reads and checks the spec in `file`; errors name the file and line (exit code 2).
    pub fn read(file: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(file).map_err(|e| {
            Error::Usage(format!(
                "{}: cannot read the sweep spec: {e}",
                file.display()
            ))
        })?;
        Self::parse(file, &text)
    }

    /// Parses and checks `text`, read from `file`.
    pub fn parse(file: &Path, text: &str) -> Result<Self> {
        let at = |span: std::ops::Range<usize>, message: String| {
            let line = line_of(text, span.start);
            Error::data(file, Some((line, line)), message)
        };
        let raw: RawSpec = toml::from_str(text).map_err(|e| {
            let message = e.message().trim().to_string();
            match e.span() {
                Some(span) => at(span, message),
                None => Error::data(file, None, message),
            }
        })?;
        let mut experiments = Vec::new();
        for name in raw.experiments.get_ref() {
            let exp = crate::find(name.get_ref()).map_err(|e| at(name.span(), e.to_string()))?;
            if experiments.iter().any(|e: &&Experiment| e.name == exp.name) {
                return Err(at(
                    name.span(),
                    format!("experiment {} is listed twice", exp.name),
                ));
            }
            experiments.push(exp);
        }
        if experiments.is_empty() {
            return Err(at(
                raw.experiments.span(),
                "expected at least one experiment name".into(),
            ));
        }
        let seeds = raw.seeds.get_ref().clone();
        if seeds.is_empty() {
            return Err(at(raw.seeds.span(), "expected at least one seed".into()));
        }
        if let Some(s) = seeds
            .iter()
            .enumerate()
            .find(|(i, s)| seeds[..*i].contains(s))
        {
            return Err(at(
                raw.seeds.span(),
                format!("seed {} is listed twice", s.1),
            ));
        }
        // Each name must be declared by every experiment, and the values of its kind.
        let check =
            |name: &Spanned<String>, values: &[f64], span: std::ops::Range<usize>| -> Result<()> {
                for exp in &experiments {
                    let p = params::lookup(exp.name, exp.params, name.get_ref())
                        .map_err(|e| at(name.span(), e))?;
                    p.check(values)
                        .map_err(|e| at(span.clone(), format!("{}: {e}", exp.name)))?;
                }
                Ok(())
            };
        let mut fixed = Params::new();
        for (name, value) in raw.params {
            let span = value.span();
            let values = value.into_inner().into_vec();
            check(&name, &values, span)?;
            fixed.insert(name.into_inner(), values);
        }
        let mut grid = Vec::new();
        for (name, axis) in raw.grid {
            let span = axis.span();
            if fixed.contains_key(name.get_ref()) {
                return Err(at(
                    name.span(),
                    format!("{} is both in [params] and in [grid]", name.get_ref()),
                ));
            }
            let values: Vec<Vec<f64>> = axis
                .into_inner()
                .into_iter()
                .map(Numbers::into_vec)
                .collect();
            if values.is_empty() {
                return Err(at(
                    span,
                    format!("grid axis {}: expected at least one value", name.get_ref()),
                ));
            }
            for v in &values {
                check(&name, v, span.clone())?;
            }
            grid.push((name.into_inner(), values));
        }
        let known = |name: &str, span| -> Result<()> {
            if experiments.iter().any(|e| e.name == name) {
                Ok(())
            } else {
                Err(at(
                    span,
                    format!("experiment {name:?} is not in this sweep's experiments"),
                ))
            }
        };
        let mut claims = Vec::new();
        for c in raw.claim {
            let span = c.span();
            let c = c.into_inner();
            known(&c.experiment, span.clone())?;
            let side = match (c.above, c.below) {
                (Some(b), None) => Side::Above(b),
                (None, Some(b)) => Side::Below(b),
                _ => {
                    return Err(at(
                        span,
                        "a [[claim]] needs exactly one of `above = BOUND` or `below = BOUND`"
                            .into(),
                    ))
                }
            };
            claims.push(SeedClaim {
                experiment: c.experiment,
                claim: c.claim,
                value: c.value,
                minus: c.minus,
                side,
            });
        }
        let mut figures = Vec::new();
        for f in raw.figure {
            let span = f.span();
            let f = f.into_inner();
            known(&f.experiment, span)?;
            figures.push(ArrayFigure {
                experiment: f.experiment,
                x: f.x,
                y: f.y,
                log_x: f.log_x,
                log_y: f.log_y,
            });
        }
        Ok(Spec {
            file: file.to_path_buf(),
            text: text.to_string(),
            experiments,
            seeds,
            quick: raw.quick,
            plot: raw.plot,
            params: fixed,
            grid,
            claims,
            figures,
        })
    }

    /// The grid points, in order (the last axis fastest); one empty point without a grid.
    pub fn points(&self) -> Vec<Vec<(String, Vec<f64>)>> {
        let mut points = vec![Vec::new()];
        for (name, values) in &self.grid {
            points = points
                .into_iter()
                .flat_map(|p| {
                    values.iter().map(move |v| {
                        let mut q = p.clone();
                        q.push((name.clone(), v.clone()));
                        q
                    })
                })
                .collect();
        }
        points
    }

    /// Every cell, in index order: experiments x seeds x grid points.
    pub fn cells(&self) -> Vec<Cell> {
        let points = self.points();
        let mut cells = Vec::new();
        for &experiment in &self.experiments {
            for &seed in &self.seeds {
                for point in &points {
                    let mut params = self.params.clone();
                    params.extend(point.iter().cloned());
                    cells.push(Cell {
                        index: cells.len(),
                        experiment,
                        seed,
                        point: point.clone(),
                        params,
                    });
                }
            }
        }
        cells
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Spec> {
        Spec::parse(Path::new("s.toml"), text)
    }

    #[test]
    fn cells_are_experiments_by_seeds_by_grid_points() {
        let spec = parse(
            "experiments = [\"heavy_ball_min_norm\"]\nseeds = [1, 2]\n[params]\nsteps = 10\n\
             [grid]\nn = [5, 6]\nd = [[40], [50]]\n",
        )
        .unwrap();
        let cells = spec.cells();
        assert_eq!(cells.len(), 8);
        assert_eq!(cells[1].label(), "heavy_ball_min_norm seed=1 d=40 n=6");
        assert_eq!(
            cells[1].dir_name(),
            "0001-heavy_ball_min_norm-seed1-d=40-n=6"
        );
        assert_eq!(cells[7].params["steps"], vec![10.0]);
    }

    #[test]
    fn errors_name_the_line() {
        let cases = [
            (
                "experiments = [\"heavy_ball_min_norm\"]\nseeds = [1]\n[grid]\nwidth = [1]\n",
                4,
                "no parameter",
            ),
            (
                "experiments = [\"heavy_ball_min_norm\"]\nseeds = [1]\n[params]\nn = 2.5\n",
                4,
                "integer",
            ),
            (
                "experiments = [\"nope\"]\nseeds = [1]\n",
                1,
                "unknown experiment",
            ),
            (
                "experiments = [\"heavy_ball_min_norm\"]\n\nseeds = 3\n",
                3,
                "expected",
            ),
            (
                "experiments = [\"heavy_ball_min_norm\"]\nseeds = [1]\ncolour = 1\n",
                3,
                "colour",
            ),
        ];
        for (text, line, what) in cases {
            let e = parse(text).err().expect("an error").to_string();
            assert!(e.starts_with(&format!("s.toml: line {line}: ")), "{e}");
            assert!(e.contains(what), "{e}");
        }
    }
}
