//! Protocol 10f: on a diagonal linear network, the noise of SGD (small batches, large steps) and
//! label noise shrink the effective init scale, so they reach a sparser interpolant than
//! full-batch GD from the same `alpha` (Pesme, Pillaud-Vivien & Flammarion, NeurIPS 2021;
//! HaoChen, Wei, Lee & Ma, COLT 2021).
//!
//! Theory: gradient flow on `(1/2N) ||X beta - y||^2` with `beta = u*u - v*v` from
//! `u = v = alpha 1` converges to `argmin Q_alpha(beta) s.t. X beta = y` (10a; the hyperbolic
//! potential of `reference::hyperbolic`). SGD with step `gamma` converges to the minimizer of a
//! `Q` with an effective init `alpha_inf < alpha` (coordinate-wise, shrunk by `gamma` times the
//! integrated squared stochastic gradients), hence nearer the min-l1 interpolant; smaller batches
//! and larger steps shrink it more.
//!
//! Protocol as run: `N = 40` samples, `d = 100` features (quick: 25, 60), `x ~ N(0, I)`, a
//! 5-sparse teacher `beta*` with entries `1/sqrt 5`, noiseless `y = X beta*`. The model is
//! `nn::DiagonalNet` from `alpha = 0.1`, the loss `squared_loss` on the batch, the optimizer
//! `optim::Sgd`; the SGD runs and their GD reference share the step
//! `gamma = c / (R^2 max(1, 4 alpha^2))`, `R^2 = max_n ||x_n||^2` (stable for one-sample SGD;
//! `c = 0.9` is near its edge), `c` in `{0.2, 0.9}`:
//! - GD (full batch, `c = 0.9`), the reference run of the same `alpha` and step;
//! - SGD with batches of 4 and 1 at `c = 0.9`, and of 1 at `c = 0.2` (`EpochBatches`);
//! - label-noise GD: full batch on `y + sigma xi_t` (`sigma = 1`, a fresh Gaussian `xi_t` per
//!   step from the run's RNG) for the first quarter of the step cap, then clean GD, with GD's own
//!   stable step `0.9 x 0.2 N / sigma_max(X)^2` (10a's);
//!
//! each until the full training loss is `<= 1e-12` (checked at the logged steps) or the cap
//! (2e6, quick 4e5). For each limit `beta` the effective `alpha'` is fitted by a 1-D search (a
//! grid of `ln alpha'` in `[ln alpha - 10, ln alpha + 1]`, then golden section) minimizing
//! `||beta - beta_Q(alpha')|| / ||beta_Q(alpha')||`, `beta_Q(alpha') = argmin Q_alpha' s.t.
//! X beta = y` (`reference::min_q_alpha_interpolant`, the dual Newton of 10a). Reported per run:
//! `alpha'`, the fit residual, `||beta||_1`, the test error `||beta - beta*||^2` (the excess risk
//! for isotropic `x`); and basis pursuit's.
//!
//! Claims: sanity: every run's training loss `<= 1e-8`; GD is within `2e-2` of `beta_Q(alpha)`.
//! Predictions: one-sample SGD's `||beta||_1` is below GD's, its `alpha'` below GD's fitted
//! `alpha'`, its test error below GD's; `alpha'` is non-increasing as the batch shrinks
//! (40 -> 4 -> 1) and as the step grows (`c = 0.2 -> 0.9`); label-noise GD's `alpha'` is below
//! GD's; SGD's fit residual is below `0.75 x` its distance from GD's limit (the effective scalar
//! `alpha'` accounts for most of SGD's shift), discriminating against GD's own fit residual.
//!
//! Calibration (seeds 20180220, 1, 2, 3, quick; the default seed full; earlier, `alpha = 0.5`
//! and `c` up to 0.9, where the SGD effect vanishes or reverses: `alpha'` 0.50-0.53 against
//! GD's 0.50-0.51). **The SGD effect is real but small at the steps one-sample SGD tolerates
//! here**: `alpha'(b=1)/alpha'(GD)` = 0.96-0.99 (full: 0.984), `||beta||_1` ratio 0.991-0.999,
//! test-error ratio 0.93-0.99, with the orderings in batch and step holding in all 4 seeds
//! (`alpha'`: GD 0.1002-0.1004 > b=4 0.0987-0.1002 > b=1 0.0961-0.0995; small step
//! 0.0992-0.0999). Label noise is strong: `alpha'` 1e-4 to 6e-4 (full: 2e-5), test error
//! `< 1e-3` against GD's 0.11-0.36 (basis pursuit recovers the teacher exactly). The fit claim is
//! the weak one: SGD's residual over its shift is 0.50 and 0.54 (seeds 1, 20180220; full 0.33)
//! but 0.84 and 1.03 (seeds 3, 2), failing there: Pesme et al.'s effective init is a vector
//! (each coordinate shrunk by its own integrated squared gradients), and a scalar `alpha'`
//! captures only part of a shift this small.
//!
//! Cost: a GD step is two `N x d` products, an SGD step two `b x d`; the SGD and GD runs stop
//! after 2e4-1.3e5 steps, label-noise GD runs to the cap; the fits cost about 90 dual-Newton
//! solves of `N` unknowns per run. Measured (release, 2 threads): full 19 s, quick 7 s.

