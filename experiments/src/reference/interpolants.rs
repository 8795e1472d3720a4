//! Interpolants (minimum-norm solutions of the underdetermined system `X w = y`), least
//! squares and ridge regression.

use faer::linalg::solvers::Solve;
use faer::Side;

use super::conic::{interpolation_rows, min_norm, LinearConstraints, Norm};
use super::{check_samples, dot, Error, Matrix, Solution, Status};

/// Relative singular value cut-off of the pseudo-inverse: `s_i <= 1e-10 * s_max` counts as zero.
const PINV_RCOND: f64 = 1e-10;
/// An interpolant must satisfy `||X w - y||_inf <= INTERP_TOL * (1 + ||y||_inf)`.
const INTERP_TOL: f64 = 1e-8;

/// The minimum-l2-norm interpolant
///
/// ```text
/// w = argmin ||w||_2  s.t.  X w = y,      w = X^T (X X^T)^{-1} y = X^+ y,
/// ```
///
/// the limit of gradient descent from zero on the squared loss of an
/// underdetermined linear regression. Uses the Cholesky factorization of the
/// `n x n` Gram matrix `X X^T`; if that fails or leaves a residual (rank-deficient
/// `X`) it falls back to the pseudo-inverse `X^+ = V S^+ U^T` from `faer`'s thin
/// SVD, with singular values below `1e-10 * s_max` treated as zero.
///
/// `objective` is `||w||_2`. Errors: `y.len() != n` ([`Error::DimensionMismatch`]),
/// `y` not in the range of `X` ([`Error::Infeasible`]).
pub fn min_l2_interpolant(x: &Matrix, y: &[f64]) -> Result<Solution, Error> {
    check_samples(x, y, "y")?;
    let w = match gram_cholesky_solve(x, y) {
        Some(w) if interpolates(x, &w, y) => w,
        _ => pinv_solve(x, y),
    };
    if !interpolates(x, &w, y) {
        return Err(Error::Infeasible {
            problem: "min-l2 interpolation",
            reason: "y is not in the range of X, no w solves X w = y",
        });
    }
    let objective = super::dot(&w, &w).sqrt();
    Ok(Solution {
        w,
        objective,
        status: Status::ClosedForm,
    })
}

/// The interpolant closest to `w0`
///
/// ```text
/// w = argmin ||w - w0||_2  s.t.  X w = y,      w = X^+ y + (I - X^+ X) w0,
/// ```
///
/// the limit of gradient descent from `w0` on the squared loss. Computed as
/// `w0 + X^+ (y - X w0)` with [`min_l2_interpolant`] (the same formula).
///
/// `objective` is `||w - w0||_2`. Errors as for [`min_l2_interpolant`], and a
/// [`Error::DimensionMismatch`] when `w0.len() != d`.
pub fn closest_interpolant(x: &Matrix, y: &[f64], w0: &[f64]) -> Result<Solution, Error> {
    check_samples(x, y, "y")?;
    if w0.len() != x.cols {
        return Err(Error::DimensionMismatch {
            left: format!("x is {} ({} features)", x.shape(), x.cols),
            right: format!("w0 has length {}", w0.len()),
        });
    }
    let residual: Vec<f64> = x.mul_vec(w0).iter().zip(y).map(|(p, t)| t - p).collect();
    let step = min_l2_interpolant(x, &residual)?;
    let w = w0.iter().zip(&step.w).map(|(a, b)| a + b).collect();
    Ok(Solution {
        w,
        objective: step.objective,
        status: Status::ClosedForm,
    })
}

/// The distance from `w` to the set of interpolants,
///
/// ```text
/// min { ||u - w||_2 : X u = y } = ||X^+ (X w - y)||_2,
/// ```
///
/// the objective of [`closest_interpolant`] from `w`. A run that ended this far from the
/// interpolants cannot tell apart interpolants closer together than that. Errors as for
/// [`closest_interpolant`].
pub fn distance_to_interpolants(x: &Matrix, y: &[f64], w: &[f64]) -> Result<f64, Error> {
    Ok(closest_interpolant(x, y, w)?.objective)
}

/// The achieved accuracy of an interpolant `w` of `X w = y`: `||X w - y|| / (1 + ||y||)`.
pub fn interpolation_residual(x: &Matrix, y: &[f64], w: &[f64]) -> f64 {
    let r: Vec<f64> = x.mul_vec(w).iter().zip(y).map(|(a, b)| a - b).collect();
    dot(&r, &r).sqrt() / (1.0 + dot(y, y).sqrt())
}

