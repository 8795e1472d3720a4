//! Protocol 7 (Savarese, Evron, Soudry, Srebro 2019): a wide two-layer ReLU net
//! `f(x) = sum_i a_i [w_i x + b_i]_+ + c` fitted to a few 1-D points with a small weight decay
//! on `(a, w)` (biases free) approaches the interpolant of least representation cost
//! `R(f) = max(int |f''|, |f'(-inf) + f'(+inf)|)`.
//!
//! **The reference.** Let the data `x_1 < ... < x_N` have secant slopes
//! `s_i = (y_{i+1} - y_i) / (x_{i+1} - x_i)`, `V = sum_i |s_{i+1} - s_i|`. Any interpolant `g`
//! takes, by the mean value theorem, the slope `s_i` somewhere in `(x_i, x_{i+1})`, so the total
//! variation of `g'` is at least `V`, and `R(g) >= int |g''| >= V`. The linear spline through
//! the points, continued linearly with its end slopes, has `int |S''| = V` and
//! `|S'(-inf) + S'(+inf)| = |s_1 + s_{N-1}|`. Hence when `|s_1 + s_{N-1}| <= V` (true for the
//! protocol's zig-zag data, where `s = (1, -1, 1, -1)`, `V = 6` and `s_1 + s_4 = 0`), the spline
//! attains the lower bound: it is a minimizer of `R` among interpolants, `R(S) = V`. On the
//! zig-zag data the curvature changes sign at every knot and the spline is the unique
//! minimizer, so the net is compared pointwise with it; on random data minimizers need not be
//! unique, so only `R` is compared (with the spline through the net's own values, `S_own`).
//! When `|s_1 + s_{N-1}| > V` the spline is not optimal: any interpolant with end slopes
//! `L, L'` has `int |g''| >= V + |L - s_1| + |L' - s_{N-1}| = V + a` and
//! `|L + L'| >= |s_1 + s_{N-1}| - a`, so `R(g) >= R_min = max(V, (V + |s_1 + s_{N-1}|) / 2)`,
//! attained by the spline with both end slopes tilted (kinks outside the data). This closed
//! form on the points, `R_min(y)`, is the reference (independent of the training code); it
//! equals `R(spline)` when the paper's statement ("the minimal norm fit for a sample is given by
//! a linear spline interpolation") holds with the spline's own end slopes.
//!
//! **Uniqueness** ([`min_r_unique`]): the min-R interpolant is unique, and is the spline, when
//! the end term does not bind and the discrete curvature `s_i - s_{i-1}` is nonzero and changes
//! sign between consecutive knots (a zig-zag); on a convex or concave run, or with a binding
//! end term, other minimizers of the same `R` exist (Hanin 2021; Debarre et al. 2022). The
//! pointwise claim `sup |f - spline|` is made only where the data make the minimizer unique;
//! elsewhere it is reported.
//!
//! **Protocol as run.** Two built-in data sets: the zig-zag `x = (-2, -1, 0, 1, 2)`,
//! `y = (0, 1, 0, 1, 0)`, and 8 random points (`x` evenly spaced on `[-2, 2]` plus
//! `U(-0.1, 0.1)`, `y ~ N(0, 1)`). The net, `nn::TwoLayerRelu` of width 1000 with an output bias,
//! starts at `w_i ~ N(0, 1)`, `b_i ~ U[-2.5, 2.5] |w_i|`, `a_i ~ N(0, 1/1000)`, `c = 0`, and is
//! trained (f64) by Adam with the checked recipe: 2e4 steps (8e3 quick) on
//! `MSE + (lambda/2) sum(a_i^2 + w_i^2)` with `lambda = 1e-3` and learning rate 1e-3, then as
//! many with `lambda = 1e-4` and the learning rate decayed linearly to 0. Claims, per data set:
//! train MSE below 1e-4 (1e-3 quick; sanity); `R(f_net) / R_min(own values)` in [0.99, 1.02]
//! ([0.97, 1.03] quick; `R_min` of the net's values at the `x_i` is `R(S_own)`, the spline
//! through them, when that spline is optimal); `0.5 sum(a^2 + w^2)` and `sum |a_i w_i|` within
//! 2% (3% quick) of `R(f_net)`; when the net fits (train MSE below the bound)
//! `R(f_net) / R_min(y)` in [0.97, 1.02] ([0.95, 1.03] quick); and where the minimizer is unique
//! (the zig-zag; not the built-in random set) `sup |f - spline| / range(y) < 0.05` (0.08
//! quick) on `[x_min, x_max]`.
//!
//! **On the user's data** (`--data FILE`: a CSV of `(x, y)` rows, optional header): 2 to
//! [`MAX_POINTS`] points with finite values, distinct `x` (a duplicate is a data error naming
//! both lines) and `y` not constant (else data errors, exit 2). The points are sorted and mapped
//! affinely, `u = alpha (x - x0)` onto `[-2, 2]` (where the init puts its kinks) and
//! `v = beta (y - y0)` with `beta = max(2 / range(y), 6 / R_min(u, y))`, so `v` spans at least
//! `[-1, 1]` and `R_min(v) >= 6` (the zig-zag's): the recipe leaves an absolute excess of the
//! cost `0.5 sum(a^2 + w^2)` over `R` of a few hundredths (units the weight decay has not yet
//! shrunk), 2% of `R` on a convex run scaled to `R_min(v)` = 2.7. A function `g` of `u` is
//! `f(x) = y0 + g(alpha (x - x0)) / beta`, and `R(f) = (alpha / beta) R(g)`; the claims are
//! ratios, invariant to the map, and the reports give `R` in the user's units (train MSE in
//! units of `v`). The same claims as on the built-in sets, at the full horizon and tolerances
//! also with `--quick` (at 8e3 steps the cost claims missed: 3.7-5.4% on the convex set,
//! 2.3-14% on the concave one).
//!
//! **Calibration on user data** (full horizon, seeds 20180220, 1, 2): a 7-point zig-zag with
//! uneven gaps (x = 0, .7, 1.5, 3.2, 4, 6.1, 7; unique): `R(f_net)/R_min(y)` 0.9969 on all three,
//! `R/R_min(own)` 1.0000, cost ratio 1.002-1.003, `sup/range` 0.0012, MSE 3.3e-6; 10 points of
//! `x^2` at uneven `x` (convex, not unique): 0.9981-0.9982, 1.0000, cost 1.009-1.010, MSE 5.6e-7;
//! 6 points of `ln(1 + x)` (binding end term: `R_min` = 0.81 < `R(spline)` = 0.95): 0.9984 on
//! all three (the net is cheaper than the spline, as predicted), cost 1.000, MSE 4.8e-7.
//!
//! **Not fitted at this recipe: points much closer than the mean gap.** Separating the values
//! of two neighbours `h` apart by `d` (from a net that passes between them) raises `R` by about
//! `2 d / h` (the slope between them and both kinks change by `d / h`) and lowers the MSE by
//! about `|v_{i+1} - v_i| d / N`. So when `lambda N / h > |v_{i+1} - v_i| / 2` (the pair's
//! [`pair_cost_ratio`] above 1) the regularized optimum at that `lambda` leaves the pair
//! unseparated, and below 1 it separates it by about the fraction `1 - ratio`; `N kappa`
//! ([`misfit_scale`]) is the same scale over all points: 10 on the zig-zag, 30 on the built-in
//! random set, 33-63 on the sets above. At the recipe's first weight decay `1e-3` the units that
//! would fit the rest of the pair decay towards 0 (Adam shrinks a parameter the MSE does not
//! need by about the learning rate per step), where the gradient vanishes; the second phase at
//! `1e-4`, where the optimum would separate the pair to within about `1e-4 N kappa`, recovers
//! little of it. Measured on a zig-zag (`x` = 0, 1, 2, 2 + h, 3, 4, targets -1 and 1 at the
//! pair in training units), the fraction of the pair's difference fitted: 96.5% at h = 0.02
//! (ratio 0.3, `N kappa` 306, train MSE 4.0e-4: just above the sanity bound), 36% at h = 0.008
//! (ratio 0.75, MSE 0.034), -0.2% at h = 0.004 (the test's set: ratio 1.5, `N kappa` 1506,
//! values 0.001 and -0.003 at the pair, MSE 0.335, the 1/3 of not separating it), while the
//! claims about the net's own function (R(f_net) least for its own values, cost = R) hold. With
//! equal targets at the pair (nothing to separate; largest ratio 0.006) the same `x` are
//! fitted, MSE 1.0e-7, every claim holding, at `N kappa` = 1506: the ratio decides. Tried at
//! h = 0.004, none fitted the pair: 4 more phases of 1e4 steps at `1e-4` with the method of
//! multipliers (targets corrected by the residual after each, so the pair's moved out by about
//! 1 per phase: MSE 0.3347 unchanged); half of the units' kinks started within a quarter gap of
//! a data point (unchanged); targets scaled 8 and 24 times (the ratio 0.19 and 0.06 at `1e-3`):
//! 24% and 18% of the difference fitted in 4e4 steps. Earlier (12 random points with two pairs 0.1%
//! of the range apart, `N kappa` about 3000: MSE 1e-2): `lambda` lowered by `100 / (N kappa)` (MSE
//! 4e-3, cost 3.4 times `R`), phases continued down to `lambda = 6e-3 / (N kappa)`, also at 10-30
//! times the learning rate (MSE 2.2e-2, cost 1.16-1.30 times `R`). Such data fail the interpolation
//! sanity check, and the note names the pair with the largest ratio ([`hardest_pair`]), the ratio
//! and the fraction of its difference the net fitted (reported as
//! `hardest_pair_fitted`).
//!
//! Each data set is one checkpointed run of the runner: the loss is a function of the step `t`
//! (`lambda` switches at `t = steps`), the learning rate is set before every step by a hook.
//! Cost: a step takes `O(N H)` for `N` points and width `H` (forward and backward through the
//! `N x H` hidden layer); `R(f_net)` sorts the `H` kinks, `O(H log H)`. The user's data are
//! trained full batch for 4e4 steps (no `Ctx::data_steps` cap: the point cap bounds the cost).
//! Measured (2 cores): built-in full 6.2 s idle (18 s shared with other jobs), quick 1.0 s
//! (2.8 s); user data 6-12 s for 6-10 points (also with `--quick`), 76-114 s (shared) for 40
//! points.

