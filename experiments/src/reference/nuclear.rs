//! Nuclear-norm references for matrix sensing (protocol 4): ADMM with an
//! exact affine projection and singular-value (or eigenvalue) thresholding,
//! on `faer` decompositions.
//!
//! Every solution carries a certificate of its accuracy: a dual-feasible `lambda` built from
//! the ADMM dual iterate gives a lower bound `y^T lambda` on the optimum (the duals are
//! `max y^T lambda s.t. I - A^* lambda PSD` for min-trace and `||A^* lambda||_op <= 1` for
//! min-nuclear), so `objective - dual_bound` bounds how far the objective is from optimal.
//! The solvers never abort a well-posed problem: when the ADMM residuals do not reach
//! [`ADMM_TOL`] in [`MAX_ITERS`] iterations, the last iterate is returned with
//! `converged: false` and its certified gap, unless the conic fallback does better: a small
//! dense interior point method for the same problem as a semidefinite program
//! ([`super::sdp`]; clarabel's own SDP support links a system BLAS/LAPACK), certified the same
//! way from its dual vector.
//!
//! Measurements: row `i` of `a` (`m x n^2`) is `vec(A_i)` (row-major), so
//! `A(X)_i = <A_i, X>`.

use faer::linalg::solvers::Solve;
use faer::{Mat, Side};

use super::{sdp, singular_values, Error, Matrix};

/// An ADMM solution: `x` is `n x n` row-major.
#[derive(Clone, Debug, PartialEq)]
pub struct NuclearSolution {
    /// The minimiser (the thresholded ADMM iterate, exactly PSD / low rank).
    pub x: Vec<f64>,
    /// `||x||_*` (equal to `tr x` in the PSD case).
    pub objective: f64,
    /// ADMM iterations taken.
    pub iterations: usize,
    /// `||A(x) - y|| / (1 + ||y||)` at the returned `x`.
    pub constraint_residual: f64,
    /// A certified lower bound on the optimal objective (the dual objective at a
    /// dual-feasible point).
    pub dual_bound: f64,
    /// Whether the solver that produced `x` met its tolerances: the ADMM residuals below
    /// [`ADMM_TOL`], or, after the fallback, the interior point method's.
    pub converged: bool,
    /// `Some(iterations)` when `x` comes from the interior-point fallback (tried when ADMM
    /// hits its cap, kept when its residual and certified gap are better).
    pub interior_point: Option<usize>,
}

impl NuclearSolution {
    /// The relative duality gap `|objective - dual_bound| / max(1, |objective|)`: how far,
    /// relatively, the objective is from optimal. `dual_bound` is a certified lower bound on
    /// the optimum; `objective` is taken at an iterate that misses `A(x) = y` by
    /// `constraint_residual`, so it can fall below the bound by about `||lambda||` times that
    /// (problems without a strictly feasible point, such as some completions, have large
    /// duals): hence the absolute value.
    pub fn relative_gap(&self) -> f64 {
        (self.objective - self.dual_bound).abs() / self.objective.abs().max(1.0)
    }
}

/// The convergence tolerance of [`min_nuclear`] / [`min_trace_psd`]: relative
/// primal and dual ADMM residuals below this.
pub const ADMM_TOL: f64 = 1e-8;
/// The ADMM iteration cap of [`min_nuclear`] / [`min_trace_psd`].
pub const MAX_ITERS: usize = 200_000;

/// `min ||X||_*  s.t.  A(X) = y` (general `X`, singular-value thresholding).
pub fn min_nuclear(a: &Matrix, n: usize, y: &[f64]) -> Result<NuclearSolution, Error> {
    admm(a, n, y, false)
}

/// `min tr X  s.t.  A(X) = y, X PSD` (symmetric `A_i`; eigenvalue thresholding).
pub fn min_trace_psd(a: &Matrix, n: usize, y: &[f64]) -> Result<NuclearSolution, Error> {
    admm(a, n, y, true)
}

/// The nuclear norm of the `n x n` row-major `x`.
pub fn nuclear_norm(x: &[f64], n: usize) -> f64 {
    singular_values(&Matrix::new(n, n, x.to_vec()).expect("x has n * n entries"))
        .iter()
        .sum()
}

