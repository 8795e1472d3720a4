//! Binary maximum-margin problems without bias, labels `y_i in {-1, +1}`.
//!
//! For a norm `||.||`, `min ||w|| s.t. y_i <x_i, w> >= 1` has minimiser `w`
//! whose direction `w / ||w||` maximises the normalised margin
//! `min_i y_i <x_i, w> / ||w||`, and the maximal margin is `1 / ||w||`.

use super::conic::{margin_row, min_norm_rows, ConicProgram, Norm, Row};
use super::{check_binary, dot, min_entry, Error, Matrix, Solution, Status};

/// A sample is a support vector when its margin `y_i <x_i, w>` is below `1 + SUPPORT_TOL`.
pub const SUPPORT_TOL: f64 = 1e-6;

const NOT_SEPARABLE: &str = "the data are not linearly separable through the origin";

/// A hard-margin SVM solution.
#[derive(Clone, Debug, PartialEq)]
pub struct SvmSolution {
    /// The max-margin direction with unit functional margin: `min_i y_i <x_i, w> = 1`.
    pub w: Vec<f64>,
    /// Dual multipliers `a_i >= 0` with `w = sum_i a_i y_i x_i` (KKT stationarity).
    pub alpha: Vec<f64>,
    /// Indices with margin `y_i <x_i, w> < 1 + SUPPORT_TOL`, increasing.
    pub support: Vec<usize>,
    /// `1/2 ||w||_2^2`; the geometric margin is `1 / ||w||_2`.
    pub objective: f64,
    /// How it was obtained.
    pub status: Status,
}

impl SvmSolution {
    /// How far `(w, alpha)` is from the SVM's KKT conditions on `(x, y)`, computed from the
    /// data alone (the reference's achieved accuracy, independent of the solver): the largest
    /// of the margin violation `max_i (1 - y_i <x_i, w>)^+`, the sign violation
    /// `max_i (-a_i)^+ / max_i |a_i|`, the complementarity `max_i |a_i (y_i <x_i, w> - 1)| /
    /// sum_i |a_i|` and the stationarity `||w - sum_i a_i y_i x_i|| / ||w||`.
    pub fn kkt_residual(&self, x: &Matrix, y: &[f64]) -> f64 {
        let a_max = self.alpha.iter().fold(0.0, |m: f64, a| m.max(a.abs()));
        let a_sum: f64 = self.alpha.iter().map(|a| a.abs()).sum();
        let mut combo = vec![0.0; x.cols];
        let mut worst: f64 = 0.0;
        for (i, (&yi, &a)) in y.iter().zip(&self.alpha).enumerate() {
            let m = yi * dot(x.row(i), &self.w);
            worst = worst
                .max(1.0 - m)
                .max(-a / a_max.max(f64::MIN_POSITIVE))
                .max((a * (m - 1.0)).abs() / a_sum.max(f64::MIN_POSITIVE));
            combo
                .iter_mut()
                .zip(x.row(i))
                .for_each(|(c, v)| *c += a * yi * v);
        }
        let gap: f64 = combo
            .iter()
            .zip(&self.w)
            .map(|(c, w)| (c - w).powi(2))
            .sum::<f64>()
            .sqrt();
        worst.max(gap / dot(&self.w, &self.w).sqrt().max(f64::MIN_POSITIVE))
    }

    fn new(x: &Matrix, y: &[f64], w: Vec<f64>, alpha: Vec<f64>, status: Status) -> Self {
        let support = (0..x.rows)
            .filter(|&i| y[i] * dot(x.row(i), &w) < 1.0 + SUPPORT_TOL)
            .collect();
        Self {
            objective: Norm::HalfSquaredL2.value(&w),
            w,
            alpha,
            support,
            status,
        }
    }
}

