//! Protocols 2a, 2b, 2c, 2e: gradient descent on the logistic and exponential losses of a
//! bias-free linear predictor, on linearly separable data (Soudry et al. 2018; Nacson et al. 2019).
//!
//! The loss is summed over the samples, `L(w) = sum_n l(y_n <x_n, w>)` with
//! `l(u) = ln(1 + exp(-u))` (logistic) or `exp(-u)` (exp), and every run starts at `w = 0`.
//!
//! - **2a** (Soudry et al.'s Figure 1): the 4 constructed support vectors `(0.5, 1.5)`,
//!   `(1.5, 0.5)`, 6 random points off the margin, and the mirror images (class -1); GD with
//!   `eta = 1/sigma_max(X)^2` and heavy ball (momentum 0.9, step `eta/10`), both losses, `1e6`
//!   steps. Checks that the SVM has exactly the 4 support vectors, `L ~ 1/t` (log-log slope in
//!   `[-1.1, -0.9]` on `[1e3, 1e6]`), `||w|| ~ ||w_hat|| ln t` (slope within 5% of `1/sqrt 2`),
//!   the direction error `e(t) = ||w/||w|| - w_hat/||w_hat||||` below 0.05 and `1 - cos` below
//!   `2e-3` at `1e6`, `e(t)` strictly decreasing over the decades, and
//!   `w(t) = w_hat ln t + w_tilde + o(1)`: `||w - w_hat ln t - w_tilde||` strictly decreasing and
//!   below 0.5 at `1e6`, where `w_tilde` solves `eta m_k exp(-<z_k, w_tilde>) = alpha_k` for each
//!   distinct support vector `z_k = y_k x_k` (multiplicity `m_k`, total dual weight `alpha_k`;
//!   `eta / (1 - beta)` for momentum).
//! - **2b** (random separable data, `n = 30`, `d = 10`, or the `--data` set): logistic GD,
//!   `eta = 1/sigma_max^2`, `1e6` steps. On all data: `rho(t) = w(t) - w_hat ln t` is bounded,
//!   checked as "the growth of `||rho||` over `[1e5, 1e6]` is at most 0.9 of that over
//!   `[1e4, 1e5]`" ([`residual_deceleration`]), and GD's loss bound
//!   `L(t) <= (n + ||w_hat||^2 ln^2 t / (2 eta)) / t` at every logged step. On the built-in
//!   data also: `1 - cos(w, w_hat) < 5e-3` at `1e6` and strictly
//!   decreasing over the decades; `e(t) ln t` has a coefficient of variation below 25% over
//!   `1e4, 1e5, 1e6`; the normalized margin gap `1/||w_hat|| - min_n <z_n, w>/||w||` is strictly
//!   decreasing after `1e3` and `gap ln t` has max/min below 4. The step-size line: at
//!   `eta = 0.95 * 8/sigma_max^2` (inside the theorem's `eta < 2/(beta sigma_max^2)`,
//!   `beta = 1/4`) the loss decreases at every step; `1.9x` and `2.5x` are reported.
//! - **2c** (2b's data, exp loss): normalized GD, `w <- w - eta0/sqrt(t+1) grad L / L` with
//!   `eta0 = 10`, `1e4` steps, against fixed-step GD (`1e6` steps). Its gap at `1e4` is at most
//!   0.2 of GD's at `1e6`; `gap sqrt(t)/ln t` has max/min below 2 on `[1e3, 1e4]`; the slope of
//!   `ln gap` vs `ln t` is in `[-0.65, -0.35]` for normalized GD and above `-0.25` for GD.
//! - **2e** (a CPU proxy for Soudry et al.'s CIFAR "size of weights" table): an anisotropic
//!   Gaussian mixture, `d = 20`, 100 clean training points, 4000 validation points with 5% flipped
//!   labels; logistic GD, `1e6` steps. Train-loss slope in `[-1.15, -0.85]` on the last two
//!   decades, `||w||` linear in `ln t` (`R^2 > 0.98`), the final validation loss at least 1.1x its
//!   minimum while the validation error rises by at most 0.005 from the validation-loss minimum.
//!   On an isotropic mixture (`d = 200`, `||mu|| = 1.2`) the changes of validation error and loss
//!   from `1e4` to `1e6` are reported.
//!
//! The model is an `nn::Linear` layer `[1, d]` without bias; the loss the autograd margin loss of
//! its outputs times the labels, times `n` (the tensor losses are means, the protocols' sums set
//! the step's scale). GD is `optim::Sgd`; heavy ball is `Sgd` with momentum (PyTorch's
//! `b <- beta b + g, w <- w - eta b` is `a <- beta a - eta g, w <- w + a` with `a = -eta b`);
//! normalized GD is `Sgd` on `ln L` with the schedule `optim::InverseSqrt` (`grad ln L =
//! grad L / L`; the tape's `log_exp_loss` is `ln L - ln n`, finite where `L` underflows). The
//! runner's loop `Ctx::train` steps, logs, checkpoints and resumes every run.
//!
//! Cost: a step is one forward and backward pass through `X w`, `O(n d)` for `n` rows and `d`
//! features, plus a fixed tape overhead that dominates at these sizes (about 3.4 us of CPU per
//! step at `n = 30`, `d = 10`), so a run is `O(T n d)` for `T` steps; a logged row costs another
//! `O(n d)` (2e: `O(n_val d)` on the validation set; the step-size line logs every step). The
//! references are the hard-margin SVM QP and dual coordinate ascent on the `n` samples.