/// `prox` of `t ||.||_*` (or of `t tr(.) + indicator(PSD)` when `psd`).
fn threshold(v: &[f64], n: usize, t: f64, psd: bool) -> Vec<f64> {
    let mut out = vec![0.0; n * n];
    if psd {
        let m = Mat::from_fn(n, n, |i, j| 0.5 * (v[i * n + j] + v[j * n + i]));
        let eig = m
            .self_adjoint_eigen(Side::Lower)
            .expect("symmetric eigendecomposition converges");
        let (u, s) = (eig.U(), eig.S().column_vector());
        for r in 0..n {
            let l = s[r] - t;
            if l > 0.0 {
                for i in 0..n {
                    let ui = l * u[(i, r)];
                    for j in 0..n {
                        out[i * n + j] += ui * u[(j, r)];
                    }
                }
            }
        }
    } else {
        let m = Mat::from_fn(n, n, |i, j| v[i * n + j]);
        let svd = m.svd().expect("the SVD of a finite matrix converges");
        let (u, w, s) = (svd.U(), svd.V(), svd.S().column_vector());
        for r in 0..n {
            let l = s[r] - t;
            if l > 0.0 {
                for i in 0..n {
                    let ui = l * u[(i, r)];
                    for j in 0..n {
                        out[i * n + j] += ui * w[(j, r)];
                    }
                }
            }
        }
    }
    out
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|a| a * a).sum::<f64>().sqrt()
}

fn admm(a: &Matrix, n: usize, y: &[f64], psd: bool) -> Result<NuclearSolution, Error> {
    if a.cols != n * n || a.rows != y.len() {
        return Err(Error::DimensionMismatch {
            left: format!("measurements are {} (need m x n^2 with n = {n})", a.shape()),
            right: format!("y has length {}", y.len()),
        });
    }
    let problem = if psd {
        "min-trace PSD (ADMM)"
    } else {
        "min-nuclear-norm (ADMM)"
    };
    let af = a.to_faer();
    let llt = (&af * af.transpose())
        .llt(Side::Lower)
        .map_err(|_| Error::Infeasible {
            problem,
            reason: "the measurement operator is not surjective (A A^T singular)",
        })?;
    let yf = Mat::from_fn(y.len(), 1, |i, _| y[i]);
    // Projection onto {A(X) = y}: v - A^T (A A^T)^{-1} (A v - y).
    let project = |v: &[f64]| -> Vec<f64> {
        let vf = Mat::from_fn(n * n, 1, |k, _| v[k]);
        let r = &af * &vf - &yf;
        let lam = llt.solve(&r);
        let corr = af.transpose() * &lam;
        (0..n * n).map(|k| v[k] - corr[(k, 0)]).collect()
    };
    let mut z = project(&vec![0.0; n * n]);
    let mut u = vec![0.0; n * n];
    let mut rho = 1.0 / (1e-12 + norm(&z) / n as f64);
    let mut iterations = MAX_ITERS;
    let mut converged = false;
    for it in 1..=MAX_ITERS {
        let v: Vec<f64> = z.iter().zip(&u).map(|(a, b)| a - b).collect();
        let x = project(&v);
        let w: Vec<f64> = x.iter().zip(&u).map(|(a, b)| a + b).collect();
        let z_new = threshold(&w, n, 1.0 / rho, psd);
        let mut r2 = 0.0;
        let mut s2 = 0.0;
        for k in 0..n * n {
            u[k] += x[k] - z_new[k];
            r2 += (x[k] - z_new[k]).powi(2);
            s2 += (z_new[k] - z[k]).powi(2);
        }
        z = z_new;
        let (r, s) = (r2.sqrt(), rho * s2.sqrt());
        let scale_p = norm(&x).max(norm(&z)).max(1e-300);
        let scale_d = (rho * norm(&u)).max(1e-300);
        if r <= ADMM_TOL * scale_p && s <= ADMM_TOL * scale_d {
            (iterations, converged) = (it, true);
            break;
        }
        // Residual balancing.
        if it % 20 == 0 {
            let (rp, sd) = (r / scale_p, s / scale_d);
            if rp > 10.0 * sd {
                rho *= 2.0;
                u.iter_mut().for_each(|v| *v /= 2.0);
            } else if sd > 10.0 * rp {
                rho /= 2.0;
                u.iter_mut().for_each(|v| *v *= 2.0);
            }
        }
    }
    let residual = |x: &[f64]| constraint_residual(a, y, x);
    let objective_of = |x: &[f64]| objective(x, n, psd);
    // The dual certificate of a dual vector lambda: scaled into the dual-feasible set
    // (`lambda_max(sym A^* lambda) <= 1` for min-trace, `||A^* lambda||_op <= 1` for
    // min-nuclear), `y^T lambda / scale` is a lower bound on the optimum.
    let certify = |lam: &Mat<f64>| -> f64 {
        let at = af.transpose() * lam;
        let excess = if psd {
            let m = Mat::from_fn(n, n, |i, j| 0.5 * (at[(i * n + j, 0)] + at[(j * n + i, 0)]));
            m.self_adjoint_eigen(Side::Lower)
                .map(|e| (0..n).map(|i| e.S().column_vector()[i]).fold(0.0, f64::max))
                .unwrap_or(f64::INFINITY)
        } else {
            let m = Mat::from_fn(n, n, |i, j| at[(i * n + j, 0)]);
            m.singular_values()
                .map(|sv| sv.iter().copied().fold(0.0, f64::max))
                .unwrap_or(f64::INFINITY)
        };
        (0..y.len()).map(|i| y[i] * lam[(i, 0)]).sum::<f64>() / excess.max(1.0)
    };
    // ADMM's dual: lambda = (A A^T)^{-1} A vec(G) for G = +-rho u (at the optimum
    // A^* lambda = rho u up to sign); the better bound.
    let dual_bound = [1.0, -1.0]
        .iter()
        .map(|sign| {
            let g = Mat::from_fn(n * n, 1, |k, _| sign * rho * u[k]);
            certify(&llt.solve(&(&af * &g)))
        })
        .fold(f64::NEG_INFINITY, f64::max);
    let mut solution = NuclearSolution {
        objective: objective_of(&z),
        constraint_residual: residual(&z),
        x: z,
        iterations,
        dual_bound,
        converged,
        interior_point: None,
    };
    if !converged {
        let (x, f) = interior_point(a, n, y, psd);
        let lam = Mat::from_fn(y.len(), 1, |i, _| f.y[i]);
        let candidate = NuclearSolution {
            objective: objective_of(&x),
            constraint_residual: residual(&x),
            x,
            iterations,
            dual_bound: certify(&lam),
            converged: f.converged,
            interior_point: Some(f.iterations),
        };
        let worst = |s: &NuclearSolution| s.constraint_residual.max(s.relative_gap());
        if worst(&candidate) < worst(&solution) {
            solution = candidate;
        }
    }
    Ok(solution)
}

