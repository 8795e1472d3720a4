//! Functions built from the primitive ops: log-sum-exp, softmax and norms (the losses are fused
//! ops of their own, in `losses.rs` and `fused.rs`). Their gradients (of any order) follow
//! from the primitives' rules.

use crate::element::Float;
use crate::error::{ok, Result};
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
