//! GUIDE.md, walkthrough 1: a new experiment, end to end. Copy this file to start your own.
//!
//! Claim: on underdetermined least squares, SGD with heavy-ball momentum (full batch) started at
//! zero reaches the minimum-l2-norm interpolant, and started at `w0` the interpolant closest to
//! `w0` — the initialization, not the loss, picks the solution.
//!
//! The model is an `nn::Linear` layer without bias, the optimizer `optim::Sgd`, the loss a tensor
//! op, the reference `crate::reference::{min_l2_interpolant, closest_interpolant}`; the runner's
//! loop `Ctx::train` steps, logs, checkpoints and resumes it. It is registered in
//! `crate::TUTORIALS` (listed by `experiments list`, not run by `experiments all`), so
//!
//! ```text
//! cargo run --release -p experiments -- run heavy_ball_min_norm --quick
//! ```
//!
//! writes `results/heavy_ball_min_norm/{summary.json, *.csv, *.svg, *.png}`, adds its section to
//! `results/REPORT.md` and prints the verdict. `experiments/tests/guide_experiment.rs` runs it.

use crate::reference::{closest_interpolant, interpolation_residual, min_l2_interpolant, Matrix};
use crate::runner::{Figure, Series};
use crate::stats::{log_points, rel_dist};
use crate::Experiment;
use crate::{Claim, Ctx, Error, Param, ParamKind, Result, Summary, Training};
use autograd::{no_grad, Tensor};
use nn::{Linear, Module};
use optim::{Sgd, SgdConfig};
use rand::Rng;
use rand_distr::StandardNormal;

/// The registry entry (listed by `experiments list`).
pub const EXPERIMENT: Experiment = Experiment {
    name: "heavy_ball_min_norm",
    items: "guide",
    claim: "underdetermined least squares: heavy-ball SGD from 0 reaches the min-l2 interpolant, \
        from w0 the interpolant closest to w0",
    takes_data: false,
    params: PARAMS,
    run,
};

/// The tunable parameters (`experiments list --params heavy_ball_min_norm`), each with its
/// default at full size and with `--quick`; `run` reads them with `ctx.param_usize(NAME)`.
const PARAMS: &[Param] = &[
    Param {
        name: "n",
        doc: "samples (rows of X), fewer than features",
        kind: ParamKind::Count,
        full: &[20.0],
        quick: &[10.0],
    },
    Param {
        name: "d",
        doc: "features",
        kind: ParamKind::Count,
        full: &[80.0],
        quick: &[40.0],
    },
    Param {
        name: "steps",
        doc: "steps of each run",
        kind: ParamKind::Count,
        full: &[20_000.0],
        quick: &[2_000.0],
    },
];

/// A run of `Sgd(lr, momentum 0.9)`, full batch, on `0.5 mean_i (<x_i, w> - y_i)^2` from `w0`,
/// logging the loss and the relative distance to `reference` (the interpolant it should reach).
fn heavy_ball<'a>(
    x: &'a Tensor<f64>,
    y: &'a Tensor<f64>,
    w0: &[f64],
    lr: f64,
    reference: &'a [f64],
) -> Training<'a, f64, Linear<f64>, Sgd<f64>> {
    // The model: a bias-free linear predictor, weight [1, d].
    let weight = Tensor::from_vec(w0.to_vec(), [1, w0.len()])
        .expect("w0 has d entries")
        .requires_grad();
    let mut model = Linear::from_tensors(weight, None);
    // The optimizer, on the model's parameters.
    let opt = Sgd::new(
        nn::params::tensors(&mut model),
        SgdConfig {
            lr,
            momentum: 0.9,
            ..Default::default()
        },
    );
    Training::new(model, opt)
        .loss(|m, _rng, _t| m.forward(x).squared_loss(y))
        .log(&["loss", "rel_dist"], |m, _t| {
            let loss = no_grad(|| m.forward(x).squared_loss(y).item());
            vec![loss, rel_dist(&m.weight.to_vec(), reference)]
        })
}

