//! Steepest descent with respect to a norm on the joint parameter vector.

use crate::state::{gradients, Core};
use crate::{t, Optimizer};
use autograd::{Float, Tensor};

/// A norm on the joint parameter vector (all parameters flattened and concatenated in order).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Norm {
    /// `||x||_1 = sum_i |x_i|`; its dual is l-inf.
    L1,
    /// `||x||_2 = sqrt(sum_i x_i^2)`; self-dual.
    L2,
    /// `||x||_inf = max_i |x_i|`; its dual is l1.
    LInf,
    /// `||x||_p = (sum_i |x_i|^p)^(1/p)` for `p >= 1` (`p = 1, 2, inf` are the cases above);
    /// its dual is l_q with `1/p + 1/q = 1`, `q = p / (p - 1)`.
    Lp(f64),
}

impl Norm {
    /// The same norm with `Lp(1)`, `Lp(2)` and `Lp(inf)` turned into `L1`, `L2`, `LInf`.
    ///
    /// # Panics
    /// If `p < 1` or `p` is NaN (not a norm).
    pub fn canonical(self) -> Norm {
        match self {
            Norm::Lp(p) => {
                assert!(p >= 1.0, "Norm::Lp({p}): p must be >= 1");
                if p == 1.0 {
                    Norm::L1
                } else if p == 2.0 {
                    Norm::L2
                } else if p == f64::INFINITY {
                    Norm::LInf
                } else {
                    Norm::Lp(p)
                }
            }
            n => n,
        }
    }

    /// The dual norm `||g||_* = sup_{||d|| <= 1} <g, d>`.
    pub fn dual(self) -> Norm {
        match self.canonical() {
            Norm::L1 => Norm::LInf,
            Norm::L2 => Norm::L2,
            Norm::LInf => Norm::L1,
            Norm::Lp(p) => Norm::Lp(p / (p - 1.0)),
        }
    }

    /// `||x||`, computed without overflow for large entries (scaled by the largest `|x_i|`).
    pub fn of(self, x: &[f64]) -> f64 {
        let max = x.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        match self.canonical() {
            Norm::L1 => x.iter().map(|v| v.abs()).sum(),
            Norm::LInf => max,
            Norm::L2 => lp(x, 2.0, max),
            Norm::Lp(p) => lp(x, p, max),
        }
    }
}

fn lp(x: &[f64], p: f64, max: f64) -> f64 {
    if max == 0.0 || !max.is_finite() {
        return max;
    }
    max * x
        .iter()
        .map(|v| (v.abs() / max).powf(p))
        .sum::<f64>()
        .powf(1.0 / p)
}

fn sign(x: f64) -> f64 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        0.0
    }
}

/// The normalized steepest-descent direction `d = argmin_{||d|| <= 1} <g, d>` and the dual norm
/// `||g||_*`, so that `<g, d> = -||g||_*` and `||d|| = 1` (for `g != 0`; for `g = 0`, `d = 0`):
///
/// ```text
/// l2:    d = -g / ||g||_2                                        ||g||_* = ||g||_2
/// l-inf: d = -sign(g)                                             ||g||_* = ||g||_1
/// l1:    d = -sign(g_k) e_k,  k = argmax_i |g_i| (first one)      ||g||_* = ||g||_inf
/// lp:    d_i = -sign(g_i) |g_i|^(q-1) / ||g||_q^(q-1),  q = p/(p-1)   ||g||_* = ||g||_q
/// ```
///
/// (For l-inf, coordinates with `g_i = 0` get `d_i = 0`; any value in `[-1, 1]` would do.)
pub fn steepest_direction(g: &[f64], norm: Norm) -> (Vec<f64>, f64) {
    let norm = norm.canonical();
    let dual = norm.dual().of(g);
    if dual == 0.0 {
        return (vec![0.0; g.len()], 0.0);
    }
    let d = match norm {
        Norm::L2 => g.iter().map(|v| -v / dual).collect(),
        Norm::LInf => g.iter().map(|&v| -sign(v)).collect(),
        Norm::L1 => {
            let k = g
                .iter()
                .enumerate()
                .fold(0, |k, (i, v)| if v.abs() > g[k].abs() { i } else { k });
            let mut d = vec![0.0; g.len()];
            d[k] = -sign(g[k]);
            d
        }
        Norm::Lp(p) => {
            let q = p / (p - 1.0);
            g.iter()
                .map(|&v| -sign(v) * (v.abs() / dual).powf(q - 1.0))
                .collect()
        }
    };
    (d, dual)
}

/// Steepest descent with respect to a [`Norm`] on the joint parameter vector `w` (all parameters
/// flattened and concatenated; parameters without a gradient are left out of it):
///
/// ```text
/// w <- w + lr ||g||_* d,    d = argmin_{||d|| <= 1} <g, d>     (see steepest_direction)
/// ```
///
/// i.e. the unnormalized steepest step `argmin_v <g, v> + ||v||^2 / (2 lr)`, which for the l2
/// norm is plain gradient descent `w <- w - lr g` (computed as exactly that). Hence: l-inf is
/// sign descent scaled by `||g||_1`, `w <- w - lr ||g||_1 sign(g)`; l1 is greedy coordinate
/// descent moving only the coordinate `k` of largest `|g_k|`, by `-lr ||g||_inf sign(g_k)`; lp
/// moves `w_i <- w_i - lr sign(g_i) |g_i|^(q-1) ||g||_q^(2-q)`.
///
/// (Sign convention: `d` points downhill, `<g, d> = -||g||_*`; the step is `+lr ||g||_* d`,
/// which is `-lr ||g||_* s` for the uphill `s = -d = argmax_{||s|| <= 1} <g, s>`.)
///
/// State: the step counts.
pub struct SteepestDescent<T: Float> {
    core: Core<T>,
    norm: Norm,
}

impl<T: Float> SteepestDescent<T> {
    /// Steepest descent on `params` with respect to `norm`, learning rate `lr`.
    ///
    /// # Panics
    /// If `norm` is `Lp(p)` with `p < 1`.
    pub fn new(params: Vec<Tensor<T>>, norm: Norm, lr: f64) -> Self {
        SteepestDescent {
            core: Core::new(params, lr, &[]),
            norm: norm.canonical(),
        }
    }

    /// The norm.
    pub fn norm(&self) -> Norm {
        self.norm
    }

    fn steepest_step(&mut self) {
        let grads = gradients(&self.core.params);
        let lr: T = t(self.core.lr);
        let dirs = if self.norm == Norm::L2 {
            grads
        } else {
            let joint: Vec<f64> = grads.iter().flatten().flatten().map(|v| v.f64()).collect();
            let (d, dual) = steepest_direction(&joint, self.norm);
            let mut rest = d.into_iter();
            grads
                .into_iter()
                .map(|g| {
                    g.map(|g| {
                        // The uphill direction scaled by the dual norm: w <- w - lr * this.
                        (&mut rest).take(g.len()).map(|di| t(-dual * di)).collect()
                    })
                })
                .collect()
        };
        self.core.for_each_param(dirs, |p| {
            for (w, &s) in p.w.iter_mut().zip(p.g) {
                *w = *w - lr * s;
            }
        });
    }
}

impl<T: Float> Optimizer<T> for SteepestDescent<T> {
    optimizer_via_core!(|_s| "SteepestDescent", steepest_step);
}