use crate::data::synthetic::{
    anisotropic_mixture, isotropic_mixture, separable_gaussian, soudry_2d,
};
use crate::error::{Error, Result};
use crate::reference::{dot, min_entry, solve, svm_l2, svm_l2_dual_cd, Matrix, SvmSolution};
use crate::runner::io::read_csv;
use crate::runner::{Claim, Ctx, Figure, Series, Summary, Trace, Trained, Training};
use crate::stats::{
    cv, direction_error, linear_fit, log_points, log_residual, loss_bound_ratio, max_over_min,
    norm2, one_minus_cos, residual_deceleration, slope, strictly_decreasing, t_name, value_at,
    window, RESIDUAL_DECELERATION_BOUND,
};
use crate::Experiment;
use autograd::{no_grad, Tensor};
use nn::{Linear, Module};
use optim::{InverseSqrt, Sgd, SgdConfig};

/// The registry entry (listed by `experiments list`).
pub const EXPERIMENT: Experiment = Experiment {
    name: "logistic_margin",
    items: "2a, 2b, 2c, 2e",
    claim: "logistic/exp loss on separable data: GD (and momentum) converge in direction to the \
            L2 SVM with loss ~ 1/t, ||w|| ~ ||w_hat|| log t, 1/log t rates; normalized GD is faster; \
            validation loss rises while validation error stays flat",
    takes_data: true,
    params: &[],
    run,
};

/// A margin loss `l(u)` of the margins `u_n = y_n <x_n, w>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum MarginLoss {
    /// `l(u) = ln(1 + exp(-u))`.
    Logistic,
    /// `l(u) = exp(-u)`.
    Exp,
}

/// How a run updates `w`.
#[derive(Clone, Copy, Debug)]
enum Method {
    /// GD on `L`: `w <- w - eta grad L`.
    Gd { eta: f64 },
    /// Heavy ball on `L`: `a <- beta a - eta grad L`, `w <- w + a`.
    HeavyBall { eta: f64, beta: f64 },
    /// Normalized GD (Nacson et al. 2019), exp loss only:
    /// `w <- w - eta0 / sqrt(t + 1) * grad L / L`, i.e. GD on `ln L` with step `eta0 / sqrt(t + 1)`.
    NormalizedGd { eta0: f64 },
}

/// A binary classification set: samples, labels in `{-1, 1}`, and the same as tensors.
struct Samples {
    /// The samples `x_n`, one per row.
    x: Matrix,
    /// The signed rows `z_n = y_n x_n` (margins are `z w`).
    z: Matrix,
    /// `z` as an `[n, d]` tensor: the model's outputs on it are the margins.
    z_t: Tensor<f64>,
}

impl Samples {
    fn new(x: Matrix, y: &[f64]) -> Self {
        let z = x.signed_rows(y);
        Samples {
            z_t: z.to_tensor(),
            z,
            x,
        }
    }

    /// The number of samples `n`.
    fn n(&self) -> usize {
        self.x.rows
    }

    /// The margins `y_n <x_n, w>`, `[n, 1]`: the linear model applied to the signed rows,
    /// `<z_n, w> = y_n <x_n, w>` (one product fewer per step than multiplying its outputs by
    /// the labels).
    fn margins(&self, model: &Linear<f64>) -> Tensor<f64> {
        model.forward(&self.z_t)
    }

    /// `L(w) = sum_n l(y_n <x_n, w>)`: the tensor loss (a mean) times `n`.
    fn loss(&self, model: &Linear<f64>, loss: MarginLoss) -> Tensor<f64> {
        let u = self.margins(model);
        let mean = match loss {
            MarginLoss::Logistic => u.logistic_loss(),
            MarginLoss::Exp => u.exp_loss(),
        };
        mean.mul_scalar(self.n() as f64)
    }

    /// `L(w)`, without recording.
    fn loss_value(&self, model: &Linear<f64>, loss: MarginLoss) -> f64 {
        no_grad(|| self.loss(model, loss).item())
    }
}