/// The minimum-l1-norm interpolant (basis pursuit)
///
/// ```text
/// min ||w||_1  s.t.  X w = y,
/// ```
///
/// solved by clarabel as the LP `min sum_j t_j  s.t.  X w = y, -t <= w <= t`.
/// `objective` is `||w||_1`. Errors: shape mismatch, infeasible system,
/// solver failure.
pub fn min_l1_interpolant(x: &Matrix, y: &[f64]) -> Result<Solution, Error> {
    min_norm_interpolant(Norm::L1, x, y, "min-l1 interpolation")
}

/// The minimum-l-infinity-norm interpolant
///
/// ```text
/// min ||w||_inf  s.t.  X w = y,
/// ```
///
/// solved by clarabel as the LP `min t  s.t.  X w = y, -t <= w_j <= t`.
/// `objective` is `||w||_inf`. Errors: shape mismatch, infeasible system,
/// solver failure.
pub fn min_linf_interpolant(x: &Matrix, y: &[f64]) -> Result<Solution, Error> {
    min_norm_interpolant(Norm::Linf, x, y, "min-linf interpolation")
}

fn min_norm_interpolant(
    norm: Norm,
    x: &Matrix,
    y: &[f64],
    problem: &'static str,
) -> Result<Solution, Error> {
    check_samples(x, y, "y")?;
    let constraints = LinearConstraints {
        equal: interpolation_rows(x, y),
        less_equal: Vec::new(),
    };
    let reason = "no w solves X w = y";
    let (w, _, status) = min_norm(norm, x.cols, constraints, problem, reason)?;
    Ok(Solution {
        objective: norm.value(&w),
        w,
        status,
    })
}

/// The least-squares solution
///
/// ```text
/// w = argmin ||X w - y||_2      (the one of least ||w||_2 when X has dependent columns),
/// ```
///
/// i.e. `X^+ y`: for `n >= d` with independent columns the unique minimizer (by `faer`'s
/// Cholesky factorization of `X^T X`, falling back to the pseudo-inverse), for `n < d` the
/// minimum-l2 interpolant. `objective` is the residual `||X w - y||_2`. Errors: `y.len() != n`.
pub fn least_squares(x: &Matrix, y: &[f64]) -> Result<Solution, Error> {
    check_samples(x, y, "y")?;
    let xf = x.to_faer();
    let normal = xf.transpose() * &xf;
    let w = match normal.llt(Side::Lower) {
        Ok(llt) if x.rows >= x.cols => {
            let rhs = xf.transpose() * faer::Mat::from_fn(y.len(), 1, |i, _| y[i]);
            let w = llt.solve(&rhs);
            (0..x.cols).map(|j| w[(j, 0)]).collect()
        }
        _ => pinv_solve(x, y),
    };
    let r: Vec<f64> = x.mul_vec(&w).iter().zip(y).map(|(a, b)| a - b).collect();
    Ok(Solution {
        objective: super::dot(&r, &r).sqrt(),
        w,
        status: Status::ClosedForm,
    })
}

/// Ridge regression
///
/// ```text
/// w = argmin ||X w - y||_2^2 + lambda ||w||_2^2 = (X^T X + lambda I)^{-1} X^T y,    lambda > 0,
/// ```
///
/// by `faer`'s Cholesky factorization (of the `d x d` system, or of the `n x n` one
/// `w = X^T (X X^T + lambda I)^{-1} y` when `n < d`). `objective` is the penalized loss at `w`.
/// Errors: `y.len() != n`, `lambda` not positive and finite.
pub fn ridge(x: &Matrix, y: &[f64], lambda: f64) -> Result<Solution, Error> {
    check_samples(x, y, "y")?;
    if !(lambda > 0.0 && lambda.is_finite()) {
        return Err(Error::InvalidParameter {
            name: "lambda",
            value: lambda.to_string(),
            expected: "> 0 and finite",
        });
    }
    let xf = x.to_faer();
    let yf = faer::Mat::from_fn(y.len(), 1, |i, _| y[i]);
    let w = if x.rows < x.cols {
        let mut k = &xf * xf.transpose();
        (0..x.rows).for_each(|i| k[(i, i)] += lambda);
        let a = k
            .llt(Side::Lower)
            .expect("X X^T + lambda I is positive definite")
            .solve(&yf);
        xf.transpose() * a
    } else {
        let mut k = xf.transpose() * &xf;
        (0..x.cols).for_each(|j| k[(j, j)] += lambda);
        k.llt(Side::Lower)
            .expect("X^T X + lambda I is positive definite")
            .solve(&(xf.transpose() * yf))
    };
    let w: Vec<f64> = (0..x.cols).map(|j| w[(j, 0)]).collect();
    let r: Vec<f64> = x.mul_vec(&w).iter().zip(y).map(|(a, b)| a - b).collect();
    Ok(Solution {
        objective: super::dot(&r, &r) + lambda * super::dot(&w, &w),
        w,
        status: Status::ClosedForm,
    })
}

