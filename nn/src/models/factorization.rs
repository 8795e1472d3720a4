//! Matrix factorization models for matrix sensing (Gunasekar et al. 2017; Arora et al. 2019).

use crate::module::{Module, Name, VisitorMut};
use autograd::{Float, Tensor};
use rand::Rng;

/// How the `n x n` factors start, at scale `alpha`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FactorInit {
    /// `alpha * I`.
    Identity,
    /// `alpha * G / sqrt(n)` with `G` standard Gaussian (so `||U||_op` is about `2 alpha`).
    Gaussian,
}

impl FactorInit {
    fn factor<T: Float>(self, n: usize, alpha: f64, rng: &mut impl Rng) -> Tensor<T> {
        let t = match self {
            FactorInit::Identity => Tensor::<T>::eye(n).mul_scalar(T::of(alpha)),
            FactorInit::Gaussian => Tensor::normal([n, n], 0.0, alpha / (n as f64).sqrt(), rng),
        };
        t.requires_grad()
    }
}

/// The measurements `y_i = <A_i, X> = sum_{j,k} A_i[j, k] X[j, k]` of `X` (`[n, n]`) by a batch
/// `a` of matrices `[m, n, n]`: shape `[m, 1]`.
///
/// # Panics
/// If `a` is not `[m, n, n]` with the `n` of `x`.
pub fn measure<T: Float>(a: &Tensor<T>, x: &Tensor<T>) -> Tensor<T> {
    let nn = x.numel();
    assert!(
        a.rank() == 3 && a.dims()[1..] == *x.dims(),
        "measure: expects measurement matrices [m, {:?}], got {:?}",
        x.dims(),
        a.shape()
    );
    // Computed as the row `vec(X)^T` times the transposed `[m, n^2]` measurement matrix, then
    // reshaped to a column: the GEMM reads `A` in place both ways (dot products with its rows
    // forward, a combination of its rows for the gradient of `X`), where `A vec(X)` would
    // pack the transposed `A` at every backward pass.
    let m = a.dims()[0];
    x.reshape([1, nn])
        .matmul(&a.reshape([m, nn]).t())
        .reshape([m, 1])
}

/// The asymmetric factorization `X = U V^T` with full-dimensional factors `U, V` (`[n, n]`;
/// a rank-`k` factorization has `[n, k]` factors, set through the public fields). Forward maps
/// measurement matrices `[m, n, n]` to `<A_i, X>`, `[m, 1]`.
///
/// Parameters: `"u"`, `"v"`.
pub struct MatrixFactorization<T: Float> {
    /// `[n, k]` (`k = n` from [`MatrixFactorization::new`]).
    pub u: Tensor<T>,
    /// `[n, k]`.
    pub v: Tensor<T>,
}

impl<T: Float> MatrixFactorization<T> {
    /// Size `n`, both factors from `init` at scale `alpha` (independent draws).
    pub fn new(n: usize, alpha: f64, init: FactorInit, rng: &mut impl Rng) -> Self {
        MatrixFactorization {
            u: init.factor(n, alpha, rng),
            v: init.factor(n, alpha, rng),
        }
    }

    /// `X = U V^T`, `[n, n]`.
    pub fn matrix(&self) -> Tensor<T> {
        self.u.matmul(&self.v.t())
    }
}

impl<T: Float> Module<T> for MatrixFactorization<T> {
    fn forward(&self, a: &Tensor<T>) -> Tensor<T> {
        measure(a, &self.matrix())
    }

    fn visit_parameters_mut<'s>(&'s mut self, f: &mut VisitorMut<'s, '_, T>) {
        f(Name::new("u"), &mut self.u);
        f(Name::new("v"), &mut self.v);
    }
}

/// The symmetric factorization `X = U U^T` (positive semidefinite) with a full-dimensional
/// factor `U` (`[n, n]`; a rank-`k` one has an `[n, k]` factor, set through the public field).
/// Forward maps measurement matrices `[m, n, n]` to `<A_i, X>`, `[m, 1]`.
///
/// Parameter: `"u"`.
pub struct SymmetricFactorization<T: Float> {
    /// `[n, k]` (`k = n` from [`SymmetricFactorization::new`]).
    pub u: Tensor<T>,
}

impl<T: Float> SymmetricFactorization<T> {
    /// Size `n`, the factor from `init` at scale `alpha`.
    pub fn new(n: usize, alpha: f64, init: FactorInit, rng: &mut impl Rng) -> Self {
        SymmetricFactorization {
            u: init.factor(n, alpha, rng),
        }
    }

    /// `X = U U^T`, `[n, n]`.
    pub fn matrix(&self) -> Tensor<T> {
        self.u.matmul(&self.u.t())
    }
}

impl<T: Float> Module<T> for SymmetricFactorization<T> {
    fn forward(&self, a: &Tensor<T>) -> Tensor<T> {
        measure(a, &self.matrix())
    }

    fn visit_parameters_mut<'s>(&'s mut self, f: &mut VisitorMut<'s, '_, T>) {
        f(Name::new("u"), &mut self.u)
    }
}
