//! Natural gradient descent with a separable metric.

use crate::mirror::Potential;
use crate::state::Core;
use crate::Optimizer;
use autograd::{Float, Tensor};

/// Natural gradient descent in the metric `grad^2 psi(w) = diag(phi''(w_i))` of a separable
/// [`Potential`], coordinatewise on every parameter:
///
/// ```text
/// w_{t+1} = w_t - lr g_t / phi''(w_t)
/// ```
///
/// It is mirror descent's first-order approximation (the two agree as `lr -> 0`), but for a
/// finite step the iterates leave the affine set mirror descent stays on, so on underdetermined
/// least squares its limit depends on the step size (Gunasekar et al. 2018).
///
/// State: the step counts.
pub struct NaturalGradient<T: Float, P: Potential> {
    core: Core<T>,
    potential: P,
}

impl<T: Float, P: Potential> NaturalGradient<T, P> {
    /// Natural gradient on `params` in the metric of `potential`, learning rate `lr`.
    pub fn new(params: Vec<Tensor<T>>, potential: P, lr: f64) -> Self {
        NaturalGradient {
            core: Core::new(params, lr, &[]),
            potential,
        }
    }

    fn natural_step(&mut self) {
        let lr = self.core.lr;
        let pot = &self.potential;
        self.core.for_each_grad(|p| {
            for (w, g) in p.w.iter_mut().zip(p.g) {
                let x = w.f64();
                *w = T::of(x - lr * g.f64() / pot.hess(x));
            }
        });
    }
}

impl<T: Float, P: Potential> Optimizer<T> for NaturalGradient<T, P> {
    optimizer_via_core!(|_s| "NaturalGradient", natural_step);
}
