//! The Fourier-l1 maximum-margin problem predicted for linear convolutional networks.

use std::f64::consts::PI;

use super::conic::{margin_rows, ConicProgram, Row};
use super::nnls::nnls;
use super::{check_binary, Error, Matrix, Solution};

/// `(cos, -sin)(2 pi k n / D)`: the real and imaginary parts of `exp(-2 pi i k n / D)`.
fn twiddle(k: usize, n: usize, dim: usize) -> (f64, f64) {
    // Reduce k n mod D first so large products keep full accuracy.
    let angle = 2.0 * PI * ((k * n) % dim) as f64 / dim as f64;
    (angle.cos(), -angle.sin())
}

/// The l1 norm of the unnormalised DFT,
///
/// ```text
/// sum_{k=0}^{D-1} |F[k]|,   F[k] = sum_{n=0}^{D-1} beta[n] exp(-2 pi i k n / D),
/// ```
///
/// with `|.|` the complex modulus, evaluated directly in `O(D^2)`.
pub fn dft_l1_norm(beta: &[f64]) -> f64 {
    let dim = beta.len();
    (0..dim)
        .map(|k| {
            let (re, im) = (0..dim).fold((0.0, 0.0), |(re, im), n| {
                let (c, s) = twiddle(k, n, dim);
                (re + c * beta[n], im + s * beta[n])
            });
            re.hypot(im)
        })
        .sum()
}

/// The Fourier-l1 max-margin predictor of an L = 2 linear convolutional network,
///
/// ```text
/// min sum_k |(F beta)_k|  s.t.  y_i <x_i, beta> >= 1,
/// ```
///
/// with `F` the unnormalised `D x D` DFT over all `D = d` frequencies (see
/// [`dft_l1_norm`]). Solved by clarabel as the second-order cone program in
/// `(beta, t) in R^D x R^D`
///
/// ```text
/// min sum_k t_k  s.t.  t_k >= ||(Re (F beta)_k, Im (F beta)_k)||_2  (SOC of dimension 3),
///                      y_i <x_i, beta> >= 1.
/// ```
///
/// `objective` is `dft_l1_norm(beta)`. Errors as for [`super::svm_l2`].
pub fn min_dft_l1_margin(x: &Matrix, y: &[f64]) -> Result<Solution, Error> {
    check_binary(x, y)?;
    let dim = x.cols;
    let mut prog = ConicProgram::new(2 * dim);
    prog.add_sum(dim..2 * dim);
    prog.less_equal(margin_rows(x, y));
    for k in 0..dim {
        let (re, im): (Vec<f64>, Vec<f64>) = (0..dim).map(|n| twiddle(k, n, dim)).unzip();
        let t_k = Row {
            coeffs: vec![(dim + k, 1.0)],
            rhs: 0.0,
        };
        prog.second_order(vec![t_k, Row::dense(&re, 0, 0.0), Row::dense(&im, 0, 0.0)]);
    }
    let problem = "Fourier-l1 max-margin SOCP";
    let res = prog.solve(
        problem,
        "the data are not linearly separable through the origin",
    )?;
    let beta = res.v[..dim].to_vec();
    Ok(Solution {
        objective: dft_l1_norm(&beta),
        w: beta,
        status: res.status,
    })
}

