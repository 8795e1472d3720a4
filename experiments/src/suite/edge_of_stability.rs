//! Protocol 10e (Cohen, Kaur, Li, Kolter & Talwalkar, ICLR 2021): full-batch gradient descent
//! on a neural network trains at the *edge of stability*.
//!
//! Claim: GD with a fixed step `eta` on the squared loss of a tanh MLP makes the sharpness
//! `S(theta) = lambda_max(grad^2 L(theta))` rise ("progressive sharpening") until it reaches
//! about `2 / eta`, the largest curvature along which a GD step on a quadratic is stable, and
//! then hover there, while the loss keeps falling over long horizons but not monotonically.
//! The sharpness reached depends on `eta`: across step sizes it tracks `2 / eta` (a slope near
//! -1 of `log S_final` against `log eta`).
//!
//! Setup: `n` MNIST training images (the shipped subset; a random subset, centre-cropped and
//! 2x2-pooled to 10x10 = 100 features, pixels / 255, centred), one-hot targets, an `nn::Mlp`
//! `100 -> width -> width -> 10` with tanh and biases (weights as PyTorch's default, biases
//! 0), the loss `L(theta) = (1/n) sum_i 0.5 ||f(theta; x_i) - e_{y_i}||^2` (`squared_loss`
//! times the 10 classes), full-batch `optim::Sgd` (momentum 0) with step `eta` for each `eta` of the grid.
//! Every `sharpness_every` steps the sharpness is measured by `autograd::Hessian`:
//! Lanczos with full reorthogonalization on Hessian-vector products of the tape (double
//! backward), `lanczos_iters` steps from a fixed start, with its measured residual
//! `||H y - S y||` (some eigenvalue of `H` lies within it of `S`).
//!
//! Reference (sanity): on a tiny model (the same data, 100 -> 6 -> 10, 64 images) the Lanczos
//! top eigenvalue is compared with the top eigenvalue of the exact Hessian, formed column by
//! column from Hessian-vector products and diagonalized by `faer`
//! (`reference::symmetric_eigenvalues`).
//!
//! Claims, for each `eta` (`S` the measured sharpness, the *plateau* the measurements from the
//! first one with `S >= 0.9 * 2/eta` on):
//! * it reaches the edge: `max_t S(t) eta / 2 >= 0.9`, having started below it
//!   (`S(0) eta / 2 < 0.9`, a sanity check of the grid);
//! * it hovers there: the median of `S eta / 2` over the plateau lies in `[0.9, 1.3]` (the
//!   protocol's band);
//! * the loss keeps falling, non-monotonically: the loss at the end is below the loss at the
//!   plateau's start, and it increases at some steps of the plateau;
//! * across the grid, the slope of `log S_final` against `log eta` (`S_final` the median over
//!   the last quarter of the measurements) is in `[-1.3, -0.7]`;
//! * control: the sharpness is set by `eta`, not by a ceiling of the landscape: the run with
//!   the smallest `eta` ends with a sharpness above `1.5 x 2 / eta_max`, which the run with the
//!   largest `eta` could not exceed if it hovers at its own edge.
//!
//! Calibration. `--quick` (`n` 200, width 32, `eta` 0.4 and 0.8, 1000 steps), seeds 20180220
//! and 1-5: plateau medians of `S eta / 2` 1.034-1.046 (`eta` 0.4) and 1.080-1.094 (0.8);
//! `max S eta / 2` 1.18-1.37; slope -0.949 to -0.981; control 2.07-2.09; worst
//! `residual / S` 0.037-0.064; loss end / plateau start 0.32-0.43 and 0.09-0.18; the loss rose
//! at 156-219 and 402-430 steps of the plateau. Full size (`n` 1000, width 64, `eta` 0.2, 0.4,
//! 0.8, 4000 steps), seeds 20180220 and 1: plateau starts at steps 1700 / 500 / 50, medians
//! 1.010-1.013 / 1.029-1.034 / 1.061-1.069, slope -0.974 (both), control 4.04-4.05, worst
//! residual 0.036-0.044, loss end / plateau start 0.39 / 0.20 / 0.12-0.13. The bounds can fail
//! for the wrong limit: a first grid `eta` = 0.1, 0.2, 0.4 at 6000 steps (full size) left
//! `eta` = 0.1 below its edge (the sharpness rose from 1.8 to 14, slowing, never reaching 20):
//! its "reaches" (0.71) and "hovers" (no plateau) claims failed and the slope was -0.69; the
//! same grid at quick size gave a slope of -0.14. So the grid starts at 0.2: at these sizes the
//! progressive sharpening does not carry the sharpness much above about 14 in a few thousand
//! steps (the paper's CIFAR runs reach 2/eta = 90 over longer horizons).
//!
//! Cost: a GD step is `O(n P)` for `P` parameters; a sharpness measurement about
//! `1.6 lanczos_iters` gradient evaluations (`benches/hessian.rs`: one product with the
//! recorded gradient reused costs 1.5-1.6 gradients). Measured: full run 176-178 s with 2
//! threads on the loaded machine (load average 8-9), `--quick` 2.3 s.

