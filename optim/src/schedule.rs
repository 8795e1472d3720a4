//! Learning-rate schedules, applied to any optimizer through [`Optimizer::set_lr`].

use crate::Optimizer;
use autograd::Float;

/// A learning-rate schedule: the rate `lr(t)` to use for step `t` (counted from 0).
///
/// ```
/// use autograd::Tensor;
/// use optim::{InverseTime, Optimizer, Schedule, Sgd, SgdConfig};
/// let w = Tensor::<f64>::zeros([2]).requires_grad();
/// let mut opt = Sgd::new(vec![w], SgdConfig::default());
/// let schedule = InverseTime { lr0: 0.5, t0: 10.0 };
/// for t in 0..3 {
///     schedule.apply(&mut opt, t); // then compute gradients and opt.step()
/// }
/// assert_eq!(opt.lr(), 0.5 / 1.2);
/// ```
pub trait Schedule {
    /// The learning rate for step `t` (0 for the first step).
    fn lr(&self, t: u64) -> f64;

    /// Sets `opt`'s learning rate to `lr(t)`.
    fn apply<T: Float, O: Optimizer<T> + ?Sized>(&self, opt: &mut O, t: u64)
    where
        Self: Sized,
    {
        opt.set_lr(self.lr(t));
    }
}

/// `lr(t) = lr`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Constant(pub f64);

impl Schedule for Constant {
    fn lr(&self, _t: u64) -> f64 {
        self.0
    }
}

/// Step decay: `lr(t) = lr0 * gamma^floor(t / step_size)` (PyTorch's `StepLR`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepDecay {
    /// The initial rate.
    pub lr0: f64,
    /// The factor applied every `step_size` steps.
    pub gamma: f64,
    /// The number of steps between decays (> 0).
    pub step_size: u64,
}

impl Schedule for StepDecay {
    fn lr(&self, t: u64) -> f64 {
        assert!(self.step_size > 0, "StepDecay: step_size must be > 0");
        let k = t / self.step_size;
        self.lr0 * self.gamma.powf(k as f64)
    }
}

/// Inverse-square-root decay: `lr(t) = lr0 / sqrt(t + 1)` (the step of normalized GD on
/// separable data in Nacson et al. 2019).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct InverseSqrt {
    /// The initial rate.
    pub lr0: f64,
}

impl Schedule for InverseSqrt {
    fn lr(&self, t: u64) -> f64 {
        self.lr0 / ((t + 1) as f64).sqrt()
    }
}

/// Inverse-time decay: `lr(t) = lr0 / (1 + t / t0)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct InverseTime {
    /// The initial rate.
    pub lr0: f64,
    /// The time scale `t0 > 0` (the rate halves at `t = t0`).
    pub t0: f64,
}

impl Schedule for InverseTime {
    fn lr(&self, t: u64) -> f64 {
        self.lr0 / (1.0 + t as f64 / self.t0)
    }
}

/// Cosine annealing from `lr0` to `lr_min` over `t_max` steps, then constant `lr_min`:
/// `lr(t) = lr_min + (lr0 - lr_min) (1 + cos(pi min(t, t_max) / t_max)) / 2` (PyTorch's
/// `CosineAnnealingLR` without restarts).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Cosine {
    /// The initial rate.
    pub lr0: f64,
    /// The final rate.
    pub lr_min: f64,
    /// The length of the annealing (> 0).
    pub t_max: u64,
}

impl Schedule for Cosine {
    fn lr(&self, t: u64) -> f64 {
        assert!(self.t_max > 0, "Cosine: t_max must be > 0");
        let x = t.min(self.t_max) as f64 / self.t_max as f64;
        self.lr_min + (self.lr0 - self.lr_min) * (1.0 + (std::f64::consts::PI * x).cos()) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_follow_their_formulas() {
        assert_eq!(Constant(0.3).lr(1000), 0.3);
        let s = StepDecay {
            lr0: 1.0,
            gamma: 0.5,
            step_size: 10,
        };
        assert_eq!(
            [s.lr(0), s.lr(9), s.lr(10), s.lr(25)],
            [1.0, 1.0, 0.5, 0.25]
        );
        let s = InverseTime { lr0: 2.0, t0: 4.0 };
        assert_eq!([s.lr(0), s.lr(4), s.lr(12)], [2.0, 1.0, 0.5]);
        let s = Cosine {
            lr0: 1.0,
            lr_min: 0.1,
            t_max: 100,
        };
        assert_eq!(s.lr(0), 1.0);
        assert!((s.lr(50) - 0.55).abs() < 1e-15);
        assert!((s.lr(100) - 0.1).abs() < 1e-15);
        assert_eq!(s.lr(100), s.lr(1000));
    }
}