use autograd::{no_grad, Tensor};
use nn::{Linear, Module, TwoLayerRelu};
use optim::{Adam, AdamConfig, Optimizer};
use rand::Rng;
use rand_distr::{Distribution, Normal, StandardNormal};

use crate::error::{Error, Result};
use crate::runner::io::read_csv;
use crate::runner::{Claim, Summary};
use crate::runner::{Ctx, Trace, Training};
use crate::runner::{Figure, Series};
use crate::stats::log_points;
use crate::Experiment;

/// The registry entry (listed by `experiments list`).
pub const EXPERIMENT: Experiment = Experiment {
    name: "relu_1d",
    items: "7",
    claim: "a wide two-layer ReLU net with small weight decay on 1-D points approaches the interpolant \
            minimizing max(int |f''|, |f'(-inf) + f'(+inf)|): the linear spline",
    takes_data: true,
    params: &[],
    run,
};

/// Secant slopes of sorted points.
fn slopes(x: &[f64], y: &[f64]) -> Vec<f64> {
    (0..x.len() - 1)
        .map(|i| (y[i + 1] - y[i]) / (x[i + 1] - x[i]))
        .collect()
}

/// `(R(spline), min R over interpolants)` for the linear spline through sorted points.
pub fn spline_r(x: &[f64], y: &[f64]) -> (f64, f64) {
    let s = slopes(x, y);
    let v: f64 = s.windows(2).map(|w| (w[1] - w[0]).abs()).sum();
    let ends = (s[0] + s[s.len() - 1]).abs();
    (v.max(ends), v.max(0.5 * (v + ends)))
}