/// A run of `method` on `loss` over `data` from `w = 0` (no logging yet).
fn training(
    data: &Samples,
    loss: MarginLoss,
    method: Method,
) -> Training<'_, f64, Linear<f64>, Sgd<f64>> {
    let weight = Tensor::zeros([1, data.x.cols]).requires_grad();
    let mut model = Linear::from_tensors(weight, None);
    let (lr, momentum) = match method {
        Method::Gd { eta } => (eta, 0.0),
        Method::HeavyBall { eta, beta } => (eta, beta),
        Method::NormalizedGd { eta0 } => (eta0, 0.0),
    };
    let opt = Sgd::new(
        nn::params::tensors(&mut model),
        SgdConfig {
            lr,
            momentum,
            ..Default::default()
        },
    );
    let training = Training::new(model, opt);
    match method {
        Method::NormalizedGd { eta0 } => {
            assert_eq!(loss, MarginLoss::Exp, "normalized GD runs on the exp loss");
            // ln mean_n exp(-u_n) = ln L - ln n: the gradient of ln L.
            training
                .loss(move |m, _rng, _t| data.margins(m).log_exp_loss())
                .schedule(InverseSqrt { lr0: eta0 })
        }
        _ => training.loss(move |m, _rng, _t| data.loss(m, loss)),
    }
}

/// Columns logged by [`margin_run`].
const COLUMNS: &[&str] = &[
    "loss",
    "norm",
    "dir_err",
    "one_minus_cos",
    "gap",
    "resid",
    "rho",
];

/// A run logging `L(w)`, `||w||`, the direction error and `1 - cos` to `w_hat`, the normalized
/// margin gap `1/||w_hat|| - min_n <z_n, w>/||w||`, `||w - w_hat ln t - w_tilde||` (NaN
/// without `w_tilde`) and `||w - w_hat ln t||`, at 10 log-spaced steps per decade.
#[allow(clippy::too_many_arguments)]
fn margin_run(
    ctx: &Ctx,
    name: &str,
    data: &Samples,
    loss: MarginLoss,
    method: Method,
    steps: u64,
    w_hat: &[f64],
    w_tilde: Option<&[f64]>,
) -> Result<Trained<Linear<f64>, Sgd<f64>>> {
    let gamma = 1.0 / norm2(w_hat);
    let training = training(data, loss, method).log(COLUMNS, |m, t| {
        let w = m.weight.to_vec();
        let norm = norm2(&w);
        let resid = w_tilde.map_or(f64::NAN, |w_tilde| {
            let ln_t = (t.max(1) as f64).ln();
            let r: Vec<f64> = w
                .iter()
                .zip(w_hat)
                .zip(w_tilde)
                .map(|((w, h), c)| w - h * ln_t - c)
                .collect();
            norm2(&r)
        });
        vec![
            data.loss_value(m, loss),
            norm,
            direction_error(&w, w_hat),
            one_minus_cos(&w, w_hat),
            gamma - min_entry(&data.z.mul_vec(&w)) / norm,
            resid,
            log_residual(&w, w_hat, t),
        ]
    });
    ctx.train(name, training, steps, &log_points(steps, 10))
}

fn svm(x: &Matrix, y: &[f64], what: &str) -> Result<SvmSolution> {
    svm_l2(x, y).map_err(|e| Error::reference(format!("{what}: hard-margin SVM"), e))
}

/// Runs 2a, 2b, 2c, 2e; with `--data`, 2b and 2c on the user's data.
pub fn run(ctx: &Ctx) -> Result<Summary> {
    let mut s = Summary::default();
    let (x, y, sol) = match &ctx.config.data {
        Some(file) => read_csv(file)?.separable_binary()?,
        None => {
            let (x, y) = separable_gaussian(&mut ctx.rng("2b"), 30, 10, 0.1);
            let sol = svm(&x, &y, "2b")?;
            (x, y, sol)
        }
    };
    if ctx.config.data.is_none() {
        part_2a(ctx, &mut s)?;
    }
    part_2b_2c(ctx, x, &y, &sol, &mut s)?;
    if ctx.config.data.is_none() {
        part_2e(ctx, &mut s)?;
    } else {
        s.notes.push(
            "with --data only 2b and 2c run (2a and 2e use their own constructed data)".into(),
        );
    }
    Ok(s)
}

/// `w_tilde` with `eta m_k exp(-<z_k, w_tilde>) = alpha_k` for the distinct
/// support vectors `z_k` (multiplicity `m_k`, total dual weight `alpha_k`);
/// the least-norm solution `w_tilde = sum_k c_k z_k`, `G c = ln(eta m / alpha)` with `G` the
/// Gram matrix of the `z_k`.
fn w_tilde(z: &Matrix, svm: &SvmSolution, eta: f64) -> Vec<f64> {
    let mut distinct: Vec<(Vec<f64>, f64, f64)> = Vec::new();
    for &i in &svm.support {
        let zi = z.row(i).to_vec();
        match distinct
            .iter_mut()
            .find(|(v, _, _)| v.iter().zip(&zi).all(|(a, b)| (a - b).abs() < 1e-9))
        {
            Some(e) => {
                e.1 += 1.0;
                e.2 += svm.alpha[i];
            }
            None => distinct.push((zi, 1.0, svm.alpha[i])),
        }
    }
    let k = distinct.len();
    let b: Vec<f64> = distinct
        .iter()
        .map(|(_, m, a)| (eta * m / a).ln())
        .collect();
    let gram: Vec<f64> = (0..k * k)
        .map(|q| dot(&distinct[q / k].0, &distinct[q % k].0))
        .collect();
    let gram = Matrix::new(k, k, gram).expect("k * k entries");
    let c = solve(&gram, &b);
    (0..z.cols)
        .map(|j| (0..k).map(|q| c[q] * distinct[q].0[j]).sum())
        .collect()
}

