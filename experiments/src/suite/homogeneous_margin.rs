//! Protocol 10b (Lyu & Li, ICLR 2020): gradient descent maximizes the margin of homogeneous
//! networks.
//!
//! Claim: for a network homogeneous of degree `L` in its parameters (`f(c theta; x) = c^L
//! f(theta; x)`, here a bias-free two-layer ReLU net, `L = 2`) trained by gradient descent on
//! the exponential loss, once the (summed) loss is below 1 (every point classified), the
//! smoothed normalized margin `gamma~(theta) = ln(1 / L_sum(theta)) / ||theta||^L` is
//! non-decreasing, and the direction `theta / ||theta||` approaches a KKT point of
//! `min 1/2 ||theta||^2 s.t. y_i f(theta; x_i) >= 1`. Ji & Telgarsky (NeurIPS 2020) add that
//! `theta` aligns with `-grad L`.
//!
//! Setup: `n` points in the upper half-plane at distinct random angles `phi_i` in `(0, pi)`
//! (radius `U[0.5, 1.5]`), labelled `y_i = sign(sin(3 phi_i))`: two positive arcs interleaved
//! with a negative one, not linearly separable but separable by the net (a half-plane, because
//! a bias-free ReLU net has `f(x) - f(-x)` linear in `x`: six sectors around the circle would
//! put near-antipodal points of opposite labels out of its reach); the net
//! `f(x) = sum_j a_j relu(<w_j, x>)` of width `width` (`nn::TwoLayerRelu` without biases),
//! initialized `N(0, 0.1^2)`; full-batch `optim::Sgd` with step `eta0` on a function of the mean
//! exponential loss `L` of the margins `y_i f(x_i)` (`log_exp_loss`), below.
//!
//! Measured at log-spaced steps: `L_sum = n L`, `gamma~`, the normalized min margin
//! `q_min = min_i y_i f(x_i) / ||theta||^2`, `cos(theta, -grad L)`, and the KKT residual: scale
//! `theta` to `theta^ = theta / sqrt(q_min ||theta||^2)` (min margin 1), take the near-active
//! points `S = {i : y_i f(theta^; x_i) <= 1 + 1e-2}`, fit multipliers `lambda >= 0` in
//! `theta^ ~ sum_{i in S} lambda_i y_i grad f(theta^; x_i)` by non-negative least squares
//! (`reference::nnls`, clarabel), and report `||theta^ - sum lambda_i y_i grad f_i|| / ||theta^||`
//! (the per-sample gradients from the tape).
//!
//! Claims (`t0` the first logged step with `L_sum < 1`):
//! * sanity: the loss reaches the theorem's threshold `L_sum < 1`;
//! * `gamma~` is non-decreasing after `t0`: the largest relative dip between consecutive logged
//!   values is below `1e-9` (the protocol's bound), and it rises overall;
//! * the KKT residual at the end is below 0.05 and below half its value at `t0`;
//! * `cos(theta, -grad L) > 0.99` at the end.
//!
//! The step on the loss: before the threshold (`L_sum >= 1/2`) GD on `ln L` (step `eta0 / L`
//! on `L`); past it on `-ln ln(1 / L_sum)`, whose gradient is `grad L / (L ln(1 / L))`, Lyu &
//! Li's loss-based step for `L = 2` (GD on `ln L` alone grows `||theta||` geometrically for a
//! 2-homogeneous net: `ln L_sum` reached -2e11 in 8000 steps in a first trial).
//!
//! Calibration (`eta0` 0.05, full 1e6 steps, quick 1e5), seeds 20180220 and 1-5: the threshold
//! is crossed at logged steps 398-794; `gamma~` never dipped (largest relative change between
//! logged steps -9e-5 to -1.7e-4 full, i.e. always rising; -8.8e-4 to -1.4e-3 quick); it rose
//! 3.8-36x from `t0`; final KKT residual (full) 0.0020, 0.0050, 0.0056, 0.0059, 0.021 and, for
//! seed 5, 0.49 (quick: 0.006-0.055, and 0.11 for seed 5); `cos(theta, -grad L)` >= 0.9998
//! except seed 5 (0.82 full, 0.9875 quick). Seed 5 oscillates: `cos` and the KKT residual
//! swing between 0.68 / 0.59 and 0.97 / 0.05 from one logged step to the next, the step being
//! too large for that data's curvature; reported as measured (it fails). With `eta0` 0.2 the
//! run converged faster but `gamma~` dipped right after the threshold for seed 2 (the small-step
//! assumption of the GD theorem), so `eta0` is 0.05. The protocol's 1e-9 bound on the dips is
//! kept. Measured time: full 7.7-8.5 s, quick 0.9-1.0 s.
//!
//! Not done: `--data` (the theorem applies to any binary data separable by the net; the
//! checks of that assumption on user data are not written), and no control claim.

