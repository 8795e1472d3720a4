//! The training losses of the linear and margin experiments, each one fused op: one pass over
//! its input and a scalar output, where the composite chain (`neg`, `softplus`, `sum`, scalings)
//! recorded three to ten ops and as many temporaries each way. Their backward rules (in
//! `backprop.rs`) are written with primitive ops, so higher derivatives follow.
//!
//! | loss | value | gradient (times the output's gradient `g`) |
//! | --- | --- | --- |
//! | [`logistic_loss`](Tensor::logistic_loss) | `mean_i ln(1 + exp(-z_i))` | `-sigmoid(-z) / n` |
//! | [`exp_loss`](Tensor::exp_loss) | `mean_i exp(-z_i)` | `-exp(-z) / n` |
//! | [`log_exp_loss`](Tensor::log_exp_loss) | `ln mean_i exp(-z_i)` | `-exp(-z - out) / n` (a softmax of `-z`) |
//! | [`squared_loss`](Tensor::squared_loss) | `0.5 mean_i (p_i - t_i)^2` | `(p - t) / n`, and its negative for `t` |

use crate::backprop::Op;
use crate::element::Float;
use crate::error::{ok, Error, Result};
use crate::kernels::losses::{exp_sum, log_sum_exp_neg, logistic_sum, squared_diff_sum};
use crate::pool;
use crate::shape::Shape;
use crate::tensor::Tensor;

impl<T: Float> Tensor<T> {
    /// The logistic loss of margins `z` (e.g. `z_i = y_i <w, x_i>`), averaged:
    /// `mean_i ln(1 + exp(-z_i))`, each term computed as `softplus(-z_i)`: finite, with the
    /// correct gradient `-sigmoid(-z) / n`, for any finite margin.
    pub fn logistic_loss(&self) -> Tensor<T> {
        let sum = self.with_slice(logistic_sum);
        self.scalar_op(sum / self.count(), Op::LogisticLoss(self.clone()))
    }

    /// The exponential loss of margins `z`, averaged: `mean_i exp(-z_i)`. Its value overflows
    /// when some `z_i < -ln(MAX)` (about -709 in f64); [`log_exp_loss`](Tensor::log_exp_loss)
    /// is finite everywhere.
    pub fn exp_loss(&self) -> Tensor<T> {
        let sum = self.with_slice(exp_sum);
        self.scalar_op(sum / self.count(), Op::ExpLoss(self.clone()))
    }

    /// The logarithm of the exponential loss, `ln mean_i exp(-z_i) = logsumexp(-z) - ln n`,
    /// finite for every finite margin. Its gradient is the exponential loss's gradient divided
    /// by the loss: `-exp(-z - out) / n`, a softmax over the negated margins.
    pub fn log_exp_loss(&self) -> Tensor<T> {
        let lse = self.with_slice(log_sum_exp_neg);
        self.scalar_op(lse - self.count().ln(), Op::LogExpLoss(self.clone()))
    }

    /// The squared loss `0.5 * mean_i (self_i - target_i)^2`.
    ///
    /// # Panics
    /// If the shapes differ.
    #[track_caller]
    pub fn squared_loss(&self, target: &Tensor<T>) -> Tensor<T> {
        ok(self.try_squared_loss(target))
    }

    /// Fallible form of [`squared_loss`](Tensor::squared_loss).
    pub fn try_squared_loss(&self, target: &Tensor<T>) -> Result<Tensor<T>> {
        if self.shape() != target.shape() {
            return Err(Error::new(
                "squared_loss",
                format!(
                    "prediction {:?} and target {:?} differ",
                    self.shape(),
                    target.shape()
                ),
            ));
        }
        let sum = self.with_slice(|p| target.with_slice(|t| squared_diff_sum(p, t)));
        let half = T::of(0.5);
        Ok(self.scalar_op(
            half * sum / self.count(),
            Op::SquaredLoss(self.clone(), target.clone()),
        ))
    }

    /// The number of elements, as `T` (the `n` of a mean).
    fn count(&self) -> T {
        T::of(self.numel() as f64)
    }

    /// A recorded scalar (shape `[]`) with value `value`.
    fn scalar_op(&self, value: T, op: Op<T>) -> Tensor<T> {
        Tensor::from_op(pool::filled(1, value), Shape::default(), op)
    }
}
