//! Optimizers acting on [`Tensor`]s, whose implicit biases the experiments compare.
//!
//! An optimizer owns clones of the parameter tensors (clones share data and gradient with the
//! caller's), reads each parameter's [`grad`](Tensor::grad) in [`Optimizer::step`] and updates
//! the data in place; parameters without a gradient are skipped.
//!
//! * Standard methods, with the update formulas of PyTorch's documentation: [`Sgd`] (momentum,
//!   dampening, Nesterov, weight decay), [`Adagrad`], [`RmsProp`], [`Adam`] / AdamW, and
//!   [`AveragedSgd`] (SGD keeping the running mean of its iterates).
//! * Methods of the geometry of the theory: [`SteepestDescent`] with respect to a norm
//!   ([`Norm`]: l1, l2, l-inf, lp) and its unit-step form [`NormalizedSteepest`],
//!   [`ForwardStagewise`] (greedy coordinate steps), [`MirrorDescent`] with a [`Potential`]
//!   (exponentiated gradient, p-norm, hyperbolic entropy, quartic), with primal momentum
//!   ([`MirrorMomentum`]), the explicit [`SignedEg`] (EG+/-), [`NaturalGradient`] in a
//!   potential's metric, [`NormalizedGd`] and [`PathSgd`] for ReLU networks.
//! * [`Schedule`]s of the learning rate, applied to any optimizer through
//!   [`Optimizer::set_lr`].
//! * Checkpoints: [`Optimizer::state`] exports every internal buffer as an [`OptimizerState`],
//!   saved to JSON atomically.
//!
//! ```
//! use autograd::Tensor;
//! use optim::{Optimizer, Sgd, SgdConfig};
//! // One step of GD on f(w) = 0.5 ||w||^2 from w = (1, -2) with lr 0.1: w <- w - 0.1 w.
//! let w = Tensor::<f64>::from_vec(vec![1.0, -2.0], [2]).unwrap().requires_grad();
//! let mut opt = Sgd::new(vec![w.clone()], SgdConfig { lr: 0.1, ..Default::default() });
//! w.mul(&w).sum_all().mul_scalar(0.5).backward();
//! opt.step();
//! assert_eq!(w.to_vec(), vec![0.9, -1.8]);
//! ```

#![deny(missing_docs)]

/// Implements the [`Optimizer`] methods other than `step` from a field `core: state::Core<T>`;
/// `step` calls the inherent method `$step`, `name` evaluates `$name` with `$s = self`.
macro_rules! optimizer_via_core {
    (|$s:ident| $name:expr, $step:ident) => {
        fn name(&self) -> &'static str {
            let $s = self;
            $name
        }
        fn params(&self) -> &[autograd::Tensor<T>] {
            &self.core.params
        }
        fn step(&mut self) {
            self.$step()
        }
        fn lr(&self) -> f64 {
            self.core.lr
        }
        fn set_lr(&mut self, lr: f64) {
            self.core.lr = lr;
        }
        fn state(&self) -> $crate::OptimizerState {
            self.core.export(self.name())
        }
        fn load_state(&mut self, state: &$crate::OptimizerState) -> Result<(), $crate::StateError> {
            let name = self.name();
            self.core.import(name, state)
        }
    };
}

mod adaptive;
mod averaging;
pub mod json;
mod mirror;
mod mirror_momentum;
mod natural_gradient;
mod normalized;
mod normalized_steepest;
mod path_sgd;
mod schedule;
mod sgd;
mod stagewise;
mod state;
mod steepest;

pub use adaptive::{Adagrad, AdagradConfig, Adam, AdamConfig, RmsProp, RmsPropConfig};
pub use averaging::AveragedSgd;
pub use mirror::{
    ExponentiatedGradient, HyperbolicEntropy, MirrorDescent, NegativeEntropy, PNorm, Potential,
    Quartic, SignedEg, SquaredEuclidean,
};
pub use mirror_momentum::MirrorMomentum;
pub use natural_gradient::NaturalGradient;
pub use normalized::NormalizedGd;
pub use normalized_steepest::NormalizedSteepest;
pub use path_sgd::{path_norm, path_scales, PathSgd, WeightLayout};
pub use schedule::{Constant, Cosine, InverseSqrt, InverseTime, Schedule, StepDecay};
pub use sgd::{Sgd, SgdConfig};
pub use stagewise::ForwardStagewise;
pub use state::{OptimizerState, StateError};
pub use steepest::{steepest_direction, Norm, SteepestDescent};