/// How far a direction is from a first-order stationary point of the Fourier bridge problem
/// predicted for depth-`L` linear convolutional networks (`p = 2 / L`; Gunasekar et al. 2018):
///
/// ```text
/// min sum_k |(F beta)_k|^p  s.t.  y_i <x_i, beta> >= 1,   0 < p <= 2.
/// ```
///
/// `beta` is first rescaled to minimum margin 1. Stationarity (KKT with multipliers
/// `lambda_i >= 0` on the active points `S`) on the frequencies where `F beta` is non-zero reads
/// `p |b_k|^(p-2) b_k = c (F z)_k`, `b = F beta`, `z = sum_{i in S} lambda_i y_i x_i`; multiplied
/// by `|b_k|^(2-p)` it holds on every frequency (for `p < 1` the subdifferential of `|.|^p` at
/// 0 is everything, so a zero frequency imposes nothing):
///
/// ```text
/// beta = sum_{i in S} lambda_i M (y_i x_i),   M = F^-1 diag(|F beta|^(2-p)) F,
/// ```
///
/// `M` the real circulant with first column `F^-1 |F beta|^(2-p)` (`p = 2`: `M = I`, the l2 SVM's
/// KKT condition). The multipliers are fitted by [`nnls`](super::nnls) over
/// `S = {i : margin_i <= 1 + active_tol}`, and `residual = ||beta - sum lambda_i M y_i x_i|| /
/// ||beta||` (0 at a stationary point).
///
/// Fails when the shapes disagree, `p` is outside `(0, 2]` or some margin of `beta` is not
/// positive.
pub fn dft_bridge_stationarity(
    x: &Matrix,
    y: &[f64],
    beta: &[f64],
    p: f64,
    active_tol: f64,
) -> Result<Stationarity, Error> {
    check_binary(x, y)?;
    if beta.len() != x.cols {
        return Err(Error::DimensionMismatch {
            left: format!("x is {}", x.shape()),
            right: format!("beta has length {}", beta.len()),
        });
    }
    if !(p > 0.0 && p <= 2.0) {
        return Err(Error::InvalidParameter {
            name: "p",
            value: format!("{p}"),
            expected: "in (0, 2]",
        });
    }
    let margins = x.signed_rows(y).mul_vec(beta);
    let q = margins.iter().copied().fold(f64::INFINITY, f64::min);
    if q.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
        return Err(Error::InvalidParameter {
            name: "beta",
            value: format!("a direction with minimum margin {q:e}"),
            expected: "a direction that separates the data (every margin > 0)",
        });
    }
    let dim = x.cols;
    let b: Vec<f64> = beta.iter().map(|v| v / q).collect();
    // |F b|_k^(2-p), symmetric in k <-> D - k, so M's first column is real and even.
    let weight: Vec<f64> = (0..dim)
        .map(|k| {
            let (re, im) = (0..dim).fold((0.0, 0.0), |(re, im), n| {
                let (c, s) = twiddle(k, n, dim);
                (re + c * b[n], im + s * b[n])
            });
            re.hypot(im).powf(2.0 - p)
        })
        .collect();
    let column: Vec<f64> = (0..dim)
        .map(|j| {
            (0..dim)
                .map(|k| weight[k] * twiddle(k, j, dim).0)
                .sum::<f64>()
                / dim as f64
        })
        .collect();
    let active: Vec<usize> = (0..x.rows)
        .filter(|&i| margins[i] / q <= 1.0 + active_tol)
        .collect();
    let mut a = Matrix::zeros(dim, active.len());
    for (col, &i) in active.iter().enumerate() {
        let v = x.row(i);
        for r in 0..dim {
            a.data[r * active.len() + col] = y[i]
                * (0..dim)
                    .map(|j| column[(r + dim - j) % dim] * v[j])
                    .sum::<f64>();
        }
    }
    let fit = nnls(&a, &b)?;
    let norm = b.iter().map(|v| v * v).sum::<f64>().sqrt();
    Ok(Stationarity {
        residual: fit.residual / norm,
        active: active.len(),
        multipliers_kkt: fit.kkt_residual(&a, &b),
    })
}

/// The result of [`dft_bridge_stationarity`].
#[derive(Clone, Copy, Debug)]
pub struct Stationarity {
    /// `||beta - sum lambda_i M y_i x_i|| / ||beta||` at the fitted multipliers.
    pub residual: f64,
    /// The number of active points the multipliers were fitted on.
    pub active: usize,
    /// How well the multipliers solve their NNLS
    /// ([`NnlsSolution::kkt_residual`](super::NnlsSolution::kkt_residual)): the accuracy of
    /// `residual` as a distance to the stationarity cone.
    pub multipliers_kkt: f64,
}

#[cfg(test)]
mod tests {
    use super::super::test_util::{assert_close, assert_margins, rng, scale_columns, separable};
    use super::super::{max_margin_linf, svm_l2};
    use super::*;