/// `||A(x) - y|| / (1 + ||y||)` for the `n x n` row-major `x`.
fn constraint_residual(a: &Matrix, y: &[f64], x: &[f64]) -> f64 {
    let r: Vec<f64> = a.mul_vec(x).iter().zip(y).map(|(p, q)| p - q).collect();
    norm(&r) / (1.0 + norm(y))
}

/// The objective at the `n x n` row-major `x`: `tr x` (`psd`) or `||x||_*`.
fn objective(x: &[f64], n: usize, psd: bool) -> f64 {
    if psd {
        (0..n).map(|i| x[i * n + i]).sum()
    } else {
        nuclear_norm(x, n)
    }
}

/// Solves the problem as an SDP with [`sdp::solve`]: `min tr X s.t. <A_i, X> = y_i, X PSD`
/// (the `A_i` symmetrized), or for min-nuclear the standard embedding `min (tr W_1 + tr W_2)
/// / 2 s.t. <A_i, X> = y_i, [[W_1, X], [X^T, W_2]] PSD` over `2n x 2n` matrices, whose optimal
/// value is `||X||_*` (Fazel 2002). Returns `X` (`n x n` row-major: the symmetrized iterate,
/// or the embedding's upper right block) and the solver's output.
fn interior_point(a: &Matrix, n: usize, y: &[f64], psd: bool) -> (Vec<f64>, sdp::SdpSolution) {
    let size = if psd { n } else { 2 * n };
    let c = Mat::<f64>::identity(size, size) * faer::Scale(if psd { 1.0 } else { 0.5 });
    let ops: Vec<Mat<f64>> = (0..a.rows)
        .map(|i| {
            let r = a.row(i);
            if psd {
                Mat::from_fn(n, n, |p, q| 0.5 * (r[p * n + q] + r[q * n + p]))
            } else {
                Mat::from_fn(size, size, |p, q| match (p < n, q < n) {
                    (true, false) => 0.5 * r[p * n + (q - n)],
                    (false, true) => 0.5 * r[q * n + (p - n)],
                    _ => 0.0,
                })
            }
        })
        .collect();
    let f = sdp::solve(&c, &ops, y);
    let x = (0..n * n)
        .map(|k| {
            let (i, j) = (k / n, k % n);
            if psd {
                0.5 * (f.x[(i, j)] + f.x[(j, i)])
            } else {
                f.x[(i, n + j)]
            }
        })
        .collect();
    (x, f)
}

