//! Normalized gradient descent: steps divided by the gradient norm or by the loss.

use crate::state::{gradients, Core};
use crate::{t, Optimizer};
use autograd::{Float, Tensor};

/// Normalized gradient descent, in one of two forms chosen at construction:
///
/// ```text
/// new:      w <- w - lr g / ||g||_2     (norm of the joint gradient vector)
/// by_loss:  w <- w - lr g / L           (L the current loss value, L > 0)
/// ```
///
/// With the gradient norm, every step has length `lr` (a zero gradient gives no step), so it
/// converges to a minimizer only with a decaying learning rate (a [`Schedule`](crate::Schedule));
/// [`step`](Optimizer::step) and [`step_with_loss`](Optimizer::step_with_loss) take the same
/// step. With the loss value it is the step of the exponential/logistic-loss analyses of
/// normalized GD on separable data (Nacson et al. 2019); it needs the loss, so only
/// `step_with_loss` steps.
///
/// State: the step counts.
pub struct NormalizedGd<T: Float> {
    core: Core<T>,
    by_loss: bool,
}

impl<T: Float> NormalizedGd<T> {
    /// Normalized GD on `params` with learning rate `lr`, steps divided by the gradient norm.
    pub fn new(params: Vec<Tensor<T>>, lr: f64) -> Self {
        NormalizedGd {
            core: Core::new(params, lr, &[]),
            by_loss: false,
        }
    }

    /// Normalized GD on `params` with learning rate `lr`, steps divided by the loss value.
    pub fn by_loss(params: Vec<Tensor<T>>, lr: f64) -> Self {
        NormalizedGd {
            core: Core::new(params, lr, &[]),
            by_loss: true,
        }
    }

    /// [`Optimizer::step`]: the gradient-norm step (the loss form needs the loss).
    ///
    /// # Panics
    /// In the loss form ([`by_loss`](NormalizedGd::by_loss)).
    fn plain_step(&mut self) {
        assert!(
            !self.by_loss,
            "NormalizedGd::by_loss divides by the loss: call step_with_loss(loss), not step()"
        );
        self.grad_norm_step()
    }

    /// [`Optimizer::step_with_loss`]: `w <- w - lr g / loss` in the loss form, the
    /// gradient-norm step otherwise.
    ///
    /// # Panics
    /// In the loss form, if `loss` is not positive and finite.
    fn loss_step(&mut self, loss: f64) {
        if !self.by_loss {
            return self.grad_norm_step();
        }
        assert!(
            loss > 0.0 && loss.is_finite(),
            "NormalizedGd::step_with_loss: the loss must be positive and finite, got {loss}"
        );
        let grads = gradients(&self.core.params);
        self.scaled_step(grads, self.core.lr / loss);
    }

    fn grad_norm_step(&mut self) {
        let grads = gradients(&self.core.params);
        let norm = grads
            .iter()
            .flatten()
            .flatten()
            .map(|v| v.f64() * v.f64())
            .sum::<f64>()
            .sqrt();
        let scale = if norm > 0.0 { self.core.lr / norm } else { 0.0 };
        self.scaled_step(grads, scale);
    }

    /// `w <- w - scale g`.
    fn scaled_step(&mut self, grads: Vec<Option<Vec<T>>>, scale: f64) {
        let scale: T = t(scale);
        self.core.for_each_param(grads, |p| {
            for (w, &g) in p.w.iter_mut().zip(p.g) {
                *w = *w - scale * g;
            }
        });
    }
}

impl<T: Float> Optimizer<T> for NormalizedGd<T> {
    optimizer_via_core!(|_s| "NormalizedGD", plain_step);

    fn step_with_loss(&mut self, loss: f64) {
        self.loss_step(loss)
    }
}