/// The hard-margin SVM without bias,
///
/// ```text
/// min 1/2 ||w||_2^2  s.t.  y_i <x_i, w> >= 1  (i = 1..n),
/// ```
///
/// solved as a QP by clarabel; `alpha` are the QP's multipliers, so
/// `w = sum_i alpha_i y_i x_i`. This is the direction gradient descent on the
/// logistic / exponential loss converges to on separable data.
///
/// Errors: shape mismatch, a label not in `{-1, +1}`, non-separable data
/// ([`Error::Infeasible`]), solver failure.
///
/// Where clarabel stalls on the QP in `w` (features on scales 1e6 apart), or returns a point
/// whose [`SvmSolution::kkt_residual`] exceeds `1e-8`, the same QP is solved in the coordinates
/// of the signed data's SVD `Z = U S V^T` (`svm_l2_svd_coordinates`), and the better
/// solution kept.
pub fn svm_l2(x: &Matrix, y: &[f64]) -> Result<SvmSolution, Error> {
    let direct = match solve_margin(Norm::HalfSquaredL2, x, y, SVM_L2) {
        Ok((w, alpha, status)) => {
            let sol = SvmSolution::new(x, y, w, alpha, status);
            if sol.kkt_residual(x, y) <= SVM_KKT_TOL {
                return Ok(sol);
            }
            Ok(sol)
        }
        Err(Error::NotConverged { problem, status }) => {
            Err(Error::NotConverged { problem, status })
        }
        Err(e) => return Err(e),
    };
    // Stalled, or solved by clarabel's measure yet off the KKT point: the SVD coordinates, on
    // the data as given and scaled to unit largest row norm; the solution nearest its KKT
    // conditions is kept.
    let mut best = direct;
    for c in [1.0, row_scale(x)] {
        if let Ok((w, alpha, status)) = svm_l2_svd_coordinates(x, y, c) {
            let alt = SvmSolution::new(x, y, w, alpha, status);
            let better = match &best {
                Ok(b) => alt.kkt_residual(x, y) < b.kkt_residual(x, y),
                Err(_) => true,
            };
            if better {
                best = Ok(alt);
            }
        }
    }
    best
}

/// The [`SvmSolution::kkt_residual`] below which [`svm_l2`] accepts the direct QP's solution.
const SVM_KKT_TOL: f64 = 1e-8;

const SVM_L2: &str = "hard-margin l2 SVM";

/// The l2 SVM as `min 1/2 sum_k e_k^2 / s_k^2  s.t.  U e >= 1`, `w = V S^-1 e`, with
/// `Z = U S V^T` the thin SVD of the signed rows `z_i = y_i x_i` (rank `r`: singular values
/// above `1e-13 s_max`). The optimal `w` lies in the row space of `Z`, where `w = V S^-1 e`
/// is a bijection that keeps each constraint (`<z_i, w> = <u_i, e>`), so the duals are the
/// same `alpha`. The constraint rows `u_i` are orthonormal columns' entries, however badly
/// scaled `Z` is; the scales move into the diagonal objective.
fn svm_l2_svd_coordinates(
    x: &Matrix,
    y: &[f64],
    c: f64,
) -> Result<(Vec<f64>, Vec<f64>, Status), Error> {
    // On z / c: singular values s / c, the same U and V; w = V S^-1 e and a = a' / c^2.
    let z = x.signed_rows(y);
    let svd = z
        .to_faer()
        .thin_svd()
        .expect("the SVD of a finite matrix converges");
    let (u, v, s) = (svd.U(), svd.V(), svd.S().column_vector());
    let s_max = (0..s.nrows()).map(|k| s[k]).fold(0.0, f64::max);
    let keep: Vec<usize> = (0..s.nrows()).filter(|&k| s[k] > 1e-13 * s_max).collect();
    let mut prog = ConicProgram::new(keep.len());
    let weights: Vec<f64> = keep.iter().map(|&k| (c / s[k]).powi(2)).collect();
    prog.add_weighted_half_squares(0, &weights);
    prog.less_equal(
        (0..z.rows)
            .map(|i| {
                let ui: Vec<f64> = keep.iter().map(|&k| u[(i, k)]).collect();
                Row::dense(&ui, 0, 1.0).scaled(-1.0).with_rhs(-1.0)
            })
            .collect(),
    );
    let res = prog.solve(SVM_L2, NOT_SEPARABLE)?;
    let w = (0..z.cols)
        .map(|j| {
            keep.iter()
                .enumerate()
                .map(|(q, &k)| v[(j, k)] * res.v[q] / s[k])
                .sum()
        })
        .collect();
    let alpha = res.z.iter().map(|a| a / (c * c)).collect();
    Ok((w, alpha, res.status))
}