/// `X^T (X X^T)^{-1} y` by Cholesky, or `None` if the Gram matrix is not positive definite.
fn gram_cholesky_solve(x: &Matrix, y: &[f64]) -> Option<Vec<f64>> {
    let xf = x.to_faer();
    let gram = &xf * xf.transpose();
    let llt = gram.llt(Side::Lower).ok()?;
    let rhs = faer::Mat::from_fn(y.len(), 1, |i, _| y[i]);
    let lambda = llt.solve(&rhs);
    let w = xf.transpose() * &lambda;
    Some((0..x.cols).map(|j| w[(j, 0)]).collect())
}

/// `X^+ y = sum_{s_i > rcond s_max} v_i <u_i, y> / s_i` from the thin SVD.
fn pinv_solve(x: &Matrix, y: &[f64]) -> Vec<f64> {
    let mut w = vec![0.0; x.cols];
    if x.rows == 0 || x.cols == 0 {
        return w;
    }
    let svd = x
        .to_faer()
        .thin_svd()
        .expect("the SVD of a finite matrix converges");
    let (u, v, s) = (svd.U(), svd.V(), svd.S().column_vector());
    let cutoff = PINV_RCOND * s[0];
    for r in (0..s.nrows()).filter(|&r| s[r] > cutoff) {
        let coef = (0..x.rows).map(|i| u[(i, r)] * y[i]).sum::<f64>() / s[r];
        w.iter_mut()
            .enumerate()
            .for_each(|(j, wj)| *wj += coef * v[(j, r)]);
    }
    w
}

/// Whether `||X w - y||_inf <= INTERP_TOL * (1 + ||y||_inf)`.
fn interpolates(x: &Matrix, w: &[f64], y: &[f64]) -> bool {
    let scale = 1.0 + y.iter().fold(0.0, |m: f64, v| m.max(v.abs()));
    let worst = x
        .mul_vec(w)
        .iter()
        .zip(y)
        .fold(0.0, |m: f64, (p, t)| m.max((p - t).abs()));
    worst <= INTERP_TOL * scale
}

#[cfg(test)]
mod tests {
    use super::super::conic::{interpolation_rows, min_norm, LinearConstraints, Norm};
    use super::super::dot;
    use super::super::test_util::{assert_close, random_matrix, random_vec, rng, scale_columns};
    use super::*;

    #[test]
    fn interpolation_residual_by_hand() {
        let x = Matrix::from_rows(&[[1.0, 0.0], [0.0, 1.0]]).unwrap();
        let y = [3.0, 4.0];
        assert_eq!(interpolation_residual(&x, &y, &[3.0, 4.0]), 0.0);
        // Residual (0, -4), ||y|| = 5: 4 / 6.
        assert!((interpolation_residual(&x, &y, &[3.0, 0.0]) - 2.0 / 3.0).abs() < 1e-15);
    }

    fn one_equation() -> (Matrix, Vec<f64>) {
        (Matrix::from_rows(&[[1.0, 2.0]]).unwrap(), vec![1.0])
    }