use autograd::{no_grad, Tensor};
use nn::{DiagonalNet, LinearPredictor, Module};
use optim::{Sgd, SgdConfig};
use rand::Rng;
use rand_distr::StandardNormal;

use crate::data::synthetic::{gaussian, sparse_teacher};
use crate::error::{Error, Result};
use crate::reference::{
    dot, interpolation_residual, min_l1_interpolant, min_q_alpha_interpolant, Matrix,
};
use crate::runner::{Claim, Ctx, EpochBatches, Figure, Series, Summary, Training};
use crate::stats::{log_points, norm1, rel_dist};
use crate::{Experiment, Param, ParamKind};

/// The registry entry (listed by `experiments list`).
pub const EXPERIMENT: Experiment = Experiment {
    name: "sgd_noise_sparsity",
    items: "10f",
    claim: "diagonal linear nets: SGD (small batches, large steps) and label-noise GD reach a \
            sparser interpolant than GD from the same alpha, the Q_alpha' solution of a smaller \
            effective alpha'",
    takes_data: false,
    params: PARAMS,
    run,
};

/// The tunable parameters (`experiments list --params sgd_noise_sparsity`).
const PARAMS: &[Param] = &[
    Param {
        name: "alpha",
        doc: "init scale alpha (u = v = alpha 1)",
        kind: ParamKind::Real,
        full: &[0.1],
        quick: &[0.1],
    },
    Param {
        name: "n",
        doc: "samples",
        kind: ParamKind::Count,
        full: &[40.0],
        quick: &[25.0],
    },
    Param {
        name: "d",
        doc: "features",
        kind: ParamKind::Count,
        full: &[100.0],
        quick: &[60.0],
    },
    Param {
        name: "c",
        doc: "step constants [small, large]: gamma = c / (R^2 max(1, 4 alpha^2))",
        kind: ParamKind::Reals,
        full: &[0.2, 0.9],
        quick: &[0.2, 0.9],
    },
    Param {
        name: "sigma",
        doc: "label noise sigma of label-noise GD",
        kind: ParamKind::Real,
        full: &[1.0],
        quick: &[1.0],
    },
    Param {
        name: "steps",
        doc: "step cap of each run",
        kind: ParamKind::Count,
        full: &[2_000_000.0],
        quick: &[400_000.0],
    },
];

/// A run stops at the first logged step whose full training loss `(1/2N) ||X beta - y||^2` is at
/// most this.
const STOP_LOSS: f64 = 1e-12;

/// The sanity bound on every run's final training loss: label-noise GD's clean phase ends in
/// the rich regime (alpha' ~ 1e-4), where the last decades of the loss take longer than its
/// horizon; `1e-8` leaves its interpolant's fit residual at about `1e-3`.
const INTERPOLATION_LOSS: f64 = 1e-8;

/// A run: its name, batch size (`None`: full batch), large (else small) step, label noise.
struct RunSpec {
    name: &'static str,
    batch: Option<usize>,
    large_step: bool,
    label_noise: bool,
}

const RUNS: [RunSpec; 5] = [
    RunSpec {
        name: "gd",
        batch: None,
        large_step: true,
        label_noise: false,
    },
    RunSpec {
        name: "sgd_b4",
        batch: Some(4),
        large_step: true,
        label_noise: false,
    },
    RunSpec {
        name: "sgd_b1",
        batch: Some(1),
        large_step: true,
        label_noise: false,
    },
    RunSpec {
        name: "sgd_b1_small_step",
        batch: Some(1),
        large_step: false,
        label_noise: false,
    },
    RunSpec {
        name: "label_noise_gd",
        batch: None,
        large_step: true,
        label_noise: true,
    },
];

