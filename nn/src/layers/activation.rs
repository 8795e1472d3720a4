//! Parameter-free elementwise and normalizing layers: ReLU, tanh, sigmoid, softmax, log-softmax,
//! and flattening.

use crate::module::Module;
use autograd::{Float, Tensor};

/// `relu(x) = max(x, 0)` elementwise.
#[derive(Clone, Copy, Debug, Default)]
pub struct Relu;

impl<T: Float> Module<T> for Relu {
    fn forward(&self, x: &Tensor<T>) -> Tensor<T> {
        x.relu()
    }
}

/// A choice of elementwise nonlinearity (for builders such as [`Mlp`](crate::Mlp)); also a
/// module.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activation {
    /// `max(x, 0)`.
    Relu,
    /// `tanh(x)`.
    Tanh,
    /// `1 / (1 + exp(-x))`.
    Sigmoid,
    /// `ln(1 + exp(x))`.
    Softplus,
    /// `x` (a deep linear network).
    Identity,
}

impl<T: Float> Module<T> for Activation {
    fn forward(&self, x: &Tensor<T>) -> Tensor<T> {
        match self {
            Activation::Relu => x.relu(),
            Activation::Tanh => x.tanh(),
            Activation::Sigmoid => x.sigmoid(),
            Activation::Softplus => x.softplus(),
            Activation::Identity => x.clone(),
        }
    }
}

/// `softmax(x)_i = exp(x_i) / sum_j exp(x_j)` along `axis`.
#[derive(Clone, Copy, Debug)]
pub struct Softmax {
    /// The axis normalized over.
    pub axis: usize,
}

impl<T: Float> Module<T> for Softmax {
    fn forward(&self, x: &Tensor<T>) -> Tensor<T> {
        x.softmax(self.axis)
    }
}

/// `log_softmax(x)_i = x_i - log sum_j exp(x_j)` along `axis`.
#[derive(Clone, Copy, Debug)]
pub struct LogSoftmax {
    /// The axis normalized over.
    pub axis: usize,
}

impl<T: Float> Module<T> for LogSoftmax {
    fn forward(&self, x: &Tensor<T>) -> Tensor<T> {
        x.log_softmax(self.axis)
    }
}

/// Flattens every dimension after the first: `[n, d1, d2, ...] -> [n, d1 * d2 * ...]`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Flatten;

impl<T: Float> Module<T> for Flatten {
    fn forward(&self, x: &Tensor<T>) -> Tensor<T> {
        let n = x.dims().first().copied().unwrap_or(1);
        let rest: usize = x.dims().iter().skip(1).product();
        x.reshape([n, rest])
    }
}