use autograd::{grad, no_grad, Tensor};
use nn::{Init, Module, TwoLayerRelu};
use optim::{Sgd, SgdConfig};
use rand::Rng;

use crate::reference::{nnls, Matrix};
use crate::runner::{Figure, Series};
use crate::stats::log_points;
use crate::Experiment;
use crate::{Claim, Ctx, Error, Param, ParamKind, Result, Summary, Training};

/// The registry entry (listed by `experiments list`).
pub const EXPERIMENT: Experiment = Experiment {
    name: "homogeneous_margin",
    items: "10b",
    claim: "a bias-free 2-layer ReLU net (2-homogeneous) under GD on the exp loss: past loss 1 \
        the smoothed normalized margin never decreases and the direction approaches a KKT \
        point of min ||theta||^2 s.t. y_i f(x_i) >= 1",
    takes_data: false,
    params: PARAMS,
    run,
};

const PARAMS: &[Param] = &[
    Param {
        name: "n",
        doc: "points in the plane",
        kind: ParamKind::Count,
        full: &[20.0],
        quick: &[20.0],
    },
    Param {
        name: "width",
        doc: "hidden ReLU units",
        kind: ParamKind::Count,
        full: &[50.0],
        quick: &[50.0],
    },
    Param {
        name: "steps",
        doc: "GD steps",
        kind: ParamKind::Count,
        full: &[1_000_000.0],
        quick: &[100_000.0],
    },
    Param {
        name: "eta0",
        doc: "step on ln L (the loss-based step eta0 / L on L)",
        kind: ParamKind::Real,
        full: &[0.05],
        quick: &[0.05],
    },
];

/// The standard deviation of every initial weight (small: the run starts near the origin).
const INIT_STD: f64 = 0.1;

/// Points `S = {i : margin_i <= (1 + ACTIVE) min_margin}` count as active.
const ACTIVE: f64 = 1e-2;

/// The data as tensors: inputs `[n, 2]`, labels `[n, 1]` in `{-1, +1}`.
struct Data {
    x: Tensor<f64>,
    y: Tensor<f64>,
    n: usize,
}

impl Data {
    /// The margins `y_i f(x_i)`, `[n, 1]`.
    fn margins(&self, m: &TwoLayerRelu<f64>) -> Tensor<f64> {
        m.forward(&self.x).mul(&self.y)
    }
}

/// `||theta||^2`.
fn norm_sq(m: &mut TwoLayerRelu<f64>) -> f64 {
    nn::params::l2_norm(m).powi(2)
}

/// The KKT residual of the direction of `m` (module docs), and the number of active points;
/// `(NaN, 0)` while some margin is not positive.
fn kkt_residual(m: &TwoLayerRelu<f64>, data: &Data) -> Result<(f64, usize)> {
    let margins = no_grad(|| data.margins(m).to_vec());
    let q = margins.iter().copied().fold(f64::INFINITY, f64::min);
    if q.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
        return Ok((f64::NAN, 0));
    }
    // f is 2-homogeneous: scaling theta by c scales margins by c^2.
    let c = 1.0 / q.sqrt();
    let w = m.hidden.weight.mul_scalar(c).detach().requires_grad();
    let a = m.output.weight.mul_scalar(c).detach().requires_grad();
    let scaled = TwoLayerRelu::from_tensors(w.clone(), None, a.clone());
    let theta: Vec<f64> = w.to_vec().into_iter().chain(a.to_vec()).collect();
    let active: Vec<usize> = (0..data.n)
        .filter(|&i| margins[i] / q <= 1.0 + ACTIVE)
        .collect();
    let p = theta.len();
    let mut g = Matrix::zeros(p, active.len());
    for (col, &i) in active.iter().enumerate() {
        let xi = data.x.narrow(0, i, 1);
        let yi = data.y.narrow(0, i, 1);
        let out = scaled.forward(&xi).mul(&yi).sum_all();
        let grads = grad(&out, &[&w, &a], false).map_err(|e| Error::Other(e.to_string()))?;
        let flat: Vec<f64> = grads.iter().flat_map(|t| t.to_vec()).collect();
        flat.iter()
            .enumerate()
            .for_each(|(r, &v)| g.data[r * active.len() + col] = v);
    }
    let fit = nnls(&g, &theta).map_err(|e| Error::reference("KKT multipliers (NNLS)", e))?;
    let norm = theta.iter().map(|v| v * v).sum::<f64>().sqrt();
    Ok((fit.residual / norm, active.len()))
}

