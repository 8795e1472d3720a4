//! Mirror descent with heavy-ball momentum on the primal iterate.

use crate::mirror::Potential;
use crate::state::{gradients, Core};
use crate::Optimizer;
use autograd::{Float, Tensor};

/// Mirror descent with primal momentum, coordinatewise on every parameter:
///
/// ```text
/// grad psi(w_{t+1}) = grad psi(w_t + beta (w_t - w_{t-1})) - lr g_t,      w_{-1} = w_0
/// ```
///
/// With `beta = 0` it is [`MirrorDescent`](crate::MirrorDescent). With `beta > 0` the iterates
/// leave the affine set that keeps mirror descent's limit at `argmin psi(w) s.t. X w = y` on
/// underdetermined least squares (Gunasekar et al. 2018): the limit then depends on `beta`.
///
/// State: `"prev.{i}"` (`w_{t-1}`) and the step counts.
pub struct MirrorMomentum<T: Float, P: Potential> {
    core: Core<T>,
    potential: P,
    beta: f64,
}

impl<T: Float, P: Potential> MirrorMomentum<T, P> {
    /// Mirror descent with momentum `beta` on `params`, potential `potential`, learning rate `lr`.
    ///
    /// # Panics
    /// If `beta` is not in `[0, 1)`.
    pub fn new(params: Vec<Tensor<T>>, potential: P, lr: f64, beta: f64) -> Self {
        assert!(
            (0.0..1.0).contains(&beta),
            "MirrorMomentum: beta must be in [0, 1), got {beta}"
        );
        let mut core = Core::new(params, lr, &[("prev", 0.0)]);
        for i in 0..core.params.len() {
            let w0 = core.params[i].to_vec();
            core.slots.set(i, 0, w0);
        }
        MirrorMomentum {
            core,
            potential,
            beta,
        }
    }

    /// The momentum `beta`.
    pub fn beta(&self) -> f64 {
        self.beta
    }

    fn momentum_step(&mut self) {
        let (lr, beta) = (self.core.lr, self.beta);
        let pot = &self.potential;
        let grads = gradients(&self.core.params);
        self.core.for_each_param(grads, |p| {
            let [prev] = p.bufs else {
                unreachable!("MirrorMomentum has one buffer")
            };
            for ((w, prev), g) in p.w.iter_mut().zip(prev.iter_mut()).zip(p.g) {
                let (now, before) = (w.f64(), prev.f64());
                let look = now + beta * (now - before);
                *prev = *w;
                *w = T::of(pot.grad_inv(pot.grad(look) - lr * g.f64()));
            }
        });
    }
}

impl<T: Float, P: Potential> Optimizer<T> for MirrorMomentum<T, P> {
    optimizer_via_core!(|_s| "MirrorMomentum", momentum_step);
}
