//! The affine layer `y = x W^T + b`.

use crate::init::Init;
use crate::module::{Module, VisitorMut};
use autograd::{Float, Tensor};
use rand::Rng;

/// A fully connected layer: `y = x W^T + b` with `W` of shape `[out, in]` and `b` of shape
/// `[out]` (optional). `x` is `[.., in]` (any leading batch dimensions), `y` is `[.., out]`.
///
/// Parameters: `"weight"`, then `"bias"` if present.
pub struct Linear<T: Float> {
    /// `[out, in]`.
    pub weight: Tensor<T>,
    /// `[out]`, if the layer has a bias.
    pub bias: Option<Tensor<T>>,
}

impl<T: Float> Linear<T> {
    /// A layer from `in_features` to `out_features`, the weight drawn from `init` and the bias
    /// (if `bias`) zero.
    pub fn new(
        in_features: usize,
        out_features: usize,
        bias: bool,
        init: Init,
        rng: &mut impl Rng,
    ) -> Self {
        let weight = init.parameter(&[out_features, in_features], rng);
        let bias = bias.then(|| Tensor::zeros([out_features]).requires_grad());
        Linear { weight, bias }
    }

    /// Draws the bias (if any) from `init` with the weight's fans, e.g. PyTorch's default
    /// `U[-1/sqrt(in), 1/sqrt(in))` is `Init::KaimingUniform { scale: 1/sqrt(6) }`.
    pub fn with_bias_init(mut self, init: Init, rng: &mut impl Rng) -> Self {
        self.bias = super::init_bias(&self.weight, self.bias.as_ref(), init, rng);
        self
    }

    /// A layer with the given weight `[out, in]` and bias `[out]`, used as they are (pass leaves
    /// made with `requires_grad()` to train them).
    ///
    /// # Panics
    /// If the weight is not a matrix or the bias length differs from its row count.
    pub fn from_tensors(weight: Tensor<T>, bias: Option<Tensor<T>>) -> Self {
        assert_eq!(
            weight.rank(),
            2,
            "Linear: weight must be [out, in], got {:?}",
            weight.shape()
        );
        if let Some(b) = &bias {
            assert_eq!(
                b.dims(),
                &weight.dims()[..1],
                "Linear: bias {:?} does not match weight {:?}",
                b.shape(),
                weight.shape()
            );
        }
        Linear { weight, bias }
    }

    /// Input width.
    pub fn in_features(&self) -> usize {
        self.weight.dims()[1]
    }

    /// Output width.
    pub fn out_features(&self) -> usize {
        self.weight.dims()[0]
    }
}

impl<T: Float> Module<T> for Linear<T> {
    fn forward(&self, x: &Tensor<T>) -> Tensor<T> {
        let y = super::matmul_rows(x, &self.weight.t());
        match &self.bias {
            Some(b) => y.add(b),
            None => y,
        }
    }

    fn visit_parameters_mut<'s>(&'s mut self, f: &mut VisitorMut<'s, '_, T>) {
        super::visit_weight_bias(&mut self.weight, &mut self.bias, f)
    }
}
