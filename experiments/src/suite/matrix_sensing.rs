//! Protocol 4: matrix sensing and completion with full-dimensional factorizations (Gunasekar
//! et al. 2017; Arora et al. 2019; Razin & Cohen 2020): does gradient descent from a small
//! init go to the min-trace / min-nuclear-norm interpolant, or to the low-rank one?
//!
//! Every comparison (`compare`) trains full `n x n` factors from `alpha G / ||G||_F` by
//! full-batch gradient descent on `(1/2m) ||A(X) - y||^2` at `eta_p / 4` (`eta_p`: the largest
//! `2^-k` whose 3000-step probes from alpha = 1e-3 and 1 neither blow up nor end above their
//! initial loss) until the loss is `<= 1e-9` or 1e5 steps (quick 3e4), and reports for every
//! run the relative distances of `X_GD` to (a) the reference `X_ref` (min-trace PSD for
//! `U U^T`, min-nuclear-norm for `U V^T`; ADMM), (b) `X*` when known, (c) the rank-`r` fit
//! `X_r` (`r` = rank of `X*`, parameter `rank`): the rank-`r` least-squares fit to the
//! measurements, found by gradient descent at `eta_p / 4` on a rank-`r` factorization (the
//! same `nn` models with `n x r` factors) started at the best rank-`r` approximation of
//! `X_ref` and stopped when its loss changes by `< 1e-9` (relative) over 1000 steps. Its claims,
//! at the two smallest alphas `alpha_1 < alpha_2`:
//! - prediction: `||X_GD(alpha_1) - X_r|| <= 0.5 ||X_GD(alpha_1) - X_ref||` (GD is at least
//!   twice as close to the low-rank fit as to the norm-minimal solution);
//! - prediction: `(||X_GD(alpha_1) - X_r|| - ||X_GD(alpha_2) - X_r||) / ||X_r|| <= 1e-3` (it
//!   approaches `X_r` as alpha shrinks);
//! - control (the rival, "GD -> min trace / min nuclear norm"): `||X_GD(alpha_1) - X_ref|| >=
//!   0.5 ||X_ref - X_r||`, NaN (failing) unless GD fits the data;
//! - all three `.discriminating(separation, accuracy)` with separation `||X_ref - X_r|| /
//!   ||X_r||` and accuracy the largest of the reference's certified relative duality gap and
//!   `||X_GD(alpha_1) - X_GD(alpha_2)|| / ||X_r||` (how
//!   well the alpha -> 0 limit is resolved), the drift of a run stopped by its step cap (how
//!   much its distances to the rivals moved over the last doubling of steps: how far it is
//!   from its t -> infinity limit), the reference's constraint residual and the
//!   fit's last relative loss change: where `X_ref = X_r` (the recovery regime) they report
//!   "not discriminating"; so do they where the rank-`r` fit is not an isolated interpolant
//!   (the Jacobian of the measurements at `X_r` has rank below the dimension of the rank-`r`
//!   matrices, [`rank_fit_dof`]: too few measurements, or a row of `X` seen fewer than `r`
//!   times), since "the rank-`r` fit" then names one point of a continuum (a note says so);
//! - sanity: GD fits (loss `<= 1e-6` times the loss of `X = 0`), `X_ref` interpolates
//!   (residual `<= 1e-6`), the rank-`r` fit converged (relative loss change over 1000 more
//!   steps `<= 1e-4`).
//!
//! Built-in runs (rank-2 `X* = W W^T n / ||W W^T||_F`, `W` Gaussian; symmetric `A_i = (G +
//! G^T)/2` or general Gaussian `A_i`; noise variance 1e-3, as the protocol reads the talk):
//! - (a) `U U^T`, `n = 30` (quick 20), `m = 3nr = 180` (120): the recovery regime, where
//!   min-trace = `X*` up to noise. alpha in {1e-3, 1e-2, 1e-1, 1, 3} (full also at `eta_p/16`,
//!   report only), the step test at alpha = 0.1 (`eta_p/2` vs `eta_p/8`, each stopped at the
//!   first loss `<= 1e-6`, quick 1e-4, cap 3.2e5, quick 1e5). The protocol's claims: at alpha =
//!   1e-3 loss `<= 1e-4`, nuclear ratio in `[0.99, 1.01]`, distance to min-trace `<= 0.01`
//!   (quick: 1e-3, 0.97, 0.02); ratio and error vs `X*` non-decreasing in alpha (tol 1e-3);
//!   control: ratio `> 1.05` at alpha = 3; `err(eta_p/8) <= err(eta_p/2)` at matched loss.
//! - (b) `U U^T` below recovery, `m = 3nr/2 = 90` (quick 60), alpha in {1e-6, 1e-5, 1e-3}:
//!   min-trace misses `X*`, the two predictions differ.
//! - (c) `U V^T`, `m = 180` (120), alpha in {1e-5, 1e-3, 1e-1, 1} (quick {1e-5, 1e-3}); plus
//!   the protocol's rank-bias check `||X_GD - X*|| <= 0.8 ||X_nuc - X*||` at alpha = 1e-5 (the
//!   nuclear ratio, whose lower end 1 is trivially true, is reported).
//! - (d) completion: 70 of the 210 entries `(i <= j)` of a 20 x 20 rank-2 PSD `X*`, no noise,
//!   `A = (e_i e_j^T + e_j e_i^T)/2`, `U U^T`, alpha in {1e-6, 1e-5, 1e-3}. (At n = 30, 105
//!   entries, the min-trace ADMM did not converge in 2e5 iterations, so full runs use n = 20.)
//! - (e) the talk's size `n = 50`, `m = 300` (quick `n = 20`, `m = 120`), alpha in {1e-3, 1e-2,
//!   1}: distance to min-trace at alpha = 1e-3 `<= 0.01` (quick 0.02); control: nuclear ratio
//!   at alpha = 1 above 1.
//!
//! With `--data FILE` (see [`crate::data::sensing`] for the two CSV formats, sensing rows
//! `vec(A_i), y_i` or completion entries `i, j, value`, and the checks, each a data error with
//! exit code 2): symmetric measurements select `U U^T` and min-trace PSD, general ones `U V^T`
//! and min-nuclear; one comparison at alpha in {1e-6, 1e-5, 1e-3}, its step cap (and the rank
//! fit's) from [`Ctx::data_steps`] (`3e5`, quick 3e4, for `O(m n^2)` steps; a note states it).
//! On sensing rows the claims are those of the built-in runs: they assume measurements with a
//! restricted isometry (as Gaussian ones have), under which small-init GD provably goes to the
//! low-rank solution (Li, Ma, Zhang 2018; Stoger and Soltanolkotabi 2021); that property
//! cannot be checked on given data (certifying it is NP-hard). On completion entries it fails
//! (a few entries say nothing about the rest of a row), no theorem makes either rival GD's
//! limit, and GD can end at neither (below): there the three distance claims become reports,
//! `d_r / d_ref` and a note saying which rival GD is nearer, nearer neither, or that they are
//! not told apart ([`report_rivals`]); the sanity claims stay.
//!
//! Calibration (float64; full sizes unless said; `d_r`, `d_ref`: distances of `X_GD` to
//! `X_r`, `X_ref` relative to `||X_r||`):
//! - (b) n = 30, m = 90, seeds 1, 2: separation 0.171, 0.215 (min-trace misses `X*` by 0.17,
//!   0.21; the rank-2 fit is within 0.0013, 0.0011 of `X*`); at alpha = 1e-6 `d_r` = 0.0042,
//!   0.0037 and `d_ref` = 0.187, 0.238 (ratio 0.02); `d_r` falls with alpha on every seed
//!   (seed 1: 0.040, 0.014, 0.0063, 0.0042, 0.0031 at alpha = 1e-3 .. 1e-7) while `d_ref` stays
//!   near the separation; nuclear ratio 1.012-1.014, not the protocol's 1.06 (which it
//!   reports at alpha = 1e-3 with fewer steps). Quick n = 20, m = 60, seeds 1, 2: ratio
//!   `d_r / d_ref` 0.16, 0.39 (separations 0.024, 0.005); m = 50 gives 0.71 on seed 1 (GD not yet
//!   at its alpha -> 0 limit: `d_r` 0.34, 0.27, 0.22 at alpha = 1e-3, 1e-5, 1e-6), hence m = 60.
//! - (d) quick sizes, seed 1: m = 70 separation 0.16, `d_r` 0.0014 at alpha = 1e-6 (GD's error
//!   vs `X*` 3e-4, min-trace's 0.16); m = 55 separation 0.21, `d_r` 0.016; at m = 80 min-trace
//!   recovers `X*` (separation 6e-8: not discriminating).
//! - (c) quick, default seed: separation 0.18, `d_r` 0.0033, `d_ref` 0.197 (protocol: 0.25-0.56).
//! - (a), (e): the separation is only the noise, which `X_ref` and GD (at loss 1e-9)
//!   interpolate and the least-squares `X_r` does not: full 0.0022, 0.0010 against accuracies
//!   0.0008, 0.0010, so "not discriminating"; there the ratio `d_r / d_ref` is 1.57 and 1.28
//!   (GD sits nearer the interpolating min-trace solution). Quick (3e4 steps, the noise not yet
//!   fitted): separations 0.0125, 0.0042, discriminating, ratios 0.13, 0.45. This is the weak
//!   spot of a non-interpolating `X_r` on noisy data; the protocol's min-trace claims decide (a).
//!
//! Completion on user data, 12 x 12 rank-2 PSD (23 degrees of freedom), quick, data seeds of
//! `tests/user_data.rs`: 32 of 78 entries, seed 7: separation 0.023, accuracy 0.0044, ratio
//! `d_r / d_ref` 0.108, "nearer the rank-2 fit" (in the tests); seed 8: min-trace recovers the
//! rank-2 interpolant (not told apart). **Where GD goes to neither**: 34 entries, seed 9 (the
//! rank-2 interpolant isolated, Jacobian rank 23 = 23): GD at alpha = 1e-6 ends at an
//! interpolant far from both rivals (`d_r` 0.74, `d_ref` 0.74, separation 0.13; spectral tail
//! beyond rank 2 0.37 against min-trace's 0.06), still there at 3e5 steps (loss 4e-8 of the
//! zero loss, drift 0.01). A float64 re-run to 1e6 steps (outside the suite) kept its three
//! leading eigenvalues at 14.1, 10.0, 3.26 while the loss fell as `t^-0.8`: a rank-3-plus
//! interpolant, neither rival. A prototype of greedy low-rank learning (Li, Luo, Lyu 2021;
//! outside the suite, 2e5 steps per stage) was still at loss 4.5e-4 at the end of its rank-2
//! stage and reached 8e-7 at rank 3: without a restricted isometry the greedy path need not
//! reach the isolated rank-2 interpolant (its stages had not converged, so it is no
//! reference). Before these were reports, the two predictions FAILED here on data meeting no
//! theorem's assumptions; now the note says "at neither". That problem has no strictly
//! feasible PSD completion: the min-trace ADMM stops at its cap (residual 4.4e-6, certified
//! gap 1.2e-4, a sanity failure), and the interior-point fallback returns residual 1.7e-7,
//! gap 3.8e-5 (the sanity claim holds).
//!
//! Default seed, full: (b) separation 0.413 (min-trace misses `X*` by 0.41, the rank-2 fit by
//! 0.001), `d_r` = 0.096 and `d_ref` = 0.48 at alpha = 1e-6 (0.24, 0.38 at 1e-3), ratio 0.26,
//! accuracy 0.041: discriminating, all three hold. (c) separation 0.37, `d_r` / `d_ref` 0.098,
//! but `X_GD` still moves by 0.14 between alpha = 1e-3 and 1e-5, so the pair is "not
//! discriminating" (3 x 0.138 > 0.37); the rank-bias check holds (0.091 <= 0.8). (d)
//! separation 0.079, `d_r` 0.0041, `d_ref` 0.077, accuracy 0.0007: all hold. Quick, default
//! seed: (b) 0.054 / 0.148 / 0.006 (separation, ratio, accuracy), (c) 0.18 / 0.018 / 0.013,
//! (d) 0.079 / 0.114 / 0.002: all discriminating and holding.
//!
//! The models are `nn::SymmetricFactorization` / `nn::MatrixFactorization` (built from the
//! drawn factors; `n x r` factors for the rank-`r` fit), the loss `squared_loss` of
//! `nn::models::factorization::measure` (`(1/2m) ||A(X) - y||^2`), the optimizer `optim::Sgd`,
//! trained by `ctx.train`. The references are `crate::reference::{min_trace_psd, min_nuclear}`
//! (ADMM, with an interior-point SDP fallback when it hits its cap), `min_l2_interpolant`
//! (reported) and `rank_factors` (faer's SVD).
//!
//! Cost: a step is `O(m n^2 + n^3)` (the `m` measurements `<A_i, X>` of `n^2` features and
//! their adjoint, the factor products); (a) 12 runs of up to 1e5 steps plus the step test (up
//! to 3.2e5), (b)-(e) 3-4 runs each (1e5 steps at most), (e) at `m n^2 = 7.5e5`; a rank fit
//! and the probes (3000 steps per tried step and alpha) per comparison. The ADMM references
//! factor the `m x m` Gram matrix once. Measured (release, `--threads 2`, on a machine shared
//! with other jobs): full 152 s wall at load 3 (432 s at load 6-7; 175 s of CPU), quick
//! 10.2 s at load 4 (14.9 s of CPU).