/// Values of `col` at the decades `ts`.
fn at(tr: &Trace, col: &str, ts: &[f64]) -> Vec<f64> {
    let (t, v) = (tr.t(), tr.col(col));
    ts.iter().map(|&x| value_at(&t, &v, x)).collect()
}

/// The largest `col(t) ln t` over the logged `t` in `[lo, hi]`.
fn max_on(tr: &Trace, col: &str, lo: f64, hi: f64) -> f64 {
    let (t, v) = window(&tr.t(), &tr.col(col), lo, hi);
    t.iter()
        .zip(&v)
        .map(|(t, v)| v * t.ln())
        .fold(f64::NAN, f64::max)
}

/// Least-squares slope of `ln col` vs `ln t` on `[lo, hi]`.
fn loglog_slope(tr: &Trace, col: &str, lo: f64, hi: f64) -> f64 {
    let (t, v) = window(&tr.t(), &tr.col(col), lo, hi);
    let lt: Vec<f64> = t.iter().map(|v| v.ln()).collect();
    let lv: Vec<f64> = v.iter().map(|v| v.ln()).collect();
    slope(&lt, &lv)
}

/// 2a: Soudry et al.'s 2-D data, logistic and exp loss, GD and GD with momentum.
fn part_2a(ctx: &Ctx, s: &mut Summary) -> Result<()> {
    let (x, y) = soudry_2d(&mut ctx.rng("2a"), 6);
    let sol = svm(&x, &y, "2a")?;
    s.claim(
        Claim::is_true(
            "2a: the SVM's support vectors are exactly the 4 constructed points",
            "support == {x1, x2, -x1, -x2}",
            sol.support == vec![0, 1, 2, 3],
        )
        .sanity(),
    );
    let data = Samples::new(x, &y);
    let eta = 1.0 / data.x.sigma_max_sq();
    let steps: u64 = 1_000_000;
    let configs = [
        ("2a_gd_logistic", MarginLoss::Logistic, 0.0),
        ("2a_gd_exp", MarginLoss::Exp, 0.0),
        ("2a_gdmo_logistic", MarginLoss::Logistic, 0.9),
        ("2a_gdmo_exp", MarginLoss::Exp, 0.9),
    ];
    let runs = ctx.par_map(&configs, |&(name, loss, beta)| {
        // Momentum: step eta/10 with beta = 0.9, effective step eta / 10 / (1 - beta) = eta.
        let (method, effective) = if beta > 0.0 {
            (
                Method::HeavyBall {
                    eta: eta / 10.0,
                    beta,
                },
                eta / 10.0 / (1.0 - beta),
            )
        } else {
            (Method::Gd { eta }, eta)
        };
        let wt = w_tilde(&data.z, &sol, effective);
        margin_run(ctx, name, &data, loss, method, steps, &sol.w, Some(&wt))
    })?;
    let decades = [1e3, 1e4, 1e5, 1e6];
    let mut fig_e = Figure::new(
        "2a_direction_error",
        "2a: direction error ||w/|w| - w_hat/|w_hat|||",
        "t",
        "e(t)",
        true,
        true,
    );
    let mut fig_l = Figure::new("2a_loss", "2a: training loss", "t", "L(w(t))", true, true);
    let mut fig_n = Figure::new(
        "2a_norm",
        "2a: ||w(t)|| vs ln t",
        "ln t",
        "||w(t)||",
        false,
        false,
    );
    for ((name, _, beta), r) in configs.iter().zip(&runs) {
        let tr = &r.trace;
        if *beta == 0.0 {
            s.claim(Claim::within(
                &format!("{name}: loss ~ 1/t"),
                "slope of ln L vs ln t on [1e3, 1e6]",
                loglog_slope(tr, "loss", 1e3, 1e6),
                -1.1,
                -0.9,
            ));
            let (t, nrm) = window(&tr.t(), &tr.col("norm"), 1e4, 1e6);
            let lt: Vec<f64> = t.iter().map(|v| v.ln()).collect();
            let target = 1.0 / 2f64.sqrt();
            s.claim(Claim::within(
                &format!("{name}: ||w|| ~ ||w_hat|| ln t"),
                "slope of ||w|| vs ln t on [1e4, 1e6]",
                slope(&lt, &nrm),
                0.95 * target,
                1.05 * target,
            ));
        }
        let e = at(tr, "dir_err", &decades);
        let res = at(tr, "resid", &decades);
        s.claim(Claim::below(
            &format!("{name}: direction converges to the SVM"),
            "e(1e6)",
            e[3],
            0.05,
        ));
        s.claim(Claim::below(
            &format!("{name}: 1 - cos to the SVM"),
            "1 - cos(w(1e6), w_hat)",
            at(tr, "one_minus_cos", &[1e6])[0],
            2e-3,
        ));
        s.claim(Claim::is_true(
            &format!("{name}: e(t) strictly decreasing"),
            "e at t = 1e3, 1e4, 1e5, 1e6",
            strictly_decreasing(&e),
        ));
        s.claim(Claim::is_true(
            &format!("{name}: ||w - w_hat ln t - w_tilde|| strictly decreasing"),
            "at t = 1e3, 1e4, 1e5, 1e6",
            strictly_decreasing(&res),
        ));
        s.claim(Claim::below(
            &format!("{name}: w(t) = w_hat ln t + w_tilde + o(1)"),
            "||w - w_hat ln t - w_tilde|| at 1e6",
            res[3],
            0.5,
        ));
        s.array(name, &r.model.weight.to_vec());
        ctx.write_trace(s, name, tr)?;
        fig_e = fig_e.with(Series::from_trace(name, tr, "dir_err"));
        fig_l = fig_l.with(Series::from_trace(name, tr, "loss"));
        let lt: Vec<f64> = tr.t().iter().map(|v| v.max(1.0).ln()).collect();
        fig_n = fig_n.with(Series::new(name, &lt, &tr.col("norm")));
    }
    s.array("2a_svm", &sol.w);
    for f in [fig_e, fig_l, fig_n] {
        ctx.save_figure(s, &f)?;
    }
    Ok(())
}