#[cfg(test)]
mod tests {
    use super::super::test_util::rng;
    use super::*;
    use rand_distr::{Distribution, StandardNormal};

    fn entry(n: usize, i: usize, j: usize, sym: bool) -> Vec<f64> {
        let mut a = vec![0.0; n * n];
        if sym {
            a[i * n + j] += 0.5;
            a[j * n + i] += 0.5;
        } else {
            a[i * n + j] = 1.0;
        }
        a
    }

    #[test]
    fn single_entry_has_nuclear_norm_one() {
        // min ||X||_* s.t. X_12 = 1 (2 x 2): X = e_1 e_2^T, norm 1.
        let a = Matrix::new(1, 4, entry(2, 0, 1, false)).unwrap();
        let s = min_nuclear(&a, 2, &[1.0]).unwrap();
        assert!((s.objective - 1.0).abs() < 1e-7, "{s:?}");
        for (v, e) in s.x.iter().zip([0.0, 1.0, 0.0, 0.0]) {
            assert!((v - e).abs() < 1e-6, "{s:?}");
        }
    }

    #[test]
    fn psd_completion_of_two_entries() {
        // min tr X s.t. X_11 = 1, X_12 = 1, X PSD: X_22 >= X_12^2 / X_11 = 1, so X = [[1,1],[1,1]].
        let mut data = entry(2, 0, 0, true);
        data.extend(entry(2, 0, 1, true));
        let a = Matrix::new(2, 4, data).unwrap();
        let s = min_trace_psd(&a, 2, &[1.0, 1.0]).unwrap();
        assert!((s.objective - 2.0).abs() < 1e-7, "{s:?}");
        for v in &s.x {
            assert!((v - 1.0).abs() < 1e-6, "{s:?}");
        }
    }

    #[test]
    fn recovers_a_low_rank_matrix_from_gaussian_measurements() {
        // Rank-1 PSD X* = v v^T, n = 6, 18 symmetric Gaussian measurements (< 21 = n(n+1)/2):
        // both programs recover X* (the recovery regime), and the general one matches the PSD one.
        let mut r = rng(7);
        let n = 6;
        let v: Vec<f64> = (0..n).map(|_| StandardNormal.sample(&mut r)).collect();
        let xs: Vec<f64> = (0..n * n).map(|k| v[k / n] * v[k % n]).collect();
        let m = 18;
        let mut data = Vec::new();
        for _ in 0..m {
            let g: Vec<f64> = (0..n * n).map(|_| StandardNormal.sample(&mut r)).collect();
            data.extend((0..n * n).map(|k| 0.5 * (g[k] + g[(k % n) * n + k / n])));
        }
        let a = Matrix::new(m, n * n, data).unwrap();
        let y = a.mul_vec(&xs);
        let psd = min_trace_psd(&a, n, &y).unwrap();
        let gen = min_nuclear(&a, n, &y).unwrap();
        let scale = norm(&xs);
        for s in [&psd, &gen] {
            let d: Vec<f64> = s.x.iter().zip(&xs).map(|(p, q)| p - q).collect();
            assert!(norm(&d) < 1e-5 * scale, "{s:?}");
            assert!(s.constraint_residual < 1e-7);
        }
        assert!((psd.objective - v.iter().map(|a| a * a).sum::<f64>()).abs() < 1e-6 * scale);
    }

    /// Symmetric Gaussian measurements, `m x n^2`.
    fn gaussian(r: &mut rand::rngs::StdRng, n: usize, m: usize) -> Matrix {
        let mut data = Vec::new();
        for _ in 0..m {
            let g: Vec<f64> = (0..n * n).map(|_| StandardNormal.sample(r)).collect();
            data.extend((0..n * n).map(|k| 0.5 * (g[k] + g[(k % n) * n + k / n])));
        }
        Matrix::new(m, n * n, data).unwrap()
    }

