//! A small dense semidefinite program solver, the conic fallback of the nuclear-norm
//! references ([`super::min_trace_psd`], [`super::min_nuclear`]) where their ADMM does not
//! converge: a primal-dual interior point method with the HKM search direction (Helmberg,
//! Rendl, Vanderbei, Wolkowicz 1996; Kojima, Shindoh, Hara 1997; Monteiro 1997) for
//!
//! ```text
//! min <C, X>  s.t.  <A_i, X> = b_i (i = 1..m),  X PSD          (primal)
//! max b^T y   s.t.  Z = C - sum_i y_i A_i PSD                    (dual)
//! ```
//!
//! with symmetric `C` and `A_i` (`n x n`). From `X = xi I`, `Z = eta I`, `y = 0` (SDPT3's
//! starting point), each iteration solves the Newton system of the perturbed optimality
//! conditions `A(X) = b`, `A^*(y) + Z = C`, `X Z = sigma mu I` (`mu = <X, Z> / n`,
//! `sigma = 0.1`) through its Schur complement `M_ij = tr(A_i X A_j Z^-1)`, symmetrizes `dX`,
//! and steps 0.95 of the way to the boundary of the cone in `X` and in `(y, Z)` separately.
//! It stops when the relative primal and dual residuals and the relative gap `<X, Z>` are all
//! below `1e-10`, at 200 iterations, or when a step becomes too short to make progress.
//! Numerical trouble near the boundary (a failed Cholesky factorization, a non-finite
//! direction) ends it too. Unconverged, it returns the iterate with the least
//! `max(primal, dual, gap)` (near the end of a stalled run the primal residual can creep up
//! again as the Newton system loses accuracy). Cost per iteration:
//! `O(m n^3 + m^2 n^2 + m^3)`, dense `faer` algebra (these problems have `n <= 60`, `m <= 300`
//! here). The caller certifies the answer (its constraint residual and a dual bound from
//! `y`); this module only computes it.

use faer::linalg::solvers::{DenseSolveCore, Solve};
use faer::linalg::triangular_solve::solve_lower_triangular_in_place;
use faer::{Mat, Par, Side};

/// What the interior point method returns: the primal `X` (`n x n`, PSD), the dual `y`, the
/// iterations taken and whether the tolerances were met.
pub(super) struct SdpSolution {
    pub x: Mat<f64>,
    pub y: Vec<f64>,
    pub iterations: usize,
    pub converged: bool,
}

/// The relative tolerance on the primal and dual residuals and on the gap.
const TOL: f64 = 1e-10;
/// The iteration cap.
const MAX_ITERS: usize = 200;

fn inner(a: &Mat<f64>, b: &Mat<f64>) -> f64 {
    let mut s = 0.0;
    for j in 0..a.ncols() {
        for i in 0..a.nrows() {
            s += a[(i, j)] * b[(i, j)];
        }
    }
    s
}

fn fro(a: &Mat<f64>) -> f64 {
    inner(a, a).sqrt()
}

fn sym(a: &Mat<f64>) -> Mat<f64> {
    Mat::from_fn(a.nrows(), a.ncols(), |i, j| 0.5 * (a[(i, j)] + a[(j, i)]))
}

/// The largest `alpha` (or infinity) with `x + alpha d` PSD, for `x` positive definite:
/// `-1 / lambda_min(L^-1 d L^-T)` with `x = L L^T`.
fn max_step(x: &Mat<f64>, d: &Mat<f64>) -> Option<f64> {
    let llt = x.llt(Side::Lower).ok()?;
    let l = llt.L();
    // L^-1 d L^-T = (L^-1 (L^-1 d)^T)^T; d is symmetric.
    let mut left = d.clone();
    solve_lower_triangular_in_place(l, left.as_mut(), Par::Seq);
    let mut w = left.transpose().to_owned();
    solve_lower_triangular_in_place(l, w.as_mut(), Par::Seq);
    let w = sym(&w);
    let eig = w.self_adjoint_eigen(Side::Lower).ok()?;
    let s = eig.S().column_vector();
    let low = (0..w.nrows()).map(|i| s[i]).fold(f64::INFINITY, f64::min);
    Some(if low >= 0.0 {
        f64::INFINITY
    } else {
        -1.0 / low
    })
}