use autograd::{no_grad, Tensor};
use nn::models::factorization::{MatrixFactorization, SymmetricFactorization};
use nn::Module;
use optim::{Sgd, SgdConfig};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use crate::data::sensing::{completion_matrix, read_sensing_csv};
use crate::data::synthetic::{gaussian, gaussian_vec};
use crate::error::{Error, Result};
use crate::reference::{
    min_l2_interpolant, min_nuclear, min_trace_psd, nuclear_norm, rank_factors, singular_values,
    Matrix, NuclearSolution,
};
use crate::runner::{Claim, Ctx, Param, ParamKind, Summary, Trained};
use crate::runner::{Figure, Series};
use crate::stats::{log_points, norm2, rel_dist};
use crate::{Experiment, Training};

/// The registry entry (listed by `experiments list`).
pub const EXPERIMENT: Experiment = Experiment {
    name: "matrix_sensing",
    items: "4",
    claim: "matrix sensing / completion with full-dimensional factorizations: X = UU^T reaches the \
            min-trace PSD solution where that recovers X*; below recovery, in completion and for X = UV^T \
            gradient descent goes to the low-rank fit, not to the min-trace / min-nuclear solution",
    takes_data: true,
    params: PARAMS,
    run,
};

/// The tunable parameter (`experiments list --params matrix_sensing`).
const PARAMS: &[Param] = &[Param {
    name: "rank",
    doc:
        "rank r of the ground truth X* and of the low-rank rival X_r (the rank-r fit); on --data, \
          the rank the data's matrix is believed to have",
    kind: ParamKind::Count,
    full: &[2.0],
    quick: &[2.0],
}];

/// A sensing problem: `a` is `m x n^2` (rows `vec(A_i)`, row-major), `y` the measurements.
pub struct Sensing {
    /// Size of `X`.
    pub n: usize,
    /// Measurement matrices, one per row.
    pub a: Matrix,
    /// Measurements.
    pub y: Vec<f64>,
}

/// A sensing problem as tensors, for training: `a` is `[m, n, n]`, `y` is `[m, 1]`.
struct Measured {
    a: Tensor<f64>,
    y: Tensor<f64>,
}

impl Sensing {
    /// The problem as tensors.
    fn tensors(&self) -> Measured {
        let (m, n) = (self.a.rows, self.n);
        Measured {
            a: Tensor::from_vec(self.a.data.clone(), [m, n, n]).expect("m * n^2 entries"),
            y: Tensor::from_vec(self.y.clone(), [m, 1]).expect("m entries"),
        }
    }
}

