//! Two-layer ReLU networks.

use crate::init::Init;
use crate::layers::linear::Linear;
use crate::module::{prefixed, Module, Visitor};
use autograd::{Float, Tensor};
use rand::Rng;

/// A two-layer ReLU network of width `m`:
///
/// `f(x) = sum_{j=1}^m a_j relu(<w_j, x> + b_j)`
///
/// with `x` in `R^d` (`d = 1` gives the univariate `f(x) = sum_j a_j relu(w_j x + b_j)`, a
/// piecewise-linear spline with kinks at `-b_j / w_j`). Input `[n, d]`, output `[n, 1]`.
///
/// Parameters: `"hidden.weight"` (`w`, `[m, d]`), `"hidden.bias"` (`b`, `[m]`, if any),
/// `"output.weight"` (`a`, `[1, m]`).
pub struct TwoLayerRelu<T: Float> {
    /// `x -> x w^T + b`.
    pub hidden: Linear<T>,
    /// `h -> h a^T`.
    pub output: Linear<T>,
}

impl<T: Float> TwoLayerRelu<T> {
    /// Input dimension `d`, width `m`; `w` and `b` drawn from `first` (the bias with the fans of
    /// `w`), `a` from `second`.
    pub fn new(
        d: usize,
        m: usize,
        bias: bool,
        first: Init,
        second: Init,
        rng: &mut impl Rng,
    ) -> Self {
        TwoLayerRelu {
            hidden: Linear::new(d, m, bias, first, rng).with_bias_init(first, rng),
            output: Linear::new(m, 1, false, second, rng),
        }
    }

    /// A network with `w` (`[m, d]`), `b` (`[m]`) and `a` (`[m]`).
    pub fn from_tensors(w: Tensor<T>, b: Option<Tensor<T>>, a: Tensor<T>) -> Self {
        let m = a.numel();
        TwoLayerRelu {
            hidden: Linear::from_tensors(w, b),
            output: Linear::from_tensors(a.reshape([1, m]), None),
        }
    }

    /// Width `m`.
    pub fn width(&self) -> usize {
        self.hidden.out_features()
    }
}

impl<T: Float> Module<T> for TwoLayerRelu<T> {
    fn forward(&self, x: &Tensor<T>) -> Tensor<T> {
        self.output.forward(&self.hidden.forward(x).relu())
    }

    fn visit_parameters(&self, f: &mut Visitor<T>) {
        self.hidden
            .visit_parameters(&mut |name, p| f(name.under("hidden"), p));
        self.output
            .visit_parameters(&mut |name, p| f(name.under("output"), p));
    }

    fn parameters_mut(&mut self) -> Vec<(String, &mut Tensor<T>)> {
        let mut p = prefixed("hidden", self.hidden.parameters_mut());
        p.extend(prefixed("output", self.output.parameters_mut()));
        p
    }
}
