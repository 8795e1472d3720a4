//! Layers: affine, convolutional, cyclic, activations, dropout.

pub mod activation;
pub mod conv2d;
pub mod cyclic;
pub mod dropout;
pub mod linear;

use crate::init::{fans, Init};
use crate::module::{Name, Visitor};
use autograd::{Float, Tensor};
use rand::Rng;

/// Visits `"weight"`, then `"bias"` if present (shared by the weight-and-bias layers).
pub(crate) fn visit_weight_bias<T: Float>(
    w: &Tensor<T>,
    b: &Option<Tensor<T>>,
    f: &mut Visitor<T>,
) {
    f(Name::new("weight"), w);
    if let Some(b) = b {
        f(Name::new("bias"), b);
    }
}

/// The slots of [`visit_weight_bias`]'s parameters.
pub(crate) fn weight_bias_mut<'a, T: Float>(
    w: &'a mut Tensor<T>,
    b: &'a mut Option<Tensor<T>>,
) -> Vec<(String, &'a mut Tensor<T>)> {
    let mut p = vec![("weight".to_string(), w)];
    p.extend(b.iter_mut().map(|b| ("bias".to_string(), b)));
    p
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
/// into one before the product and unfolded after.
///
/// Why not `x.matmul(w)` directly: autograd's matmul broadcasts batch dimensions in the forward
/// pass, but its backward does not sum the gradient of the broadcast operand back to its shape
/// (`dW` comes out `[b, k, n]`), so a batched input times a shared parameter cannot be
/// differentiated yet. Folding also makes one large GEMM instead of many small ones.
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
