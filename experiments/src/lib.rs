//! The experiment suite: training runs that test the predictions of
//! implicit-bias theory, and ([`reference`](mod@reference)) the independent
//! solvers that compute those predictions.
//!
//! The runner ([`run_experiment`], [`run_selected`], [`run_all`], the
//! `experiments` binary) runs the experiments in [`EXPERIMENTS`] (and, by name,
//! the [`TUTORIALS`]); each writes `OUT/NAME/summary.json` ([`Summary`]), CSV
//! traces and SVG/PNG figures. [`run_all`] writes `OUT/REPORT.md` for the whole
//! suite, [`run_selected`] updates the sections of the experiments it ran. The protocols are those of `shared/science/protocols.md`.

#![deny(missing_docs)]

pub mod context;
pub mod data;
pub mod error;
pub mod flat;
pub mod io;
pub mod linear;
pub mod nets;
pub mod plot;
pub mod reference;
pub mod report;
pub mod stats;
pub mod summary;

mod adaptive_vs_sgd;
mod deep_linear;
mod diagonal_net;
mod dropout_pathsgd;
mod heavy_ball_min_norm;
mod least_squares;
mod linear_conv;
mod logistic_margin;
mod matrix_sensing;
mod multiclass_margin;
mod norm_growth;
mod relu_1d;
mod steepest_descent;
mod width_sweep;

use std::time::Instant;

pub use context::{Config, Ctx, Iterate, Run, Trace, DEFAULT_SEED};
pub use error::{Error, Result};
pub use summary::{Bound, Claim, Summary};

/// One experiment of the suite.
pub struct Experiment {
    /// Its name (the `run NAME` argument and output directory).
    pub name: &'static str,
    /// The protocol items it implements.
    pub items: &'static str,
    /// The prediction it checks.
    pub claim: &'static str,
    /// Whether `--data FILE` replaces its synthetic data.
    pub takes_data: bool,
    /// Runs it (the summary's metadata fields are filled in by [`run_experiment`]).
    pub run: fn(&Ctx) -> Result<Summary>,
}

