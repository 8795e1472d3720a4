//! Linear convolutional networks with full-width cyclic filters (Gunasekar et al. 2018).

use super::LinearPredictor;
use crate::init::Init;
use crate::layers::cyclic::CyclicConv;
use crate::layers::linear::Linear;
use crate::module::{visit_list, Module, VisitorMut};
use autograd::{Float, Tensor};
use rand::Rng;

/// A depth-`L` linear convolutional network on `R^D`: `L - 1` full-width cyclic layers
///
/// `h_l[d] = sum_{k=0}^{D-1} w_l[k] h_{l-1}[(d + k) mod D]`, `h_0 = x`,
///
/// then a linear layer to a scalar, `f(x) = <w_L, h_{L-1}>`. With `C_l` the
/// [`circulant`](crate::circulant) of `w_l` (`h_l = h_{l-1} C_l^T`), the network is linear with
/// [`beta`](LinearPredictor::beta) `= C_1^T C_2^T ... C_{L-1}^T w_L` (`[D]`).
///
/// Parameters: `"convs.0.weight"` (`w_1`), ..., `"convs.{L-2}.weight"`, `"output.weight"`
/// (`[1, D]`).
pub struct LinearConvNet<T: Float> {
    convs: Vec<CyclicConv<T>>,
    output: Linear<T>,
}

impl<T: Float> LinearConvNet<T> {
    /// Width `d`, depth `depth >= 1` (`depth - 1` cyclic layers), every filter drawn from `init`.
    ///
    /// # Panics
    /// If `depth` is 0.
    pub fn new(d: usize, depth: usize, init: Init, rng: &mut impl Rng) -> Self {
        assert!(depth >= 1, "LinearConvNet: depth must be at least 1");
        let convs = (1..depth).map(|_| CyclicConv::new(d, init, rng)).collect();
        LinearConvNet {
            convs,
            output: Linear::new(d, 1, false, init, rng),
        }
    }

    /// A network with the given cyclic filters `w_1, ..., w_{L-1}` (`[D]` each) and output weight
    /// `w_L` (`[1, D]`).
    pub fn from_tensors(filters: Vec<Tensor<T>>, output: Tensor<T>) -> Self {
        LinearConvNet {
            convs: filters.into_iter().map(CyclicConv::from_tensor).collect(),
            output: Linear::from_tensors(output, None),
        }
    }
}

impl<T: Float> Module<T> for LinearConvNet<T> {
    fn forward(&self, x: &Tensor<T>) -> Tensor<T> {
        let h = self.convs.iter().fold(x.clone(), |h, c| c.forward(&h));
        self.output.forward(&h)
    }

    fn visit_parameters_mut<'s>(&'s mut self, f: &mut VisitorMut<'s, '_, T>) {
        visit_list(Some("convs"), &mut self.convs, f);
        self.output
            .visit_parameters_mut(&mut |name, p| f(name.under("output"), p));
    }
}

impl<T: Float> LinearPredictor<T> for LinearConvNet<T> {
    /// `C_1^T ... C_{L-1}^T w_L`, a vector `[D]`.
    fn beta(&self) -> Tensor<T> {
        let col = self.output.weight.t(); // [D, 1]
        let beta = self
            .convs
            .iter()
            .rev()
            .fold(col, |v, c| c.matrix().t().matmul(&v));
        beta.reshape([beta.numel()])
    }
}