    #[test]
    fn certificates_match_known_optima() {
        // The 2 x 2 completion above (optimum 2) and the single entry (optimum 1): the dual
        // bound is a lower bound and meets the objective.
        let mut data = entry(2, 0, 0, true);
        data.extend(entry(2, 0, 1, true));
        let a = Matrix::new(2, 4, data).unwrap();
        let s = min_trace_psd(&a, 2, &[1.0, 1.0]).unwrap();
        assert!(
            s.converged && s.dual_bound <= 2.0 + 1e-9 && s.relative_gap() < 1e-6,
            "{s:?}"
        );
        let a = Matrix::new(1, 4, entry(2, 0, 1, false)).unwrap();
        let s = min_nuclear(&a, 2, &[1.0]).unwrap();
        assert!(
            s.converged && s.dual_bound <= 1.0 + 1e-9 && s.relative_gap() < 1e-6,
            "{s:?}"
        );
    }

    #[test]
    fn same_solution_over_a_range_of_conditioning() {
        // Scaling the rows of (A, y) by up to kappa = 1e6 (A's condition number) leaves the
        // feasible set, and so the solution, unchanged. Below recovery (m = 14 measurements
        // of a rank-2 6 x 6 matrix, 11 degrees of freedom, but no recovery guarantee) the
        // solution is not known in closed form: the solver is held to its own certificate and
        // to the same answer at every conditioning.
        for psd in [true, false] {
            let mut r = rng(11);
            let n = 6;
            let u: Vec<f64> = (0..2 * n).map(|_| StandardNormal.sample(&mut r)).collect();
            let xs: Vec<f64> = (0..n * n)
                .map(|k| {
                    let (i, j) = (k / n, k % n);
                    u[i] * u[j] + u[n + i] * u[n + j]
                })
                .collect();
            let base = gaussian(&mut rng(5), n, 14);
            let mut first: Option<NuclearSolution> = None;
            for kappa in [1.0f64, 1e2, 1e4, 1e6] {
                let scaled = Matrix::new(
                    base.rows,
                    base.cols,
                    (0..base.rows * base.cols)
                        .map(|q| base.data[q] * kappa.powf((q / base.cols) as f64 / 13.0))
                        .collect(),
                )
                .unwrap();
                let y = scaled.mul_vec(&xs);
                let s = if psd {
                    min_trace_psd(&scaled, n, &y)
                } else {
                    min_nuclear(&scaled, n, &y)
                }
                .unwrap();
                assert!(
                    s.dual_bound <= s.objective * (1.0 + 1e-9),
                    "kappa {kappa}: {s:?}"
                );
                assert!(
                    s.relative_gap() < 1e-6,
                    "kappa {kappa}, psd {psd}: gap {}",
                    s.relative_gap()
                );
                assert!(s.constraint_residual < 1e-6, "kappa {kappa}: {s:?}");
                match &first {
                    None => first = Some(s),
                    Some(f) => {
                        let d: Vec<f64> = s.x.iter().zip(&f.x).map(|(p, q)| p - q).collect();
                        assert!(
                            norm(&d) < 1e-4 * norm(&f.x),
                            "kappa {kappa}, psd {psd}: moved by {}",
                            norm(&d) / norm(&f.x)
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn certified_on_a_completion_problem_the_residuals_do_not_resolve() {
        // 105 of the 465 entries (i <= j) of a 30 x 30 rank-2 PSD matrix (the draw of seed 0;
        // most draws converge in a few thousand iterations): no strictly feasible completion,
        // a large dual, and ADMM residuals that stall above ADMM_TOL (why full matrix_sensing
        // runs use n = 20). The solver returns its iterate and its certified gap, not an
        // error. Measured: ADMM not converged in 2e5 iterations, gap 1.0e-4, residual 8.6e-7;
        // the interior point fallback (which slows down too without a strictly feasible
        // point) then improves both: residual 3.6e-8 (its best iterate), certified gap 1.4e-5.
        let (n, mut r) = (30, rng(0));
        let u: Vec<f64> = (0..2 * n).map(|_| StandardNormal.sample(&mut r)).collect();
        let mut pairs: Vec<(usize, usize)> =
            (0..n).flat_map(|i| (i..n).map(move |j| (i, j))).collect();
        for k in (1..pairs.len()).rev() {
            pairs.swap(k, rand::Rng::gen_range(&mut r, 0..=k));
        }
        pairs.truncate(105);
        let data: Vec<f64> = pairs
            .iter()
            .flat_map(|&(i, j)| entry(n, i, j, true))
            .collect();
        let a = Matrix::new(105, n * n, data).unwrap();
        let y: Vec<f64> = pairs
            .iter()
            .map(|&(i, j)| u[i] * u[j] + u[n + i] * u[n + j])
            .collect();
        let s = min_trace_psd(&a, n, &y).unwrap();
        assert!(!s.converged && s.iterations == MAX_ITERS, "{s:?}");
        assert!(s.interior_point.is_some(), "the fallback did better");
        assert!(s.relative_gap() < 5e-5, "gap {}", s.relative_gap());
        assert!(s.constraint_residual < 2e-7, "{}", s.constraint_residual);
    }

    /// The interior point fallback on its own, as [`admm`] calls it: `(x, objective,
    /// residual, converged)`.
    fn by_interior_point(a: &Matrix, n: usize, y: &[f64], psd: bool) -> (Vec<f64>, f64, f64, bool) {
        let (x, f) = interior_point(a, n, y, psd);
        let (obj, res) = (objective(&x, n, psd), constraint_residual(a, y, &x));
        (x, obj, res, f.converged)
    }

    #[test]
    fn interior_point_fallback_solves_known_problems() {
        // min tr X s.t. X_11 = 1, X_12 = 1, X PSD: X = [[1, 1], [1, 1]], optimum 2 (a strictly
        // feasible point exists: [[1, 1], [1, 2]]).
        let mut data = entry(2, 0, 0, true);
        data.extend(entry(2, 0, 1, true));
        let a = Matrix::new(2, 4, data).unwrap();
        let (x, objective, residual, converged) = by_interior_point(&a, 2, &[1.0, 1.0], true);
        assert!(converged && residual < 1e-9, "{residual}");
        assert!((objective - 2.0).abs() < 1e-7, "{objective}");
        assert!(x.iter().all(|v| (v - 1.0).abs() < 1e-6), "{x:?}");
        // min ||X||_* s.t. X_12 = 1 (2 x 2), through the 4 x 4 embedding: X = e_1 e_2^T.
        let a = Matrix::new(1, 4, entry(2, 0, 1, false)).unwrap();
        let (x, objective, residual, converged) = by_interior_point(&a, 2, &[1.0], false);
        assert!(converged && residual < 1e-9, "{residual}");
        assert!((objective - 1.0).abs() < 1e-7, "{objective}");
        for (v, e) in x.iter().zip([0.0, 1.0, 0.0, 0.0]) {
            assert!((v - e).abs() < 1e-6, "{x:?}");
        }
    }

    #[test]
    fn interior_point_fallback_agrees_with_admm_where_both_converge() {
        // Below recovery (14 symmetric Gaussian measurements of a rank-2 6 x 6 matrix): no
        // closed form, but a unique optimum both solvers reach; the two answers agree, for
        // min-trace and (through the embedding) for min-nuclear.
        let mut r = rng(5);
        let n = 6;
        let a = gaussian(&mut r, n, 14);
        let u: Vec<f64> = (0..2 * n).map(|_| StandardNormal.sample(&mut r)).collect();
        let xs: Vec<f64> = (0..n * n)
            .map(|k| u[k / n] * u[k % n] + u[n + k / n] * u[n + k % n])
            .collect();
        let y = a.mul_vec(&xs);
        for psd in [true, false] {
            let s = if psd {
                min_trace_psd(&a, n, &y)
            } else {
                min_nuclear(&a, n, &y)
            }
            .unwrap();
            assert!(s.converged && s.interior_point.is_none(), "{s:?}");
            let (x, objective, residual, converged) = by_interior_point(&a, n, &y, psd);
            assert!(converged && residual < 1e-9, "psd {psd}: {residual}");
            assert!(
                (objective - s.objective).abs() < 1e-6 * s.objective,
                "psd {psd}"
            );
            let d: Vec<f64> = x.iter().zip(&s.x).map(|(p, q)| p - q).collect();
            assert!(
                norm(&d) < 1e-4 * norm(&s.x),
                "psd {psd}: {}",
                norm(&d) / norm(&s.x)
            );
        }
    }

    #[test]
    fn rejects_mismatched_shapes() {
        let a = Matrix::new(1, 4, vec![1.0; 4]).unwrap();
        assert!(matches!(
            min_nuclear(&a, 3, &[1.0]),
            Err(Error::DimensionMismatch { .. })
        ));
    }
}
