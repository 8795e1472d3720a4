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
//! When `|s_1 + s_{N-1}| > V` the spline is not optimal; the minimum is then
//! `max(V, (V + |s_1 + s_{N-1}|) / 2)` (tilting both end slopes), reported as `r_min`.
//!
//! **Protocol as run.** Two data sets: the zig-zag `x = (-2, -1, 0, 1, 2)`,
//! `y = (0, 1, 0, 1, 0)`, and 8 random points (`x` evenly spaced on `[-2, 2]` plus
//! `U(-0.1, 0.1)`, `y ~ N(0, 1)`). The net, `nn::TwoLayerRelu` of width 1000 with an output bias,
//! starts at `w_i ~ N(0, 1)`, `b_i ~ U[-2.5, 2.5] |w_i|`, `a_i ~ N(0, 1/1000)`, `c = 0`, and is
//! trained (f64) by Adam with the checked recipe: 2e4 steps (8e3 quick) on
//! `MSE + (lambda/2) sum(a_i^2 + w_i^2)` with `lambda = 1e-3` and learning rate 1e-3, then as
//! many with `lambda = 1e-4` and the learning rate decayed linearly to 0. Claims, per data set:
//! train MSE below 1e-4 (1e-3 quick); `R(f_net) / R(S_own)` in [0.99, 1.02] ([0.97, 1.03]
//! quick); `0.5 sum(a^2 + w^2)` and `sum |a_i w_i|` within 2% (3% quick) of `R(f_net)`; on the
//! zig-zag data also `R(f_net) / R(spline)` in [0.97, 1.02] ([0.95, 1.03] quick) and
//! `sup |f - spline| < 0.05` (0.08 quick) on `[x_min, x_max]`.
//!
//! Each data set is one checkpointed run of the runner: the loss is a function of the step `t`
//! (`lambda` switches at `t = steps`), the learning rate is set before every step by a hook.
//! Cost: a step takes `O(N H)` for `N` points and width `H` (forward and backward through the
//! `N x H` hidden layer); `R(f_net)` sorts the `H` kinks, `O(H log H)`.

use autograd::{no_grad, Tensor};
use nn::{Linear, Module, TwoLayerRelu};
use optim::{Adam, AdamConfig, Optimizer};
use rand::Rng;
use rand_distr::{Distribution, Normal, StandardNormal};

use crate::error::Result;
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
    takes_data: false,
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
    let lambda = move |t: u64| if t < steps { 1e-3 } else { 1e-4 };
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

/// Runs protocol 7 on the zig-zag and a random data set.
pub fn run(ctx: &Ctx) -> Result<Summary> {
    let mut s = Summary::default();
    let width = 1000;
    let steps = ctx.pick(20_000, 8_000);
    let mut rng = ctx.rng("random-data");
    let xr: Vec<f64> = (0..8)
        .map(|i| -2.0 + 4.0 * i as f64 / 7.0 + rng.gen_range(-0.1..0.1))
        .collect();
    let yr: Vec<f64> = (0..8).map(|_| StandardNormal.sample(&mut rng)).collect();
    let sets = vec![
        (
            "zigzag",
            vec![-2.0, -1.0, 0.0, 1.0, 2.0],
            vec![0.0, 1.0, 0.0, 1.0, 0.0],
        ),
        ("random", xr, yr),
    ];
    s.notes.push(format!(
        "7: width {width}, w ~ N(0,1), b ~ U[-2.5,2.5]|w|, a ~ N(0,1/H), c = 0; loss MSE + (lambda/2) sum(a^2 + w^2), biases free; Adam lr 1e-3, {steps} steps at lambda 1e-3 then {steps} at lambda 1e-4 with lr -> 0 linearly (the protocol's checked recipe{}); f64",
        if ctx.quick() { ", shortened" } else { "" }
    ));
    let results = ctx.par_map(&sets, |(name, x, y)| fit(ctx, name, x, y, width, steps))?;
    let (ratio_lo, ratio_hi, sup_tol, mse_tol, bal_tol): (f64, f64, f64, f64, f64) = ctx.pick(
        (0.97, 1.02, 0.05, 1e-4, 0.02),
        (0.95, 1.03, 0.08, 1e-3, 0.03),
    );
    let (own_lo, own_hi) = ctx.pick((0.99, 1.02), (0.97, 1.03));
    for ((name, x, y), (net, mse, trace)) in sets.iter().zip(&results) {
        ctx.write_trace(&mut s, &format!("7_{name}"), trace)?;
        let (r_net, tv, end_sum) = net.r();
        let (r_spline, r_min) = spline_r(x, y);
        let own: Vec<f64> = x.iter().map(|&t| net.at(t)).collect();
        let (r_own, _) = spline_r(x, &own);
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
        for (k, v) in [
            ("R_net", r_net),
            ("int_abs_f2_net", tv),
            ("end_slope_sum_net", end_sum),
            ("R_spline", r_spline),
            ("R_min", r_min),
            ("R_own_spline", r_own),
            ("sup_dist", sup),
            ("sup_dist_over_range", sup / range),
            ("train_mse", *mse),
            ("half_sq_norm", cost_half),
            ("sum_abs_aw", cost_prod),
        ] {
            s.report(&format!("{name}_{k}"), v);
        }
        s.claim(
            Claim::below(
                &format!("7 ({name}): the net interpolates"),
                "train MSE",
                *mse,
                mse_tol,
            )
            .sanity(),
        );
        s.claim(Claim::within(
            &format!("7 ({name}): R(f_net) matches R of the spline through the net's values"),
            "R(f_net) / R(S_own)",
            r_net / r_own,
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
        if *name == "zigzag" {
            s.claim(Claim::within(
                "7 (zigzag): R(f_net) approaches R of the min-R interpolant (the linear spline)",
                "R(f_net) / R(spline)",
                r_net / r_spline,
                ratio_lo,
                ratio_hi,
            ));
            s.claim(Claim::below(
                "7 (zigzag): the net is close to the spline on [x_min, x_max]",
                "sup |f - spline|",
                sup,
                sup_tol,
            ));
        } else {
            s.report("random_R_net_over_R_spline", r_net / r_spline);
            s.notes.push(format!("7 (random): spline is a minimizer of R: {} (|s_1 + s_last| <= V); R(f_net)/R(spline of y) = {:.4}, sup|f - spline| / range(y) = {:.4} (report only: minimizers need not be unique)", (r_spline - r_min).abs() < 1e-12, r_net / r_spline, sup / range));
        }
        let fine: Vec<f64> = (0..=400)
            .map(|i| x[0] - 0.5 + (x[x.len() - 1] - x[0] + 1.0) * i as f64 / 400.0)
            .collect();
        let fig = Figure::new(
            &format!("7_{name}"),
            &format!("7: width-{width} ReLU net vs linear spline ({name} data)"),
            "x",
            "f(x)",
            false,
            false,
        )
        .with(Series::new(
            "net",
            &fine,
            &fine.iter().map(|&t| net.at(t)).collect::<Vec<_>>(),
        ))
        .with(Series::new(
            "linear spline (reference)",
            &fine,
            &fine.iter().map(|&t| spline_at(x, y, t)).collect::<Vec<_>>(),
        ))
        .with(Series::new("data", x, y));
        ctx.save_figure(&mut s, &fig)?;
    }
    Ok(s)
}