/// The `alpha'` whose `Q_alpha'` interpolant is nearest `beta` (relative distance), searched over
/// `ln alpha'` in `[ln alpha - 10, ln alpha + 1]`: a grid of step 0.25, then 40 golden-section
/// steps around the best grid point. Returns `(alpha', residual)`.
fn fit_alpha(x: &Matrix, y: &[f64], beta: &[f64], alpha: f64) -> Result<(f64, f64)> {
    let dist = |ln_a: f64| -> Result<f64> {
        let q = min_q_alpha_interpolant(x, y, ln_a.exp())
            .map_err(|e| Error::reference("10f: Q_alpha'", e))?;
        Ok(rel_dist(beta, &q.w))
    };
    let (lo, hi, h) = (alpha.ln() - 10.0, alpha.ln() + 1.0, 0.25);
    let grid: Vec<f64> = (0..=((hi - lo) / h) as usize)
        .map(|k| lo + h * k as f64)
        .collect();
    let mut best = (grid[0], f64::INFINITY);
    for &g in &grid {
        let v = dist(g)?;
        if v < best.1 {
            best = (g, v);
        }
    }
    let phi = (5f64.sqrt() - 1.0) / 2.0;
    let (mut a, mut b) = (best.0 - h, best.0 + h);
    let (mut c, mut e) = (b - phi * (b - a), a + phi * (b - a));
    let (mut fc, mut fe) = (dist(c)?, dist(e)?);
    for _ in 0..40 {
        if fc < fe {
            b = e;
            (e, fe) = (c, fc);
            c = b - phi * (b - a);
            fc = dist(c)?;
        } else {
            a = c;
            (c, fc) = (e, fe);
            e = a + phi * (b - a);
            fe = dist(e)?;
        }
    }
    let (m, fm) = if fc < fe { (c, fc) } else { (e, fe) };
    Ok(if fm < best.1 {
        (m.exp(), fm)
    } else {
        (best.0.exp(), best.1)
    })
}