    #[test]
    fn dft_norm_by_hand() {
        // A delta has a flat spectrum: |F[k]| = 1 for all k.
        assert!((dft_l1_norm(&[1.0, 0.0, 0.0, 0.0]) - 4.0).abs() < 1e-12);
        // A constant has F = (D c, 0, ..., 0).
        assert!((dft_l1_norm(&[0.5; 4]) - 2.0).abs() < 1e-12);
        // D = 4, beta = (0, 1, 0, 0): F[k] = (-i)^k, all of modulus 1.
        assert!((dft_l1_norm(&[0.0, 1.0, 0.0, 0.0]) - 4.0).abs() < 1e-12);
        // D = 2: F = (b0 + b1, b0 - b1).
        assert!((dft_l1_norm(&[2.0, -1.0]) - 4.0).abs() < 1e-12);
    }

    #[test]
    fn all_ones_sample_by_hand() {
        // <1, beta> = F[0] >= 1, so sum_k |F[k]| >= 1 with equality only when the
        // spectrum is (1, 0, ..., 0), i.e. beta = 1 / D.
        let x = Matrix::from_rows(&[[1.0; 5]]).unwrap();
        let s = min_dft_l1_margin(&x, &[1.0]).unwrap();
        assert!((s.objective - 1.0).abs() < 1e-6);
        assert_close(&s.w, &[0.2; 5], 1e-6);
    }

    #[test]
    fn delta_sample_by_hand() {
        // beta[0] = (1/D) sum_k F[k] <= (1/D) sum_k |F[k]|, and beta[0] >= 1:
        // the optimum is D (attained by beta = e_0).
        let x = Matrix::from_rows(&[[1.0, 0.0, 0.0, 0.0]]).unwrap();
        let s = min_dft_l1_margin(&x, &[1.0]).unwrap();
        assert!((s.objective - 4.0).abs() < 1e-6);
        assert!(s.w[0] >= 1.0 - 1e-7);
    }

    #[test]
    fn two_dimensions_is_twice_the_linf_margin() {
        // For D = 2, |b0 + b1| + |b0 - b1| = 2 max(|b0|, |b1|) = 2 ||beta||_inf.
        let mut r = rng(21);
        let (x, y) = separable(&mut r, 6, 2);
        let socp = min_dft_l1_margin(&x, &y).unwrap();
        let linf = max_margin_linf(&x, &y).unwrap();
        assert!((socp.objective - 2.0 * linf.objective).abs() < 1e-6);
    }

    #[test]
    fn random_instances_are_feasible_and_beat_the_l2_svm() {
        let mut r = rng(22);
        for (n, d) in [(8, 4), (10, 8), (5, 7)] {
            let (x, y) = separable(&mut r, n, d);
            let s = min_dft_l1_margin(&x, &y).unwrap();
            assert_margins(&x, &y, &s.w, 1e-7);
            let svm = svm_l2(&x, &y).unwrap();
            assert!(s.objective <= dft_l1_norm(&svm.w) + 1e-7);
        }
    }

    #[test]
    fn scaled_data_give_the_scaled_solution() {
        // beta(s X) = beta(X) / s exactly, over data scales 1e-6 .. 1e6.
        let mut r = rng(23);
        let (x, y) = separable(&mut r, 10, 8);
        let base = min_dft_l1_margin(&x, &y).unwrap();
        for s in [1e-6, 1e-3, 1e3, 1e6] {
            let xs = Matrix::new(x.rows, x.cols, x.data.iter().map(|v| v * s).collect()).unwrap();
            let scaled = min_dft_l1_margin(&xs, &y).unwrap();
            let back: Vec<f64> = scaled.w.iter().map(|v| v * s).collect();
            assert_close(&back, &base.w, 1e-6);
        }
    }

    #[test]
    fn feature_scales_over_six_decades() {
        // Column scales spread over kappa = 1 .. 1e6: feasible, a tight margin, and no worse
        // than the l2 SVM (a feasible point).
        let mut r = rng(24);
        let (x0, y) = separable(&mut r, 12, 8);
        for kappa in [1.0f64, 1e3, 1e6] {
            let x = scale_columns(&x0, kappa);
            let s = min_dft_l1_margin(&x, &y).unwrap_or_else(|e| panic!("kappa {kappa}: {e}"));
            let least = (0..x.rows)
                .map(|i| y[i] * super::super::dot(x.row(i), &s.w))
                .fold(f64::INFINITY, f64::min);
            assert!(
                (least - 1.0).abs() < 1e-6,
                "kappa {kappa}: smallest margin {least}"
            );
            let svm = svm_l2(&x, &y).unwrap();
            assert!(
                s.objective <= dft_l1_norm(&svm.w) * (1.0 + 1e-6),
                "kappa {kappa}"
            );
        }
    }

