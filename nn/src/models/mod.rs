//! The models of the implicit-bias theory, and multi-layer networks.

pub mod deep_linear;
pub mod diagonal;
pub mod factorization;
pub mod linear_conv;
pub mod mlp;
pub mod two_layer;

use crate::module::Module;
use autograd::{Float, Tensor};

/// A model that computes a linear map of its input, `f(x) = x beta` (the theory's
/// "end-to-end linear predictor").
pub trait LinearPredictor<T: Float>: Module<T> {
    /// The end-to-end predictor: `[d_in]` for a scalar output (so `f(x) = x beta` for
    /// `x` of shape `[n, d_in]` gives `[n, 1]` after reshaping `beta` to a column), otherwise the
    /// matrix `[d_out, d_in]` with `f(x) = x beta^T`. Computed with recorded ops from the
    /// parameters (wrap in [`autograd::no_grad`] when only the value is wanted).
    fn beta(&self) -> Tensor<T>;
}