/// The achieved accuracy of a max-margin solution `w` of `min ||w|| s.t. y_i <x_i, w> >= 1`,
/// whatever the norm: `|min_i y_i <x_i, w> - 1|` (0 when every constraint holds and the
/// smallest is tight, as at every optimum).
pub fn margin_error(x: &Matrix, y: &[f64], w: &[f64]) -> f64 {
    (min_entry(&x.signed_rows(y).mul_vec(w)) - 1.0).abs()
}

/// The l1 maximum-margin direction,
///
/// ```text
/// min ||w||_1  s.t.  y_i <x_i, w> >= 1,
/// ```
///
/// as the LP `min sum_j t_j  s.t.  y_i <x_i, w> >= 1, -t <= w <= t` (clarabel).
/// The maximal l1-normalised margin is `1 / objective`. Errors as for [`svm_l2`].
pub fn max_margin_l1(x: &Matrix, y: &[f64]) -> Result<Solution, Error> {
    max_margin(Norm::L1, x, y, "l1 max-margin")
}

/// The l-infinity maximum-margin direction,
///
/// ```text
/// min ||w||_inf  s.t.  y_i <x_i, w> >= 1,
/// ```
///
/// as the LP `min t  s.t.  y_i <x_i, w> >= 1, -t <= w_j <= t` (clarabel).
/// The maximal linf-normalised margin is `1 / objective`. Errors as for [`svm_l2`].
pub fn max_margin_linf(x: &Matrix, y: &[f64]) -> Result<Solution, Error> {
    max_margin(Norm::Linf, x, y, "linf max-margin")
}

fn max_margin(norm: Norm, x: &Matrix, y: &[f64], problem: &'static str) -> Result<Solution, Error> {
    let (w, _, status) = solve_margin(norm, x, y, problem)?;
    Ok(Solution {
        objective: norm.value(&w),
        w,
        status,
    })
}

/// `min norm(w) s.t. y_i <x_i, w> >= 1`: `(w, duals, status)`.
///
/// Solved on the data scaled to unit largest row norm, `x / c`, and mapped back exactly (the
/// problems are homogeneous: `w = w' / c`, duals `a = a' / c^p` with `p = 2` for the squared
/// l2 norm and 1 for l1 / l-infinity), so that the solver's absolute tolerances are relative to
/// the problem: at features of size 1e6 the unscaled SVM's objective (6.5e-11) was below the
/// `1e-10` gap tolerance and clarabel called a point with no support vector "solved".
fn solve_margin(
    norm: Norm,
    x: &Matrix,
    y: &[f64],
    problem: &'static str,
) -> Result<(Vec<f64>, Vec<f64>, Status), Error> {
    check_binary(x, y)?;
    let c = row_scale(x);
    let (mut w, mut duals, status) = min_norm_rows(
        norm,
        x.cols,
        x.rows,
        |i| margin_row(x, y, i).scaled(1.0 / c).with_rhs(-1.0),
        problem,
        NOT_SEPARABLE,
    )?;
    w.iter_mut().for_each(|v| *v /= c);
    let p = if norm == Norm::HalfSquaredL2 { 2 } else { 1 };
    duals.iter_mut().for_each(|a| *a /= c.powi(p));
    Ok((w, duals, status))
}

