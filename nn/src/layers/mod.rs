//! Layers: affine, convolutional, cyclic, activations, dropout.

pub mod activation;
pub mod conv2d;
pub mod cyclic;
pub mod dropout;
pub mod linear;

use crate::init::{fans, Init};
use crate::module::{Name, VisitorMut};
use autograd::{Float, Tensor};
use rand::Rng;

/// Visits `"weight"`, then `"bias"` if present (shared by the weight-and-bias layers).
pub(crate) fn visit_weight_bias<'s, T: Float>(
    w: &'s mut Tensor<T>,
    b: &'s mut Option<Tensor<T>>,
    f: &mut VisitorMut<'s, '_, T>,
) {
    f(Name::new("weight"), w);
    if let Some(b) = b {
        f(Name::new("bias"), b);
    }
}

/// A fresh bias like `bias` (if any) drawn from `init` with the fans of `weight`.
pub(crate) fn init_bias<T: Float>(
    weight: &Tensor<T>,
    bias: Option<&Tensor<T>>,
    init: Init,
    rng: &mut impl Rng,
) -> Option<Tensor<T>> {
    let (fi, fo) = fans(weight.dims());
    bias.map(|b| init.tensor_with_fans(b.dims(), fi, fo, rng).requires_grad())
}

/// `x W` for `x` of shape `[.., k]` and a matrix `W` `[k, n]`: the leading dimensions are folded
/// into one before the product and unfolded after, making one large GEMM instead of one small
/// one per batch element (and `dW` one product rather than a batch of them summed).
pub(crate) fn matmul_rows<T: Float>(x: &Tensor<T>, w: &Tensor<T>) -> Tensor<T> {
    if x.rank() == 2 {
        return x.matmul(w);
    }
    let k = *x.dims().last().expect("x has at least one dimension");
    let rows = x.numel() / k.max(1);
    let y = x.reshape([rows, k]).matmul(w);
    let mut dims = x.dims().to_vec();
    *dims.last_mut().expect("non-empty") = w.dims()[1];
    y.reshape(dims)
}