use autograd::{no_grad, Hessian, Tensor};
use nn::{Activation, Init, Mlp, Module};
use optim::{Sgd, SgdConfig};

use crate::data::{crop_pool_10x10, mnist, Labeled};
use crate::reference::{symmetric_eigenvalues, Matrix};
use crate::runner::{Figure, Series, Trace};
use crate::stats::slope;
use crate::Experiment;
use crate::{Claim, Ctx, Error, Param, ParamKind, Result, Summary, Training};

/// The registry entry (listed by `experiments list`).
pub const EXPERIMENT: Experiment = Experiment {
    name: "edge_of_stability",
    items: "10e",
    claim: "full-batch GD on a tanh MLP (MNIST, squared loss): the sharpness rises to ~2/eta and \
        hovers there while the loss falls non-monotonically; final sharpness ~ 1/eta across eta",
    takes_data: false,
    params: PARAMS,
    run,
};

const PARAMS: &[Param] = &[
    Param {
        name: "n",
        doc: "MNIST training images (10x10 after crop and pooling)",
        kind: ParamKind::Count,
        full: &[1000.0],
        quick: &[200.0],
    },
    Param {
        name: "width",
        doc: "hidden units in each of the two tanh layers",
        kind: ParamKind::Count,
        full: &[64.0],
        quick: &[32.0],
    },
    Param {
        name: "eta",
        doc: "GD step sizes (one run each; spread them by about 2x)",
        kind: ParamKind::Reals,
        full: &[0.2, 0.4, 0.8],
        quick: &[0.4, 0.8],
    },
    Param {
        name: "steps",
        doc: "GD steps of each run",
        kind: ParamKind::Count,
        full: &[4000.0],
        quick: &[1000.0],
    },
    Param {
        name: "sharpness_every",
        doc: "steps between two sharpness measurements",
        kind: ParamKind::Count,
        full: &[25.0],
        quick: &[20.0],
    },
    Param {
        name: "lanczos_iters",
        doc: "Lanczos steps (Hessian-vector products) per sharpness measurement",
        kind: ParamKind::Count,
        full: &[20.0],
        quick: &[15.0],
    },
];

/// The relative residual at which Lanczos stops early.
const LANCZOS_TOL: f64 = 1e-4;

/// The training data as tensors: inputs `[n, 100]` and one-hot targets `[n, 10]`.
struct Data {
    x: Tensor<f64>,
    onehot: Tensor<f64>,
}

impl Data {
    /// Crop-pooled to 10x10, pixels / 255, centred with the set's own mean.
    fn new(set: &Labeled) -> Self {
        let pooled = set.map_rows(100, crop_pool_10x10);
        let n = pooled.n();
        let mut mean = vec![0.0f64; 100];
        for row in pooled.x.chunks(100) {
            mean.iter_mut()
                .zip(row)
                .for_each(|(m, &v)| *m += v as f64 / 255.0 / n as f64);
        }
        let x: Vec<f64> = pooled
            .x
            .chunks(100)
            .flat_map(|row| row.iter().zip(&mean).map(|(&v, m)| v as f64 / 255.0 - m))
            .collect();
        let mut onehot = vec![0.0; n * 10];
        pooled
            .y
            .iter()
            .enumerate()
            .for_each(|(i, &c)| onehot[i * 10 + c] = 1.0);
        Data {
            x: Tensor::from_vec(x, [n, 100]).expect("n x 100"),
            onehot: Tensor::from_vec(onehot, [n, 10]).expect("n x 10"),
        }
    }