impl Measured {
    /// The training loss `(1/2m) ||A(X) - y||^2` of a factorization model (whose forward is
    /// `A(X) = (<A_i, X>)_i`).
    fn loss<M: Module<f64>>(&self, model: &M) -> Tensor<f64> {
        model.forward(&self.a).squared_loss(&self.y)
    }
}

/// The singular values of the `n x n` row-major `x`, largest first.
fn spectrum(x: &[f64], n: usize) -> Vec<f64> {
    singular_values(&Matrix::new(n, n, x.to_vec()).expect("x has n * n entries"))
}

/// How far the `n x n` row-major `x` is from rank `r`, relative to its size:
/// `sqrt(sum_{k > r} s_k^2) / ||x||_F` (0 for rank at most `r`).
fn spectral_tail(x: &[f64], n: usize, r: usize) -> f64 {
    let sv = spectrum(x, n);
    sv[r.min(sv.len())..]
        .iter()
        .map(|v| v * v)
        .sum::<f64>()
        .sqrt()
        / norm2(&sv)
}

/// `m` Gaussian measurement matrices (symmetrized when `sym`) of `X*` plus noise of variance `var`.
fn measurements(
    rng: &mut StdRng,
    n: usize,
    m: usize,
    sym: bool,
    x_star: &[f64],
    var: f64,
) -> Sensing {
    let mut a = gaussian(rng, m, n * n, 1.0);
    if sym {
        for i in 0..m {
            let row = a.row(i).to_vec();
            for k in 0..n * n {
                a.data[i * n * n + k] = 0.5 * (row[k] + row[(k % n) * n + k / n]);
            }
        }
    }
    let noise = gaussian_vec(rng, m, var.sqrt());
    let y = a
        .mul_vec(x_star)
        .iter()
        .zip(&noise)
        .map(|(p, q)| p + q)
        .collect();
    Sensing { n, a, y }
}

/// Whether the rank-`r` interpolant `x_r` is locally unique: `(rank J, dim)`, with `J` the
/// Jacobian of the factorized measurements at a factorization of `x_r` and `dim` the dimension
/// of the rank-`r` matrices (`n r - r (r - 1) / 2` for `U U^T`, `(2n - r) r` for `U V^T`).
///
/// For `U U^T` row `i` of `J` is `vec((A_i + A_i^T) U)`, for `U V^T` it is
/// `(vec(A_i V), vec(A_i^T U))`. The factorization's gauge (`U Q`, `Q` orthogonal; `U G`,
/// `V G^-T`) leaves `X` unchanged, so `rank J <= dim`, with equality exactly when the
/// measurements determine `X` to first order on the rank-`r` manifold near `x_r`: then `x_r`
/// is an isolated rank-`r` interpolant. Below it (`m < dim`, or a row or column of `X` seen by
/// fewer than `r` measurements, as in sparse completion) the rank-`r` interpolants form a
/// continuum and "the rank-`r` fit" names no single matrix. The rank counts singular values
/// above `1e-8` times the largest.
fn rank_fit_dof(problem: &Sensing, x_r: &[f64], r: usize, sym: bool) -> (usize, usize) {
    let n = problem.n;
    let (l, rt) = rank_factors(&Matrix::new(n, n, x_r.to_vec()).expect("n^2 entries"), r);
    let (cols, dim) = if sym {
        (n * r, n * r - r * (r - 1) / 2)
    } else {
        (2 * n * r, (2 * n - r) * r)
    };
    let mut j = Matrix::zeros(problem.a.rows, cols);
    for i in 0..problem.a.rows {
        let a = problem.a.row(i);
        let row = &mut j.data[i * cols..(i + 1) * cols];
        for p in 0..n {
            for c in 0..r {
                // (A U)_{pc} = sum_q A_pq U_qc, (A^T U)_{pc} = sum_q A_qp U_qc.
                let (mut au, mut atu) = (0.0, 0.0);
                for q in 0..n {
                    au += a[p * n + q] * if sym { l.get(q, c) } else { rt.get(q, c) };
                    atu += a[q * n + p] * l.get(q, c);
                }
                if sym {
                    row[p * r + c] = au + atu;
                } else {
                    row[p * r + c] = au;
                    row[n * r + p * r + c] = atu;
                }
            }
        }
    }
    let sv = singular_values(&j);
    let top = sv.first().copied().unwrap_or(0.0);
    (sv.iter().filter(|&&v| v > 1e-8 * top).count(), dim)
}

/// What a run ends with: `X`, its loss, the steps taken and its drift.
struct Outcome {
    x: Vec<f64>,
    loss: f64,
    steps: u64,
    /// For a run of [`train`] stopped by its step cap `T` before its stopping loss: how much its
    /// relative distances to the two rivals still moved over the last doubling of steps,
    /// `max |d(t) - d(T)|` over the logged `t >= T / 2` (for an `O(1/t)` approach, the
    /// distance left to the limit); 0 for a run that reached its stopping loss, and for the
    /// rank fit.
    drift: f64,
}

impl Outcome {
    /// The outcome of a run whose final factorized matrix is `x`.
    fn of<M, O>(run: &Trained<M, O>, x: Tensor<f64>) -> Self {
        Outcome {
            x: x.to_vec(),
            loss: *run.trace.col("loss").last().unwrap_or(&f64::NAN),
            steps: run.steps,
            drift: 0.0,
        }
    }
}

/// One training run: init scale, step, step cap, stopping loss.
#[derive(Clone, Copy)]
struct Job {
    alpha: f64,
    eta: f64,
    cap: u64,
    stop: f64,
}

/// Full-batch gradient descent with step `eta` on `data`'s loss, logging the loss.
fn gd<'a, M: Module<f64> + 'a>(
    mut model: M,
    eta: f64,
    data: &'a Measured,
) -> Training<'a, f64, M, Sgd<f64>> {
    let opt = Sgd::new(
        nn::params::tensors(&mut model),
        SgdConfig {
            lr: eta,
            ..Default::default()
        },
    );
    Training::new(model, opt)
        .loss(move |m, _rng, _t| data.loss(m))
        .log(&["loss"], move |m, _t| {
            vec![no_grad(|| data.loss(m).item())]
        })
}

/// Runs `job` on `model` (started at scale `job.alpha`): at most `job.cap` steps, stopping at
/// the first loss `<= job.stop`, logging the loss and the relative distances `d_r`, `d_ref`
/// of `X` to the two rivals (relative to `||rivals.0||`). Returns the outcome with its
/// [`Outcome::drift`].
fn train<M: Factored>(
    ctx: &Ctx,
    name: &str,
    data: &Measured,
    model: M,
    job: Job,
    rivals: (&[f64], &[f64]),
) -> Result<Outcome> {
    let stop = job.stop;
    let scale = norm2(rivals.0);
    let training = gd(model, job.eta, data)
        .log(&["loss", "d_r", "d_ref"], move |m, _t| {
            let x = no_grad(|| m.x().to_vec());
            let d = |rival: &[f64]| {
                let sq: f64 = x.iter().zip(rival).map(|(u, v)| (u - v).powi(2)).sum();
                sq.sqrt() / scale
            };
            vec![no_grad(|| data.loss(m).item()), d(rivals.0), d(rivals.1)]
        })
        .stop_when(move |_, p| p.loss <= stop);
    let run = ctx.train(name, training, job.cap, &log_points(job.cap, 5))?;
    let mut out = Outcome::of(&run, no_grad(|| run.model.x()));
    // A NaN loss has not reached the stopping loss.
    let reached = out.loss <= stop;
    if run.steps >= job.cap && !reached {
        let t = run.trace.t();
        let last = t.last().copied().unwrap_or(0.0);
        out.drift = ["d_r", "d_ref"]
            .iter()
            .map(|c| {
                let d = run.trace.col(c);
                let end = d.last().copied().unwrap_or(f64::NAN);
                t.iter()
                    .zip(&d)
                    .filter(|(s, _)| **s >= last / 2.0)
                    .map(|(_, v)| (v - end).abs())
                    .fold(0.0, f64::max)
            })
            .fold(0.0, f64::max);
    }
    Ok(out)
}

