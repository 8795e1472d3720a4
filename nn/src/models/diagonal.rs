//! Diagonal linear networks (Woodworth et al. 2020).

use super::LinearPredictor;
use crate::module::{Module, Name, VisitorMut};
use autograd::{Float, Tensor};

/// The diagonal linear network `f(x) = <beta, x>` with `beta = u * u - v * v` (elementwise),
/// initialized at `u = v = alpha * 1` (so `beta = 0`). The scale `alpha` decides the implicit
/// bias of gradient flow: kernel (l2-like) regime for large `alpha`, rich (l1-like) for small.
///
/// Input `[n, D]`, output `[n, 1]`. Parameters: `"u"`, `"v"` (`[D]` each).
pub struct DiagonalNet<T: Float> {
    /// `[D]`.
    pub u: Tensor<T>,
    /// `[D]`.
    pub v: Tensor<T>,
}

impl<T: Float> DiagonalNet<T> {
    /// Dimension `d`, `u = v = alpha * 1`.
    pub fn new(d: usize, alpha: f64) -> Self {
        Self::from_tensors(
            Tensor::full([d], T::of(alpha)).requires_grad(),
            Tensor::full([d], T::of(alpha)).requires_grad(),
        )
    }

    /// A network with the given `u` and `v` (`[D]` each).
    pub fn from_tensors(u: Tensor<T>, v: Tensor<T>) -> Self {
        assert!(
            u.rank() == 1 && u.shape() == v.shape(),
            "DiagonalNet: u {:?} and v {:?} must be equal-length vectors",
            u.shape(),
            v.shape()
        );
        DiagonalNet { u, v }
    }
}

impl<T: Float> Module<T> for DiagonalNet<T> {
    fn forward(&self, x: &Tensor<T>) -> Tensor<T> {
        // `(beta^T x^T)^T`: the GEMM then reads `x` in place both ways (dot products with its
        // rows forward, a combination of its rows for the gradient of `beta`), where `x beta`
        // would pack the transposed `x` at every backward pass.
        let (n, d) = (x.dims()[0], self.u.numel());
        self.beta().reshape([1, d]).matmul(&x.t()).reshape([n, 1])
    }

    fn visit_parameters_mut<'s>(&'s mut self, f: &mut VisitorMut<'s, '_, T>) {
        f(Name::new("u"), &mut self.u);
        f(Name::new("v"), &mut self.v);
    }
}

impl<T: Float> LinearPredictor<T> for DiagonalNet<T> {
    /// `u * u - v * v`.
    fn beta(&self) -> Tensor<T> {
        self.u.square().sub(&self.v.square())
    }
}
