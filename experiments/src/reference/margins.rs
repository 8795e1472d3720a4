//! Binary maximum-margin problems without bias, labels `y_i in {-1, +1}`.
//!
//! For a norm `||.||`, `min ||w|| s.t. y_i <x_i, w> >= 1` has minimiser `w`
//! whose direction `w / ||w||` maximises the normalised margin
//! `min_i y_i <x_i, w> / ||w||`, and the maximal margin is `1 / ||w||`.

use super::conic::{margin_row, min_norm_rows, Norm};
use super::{check_binary, dot, Error, Matrix, Solution, Status};

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
pub fn svm_l2(x: &Matrix, y: &[f64]) -> Result<SvmSolution, Error> {
    let (w, alpha, status) = solve_margin(Norm::HalfSquaredL2, x, y, "hard-margin l2 SVM")?;
    Ok(SvmSolution::new(x, y, w, alpha, status))
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

fn solve_margin(
    norm: Norm,
    x: &Matrix,
    y: &[f64],
    problem: &'static str,
) -> Result<(Vec<f64>, Vec<f64>, Status), Error> {
    check_binary(x, y)?;
    min_norm_rows(
        norm,
        x.cols,
        x.rows,
        |i| margin_row(x, y, i),
        problem,
        NOT_SEPARABLE,
    )
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
    use super::super::test_util::{assert_close, assert_margins, rng, separable};
    use super::*;

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