    /// `(1/n) sum_i 0.5 ||f(x_i) - e_{y_i}||^2`.
    fn loss(&self, m: &Mlp<f64>) -> Tensor<f64> {
        m.forward(&self.x)
            .squared_loss(&self.onehot)
            .mul_scalar(10.0)
    }
}

/// PyTorch's default init of a linear layer's weights, `U(-1/sqrt(fan_in), 1/sqrt(fan_in))` (the
/// biases start at 0).
fn init() -> Init {
    Init::KaimingUniform {
        scale: 1.0 / 6f64.sqrt(),
    }
}

/// The top Hessian eigenvalue of the loss at the model's parameters and its measured residual.
fn sharpness(m: &mut Mlp<f64>, data: &Data, iters: usize) -> Result<(f64, f64)> {
    let params = nn::params::tensors(m);
    let refs: Vec<&Tensor<f64>> = params.iter().collect();
    let h = Hessian::try_new(&data.loss(m), &refs).map_err(|e| Error::Other(e.to_string()))?;
    let top = h
        .try_top_eigenvalues(1, iters, LANCZOS_TOL, None)
        .map_err(|e| Error::Other(e.to_string()))?;
    Ok((top.values[0], top.residuals[0]))
}

/// One GD run: every step its loss; every `every` steps the sharpness and its residual (NaN
/// between measurements: not measured).
fn gd_run(
    ctx: &Ctx,
    data: &Data,
    width: usize,
    eta: f64,
    steps: u64,
    every: u64,
    iters: usize,
) -> Result<Trace> {
    let mut model = Mlp::new(
        &[100, width, width, 10],
        Activation::Tanh,
        true,
        init(),
        &mut ctx.rng("init"),
    );
    let opt = Sgd::new(
        nn::params::tensors(&mut model),
        SgdConfig {
            lr: eta,
            ..Default::default()
        },
    );
    let failure = std::cell::RefCell::new(None);
    let training = Training::new(model, opt)
        .loss(|m, _rng, _t| data.loss(m))
        .log(&["loss", "sharpness", "residual"], |m, t| {
            let loss = no_grad(|| data.loss(m).item());
            let (s, r) = if t % every == 0 {
                sharpness(m, data, iters).unwrap_or_else(|e| {
                    failure.borrow_mut().get_or_insert(e);
                    (f64::NAN, f64::NAN)
                })
            } else {
                (f64::NAN, f64::NAN)
            };
            vec![loss, s, r]
        });
    let log_at: Vec<u64> = (0..=steps).collect();
    let run = ctx.train(&format!("eta_{eta}"), training, steps, &log_at)?;
    if let Some(e) = failure.into_inner() {
        return Err(e);
    }
    Ok(run.trace)
}

/// What the claims read off one run.
struct Measured {
    eta: f64,
    /// `S(t)` at the measurement steps, with `t`.
    t: Vec<f64>,
    s: Vec<f64>,
    /// The loss at every step.
    loss: Vec<f64>,
    /// The first measurement with `S >= 0.9 * 2 / eta` (index into `t`, `s`).
    plateau: Option<usize>,
    /// The largest `residual / S` of the run's measurements.
    worst_residual: f64,
}

impl Measured {
    fn new(eta: f64, trace: &Trace) -> Self {
        let (all_t, all_s, all_r) = (trace.t(), trace.col("sharpness"), trace.col("residual"));
        let measured: Vec<usize> = (0..all_t.len()).filter(|&i| !all_s[i].is_nan()).collect();
        let t: Vec<f64> = measured.iter().map(|&i| all_t[i]).collect();
        let s: Vec<f64> = measured.iter().map(|&i| all_s[i]).collect();
        let worst_residual = measured
            .iter()
            .map(|&i| all_r[i] / all_s[i].abs())
            .fold(0.0, f64::max);
        let plateau = s.iter().position(|&v| v * eta / 2.0 >= 0.9);
        Measured {
            eta,
            t,
            s,
            loss: trace.col("loss"),
            plateau,
            worst_residual,
        }
    }

    /// `S eta / 2` at each measurement.
    fn ratio(&self) -> Vec<f64> {
        self.s.iter().map(|v| v * self.eta / 2.0).collect()
    }

    /// The median of `S eta / 2` over the plateau (NaN without one).
    fn plateau_median(&self) -> f64 {
        self.plateau
            .map_or(f64::NAN, |p| median(&self.ratio()[p..]))
    }