    #[test]
    fn stationary_points_by_hand() {
        // One sample x = e_0: beta_0 = (1/D) sum_k (F beta)_k >= 1. The delta e_0 (flat
        // spectrum, M = I, beta = x) is stationary for every p; the constant beta = 1
        // (spectrum (D, 0, 0, 0), M e_0 constant) for p < 2 only: for p = 2 (M = I) the best
        // multiple of e_0 leaves (0, 1, 1, 1), a residual of sqrt(3) / 2.
        let x = Matrix::from_rows(&[[1.0, 0.0, 0.0, 0.0]]).unwrap();
        for p in [2.0 / 3.0, 1.0, 2.0] {
            for beta in [[1.0; 4], [1.0, 0.0, 0.0, 0.0]] {
                let s = dft_bridge_stationarity(&x, &[1.0], &beta, p, 1e-9).unwrap();
                let want = if p == 2.0 && beta[1] == 1.0 {
                    3f64.sqrt() / 2.0
                } else {
                    0.0
                };
                assert!(
                    (s.residual - want).abs() < 1e-7,
                    "p = {p}, beta = {beta:?}: {s:?}"
                );
                assert_eq!(s.active, 1);
            }
            // M is an even circulant here, so it maps e_0 to an even vector: an uneven beta
            // is no multiple of it.
            let s = dft_bridge_stationarity(&x, &[1.0], &[1.0, 0.5, 0.0, 0.0], p, 1e-9).unwrap();
            assert!(s.residual > 0.1, "p = {p}: {s:?}");
        }
    }

    #[test]
    fn the_convex_optima_are_stationary_and_not_each_other() {
        let mut r = rng(23);
        for (n, d) in [(6, 8), (10, 8), (4, 5)] {
            let (x, y) = separable(&mut r, n, d);
            let svm = svm_l2(&x, &y).unwrap().w;
            let l1 = min_dft_l1_margin(&x, &y).unwrap().w;
            let at = |beta: &[f64], p: f64| {
                let s = dft_bridge_stationarity(&x, &y, beta, p, 1e-5).unwrap();
                // The multipliers solve their NNLS whether or not beta is stationary.
                assert!(s.multipliers_kkt < 1e-8, "p = {p}: {s:?}");
                s.residual
            };
            assert!(at(&svm, 2.0) < 1e-5, "svm, p = 2: {}", at(&svm, 2.0));
            assert!(at(&l1, 1.0) < 1e-4, "l1, p = 1: {}", at(&l1, 1.0));
            // Each fails the other's condition (generic data: the optima differ).
            assert!(at(&svm, 1.0) > 1e-2, "svm, p = 1: {}", at(&svm, 1.0));
            assert!(at(&l1, 2.0) > 1e-2, "l1, p = 2: {}", at(&l1, 2.0));
        }
    }

    #[test]
    fn stationarity_rejects_bad_inputs() {
        let x = Matrix::from_rows(&[[1.0, 0.0], [0.0, 1.0]]).unwrap();
        let y = [1.0, 1.0];
        let err = |beta: &[f64], p: f64| {
            dft_bridge_stationarity(&x, &y, beta, p, 1e-6)
                .unwrap_err()
                .to_string()
        };
        assert!(err(&[1.0, -1.0], 1.0).contains("separates"));
        assert!(err(&[1.0, 1.0], 0.0).contains("(0, 2]"));
        assert!(err(&[1.0, 1.0], 2.5).contains("(0, 2]"));
        assert!(err(&[1.0], 1.0).contains("beta has length 1"));
    }

    #[test]
    fn errors_for_bad_inputs() {
        let x = Matrix::from_rows(&[[1.0, 1.0], [1.0, 1.0]]).unwrap();
        let err = min_dft_l1_margin(&x, &[1.0, -1.0]).unwrap_err();
        assert!(matches!(err, Error::Infeasible { .. }), "{err}");
        let msg = min_dft_l1_margin(&x, &[1.0]).unwrap_err().to_string();
        assert!(
            msg.contains("2 x 2") && msg.contains("y has length 1"),
            "{msg}"
        );
    }
}