/// Every experiment, in run order.
pub const EXPERIMENTS: &[Experiment] = &[
    Experiment {
        name: "least_squares",
        items: "1a-1e",
        claim: "underdetermined least squares: GD/SGD/momentum reach the min-l2 (closest) interpolant, \
                mirror descent the min-Bregman one (momentum/natural gradient break it), l4/3 steepest \
                descent depends on the step, AdaGrad is min-linf only on sign(X^T y) data, \
                coordinate descent ends near min-l1",
        takes_data: true,
        run: least_squares::run,
    },
    Experiment {
        name: "logistic_margin",
        items: "2a, 2b, 2c, 2e",
        claim: "logistic/exp loss on separable data: GD (and momentum) converge in direction to the \
                L2 SVM with loss ~ 1/t, ||w|| ~ ||w_hat|| log t, 1/log t rates; normalized GD is faster; \
                validation loss rises while validation error stays flat",
        takes_data: true,
        run: logistic_margin::run,
    },
    Experiment {
        name: "multiclass_margin",
        items: "3a",
        claim: "softmax cross-entropy GD on separable K-class data converges in direction to the \
                Crammer-Singer multiclass SVM",
        takes_data: true,
        run: multiclass_margin::run,
    },
    Experiment {
        name: "steepest_descent",
        items: "3b",
        claim: "normalized steepest descent w.r.t. l1 (coordinate descent), l2, l-inf (sign GD) on the \
                exp loss reaches that norm's max margin",
        takes_data: true,
        run: steepest_descent::run,
    },
    Experiment {
        name: "matrix_sensing",
        items: "4",
        claim: "matrix sensing with full-dimensional factorizations: X = UU^T approaches the min-trace PSD \
                solution as the init scale shrinks; X = UV^T is biased to low rank, not to min nuclear norm",
        takes_data: false,
        run: matrix_sensing::run,
    },
    Experiment {
        name: "deep_linear",
        items: "2d",
        claim: "deep linear nets (logistic loss, separable data): the product converges in direction to \
                the l2 SVM, layers become rank one and adjacent layers align",
        takes_data: true,
        run: deep_linear::run,
    },
    Experiment {
        name: "linear_conv",
        items: "5",
        claim: "full-width cyclic linear conv nets: DFT(beta) sparser with depth; L = 2 reaches min ||F beta||_1 \
                s.t. margins >= 1; fully connected nets go to the l2 SVM",
        takes_data: true,
        run: linear_conv::run,
    },
    Experiment {
        name: "diagonal_net",
        items: "10a",
        claim: "diagonal linear nets u*u - v*v reach argmin Q_alpha s.t. X beta = y: min-l1 for small alpha, \
                min-l2 for large alpha",
        takes_data: true,
        run: diagonal_net::run,
    },
    Experiment {
        name: "adaptive_vs_sgd",
        items: "6",
        claim: "adaptive methods (AdaGrad, RMSprop, Adam) find the sign(X^T y) solution and predict +1 \
                everywhere on Wilson et al.'s construction while GD/SGD/heavy ball find the min-norm one \
                with zero test error; an MNIST MLP trained to zero training error by SGD+momentum, \
                AdaGrad and Adam (test errors and weight norms reported)",
        takes_data: true,
        run: adaptive_vs_sgd::run,
    },
    Experiment {
        name: "width_sweep",
        items: "8a",
        claim: "two-layer ReLU nets on MNIST: past the width where training error reaches 0, test \
                error keeps falling or stays flat",
        takes_data: true,
        run: width_sweep::run,
    },
    Experiment {
        name: "norm_growth",
        items: "8b",
        claim: "an MNIST MLP trained with SGD+momentum far past zero training error: weight norm grows, \
                training loss -> 0, validation loss rises while validation error falls or stays",
        takes_data: true,
        run: norm_growth::run,
    },
    Experiment {
        name: "relu_1d",
        items: "7",
        claim: "a wide two-layer ReLU net with small weight decay on 1-D points approaches the interpolant \
                minimizing max(int |f''|, |f'(-inf) + f'(+inf)|): the linear spline",
        takes_data: false,
        run: relu_1d::run,
    },
    Experiment {
        name: "dropout_pathsgd",
        items: "9",
        claim: "Path-SGD is invariant to node rescaling and, from an unbalanced initialization, trains \
                much faster than SGD; with and without dropout on MNIST",
        takes_data: true,
        run: dropout_pathsgd::run,
    },
];

/// Tutorial experiments (GUIDE.md): run by name (`run NAME`) and listed by
/// `list`, but not part of the suite that `all` runs and reports.
pub const TUTORIALS: &[Experiment] = &[Experiment {
    name: "heavy_ball_min_norm",
    items: "guide",
    claim: "underdetermined least squares: heavy-ball SGD from 0 reaches the min-l2 interpolant, \
            from w0 the interpolant closest to w0",
    takes_data: false,
    run: heavy_ball_min_norm::run,
}];

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
/// figures) and removes its checkpoints once done.
pub fn run_experiment(exp: &Experiment, config: &Config) -> Result<Summary> {
    let ctx = Ctx::new(config, exp.name);
    let start = Instant::now();
    let mut summary = (exp.run)(&ctx)?;
    summary.experiment = exp.name.into();
    summary.seed = config.seed;
    summary.quick = config.quick;
    summary.runtime_s = start.elapsed().as_secs_f64();
    if exp.takes_data {
        summary.data = config.data.as_ref().map(|p| p.display().to_string());
    }
    io::write_json(&ctx.dir.join("summary.json"), &summary)?;
    let ck = ctx.checkpoint_dir();
    if ck.exists() {
        std::fs::remove_dir_all(&ck).map_err(|e| Error::io(&ck, e))?;
    }
    Ok(summary)
}

/// Runs the given experiments and updates their sections of `OUT/REPORT.md`,
/// keeping those of the other experiments whose `OUT/NAME/summary.json` exists
/// (what `experiments run NAME...` does).
pub fn run_selected(exps: &[&Experiment], config: &Config) -> Result<Vec<Summary>> {
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