    /// The median sharpness over the last quarter of the measurements.
    fn final_sharpness(&self) -> f64 {
        median(&self.s[self.s.len() * 3 / 4..])
    }

    /// The step at which the plateau starts.
    fn plateau_step(&self) -> Option<usize> {
        self.plateau.map(|p| self.t[p] as usize)
    }
}

fn median(v: &[f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    let k = v.len();
    if k % 2 == 1 {
        v[k / 2]
    } else {
        0.5 * (v[k / 2 - 1] + v[k / 2])
    }
}

/// The sanity check of the tool: Lanczos (the experiment's iteration count) against the exact
/// Hessian's top eigenvalue on a tiny model. Returns `(lanczos, exact)`.
fn tool_check(ctx: &Ctx, set: &Labeled, iters: usize) -> Result<(f64, f64)> {
    let data = Data::new(&set.select(&(0..64).collect::<Vec<_>>()));
    let mut tiny = Mlp::new(
        &[100, 6, 10],
        Activation::Tanh,
        true,
        init(),
        &mut ctx.rng("tiny"),
    );
    let (lanczos, _) = sharpness(&mut tiny, &data, iters)?;
    let params = nn::params::tensors(&mut tiny);
    let refs: Vec<&Tensor<f64>> = params.iter().collect();
    let h = Hessian::try_new(&data.loss(&tiny), &refs).map_err(|e| Error::Other(e.to_string()))?;
    let dim = h.dim();
    let mut dense = Matrix::zeros(dim, dim);
    for j in 0..dim {
        let mut e = vec![0.0; dim];
        e[j] = 1.0;
        let col = h
            .try_apply_flat(&e)
            .map_err(|e| Error::Other(e.to_string()))?;
        col.iter()
            .enumerate()
            .for_each(|(i, &v)| dense.data[i * dim + j] = v);
    }
    Ok((lanczos, symmetric_eigenvalues(&dense)[0]))
}

/// The experiment: data, the tool check, one GD run per step size, claims, traces, figures.
pub fn run(ctx: &Ctx) -> Result<Summary> {
    let mut s = Summary::default();
    let n = ctx.param_usize("n")?;
    let width = ctx.param_usize("width")?;
    let etas = ctx.param("eta")?;
    let steps = ctx.param_usize("steps")? as u64;
    let every = ctx.param_usize("sharpness_every")?.max(1) as u64;
    let iters = ctx.param_usize("lanczos_iters")?;
    if n < 64 || width == 0 || iters == 0 || etas.iter().any(|&e| e <= 0.0) || etas.len() < 2 {
        return Err(Error::Usage(format!(
            "edge_of_stability: expected n >= 64, width > 0, lanczos_iters > 0 and at least two \
             positive step sizes; found n = {n}, width = {width}, lanczos_iters = {iters}, \
             eta = {etas:?}"
        )));
    }
    let all = mnist()?.train;
    let set = all.subsample(n, &mut ctx.rng("subset"));
    let data = Data::new(&set);

    let (lanczos, exact) = tool_check(ctx, &set, iters)?;
    s.claim(
        Claim::below(
            "the sharpness tool (Lanczos on double-backward products) finds the top Hessian \
             eigenvalue of a tiny model",
            "|S_lanczos - lambda_max(exact Hessian, faer)| / lambda_max",
            (lanczos - exact).abs() / exact.abs(),
            1e-6,
        )
        .sanity(),
    );

    let traces = ctx.par_map(&etas, |&eta| {
        gd_run(ctx, &data, width, eta, steps, every, iters)
    })?;
    let runs: Vec<Measured> = etas
        .iter()
        .zip(&traces)
        .map(|(&eta, tr)| Measured::new(eta, tr))
        .collect();

    let worst = runs.iter().map(|r| r.worst_residual).fold(0.0, f64::max);
    s.claim(
        Claim::below(
            "each sharpness measurement is accurate (some Hessian eigenvalue within the measured \
             residual)",
            "max over measurements of ||H y - S y|| / S",
            worst,
            0.1,
        )
        .sanity(),
    );
    for r in &runs {
        let e = r.eta;
        s.claim(
            Claim::below(
                &format!("eta = {e}: GD starts below the edge (the grid tests sharpening)"),
                "S(0) eta / 2",
                r.ratio()[0],
                0.9,
            )
            .sanity(),
        );
        s.claim(Claim::at_least(
            &format!("eta = {e}: the sharpness rises to the edge of stability 2 / eta"),
            "max_t S(t) eta / 2",
            r.ratio().iter().copied().fold(f64::NEG_INFINITY, f64::max),
            0.9,
        ));
        s.claim(Claim::within(
            &format!("eta = {e}: it then hovers at the edge"),
            "median of S eta / 2 from its first crossing of 0.9",
            r.plateau_median(),
            0.9,
            1.3,
        ));
        let (loss_start, loss_end, increases) = match r.plateau_step() {
            Some(p) => (
                r.loss[p],
                *r.loss.last().unwrap_or(&f64::NAN),
                r.loss[p..].windows(2).filter(|w| w[1] > w[0]).count(),
            ),
            None => (f64::NAN, f64::NAN, 0),
        };
        s.claim(Claim::below(
            &format!("eta = {e}: at the edge the loss still falls overall"),
            "loss(end) / loss(plateau start)",
            loss_end / loss_start,
            1.0,
        ));
        s.claim(Claim::at_least(
            &format!("eta = {e}: ... but not monotonically"),
            "steps of the plateau at which the loss increases",
            increases as f64,
            1.0,
        ));
        s.report(
            &format!("eta_{e}_plateau_start_step"),
            r.plateau_step().map_or(f64::NAN, |p| p as f64),
        );
        s.report(&format!("eta_{e}_final_sharpness"), r.final_sharpness());
        s.report(&format!("eta_{e}_two_over_eta"), 2.0 / e);
        s.report(
            &format!("eta_{e}_final_loss"),
            *r.loss.last().unwrap_or(&f64::NAN),
        );
    }
    let log_eta: Vec<f64> = runs.iter().map(|r| r.eta.ln()).collect();
    let log_s: Vec<f64> = runs.iter().map(|r| r.final_sharpness().ln()).collect();
    s.claim(Claim::within(
        "the sharpness reached tracks 2 / eta across step sizes",
        "slope of log S_final against log eta",
        slope(&log_eta, &log_s),
        -1.3,
        -0.7,
    ));
    let (small, large) = (
        runs.iter()
            .min_by(|a, b| a.eta.total_cmp(&b.eta))
            .expect("two runs"),
        runs.iter()
            .max_by(|a, b| a.eta.total_cmp(&b.eta))
            .expect("two runs"),
    );
    s.claim(
        Claim::above(
            "control: the plateau is set by eta, not by a ceiling of the landscape: the \
             smallest step ends sharper than the largest step's edge",
            "S_final(eta_min) / (2 / eta_max)",
            small.final_sharpness() * large.eta / 2.0,
            1.5,
        )
        .control(),
    );

    s.report("n", n as f64);
    s.report(
        "parameters",
        (100 * width + width + width * width + width + width * 10 + 10) as f64,
    );
    s.report("tool_check_lanczos", lanczos);
    s.report("tool_check_exact", exact);
    for (r, tr) in runs.iter().zip(&traces) {
        ctx.write_trace(&mut s, &format!("eta_{}", r.eta), tr)?;
    }
    let mut fig = Figure::new(
        "sharpness",
        "sharpness S(t) and the edges 2 / eta (flat lines)",
        "step",
        "top Hessian eigenvalue",
        false,
        false,
    );
    let mut loss_fig = Figure::new(
        "loss",
        "training loss of full-batch GD",
        "step",
        "loss",
        false,
        true,
    );
    for (r, tr) in runs.iter().zip(&traces) {
        fig = fig
            .with(Series::new(&format!("eta = {}", r.eta), &r.t, &r.s))
            .with(Series::new(
                &format!("2 / eta = {}", 2.0 / r.eta),
                &[0.0, steps as f64],
                &[2.0 / r.eta, 2.0 / r.eta],
            ));
        loss_fig = loss_fig.with(Series::from_trace(&format!("eta = {}", r.eta), tr, "loss"));
    }
    ctx.save_figure(&mut s, &fig)?;
    ctx.save_figure(&mut s, &loss_fig)?;
    s.notes.push(format!(
        "sharpness by Lanczos ({iters} steps, tol {LANCZOS_TOL}) every {every} steps; \
         the loss logged every step"
    ));
    Ok(s)
}
