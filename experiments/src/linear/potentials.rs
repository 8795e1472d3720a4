//! Separable mirror-descent potentials `psi(w) = sum_i phi(w_i)` and the
//! reference `argmin psi(w) s.t. X w = y` by Newton's method on the dual
//! `min_nu sum_i phi*((X^T nu)_i) - y^T nu`, `w = (phi*)'(X^T nu)`.

use super::{solve, xt_mul, Matrix};
use crate::error::{Error, Result};

/// A strictly convex separable potential.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Potential {
    /// `phi(w) = |w|^p / p`, `p > 1`.
    Power(f64),
    /// `phi(w) = w^4 / 4 + w^2 / 2`.
    Quartic,
}

impl Potential {
    /// `phi(w)`.
    pub fn value(self, w: f64) -> f64 {
        match self {
            Potential::Power(p) => w.abs().powf(p) / p,
            Potential::Quartic => w.powi(4) / 4.0 + w * w / 2.0,
        }
    }

    /// The mirror map `phi'(w)`.
    pub fn grad(self, w: f64) -> f64 {
        match self {
            Potential::Power(p) => w.signum() * w.abs().powf(p - 1.0),
            Potential::Quartic => w.powi(3) + w,
        }
    }

    /// Its inverse `(phi')^{-1}(theta) = (phi*)'(theta)`.
    pub fn grad_inv(self, theta: f64) -> f64 {
        match self {
            Potential::Power(p) => theta.signum() * theta.abs().powf(1.0 / (p - 1.0)),
            Potential::Quartic => {
                // Cardano for w^3 + w = theta, polished by Newton.
                let r = (theta * theta / 4.0 + 1.0 / 27.0).sqrt();
                let mut w = (theta / 2.0 + r).cbrt() + (theta / 2.0 - r).cbrt();
                for _ in 0..3 {
                    w -= (w.powi(3) + w - theta) / (3.0 * w * w + 1.0);
                }
                w
            }
        }
    }

    /// `phi''(w)`.
    pub fn hess(self, w: f64) -> f64 {
        match self {
            Potential::Power(p) => (p - 1.0) * w.abs().powf(p - 2.0),
            Potential::Quartic => 3.0 * w * w + 1.0,
        }
    }

    /// `phi*(theta) = theta w - phi(w)` at `w = (phi')^{-1}(theta)`.
    pub fn conj(self, theta: f64) -> f64 {
        let w = self.grad_inv(theta);
        theta * w - self.value(w)
    }

    /// `(phi*)''(theta) = 1 / phi''(w)`.
    pub fn conj_hess(self, theta: f64) -> f64 {
        match self {
            Potential::Power(p) => {
                let q = p / (p - 1.0);
                (q - 1.0) * theta.abs().max(1e-12).powf(q - 2.0)
            }
            Potential::Quartic => 1.0 / self.hess(self.grad_inv(theta)),
        }
    }

    /// `psi(w) = sum_i phi(w_i)`.
    pub fn total(self, w: &[f64]) -> f64 {
        w.iter().map(|&v| self.value(v)).sum()
    }
}

/// The dual-Newton reference: `w` and `theta* = X^T nu*`.
#[derive(Clone, Debug)]
pub struct BregmanSolution {
    /// `argmin psi(w) s.t. X w = y`.
    pub w: Vec<f64>,
    /// `theta* = X^T nu*` (so `w = (phi*)'(theta*)`).
    pub theta: Vec<f64>,
    /// Newton iterations used.
    pub iterations: usize,
}

fn dual_value(x: &Matrix, y: &[f64], pot: Potential, nu: &[f64]) -> f64 {
    let theta = xt_mul(x, nu);
    theta.iter().map(|&t| pot.conj(t)).sum::<f64>() - crate::reference::dot(y, nu)
}