/// Solves the SDP above for `c` and `a` (`a[i]` is `A_i`), all symmetric `n x n`.
pub(super) fn solve(c: &Mat<f64>, a: &[Mat<f64>], b: &[f64]) -> SdpSolution {
    let (n, m) = (c.nrows(), a.len());
    let a_op = |x: &Mat<f64>| -> Vec<f64> { a.iter().map(|ai| inner(ai, x)).collect() };
    let a_adj = |y: &[f64]| -> Mat<f64> {
        let mut out = Mat::<f64>::zeros(n, n);
        for (ai, yi) in a.iter().zip(y) {
            out += ai * faer::Scale(*yi);
        }
        out
    };
    let nf = n as f64;
    let xi = a
        .iter()
        .zip(b)
        .map(|(ai, bi)| nf.sqrt() * (1.0 + bi.abs()) / (1.0 + fro(ai)))
        .fold(10.0_f64.max(nf.sqrt()), f64::max);
    let eta = a
        .iter()
        .map(fro)
        .fold(10.0_f64.max(nf.sqrt()).max(fro(c)), f64::max);
    let mut x = Mat::<f64>::identity(n, n) * faer::Scale(xi);
    let mut z = Mat::<f64>::identity(n, n) * faer::Scale(eta);
    let mut y = vec![0.0; m];
    let (bnorm, cnorm) = (b.iter().map(|v| v * v).sum::<f64>().sqrt(), fro(c));
    let mut converged = false;
    let mut iterations = MAX_ITERS;
    // The iterate with the least max(primal, dual, gap) so far, returned if not converged.
    let mut best = (f64::INFINITY, x.clone(), y.clone());
    for it in 0..=MAX_ITERS {
        let ax = a_op(&x);
        let rp: Vec<f64> = b.iter().zip(&ax).map(|(p, q)| p - q).collect();
        let rd = c - &z - a_adj(&y);
        let gap = inner(&x, &z);
        let primal = rp.iter().map(|v| v * v).sum::<f64>().sqrt() / (1.0 + bnorm);
        let dual = fro(&rd) / (1.0 + cnorm);
        let rel_gap = gap / (1.0 + inner(c, &x).abs());
        if primal <= TOL && dual <= TOL && rel_gap <= TOL {
            (converged, iterations) = (true, it);
            break;
        }
        let merit = primal.max(dual).max(rel_gap);
        if merit < best.0 {
            best = (merit, x.clone(), y.clone());
        }
        if it == MAX_ITERS {
            break;
        }
        let mu = gap / nf;
        let sigma = 0.1;
        // Numerical trouble near the boundary (a Cholesky factorization failing, a non-finite
        // direction) ends the iteration at the current interior point.
        let Ok(z_llt) = z.llt(Side::Lower) else {
            iterations = it;
            break;
        };
        let zi = z_llt.inverse();
        // The Schur complement M_ij = <A_i, X A_j Z^-1>, symmetric in exact arithmetic; both
        // triangles are computed and averaged (computing one triangle changed the rounding
        // enough that a 6 x 6 test problem stalled at a primal residual of 2e-8).
        let g: Vec<Mat<f64>> = a.iter().map(|aj| &x * aj * &zi).collect();
        let mut mm = Mat::<f64>::zeros(m, m);
        for i in 0..m {
            for j in 0..m {
                mm[(i, j)] = inner(&a[i], &g[j]);
            }
        }
        let mm = sym(&mm);
        let target = &zi * faer::Scale(sigma * mu) - &x;
        let a_target = a_op(&target);
        let a_corr = a_op(&(&x * &rd * &zi));
        let rhs = Mat::from_fn(m, 1, |i, _| rp[i] - a_target[i] + a_corr[i]);
        let dy = match mm.llt(Side::Lower) {
            Ok(llt) => llt.solve(&rhs),
            Err(_) => mm.partial_piv_lu().solve(&rhs),
        };
        let dy: Vec<f64> = (0..m).map(|i| dy[(i, 0)]).collect();
        if dy.iter().any(|v| !v.is_finite()) {
            iterations = it;
            break;
        }
        let dz = &rd - a_adj(&dy);
        let dx = sym(&(&target - &x * &dz * &zi));
        let (Some(sp), Some(sd)) = (max_step(&x, &dx), max_step(&z, &dz)) else {
            iterations = it;
            break;
        };
        let (ap, ad) = ((0.95 * sp).min(1.0), (0.95 * sd).min(1.0));
        if ap < 1e-12 && ad < 1e-12 {
            iterations = it + 1;
            break;
        }
        x += &dx * faer::Scale(ap);
        z += &dz * faer::Scale(ad);
        for (v, d) in y.iter_mut().zip(&dy) {
            *v += ad * d;
        }
    }
    if !converged {
        (x, y) = (best.1, best.2);
    }
    SdpSolution {
        x,
        y,
        iterations,
        converged,
    }
}