/// The linear spline through sorted points, continued linearly, at `t`.
pub fn spline_at(x: &[f64], y: &[f64], t: f64) -> f64 {
    let n = x.len();
    let i = x[1..n - 1].partition_point(|&k| k < t).min(n - 2);
    y[i] + (y[i + 1] - y[i]) / (x[i + 1] - x[i]) * (t - x[i])
}

/// A trained 1-D net's parameters, `f(x) = sum_i a_i relu(w_i x + b_i) + c`.
struct Net1d {
    w: Vec<f64>,
    b: Vec<f64>,
    a: Vec<f64>,
    c: f64,
}

impl Net1d {
    fn at(&self, t: f64) -> f64 {
        self.c
            + (0..self.w.len())
                .map(|i| self.a[i] * (self.w[i] * t + self.b[i]).max(0.0))
                .sum::<f64>()
    }

    /// `R(f)` computed exactly from the units: kinks at `-b/w` with slope jumps `a |w|`
    /// (merged within 1e-9), `f'(+inf) = sum_{w>0} a w`, `f'(-inf) = sum_{w<0} a w`.
    fn r(&self) -> (f64, f64, f64) {
        let mut kinks: Vec<(f64, f64)> = (0..self.w.len())
            .filter(|&i| self.w[i] != 0.0)
            .map(|i| (-self.b[i] / self.w[i], self.a[i] * self.w[i].abs()))
            .collect();
        kinks.sort_by(|p, q| p.0.total_cmp(&q.0));
        let mut tv = 0.0;
        let mut i = 0;
        while i < kinks.len() {
            let mut j = i + 1;
            let mut jump = kinks[i].1;
            while j < kinks.len() && kinks[j].0 - kinks[i].0 <= 1e-9 {
                jump += kinks[j].1;
                j += 1;
            }
            tv += jump.abs();
            i = j;
        }
        let plus: f64 = (0..self.w.len())
            .filter(|&i| self.w[i] > 0.0)
            .map(|i| self.a[i] * self.w[i])
            .sum();
        let minus: f64 = (0..self.w.len())
            .filter(|&i| self.w[i] < 0.0)
            .map(|i| self.a[i] * self.w[i])
            .sum();
        (tv.max((plus + minus).abs()), tv, plus + minus)
    }
}

/// The protocol's net of width `width`: `w_i ~ N(0, 1)`, `b_i ~ U[-2.5, 2.5] |w_i|`,
/// `a_i ~ N(0, 1/width)`, `c = 0` (drawn in that order).
fn init_net(width: usize, rng: &mut impl Rng) -> TwoLayerRelu<f64> {
    let w: Vec<f64> = (0..width).map(|_| StandardNormal.sample(rng)).collect();
    let b: Vec<f64> = w
        .iter()
        .map(|w| rng.gen_range(-2.5..2.5) * w.abs())
        .collect();
    let normal = Normal::new(0.0, (1.0 / width as f64).sqrt()).expect("std > 0");
    let a: Vec<f64> = (0..width).map(|_| normal.sample(rng)).collect();
    let leaf =
        |v: Vec<f64>, dims: &[usize]| Tensor::from_vec(v, dims).expect("shape").requires_grad();
    TwoLayerRelu::from_tensors(
        leaf(w, &[width, 1]),
        Some(leaf(b, &[width])),
        leaf(a, &[1, width]),
    )
    .with_output_bias()
}

/// The training MSE `mean_i (f(x_i) - y_i)^2`.
fn mse(net: &TwoLayerRelu<f64>, x: &Tensor<f64>, y: &Tensor<f64>) -> Tensor<f64> {
    net.forward(x).sub(y).square().mean_all()
}

/// `1/2 sum_i (a_i^2 + w_i^2)`, the representation cost (biases free).
fn half_sq_norm(net: &TwoLayerRelu<f64>) -> Tensor<f64> {
    let (w, a) = (&net.hidden.weight, &net.output.weight);
    a.square()
        .sum_all()
        .add(&w.square().sum_all())
        .mul_scalar(0.5)
}

/// The recipe's weight decay in its first phase ([`pair_cost_ratio`] is taken there).
const LAMBDA_1: f64 = 1e-3;
/// The recipe's weight decay in its second phase.
const LAMBDA_2: f64 = 1e-4;

