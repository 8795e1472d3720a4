//! The diagonal-net reference (protocol 10a, Woodworth et al. 2020, Thm 1):
//! `argmin Q_alpha(beta)  s.t.  X beta = y`, with
//! `Q_alpha(beta) = alpha^2 sum_i q(beta_i / alpha^2)`,
//! `q(z) = 2 - sqrt(4 + z^2) + z asinh(z / 2)`.
//!
//! Since `q'(z) = asinh(z / 2)`, `Q_alpha` is the hyperbolic-entropy potential of scale
//! `alpha^2` and the KKT conditions give `beta = 2 alpha^2 sinh(X^T nu)`, with `nu` minimizing
//! the dual `sum_i 2 alpha^2 cosh((X^T nu)_i) - y^T nu`: solved by the dual Newton method of
//! [`min_bregman_interpolant`].

use optim::HyperbolicEntropy;

use super::bregman::min_bregman_interpolant;
use super::{Error, Matrix, Solution, Status};

/// `Q_alpha(beta)`.
pub fn q_alpha(beta: &[f64], alpha: f64) -> f64 {
    let a2 = alpha * alpha;
    beta.iter()
        .map(|&b| {
            let z = b / a2;
            a2 * (2.0 - (4.0 + z * z).sqrt() + z * (z / 2.0).asinh())
        })
        .sum()
}

/// `argmin Q_alpha(beta) s.t. X beta = y`: since `grad Q_alpha(beta) = asinh(beta / (2 alpha^2))`,
/// this is the min-Bregman interpolant of the hyperbolic entropy with scale `alpha^2`
/// ([`min_bregman_interpolant`], dual Newton).
pub fn min_q_alpha_interpolant(x: &Matrix, y: &[f64], alpha: f64) -> Result<Solution, Error> {
    let sol = min_bregman_interpolant(
        x,
        y,
        &HyperbolicEntropy {
            beta: alpha * alpha,
        },
    )?;
    Ok(Solution {
        objective: q_alpha(&sol.w, alpha),
        w: sol.w,
        status: Status::Converged {
            sweeps: sol.iterations,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::super::test_util::{assert_close, random_matrix, rng};
    use super::super::{min_l1_interpolant, min_l2_interpolant};
    use super::*;

    #[test]
    fn symmetric_pair_splits_evenly() {
        // x = [1, 1], y = 1: by symmetry beta = (1/2, 1/2) for every alpha.
        let x = Matrix::from_rows(&[[1.0, 1.0]]).unwrap();
        for alpha in [1e-3, 0.1, 1.0, 10.0] {
            let s = min_q_alpha_interpolant(&x, &[1.0], alpha).unwrap();
            assert_close(&s.w, &[0.5, 0.5], 1e-10);
        }
    }

    #[test]
    fn one_constraint_matches_the_scalar_kkt_equation() {
        // x = [1, 2], y = 1: beta_j = 2 a^2 sinh(x_j nu) with 2 a^2 (sinh(nu) + 2 sinh(2 nu)) = 1;
        // solve the scalar equation by bisection.
        let x = Matrix::from_rows(&[[1.0, 2.0]]).unwrap();
        let alpha: f64 = 0.3;
        let a2 = 2.0 * alpha * alpha;
        let f = |nu: f64| a2 * (nu.sinh() + 2.0 * (2.0 * nu).sinh()) - 1.0;
        let (mut lo, mut hi) = (0.0, 10.0);
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if f(mid) > 0.0 {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        let s = min_q_alpha_interpolant(&x, &[1.0], alpha).unwrap();
        assert_close(&s.w, &[a2 * lo.sinh(), a2 * (2.0 * lo).sinh()], 1e-10);
    }

    #[test]
    fn interpolates_between_min_l2_and_min_l1() {
        let mut r = rng(3);
        let x = random_matrix(&mut r, 5, 12);
        let mut w = vec![0.0; 12];
        w[2] = 1.0;
        w[7] = -0.5;
        let y = x.mul_vec(&w);
        let l2 = min_l2_interpolant(&x, &y).unwrap().w;
        let l1 = min_l1_interpolant(&x, &y).unwrap().w;
        let big = min_q_alpha_interpolant(&x, &y, 100.0).unwrap().w;
        let small = min_q_alpha_interpolant(&x, &y, 1e-6).unwrap().w;
        let rel = |a: &[f64], b: &[f64]| {
            let d: f64 = a
                .iter()
                .zip(b)
                .map(|(p, q)| (p - q).powi(2))
                .sum::<f64>()
                .sqrt();
            d / b.iter().map(|v| v * v).sum::<f64>().sqrt()
        };
        assert!(rel(&big, &l2) < 1e-4, "{}", rel(&big, &l2));
        assert!(rel(&small, &l1) < 2e-2, "{}", rel(&small, &l1));
    }
}