    /// Least squares by hand: y = (1, 2, 4) on x = (1, 1, 1)^T (a constant fit) gives the mean
    /// 7/3 with residual ||(1, 2, 4) - 7/3||; an underdetermined system gives the min-l2
    /// interpolant.
    #[test]
    fn least_squares_by_hand_and_underdetermined() {
        let x = Matrix::from_rows(&[[1.0], [1.0], [1.0]]).unwrap();
        let s = least_squares(&x, &[1.0, 2.0, 4.0]).unwrap();
        assert_close(&s.w, &[7.0 / 3.0], 1e-14);
        let r: f64 = [1.0f64, 2.0, 4.0]
            .iter()
            .map(|v| (v - 7.0 / 3.0).powi(2))
            .sum();
        assert!((s.objective - r.sqrt()).abs() < 1e-14);
        let (x, y) = one_equation();
        let ls = least_squares(&x, &y).unwrap();
        assert_close(&ls.w, &min_l2_interpolant(&x, &y).unwrap().w, 1e-14);
        assert!(ls.objective < 1e-14);
    }

    /// Ridge satisfies its normal equations `(X^T X + lambda I) w = X^T y` in both branches
    /// (`n >= d` and `n < d`), tends to least squares as `lambda -> 0`, and refuses `lambda <= 0`.
    #[test]
    fn ridge_solves_its_normal_equations() {
        let mut r = rng(5);
        for (n, d) in [(12, 4), (4, 12)] {
            let x = random_matrix(&mut r, n, d);
            let y = random_vec(&mut r, n);
            for lambda in [1e-3, 0.5, 10.0] {
                let w = ridge(&x, &y, lambda).unwrap().w;
                let xw = x.mul_vec(&w);
                let lhs: Vec<f64> = x
                    .t_mul_vec(&xw)
                    .iter()
                    .zip(&w)
                    .map(|(a, b)| a + lambda * b)
                    .collect();
                assert_close(&lhs, &x.t_mul_vec(&y), 1e-10);
            }
            let tiny = ridge(&x, &y, 1e-12).unwrap().w;
            assert_close(&tiny, &least_squares(&x, &y).unwrap().w, 1e-6);
        }
        let (x, y) = one_equation();
        for bad in [0.0, -1.0, f64::NAN] {
            let err = ridge(&x, &y, bad).unwrap_err().to_string();
            assert!(err.contains("lambda"), "{err}");
        }
    }

    #[test]
    fn one_equation_by_hand() {
        // x1 + 2 x2 = 1. l2: w = a / ||a||^2 = (1, 2) / 5. l1: all weight on the
        // larger coefficient, w = (0, 1/2). linf: w1 = w2 = t, 3 t = 1.
        let (x, y) = one_equation();
        let l2 = min_l2_interpolant(&x, &y).unwrap();
        assert_close(&l2.w, &[0.2, 0.4], 1e-12);
        assert!((l2.objective - 5f64.sqrt() / 5.0).abs() < 1e-12);
        let l1 = min_l1_interpolant(&x, &y).unwrap();
        assert_close(&l1.w, &[0.0, 0.5], 1e-7);
        assert!((l1.objective - 0.5).abs() < 1e-7);
        let linf = min_linf_interpolant(&x, &y).unwrap();
        assert_close(&linf.w, &[1.0 / 3.0, 1.0 / 3.0], 1e-7);
        assert!((linf.objective - 1.0 / 3.0).abs() < 1e-7);
    }

    #[test]
    fn closest_interpolant_projects_onto_the_affine_set() {
        // Projection of w0 = (0, 1) onto {w : w1 + 2 w2 = 1}:
        // w0 - (<a, w0> - 1) / ||a||^2 a = (0, 1) - (1/5)(1, 2) = (-1/5, 3/5).
        let (x, y) = one_equation();
        let s = closest_interpolant(&x, &y, &[0.0, 1.0]).unwrap();
        assert_close(&s.w, &[-0.2, 0.6], 1e-12);
        assert!((s.objective - 5f64.sqrt() / 5.0).abs() < 1e-12);
        // A point already on the set stays put.
        let s = closest_interpolant(&x, &y, &[1.0, 0.0]).unwrap();
        assert_close(&s.w, &[1.0, 0.0], 1e-12);
    }

    #[test]
    fn rank_deficient_uses_the_pseudo_inverse() {
        // The second equation is twice the first: same solution as one equation.
        let x = Matrix::from_rows(&[[1.0, 2.0], [2.0, 4.0]]).unwrap();
        let s = min_l2_interpolant(&x, &[1.0, 2.0]).unwrap();
        assert_close(&s.w, &[0.2, 0.4], 1e-10);
        // Inconsistent right-hand side: no interpolant.
        let err = min_l2_interpolant(&x, &[1.0, 3.0]).unwrap_err();
        assert!(matches!(err, Error::Infeasible { .. }), "{err}");
        let err = min_l1_interpolant(&x, &[1.0, 3.0]).unwrap_err();
        assert!(matches!(err, Error::Infeasible { .. }), "{err}");
    }