/// The experiment: data, references, two runs, claims, trace, figure.
pub fn run(ctx: &Ctx) -> Result<Summary> {
    let mut s = Summary::default();
    // Data: n < d Gaussian samples (seeded from --seed via ctx.rng).
    let (n, d) = (ctx.param_usize("n")?, ctx.param_usize("d")?);
    if n == 0 || n >= d {
        return Err(Error::Usage(format!(
            "heavy_ball_min_norm: expected 0 < n < d (underdetermined), found n = {n}, d = {d}"
        )));
    }
    let mut rng = ctx.rng("data");
    let mut gauss = |k: usize| -> Vec<f64> { (0..k).map(|_| rng.sample(StandardNormal)).collect() };
    let x = Matrix::new(n, d, gauss(n * d)).map_err(|e| Error::reference("data", e))?;
    let y = gauss(n);
    let w0: Vec<f64> = gauss(d);

    // References, from the independent solvers (never from the method under test).
    let min_l2 = min_l2_interpolant(&x, &y).map_err(|e| Error::reference("min-l2", e))?;
    let closest = closest_interpolant(&x, &y, &w0).map_err(|e| Error::reference("closest", e))?;
    s.report(
        "the references' worst ||X w - y|| / (1 + ||y||) (reference accuracy)",
        interpolation_residual(&x, &y, &min_l2.w).max(interpolation_residual(&x, &y, &closest.w)),
    );

    // Training: the data as tensors; lr = 1 / L with L = sigma_max(X)^2 / n, the curvature
    // of the mean squared loss.
    let (xt, yt) = (x.to_tensor(), Tensor::from_vec(y.clone(), [n, 1]).unwrap());
    let lr = n as f64 / x.sigma_max_sq();
    let steps = ctx.param_usize("steps")? as u64;
    let log_at = log_points(steps, 10);
    let run = |name, w0: &[f64], reference: &[f64]| {
        ctx.train(
            name,
            heavy_ball(&xt, &yt, w0, lr, reference),
            steps,
            &log_at,
        )
    };
    let from_zero = run("from_zero", &vec![0.0; d], &min_l2.w)?;
    let from_w0 = run("from_w0", &w0, &closest.w)?;
    let w_from_zero = from_zero.model.weight.to_vec();
    let w_from_w0 = from_w0.model.weight.to_vec();

    // Claims: a metric, a bound, a relation (`below`, `at_most`, `above`, `within`, `is_true`),
    // and a kind: a prediction (the default: the theorem's conclusion), a `.control()` (a rival
    // that must differ) or a `.sanity()` check (a precondition of the measurement).
    let loss_end = *from_zero.trace.col("loss").last().unwrap_or(&f64::NAN);
    s.claim(
        Claim::below(
            "heavy-ball SGD from 0 interpolates",
            "training loss at the last step",
            loss_end,
            1e-12,
        )
        .sanity(),
    );
    s.claim(Claim::below(
        "from 0 it reaches the min-l2 interpolant",
        "||w(T) - w_min_l2|| / ||w_min_l2||",
        rel_dist(&w_from_zero, &min_l2.w),
        1e-6,
    ));
    s.claim(Claim::below(
        "from w0 it reaches the interpolant closest to w0",
        "||w(T) - w_closest(w0)|| / ||w_closest(w0)||",
        rel_dist(&w_from_w0, &closest.w),
        1e-6,
    ));
    // The control discriminates only if the two predicted interpolants are far apart compared
    // with how closely the runs reach them (the 1e-6 of the predictions above).
    s.claim(
        Claim::above(
            "the initialization matters: from w0 it does not reach the min-l2 interpolant",
            "||w(T) - w_min_l2|| / ||w_min_l2||, from w0",
            rel_dist(&w_from_w0, &min_l2.w),
            0.1,
        )
        .control()
        .discriminating(rel_dist(&closest.w, &min_l2.w), 1e-6),
    );

    // Informational numbers, arrays, traces and a figure.
    s.report("lr", lr);
    s.report("steps", from_zero.steps as f64);
    s.array("w_from_zero", &w_from_zero);
    s.array("w_min_l2", &min_l2.w);
    ctx.write_trace(&mut s, "from_zero", &from_zero.trace)?;
    ctx.write_trace(&mut s, "from_w0", &from_w0.trace)?;
    let fig = Figure::new(
        "rel_dist",
        "heavy-ball SGD: distance to the predicted interpolant",
        "t",
        "||w(t) - w_ref|| / ||w_ref||",
        true,
        true,
    )
    .with(Series::from_trace(
        "from 0 → min-l2",
        &from_zero.trace,
        "rel_dist",
    ))
    .with(Series::from_trace(
        "from w0 → closest to w0",
        &from_w0.trace,
        "rel_dist",
    ));
    ctx.save_figure(&mut s, &fig)?;
    s.notes
        .push("full-batch SGD with momentum 0.9 and lr = n / sigma_max(X)^2".into());
    Ok(s)
}
