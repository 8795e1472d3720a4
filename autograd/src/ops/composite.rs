//! Functions built from the primitive ops: log-sum-exp, softmax, losses and norms (the
//! softmax cross-entropy is a fused op of its own, in `fused.rs`). Their
//! gradients (of any order) follow from the primitives' rules.

use crate::element::Float;
use crate::error::{ok, Error, Result};
use crate::tensor::Tensor;

impl<T: Float> Tensor<T> {
    /// `log sum_i exp(x_i)` over `axes`, computed stably as `m + log sum_i exp(x_i - m)` with
    /// `m` the (detached) maximum, so it is finite for logits of any size.
    #[track_caller]
    pub fn log_sum_exp(&self, axes: &[usize], keepdim: bool) -> Tensor<T> {
        ok(self.try_log_sum_exp(axes, keepdim))
    }

    /// Fallible form of [`log_sum_exp`](Tensor::log_sum_exp).
    pub fn try_log_sum_exp(&self, axes: &[usize], keepdim: bool) -> Result<Tensor<T>> {
        // A slice of all -inf has max -inf; shifting by 0 there keeps the result -inf, not NaN.
        let m = self.try_max(axes, true)?.detach();
        let m = Tensor::from_data(
            m.to_vec()
                .into_iter()
                .map(|v| if v.is_finite() { v } else { T::zero() })
                .collect(),
            m.shape().clone(),
        );
        let lse = self.sub(&m).exp().sum(axes, true).log().add(&m);
        if keepdim {
            Ok(lse)
        } else {
            self.try_sum(axes, false)
                .map(|s| lse.reshape(s.shape().clone()))
        }
    }

    /// `softmax(x)_i = exp(x_i) / sum_j exp(x_j)` along `axis`, computed as
    /// `exp(x_i - logsumexp(x))`.
    #[track_caller]
    pub fn softmax(&self, axis: usize) -> Tensor<T> {
        self.log_softmax(axis).exp()
    }

    /// `log_softmax(x)_i = x_i - logsumexp(x)` along `axis`.
    #[track_caller]
    pub fn log_softmax(&self, axis: usize) -> Tensor<T> {
        self.sub(&self.log_sum_exp(&[axis], true))
    }

    /// The logistic loss of margins `z` (e.g. `z_i = y_i <w, x_i>`), averaged:
    /// `mean_i log(1 + exp(-z_i))`, computed as `softplus(-z)`: finite, with the correct gradient
    /// `-sigmoid(-z)`, for any finite margin.
    pub fn logistic_loss(&self) -> Tensor<T> {
        self.neg().softplus().mean_all()
    }

    /// The exponential loss of margins `z`, averaged: `mean_i exp(-z_i)`. Its value overflows
    /// when some `z_i < -ln(MAX)` (about -709 in f64); [`log_exp_loss`](Tensor::log_exp_loss) is
    /// finite everywhere.
    pub fn exp_loss(&self) -> Tensor<T> {
        self.neg().exp().mean_all()
    }

    /// The logarithm of the exponential loss, `log mean_i exp(-z_i) = logsumexp(-z) - log n`,
    /// finite for every finite margin. Its gradient is the exponential loss's gradient divided by
    /// the loss (a softmax over the negated margins).
    pub fn log_exp_loss(&self) -> Tensor<T> {
        let n = T::of(self.numel() as f64);
        let all: Vec<usize> = (0..self.rank()).collect();
        self.neg().log_sum_exp(&all, false).sub_scalar(n.ln())
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
        Ok(self.sub(target).square().mean_all().mul_scalar(T::of(0.5)))
    }

    /// `||x||_1 = sum_i |x_i|`.
    pub fn norm_l1(&self) -> Tensor<T> {
        self.abs().sum_all()
    }

    /// `||x||_2 = sqrt(sum_i x_i^2)`. Its gradient `x / ||x||` is undefined (NaN) at `x = 0`.
    pub fn norm_l2(&self) -> Tensor<T> {
        self.square().sum_all().sqrt()
    }

    /// `||x||_p = (sum_i |x_i|^p)^(1/p)` for `p >= 1`.
    pub fn norm_lp(&self, p: T) -> Tensor<T> {
        self.abs().pow_scalar(p).sum_all().pow_scalar(T::one() / p)
    }

    /// `||x||_inf = max_i |x_i|`; the gradient is shared among the tied maximal elements.
    pub fn norm_linf(&self) -> Tensor<T> {
        self.abs().max_all()
    }
}