/// The largest row norm of `x` (1 for a zero matrix).
pub(super) fn row_scale(x: &Matrix) -> f64 {
    let c = (0..x.rows)
        .map(|i| dot(x.row(i), x.row(i)).sqrt())
        .fold(0.0, f64::max);
    if c > 0.0 && c.is_finite() {
        c
    } else {
        1.0
    }
}

/// The hard-margin SVM of [`svm_l2`] by dual coordinate ascent on
///
/// ```text
/// max_{a >= 0}  sum_i a_i - 1/2 ||sum_i a_i y_i x_i||^2,     w = sum_i a_i y_i x_i,
/// ```
///
/// with exact coordinate steps `a_i <- max(0, a_i + (1 - y_i <x_i, w>) / ||x_i||^2)`.
/// It stops after the first full sweep whose KKT violation
/// `max_i v_i <= kkt_tol` where, with the dual gradient `g_i = 1 - y_i <x_i, w>`,
/// `v_i = |g_i|` if `a_i > 0` and `v_i = max(g_i, 0)` if `a_i = 0`
/// (so every margin is `>= 1 - kkt_tol` and the support margins are within
/// `kkt_tol` of 1). An independent cross-check for [`svm_l2`].
///
/// Errors: shape / label errors; a zero sample ([`Error::Infeasible`]);
/// [`Error::NotConverged`] after `max_sweeps` sweeps, which is what
/// non-separable data give (the dual is unbounded).
pub fn svm_l2_dual_cd(
    x: &Matrix,
    y: &[f64],
    kkt_tol: f64,
    max_sweeps: usize,
) -> Result<SvmSolution, Error> {
    check_binary(x, y)?;
    let sq_norms: Vec<f64> = (0..x.rows).map(|i| dot(x.row(i), x.row(i))).collect();
    if sq_norms.contains(&0.0) {
        return Err(Error::Infeasible {
            problem: "dual coordinate ascent SVM",
            reason: "a zero sample can have no positive margin",
        });
    }
    let mut alpha = vec![0.0; x.rows];
    let mut w = vec![0.0; x.cols];
    for sweep in 1..=max_sweeps {
        for i in 0..x.rows {
            let g = 1.0 - y[i] * dot(x.row(i), &w);
            let new = (alpha[i] + g / sq_norms[i]).max(0.0);
            let step = (new - alpha[i]) * y[i];
            w.iter_mut()
                .zip(x.row(i))
                .for_each(|(wj, xj)| *wj += step * xj);
            alpha[i] = new;
        }
        if kkt_violation(x, y, &w, &alpha) <= kkt_tol {
            let status = Status::Converged { sweeps: sweep };
            return Ok(SvmSolution::new(x, y, w, alpha, status));
        }
    }
    Err(Error::NotConverged {
        problem: "dual coordinate ascent SVM",
        status: format!(
            "KKT violation {:.3e} > {kkt_tol:.1e} after {max_sweeps} sweeps (data not separable?)",
            kkt_violation(x, y, &w, &alpha)
        ),
    })
}

/// `max_i v_i` with `v_i = |g_i|` if `a_i > 0`, else `max(g_i, 0)`, `g_i = 1 - y_i <x_i, w>`.
fn kkt_violation(x: &Matrix, y: &[f64], w: &[f64], alpha: &[f64]) -> f64 {
    (0..x.rows)
        .map(|i| {
            let g = 1.0 - y[i] * dot(x.row(i), w);
            if alpha[i] > 0.0 {
                g.abs()
            } else {
                g.max(0.0)
            }
        })
        .fold(0.0, f64::max)
}

#[cfg(test)]
mod tests {
    use super::super::test_util::{assert_close, assert_margins, rng, scale_columns, separable};
    use super::*;