/// `init_dir` has `factors` blocks of `n^2` entries, each a Gaussian `G / ||G||_F` (unit
/// Frobenius norm per factor); the factors of a run at scale `alpha` are `alpha G / ||G||_F`.
fn init_dir(rng: &mut StdRng, n: usize, factors: usize) -> Vec<f64> {
    let mut out = Vec::new();
    for _ in 0..factors {
        let g = gaussian_vec(rng, n * n, 1.0);
        let nrm = norm2(&g);
        out.extend(g.iter().map(|v| v / nrm));
    }
    out
}

/// The `[n, n]` factor `alpha * dir` (a trainable leaf).
fn factor(dir: &[f64], alpha: f64, n: usize) -> Tensor<f64> {
    let u = dir.iter().map(|v| alpha * v).collect();
    Tensor::from_vec(u, [n, n])
        .expect("n^2 entries")
        .requires_grad()
}

/// `U U^T` from `U = alpha * init`.
fn symmetric(init: &[f64], alpha: f64, n: usize) -> SymmetricFactorization<f64> {
    SymmetricFactorization {
        u: factor(init, alpha, n),
    }
}

/// `U V^T` from `(U, V) = alpha * init` (`init` holds `U`'s direction, then `V`'s).
fn general(init: &[f64], alpha: f64, n: usize) -> MatrixFactorization<f64> {
    let (u, v) = init.split_at(n * n);
    MatrixFactorization {
        u: factor(u, alpha, n),
        v: factor(v, alpha, n),
    }
}

/// The probed step `eta_p`: the largest `2^-k` (k < 40; 0 if none) such that `steps` steps of
/// gradient descent from `model_at(1e-3)` and from `model_at(1)` neither blow up (a loss above
/// `1e6 (1 + L0)`, or NaN / inf) nor end above the initial loss `L0`. Each probe is a short run
/// `probe_{tag}_k{k}_alpha{alpha}`.
fn probe_step<M: Module<f64>>(
    ctx: &Ctx,
    tag: &str,
    data: &Measured,
    model_at: impl Fn(f64) -> M,
    steps: u64,
) -> Result<f64> {
    for k in 0..40 {
        let eta = 0.5f64.powi(k);
        let mut stable = true;
        for alpha in [1e-3, 1.0] {
            let model = model_at(alpha);
            let l0 = no_grad(|| data.loss(&model).item());
            let blow_up = 1e6 * (1.0 + l0);
            let training = gd(model, eta, data).stop_when(move |_, p| p.loss > blow_up);
            let name = format!("probe_{tag}_k{k}_alpha{alpha}");
            stable = match ctx.train(&name, training, steps, &[]) {
                Ok(run) => {
                    let end = *run.trace.col("loss").last().unwrap_or(&f64::NAN);
                    run.steps == steps && end <= l0
                }
                Err(Error::NonFinite { .. }) => false,
                Err(e) => return Err(e),
            };
            if !stable {
                break;
            }
        }
        if stable {
            return Ok(eta);
        }
    }
    Ok(0.0)
}

/// A factorization model whose product `X` can be read back.
trait Factored: Module<f64> {
    /// `X`, `[n, n]`.
    fn x(&self) -> Tensor<f64>;
}

impl Factored for SymmetricFactorization<f64> {
    fn x(&self) -> Tensor<f64> {
        self.matrix()
    }
}

impl Factored for MatrixFactorization<f64> {
    fn x(&self) -> Tensor<f64> {
        self.matrix()
    }
}

/// One comparison: a problem, the factorization it is trained with (`sym`: `U U^T` against
/// the min-trace PSD solution; otherwise `U V^T` against the min-nuclear-norm solution), the
/// rank `r` of the low-rank rival and the ground truth when known.
#[derive(Clone, Copy)]
struct Setting<'a> {
    /// Prefix of run names and figure stems.
    tag: &'a str,
    /// Prefix of claims and reports.
    label: &'a str,
    problem: &'a Sensing,
    sym: bool,
    r: usize,
    x_star: Option<&'a [f64]>,
    /// Whether the rivals' distance claims are asserted: on the built-in problems (Gaussian
    /// sensing with a restricted isometry; the built-in completion set, where they were
    /// calibrated) and on a user's sensing rows, whose claims assume such measurements. On a
    /// user's completion entries no theorem makes either rival GD's limit, so the distances
    /// are reported with which rival GD is nearer, not asserted.
    rivals_asserted: bool,
}

/// What a comparison measured: the references, the probed step, and one outcome per job
/// (the main grid first, in increasing alpha, then the extra jobs).
struct Compared {
    /// `X_ref`: min-trace PSD (`sym`) or min-nuclear-norm interpolant.
    reference: NuclearSolution,
    /// `X_r`: the rank-`r` least-squares fit to the measurements.
    low_rank: Vec<f64>,
    jobs: Vec<Job>,
    outs: Vec<Outcome>,
}

/// The `[rows, cols]` trainable leaf holding `m`.
fn leaf(m: &Matrix) -> Tensor<f64> {
    Tensor::from_vec(m.data.clone(), [m.rows, m.cols])
        .expect("rows x cols entries")
        .requires_grad()
}

/// What [`train_all`] returns: `eta_p`, the rank-`r` fit, its relative loss change over 1000
/// more steps, the jobs and their outcomes.
type Runs = (f64, Outcome, f64, Vec<Job>, Vec<Outcome>);

/// The training side of a comparison on model type `M`: the probed step, the rank-`r` fit
/// (gradient descent at `eta_p / 4` for at most `fit_steps` steps on the rank-`r`
/// factorization `fit`, started at the best rank-`r` approximation of the reference), and the
/// jobs. `zero_loss` is the loss of `X = 0` (the scale of the fit's convergence test).
/// Returns `(eta_p, fit outcome, the fit's last relative loss change over 1000 steps, jobs,
/// outcomes)`.
#[allow(clippy::too_many_arguments)]
fn train_all<M: Factored>(
    ctx: &Ctx,
    tag: &str,
    data: &Measured,
    model_at: impl Fn(f64) -> M + Sync,
    fit: M,
    fit_steps: u64,
    zero_loss: f64,
    x_ref: &[f64],
    alphas: &[f64],
    cap: u64,
    extra: impl Fn(f64) -> Vec<Job>,
) -> Result<Runs> {
    let eta_p = probe_step(ctx, tag, data, &model_at, 3000)?;
    // The fit stops when its loss changes by less than 1e-9 (relative) over 1000 steps; its
    // convergence measure is the relative change over 1000 more steps (a separate run, so
    // that a fit restored from a checkpoint measures the same).
    let floor = 1e-12 * zero_loss;
    let mut last = f64::INFINITY;
    let training = gd(fit, eta_p / 4.0, data).stop_when(move |_, p| {
        if p.t == 0 || p.t % 1000 != 0 {
            return false;
        }
        let c = (last - p.loss).abs() / (p.loss + floor);
        last = p.loss;
        c <= 1e-9
    });
    let name = format!("{tag}_rank_fit");
    let run = ctx.train(&name, training, fit_steps, &log_points(fit_steps, 5))?;
    let end = no_grad(|| data.loss(&run.model).item());
    let check = ctx.train(
        &format!("{name}_check"),
        gd(run.model, eta_p / 4.0, data),
        1000,
        &[1000],
    )?;
    let after = no_grad(|| data.loss(&check.model).item());
    let before = (end - after).abs() / (after + floor);
    let run = check;
    let fitted = Outcome::of(&run, no_grad(|| run.model.x()));
    let mut jobs: Vec<Job> = alphas
        .iter()
        .map(|&alpha| Job {
            alpha,
            eta: eta_p / 4.0,
            cap,
            stop: 1e-9,
        })
        .collect();
    jobs.extend(extra(eta_p));
    let outs = ctx.par_map(&jobs, |job| {
        let name = format!(
            "{tag}_alpha{}_eta{:.3e}_stop{}",
            job.alpha, job.eta, job.stop
        );
        train(
            ctx,
            &name,
            data,
            model_at(job.alpha),
            *job,
            (&fitted.x, x_ref),
        )
    })?;
    Ok((eta_p, fitted, before, jobs, outs))
}

