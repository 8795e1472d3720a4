//! Deep linear networks.

use super::LinearPredictor;
use crate::init::Init;
use crate::layers::linear::Linear;
use crate::module::{visit_list, Module, VisitorMut};
use autograd::{Float, Tensor};
use rand::Rng;

/// A deep linear network: `L` linear layers without bias or activation,
/// `f(x) = x W_1^T W_2^T ... W_L^T` with `W_l` of shape `[d_l, d_{l-1}]`.
///
/// Its end-to-end predictor is [`beta`](LinearPredictor::beta) `= W_L ... W_1` (`[d_L, d_0]`, as a
/// vector `[d_0]` when `d_L = 1`). Parameters: `"layers.0.weight"` (`W_1`), ..., `"layers.{L-1}.weight"`.
pub struct DeepLinear<T: Float> {
    layers: Vec<Linear<T>>,
}

impl<T: Float> DeepLinear<T> {
    /// Widths `dims = [d_0, d_1, ..., d_L]` (`L >= 1` layers), each weight drawn from `init`.
    ///
    /// # Panics
    /// If `dims` has fewer than two entries.
    pub fn new(dims: &[usize], init: Init, rng: &mut impl Rng) -> Self {
        assert!(
            dims.len() >= 2,
            "DeepLinear: needs at least [d_in, d_out], got {dims:?}"
        );
        let layers = dims
            .windows(2)
            .map(|w| Linear::new(w[0], w[1], false, init, rng))
            .collect();
        DeepLinear { layers }
    }

    /// A network with the given weights `W_1, ..., W_L` (`[d_l, d_{l-1}]` each, used as they are).
    ///
    /// # Panics
    /// If there are none or consecutive shapes do not chain.
    pub fn from_weights(weights: Vec<Tensor<T>>) -> Self {
        assert!(!weights.is_empty(), "DeepLinear: needs at least one weight");
        for w in weights.windows(2) {
            assert_eq!(
                w[1].dims()[1],
                w[0].dims()[0],
                "DeepLinear: {:?} does not follow {:?}",
                w[1].shape(),
                w[0].shape()
            );
        }
        DeepLinear {
            layers: weights
                .into_iter()
                .map(|w| Linear::from_tensors(w, None))
                .collect(),
        }
    }

    /// Depth `L`.
    pub fn depth(&self) -> usize {
        self.layers.len()
    }

    /// The weights `W_1, ..., W_L`.
    pub fn weights(&self) -> Vec<Tensor<T>> {
        self.layers.iter().map(|l| l.weight.clone()).collect()
    }
}

impl<T: Float> Module<T> for DeepLinear<T> {
    fn forward(&self, x: &Tensor<T>) -> Tensor<T> {
        self.layers.iter().fold(x.clone(), |h, l| l.forward(&h))
    }

    fn visit_parameters_mut<'s>(&'s mut self, f: &mut VisitorMut<'s, '_, T>) {
        visit_list(Some("layers"), &mut self.layers, f)
    }
}

impl<T: Float> LinearPredictor<T> for DeepLinear<T> {
    /// `W_L ... W_1`, as a vector when the output is scalar.
    fn beta(&self) -> Tensor<T> {
        let mut ws = self.layers.iter().map(|l| &l.weight);
        let first = ws.next().expect("at least one layer").clone();
        let product = ws.fold(first, |acc, w| w.matmul(&acc));
        if product.dims()[0] == 1 {
            product.reshape([product.dims()[1]])
        } else {
            product
        }
    }
}
