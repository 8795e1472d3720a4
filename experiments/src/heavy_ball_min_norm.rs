//! GUIDE.md, walkthrough 1: a new experiment, end to end. Copy this file to start your own.
//!
//! Claim: on underdetermined least squares, SGD with heavy-ball momentum (full batch) started at
//! zero reaches the minimum-l2-norm interpolant, and started at `w0` the interpolant closest to
//! `w0` — the initialization, not the loss, picks the solution.
//!
//! The model is an `nn::Linear` layer without bias, the optimizer `optim::Sgd`, the reference
//! `crate::reference::{min_l2_interpolant, closest_interpolant}`, the training loop
//! `Ctx::iterate` (logged, checkpointed, resumable). It is registered in `crate::TUTORIALS`
//! (listed by `experiments list`, not run by `experiments all`), so
//!
//! ```text
//! cargo run --release -p experiments -- run heavy_ball_min_norm --quick
//! ```
//!
//! writes `results/heavy_ball_min_norm/{summary.json, *.csv, *.svg, *.png}`, adds its section to
//! `results/REPORT.md` and prints the verdict. `experiments/tests/guide_experiment.rs` runs it.

use crate::linear::sigma_max_sq;
use crate::plot::{Figure, Series};
use crate::reference::{closest_interpolant, min_l2_interpolant, Matrix};
use crate::stats::{log_points, rel_dist};
use crate::{Claim, Ctx, Error, Iterate, Result, Summary};
use autograd::Tensor;
use nn::{Linear, Module};
use optim::{Optimizer, OptimizerState, Sgd, SgdConfig};
use rand::Rng;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

/// What the training loop needs and does not checkpoint: the live model and optimizer, the data
/// as tensors, and the reference for the logged distance.
struct Live {
    model: Linear<f64>,
    opt: Sgd<f64>,
    x: Tensor<f64>,
    y: Tensor<f64>,
    reference: Vec<f64>,
}

/// One training run as a [`Iterate`] for [`Ctx::iterate`]. The serialized fields are the whole
/// state a checkpoint needs (weights and optimizer buffers, refreshed after every step); `live`
/// is rebuilt by [`start`] and kept on resume.
#[derive(Serialize, Deserialize)]
struct Training {
    w: Vec<f64>,
    opt: OptimizerState,
    #[serde(skip)]
    live: Option<Live>,
}

/// A run of `Sgd(lr, momentum)` on `0.5 mean_i (<x_i, w> - y_i)^2` from `w0`; `reference` is the
/// interpolant the logged distance is measured to.
fn start(x: &Matrix, y: &[f64], w0: &[f64], lr: f64, reference: Vec<f64>) -> Training {
    let weight = Tensor::from_vec(w0.to_vec(), [1, x.cols])
        .unwrap()
        .requires_grad();
    let model = Linear::from_tensors(weight, None);
    let params = model.parameters().into_iter().map(|(_, p)| p).collect();
    let opt = Sgd::new(
        params,
        SgdConfig {
            lr,
            momentum: 0.9,
            ..Default::default()
        },
    );
    let live = Live {
        x: Tensor::from_vec(x.data.clone(), [x.rows, x.cols]).unwrap(),
        y: Tensor::from_vec(y.to_vec(), [x.rows, 1]).unwrap(),
        model,
        opt,
        reference,
    };
    Training {
        w: w0.to_vec(),
        opt: live.opt.state(),
        live: Some(live),
    }
}

impl Training {
    fn live(&self) -> &Live {
        self.live.as_ref().expect("built by start()")
    }
}

impl Iterate for Training {
    fn columns(&self) -> Vec<String> {
        vec!["loss".into(), "rel_dist".into()]
    }

    fn step(&mut self, _t: u64) -> f64 {
        let live = self.live.as_mut().expect("built by start()");
        live.opt.zero_grad();
        let loss = live.model.forward(&live.x).squared_loss(&live.y);
        loss.backward();
        live.opt.step();
        self.w = live.model.weight.to_vec();
        self.opt = live.opt.state();
        loss.item()
    }

    fn record(&self, _t: u64) -> Vec<f64> {
        let live = self.live();
        let loss = live.model.forward(&live.x).squared_loss(&live.y).item();
        vec![loss, rel_dist(&self.w, &live.reference)]
    }

    fn resume(&mut self, saved: Self) {
        let live = self.live.as_mut().expect("built by start()");
        live.model.weight.update(|w| w.copy_from_slice(&saved.w));
        live.opt.load_state(&saved.opt).expect("same optimizer");
        self.w = saved.w;
        self.opt = saved.opt;
    }
}

/// The experiment: data, references, two runs, claims, trace, figure.
pub fn run(ctx: &Ctx) -> Result<Summary> {
    let mut s = Summary::default();
    // Data: n < d Gaussian samples (seeded from --seed via ctx.rng).
    let (n, d) = ctx.pick((20, 80), (10, 40));
    let mut rng = ctx.rng("data");
    let mut gauss = |k: usize| -> Vec<f64> { (0..k).map(|_| rng.sample(StandardNormal)).collect() };
    let x = Matrix::new(n, d, gauss(n * d)).map_err(|e| Error::reference("data", e))?;
    let y = gauss(n);
    let w0: Vec<f64> = gauss(d);

    // References, from the independent solvers (never from the method under test).
    let min_l2 = min_l2_interpolant(&x, &y).map_err(|e| Error::reference("min-l2", e))?;
    let closest = closest_interpolant(&x, &y, &w0).map_err(|e| Error::reference("closest", e))?;

    // lr = 1 / L with L = sigma_max(X)^2 / n, the curvature of the mean squared loss.
    let lr = n as f64 / sigma_max_sq(&x);
    let steps: u64 = ctx.pick(20_000, 2_000);
    let log_at = log_points(steps, 10);
    let from_zero = ctx.iterate(
        "from_zero",
        start(&x, &y, &vec![0.0; d], lr, min_l2.w.clone()),
        steps,
        &log_at,
    )?;
    let from_w0 = ctx.iterate(
        "from_w0",
        start(&x, &y, &w0, lr, closest.w.clone()),
        steps,
        &log_at,
    )?;

    // Claims: a metric, a bound, a relation (`below`, `at_most`, `above`, `within`, `is_true`).
    let loss_end = *from_zero.trace.col("loss").last().unwrap_or(&f64::NAN);
    s.claim(Claim::below(
        "heavy-ball SGD from 0 interpolates",
        "training loss at the last step",
        loss_end,
        1e-12,
    ));
    s.claim(Claim::below(
        "from 0 it reaches the min-l2 interpolant",
        "||w(T) - w_min_l2|| / ||w_min_l2||",
        rel_dist(&from_zero.state.w, &min_l2.w),
        1e-6,
    ));
    s.claim(Claim::below(
        "from w0 it reaches the interpolant closest to w0",
        "||w(T) - w_closest(w0)|| / ||w_closest(w0)||",
        rel_dist(&from_w0.state.w, &closest.w),
        1e-6,
    ));
    s.claim(Claim::above(
        "the initialization matters: from w0 it does not reach the min-l2 interpolant",
        "||w(T) - w_min_l2|| / ||w_min_l2||, from w0",
        rel_dist(&from_w0.state.w, &min_l2.w),
        0.1,
    ));

    // Informational numbers, arrays, traces and a figure.
    s.report("lr", lr);
    s.report("steps", from_zero.steps as f64);
    s.array("w_from_zero", &from_zero.state.w);
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