/// On data where neither rival is a theorem's conclusion (a user's completion entries: no
/// restricted isometry, under which small-init GD provably goes to the low-rank solution, Li,
/// Ma, Zhang 2018, Stoger and Soltanolkotabi 2021; and GD need not go to min trace, Arora et
/// al. 2019, Razin and Cohen 2020): reports `d_r / d_ref` at the smallest alpha and which
/// rival GD is nearer, from `(d_r, d_ref, separation, accuracy)` (relative to `||X_r||`; the
/// separation 0 where the rank-`r` fit is not isolated). Where `separation <= 3 accuracy` the
/// rivals are not told apart; otherwise GD is "nearer" one rival when its distance to it is at
/// most half the distance to the other, "at neither" when both exceed the separation.
fn report_rivals(
    s: &mut Summary,
    label: &str,
    r: usize,
    ref_name: &str,
    (low, rf, sep, accuracy): (f64, f64, f64, f64),
    fits: bool,
) {
    s.report(
        &format!("{label}: ||X_GD - X_r||_F / ||X_GD - X_ref||_F at the smallest alpha"),
        low / rf,
    );
    let finding = if !fits {
        "GD did not fit the data".to_string()
    } else if sep <= 3.0 * accuracy {
        format!("the rivals are not told apart here (accuracy {accuracy:.3})")
    } else if low.min(rf) > sep {
        format!(
            "GD is at neither rival (d_r = {low:.3}, d_ref = {rf:.3}: both exceed the separation)"
        )
    } else if low <= 0.5 * rf {
        format!("GD is nearer the rank-{r} fit")
    } else if rf <= 0.5 * low {
        format!("GD is nearer the {ref_name} solution")
    } else {
        "GD is about as near to both rivals".to_string()
    };
    s.notes.push(format!(
        "4 {label}: on completion entries neither rival is a theorem's conclusion (no \
         restricted isometry: small-init GD is proven to find the low-rank solution only under \
         one, and need not find the min-trace one), so the distances are reported, not \
         asserted: d_r / d_ref = {:.3}, separation {:.3} of ||X_r||; {finding}",
        low / rf,
        sep,
    ));
}

