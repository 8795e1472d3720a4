//! Normalized steepest descent with respect to a norm: unit steps along the steepest direction.

use crate::state::{gradients, Core};
use crate::steepest::{steepest_direction, Norm};
use crate::{t, Optimizer};
use autograd::{Float, Tensor};

/// Normalized steepest descent w.r.t. a [`Norm`] on the joint parameter vector `w` (all
/// parameters flattened and concatenated; parameters without a gradient are left out):
///
/// ```text
/// w <- w + lr d,     d = argmin_{||d|| <= 1} <g, d>      (see steepest_direction; ||d|| = 1)
/// ```
///
/// Every step has length `lr` in the norm: l2 is `w <- w - lr g / ||g||_2`, l-inf is sign
/// descent `w <- w - lr sign(g)`, l1 moves the single coordinate `k = argmax |g_k|` by
/// `-lr sign(g_k)`. The step does not depend on the gradient's scale, so minimizing `ln L`
/// instead of `L` gives the same iterates, and stays finite where `L` underflows. On
/// separable data with the exponential loss it converges in direction to the norm's max-margin
/// classifier (Gunasekar et al. 2018). Compare [`SteepestDescent`](crate::SteepestDescent), whose
/// step is scaled by the dual norm of the gradient.
///
/// State: the step counts.
pub struct NormalizedSteepest<T: Float> {
    core: Core<T>,
    norm: Norm,
}

impl<T: Float> NormalizedSteepest<T> {
    /// Normalized steepest descent on `params` w.r.t. `norm`, step length `lr`.
    ///
    /// # Panics
    /// If `norm` is `Lp(p)` with `p < 1`.
    pub fn new(params: Vec<Tensor<T>>, norm: Norm, lr: f64) -> Self {
        NormalizedSteepest {
            core: Core::new(params, lr, &[]),
            norm: norm.canonical(),
        }
    }

    /// The norm.
    pub fn norm(&self) -> Norm {
        self.norm
    }

    fn unit_step(&mut self) {
        let grads = gradients(&self.core.params);
        let joint: Vec<f64> = grads.iter().flatten().flatten().map(|v| v.f64()).collect();
        let (d, _) = steepest_direction(&joint, self.norm);
        let lr = self.core.lr;
        let mut rest = d.into_iter();
        let dirs = grads
            .into_iter()
            .map(|g| g.map(|g| (&mut rest).take(g.len()).map(|di| t(lr * di)).collect()))
            .collect();
        self.core.for_each_param(dirs, |p| {
            for (w, &s) in p.w.iter_mut().zip(p.g) {
                *w = *w + s;
            }
        });
    }
}

impl<T: Float> Optimizer<T> for NormalizedSteepest<T> {
    optimizer_via_core!(|_s| "NormalizedSteepest", unit_step);
}