/// The checked-in-simulation recipe, `2 * steps` Adam steps: the loss at step `t` is
/// `MSE + lambda(t) * 1/2 sum(a^2 + w^2)` with `lambda = 1e-3` for `t < steps` and `1e-4` after,
/// the learning rate `1e-3`, then decayed linearly to 0 over the second phase:
/// `lr(t) = 1e-3 (2 steps - t) / steps` for `t >= steps`.
fn recipe<'a>(
    x: &'a Tensor<f64>,
    y: &'a Tensor<f64>,
    mut net: TwoLayerRelu<f64>,
    steps: u64,
) -> Training<'a, f64, TwoLayerRelu<f64>, Adam<f64>> {
    let lr0 = 1e-3;
    let opt = Adam::new(
        nn::params::tensors(&mut net),
        AdamConfig {
            lr: lr0,
            ..Default::default()
        },
    );
    let lambda = move |t: u64| if t < steps { LAMBDA_1 } else { LAMBDA_2 };
    Training::new(net, opt)
        .loss(move |m, _rng, t| mse(m, x, y).add(&half_sq_norm(m).mul_scalar(lambda(t))))
        .before_step(move |_, opt, t| {
            let decay = if t < steps {
                1.0
            } else {
                (2 * steps - t) as f64 / steps as f64
            };
            opt.set_lr(lr0 * decay);
        })
        .log(&["mse", "half_sq_norm"], |m, _t| {
            no_grad(|| vec![mse(m, x, y).item(), half_sq_norm(m).item()])
        })
}

/// Fits the protocol's net to the points `(x, y)` as the run `7_NAME`; returns its units, its
/// final training MSE and its trace.
fn fit(
    ctx: &Ctx,
    name: &str,
    x: &[f64],
    y: &[f64],
    width: usize,
    steps: u64,
) -> Result<(Net1d, f64, Trace)> {
    let column = |v: &[f64]| Tensor::from_vec(v.to_vec(), [v.len(), 1]).expect("shape");
    let (xt, yt) = (column(x), column(y));
    let net = init_net(width, &mut ctx.rng(&format!("init-{name}")));
    let total = 2 * steps;
    let run = ctx.train(
        &format!("7_{name}"),
        recipe(&xt, &yt, net, steps),
        total,
        &log_points(total, 10),
    )?;
    let m = &run.model;
    let train_mse = no_grad(|| mse(m, &xt, &yt).item());
    let bias = |l: &Linear<f64>| l.bias.as_ref().map(Tensor::to_vec).unwrap_or_default();
    let net = Net1d {
        w: m.hidden.weight.to_vec(),
        b: bias(&m.hidden),
        a: m.output.weight.to_vec(),
        c: bias(&m.output)[0],
    };
    Ok((net, train_mse, run.trace))
}

/// The most points a user's data set may have: the width-1000 net then has at least 5 units
/// per knot of the spline (at most `N - 2` knots), and a step costs `O(N H)`.
pub const MAX_POINTS: usize = 100;

/// The least `R_min(v)` of the user's targets in training units: the zig-zag's 6. The cost
/// claims compare `1/2 sum(a^2 + w^2)` with `R(f_net)`, and the recipe leaves an absolute excess
/// of about 0.05 (units the weight decay has not yet shrunk to 0): on a convex run scaled to
/// `[-1, 1]` (`R_min(v)` = 2.7) that was 2% (full) and 6-7% (quick) of `R`.
const R_TARGET: f64 = 6.0;

/// The width of the net.
const WIDTH: usize = 1000;

/// Whether the min-R interpolant of sorted points is unique (and is then the linear spline):
/// the end term does not bind (`|s_1 + s_{N-1}| <= V`, which forces the end slopes), and the
/// discrete curvature `k_i = s_i - s_{i-1}` at the interior knots is nonzero and changes sign
/// between consecutive knots (a zig-zag). Two knots of the same sign (a convex or concave run)
/// or a binding end term leave other minimizers of the same `R` (Hanin 2021; Debarre et al.
/// 2022). Curvatures within `1e-12 max |s_i|` of 0 count as 0 (collinear points): not unique.
pub fn min_r_unique(x: &[f64], y: &[f64]) -> bool {
    let s = slopes(x, y);
    let scale = s.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
    let k: Vec<f64> = s.windows(2).map(|w| w[1] - w[0]).collect();
    let v: f64 = k.iter().map(|c| c.abs()).sum();
    let ends = (s[0] + s[s.len() - 1]).abs();
    !k.is_empty()
        && ends <= v
        && k.iter().all(|c| c.abs() > 1e-12 * scale)
        && k.windows(2).all(|p| p[0] * p[1] < 0.0)
}

/// `max_i (1/h_{i-1} + 1/h_i)` over sorted points with gaps `h_i` (one gap at the ends): how
/// fast `R_min(y)` can change with one `y_i` (`|dV/dy_i| <= 2 (1/h_{i-1} + 1/h_i)`).
fn closeness(x: &[f64]) -> f64 {
    let inv: Vec<f64> = x.windows(2).map(|w| 1.0 / (w[1] - w[0])).collect();
    (0..x.len())
        .map(|i| {
            let left = if i > 0 { inv[i - 1] } else { 0.0 };
            left + inv.get(i).copied().unwrap_or(0.0)
        })
        .fold(0.0, f64::max)
}

/// `N kappa` ([`closeness`]) of points in training coordinates: at the regularized optimum the
/// residuals satisfy `2 r_i / N = lambda dR/dy_i`, so the misfit grows like `lambda N kappa`.
/// 10 on the zig-zag; the protocol's `lambda` was checked on data with `N kappa` up to about 60.
pub fn misfit_scale(x: &[f64]) -> f64 {
    x.len() as f64 * closeness(x)
}

