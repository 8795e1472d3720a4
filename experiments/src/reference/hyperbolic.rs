//! The diagonal-net reference (protocol 10a, Woodworth et al. 2020, Thm 1):
//! `argmin Q_alpha(beta)  s.t.  X beta = y`, with
//! `Q_alpha(beta) = alpha^2 sum_i q(beta_i / alpha^2)`,
//! `q(z) = 2 - sqrt(4 + z^2) + z asinh(z / 2)`.
//!
//! Since `q'(z) = asinh(z / 2)`, the KKT conditions give
//! `beta = 2 alpha^2 sinh(X^T nu)`; `nu` minimises the dual
//! `sum_i 2 alpha^2 cosh((X^T nu)_i) - y^T nu`, solved here by damped Newton.

use super::{check_samples, Error, Matrix, Solution, Status};

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

/// `argmin Q_alpha(beta) s.t. X beta = y` by Newton on the dual; stops when
/// `||X beta - y|| <= 1e-12 (1 + ||y||)`.
pub fn min_q_alpha_interpolant(x: &Matrix, y: &[f64], alpha: f64) -> Result<Solution, Error> {
    check_samples(x, y, "y")?;
    let (n, d) = (x.rows, x.cols);
    let a2 = 2.0 * alpha * alpha;
    let ynorm = y.iter().map(|v| v * v).sum::<f64>().sqrt();
    let theta = |nu: &[f64]| -> Vec<f64> {
        let mut t = vec![0.0; d];
        for (i, &v) in nu.iter().enumerate() {
            for (tj, xij) in t.iter_mut().zip(x.row(i)) {
                *tj += v * xij;
            }
        }
        t
    };
    let dual = |nu: &[f64]| -> f64 {
        let t = theta(nu);
        t.iter().map(|v| a2 * v.cosh()).sum::<f64>()
            - nu.iter().zip(y).map(|(a, b)| a * b).sum::<f64>()
    };
    let mut nu = vec![0.0; n];
    let mut last = f64::NAN;
    for it in 0..10_000u32 {
        let t = theta(&nu);
        let beta: Vec<f64> = t.iter().map(|v| a2 * v.sinh()).collect();
        let xb = x.mul_vec(&beta);
        let grad: Vec<f64> = xb.iter().zip(y).map(|(a, b)| a - b).collect();
        let gnorm = grad.iter().map(|v| v * v).sum::<f64>().sqrt();
        last = gnorm;
        if gnorm <= 1e-12 * (1.0 + ynorm) || (it >= 200 && gnorm <= 1e-9 * (1.0 + ynorm)) {
            return Ok(Solution {
                objective: q_alpha(&beta, alpha),
                w: beta,
                status: Status::Converged {
                    sweeps: it as usize,
                },
            });
        }
        // Hessian X diag(2 alpha^2 cosh(theta)) X^T (+ a tiny ridge for safety).
        let h: Vec<f64> = t.iter().map(|v| a2 * v.cosh()).collect();
        let mut hess = vec![0.0; n * n];
        for i in 0..n {
            for k in i..n {
                let s: f64 = (0..d).map(|j| x.get(i, j) * h[j] * x.get(k, j)).sum();
                hess[i * n + k] = s;
                hess[k * n + i] = s;
            }
        }
        let ridge = 1e-14 * (0..n).map(|i| hess[i * n + i]).fold(0.0, f64::max);
        (0..n).for_each(|i| hess[i * n + i] += ridge);
        let step = crate::linear::solve(&hess, &grad);
        // Backtracking (Armijo) on the dual objective.
        let f0 = dual(&nu);
        let slope: f64 = grad.iter().zip(&step).map(|(g, s)| g * s).sum();
        let mut lr = 1.0;
        loop {
            let cand: Vec<f64> = nu.iter().zip(&step).map(|(v, s)| v - lr * s).collect();
            let f = dual(&cand);
            if f.is_finite() && f <= f0 - 1e-4 * lr * slope {
                nu = cand;
                break;
            }
            lr *= 0.5;
            if lr < 1e-20 {
                return Err(Error::NotConverged {
                    problem: "min Q_alpha s.t. X beta = y (dual Newton)",
                    status: format!(
                        "line search failed at iteration {it}, ||X beta - y|| = {gnorm:e}"
                    ),
                });
            }
        }
    }
    Err(Error::NotConverged {
        problem: "min Q_alpha s.t. X beta = y (dual Newton)",
        status: format!("10000 Newton iterations (alpha = {alpha}, last gradient {last:e})"),
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
