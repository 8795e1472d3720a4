//! Protocol 4: matrix sensing with full-dimensional factorizations. `X = U U^T`
//! (symmetric Gaussian `A_i`) approaches the min-trace PSD solution as the init
//! scale alpha shrinks; `X = U V^T` (general `A_i`) is biased to low rank but
//! not to the general min-nuclear-norm solution (Arora et al. 2019).
//!
//! Gradients are closed form on plain buffers (`r = A(X) - y`,
//! `G = (1/m) sum r_i A_i`, grad_U = `2 G U` resp. `(G V, G^T U)`): the tape
//! would rebuild an `m x n x n` product per step, too slow for 1e5-3.2e5 steps
//! per run. `closed_form_gradients_match_the_tape` checks them against
//! `nn::SymmetricFactorization` / `nn::MatrixFactorization`.

use crate::Experiment;
use rand::rngs::StdRng;

use crate::data::synthetic::{gaussian, gaussian_vec};
use crate::error::{Error, Result};
use crate::flat::{FlatProblem, Step};
use crate::linear::Matrix;
use crate::reference::{
    min_l2_interpolant, min_nuclear, min_trace_psd, nuclear_norm, singular_values,
};
use crate::runner::Ctx;
use crate::runner::{Claim, Summary};
use crate::runner::{Figure, Series};
use crate::stats::rel_dist;

/// The registry entry (listed by `experiments list`).
pub const EXPERIMENT: Experiment = Experiment {
    name: "matrix_sensing",
    items: "4",
    claim: "matrix sensing with full-dimensional factorizations: X = UU^T approaches the min-trace PSD \
            solution as the init scale shrinks; X = UV^T is biased to low rank, not to min nuclear norm",
    takes_data: false,
    run,
};

/// A sensing problem: `a` is `m x n^2` (rows `vec(A_i)`), `y` the measurements.
pub struct Sensing {
    /// Size of `X`.
    pub n: usize,
    /// Measurement matrices, one per row.
    pub a: Matrix,
    /// Measurements.
    pub y: Vec<f64>,
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0; 4];
    let (ca, cb) = (a.chunks_exact(4), b.chunks_exact(4));
    let tail: f64 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(p, q)| p * q)
        .sum();
    for (p, q) in ca.zip(cb) {
        for k in 0..4 {
            acc[k] += p[k] * q[k];
        }
    }
    acc.iter().sum::<f64>() + tail
}

/// `C = A B` for `n x n` row-major matrices.
fn matmul(a: &[f64], b: &[f64], n: usize) -> Vec<f64> {
    let mut c = vec![0.0; n * n];
    for i in 0..n {
        for k in 0..n {
            let aik = a[i * n + k];
            let row = &b[k * n..k * n + n];
            for (cj, bj) in c[i * n..i * n + n].iter_mut().zip(row) {
                *cj += aik * bj;
            }
        }
    }
    c
}

fn transpose(a: &[f64], n: usize) -> Vec<f64> {
    (0..n * n).map(|k| a[(k % n) * n + k / n]).collect()
}

impl Sensing {
    /// `(1/2m) ||A(X) - y||^2` and `G = (1/m) sum_i r_i A_i`.
    fn residual_g(&self, x: &[f64]) -> (f64, Vec<f64>) {
        let m = self.a.rows;
        let mut g = vec![0.0; x.len()];
        let mut loss = 0.0;
        for i in 0..m {
            let row = self.a.row(i);
            let r = dot(row, x) - self.y[i];
            loss += r * r;
            let c = r / m as f64;
            for (gj, aj) in g.iter_mut().zip(row) {
                *gj += c * aj;
            }
        }
        (loss / (2.0 * m as f64), g)
    }

    /// Loss and gradient of `X = U U^T` (`theta = vec U`, symmetric `A_i`).
    pub fn grad_sym(&self, theta: &[f64], out: &mut [f64]) -> f64 {
        let n = self.n;
        let x = matmul(theta, &transpose(theta, n), n);
        let (loss, g) = self.residual_g(&x);
        // d/dU <G, U U^T> = (G + G^T) U.
        let gs: Vec<f64> = (0..n * n).map(|k| g[k] + g[(k % n) * n + k / n]).collect();
        out.copy_from_slice(&matmul(&gs, theta, n));
        loss
    }