/// Runs one comparison: the reference `X_ref`, the rank-`r` fit `X_r`, gradient descent at
/// `eta_p / 4` over `alphas` (increasing; the first two are the smallest) with `cap` steps
/// (stop at loss `<= 1e-9`) plus the `extra` jobs (given `eta_p`); reports every run's
/// distances; claims (see the module doc) that `X_GD` at the smallest alpha is the rank-`r`
/// fit (prediction) and not `X_ref` (control), both discriminating only when
/// `||X_ref - X_r|| > 3 x` the run's accuracy; sanity claims that the references converged and
/// that gradient descent fits the data; a figure of distances vs alpha and one of spectra.
fn compare(
    ctx: &Ctx,
    s: &mut Summary,
    set: Setting,
    alphas: &[f64],
    cap: u64,
    fit_steps: u64,
    extra: impl Fn(f64) -> Vec<Job>,
) -> Result<Compared> {
    let Setting {
        tag,
        label,
        problem,
        sym,
        r,
        x_star,
        rivals_asserted,
    } = set;
    let n = problem.n;
    let ref_name = if sym { "min-trace PSD" } else { "min-nuclear" };
    let reference = if sym {
        min_trace_psd(&problem.a, n, &problem.y)
    } else {
        min_nuclear(&problem.a, n, &problem.y)
    }
    .map_err(|e| Error::reference(format!("4 {label}: {ref_name}"), e))?;
    let fro = min_l2_interpolant(&problem.a, &problem.y)
        .map_err(|e| Error::reference(format!("4 {label}: min-Frobenius"), e))?
        .w;
    let (l, rt) = rank_factors(
        &Matrix::new(n, n, reference.x.clone()).expect("n^2 entries"),
        r,
    );
    let data = problem.tensors();
    let init = init_dir(
        &mut ctx.rng(&format!("init-{tag}")),
        n,
        if sym { 1 } else { 2 },
    );
    let zero_loss = 0.5 * norm2(&problem.y).powi(2) / problem.y.len() as f64;
    let (eta, fit, fit_change, jobs, outs) = if sym {
        let fit = SymmetricFactorization { u: leaf(&l) };
        train_all(
            ctx,
            tag,
            &data,
            |a| symmetric(&init, a, n),
            fit,
            fit_steps,
            zero_loss,
            &reference.x,
            alphas,
            cap,
            extra,
        )?
    } else {
        let fit = MatrixFactorization {
            u: leaf(&l),
            v: leaf(&rt),
        };
        train_all(
            ctx,
            tag,
            &data,
            |a| general(&init, a, n),
            fit,
            fit_steps,
            zero_loss,
            &reference.x,
            alphas,
            cap,
            extra,
        )?
    };
    let low_rank = fit.x.clone();
    let (jacobian_rank, manifold_dim) = rank_fit_dof(problem, &low_rank, r, sym);
    s.report(
        &format!("{label}: rank-{r} fit's Jacobian rank (locally unique when = {manifold_dim})"),
        jacobian_rank as f64,
    );
    for (name, x) in [("X_ref", &reference.x), ("X_r", &low_rank)] {
        s.report(
            &format!("{label}: {name} spectral tail beyond rank {r}"),
            spectral_tail(x, n, r),
        );
    }
    s.report(
        &format!("{label}: {ref_name} ADMM iterations"),
        reference.iterations as f64,
    );
    s.report(
        &format!("{label}: {ref_name} constraint residual"),
        reference.constraint_residual,
    );
    s.report(
        &format!("{label}: {ref_name} certified relative duality gap"),
        reference.relative_gap(),
    );
    s.report(
        &format!("{label}: {ref_name} converged (1 = yes; ADMM, or the interior-point fallback)"),
        f64::from(u8::from(reference.converged)),
    );
    s.report(
        &format!("{label}: {ref_name} interior-point fallback iterations (0 = not used)"),
        reference.interior_point.unwrap_or(0) as f64,
    );
    s.report(&format!("{label}: probed step eta_p"), eta);
    s.report(&format!("{label}: rank-{r} fit final loss"), fit.loss);
    s.report(
        &format!("{label}: ||X_ref - X_r||_F / ||X_r||_F"),
        rel_dist(&reference.x, &low_rank),
    );
    if let Some(xs) = x_star {
        s.report(
            &format!("{label}: {ref_name} error ||X_ref - X*||_F / ||X*||_F"),
            rel_dist(&reference.x, xs),
        );
        s.report(
            &format!("{label}: rank-{r} fit error ||X_r - X*||_F / ||X*||_F"),
            rel_dist(&low_rank, xs),
        );
    }
    let (mut d_ref, mut d_low, mut err) = (vec![], vec![], vec![]);
    for (job, o) in jobs.iter().zip(&outs) {
        let key = format!("{label} alpha={} eta={:.3e}", job.alpha, job.eta);
        s.report(
            &format!("{key}: nuclear ratio"),
            nuclear_norm(&o.x, n) / reference.objective,
        );
        s.report(
            &format!("{key}: dist to {ref_name}"),
            rel_dist(&o.x, &reference.x),
        );
        s.report(
            &format!("{key}: dist to rank-{r} fit"),
            rel_dist(&o.x, &low_rank),
        );
        s.report(
            &format!("{key}: dist to min-Frobenius"),
            rel_dist(&o.x, &fro),
        );
        if let Some(xs) = x_star {
            s.report(&format!("{key}: error vs X*"), rel_dist(&o.x, xs));
        }
        s.report(&format!("{key}: final loss"), o.loss);
        s.report(
            &format!("{key}: spectral tail beyond rank {r}"),
            spectral_tail(&o.x, n, r),
        );
        s.report(&format!("{key}: steps"), o.steps as f64);
        s.report(
            &format!("{key}: drift of d_r, d_ref over the last doubling of steps (0 if it reached its stopping loss)"),
            o.drift,
        );
    }
    for o in &outs[..alphas.len()] {
        d_ref.push(rel_dist(&o.x, &reference.x).max(1e-12));
        d_low.push(rel_dist(&o.x, &low_rank).max(1e-12));
        if let Some(xs) = x_star {
            err.push(rel_dist(&o.x, xs).max(1e-12));
        }
    }
    // The claims, in units of the rivals' separation ||X_ref - X_r||.
    let dist =
        |a: &[f64], b: &[f64]| norm2(&a.iter().zip(b).map(|(p, q)| p - q).collect::<Vec<_>>());
    let scale = norm2(&low_rank);
    let sep = dist(&reference.x, &low_rank);
    let (x0, x1) = (&outs[0].x, &outs[1].x);
    // A run stopped by its cap whose distances still move is not at its limit: its drift
    // over the last doubling of steps is part of the accuracy.
    let accuracy = (dist(x0, x1) / scale)
        .max(outs[0].drift)
        .max(outs[1].drift)
        .max(reference.constraint_residual)
        .max(reference.relative_gap())
        .max(fit_change.min(1.0));
    let fits = outs[0].loss <= 1e-6 * zero_loss;
    s.report(
        &format!("{label}: separation ||X_ref - X_r||_F / ||X_r||_F"),
        sep / scale,
    );
    s.report(
        &format!(
            "{label}: accuracy (||X_GD(alpha_1) - X_GD(alpha_2)||_F / ||X_r||_F, reference residuals)"
        ),
        accuracy,
    );
    // The rivals are told apart only when the rank-r fit is a single matrix (an isolated
    // rank-r interpolant); otherwise "the rank-r fit" names one point of a continuum.
    let separation = if jacobian_rank == manifold_dim {
        sep / scale
    } else {
        s.notes.push(format!(
            "4 {label}: the rank-{r} interpolants are not locally unique (the Jacobian of the \
             measurements at the rank-{r} fit has rank {jacobian_rank} < {manifold_dim}): the \
             distance claims to X_r are not discriminating"
        ));
        0.0
    };
    let (a0, a1) = (alphas[0], alphas[1]);
    let (low0, ref0) = (dist(x0, &low_rank), dist(x0, &reference.x));
    if rivals_asserted {
        s.claim(
            Claim::at_most(
                &format!("4 {label}: GD (alpha = {a0}) is at least twice as close to the rank-{r} fit as to the {ref_name} solution"),
                "||X_GD - X_r||_F / ||X_GD - X_ref||_F",
                low0 / ref0,
                0.5,
            )
            .discriminating(separation, accuracy),
        );
        s.claim(
            Claim::at_most(
                &format!(
                    "4 {label}: GD approaches the rank-{r} fit as alpha shrinks ({a1} -> {a0})"
                ),
                "(||X_GD(alpha_1) - X_r||_F - ||X_GD(alpha_2) - X_r||_F) / ||X_r||_F",
                (low0 - dist(x1, &low_rank)) / scale,
                1e-3,
            )
            .discriminating(separation, accuracy),
        );
        s.claim(
            Claim::at_least(
                &format!("4 {label}: rival, GD (alpha = {a0}) is not at the {ref_name} solution"),
                "||X_GD - X_ref||_F / ||X_ref - X_r||_F (NaN unless GD fits the data)",
                if fits { ref0 / sep } else { f64::NAN },
                0.5,
            )
            .control()
            .discriminating(separation, accuracy),
        );
    } else {
        report_rivals(
            s,
            label,
            r,
            ref_name,
            (low0 / scale, ref0 / scale, separation, accuracy),
            fits,
        );
    }
    s.claim(
        Claim::at_most(
            &format!("4 {label}: GD (alpha = {a0}) fits the data"),
            "final loss / loss of X = 0",
            outs[0].loss / zero_loss,
            1e-6,
        )
        .sanity(),
    );
    s.claim(
        Claim::at_most(
            &format!("4 {label}: the {ref_name} reference interpolates"),
            "||A(X_ref) - y|| / (1 + ||y||)",
            reference.constraint_residual,
            1e-6,
        )
        .sanity(),
    );
    s.claim(
        Claim::at_most(
            &format!("4 {label}: the rank-{r} fit converged"),
            "relative loss change over 1000 more steps",
            fit_change,
            1e-4,
        )
        .sanity(),
    );
    let mut fig = Figure::new(
        &format!("4_{tag}_vs_alpha"),
        &format!("4: {label}, distances vs alpha (eta_p/4)"),
        "alpha",
        "relative distance",
        true,
        true,
    )
    .with(Series::new(&format!("dist to {ref_name}"), alphas, &d_ref))
    .with(Series::new(
        &format!("dist to rank-{r} fit"),
        alphas,
        &d_low,
    ));
    if x_star.is_some() {
        fig = fig.with(Series::new("error vs X*", alphas, &err));
    }
    let idx: Vec<f64> = (1..=n).map(|i| i as f64).collect();
    let spec =
        |x: &[f64]| -> Vec<f64> { spectrum(x, n).into_iter().map(|a| a.max(1e-12)).collect() };
    let mut sv = Figure::new(
        &format!("4_{tag}_singular_values"),
        &format!("4: {label}, singular values"),
        "index",
        "singular value",
        false,
        true,
    )
    .with(Series::new(ref_name, &idx, &spec(&reference.x)))
    .with(Series::new(
        &format!("rank-{r} fit"),
        &idx,
        &spec(&low_rank),
    ))
    .with(Series::new("min-Frobenius", &idx, &spec(&fro)));
    if let Some(xs) = x_star {
        sv = sv.with(Series::new("X*", &idx, &spec(xs)));
    }
    for (a, o) in alphas
        .iter()
        .zip(&outs)
        .filter(|(a, _)| **a == alphas[0] || **a == alphas[alphas.len() - 1])
    {
        sv = sv.with(Series::new(&format!("GD alpha={a}"), &idx, &spec(&o.x)));
    }
    ctx.save_figure(s, &fig)?;
    ctx.save_figure(s, &sv)?;
    Ok(Compared {
        reference,
        low_rank,
        jobs,
        outs,
    })
}

/// The rank-`r` ground truth `X* = W W^T n / ||W W^T||_F`, `W` Gaussian `n x r`.
fn low_rank_truth(rng: &mut StdRng, n: usize, r: usize) -> Vec<f64> {
    let w = gaussian(rng, n, r, 1.0);
    let mut x_star = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            x_star[i * n + j] = (0..r).map(|k| w.get(i, k) * w.get(j, k)).sum();
        }
    }
    let sc = n as f64 / norm2(&x_star);
    x_star.iter_mut().for_each(|v| *v *= sc);
    x_star
}

/// `m` distinct entries `(i, j)`, `i <= j`, of the `n x n` symmetric `x`, drawn uniformly
/// without replacement, as a completion problem: `A_k = (e_i e_j^T + e_j e_i^T) / 2`,
/// `y_k = x_ij`.
fn sampled_entries(rng: &mut StdRng, n: usize, m: usize, x: &[f64]) -> Sensing {
    let mut pairs: Vec<(usize, usize)> = (0..n).flat_map(|i| (i..n).map(move |j| (i, j))).collect();
    pairs.shuffle(rng);
    pairs.truncate(m);
    pairs.sort_unstable();
    let entries: Vec<(usize, usize, f64)> =
        pairs.iter().map(|&(i, j)| (i, j, x[i * n + j])).collect();
    Sensing {
        n,
        a: completion_matrix(n, &entries, true),
        y: entries.iter().map(|e| e.2).collect(),
    }
}