/// Runs protocol 10f.
pub fn run(ctx: &Ctx) -> Result<Summary> {
    let mut s = Summary::default();
    let (n, d, k) = (ctx.param_usize("n")?, ctx.param_usize("d")?, 5);
    let alpha = ctx.param_f64("alpha")?;
    if n == 0 || n >= d || k > d || alpha <= 0.0 {
        return Err(Error::Usage(format!(
            "sgd_noise_sparsity: expected 0 < n < d, d >= {k}, alpha > 0; found n = {n}, d = {d}, \
             alpha = {alpha}"
        )));
    }
    let mut rng = ctx.rng("10f");
    let x = gaussian(&mut rng, n, d, 1.0);
    let teacher = sparse_teacher(d, k);
    let y = x.mul_vec(&teacher);
    let batch_seed: u64 = rng.gen();
    let r2 = (0..n).map(|i| dot(x.row(i), x.row(i))).fold(0.0, f64::max);
    let q_alpha = min_q_alpha_interpolant(&x, &y, alpha)
        .map_err(|e| Error::reference("10f: Q_alpha", e))?
        .w;
    let l1 = min_l1_interpolant(&x, &y)
        .map_err(|e| Error::reference("10f: basis pursuit", e))?
        .w;
    s.report(
        "10f: the Q_alpha and basis-pursuit references' worst ||X w - y|| / (1 + ||y||) (reference accuracy)",
        interpolation_residual(&x, &y, &q_alpha).max(interpolation_residual(&x, &y, &l1)),
    );
    let (xt, yt) = (
        x.to_tensor(),
        Tensor::from_vec(y.clone(), [n, 1]).expect("n labels"),
    );
    let steps = ctx.param_usize("steps")? as u64;
    let stride = (steps / 2000).max(1);
    let mut log_at: Vec<u64> = (0..=steps).step_by(stride as usize).collect();
    log_at.extend(log_points(steps, 10));
    log_at.sort_unstable();
    log_at.dedup();
    let noise_until = steps / 4;
    let (c_small, c_large) = match ctx.param("c")?[..] {
        [a, b] if 0.0 < a && a < b => (a, b),
        ref v => {
            return Err(Error::Usage(format!(
                "sgd_noise_sparsity: expected c = [small, large], 0 < small < large; found {v:?}"
            )))
        }
    };
    let sigma = ctx.param_f64("sigma")?;
    let results = ctx.par_map(&RUNS, |spec| {
        let c = if spec.large_step { c_large } else { c_small };
        // Label-noise GD takes full-batch GD's own stable step (10a's), the others the step
        // that is stable for one-sample SGD.
        let lr = if spec.label_noise {
            c_large * 0.2 / (x.sigma_max_sq() / n as f64 * f64::max(1.0, 4.0 * alpha * alpha))
        } else {
            c / (r2 * f64::max(1.0, 4.0 * alpha * alpha))
        };
        let mut net = DiagonalNet::new(d, alpha);
        let opt = Sgd::new(
            nn::params::tensors(&mut net),
            SgdConfig {
                lr,
                ..Default::default()
            },
        );
        let mut batches = spec.batch.map(|b| EpochBatches::new(n, b, batch_seed));
        let (xr, yr) = (&xt, &yt);
        let (label_noise, y_clean) = (spec.label_noise, &y);
        let training = Training::new(net, opt)
            .loss(move |m, rng, t| match batches.as_mut() {
                Some(batches) => {
                    let idx = batches.at(t);
                    let xb = xr.index_select(0, idx);
                    let yb = yr.index_select(0, idx);
                    m.forward(&xb).squared_loss(&yb)
                }
                None if label_noise && t < noise_until => {
                    let noisy: Vec<f64> = y_clean
                        .iter()
                        .map(|v| v + sigma * rng.sample::<f64, _>(StandardNormal))
                        .collect();
                    let target = Tensor::from_vec(noisy, [n, 1]).expect("n labels");
                    m.forward(xr).squared_loss(&target)
                }
                None => m.forward(xr).squared_loss(yr),
            })
            .log(&["loss", "l1_norm"], move |m, _t| {
                let loss = no_grad(|| m.forward(xr).squared_loss(yr).item());
                vec![loss, norm1(&no_grad(|| m.beta().to_vec()))]
            })
            .stop_when(move |_, p| {
                (!label_noise || p.t >= noise_until) && p.row.is_some_and(|r| r[1] <= STOP_LOSS)
            });
        let run = ctx.train(spec.name, training, steps, &log_at)?;
        let beta = no_grad(|| run.model.beta().to_vec());
        let (alpha_fit, residual) = fit_alpha(&x, &y, &beta, alpha)?;
        Ok((beta, alpha_fit, residual, run.trace, run.steps))
    })?;

    let mut fig = Figure::new(
        "10f_l1_norm",
        "10f: ||beta||_1 along training (GD vs SGD vs label noise)",
        "t",
        "||beta||_1",
        true,
        false,
    );
    let by_name = |name: &str| {
        RUNS.iter()
            .position(|r| r.name == name)
            .map(|i| &results[i])
            .expect("a run of RUNS")
    };
    let test_error = |b: &[f64]| -> f64 {
        b.iter()
            .zip(&teacher)
            .map(|(p, q)| (p - q).powi(2))
            .sum::<f64>()
    };
    let mut worst_loss = 0.0f64;
    for (spec, (beta, alpha_fit, residual, trace, steps)) in RUNS.iter().zip(&results) {
        let loss = *trace.col("loss").last().unwrap_or(&f64::NAN);
        worst_loss = worst_loss.max(loss);
        let name = spec.name;
        s.report(&format!("{name}: fitted alpha'"), *alpha_fit);
        s.report(
            &format!("{name}: fit residual ||beta - beta_Q(alpha')||/||beta_Q||"),
            *residual,
        );
        s.report(&format!("{name}: ||beta||_1"), norm1(beta));
        s.report(
            &format!("{name}: test error ||beta - beta*||^2"),
            test_error(beta),
        );
        s.report(&format!("{name}: final train loss"), loss);
        s.report(&format!("{name}: steps"), *steps as f64);
        s.array(name, beta);
        ctx.write_trace(&mut s, name, trace)?;
        fig = fig.with(Series::from_trace(name, trace, "l1_norm"));
    }
    ctx.save_figure(&mut s, &fig)?;
    s.claim(
        Claim::at_most(
            "10f: every run interpolates",
            "largest final training loss (1/2N)||X beta - y||^2",
            worst_loss,
            INTERPOLATION_LOSS,
        )
        .sanity(),
    );
    let gd = by_name("gd");
    s.claim(
        Claim::below(
            "10f: GD at this step follows the flow: it reaches argmin Q_alpha s.t. X beta = y",
            "||beta_GD - beta_Q(alpha)|| / ||beta_Q(alpha)||",
            rel_dist(&gd.0, &q_alpha),
            2e-2,
        )
        .sanity(),
    );
    let sgd1 = by_name("sgd_b1");
    let sgd4 = by_name("sgd_b4");
    let sgd1_small = by_name("sgd_b1_small_step");
    let noise = by_name("label_noise_gd");
    s.claim(Claim::below(
        "10f: one-sample SGD reaches a sparser interpolant than GD (smaller l1 norm)",
        "||beta_SGD(b=1)||_1 / ||beta_GD||_1",
        norm1(&sgd1.0) / norm1(&gd.0),
        1.0,
    ));
    s.claim(Claim::below(
        "10f: one-sample SGD's limit is the Q_alpha' solution of a smaller alpha' than GD's",
        "alpha'(SGD, b=1) / alpha'(GD)",
        sgd1.1 / gd.1,
        1.0,
    ));
    s.claim(Claim::is_true(
        "10f: alpha' falls as the batch shrinks (40 -> 4 -> 1, same step)",
        "alpha'(GD) >= alpha'(b=4) >= alpha'(b=1)",
        gd.1 >= sgd4.1 && sgd4.1 >= sgd1.1,
    ));
    s.claim(Claim::below(
        "10f: alpha' falls as the step grows (one-sample SGD, small -> large c)",
        "alpha'(b=1, large c) / alpha'(b=1, small c)",
        sgd1.1 / sgd1_small.1,
        1.0,
    ));
    s.claim(Claim::below(
        "10f: one-sample SGD's interpolant is nearer the sparse teacher than GD's",
        "||beta_SGD - beta*||^2 / ||beta_GD - beta*||^2",
        test_error(&sgd1.0) / test_error(&gd.0),
        1.0,
    ));
    s.claim(Claim::below(
        "10f: label-noise GD reaches the Q_alpha' solution of a smaller alpha' than GD's",
        "alpha'(label noise) / alpha'(GD)",
        noise.1 / gd.1,
        1.0,
    ));
    let shift = rel_dist(&sgd1.0, &gd.0);
    s.claim(
        Claim::below(
            "10f: the effective alpha' describes SGD's limit: the fitted Q_alpha' solution is \
             nearer it than GD's limit is",
            "||beta_SGD - beta_Q(alpha')|| / ||beta_Q(alpha')||  over  ||beta_SGD - beta_GD|| / ||beta_GD||",
            sgd1.2 / shift,
            FIT_FRACTION,
        )
        .discriminating(shift, gd.2),
    );
    s.report("alpha", alpha);
    s.report("||beta_BP||_1 (basis pursuit)", norm1(&l1));
    s.report("||beta_Q(alpha)||_1", norm1(&q_alpha));
    s.report(
        "test error of the Q_alpha interpolant",
        test_error(&q_alpha),
    );
    s.report("test error of basis pursuit", test_error(&l1));
    s.array("teacher", &teacher);
    s.array("q_alpha", &q_alpha);
    s.array("basis_pursuit", &l1);
    Ok(s)
}