/// `lambda N / (h |v_{i+1} - v_i| / 2)` for the neighbours `i, i + 1` (gap `h`) of `N` sorted
/// points at weight decay `lambda`: above 1, separating their values costs more `lambda R` than
/// it saves MSE, so the regularized optimum does not fit them (see the module doc).
pub fn pair_cost_ratio(lambda: f64, x: &[f64], y: &[f64], i: usize) -> f64 {
    lambda * x.len() as f64 / ((x[i + 1] - x[i]) * 0.5 * (y[i + 1] - y[i]).abs())
}

/// The neighbours `i, i + 1` with the largest [`pair_cost_ratio`], the pair a weight decay is
/// least willing to separate (neighbours with equal values need no separating and are skipped;
/// `y` must not be constant).
pub fn hardest_pair(x: &[f64], y: &[f64]) -> usize {
    (0..x.len() - 1)
        .filter(|&i| y[i + 1] != y[i])
        .map(|i| (i, pair_cost_ratio(1.0, x, y, i)))
        .fold((0, f64::NEG_INFINITY), |b, p| if p.1 > b.1 { p } else { b })
        .0
}

/// A 1-D data set in the coordinates the net is trained in, `u = alpha (x - x0)` and
/// `v = beta (y - y0)`, sorted by `u`. A function `g` of `u` is the function
/// `f(x) = y0 + g(alpha (x - x0)) / beta` of the user's `x`, and `R(f) = (alpha / beta) R(g)`:
/// `f'' = (alpha^2 / beta) g''` integrated over `dx = du / alpha`, and `f' = (alpha / beta) g'`.
struct Points {
    name: &'static str,
    u: Vec<f64>,
    v: Vec<f64>,
    alpha: f64,
    beta: f64,
    x0: f64,
    y0: f64,
}

impl Points {
    /// Built-in points, already in the init's range (the identity map).
    fn built_in(name: &'static str, u: Vec<f64>, v: Vec<f64>) -> Self {
        Self {
            name,
            u,
            v,
            alpha: 1.0,
            beta: 1.0,
            x0: 0.0,
            y0: 0.0,
        }
    }

    /// `R` in the user's units of a value `R(g)` measured in the training coordinates.
    fn r_user(&self, r: f64) -> f64 {
        self.alpha / self.beta * r
    }
}

/// Reads the user's points: a CSV with one feature column `x` and the target `y` (an optional
/// header). Checks the theorem's assumptions (data errors naming the file and lines): two
/// cells per row, at least 2 and at most [`MAX_POINTS`] points, distinct `x` (the duplicate
/// pair is named), `y` not constant (then `R = 0` and every claim is a ratio to 0). The points
/// are sorted by `x` and mapped affinely to the init's range: `x` onto `[-2, 2]`, `y` centred
/// and scaled by `beta = max(2 / range(y), R_TARGET / R_min)` (`R_min` of the points with `x`
/// mapped), so that `v` spans at least `[-1, 1]` and `R_min(v) >= R_TARGET`.
fn read_points(file: &std::path::Path) -> Result<Points> {
    let d = read_csv(file)?;
    let all = d.all_lines();
    if d.x.cols != 1 {
        return Err(Error::data(
            file,
            all,
            format!("expected 2 cells per row (x, y), found {}", d.x.cols + 1),
        ));
    }
    let n = d.x.rows;
    if !(2..=MAX_POINTS).contains(&n) {
        return Err(Error::data(
            file,
            all,
            format!(
                "expected between 2 and {MAX_POINTS} points, found {n} (the width-{WIDTH} net \
                 is trained full batch, O(N H) per step)"
            ),
        ));
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&i, &j| d.x.data[i].total_cmp(&d.x.data[j]));
    for p in order.windows(2) {
        let (i, j) = (p[0], p[1]);
        if d.x.data[i] == d.x.data[j] {
            let (a, b) = (d.lines[i].min(d.lines[j]), d.lines[i].max(d.lines[j]));
            return Err(Error::data(
                file,
                Some((a, b)),
                format!(
                    "expected distinct x (the interpolation problem is over distinct 1-D \
                     points), found x = {} on lines {a} and {b}",
                    d.x.data[i]
                ),
            ));
        }
    }
    let x: Vec<f64> = order.iter().map(|&i| d.x.data[i]).collect();
    let y: Vec<f64> = order.iter().map(|&i| d.y[i]).collect();
    let (y_lo, y_hi) = y
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| {
            (l.min(v), h.max(v))
        });
    if y_hi == y_lo {
        return Err(Error::data(
            file,
            all,
            format!(
                "expected y not all equal (the min-R interpolant of constant data is that \
                 constant, R = 0), found y = {y_lo} on every line"
            ),
        ));
    }
    let (x0, alpha) = (0.5 * (x[0] + x[n - 1]), 4.0 / (x[n - 1] - x[0]));
    let u: Vec<f64> = x.iter().map(|&t| alpha * (t - x0)).collect();
    let (_, r_min) = spline_r(&u, &y);
    let (y0, beta) = (
        0.5 * (y_lo + y_hi),
        (2.0 / (y_hi - y_lo)).max(R_TARGET / r_min),
    );
    Ok(Points {
        name: "data",
        u,
        v: y.iter().map(|&t| beta * (t - y0)).collect(),
        alpha,
        beta,
        x0,
        y0,
    })
}