/// Runs protocol 4 (with `--data`, on the user's measurements: see [`on_data`]).
pub fn run(ctx: &Ctx) -> Result<Summary> {
    let mut s = Summary::default();
    if let Some(file) = &ctx.config.data {
        on_data(ctx, &mut s, file)?;
        return Ok(s);
    }
    let (n, r) = (ctx.pick(30, 20), rank(ctx, 20)?);
    let m = 3 * n * r;
    let var: f64 = 1e-3;
    let cap = ctx.pick(100_000, 30_000);
    let fit_steps = ctx.pick(100_000, 100_000);
    let mut rng = ctx.rng("data");
    let x_star = low_rank_truth(&mut rng, n, r);
    s.notes.push(format!("4: n = {n}, r = {r}, m = 3nr = {m}; noise variance 1e-3 (std {:.4}), as the protocol reads the talk's 1e-3", var.sqrt()));
    s.notes.push("4: step eta_p probed over 2^-k (3000 steps from alpha = 1e-3 and 1); main grids at eta_p/4, plus (full only) the m = 3nr U U^T grid at eta_p/16 (report-only); step test at alpha = 0.1 with eta_p/2 vs eta_p/8 at matched loss".into());
    s.notes.push("4: X_r (the low-rank rival) is the rank-r least-squares fit to the measurements: gradient descent on a rank-r factorization started at the best rank-r approximation of the reference".into());

    // ---- (a) X = U U^T, symmetric A_i, m = 3nr: the recovery regime (min-trace = X*).
    let sym = measurements(&mut rng, n, m, true, &x_star, var);
    let test_sym = measurements(&mut rng, n, 1000, true, &x_star, 0.0);
    let gen = measurements(&mut rng, n, m, false, &x_star, var);
    let step_cap = ctx.pick(320_000, 100_000);
    let matched = ctx.pick(1e-6, 1e-4);
    let alphas = [1e-3, 1e-2, 1e-1, 1.0, 3.0];
    let quick = ctx.quick();
    let recovery = compare(
        ctx,
        &mut s,
        Setting {
            tag: "sym",
            label: "UU^T m=3nr",
            problem: &sym,
            sym: true,
            r,
            x_star: Some(&x_star),
            rivals_asserted: true,
        },
        &alphas,
        cap,
        fit_steps,
        |eta_p| {
            let mut extra = Vec::new();
            if !quick {
                extra.extend(alphas.map(|alpha| Job {
                    alpha,
                    eta: eta_p / 16.0,
                    cap,
                    stop: 1e-9,
                }));
            }
            for eta in [eta_p / 2.0, eta_p / 8.0] {
                extra.push(Job {
                    alpha: 0.1,
                    eta,
                    cap: step_cap,
                    stop: matched,
                });
            }
            extra
        },
    )?;
    let test_err = |x: &[f64], t: &Sensing| -> f64 {
        let p = t.a.mul_vec(x);
        (p.iter()
            .zip(&t.y)
            .map(|(a, b)| (a - b).powi(2))
            .sum::<f64>()
            / t.y.len() as f64)
            .sqrt()
    };
    let psd = &recovery.reference;
    for (job, o) in recovery.jobs.iter().zip(&recovery.outs) {
        s.report(
            &format!(
                "UU^T m=3nr alpha={} eta={:.3e}: held-out RMSE",
                job.alpha, job.eta
            ),
            test_err(&o.x, &test_sym),
        );
    }
    let main = &recovery.outs[..alphas.len()];
    let ratio: Vec<f64> = main
        .iter()
        .map(|o| nuclear_norm(&o.x, n) / psd.objective)
        .collect();
    let d_ref: Vec<f64> = main.iter().map(|o| rel_dist(&o.x, &psd.x)).collect();
    let err: Vec<f64> = main.iter().map(|o| rel_dist(&o.x, &x_star)).collect();
    let o0 = &main[0];
    // Quick runs stop at 3e4 steps, before the noise is fully fitted: looser bounds (noted).
    let (lb, rlo, db) = ctx.pick((1e-4, 0.99, 0.01), (1e-3, 0.97, 0.02));
    if ctx.quick() {
        s.notes.push("4 (quick): n = 20, 3e4 steps: alpha = 1e-3 bounds loosened to loss <= 1e-3, ratio >= 0.97, distance <= 0.02; step test matched at loss 1e-4".into());
    }
    s.claim(
        Claim::at_most(
            "4: UU^T at alpha = 1e-3 fits the data",
            "final loss (1/2m)||A(X) - y||^2",
            o0.loss,
            lb,
        )
        .sanity(),
    );
    s.claim(Claim::within(
        "4: UU^T at alpha = 1e-3 reaches the min-trace PSD solution (nuclear norm)",
        "||X||_* / ||X_ref||_*",
        ratio[0],
        rlo,
        1.01,
    ));
    s.claim(Claim::at_most(
        "4: UU^T at alpha = 1e-3 reaches the min-trace PSD solution",
        "||X - X_ref||_F / ||X_ref||_F",
        d_ref[0],
        db,
    ));
    let nondec = |v: &[f64]| {
        v.windows(2)
            .map(|w| w[0] - w[1])
            .fold(f64::NEG_INFINITY, f64::max)
    };
    s.claim(Claim::at_most(
        "4: nuclear ratio non-decreasing in alpha (5 values)",
        "max_i ratio(alpha_i) - ratio(alpha_{i+1})",
        nondec(&ratio),
        1e-3,
    ));
    s.claim(Claim::at_most(
        "4: error vs X* non-decreasing in alpha (5 values)",
        "max_i err(alpha_i) - err(alpha_{i+1})",
        nondec(&err),
        1e-3,
    ));
    s.claim(
        Claim::above(
            "4: negative control, alpha = 3 is not min-trace",
            "||X||_* / ||X_ref||_* at alpha = 3",
            ratio[4],
            1.05,
        )
        .control(),
    );
    let k = recovery.outs.len();
    let (big, small) = (&recovery.outs[k - 2], &recovery.outs[k - 1]);
    let (eb, es) = (rel_dist(&big.x, &x_star), rel_dist(&small.x, &x_star));
    s.report("step test: loss reached at eta_p/2", big.loss);
    s.report("step test: loss reached at eta_p/8", small.loss);
    s.claim(Claim::at_most(
        "4: smaller step not worse at matched loss (alpha = 0.1, both stopped at loss <= 1e-6)",
        "err_X*(eta_p/8) - err_X*(eta_p/2)",
        es - eb,
        0.0,
    ));
    s.claim(
        Claim::is_true(
            "4: both step-test runs reached the matched loss",
            "loss(eta_p/2), loss(eta_p/8) <= matched loss (1e-6; quick 1e-4)",
            big.loss <= matched && small.loss <= matched,
        )
        .sanity(),
    );
    s.array("x_star", &x_star);
    s.array("min_trace_psd", &psd.x);
    s.array("uu_alpha1e-3", &o0.x);
    s.array("uu_rank_fit", &recovery.low_rank);

    // ---- (b) U U^T below recovery, m = 3nr/2: min-trace misses X*, the rivals differ.
    let m_low = m / 2;
    let below = measurements(&mut ctx.rng("data-below"), n, m_low, true, &x_star, var);
    let b = compare(
        ctx,
        &mut s,
        Setting {
            tag: "below",
            label: "UU^T m=3nr/2",
            problem: &below,
            sym: true,
            r,
            x_star: Some(&x_star),
            rivals_asserted: true,
        },
        &[1e-6, 1e-5, 1e-3],
        cap,
        fit_steps,
        |_| Vec::new(),
    )?;
    s.array("below_min_trace_psd", &b.reference.x);
    s.array("below_alpha1e-3", &b.outs[0].x);

    // ---- (c) X = U V^T, general A_i, m = 3nr: biased to low rank, not to min nuclear norm.
    let ga: Vec<f64> = ctx.pick(vec![1e-5, 1e-3, 1e-1, 1.0], vec![1e-5, 1e-3]);
    let c = compare(
        ctx,
        &mut s,
        Setting {
            tag: "asym",
            label: "UV^T m=3nr",
            problem: &gen,
            sym: false,
            r,
            x_star: Some(&x_star),
            rivals_asserted: true,
        },
        &ga,
        cap,
        fit_steps,
        |_| Vec::new(),
    )?;
    let o = &c.outs[0];
    let dist =
        |a: &[f64], b: &[f64]| norm2(&a.iter().zip(b).map(|(p, q)| p - q).collect::<Vec<_>>());
    s.claim(Claim::at_most(
        "4: UV^T (alpha = 1e-5) recovers X* far better than min-nuclear",
        "||X_GD - X*||_F / ||X_nuc - X*||_F",
        dist(&o.x, &x_star) / dist(&c.reference.x, &x_star),
        0.8,
    ));
    s.report(
        "UV^T alpha=1e-5: nuclear ratio (protocol: 1.00-1.10; not a claim, its lower end is trivially true)",
        nuclear_norm(&o.x, n) / c.reference.objective,
    );
    s.notes.push("4: UV^T is NOT min-nuclear (Arora et al. 2019, Razin & Cohen 2020): it is biased to low rank; compared by distance to X_nuc and to the rank-r fit".into());
    s.array("min_nuclear", &c.reference.x);
    s.array("uv_alpha1e-5", &o.x);

    // ---- (d) matrix completion: observed entries of a rank-r PSD matrix, U U^T.
    let (n_c, m_c) = (20, 70);
    let mut rng_c = ctx.rng("data-completion");
    let x_c = low_rank_truth(&mut rng_c, n_c, r);
    let entries = sampled_entries(&mut rng_c, n_c, m_c, &x_c);
    s.notes.push(format!("4 completion: n = {n_c}, rank {r} PSD X*, {m_c} of {} entries (i <= j) observed without noise, U U^T against min-trace PSD", n_c * (n_c + 1) / 2));
    let d = compare(
        ctx,
        &mut s,
        Setting {
            tag: "completion",
            label: "UU^T completion",
            problem: &entries,
            sym: true,
            r,
            x_star: Some(&x_c),
            rivals_asserted: true,
        },
        &[1e-6, 1e-5, 1e-3],
        cap,
        fit_steps,
        |_| Vec::new(),
    )?;
    s.array("completion_min_trace_psd", &d.reference.x);
    s.array("completion_alpha1e-3", &d.outs[0].x);

    // ---- (e) the talk's size, n = 50, m = 300 (quick: n = 25, m = 150).
    let n_t = ctx.pick(50, 20);
    let m_t = 6 * n_t;
    let mut rng_t = ctx.rng("data-talk");
    let x_t = low_rank_truth(&mut rng_t, n_t, r);
    let talk = measurements(&mut rng_t, n_t, m_t, true, &x_t, var);
    let e = compare(
        ctx,
        &mut s,
        Setting {
            tag: "talk",
            label: "UU^T talk size",
            problem: &talk,
            sym: true,
            r,
            x_star: Some(&x_t),
            rivals_asserted: true,
        },
        &[1e-3, 1e-2, 1.0],
        cap,
        fit_steps,
        |_| Vec::new(),
    )?;
    let ratio_t: Vec<f64> = e
        .outs
        .iter()
        .map(|o| nuclear_norm(&o.x, n_t) / e.reference.objective)
        .collect();
    s.claim(Claim::at_most(
        &format!("4: talk size (n = {n_t}, m = {m_t}) UU^T at alpha = 1e-3 reaches the min-trace PSD solution"),
        "||X - X_ref||_F / ||X_ref||_F",
        rel_dist(&e.outs[0].x, &e.reference.x),
        db,
    ));
    s.claim(
        Claim::above(
            &format!("4: talk size (n = {n_t}) negative control, alpha = 1 is not min-trace"),
            "||X||_* / ||X_ref||_* at alpha = 1",
            ratio_t[2],
            1.0,
        )
        .control(),
    );
    Ok(s)
}

