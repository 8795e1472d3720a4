//! The Fourier-l1 maximum-margin problem predicted for linear convolutional networks.

use std::f64::consts::PI;

use super::conic::{margin_rows, ConicProgram, Row};
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

#[cfg(test)]
mod tests {
    use super::super::test_util::{assert_close, assert_margins, rng, separable};
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
