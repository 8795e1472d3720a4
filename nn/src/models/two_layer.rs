//! Two-layer ReLU networks.

use crate::init::Init;
use crate::layers::linear::Linear;
use crate::module::{Module, VisitorMut};
use autograd::{Float, Tensor};
use rand::Rng;

/// A two-layer ReLU network of width `m`:
///
/// `f(x) = sum_{j=1}^m a_j relu(<w_j, x> + b_j) + c`
///
/// with `x` in `R^d` (`d = 1` gives the univariate `f(x) = sum_j a_j relu(w_j x + b_j) + c`, a
/// piecewise-linear spline with kinks at `-b_j / w_j`). Input `[n, d]`, output `[n, 1]`. The
/// hidden bias `b` is optional (`bias` in [`new`](TwoLayerRelu::new)), so is the output bias
/// `c` ([`with_output_bias`](TwoLayerRelu::with_output_bias); without it `c = 0`).
///
/// Parameters: `"hidden.weight"` (`w`, `[m, d]`), `"hidden.bias"` (`b`, `[m]`, if any),
/// `"output.weight"` (`a`, `[1, m]`), `"output.bias"` (`c`, `[1]`, if any).
///
/// ```
/// use autograd::Tensor;
/// use nn::{Module, TwoLayerRelu};
/// // f(x) = 2 relu(x) + 3 relu(1 - x) + 0.5
/// let w = Tensor::<f64>::from_vec(vec![1.0, -1.0], [2, 1]).unwrap();
/// let b = Tensor::from_vec(vec![0.0, 1.0], [2]).unwrap();
/// let a = Tensor::from_vec(vec![2.0, 3.0], [2]).unwrap();
/// let net = TwoLayerRelu::from_tensors(w, Some(b), a).with_output_bias();
/// net.output.bias.as_ref().unwrap().update(|c| c[0] = 0.5);
/// let x = Tensor::from_vec(vec![-1.0, 2.0], [2, 1]).unwrap();
/// assert_eq!(net.forward(&x).to_vec(), vec![6.5, 4.5]);
/// ```
pub struct TwoLayerRelu<T: Float> {
    /// `x -> x w^T + b`.
    pub hidden: Linear<T>,
    /// `h -> h a^T + c`.
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

    /// A network with `w` (`[m, d]`), `b` (`[m]`) and `a` (`[m]`, reshaped to `[1, m]`, or
    /// already `[1, m]`). Like [`Linear::from_tensors`], the tensors are used as they are: to
    /// train them, pass leaves made with `requires_grad()` (and `a` as `[1, m]`: a reshaped
    /// leaf is no longer a leaf).
    pub fn from_tensors(w: Tensor<T>, b: Option<Tensor<T>>, a: Tensor<T>) -> Self {
        let m = a.numel();
        let a = if a.dims() == [1, m] {
            a
        } else {
            a.reshape([1, m])
        };
        TwoLayerRelu {
            hidden: Linear::from_tensors(w, b),
            output: Linear::from_tensors(a, None),
        }
    }

    /// Adds the output bias `c`, a trainable scalar starting at 0 (replacing any there).
    pub fn with_output_bias(mut self) -> Self {
        self.output.bias = Some(Tensor::zeros([1]).requires_grad());
        self
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

    fn visit_parameters_mut<'s>(&'s mut self, f: &mut VisitorMut<'s, '_, T>) {
        self.hidden
            .visit_parameters_mut(&mut |name, p| f(name.under("hidden"), p));
        self.output
            .visit_parameters_mut(&mut |name, p| f(name.under("output"), p));
    }
}