/// `cos(theta, -grad L)`.
fn alignment(m: &mut TwoLayerRelu<f64>, data: &Data) -> Result<f64> {
    let params = nn::params::tensors(m);
    let refs: Vec<&Tensor<f64>> = params.iter().collect();
    let loss = autograd::set_grad_enabled(true, || data.margins(m).log_exp_loss());
    let g = grad(&loss, &refs, false).map_err(|e| Error::Other(e.to_string()))?;
    let g: Vec<f64> = g.iter().flat_map(|t| t.to_vec()).collect();
    let theta = nn::params::flatten(m);
    let dot: f64 = theta.iter().zip(&g).map(|(a, b)| -a * b).sum();
    let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
    Ok(dot / (norm(&theta) * norm(&g)))
}

/// The experiment: data, one GD run, claims, trace, figures.
pub fn run(ctx: &Ctx) -> Result<Summary> {
    let mut s = Summary::default();
    let n = ctx.param_usize("n")?;
    let width = ctx.param_usize("width")?;
    let steps = ctx.param_usize("steps")? as u64;
    let eta0 = ctx.param_f64("eta0")?;
    if n < 2 || width == 0 || eta0 <= 0.0 {
        return Err(Error::Usage(format!(
            "homogeneous_margin: expected n >= 2, width > 0, eta0 > 0; found n = {n}, \
             width = {width}, eta0 = {eta0}"
        )));
    }
    let mut rng = ctx.rng("data");
    let (mut x, mut y) = (Vec::with_capacity(2 * n), Vec::with_capacity(n));
    for i in 0..n {
        let phi = std::f64::consts::PI * (i as f64 + rng.gen_range(0.2..0.8)) / n as f64;
        let r = rng.gen_range(0.5..1.5);
        x.extend([r * phi.cos(), r * phi.sin()]);
        y.push(if (3.0 * phi).sin() >= 0.0 { 1.0 } else { -1.0 });
    }
    let data = Data {
        x: Tensor::from_vec(x, [n, 2]).expect("n x 2"),
        y: Tensor::from_vec(y, [n, 1]).expect("n x 1"),
        n,
    };

    let init = Init::Normal { std: INIT_STD };
    let mut model = TwoLayerRelu::new(2, width, false, init, init, &mut ctx.rng("init"));
    let opt = Sgd::new(
        nn::params::tensors(&mut model),
        SgdConfig {
            lr: eta0,
            ..Default::default()
        },
    );
    let failure = std::cell::RefCell::new(None);
    let ln_n = (n as f64).ln();
    let training = Training::new(model, opt)
        .loss(|m, _rng, _t| {
            let ln_mean = data.margins(m).log_exp_loss();
            let ln_sum = ln_mean.add_scalar(ln_n);
            if ln_sum.item() < -std::f64::consts::LN_2 {
                // -ln ln(1 / L_sum): gradient grad L / (L ln(1 / L)).
                ln_sum.neg().log().neg()
            } else {
                ln_mean
            }
        })
        .log(
            &[
                "ln_loss_sum",
                "smoothed_margin",
                "normalized_margin",
                "cos_theta_neg_grad",
                "kkt_residual",
                "active_points",
            ],
            |m, _t| {
                let ln_sum = no_grad(|| data.margins(m).log_exp_loss().item()) + ln_n;
                let margins = no_grad(|| data.margins(m).to_vec());
                let nsq = norm_sq(m);
                let q = margins.iter().copied().fold(f64::INFINITY, f64::min) / nsq;
                let measured = kkt_residual(m, &data).and_then(|k| Ok((k, alignment(m, &data)?)));
                let ((kkt, active), cos) = measured.unwrap_or_else(|e| {
                    failure.borrow_mut().get_or_insert(e);
                    ((f64::NAN, 0), f64::NAN)
                });
                vec![ln_sum, -ln_sum / nsq, q, cos, kkt, active as f64]
            },
        );
    let trained = ctx.train("gd", training, steps, &log_points(steps, 10))?;
    if let Some(e) = failure.into_inner() {
        return Err(e);
    }
    let trace = trained.trace;
    let (t, ln_sum) = (trace.t(), trace.col("ln_loss_sum"));
    let (gamma, kkt, cos) = (
        trace.col("smoothed_margin"),
        trace.col("kkt_residual"),
        trace.col("cos_theta_neg_grad"),
    );
    let t0 = ln_sum.iter().position(|&v| v < 0.0);
    s.claim(
        Claim::is_true(
            "GD reaches the theorem's threshold: summed exp loss below 1",
            "some logged step has L_sum < 1",
            t0.is_some(),
        )
        .sanity(),
    );
    let k0 = t0.unwrap_or(t.len() - 1);
    let dip = gamma[k0..]
        .windows(2)
        .map(|w| (w[0] - w[1]) / w[0].abs())
        .fold(f64::NEG_INFINITY, f64::max);
    let last = t.len() - 1;
    s.claim(Claim::below(
        "past the threshold the smoothed normalized margin never decreases",
        "max relative dip of gamma~ between consecutive logged steps after t0",
        if t0.is_some() { dip } else { f64::NAN },
        1e-9,
    ));
    s.claim(Claim::above(
        "... and it rises",
        "gamma~(end) / gamma~(t0)",
        gamma[last] / gamma[k0],
        1.0,
    ));
    s.claim(Claim::below(
        "the direction approaches a KKT point of min ||theta||^2 s.t. margins >= 1",
        "KKT residual (NNLS multipliers on the near-active points) at the end",
        kkt[last],
        0.05,
    ));
    s.claim(Claim::below(
        "... the KKT residual decreases",
        "KKT residual(end) / KKT residual(t0)",
        kkt[last] / kkt[k0],
        0.5,
    ));
    s.claim(Claim::above(
        "theta aligns with -grad L (Ji & Telgarsky)",
        "cos(theta, -grad L) at the end",
        cos[last],
        0.99,
    ));
    s.report("t0", t[k0]);
    s.report("steps", trained.steps as f64);
    s.report("final_ln_loss_sum", ln_sum[last]);
    s.report(
        "final_normalized_margin",
        trace.col("normalized_margin")[last],
    );
    s.report("final_active_points", trace.col("active_points")[last]);
    ctx.write_trace(&mut s, "gd", &trace)?;
    let fig = Figure::new(
        "margin",
        "normalized margins after the loss threshold",
        "t",
        "margin / ||theta||^2",
        true,
        false,
    )
    .with(Series::new("smoothed gamma~", &t[k0..], &gamma[k0..]))
    .with(Series::new(
        "min_i y_i f(x_i) / ||theta||^2",
        &t[k0..],
        &trace.col("normalized_margin")[k0..],
    ));
    ctx.save_figure(&mut s, &fig)?;
    let fig = Figure::new(
        "kkt",
        "KKT residual of the normalized parameters, and 1 - cos(theta, -grad L)",
        "t",
        "residual",
        true,
        true,
    )
    .with(Series::new("KKT residual", &t[k0..], &kkt[k0..]))
    .with(Series::new(
        "1 - cos(theta, -grad L)",
        &t[k0..],
        &cos[k0..].iter().map(|c| 1.0 - c).collect::<Vec<_>>(),
    ));
    ctx.save_figure(&mut s, &fig)?;
    s.notes.push(format!(
        "GD with step {eta0} on ln L until L_sum < 1/2, then on -ln ln(1/L_sum) (the loss-based \
         step eta0 / (L ln(1/L)) of Lyu & Li for L = 2)"
    ));
    Ok(s)
}