/// Runs protocol 7 on the zig-zag and a random data set, or (with `--data`) on the user's
/// points.
pub fn run(ctx: &Ctx) -> Result<Summary> {
    let mut s = Summary::default();
    let width = WIDTH;
    // On the user's data `--quick` keeps the full horizon (see the doc: at 8e3 steps the cost
    // claims missed by 4-8% on a convex and a concave run), so also the full tolerances.
    let short = ctx.quick() && ctx.config.data.is_none();
    let steps = if short { 8_000 } else { 20_000 };
    let sets = match &ctx.config.data {
        Some(file) => vec![read_points(file)?],
        None => {
            let mut rng = ctx.rng("random-data");
            let xr: Vec<f64> = (0..8)
                .map(|i| -2.0 + 4.0 * i as f64 / 7.0 + rng.gen_range(-0.1..0.1))
                .collect();
            let yr: Vec<f64> = (0..8).map(|_| StandardNormal.sample(&mut rng)).collect();
            vec![
                Points::built_in(
                    "zigzag",
                    vec![-2.0, -1.0, 0.0, 1.0, 2.0],
                    vec![0.0, 1.0, 0.0, 1.0, 0.0],
                ),
                Points::built_in("random", xr, yr),
            ]
        }
    };
    s.notes.push(format!(
        "7: width {width}, w ~ N(0,1), b ~ U[-2.5,2.5]|w|, a ~ N(0,1/H), c = 0; loss MSE + (lambda/2) sum(a^2 + w^2), biases free; Adam lr 1e-3, {steps} steps at lambda 1e-3 then {steps} at lambda 1e-4 with lr -> 0 linearly (the protocol's checked recipe{}); f64",
        if short { ", shortened" } else { "" }
    ));
    if let [p] = &sets[..] {
        if ctx.config.data.is_some() {
            s.notes.push(format!(
                "7 (data): {} points, trained on u = {:.6e} (x - {:.6e}) in [-2, 2] (the init's kink range) and v = {:.6e} (y - {:.6e}) (range >= 2, R_min(v) >= 6); R in the user's units = ({:.6e}) R(training units); claims are ratios (invariant to the map), train MSE in units of v; N kappa = {:.4} (misfit scale: fitted at 10-63 in calibration, not at 940 or 3160; see the doc); {} full-batch steps of cost O(N H) (no Ctx::data_steps cap: at most {MAX_POINTS} points)",
                p.u.len(), p.alpha, p.x0, p.beta, p.y0, p.alpha / p.beta, misfit_scale(&p.u), 2 * steps
            ));
        }
    }
    let results = ctx.par_map(&sets, |p| fit(ctx, p.name, &p.u, &p.v, width, steps))?;
    let (ratio_lo, ratio_hi, sup_tol, mse_tol, bal_tol) = if short {
        (0.95, 1.03, 0.08, 1e-3, 0.03)
    } else {
        (0.97, 1.02, 0.05, 1e-4, 0.02)
    };
    let (own_lo, own_hi) = if short { (0.97, 1.03) } else { (0.99, 1.02) };
    for (p, (net, mse, trace)) in sets.iter().zip(&results) {
        let (name, x, y) = (p.name, &p.u[..], &p.v[..]);
        ctx.write_trace(&mut s, &format!("7_{name}"), trace)?;
        let (r_net, tv, end_sum) = net.r();
        let (r_spline, r_min) = spline_r(x, y);
        let own: Vec<f64> = x.iter().map(|&t| net.at(t)).collect();
        let (r_own, r_min_own) = spline_r(x, &own);
        let unique = min_r_unique(x, y);
        let grid: Vec<f64> = (0..=2000)
            .map(|i| x[0] + (x[x.len() - 1] - x[0]) * i as f64 / 2000.0)
            .collect();
        let sup = grid
            .iter()
            .map(|&t| (net.at(t) - spline_at(x, y, t)).abs())
            .fold(0.0, f64::max);
        let range = y.iter().cloned().fold(f64::NEG_INFINITY, f64::max)
            - y.iter().cloned().fold(f64::INFINITY, f64::min);
        let cost_half: f64 = 0.5
            * (net.a.iter().map(|v| v * v).sum::<f64>() + net.w.iter().map(|v| v * v).sum::<f64>());
        let cost_prod: f64 = net.a.iter().zip(&net.w).map(|(a, w)| (a * w).abs()).sum();
        let min_gap = x
            .windows(2)
            .map(|w| w[1] - w[0])
            .fold(f64::INFINITY, f64::min);
        // The neighbours hardest to separate, (x[hard], x[hard + 1]), and the fraction of their
        // difference the net fits.
        let hard = hardest_pair(x, y);
        let hard_ratio = pair_cost_ratio(LAMBDA_1, x, y, hard);
        let pair_fitted = (own[hard + 1] - own[hard]) / (y[hard + 1] - y[hard]);
        let user = |t: f64| p.x0 + t / p.alpha;
        for (k, v) in [
            ("R_net", p.r_user(r_net)),
            ("int_abs_f2_net", p.r_user(tv)),
            ("end_slope_sum_net", p.r_user(end_sum)),
            ("R_spline", p.r_user(r_spline)),
            ("R_min", p.r_user(r_min)),
            ("R_own_spline", p.r_user(r_own)),
            ("R_min_own", p.r_user(r_min_own)),
            ("min_R_unique", f64::from(u8::from(unique))),
            ("min_gap_over_range_x", min_gap / (x[x.len() - 1] - x[0])),
            ("misfit_scale_N_kappa", misfit_scale(x)),
            ("hardest_pair_cost_ratio", hard_ratio),
            ("hardest_pair_fitted", pair_fitted),
            ("sup_dist_over_range", sup / range),
            ("train_mse", *mse / (p.beta * p.beta)),
            ("train_mse_normalized", *mse),
            ("half_sq_norm", p.r_user(cost_half)),
            ("sum_abs_aw", p.r_user(cost_prod)),
        ] {
            s.report(&format!("{name}_{k}"), v);
        }
        s.claim(
            Claim::below(
                &format!("7 ({name}): the net interpolates"),
                "train MSE (targets in training units)",
                *mse,
                mse_tol,
            )
            .sanity(),
        );
        s.claim(Claim::within(
            &format!(
                "7 ({name}): R(f_net) matches the least R of an interpolant of the net's own values"
            ),
            "R(f_net) / R_min(own values)",
            r_net / r_min_own,
            own_lo,
            own_hi,
        ));
        s.claim(Claim::within(
            &format!("7 ({name}): 1/2 ||(a, w)||^2 is within 2% of R(f_net)"),
            "0.5 sum(a^2 + w^2) / R(f_net)",
            cost_half / r_net,
            1.0 - bal_tol,
            1.0 + bal_tol,
        ));
        s.claim(Claim::within(
            &format!("7 ({name}): sum |a_i w_i| is within 2% of R(f_net)"),
            "sum |a w| / R(f_net)",
            cost_prod / r_net,
            1.0 - bal_tol,
            1.0 + bal_tol,
        ));
        let fitted = *mse < mse_tol;
        if fitted {
            s.claim(Claim::within(
                &format!(
                    "7 ({name}): R(f_net) approaches the least R of an interpolant of y (R of the linear spline when |s_1 + s_last| <= V)"
                ),
                "R(f_net) / R_min(y)",
                r_net / r_min,
                ratio_lo,
                ratio_hi,
            ));
        } else {
            s.notes.push(format!(
                "7 ({name}): the net does not fit the data (train MSE {mse:.3e} >= {mse_tol:e}), so R(f_net)/R_min(y) = {:.4} is reported, not asserted (the theorem is about interpolants). The neighbours hardest to separate, x = {:.6e} and {:.6e}, are {:.2e} of the range apart (N kappa = {:.0}; calibrated: 10-63) and the net fits {:.1}% of their difference: at the recipe's first weight decay 1e-3 separating them costs {:.2} times the MSE it saves (the regularized optimum there separates them by about 1 minus that, none above 1; the units that would fit the rest decay and the second phase recovers little; see the doc); the claims on R(f_net) and the cost are about the net's own function, whatever it fits",
                r_net / r_min,
                user(x[hard]),
                user(x[hard + 1]),
                (x[hard + 1] - x[hard]) / (x[x.len() - 1] - x[0]),
                misfit_scale(x),
                100.0 * pair_fitted,
                hard_ratio
            ));
        }
        if unique && fitted {
            s.claim(Claim::below(
                &format!(
                    "7 ({name}): the min-R interpolant is unique here (curvature alternates): the net is close to the spline on [x_min, x_max]"
                ),
                "sup |f - spline| / range(y)",
                sup / range,
                sup_tol,
            ));
        } else if !unique {
            s.notes.push(format!(
                "7 ({name}): the min-R interpolant is not unique here (a binding end term, |s_1 + s_last| > V, or two consecutive knots of the same curvature sign), so the net is compared with the spline by R only: R(f_net)/R(spline of y) = {:.4} (R_min(y)/R(spline) = {:.4}), sup|f - spline| / range(y) = {:.4} (reported, not asserted)",
                r_net / r_spline,
                r_min / r_spline,
                sup / range
            ));
        }
        let fine: Vec<f64> = (0..=400)
            .map(|i| x[0] - 0.5 + (x[x.len() - 1] - x[0] + 1.0) * i as f64 / 400.0)
            .collect();
        let in_user = |f: &dyn Fn(f64) -> f64| -> Vec<f64> {
            fine.iter().map(|&t| p.y0 + f(t) / p.beta).collect()
        };
        let fine_user: Vec<f64> = fine.iter().map(|&t| user(t)).collect();
        let fig = Figure::new(
            &format!("7_{name}"),
            &format!("7: width-{width} ReLU net vs linear spline ({name} data)"),
            "x",
            "f(x)",
            false,
            false,
        )
        .with(Series::new("net", &fine_user, &in_user(&|t| net.at(t))))
        .with(Series::new(
            "linear spline (reference)",
            &fine_user,
            &in_user(&|t| spline_at(x, y, t)),
        ))
        .with(Series::new(
            "data",
            &x.iter().map(|&t| user(t)).collect::<Vec<_>>(),
            &y.iter().map(|&t| p.y0 + t / p.beta).collect::<Vec<_>>(),
        ));
        ctx.save_figure(&mut s, &fig)?;
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: (f64, f64), b: (f64, f64)) {
        assert!(
            (a.0 - b.0).abs() < 1e-12 && (a.1 - b.1).abs() < 1e-12,
            "{a:?} vs {b:?}"
        );
    }

    #[test]
    fn r_of_the_spline_by_hand() {
        // Slopes 1 and -1/2: V = 3/2 >= |1 - 1/2|, so the spline is optimal, R = 3/2.
        close(spline_r(&[0.0, 1.0, 3.0], &[0.0, 1.0, 0.0]), (1.5, 1.5));
        // The protocol's zig-zag: slopes (1, -1, 1, -1), V = 2 + 2 + 2, end sum 0.
        close(
            spline_r(&[-2.0, -1.0, 0.0, 1.0, 2.0], &[0.0, 1.0, 0.0, 1.0, 0.0]),
            (6.0, 6.0),
        );
        // Two points, slope 2: the line costs |2 + 2| = 4; 2 [x - 0]_+ (slope 0 on the left)
        // interpolates at cost max(2, |0 + 2|) = 2.
        close(spline_r(&[0.0, 1.0], &[0.0, 2.0]), (4.0, 2.0));
        // Slopes 1, 2: V = 1, end sum 3: the spline costs 3; slope 0 left of 0, then 1, then 2
        // costs max(2, |0 + 2|) = 2, and no interpolant costs less (max(1 + a, 3 - a) >= 2).
        close(spline_r(&[0.0, 1.0, 2.0], &[0.0, 1.0, 3.0]), (3.0, 2.0));
        // x scaled by 2 and y by 3 (the first set): slopes and R scale by 3/2.
        close(spline_r(&[0.0, 2.0, 6.0], &[0.0, 3.0, 0.0]), (2.25, 2.25));
    }

    #[test]
    fn uniqueness_needs_alternating_curvature_and_a_free_end_term() {
        let zz = [-2.0, -1.0, 0.0, 1.0, 2.0];
        assert!(min_r_unique(&zz, &[0.0, 1.0, 0.0, 1.0, 0.0]));
        // |x| at three points: one knot, end sum 0 < V = 2.
        assert!(min_r_unique(&[-1.0, 0.0, 2.0], &[1.0, 0.0, 2.0]));
        // Convex run: curvature +2 at every knot.
        assert!(!min_r_unique(&zz, &[4.0, 1.0, 0.0, 1.0, 4.0]));
        // Binding end term, two points, collinear points.
        assert!(!min_r_unique(&[0.0, 1.0, 2.0], &[0.0, 1.0, 3.0]));
        assert!(!min_r_unique(&[0.0, 1.0], &[0.0, 1.0]));
        assert!(!min_r_unique(&[0.0, 1.0, 2.0, 3.0], &[0.0, 1.0, 0.0, -1.0]));
    }

    #[test]
    fn misfit_scale_by_hand() {
        // Zig-zag: unit gaps, kappa = 1 + 1, N kappa = 10.
        assert_eq!(misfit_scale(&[-2.0, -1.0, 0.0, 1.0, 2.0]), 10.0);
        // Gaps 0.01 and 0.99: kappa = 100 + 100/99 = 10000/99, N kappa = 30000/99.
        assert!((misfit_scale(&[0.0, 0.01, 1.0]) - 30000.0 / 99.0).abs() < 1e-9);
    }

    #[test]
    fn pair_cost_ratio_by_hand() {
        // Three points, the pair (1, 1.01) with values 0 and 2: lambda N / (h |dv| / 2) =
        // 1e-3 * 3 / (0.01 * 1) = 0.3.
        let r = pair_cost_ratio(1e-3, &[0.0, 1.0, 1.01], &[5.0, 0.0, 2.0], 1);
        assert!((r - 0.3).abs() < 1e-12, "{r}");
        // The closest neighbours (1, 1.01) have equal values: nothing to separate. Of the
        // others, h |dv| is 1 * 1 for (0, 1) and 0.99 * 2 for (1.01, 2): the first is harder.
        let (x, y) = ([0.0, 1.0, 1.01, 2.0], [0.0, 1.0, 1.0, 3.0]);
        assert_eq!(hardest_pair(&x, &y), 0);
        // With (1.01, 2) at a gap of 0.4 instead, h |dv| = 0.8 < 1: that pair.
        assert_eq!(hardest_pair(&[0.0, 1.0, 1.01, 1.41], &y), 2);
    }

    fn points(name: &str, text: &str) -> Result<Points> {
        let dir = std::env::temp_dir().join(format!("relu1d-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join(name);
        std::fs::write(&file, text).unwrap();
        read_points(&file)
    }

    fn data_error(r: Result<Points>) -> String {
        match r {
            Err(e @ Error::Data { .. }) => e.to_string(),
            Err(e) => panic!("expected a data error, got {e}"),
            Ok(_) => panic!("expected a data error, got points"),
        }
    }

    #[test]
    fn user_points_are_sorted_mapped_and_checked() {
        let p = points("ok.csv", "x,y\n20,5\n10,1\n15,3\n").unwrap();
        assert_eq!(p.u, vec![-2.0, 0.0, 2.0]);
        // Collinear in u: slope 1 (y per unit of u), R_min = max(0, (0 + 2) / 2) = 1, so
        // beta = max(2 / 4, 6 / 1) = 6 and v = 6 (y - 3).
        assert_eq!(p.v, vec![-12.0, 0.0, 12.0]);
        // alpha = 4/10: R in x units is alpha / beta = 1/15 of R in (u, v) units.
        assert!((p.r_user(1.0) - 1.0 / 15.0).abs() < 1e-15);
        let e = data_error(points("dup.csv", "x,y\n1,0\n2,1\n1,3\n"));
        assert!(e.contains("found x = 1 on lines 2 and 4"), "{e}");
        let e = data_error(points("one.csv", "x,y\n1,0\n"));
        assert!(e.contains("between 2 and 100 points, found 1"), "{e}");
        let e = data_error(points("wide.csv", "1,2,3\n2,3,4\n"));
        assert!(
            e.contains("expected 2 cells per row (x, y), found 3"),
            "{e}"
        );
        let e = data_error(points("flat.csv", "0,1\n1,1\n"));
        assert!(e.contains("y not all equal"), "{e}");
        let e = data_error(points("nan.csv", "0,1\n1,nan\n"));
        assert!(e.contains("finite number"), "{e}");
    }
}