    #[test]
    fn margin_error_by_hand() {
        // Rows e_1, -e_2 with labels +1, -1: the margins are (w_1, w_2).
        let x = Matrix::from_rows(&[[1.0, 0.0], [0.0, -1.0]]).unwrap();
        let y = [1.0, -1.0];
        assert_eq!(margin_error(&x, &y, &[1.0, 2.0]), 0.0);
        assert_eq!(margin_error(&x, &y, &[0.5, 2.0]), 0.5);
        assert_eq!(margin_error(&x, &y, &[3.0, 2.0]), 1.0);
    }

    fn two_points() -> (Matrix, Vec<f64>) {
        let x = Matrix::from_rows(&[[1.0, 0.0], [-1.0, 0.0]]).unwrap();
        (x, vec![1.0, -1.0])
    }

    #[test]
    fn two_opposite_points_by_hand() {
        // Both constraints read w1 >= 1; the minimum norm is w = (1, 0), both are
        // support vectors and a = (1/2, 1/2) gives sum a_i y_i x_i = (1, 0).
        let (x, y) = two_points();
        for s in [
            svm_l2(&x, &y).unwrap(),
            svm_l2_dual_cd(&x, &y, 1e-12, 1000).unwrap(),
        ] {
            assert_close(&s.w, &[1.0, 0.0], 1e-7);
            assert_eq!(s.support, vec![0, 1]);
            assert!((s.objective - 0.5).abs() < 1e-7);
        }
        assert_close(&svm_l2(&x, &y).unwrap().alpha, &[0.5, 0.5], 1e-6);
        for s in [
            max_margin_l1(&x, &y).unwrap(),
            max_margin_linf(&x, &y).unwrap(),
        ] {
            assert!((s.objective - 1.0).abs() < 1e-7);
            assert!((s.w[0] - 1.0).abs() < 1e-7);
        }
    }

    #[test]
    fn one_point_norms_by_hand() {
        // One sample x = (1, 2), label +1: the constraint w1 + 2 w2 >= 1.
        // l2: w = (1, 2)/5; l1: w = (0, 1/2); linf: w = (1/3, 1/3).
        let x = Matrix::from_rows(&[[1.0, 2.0]]).unwrap();
        let y = [1.0];
        assert_close(&svm_l2(&x, &y).unwrap().w, &[0.2, 0.4], 1e-7);
        assert_close(&max_margin_l1(&x, &y).unwrap().w, &[0.0, 0.5], 1e-7);
        assert_close(
            &max_margin_linf(&x, &y).unwrap().w,
            &[1.0 / 3.0, 1.0 / 3.0],
            1e-7,
        );
    }

    #[test]
    fn a_non_support_point_gets_zero_multiplier() {
        // (3, 1) with label +1 is already beyond the margin of w = (1, 0).
        let x = Matrix::from_rows(&[[1.0, 0.0], [-1.0, 0.0], [3.0, 1.0]]).unwrap();
        let y = [1.0, -1.0, 1.0];
        let s = svm_l2(&x, &y).unwrap();
        assert_close(&s.w, &[1.0, 0.0], 1e-7);
        assert_eq!(s.support, vec![0, 1]);
        assert!(s.alpha[2].abs() < 1e-7);
    }

    /// KKT conditions of the hard-margin SVM.
    fn assert_kkt(x: &Matrix, y: &[f64], s: &SvmSolution, tol: f64) {
        let mut combo = vec![0.0; x.cols];
        for (i, &yi) in y.iter().enumerate() {
            let margin = yi * dot(x.row(i), &s.w);
            assert!(margin >= 1.0 - tol, "primal feasibility: margin {margin}");
            assert!(
                s.alpha[i] >= -tol,
                "dual feasibility: a_{i} = {}",
                s.alpha[i]
            );
            let slack = s.alpha[i] * (margin - 1.0);
            assert!(slack.abs() <= tol, "complementary slackness: {slack}");
            combo
                .iter_mut()
                .zip(x.row(i))
                .for_each(|(c, v)| *c += s.alpha[i] * yi * v);
            if s.alpha[i] > 1e-4 {
                assert!(
                    s.support.contains(&i),
                    "a_{i} > 0 but {i} is not a support vector"
                );
            }
        }
        assert_close(&combo, &s.w, tol);
    }