/// The bound on SGD's fit residual as a fraction of its distance from GD's limit.
const FIT_FRACTION: f64 = 0.75;

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    #[test]
    fn fit_alpha_recovers_the_scale_of_a_q_alpha_interpolant() {
        let mut rng = StdRng::seed_from_u64(3);
        let x = gaussian(&mut rng, 8, 20, 1.0);
        let y: Vec<f64> = (0..8).map(|_| rng.sample(StandardNormal)).collect();
        for true_alpha in [0.003, 0.05, 0.3] {
            let beta = min_q_alpha_interpolant(&x, &y, true_alpha).unwrap().w;
            // Searched from a different starting scale, as in the experiment.
            let (fitted, residual) = fit_alpha(&x, &y, &beta, 0.5).unwrap();
            assert!(
                (fitted / true_alpha - 1.0).abs() < 1e-3,
                "alpha {true_alpha}: fitted {fitted}"
            );
            assert!(residual < 1e-6, "alpha {true_alpha}: residual {residual}");
        }
        // A beta off the Q_alpha family (the min-l2 interpolant plus a null-space push) leaves a
        // residual.
        let mut beta = crate::reference::min_l2_interpolant(&x, &y).unwrap().w;
        let q = min_q_alpha_interpolant(&x, &y, 0.05).unwrap().w;
        beta.iter_mut()
            .zip(&q)
            .for_each(|(b, v)| *b = 0.5 * (*b + v));
        beta[0] += 0.3;
        let (_, residual) = fit_alpha(&x, &y, &beta, 0.5).unwrap();
        assert!(residual > 1e-2, "residual {residual}");
    }
}