    #[test]
    fn both_closed_form_paths_agree_with_hand_solutions() {
        // Full rank: both the Cholesky and the SVD path give (1, 2) / 5.
        let (x, y) = one_equation();
        assert_close(&gram_cholesky_solve(&x, &y).unwrap(), &[0.2, 0.4], 1e-12);
        assert_close(&pinv_solve(&x, &y), &[0.2, 0.4], 1e-12);
        // Rank one, 3 x 2: rows are multiples of (1, 1); y = (1, 2, 3) is
        // consistent with w1 + w2 = 1, whose min-norm point is (1/2, 1/2).
        let x = Matrix::from_rows(&[[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]]).unwrap();
        assert_close(&pinv_solve(&x, &[1.0, 2.0, 3.0]), &[0.5, 0.5], 1e-10);
        let s = min_l2_interpolant(&x, &[1.0, 2.0, 3.0]).unwrap();
        assert_close(&s.w, &[0.5, 0.5], 1e-10);
    }

    #[test]
    fn closed_form_matches_the_clarabel_qp() {
        let mut r = rng(1);
        for _ in 0..5 {
            let (x, y) = (random_matrix(&mut r, 4, 9), random_vec(&mut r, 4));
            let closed = min_l2_interpolant(&x, &y).unwrap();
            let cons = LinearConstraints {
                equal: interpolation_rows(&x, &y),
                less_equal: vec![],
            };
            let (w, _, _) = min_norm(Norm::HalfSquaredL2, 9, cons, "qp", "").unwrap();
            assert_close(&closed.w, &w, 1e-7);
        }
    }

    /// Convexity: `w` is a global minimiser of `norm` on `{X w = y}` iff no
    /// feasible direction decreases it; probe random null-space directions.
    fn assert_locally_optimal(norm: impl Fn(&[f64]) -> f64, x: &Matrix, w: &[f64], seed: u64) {
        let mut r = rng(seed);
        let zeros = vec![0.0; x.rows];
        for _ in 0..200 {
            let dir = closest_interpolant(x, &zeros, &random_vec(&mut r, x.cols)).unwrap();
            assert_close(&x.mul_vec(&dir.w), &zeros, 1e-9);
            for step in [1e-3, 1e-1] {
                let moved: Vec<f64> = w.iter().zip(&dir.w).map(|(a, b)| a + step * b).collect();
                assert!(norm(&moved) >= norm(w) - 1e-7, "descent direction found");
            }
        }
    }

    #[test]
    fn l1_and_linf_are_feasible_and_optimal_on_random_systems() {
        let mut r = rng(2);
        for seed in 0..4 {
            let (x, y) = (random_matrix(&mut r, 3, 7), random_vec(&mut r, 3));
            let l1 = min_l1_interpolant(&x, &y).unwrap();
            assert_close(&x.mul_vec(&l1.w), &y, 1e-7);
            assert_locally_optimal(|w| Norm::L1.value(w), &x, &l1.w, seed);
            // A basic solution of the LP has at most n = 3 nonzeros.
            assert!(l1.w.iter().filter(|v| v.abs() > 1e-6).count() <= 3);
            let linf = min_linf_interpolant(&x, &y).unwrap();
            assert_close(&x.mul_vec(&linf.w), &y, 1e-7);
            assert_locally_optimal(|w| Norm::Linf.value(w), &x, &linf.w, seed);
            // The l2 interpolant is feasible, so it cannot beat either optimum.
            let l2 = min_l2_interpolant(&x, &y).unwrap();
            assert!(Norm::L1.value(&l2.w) >= l1.objective - 1e-8);
            assert!(Norm::Linf.value(&l2.w) >= linf.objective - 1e-8);
        }
    }