    /// Loss and gradient of `X = U V^T` (`theta = (vec U, vec V)`).
    pub fn grad_asym(&self, theta: &[f64], out: &mut [f64]) -> f64 {
        let n = self.n;
        let (u, v) = theta.split_at(n * n);
        let x = matmul(u, &transpose(v, n), n);
        let (loss, g) = self.residual_g(&x);
        let gu = matmul(&g, v, n);
        let gv = matmul(&transpose(&g, n), u, n);
        out[..n * n].copy_from_slice(&gu);
        out[n * n..].copy_from_slice(&gv);
        loss
    }
}

/// The singular values of the `n x n` row-major `x`, largest first.
fn spectrum(x: &[f64], n: usize) -> Vec<f64> {
    singular_values(&Matrix::new(n, n, x.to_vec()).expect("x has n * n entries"))
}

/// `X(theta)`.
fn matrix_of(theta: &[f64], n: usize) -> Vec<f64> {
    if theta.len() == n * n {
        matmul(theta, &transpose(theta, n), n)
    } else {
        matmul(&theta[..n * n], &transpose(&theta[n * n..], n), n)
    }
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

struct Outcome {
    x: Vec<f64>,
    loss: f64,
    steps: u64,
}

/// One training run: init scale, step, step cap, stopping loss.
#[derive(Clone, Copy)]
struct Job {
    alpha: f64,
    eta: f64,
    cap: u64,
    stop: f64,
}

fn train(ctx: &Ctx, name: &str, p: &Sensing, sym: bool, job: Job, init: &[f64]) -> Result<Outcome> {
    let Job {
        alpha,
        eta,
        cap,
        stop,
    } = job;
    let n = p.n;
    let theta0: Vec<f64> = init.iter().map(|g| alpha * g).collect();
    let grad = move |th: &[f64], g: &mut [f64]| {
        if sym {
            p.grad_sym(th, g)
        } else {
            p.grad_asym(th, g)
        }
    };
    let prob = FlatProblem::new(grad, Step::Fixed(eta), &["loss"], move |th: &[f64]| {
        let mut g = vec![0.0; th.len()];
        vec![if sym {
            p.grad_sym(th, &mut g)
        } else {
            p.grad_asym(th, &mut g)
        }]
    })
    .stop_at(stop);
    let r = ctx.iterate(
        name,
        prob.start(theta0),
        cap,
        &crate::stats::log_points(cap, 5),
    )?;
    let mut g = vec![0.0; r.state.theta.len()];
    let loss = if sym {
        p.grad_sym(&r.state.theta, &mut g)
    } else {
        p.grad_asym(&r.state.theta, &mut g)
    };
    Ok(Outcome {
        x: matrix_of(&r.state.theta, n),
        loss,
        steps: r.steps,
    })
}

/// `alpha * G / ||G||_F` init directions (unit Frobenius norm per factor).
fn init_dir(rng: &mut StdRng, n: usize, factors: usize) -> Vec<f64> {
    let mut out = Vec::new();
    for _ in 0..factors {
        let g = gaussian_vec(rng, n * n, 1.0);
        let nrm = crate::stats::norm2(&g);
        out.extend(g.iter().map(|v| v / nrm));
    }
    out
}

/// Largest `2^-k` that does not diverge in a short probe from alpha = 1e-3 and alpha = 1.
fn probe_step(p: &Sensing, sym: bool, init: &[f64], steps: usize) -> f64 {
    let mut g = vec![0.0; init.len()];
    for k in 0..40 {
        let eta = 0.5f64.powi(k);
        let ok = [1e-3, 1.0].iter().all(|&alpha| {
            let mut th: Vec<f64> = init.iter().map(|v| alpha * v).collect();
            let grad = |th: &[f64], g: &mut [f64]| {
                if sym {
                    p.grad_sym(th, g)
                } else {
                    p.grad_asym(th, g)
                }
            };
            let l0 = grad(&th, &mut g);
            for _ in 0..steps {
                let l = grad(&th, &mut g);
                if !l.is_finite() || l > 1e6 * (1.0 + l0) {
                    return false;
                }
                th.iter_mut().zip(&g).for_each(|(t, gi)| *t -= eta * gi);
            }
            let l = grad(&th, &mut g);
            l.is_finite() && l <= l0
        });
        if ok {
            return eta;
        }
    }
    0.0
}

fn rel_fro(a: &[f64], b: &[f64]) -> f64 {
    rel_dist(a, b)
}

/// Runs protocol 4.
pub fn run(ctx: &Ctx) -> Result<Summary> {
    let mut s = Summary::default();
    let (n, r) = ctx.pick((30, 2), (20, 2));
    let m = 3 * n * r;
    let var: f64 = 1e-3;
    let cap = ctx.pick(100_000, 30_000);
    let mut rng = ctx.rng("data");
    let w = gaussian(&mut rng, n, r, 1.0);
    let mut x_star = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            x_star[i * n + j] = (0..r).map(|k| w.get(i, k) * w.get(j, k)).sum();
        }
    }
    let sc = n as f64 / crate::stats::norm2(&x_star);
    x_star.iter_mut().for_each(|v| *v *= sc);
    s.notes.push(format!("4: n = {n}, r = {r}, m = 3nr = {m}; noise variance 1e-3 (std {:.4}), as the protocol reads the talk's 1e-3", var.sqrt()));
    s.notes.push("4: step eta_p probed over 2^-k (3000 steps from alpha = 1e-3 and 1); main grid at eta_p/4, plus (full only) the same grid at eta_p/16 for the per-step-size curves (report-only, often capped at 1e5 steps before loss 1e-9); step test at alpha = 0.1 with eta_p/2 vs eta_p/8 at matched loss".into());
    if ctx.config.data.is_some() {
        s.notes.push(
            "4: --data is not used (the measurements are synthetic Gaussian matrices)".into(),
        );
    }

    // ---- X = U U^T, symmetric A_i, min-trace PSD reference.
    let sym = measurements(&mut rng, n, m, true, &x_star, var);
    let test_sym = measurements(&mut rng, n, 1000, true, &x_star, 0.0);
    let psd =
        min_trace_psd(&sym.a, n, &sym.y).map_err(|e| Error::reference("4: min-trace PSD", e))?;
    let fro = min_l2_interpolant(&sym.a, &sym.y)
        .map_err(|e| Error::reference("4: min-Frobenius", e))?
        .w;
    s.report("PSD reference: ADMM iterations", psd.iterations as f64);
    s.report(
        "PSD reference: constraint residual",
        psd.constraint_residual,
    );
    s.report(
        "PSD reference: ||X_ref - X*||_F / ||X*||_F",
        rel_fro(&psd.x, &x_star),
    );
    let init = init_dir(&mut ctx.rng("init"), n, 1);
    let eta_p = probe_step(&sym, true, &init, 3000);
    s.report("UU^T: probed step eta_p", eta_p);
    let alphas = [1e-3, 1e-2, 1e-1, 1.0, 3.0];
    let mut jobs: Vec<(f64, f64, u64, f64)> = alphas
        .iter()
        .map(|&a| (a, eta_p / 4.0, cap, 1e-9))
        .collect();
    if !ctx.quick() {
        jobs.extend(alphas.iter().map(|&a| (a, eta_p / 16.0, cap, 1e-9)));
    }
    let step_cap = ctx.pick(320_000, 100_000);
    let matched = ctx.pick(1e-6, 1e-4);
    jobs.push((0.1, eta_p / 2.0, step_cap, matched));
    jobs.push((0.1, eta_p / 8.0, step_cap, matched));
    let outs = ctx.par_map(&jobs, |&(alpha, eta, cap, stop)| {
        let name = format!("sym_alpha{alpha}_eta{:.3e}_stop{stop}", eta);
        train(
            ctx,
            &name,
            &sym,
            true,
            Job {
                alpha,
                eta,
                cap,
                stop,
            },
            &init,
        )
    })?;
    let test_err = |x: &[f64], t: &Sensing| -> f64 {
        let p = t.a.mul_vec(x);
        (p.iter()
            .zip(&t.y)
            .map(|(a, b)| (a - b).powi(2))
            .sum::<f64>()
            / t.y.len() as f64)
            .sqrt()
    };
    let ref_nuc = psd.objective;
    let mut fig_err = Figure::new(
        "4_error_vs_alpha",
        "4: X = UU^T, error and distances vs alpha",
        "alpha",
        "relative",
        true,
        true,
    );
    let mut sv = Figure::new(
        "4_singular_values",
        "4: singular values of every solution",
        "index",
        "singular value",
        false,
        true,
    );
    let idx: Vec<f64> = (1..=n).map(|i| i as f64).collect();
    let floor = |v: Vec<f64>| -> Vec<f64> { v.into_iter().map(|a| a.max(1e-12)).collect() };
    sv = sv
        .with(Series::new("X*", &idx, &floor(spectrum(&x_star, n))))
        .with(Series::new(
            "min-trace PSD",
            &idx,
            &floor(spectrum(&psd.x, n)),
        ))
        .with(Series::new(
            "min-Frobenius (sym)",
            &idx,
            &floor(spectrum(&fro, n)),
        ));
    // Per step size: (eta, alphas, error vs X*, distance to min-trace, nuclear ratio).
    #[allow(clippy::type_complexity)]
    let mut by_eta: Vec<(f64, Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>)> = Vec::new();
    for ((alpha, eta, _, stop), o) in jobs.iter().zip(&outs) {
        let key = format!("UU^T alpha={alpha} eta={eta:.3e}");
        let nr = nuclear_norm(&o.x, n) / ref_nuc;
        let (dref, derr, dfro) = (
            rel_fro(&o.x, &psd.x),
            rel_fro(&o.x, &x_star),
            rel_fro(&o.x, &fro),
        );
        s.report(&format!("{key}: nuclear ratio"), nr);
        s.report(&format!("{key}: dist to min-trace"), dref);
        s.report(&format!("{key}: error vs X*"), derr);
        s.report(&format!("{key}: dist to min-Frobenius"), dfro);
        s.report(&format!("{key}: final loss"), o.loss);
        s.report(&format!("{key}: steps"), o.steps as f64);
        s.report(&format!("{key}: held-out RMSE"), test_err(&o.x, &test_sym));
        if *stop < 1e-8 {
            match by_eta.iter_mut().find(|e| e.0 == *eta) {
                Some(e) => {
                    e.1.push(*alpha);
                    e.2.push(derr);
                    e.3.push(dref);
                    e.4.push(nr);
                }
                None => by_eta.push((*eta, vec![*alpha], vec![derr], vec![dref], vec![nr])),
            }
        }
        if *alpha == 1e-3 || *alpha == 3.0 {
            sv = sv.with(Series::new(
                &format!("GD UU^T alpha={alpha}"),
                &idx,
                &floor(spectrum(&o.x, n)),
            ));
        }
    }
    for (k, (eta, a, err, dref, _)) in by_eta.iter().enumerate() {
        let lbl = if k == 0 { "eta_p/4" } else { "eta_p/16" };
        fig_err = fig_err
            .with(Series::new(
                &format!("error vs X*, {lbl} ({eta:.2e})"),
                a,
                &err.iter().map(|v| v.max(1e-12)).collect::<Vec<_>>(),
            ))
            .with(Series::new(
                &format!("dist to min-trace, {lbl}"),
                a,
                &dref.iter().map(|v| v.max(1e-12)).collect::<Vec<_>>(),
            ));
        let fd: Vec<f64> = alphas
            .iter()
            .zip(&outs[k * alphas.len()..])
            .map(|(_, o)| rel_fro(&o.x, &fro))
            .collect();
        fig_err = fig_err.with(Series::new(
            &format!("dist to min-Frobenius, {lbl}"),
            a,
            &fd,
        ));
    }
    let main = &by_eta[0];
    let o0 = &outs[0];
    // Quick runs stop at 3e4 steps, before the noise is fully fitted: looser bounds (noted).
    let (lb, rlo, db) = ctx.pick((1e-4, 0.99, 0.01), (1e-3, 0.97, 0.02));
    if ctx.quick() {
        s.notes.push("4 (quick): n = 20, 3e4 steps: alpha = 1e-3 bounds loosened to loss <= 1e-3, ratio >= 0.97, distance <= 0.02; step test matched at loss 1e-4".into());
    }
    s.claim(Claim::at_most(
        "4: UU^T at alpha = 1e-3 fits the data",
        "final loss (1/2m)||A(X) - y||^2",
        o0.loss,
        lb,
    ));
    s.claim(Claim::within(
        "4: UU^T at alpha = 1e-3 reaches the min-trace PSD solution (nuclear norm)",
        "||X||_* / ||X_ref||_*",
        main.4[0],
        rlo,
        1.01,
    ));
    s.claim(Claim::at_most(
        "4: UU^T at alpha = 1e-3 reaches the min-trace PSD solution",
        "||X - X_ref||_F / ||X_ref||_F",
        main.3[0],
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
        nondec(&main.4),
        1e-3,
    ));
    s.claim(Claim::at_most(
        "4: error vs X* non-decreasing in alpha (5 values)",
        "max_i err(alpha_i) - err(alpha_{i+1})",
        nondec(&main.2),
        1e-3,
    ));
    s.claim(Claim::above(
        "4: negative control, alpha = 3 is not min-trace",
        "||X||_* / ||X_ref||_* at alpha = 3",
        main.4[4],
        1.05,
    ));
    let k = jobs.len();
    let (big, small) = (&outs[k - 2], &outs[k - 1]);
    let (eb, es) = (rel_fro(&big.x, &x_star), rel_fro(&small.x, &x_star));
    s.report("step test: loss reached at eta_p/2", big.loss);
    s.report("step test: loss reached at eta_p/8", small.loss);
    s.claim(Claim::at_most(
        "4: smaller step not worse at matched loss (alpha = 0.1, both stopped at loss <= 1e-6)",
        "err_X*(eta_p/8) - err_X*(eta_p/2)",
        es - eb,
        0.0,
    ));
    s.claim(Claim::is_true(
        "4: both step-test runs reached the matched loss",
        "loss(eta_p/2), loss(eta_p/8) <= matched loss (1e-6; quick 1e-4)",
        big.loss <= matched && small.loss <= matched,
    ));
    s.array("x_star", &x_star);
    s.array("min_trace_psd", &psd.x);
    s.array("uu_alpha1e-3", &o0.x);

    // ---- X = U V^T, general A_i, general min-nuclear reference.
    let gen = measurements(&mut rng, n, m, false, &x_star, var);
    let nuc = min_nuclear(&gen.a, n, &gen.y).map_err(|e| Error::reference("4: min-nuclear", e))?;
    let fro_g = min_l2_interpolant(&gen.a, &gen.y)
        .map_err(|e| Error::reference("4: min-Frobenius", e))?
        .w;
    s.report("nuclear reference: ADMM iterations", nuc.iterations as f64);
    s.report(
        "nuclear reference: ||X_nuc - X*||_F / ||X*||_F",
        rel_fro(&nuc.x, &x_star),
    );
    let init2 = init_dir(&mut ctx.rng("init-uv"), n, 2);
    let eta_q = probe_step(&gen, false, &init2, 3000);
    s.report("UV^T: probed step eta_p", eta_q);
    let ga: Vec<f64> = ctx.pick(vec![1e-5, 1e-3, 1e-1, 1.0], vec![1e-5, 1e-1]);
    let outs2 = ctx.par_map(&ga, |&alpha| {
        train(
            ctx,
            &format!("asym_alpha{alpha}"),
            &gen,
            false,
            Job {
                alpha,
                eta: eta_q / 4.0,
                cap,
                stop: 1e-9,
            },
            &init2,
        )
    })?;
    let (mut e2, mut dn, mut df, mut nrs) = (vec![], vec![], vec![], vec![]);
    for (alpha, o) in ga.iter().zip(&outs2) {
        let key = format!("UV^T alpha={alpha}");
        let nr = nuclear_norm(&o.x, n) / nuc.objective;
        e2.push(rel_fro(&o.x, &x_star));
        dn.push(rel_fro(&o.x, &nuc.x));
        df.push(rel_fro(&o.x, &fro_g));
        nrs.push(nr);
        s.report(&format!("{key}: nuclear ratio"), nr);
        s.report(
            &format!("{key}: dist to min-nuclear"),
            *dn.last().unwrap_or(&0.0),
        );
        s.report(&format!("{key}: error vs X*"), *e2.last().unwrap_or(&0.0));
        s.report(&format!("{key}: final loss"), o.loss);
        sv = sv.with(Series::new(
            &format!("GD UV^T alpha={alpha}"),
            &idx,
            &floor(spectrum(&o.x, n)),
        ));
    }
    sv = sv
        .with(Series::new(
            "min-nuclear (general)",
            &idx,
            &floor(spectrum(&nuc.x, n)),
        ))
        .with(Series::new(
            "min-Frobenius (general)",
            &idx,
            &floor(spectrum(&fro_g, n)),
        ));
    let o = &outs2[0];
    let err_nuc = crate::stats::norm2(
        &o.x.iter()
            .zip(&x_star)
            .map(|(a, b)| a - b)
            .collect::<Vec<_>>(),
    );
    let err_ref = crate::stats::norm2(
        &nuc.x
            .iter()
            .zip(&x_star)
            .map(|(a, b)| a - b)
            .collect::<Vec<_>>(),
    );
    s.claim(Claim::at_most(
        "4: UV^T (alpha = 1e-5) recovers X* far better than min-nuclear",
        "||X_GD - X*||_F / ||X_nuc - X*||_F",
        err_nuc / err_ref,
        0.8,
    ));
    s.claim(Claim::within(
        "4: UV^T (alpha = 1e-5) nuclear norm close to (not at) the minimum",
        "||X_GD||_* / ||X_nuc||_*",
        nrs[0],
        1.0,
        1.10,
    ));
    s.report(
        "UV^T alpha=1e-5: dist to min-nuclear (expected 0.25-0.55, not a claim)",
        dn[0],
    );
    s.notes.push("4: UV^T is NOT min-nuclear (Arora et al. 2019, Razin & Cohen 2020): it is biased to low rank; the distance to X_nuc is reported, not asserted".into());
    let mut fig2 = Figure::new(
        "4_asym_vs_alpha",
        "4: X = UV^T, error and distances vs alpha (eta_p/4)",
        "alpha",
        "relative",
        true,
        true,
    );
    fig2 = fig2
        .with(Series::new("error vs X*", &ga, &e2))
        .with(Series::new("dist to min-nuclear", &ga, &dn))
        .with(Series::new("dist to min-Frobenius", &ga, &df));
    s.array("min_nuclear", &nuc.x);
    s.array("uv_alpha1e-5", &o.x);
    ctx.save_figure(&mut s, &fig_err)?;
    ctx.save_figure(&mut s, &fig2)?;
    ctx.save_figure(&mut s, &sv)?;
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use autograd::Tensor;
    use nn::models::factorization::{measure, MatrixFactorization, SymmetricFactorization};
    use rand::SeedableRng;

    #[test]
    fn closed_form_gradients_match_the_tape() {
        let mut rng = StdRng::seed_from_u64(5);
        let n = 5;
        let x_star = gaussian_vec(&mut rng, n * n, 1.0);
        for sym in [true, false] {
            let p = measurements(&mut rng, n, 7, sym, &x_star, 0.01);
            let a = Tensor::from_vec(p.a.data.clone(), [7, n, n]).unwrap();
            let yt = Tensor::from_vec(p.y.clone(), [7, 1]).unwrap();
            let u = Tensor::from_vec(gaussian_vec(&mut rng, n * n, 1.0), [n, n])
                .unwrap()
                .requires_grad();
            let v = Tensor::from_vec(gaussian_vec(&mut rng, n * n, 1.0), [n, n])
                .unwrap()
                .requires_grad();
            let (theta, loss, tape) = if sym {
                let f = SymmetricFactorization { u: u.clone() };
                let l = measure(&a, &f.matrix()).squared_loss(&yt);
                l.backward();
                (u.to_vec(), l.item(), u.grad().unwrap().to_vec())
            } else {
                let f = MatrixFactorization {
                    u: u.clone(),
                    v: v.clone(),
                };
                let l = measure(&a, &f.matrix()).squared_loss(&yt);
                l.backward();
                let mut th = u.to_vec();
                th.extend(v.to_vec());
                let mut g = u.grad().unwrap().to_vec();
                g.extend(v.grad().unwrap().to_vec());
                (th, l.item(), g)
            };
            let mut g = vec![0.0; theta.len()];
            let l = if sym {
                p.grad_sym(&theta, &mut g)
            } else {
                p.grad_asym(&theta, &mut g)
            };
            assert!((l - loss).abs() < 1e-10 * (1.0 + loss), "{l} vs {loss}");
            assert!(
                rel_dist(&g, &tape) < 1e-10,
                "sym {sym}: {}",
                rel_dist(&g, &tape)
            );
        }
    }
}