/// Logistic GD from 0 with step `eta` for `steps` steps as the run `name`, its loss logged at
/// every step; returns the number of steps `t` with `L(w_{t+1}) > L(w_t)` and `L(w_steps)`.
fn loss_increases(
    ctx: &Ctx,
    name: &str,
    data: &Samples,
    eta: f64,
    steps: u64,
) -> Result<(usize, f64)> {
    let training = training(data, MarginLoss::Logistic, Method::Gd { eta })
        .log(&["loss"], |m, _t| {
            vec![data.loss_value(m, MarginLoss::Logistic)]
        });
    let every_step: Vec<u64> = (0..steps).collect();
    let run = ctx.train(name, training, steps, &every_step)?;
    let loss = run.trace.col("loss");
    let increases = loss.windows(2).filter(|l| l[1] > l[0]).count();
    Ok((increases, *loss.last().unwrap_or(&f64::NAN)))
}

/// Samples up to which 2b cross-checks the SVM by dual coordinate ascent (its sweeps cost
/// `O(n d)` each and it needs many more of them as `n` grows).
const DUAL_CD_MAX_ROWS: usize = 2000;

/// 2b (random separable data, logistic GD) and 2c (normalised GD vs GD, exp loss).
///
/// The horizon `T` is `1e6` steps on the built-in data and [`Ctx::data_steps`] on the user's;
/// the claims are checked at `T` and the decades before it. On the user's data the claims that
/// assert monotonicity or a tight rate (which hold on the built-in construction, not on all
/// separable data) are reported instead. The theorem's conclusions are checked on all data:
/// `w(t) = w_hat ln t + rho(t)` with `rho` bounded, as "the growth of `||rho||` slows down
/// over the last decade" ([`residual_deceleration`]), and the loss bound
/// [`separable_loss_bound`](crate::stats::separable_loss_bound). That the
/// direction error `e(t)` falls and `e(t) ln t` does not grow over them is asserted on the
/// built-in data only: on symmetric data `e(t)` can pass near 0 and rise again.
/// `sol` is the hard-margin SVM of `(x, y)`.
fn part_2b_2c(ctx: &Ctx, x: Matrix, y: &[f64], sol: &SvmSolution, s: &mut Summary) -> Result<()> {
    let user_data = ctx.config.data.is_some();
    if x.rows <= DUAL_CD_MAX_ROWS {
        let cd = svm_l2_dual_cd(&x, y, 1e-12, 1_000_000)
            .map_err(|e| Error::reference("2b: dual coordinate ascent SVM", e))?;
        s.report(
            "2b: rel. diff. of the SVM by QP and by dual coordinate ascent",
            crate::stats::rel_dist(&cd.w, &sol.w),
        );
    } else {
        s.notes.push(format!(
            "2b: {} samples: the SVM's cross-check by dual coordinate ascent runs up to {DUAL_CD_MAX_ROWS}",
            x.rows
        ));
    }
    s.report(
        "2b: the l2 SVM's KKT residual (reference accuracy)",
        sol.kkt_residual(&x, y),
    );
    let data = Samples::new(x, y);
    let (n, d) = (data.x.rows, data.x.cols);
    let sigma2 = data.x.sigma_max_sq();
    let eta = 1.0 / sigma2;
    let steps = ctx.data_steps(1_000_000, n, d);
    // The protocol runs normalized GD for a hundredth of GD's horizon; at least 1000 steps.
    let ngd_steps = (steps / 100).max(1000).min(steps);
    if user_data {
        s.notes.push(format!(
            "2b, 2c on {n} x {d} data: GD runs T = {steps} steps, normalized GD {ngd_steps} \
             (a budget T n d <= {:.0e} per run, Ctx::data_steps)",
            ctx.data_budget()
        ));
    }
    let jobs = [
        (
            "2b_gd_logistic",
            MarginLoss::Logistic,
            Method::Gd { eta },
            steps,
        ),
        ("2c_gd_exp", MarginLoss::Exp, Method::Gd { eta }, steps),
        (
            "2c_ngd_exp",
            MarginLoss::Exp,
            Method::NormalizedGd { eta0: 10.0 },
            ngd_steps,
        ),
    ];
    let runs = ctx.par_map(&jobs, |&(name, loss, method, steps)| {
        margin_run(ctx, name, &data, loss, method, steps, &sol.w, None)
    })?;
    let (gd, gd_exp, ngd) = (&runs[0].trace, &runs[1].trace, &runs[2].trace);
    let tf = steps as f64;
    let (big_t, t_100) = (t_name(steps), t_name(steps / 100));
    let decades = [tf / 1e3, tf / 1e2, tf / 10.0, tf];
    let decade_names = format!(
        "at t = {}, {}, {}, {big_t}",
        t_name(steps / 1000),
        t_100,
        t_name(steps / 10)
    );
    let omc = at(gd, "one_minus_cos", &decades);
    let e_log: Vec<f64> = at(gd, "dir_err", &decades[1..])
        .iter()
        .zip(&decades[1..])
        .map(|(e, t)| e * t.ln())
        .collect();
    let (t, gap) = window(&gd.t(), &gd.col("gap"), tf / 1e3, tf);
    let gl: Vec<f64> = gap.iter().zip(&t).map(|(g, t)| g * t.ln()).collect();
    // The theorem's conclusion, on any separable data: w(t) = w_hat ln t + rho(t) with rho
    // bounded (so the direction error is O(1 / ln t)): over the last two decades rho grows far
    // slower than w_hat ln t does. That e(t) and e(t) ln t do not grow there holds on the
    // built-in data; on all data e(t) may pass near 0 and rise again (symmetric sets).
    {
        let rho = at(gd, "rho", &[tf / 100.0, tf / 10.0, tf]);
        s.claim(Claim::at_most(
            "2b: w(t) = w_hat ln t + rho(t) with rho bounded: rho's growth slows down",
            &format!(
                "rho's growth on [{}, {big_t}] / on [{t_100}, {}] (residual_deceleration)",
                t_name(steps / 10),
                t_name(steps / 10)
            ),
            residual_deceleration([rho[0], rho[1], rho[2]], norm2(&sol.w)),
            RESIDUAL_DECELERATION_BOUND,
        ));
        s.claim(Claim::at_most(
            "2b: the logistic loss is at most (n + ||w_hat||^2 ln^2 t / (2 eta)) / t at every step",
            "max over the logged t of L(t) / bound(t)",
            loss_bound_ratio(
                &gd.t(),
                &gd.col("loss"),
                n as f64,
                norm2(&sol.w).powi(2),
                eta,
            ),
            1.0,
        ));
        let e = at(gd, "dir_err", &[tf / 100.0, tf]);
        let falls = Claim::below(
            "2b: logistic GD's direction error falls over the run's last two decades",
            &format!("e({big_t}) / e({t_100})"),
            e[1] / e[0],
            1.0,
        );
        let bounded = Claim::at_most(
            "2b: e(t) ln t does not grow over the last two decades",
            &format!("max of e(t) ln t on [{t_100}, {big_t}] / e({t_100}) ln {t_100}"),
            max_on(gd, "dir_err", tf / 100.0, tf) / e_log[0].max(f64::MIN_POSITIVE),
            1.5,
        );
        s.claim_if(!user_data, falls);
        s.claim_if(!user_data, bounded);
    }
    // On the built-in data, also where it ends, and (below) that it falls monotonically at
    // exactly that rate; on a user's data those are reported.
    if user_data {
        s.report("2b: 1 - cos(w(T), w_hat)", omc[3]);
    } else {
        s.claim(Claim::below(
            "2b: logistic GD converges in direction to the SVM",
            "1 - cos(w(1e6), w_hat)",
            omc[3],
            5e-3,
        ));
    }
    s.claim_if(
        !user_data,
        Claim::is_true(
            "2b: 1 - cos strictly decreasing",
            &decade_names,
            strictly_decreasing(&omc),
        ),
    );
    s.claim_if(
        !user_data,
        Claim::below(
            "2b: direction error ~ 1/ln t",
            &format!(
                "CV of e(t) ln t over t = {t_100}, {}, {big_t}",
                t_name(steps / 10)
            ),
            cv(&e_log),
            0.25,
        ),
    );
    s.claim_if(
        !user_data,
        Claim::is_true(
            &format!(
                "2b: margin gap monotone decreasing after {}",
                t_name(steps / 1000)
            ),
            &format!(
                "gap at every logged t in [{}, {big_t}]",
                t_name(steps / 1000)
            ),
            strictly_decreasing(&gap),
        ),
    );
    s.claim_if(
        !user_data,
        Claim::below(
            "2b: margin gap ~ 1/ln t",
            &format!("max/min of gap ln t on [{}, {big_t}]", t_name(steps / 1000)),
            max_over_min(&gl),
            4.0,
        ),
    );
    // Step sizes around the theorem's limit eta < 2 / (beta sigma^2) = 8 / sigma^2.
    let line_steps = ctx.pick(100_000, 10_000).min(steps / 10).max(100);
    let factors = [0.95, 1.9, 2.5];
    let line = ctx.par_map(&factors, |&f| {
        let name = format!("2b_step_{f}x");
        loss_increases(ctx, &name, &data, f * 8.0 / sigma2, line_steps)
    })?;
    s.claim(Claim::at_most(&format!("2b: logistic GD with eta = 0.95 * 8/sigma^2 decreases the loss at every step ({line_steps} steps)"), "steps with a loss increase", line[0].0 as f64, 0.0));
    for (f, (ups, last)) in factors.iter().zip(&line).skip(1) {
        s.report(
            &format!("2b: eta = {f} * 8/sigma^2: steps with a loss increase"),
            *ups as f64,
        );
        s.report(&format!("2b: eta = {f} * 8/sigma^2: final loss"), *last);
    }
    s.notes.push(format!("2b: the step-size line (0.95x, 1.9x, 2.5x of 8/sigma^2) runs {line_steps} steps of logistic GD from 0"));
    // 2c: normalized GD at T/100 against GD at T.
    let nf = ngd_steps as f64;
    let (big_n, n_10) = (t_name(ngd_steps), t_name(ngd_steps / 10));
    let gap_ngd = value_at(&ngd.t(), &ngd.col("gap"), nf);
    let gap_gd = value_at(&gd_exp.t(), &gd_exp.col("gap"), tf);
    // The factor 5 is the protocol's, on its construction; on other data the theorems' rates
    // (ln t / sqrt t against 1 / ln t) say only that normalized GD gets ahead eventually, at a
    // step that depends on the data's constants (on a 2-D set with a single support vector its
    // gap at 1e3 was 3.5x GD's at 1e5): reported there.
    s.claim_if(
        !user_data,
        Claim::at_most(
            &format!(
                "2c: normalised GD's margin gap at {big_n} beats fixed-step GD's at {big_t} 5-fold"
            ),
            &format!("gap_NGD({big_n}) / gap_GD({big_t})"),
            gap_ngd / gap_gd,
            0.2,
        ),
    );
    let (t, gap) = window(&ngd.t(), &ngd.col("gap"), nf / 10.0, nf);
    let scaled: Vec<f64> = gap
        .iter()
        .zip(&t)
        .map(|(g, t)| g * t.sqrt() / t.ln())
        .collect();
    s.claim_if(
        !user_data,
        Claim::below(
            "2c: NGD margin gap ~ ln t / sqrt t",
            &format!("max/min of gap sqrt(t)/ln t on [{n_10}, {big_n}]"),
            max_over_min(&scaled),
            2.0,
        ),
    );
    s.claim_if(
        !user_data,
        Claim::within(
            "2c: NGD margin gap slope",
            &format!("slope of ln gap vs ln t on [{n_10}, {big_n}]"),
            loglog_slope(ngd, "gap", nf / 10.0, nf),
            -0.65,
            -0.35,
        ),
    );
    s.claim_if(
        !user_data,
        Claim::above(
            "2c: fixed-step GD margin gap is slow (1/ln t)",
            &format!("slope of ln gap vs ln t on [{t_100}, {big_t}]"),
            loglog_slope(gd_exp, "gap", tf / 100.0, tf),
            -0.25,
        )
        .control(),
    );
    for ((name, ..), r) in jobs.iter().zip(&runs) {
        s.array(name, &r.model.weight.to_vec());
        ctx.write_trace(s, name, &r.trace)?;
    }
    s.array("2b_svm", &sol.w);
    let fig = Figure::new(
        "2b_one_minus_cos",
        "2b: 1 - cos(w(t), w_hat), logistic GD",
        "t",
        "1 - cos",
        true,
        true,
    )
    .with(Series::from_trace("GD logistic", gd, "one_minus_cos"));
    ctx.save_figure(s, &fig)?;
    let fig = Figure::new(
        "2c_margin_gap",
        "2c: margin gap, exp loss",
        "t",
        "gap",
        true,
        true,
    )
    .with(Series::from_trace("GD (eta = 1/sigma^2)", gd_exp, "gap"))
    .with(Series::from_trace("normalised GD (eta0 = 10)", ngd, "gap"));
    ctx.save_figure(s, &fig)
}