    #[test]
    fn random_instances_satisfy_kkt_and_both_solvers_agree() {
        let mut r = rng(7);
        for (n, d) in [(10, 3), (20, 5), (6, 12)] {
            let (x, y) = separable(&mut r, n, d);
            let qp = svm_l2(&x, &y).unwrap();
            assert_kkt(&x, &y, &qp, 1e-6);
            assert!(qp.kkt_residual(&x, &y) < 1e-6);
            // A perturbed solution is not at the KKT point, and the residual says so.
            let mut off = qp.clone();
            off.w[0] += 1e-3;
            assert!(off.kkt_residual(&x, &y) > 1e-5);
            let cd = svm_l2_dual_cd(&x, &y, 1e-10, 1_000_000).unwrap();
            assert_kkt(&x, &y, &cd, 1e-6);
            assert_close(&qp.w, &cd.w, 1e-6);
            assert!((qp.objective - cd.objective).abs() < 1e-6);
        }
    }

    #[test]
    fn random_l1_linf_margins_are_feasible_and_beat_the_l2_svm() {
        let mut r = rng(8);
        for (n, d) in [(10, 3), (8, 10)] {
            let (x, y) = separable(&mut r, n, d);
            let svm = svm_l2(&x, &y).unwrap();
            for (norm, s) in [
                (Norm::L1, max_margin_l1(&x, &y).unwrap()),
                (Norm::Linf, max_margin_linf(&x, &y).unwrap()),
            ] {
                assert_margins(&x, &y, &s.w, 1e-7);
                // The SVM solution is feasible, so its norm bounds the optimum.
                assert!(s.objective <= norm.value(&svm.w) + 1e-7);
            }
        }
    }