    #[test]
    fn l1_and_linf_over_a_range_of_conditioning() {
        // 8 x 20 systems with feature scales spread over kappa = 1 .. 1e6 and targets of sizes
        // 1e-6 .. 1e6: feasible (relative to y) and no feasible direction decreases the norm
        // (relative to ||w||); steps along null-space directions scaled to ||w||.
        let mut r = rng(3);
        let (x0, y0) = (random_matrix(&mut r, 8, 20), random_vec(&mut r, 8));
        for (kappa, y_scale) in [
            (1.0f64, 1.0),
            (1e3, 1.0),
            (1e6, 1.0),
            (1.0, 1e-6),
            (1e3, 1e6),
        ] {
            let y: Vec<f64> = y0.iter().map(|v| v * y_scale).collect();
            let x = scale_columns(&x0, kappa);
            let zeros = vec![0.0; x.rows];
            for norm in [Norm::L1, Norm::Linf] {
                let s = if norm == Norm::L1 {
                    min_l1_interpolant(&x, &y)
                } else {
                    min_linf_interpolant(&x, &y)
                }
                .unwrap_or_else(|e| panic!("{norm:?}, kappa {kappa}, |y| {y_scale}: {e}"));
                let res: f64 = x
                    .mul_vec(&s.w)
                    .iter()
                    .zip(&y)
                    .map(|(p, q)| (p - q).powi(2))
                    .sum::<f64>()
                    .sqrt();
                assert!(
                    res <= 1e-7 * (1.0 + dot(&y, &y).sqrt()),
                    "{norm:?}, kappa {kappa}, |y| {y_scale}: {res}"
                );
                let size = norm.value(&s.w);
                for _ in 0..100 {
                    let dir = closest_interpolant(&x, &zeros, &random_vec(&mut r, x.cols))
                        .unwrap()
                        .w;
                    let scale = size / norm.value(&dir).max(f64::MIN_POSITIVE);
                    for step in [1e-4, 1e-2] {
                        let moved: Vec<f64> =
                            s.w.iter()
                                .zip(&dir)
                                .map(|(a, b)| a + step * scale * b)
                                .collect();
                        assert!(
                            norm.value(&moved) >= size * (1.0 - 1e-7),
                            "{norm:?}, kappa {kappa}, |y| {y_scale}: descent direction found"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn min_l2_over_a_range_of_conditioning() {
        // 8 x 20 systems X = U diag(s) V^T with singular values spread over kappa = 1 .. 1e6
        // (the Gram matrix's condition number kappa^2, 1e12): the interpolant matches
        // X^+ y = V diag(1/s) U^T y, relative to its norm.
        let mut r = rng(5);
        let (x0, y) = (random_matrix(&mut r, 8, 20), random_vec(&mut r, 8));
        let base = x0.to_faer().thin_svd().unwrap();
        let (u0, v0) = (base.U(), base.V());
        for kappa in [1.0f64, 1e3, 1e6] {
            let (n, d) = (x0.rows, x0.cols);
            let sigma = |k: usize| kappa.powf(-(k as f64) / (n - 1) as f64);
            let x = Matrix::new(
                n,
                d,
                (0..n * d)
                    .map(|q| {
                        (0..n)
                            .map(|k| u0[(q / d, k)] * sigma(k) * v0[(q % d, k)])
                            .sum()
                    })
                    .collect(),
            )
            .unwrap();
            let w = min_l2_interpolant(&x, &y).unwrap().w;
            let pinv: Vec<f64> = (0..d)
                .map(|j| {
                    (0..n)
                        .map(|k| {
                            v0[(j, k)] * (0..n).map(|i| u0[(i, k)] * y[i]).sum::<f64>() / sigma(k)
                        })
                        .sum()
                })
                .collect();
            let diff: f64 = w
                .iter()
                .zip(&pinv)
                .map(|(a, b)| (a - b).powi(2))
                .sum::<f64>()
                .sqrt();
            let size = dot(&pinv, &pinv).sqrt();
            assert!(
                diff <= 1e-8 * size,
                "kappa {kappa}: relative error {}",
                diff / size
            );
        }
    }

    #[test]
    fn mismatched_shapes_name_both() {
        let x = Matrix::zeros(3, 2);
        for err in [
            min_l2_interpolant(&x, &[1.0; 4]).unwrap_err(),
            min_l1_interpolant(&x, &[1.0; 4]).unwrap_err(),
            min_linf_interpolant(&x, &[1.0; 4]).unwrap_err(),
        ] {
            let msg = err.to_string();
            assert!(
                msg.contains("3 x 2") && msg.contains("y has length 4"),
                "{msg}"
            );
        }
        let msg = closest_interpolant(&x, &[0.0; 3], &[0.0; 5])
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("3 x 2") && msg.contains("w0 has length 5"),
            "{msg}"
        );
    }
}