/// A logistic GD run on `train` (`eta = 1/sigma_max^2`) logging the training loss `L(w)`,
/// `||w||`, and on `val` the mean logistic loss and the 0-1 error (margin `<= 0`).
fn validation_run(
    ctx: &Ctx,
    name: &str,
    train: &Samples,
    val: &Samples,
    steps: u64,
) -> Result<Trained<Linear<f64>, Sgd<f64>>> {
    let eta = 1.0 / train.x.sigma_max_sq();
    let training = training(train, MarginLoss::Logistic, Method::Gd { eta }).log(
        &["train_loss", "norm", "val_loss", "val_err"],
        |m, _t| {
            let (val_loss, margins) = no_grad(|| {
                let u = val.margins(m);
                (u.logistic_loss().item(), u.to_vec())
            });
            let errors = margins.iter().filter(|&&u| u <= 0.0).count();
            vec![
                train.loss_value(m, MarginLoss::Logistic),
                norm2(&m.weight.to_vec()),
                val_loss,
                errors as f64 / val.n() as f64,
            ]
        },
    );
    ctx.train(name, training, steps, &log_points(steps, 10))
}

/// 2e: validation loss rises while validation error stays flat.
fn part_2e(ctx: &Ctx, s: &mut Summary) -> Result<()> {
    let mut rng = ctx.rng("2e");
    let (xt, yt) = anisotropic_mixture(&mut rng, 100, 20, 0.0);
    let (xv, yv) = anisotropic_mixture(&mut rng, 4000, 20, 0.05);
    svm(&xt, &yt, "2e (training data must be separable)")?;
    let steps: u64 = ctx.pick(1_000_000, 100_000);
    let iso = !ctx.quick();
    let mut rng = ctx.rng("2e-iso");
    let (xi, yi) = isotropic_mixture(&mut rng, 100, 200, 1.2);
    let (xiv, yiv) = isotropic_mixture(&mut rng, 4000, 200, 1.2);
    let sets = [
        (Samples::new(xt, &yt), Samples::new(xv, &yv)),
        (Samples::new(xi, &yi), Samples::new(xiv, &yiv)),
    ];
    let jobs: Vec<&str> = if iso {
        vec!["2e_gd", "2e_isotropic"]
    } else {
        vec!["2e_gd"]
    };
    let runs = ctx.par_map(&jobs, |&name| {
        let (train, val) = if name == "2e_gd" { &sets[0] } else { &sets[1] };
        validation_run(ctx, name, train, val, steps)
    })?;
    let tr = &runs[0].trace;
    if ctx.quick() {
        s.notes
            .push("2e (quick): 1e5 steps; the slope and R^2 windows end at 1e5".into());
    }
    let lo = steps as f64 / 100.0;
    s.claim(Claim::within(
        "2e: train loss ~ 1/t",
        &format!("slope of ln L vs ln t on [{lo:.0e}, {steps:.0e}]"),
        loglog_slope(tr, "train_loss", lo, steps as f64),
        -1.15,
        -0.85,
    ));
    let (t, nrm) = window(&tr.t(), &tr.col("norm"), 1e3, steps as f64);
    let lt: Vec<f64> = t.iter().map(|v| v.ln()).collect();
    s.claim(Claim::above(
        "2e: ||w|| linear in ln t",
        &format!("R^2 of ||w|| vs ln t on [1e3, {steps:.0e}]"),
        linear_fit(&lt, &nrm).2,
        0.98,
    ));
    let vl = tr.col("val_loss");
    let ve = tr.col("val_err");
    let (imin, vmin) =
        vl.iter().enumerate().fold(
            (0, f64::INFINITY),
            |a, (i, &v)| if v < a.1 { (i, v) } else { a },
        );
    let last = vl.len() - 1;
    s.claim(Claim::at_least(
        "2e: validation loss rises",
        "val_loss(end) / min_t val_loss",
        vl[last] / vmin,
        1.1,
    ));
    s.claim(Claim::at_most(
        "2e: validation error does not rise",
        "val_err(end) - val_err(argmin val_loss)",
        ve[last] - ve[imin],
        0.005,
    ));
    ctx.write_trace(s, "2e_gd", tr)?;
    s.array("2e_gd", &runs[0].model.weight.to_vec());
    let fig = Figure::new(
        "2e_validation",
        "2e: validation loss and error (logistic GD)",
        "t",
        "value",
        true,
        false,
    )
    .with(Series::from_trace("val loss", tr, "val_loss"))
    .with(Series::from_trace("val error", tr, "val_err"))
    .with(Series::from_trace("train loss", tr, "train_loss"));
    ctx.save_figure(s, &fig)?;
    if iso {
        let tr = &runs[1].trace;
        let (t, vl, ve) = (tr.t(), tr.col("val_loss"), tr.col("val_err"));
        s.report(
            "2e isotropic: val_err(1e6) - val_err(1e4)",
            value_at(&t, &ve, 1e6) - value_at(&t, &ve, 1e4),
        );
        s.report(
            "2e isotropic: val_loss(1e6) / val_loss(1e4)",
            value_at(&t, &vl, 1e6) / value_at(&t, &vl, 1e4),
        );
        ctx.write_trace(s, "2e_isotropic", tr)?;
    }
    Ok(())
}