/// `argmin psi(w) s.t. X w = y` by damped Newton on the dual (backtracking line
/// search), to `||X w - y|| <= 1e-12 (1 + ||y||)`.
pub fn min_bregman_interpolant(x: &Matrix, y: &[f64], pot: Potential) -> Result<BregmanSolution> {
    let n = x.rows;
    let gram: Vec<f64> = (0..n * n)
        .map(|k| crate::reference::dot(x.row(k / n), x.row(k % n)))
        .collect();
    let mut nu = solve(&gram, y);
    let tol = 1e-12 * (1.0 + crate::stats::norm2(y));
    for it in 0..500 {
        let theta = xt_mul(x, &nu);
        let w: Vec<f64> = theta.iter().map(|&t| pot.grad_inv(t)).collect();
        let grad: Vec<f64> = x.mul_vec(&w).iter().zip(y).map(|(a, b)| a - b).collect();
        if crate::stats::norm2(&grad) <= tol {
            return Ok(BregmanSolution {
                w,
                theta,
                iterations: it,
            });
        }
        let h: Vec<f64> = theta.iter().map(|&t| pot.conj_hess(t)).collect();
        let mut hm = vec![0.0; n * n];
        for a in 0..n {
            for b in a..n {
                let v: f64 = (0..x.cols).map(|j| x.get(a, j) * h[j] * x.get(b, j)).sum();
                hm[a * n + b] = v;
                hm[b * n + a] = v;
            }
        }
        let tr: f64 = (0..n).map(|a| hm[a * n + a]).sum::<f64>() / n as f64;
        for a in 0..n {
            hm[a * n + a] += 1e-14 * tr;
        }
        let dir: Vec<f64> = solve(&hm, &grad).iter().map(|v| -v).collect();
        let f0 = dual_value(x, y, pot, &nu);
        let slope = crate::reference::dot(&grad, &dir);
        let mut s = 1.0;
        let mut next = nu.clone();
        for _ in 0..80 {
            next = nu.iter().zip(&dir).map(|(a, b)| a + s * b).collect();
            if dual_value(x, y, pot, &next) <= f0 + 1e-4 * s * slope + 1e-14 * f0.abs() {
                break;
            }
            s *= 0.5;
        }
        nu = next;
    }
    Err(Error::Other(format!(
        "dual Newton for the min-Bregman interpolant ({pot:?}) did not converge in 500 iterations"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference::min_l2_interpolant;
    use crate::stats::rel_dist;

    fn data() -> (Matrix, Vec<f64>) {
        let x = Matrix::new(
            3,
            6,
            (0..18)
                .map(|k| ((k * 7 % 11) as f64 - 5.0) / 3.0 + 0.1 * k as f64)
                .collect(),
        )
        .unwrap();
        (x, vec![1.0, -2.0, 0.5])
    }

    /// `grad psi(w)` lies in the row space of `X`: its least-squares residual
    /// against `X^T nu` vanishes (the KKT condition of `min psi s.t. Xw = y`).
    fn kkt_residual(x: &Matrix, pot: Potential, w: &[f64]) -> f64 {
        let g: Vec<f64> = w.iter().map(|&v| pot.grad(v)).collect();
        let n = x.rows;
        let gram: Vec<f64> = (0..n * n)
            .map(|k| crate::reference::dot(x.row(k / n), x.row(k % n)))
            .collect();
        let nu = solve(&gram, &x.mul_vec(&g));
        rel_dist(&xt_mul(x, &nu), &g)
    }

    #[test]
    fn p2_is_the_min_l2_interpolant() {
        let (x, y) = data();
        let r = min_bregman_interpolant(&x, &y, Potential::Power(2.0)).unwrap();
        let l2 = min_l2_interpolant(&x, &y).unwrap();
        assert!(rel_dist(&r.w, &l2.w) < 1e-10);
    }

    #[test]
    fn solutions_satisfy_kkt() {
        let (x, y) = data();
        for pot in [
            Potential::Power(1.5),
            Potential::Power(3.0),
            Potential::Power(4.0 / 3.0),
            Potential::Quartic,
        ] {
            let r = min_bregman_interpolant(&x, &y, pot).unwrap();
            let resid: Vec<f64> = x.mul_vec(&r.w).iter().zip(&y).map(|(a, b)| a - b).collect();
            assert!(crate::stats::norm2(&resid) < 1e-10, "{pot:?} infeasible");
            assert!(
                kkt_residual(&x, pot, &r.w) < 1e-8,
                "{pot:?}: grad psi(w) not in the row space"
            );
        }
    }

    #[test]
    fn mirror_map_inverts() {
        for pot in [
            Potential::Power(1.5),
            Potential::Power(3.0),
            Potential::Quartic,
        ] {
            for w in [-3.0, -0.2, 0.0, 0.7, 5.0] {
                assert!(
                    (pot.grad_inv(pot.grad(w)) - w).abs() < 1e-12 * (1.0 + w.abs()),
                    "{pot:?} at {w}"
                );
            }
        }
    }
}