use autograd::{Float, Tensor};
use std::path::Path;

/// An optimizer: updates a fixed list of parameter tensors from their gradients.
///
/// Learning rates are `f64` whatever the element type `T`; the arithmetic of an update is done in
/// `T` (as PyTorch does) except where a method needs the joint parameter vector (steepest descent,
/// normalized GD, Path-SGD), which is done in `f64`.
pub trait Optimizer<T: Float> {
    /// The kind of optimizer, as recorded in its [`OptimizerState`] (e.g. `"Adam"`).
    fn name(&self) -> &'static str;

    /// The parameters, in the order given to the constructor (the indices of state entries).
    fn params(&self) -> &[Tensor<T>];

    /// One update: reads each parameter's gradient and changes its data in place. Parameters
    /// without a gradient are skipped (their per-parameter state, including the step count, is
    /// left as it is).
    ///
    /// # Panics
    /// If a gradient has a different number of elements than its parameter.
    fn step(&mut self);

    /// One update given the loss `loss` at the current parameters (the value whose gradient was
    /// just computed). The default ignores the loss and calls [`step`](Optimizer::step);
    /// optimizers whose rule uses the loss value override it ([`NormalizedGd`] divides the step
    /// by it, [`ForwardStagewise`] halves its step when it stalls). A training loop that knows
    /// the loss calls this, so that any optimizer can be plugged in.
    fn step_with_loss(&mut self, loss: f64) {
        let _ = loss;
        self.step()
    }

    /// Clears the gradients of all parameters (they accumulate across `backward` calls).
    fn zero_grad(&self) {
        for p in self.params() {
            p.zero_grad();
        }
    }

    /// The current learning rate.
    fn lr(&self) -> f64;

    /// Sets the learning rate used by the next steps (what a [`Schedule`] calls).
    fn set_lr(&mut self, lr: f64);

    /// All internal state: the learning rate, step counts and buffers, as named flat vectors.
    fn state(&self) -> OptimizerState;

    /// Restores what [`state`](Optimizer::state) exported, so that the next steps are exactly
    /// those of the optimizer that exported it. On error nothing is changed.
    fn load_state(&mut self, state: &OptimizerState) -> Result<(), StateError>;

    /// Saves [`state`](Optimizer::state) as JSON to `path`, atomically (temporary file, then
    /// rename).
    fn save_state(&self, path: &Path) -> Result<(), StateError> {
        self.state().save(path)
    }

    /// Loads a state saved by [`save_state`](Optimizer::save_state).
    fn load_state_file(&mut self, path: &Path) -> Result<(), StateError> {
        let st = OptimizerState::load(path)?;
        self.load_state(&st)
    }
}

/// A boxed optimizer is an optimizer (so a run can pick its optimizer at run time).
impl<T: Float, O: Optimizer<T> + ?Sized> Optimizer<T> for Box<O> {
    fn name(&self) -> &'static str {
        (**self).name()
    }
    fn params(&self) -> &[Tensor<T>] {
        (**self).params()
    }
    fn step(&mut self) {
        (**self).step()
    }
    fn step_with_loss(&mut self, loss: f64) {
        (**self).step_with_loss(loss)
    }
    fn zero_grad(&self) {
        (**self).zero_grad()
    }
    fn lr(&self) -> f64 {
        (**self).lr()
    }
    fn set_lr(&mut self, lr: f64) {
        (**self).set_lr(lr)
    }
    fn state(&self) -> OptimizerState {
        (**self).state()
    }
    fn load_state(&mut self, state: &OptimizerState) -> Result<(), StateError> {
        (**self).load_state(state)
    }
}

/// `x` converted to the element type.
pub(crate) fn t<T: Float>(x: f64) -> T {
    T::of(x)
}