    #[test]
    fn random_instances_over_a_range_of_conditioning() {
        // The same separable sets with feature scales spread over kappa = 1 .. 1e6, more
        // samples than features and fewer: every solver converges, the l2 SVM meets its KKT
        // conditions (relative to ||w||), the l1 / linf solutions are feasible and no worse
        // than the l2 SVM's norms. At 40 x 8 and kappa = 1e6 clarabel stalls on the QP in w
        // (InsufficientProgress at tolerances 1e-10 and 1e-8) and svm_l2 goes through its SVD
        // coordinates; dual coordinate ascent does not converge there in 1e7 sweeps.
        let mut r = rng(21);
        for (n, d) in [(40, 8), (10, 25)] {
            let (x0, y) = separable(&mut r, n, d);
            for kappa in [1.0, 1e3, 1e6] {
                let x = scale_columns(&x0, kappa);
                let svm = svm_l2(&x, &y).unwrap_or_else(|e| panic!("n {n}, kappa {kappa}: {e}"));
                let scale = dot(&svm.w, &svm.w).sqrt().max(1.0);
                assert_kkt(&x, &y, &svm, 1e-6 * scale);
                // Measured: 1e-12 to 3e-10, and 1.1e-6 at 10 x 25, kappa = 1e3.
                let kkt = svm.kkt_residual(&x, &y);
                assert!(kkt < 1e-5, "kappa {kappa}: {kkt}");
                for (norm, s) in [
                    (Norm::L1, max_margin_l1(&x, &y).unwrap()),
                    (Norm::Linf, max_margin_linf(&x, &y).unwrap()),
                ] {
                    assert_margins(&x, &y, &s.w, 1e-6);
                    let bound = norm.value(&svm.w);
                    assert!(
                        s.objective <= bound * (1.0 + 1e-6),
                        "{norm:?}, kappa {kappa}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_svd_coordinates_give_the_direct_solution() {
        // The fallback of svm_l2, on problems the direct QP solves: same w, same multipliers.
        let mut r = rng(22);
        for (n, d) in [(30, 6), (8, 20)] {
            let (x, y) = separable(&mut r, n, d);
            let (w0, a0, _) = solve_margin(Norm::HalfSquaredL2, &x, &y, SVM_L2).unwrap();
            let (w1, a1, _) = svm_l2_svd_coordinates(&x, &y, row_scale(&x)).unwrap();
            assert_close(&w1, &w0, 1e-6);
            assert_close(&a1, &a0, 1e-5);
        }
    }

    #[test]
    fn the_working_set_gives_the_direct_solution_on_many_rows() {
        use super::super::conic::{margin_rows, min_norm, LinearConstraints, DIRECT_MAX_ROWS};
        let mut r = rng(9);
        let (x, y) = separable(&mut r, DIRECT_MAX_ROWS + 1500, 6);
        for (norm, via_set) in [
            (Norm::HalfSquaredL2, svm_l2(&x, &y).unwrap().w),
            (Norm::L1, max_margin_l1(&x, &y).unwrap().w),
            (Norm::Linf, max_margin_linf(&x, &y).unwrap().w),
        ] {
            let all = LinearConstraints {
                equal: Vec::new(),
                less_equal: margin_rows(&x, &y),
            };
            let (direct, _, _) = min_norm(norm, x.cols, all, "direct", "").unwrap();
            assert_margins(&x, &y, &via_set, 1e-7);
            let (a, b) = (norm.value(&via_set), norm.value(&direct));
            assert!((a - b).abs() <= 1e-7 * b, "{norm:?}: {a} vs {b}");
            if norm == Norm::HalfSquaredL2 {
                // Strictly convex: the minimiser itself is unique.
                assert_close(&via_set, &direct, 1e-6);
            }
        }
        // Two copies of one point with both labels, among many separable rows.
        let mut rows: Vec<f64> = x.row(0).to_vec();
        rows.extend_from_slice(x.row(0));
        let mut labels = vec![1.0, -1.0];
        (2..x.rows).for_each(|i| {
            rows.extend_from_slice(x.row(i));
            labels.push(y[i]);
        });
        let bad = Matrix::new(x.rows, x.cols, rows).unwrap();
        assert!(svm_l2(&bad, &labels).is_err());
    }

    #[test]
    fn non_separable_data_is_an_error() {
        // The same point with both labels.
        let x = Matrix::from_rows(&[[1.0, 1.0], [1.0, 1.0]]).unwrap();
        let y = [1.0, -1.0];
        for err in [
            svm_l2(&x, &y).unwrap_err(),
            svm_l2_dual_cd(&x, &y, 1e-8, 1000).unwrap_err(),
        ] {
            let msg = err.to_string();
            assert!(msg.contains("separable"), "{msg}");
        }
        for err in [
            max_margin_l1(&x, &y).unwrap_err(),
            max_margin_linf(&x, &y).unwrap_err(),
        ] {
            assert!(matches!(err, Error::Infeasible { .. }), "{err}");
        }
    }

    #[test]
    fn bad_shapes_and_labels_are_errors() {
        let x = Matrix::zeros(3, 2);
        let msg = svm_l2(&x, &[1.0, -1.0]).unwrap_err().to_string();
        assert!(
            msg.contains("3 x 2") && msg.contains("y has length 2"),
            "{msg}"
        );
        let msg = max_margin_l1(&x, &[1.0; 5]).unwrap_err().to_string();
        assert!(
            msg.contains("3 x 2") && msg.contains("y has length 5"),
            "{msg}"
        );
        let err = svm_l2_dual_cd(&x, &[1.0, 0.5, -1.0], 1e-8, 10).unwrap_err();
        assert!(matches!(err, Error::InvalidLabel { index: 1, .. }), "{err}");
    }
}
