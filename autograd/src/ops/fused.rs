//! Fused ops: one pass and one output buffer where a chain of primitives would allocate a
//! temporary per step. Each is a primitive on the tape with its own backward rule (in
//! `backprop.rs`), written with tensor ops so that higher derivatives still work.
//!
//! * [`relu_grad`](Tensor::relu_grad): `g * 1[x > 0]`, the backward of ReLU without the mask.
//! * [`softmax_cross_entropy`](Tensor::softmax_cross_entropy): the mean cross-entropy of logits,
//!   one row-wise log-sum-exp pass, with backward `(softmax(x) - onehot(labels)) g / n` in one
//!   more pass (the composite `log_softmax - gather - mean` takes four temporaries each way).

use crate::backprop::Op;
use crate::element::Float;
use crate::error::{ok, Error, Result};
use crate::kernels::elementwise::zip_broadcast;
use crate::kernels::softmax::{cross_entropy_grad, cross_entropy_sum};
use crate::pool;
use crate::shape::Shape;
use crate::tensor::Tensor;
use std::sync::Arc;

impl<T: Float> Tensor<T> {
    /// The ReLU backward `self * 1[x > 0]`: this gradient `self` kept where the ReLU input `x`
    /// is positive, zero elsewhere. Linear in `self`; its derivative in `x` is zero (almost
    /// everywhere), so it passes no gradient to `x`.
    ///
    /// # Panics
    /// If the shapes differ (the message names both).
    #[track_caller]
    pub fn relu_grad(&self, x: &Tensor<T>) -> Tensor<T> {
        ok(self.try_relu_grad(x))
    }

    /// Fallible form of [`relu_grad`](Tensor::relu_grad).
    pub fn try_relu_grad(&self, x: &Tensor<T>) -> Result<Tensor<T>> {
        if self.shape() != x.shape() {
            return Err(Error::new(
                "relu_grad",
                format!(
                    "gradient {:?} and input {:?} differ",
                    self.shape(),
                    x.shape()
                ),
            ));
        }
        let mut data = pool::take(x.numel());
        {
            let (g, xs) = (self.read(), x.read());
            let f = |g, x| if x > T::zero() { g } else { T::zero() };
            zip_broadcast(&g, self.layout(), &xs, x.layout(), x.shape(), f, &mut data);
        }
        Ok(Tensor::from_op(
            data,
            x.shape().clone(),
            Op::ReluGrad(self.clone(), x.clone()),
        ))
    }

    /// Softmax cross-entropy of logits `[n, k]` with integer labels in `0..k`:
    /// `mean_i (logsumexp(x_i) - x_i[label_i])`, each row shifted by its maximum so that it is
    /// finite for logits of any size. Its gradient is `(softmax(x) - onehot(labels)) / n`.
    ///
    /// The recorded op keeps a copy of the labels for its backward;
    /// [`softmax_cross_entropy_shared`](Tensor::softmax_cross_entropy_shared) shares them
    /// instead.
    ///
    /// # Panics
    /// If `self` is not `[n, k]`, there are not `n` labels, or a label is `>= k`.
    #[track_caller]
    pub fn softmax_cross_entropy(&self, labels: &[usize]) -> Tensor<T> {
        ok(self.try_softmax_cross_entropy(labels))
    }

    /// Fallible form of [`softmax_cross_entropy`](Tensor::softmax_cross_entropy).
    pub fn try_softmax_cross_entropy(&self, labels: &[usize]) -> Result<Tensor<T>> {
        self.try_softmax_cross_entropy_shared(&Arc::from(labels))
    }

    /// [`softmax_cross_entropy`](Tensor::softmax_cross_entropy) with labels held in an `Arc`,
    /// which the recorded op shares rather than copies: a training loop that keeps each
    /// batch's labels as an `Arc<[usize]>` then allocates nothing for them per step.
    ///
    /// # Panics
    /// As [`softmax_cross_entropy`](Tensor::softmax_cross_entropy).
    #[track_caller]
    pub fn softmax_cross_entropy_shared(&self, labels: &Arc<[usize]>) -> Tensor<T> {
        ok(self.try_softmax_cross_entropy_shared(labels))
    }

    /// Fallible form of
    /// [`softmax_cross_entropy_shared`](Tensor::softmax_cross_entropy_shared).
    pub fn try_softmax_cross_entropy_shared(&self, labels: &Arc<[usize]>) -> Result<Tensor<T>> {
        let [n, k] = self.check_row_indices("softmax_cross_entropy", labels)?;
        let sum = self.with_slice(|x| cross_entropy_sum(x, k, labels));
        Ok(Tensor::from_op(
            pool::filled(1, sum / T::of(n as f64)),
            Shape::default(),
            Op::SoftmaxCrossEntropy(self.clone(), labels.clone()),
        ))
    }

    /// The backward of [`softmax_cross_entropy`](Tensor::softmax_cross_entropy) at logits
    /// `self` `[n, k]`, given the gradient `g` (one element) of its output:
    /// `(softmax(x) - onehot(labels)) * g / n`, in one pass per row. The labels were checked by
    /// the forward op.
    pub(crate) fn softmax_cross_entropy_grad(
        &self,
        labels: &Arc<[usize]>,
        g: &Tensor<T>,
    ) -> Tensor<T> {
        let (n, k) = (self.dims()[0], self.dims()[1]);
        let scale = g.item() / T::of(n as f64);
        let mut data = pool::take(n * k);
        self.with_slice(|x| cross_entropy_grad(x, k, labels, scale, &mut data));
        Tensor::from_op(
            data,
            self.shape().clone(),
            Op::SoftmaxCrossEntropyGrad(self.clone(), g.clone(), labels.clone()),
        )
    }
}
