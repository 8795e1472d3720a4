//! The experiment suite: training runs that test the predictions of implicit-bias theory, and
//! the independent solvers that compute those predictions.
//!
//! The crate is laid out by what its parts are:
//!
//! | module | what it holds |
//! | --- | --- |
//! | [`runner`] | the context an experiment runs in ([`Ctx`]), the checkpointed training loop ([`Ctx::train`], [`Training`]), summaries, the report, figures, file output |
//! | [`reference`](mod@reference) | the reference solvers (closed forms on `faer`, convex programs on `clarabel`, dual Newton for mirror potentials) and the dense-matrix algebra they share |
//! | [`data`] | data loaders (CSV, IDX/MNIST) and the synthetic data sets of the protocols |
//! | [`stats`] | the statistics claims are made of (norms, distances, slopes) |
//! | `suite` | the experiments, one file each, each declaring its registry entry next to its protocol and claims |
//! | [`sweep`] | sweeps over seeds and parameter grids: specs, shards, the merged report, Slurm job arrays |
//!
//! The runner ([`run_experiment`], [`run_selected`], [`run_all`], the `experiments` binary)
//! runs the experiments in [`EXPERIMENTS`] (and, by name, the [`TUTORIALS`]); each writes
//! `OUT/NAME/summary.json` ([`Summary`]), CSV traces and SVG/PNG figures. [`run_all`] writes
//! `OUT/REPORT.md` for the whole suite, [`run_selected`] updates the sections of the
//! experiments it ran. Each experiment's doc comment states the protocol it implements.

#![deny(missing_docs)]

pub mod data;
pub mod error;
pub mod reference;
pub mod runner;
pub mod stats;
mod suite;
pub mod sweep;

use std::time::Instant;

pub use error::{Error, Result};
pub use runner::{
    report, Claim, Config, Ctx, EpochBatches, Kind, Param, ParamKind, Params, Progress, Summary,
    Trace, TrainRng, Trained, Training, DEFAULT_SEED,
};

/// One experiment of the suite: declared by its own file (`suite/NAME.rs`) as `EXPERIMENT`.
pub struct Experiment {
    /// Its name (the `run NAME` argument and output directory).
    pub name: &'static str,
    /// The protocol items it implements.
    pub items: &'static str,
    /// The prediction it checks.
    pub claim: &'static str,
    /// Whether `--data FILE` replaces its synthetic data.
    pub takes_data: bool,
    /// Its tunable parameters with their defaults (`experiments list --params NAME`), which a
    /// sweep may set per cell; read with [`Ctx::param`]. Empty: nothing tunable yet.
    pub params: &'static [Param],
    /// Runs it (the summary's metadata fields are filled in by [`run_experiment`]).
    pub run: fn(&Ctx) -> Result<Summary>,
}

/// Every experiment, in run order.
pub const EXPERIMENTS: &[Experiment] = &[
    suite::least_squares::EXPERIMENT,
    suite::logistic_margin::EXPERIMENT,
    suite::multiclass_margin::EXPERIMENT,
    suite::steepest_descent::EXPERIMENT,
    suite::matrix_sensing::EXPERIMENT,
    suite::deep_linear::EXPERIMENT,
    suite::linear_conv::EXPERIMENT,
    suite::diagonal_net::EXPERIMENT,
    suite::adaptive_vs_sgd::EXPERIMENT,
    suite::width_sweep::EXPERIMENT,
    suite::norm_growth::EXPERIMENT,
    suite::relu_1d::EXPERIMENT,
    suite::dropout_pathsgd::EXPERIMENT,
    suite::adam_margin::EXPERIMENT,
    suite::init_scale_accuracy::EXPERIMENT,
    suite::sgd_noise_sparsity::EXPERIMENT,
    suite::f1_margin::EXPERIMENT,
    suite::edge_of_stability::EXPERIMENT,
    suite::homogeneous_margin::EXPERIMENT,
];

/// Tutorial experiments (GUIDE.md): run by name (`run NAME`) and listed by
/// `list`, but not part of the suite that `all` runs and reports.
pub const TUTORIALS: &[Experiment] = &[suite::heavy_ball_min_norm::EXPERIMENT];

/// Every experiment `run NAME` knows: the suite, then the tutorials.
pub fn registered() -> impl Iterator<Item = &'static Experiment> {
    EXPERIMENTS.iter().chain(TUTORIALS)
}

/// The experiment called `name`, or a usage error listing the valid names.
pub fn find(name: &str) -> Result<&'static Experiment> {
    registered().find(|e| e.name == name).ok_or_else(|| {
        let names: Vec<&str> = registered().map(|e| e.name).collect();
        Error::Usage(format!(
            "unknown experiment {name:?}; known: {}",
            names.join(", ")
        ))
    })
}

/// Runs one experiment: writes `OUT/NAME/summary.json` (plus traces and
/// figures), removes its checkpoints once done, and prints its verdict line to stderr as it
/// finishes (so that a long `all` shows progress when its output goes to a file or a pipe).
///
/// # Errors
/// [`Error::Usage`] (exit code 2) when `--data` is given to an experiment that does not take
/// data (its protocol is defined on its own constructions): a flag an experiment cannot honour
/// is refused, never ignored.
pub fn run_experiment(exp: &'static Experiment, config: &Config) -> Result<Summary> {
    if let (Some(file), false) = (&config.data, exp.takes_data) {
        let takers: Vec<&str> = registered()
            .filter(|e| e.takes_data)
            .map(|e| e.name)
            .collect();
        return Err(Error::Usage(format!(
            "{} does not take --data (its protocol runs on its own constructions), so {} would \
             not be tested; the experiments that take data: {}",
            exp.name,
            file.display(),
            takers.join(", ")
        )));
    }
    let ctx = Ctx::of(config, exp);
    let start = Instant::now();
    let mut summary = (exp.run)(&ctx)?;
    summary.experiment = exp.name.into();
    summary.seed = config.seed;
    summary.quick = config.quick;
    summary.runtime_s = start.elapsed().as_secs_f64();
    summary.resumed = ctx.resumed().into_iter().collect();
    if exp.takes_data {
        summary.data = config.data.as_ref().map(|p| p.display().to_string());
    }
    runner::io::write_json(&ctx.dir.join("summary.json"), &summary)?;
    let ck = ctx.checkpoint_dir();
    if ck.exists() {
        std::fs::remove_dir_all(&ck).map_err(|e| Error::io(&ck, e))?;
    }
    eprintln!(
        "{}: {} in {:.1} s",
        exp.name,
        report::verdict(&summary),
        summary.runtime_s
    );
    Ok(summary)
}

/// Runs the given experiments and updates their sections of `OUT/REPORT.md`,
/// keeping those of the other experiments whose `OUT/NAME/summary.json` exists
/// (what `experiments run NAME...` does).
pub fn run_selected(exps: &[&'static Experiment], config: &Config) -> Result<Vec<Summary>> {
    let mut out = Vec::new();
    for exp in exps {
        out.push(run_experiment(exp, config)?);
    }
    report::update_report(&config.out, &out)?;
    Ok(out)
}

/// Runs every experiment of the suite and writes `OUT/REPORT.md`.
pub fn run_all(config: &Config) -> Result<Vec<Summary>> {
    let mut out = Vec::new();
    for exp in EXPERIMENTS {
        out.push(run_experiment(exp, config)?);
    }
    report::write_report(&config.out, &out)?;
    Ok(out)
}