/// The `rank` parameter, checked against the size `n` (`1 <= r < n`).
fn rank(ctx: &Ctx, n: usize) -> Result<usize> {
    let r = ctx.param_usize("rank")?;
    if r == 0 || r >= n {
        return Err(Error::Usage(format!(
            "matrix_sensing: expected 1 <= rank < n = {n}, found rank = {r}"
        )));
    }
    Ok(r)
}

/// Runs protocol 4 on the user's measurements (the formats and checks are those of
/// [`read_sensing_csv`]): the comparison of [`compare`] at alpha in {1e-6, 1e-5, 1e-3}, with
/// the step cap of [`Ctx::data_steps`] for `O(m n^2)` steps.
fn on_data(ctx: &Ctx, s: &mut Summary, file: &std::path::Path) -> Result<()> {
    let d = read_sensing_csv(file)?;
    let (n, m) = (d.n, d.y.len());
    let r = rank(ctx, n)?;
    let cap = ctx.data_steps(300_000, m, n * n);
    let kind = match (d.completion, d.sym) {
        (true, true) => "UU^T completion data",
        (true, false) => "UV^T completion data",
        (false, true) => "UU^T sensing data",
        (false, false) => "UV^T sensing data",
    };
    s.notes.push(format!(
        "4 on {m} measurements of a {n} x {n} matrix ({kind}): {cap} steps per run (Ctx::data_steps), rank-{r} rival (parameter rank)"
    ));
    let problem = Sensing { n, a: d.a, y: d.y };
    compare(
        ctx,
        s,
        Setting {
            tag: "data",
            label: kind,
            problem: &problem,
            sym: d.sym,
            r,
            x_star: None,
            rivals_asserted: !d.completion,
        },
        &[1e-6, 1e-5, 1e-3],
        cap,
        cap,
        |_| Vec::new(),
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::sensing::completion_matrix;

    /// The completion problem observing `entries` of `x`.
    fn observing(n: usize, x: &[f64], entries: &[(usize, usize)], sym: bool) -> Sensing {
        let e: Vec<(usize, usize, f64)> =
            entries.iter().map(|&(i, j)| (i, j, x[i * n + j])).collect();
        let a = completion_matrix(n, &e, sym);
        let y = a.mul_vec(x);
        Sensing { n, a, y }
    }

    #[test]
    fn rank_fit_dof_by_hand() {
        // X = u u^T, u = (1, 1, 1): the rank-1 PSD matrices have dimension 3. Every entry
        // seen determines u; seeing only (0, 0) and (0, 1) leaves u_2 free (rows (2, 0, 0),
        // (1, 1, 0) of J: rank 2).
        let x = [1.0; 9];
        let all = [(0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (2, 2)];
        assert_eq!(
            rank_fit_dof(&observing(3, &x, &all, true), &x, 1, true),
            (3, 3)
        );
        let two = [(0, 0), (0, 1)];
        assert_eq!(
            rank_fit_dof(&observing(3, &x, &two, true), &x, 1, true),
            (2, 3)
        );
        // X = u v^T on 2 x 2 (dimension (2n - r) r = 3: four parameters less the scaling
        // gauge): all four entries determine it, a row of two does not.
        let x = [1.0; 4];
        let all = [(0, 0), (0, 1), (1, 0), (1, 1)];
        assert_eq!(
            rank_fit_dof(&observing(2, &x, &all, false), &x, 1, false),
            (3, 3)
        );
        let row = [(0, 0), (0, 1)];
        assert_eq!(
            rank_fit_dof(&observing(2, &x, &row, false), &x, 1, false),
            (2, 3)
        );
    }

    #[test]
    fn spectral_tail_by_hand() {
        // diag(3, 4, 0): rank 2, Frobenius norm 5; beyond rank 1 the tail is 3 / 5.
        let x = [3.0, 0.0, 0.0, 0.0, 4.0, 0.0, 0.0, 0.0, 0.0];
        assert!((spectral_tail(&x, 3, 1) - 0.6).abs() < 1e-12);
        assert!(spectral_tail(&x, 3, 2) < 1e-12);
    }
}
