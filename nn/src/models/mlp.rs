//! Multi-layer perceptrons.

use crate::init::Init;
use crate::layers::activation::Activation;
use crate::layers::linear::Linear;
use crate::module::{prefixed, Module, Sequential, Visitor};
use autograd::{Float, Tensor};
use rand::Rng;

/// A multi-layer perceptron with widths `sizes = [d_0, ..., d_L]`:
/// `Linear(d_0, d_1), act, Linear(d_1, d_2), act, ..., Linear(d_{L-1}, d_L)` (no activation after
/// the last layer: it outputs logits or a regression value).
///
/// Parameters: `"layers.0.weight"`, `"layers.0.bias"`, `"layers.2.weight"`, ... (the index is the
/// position in the layer list, activations included).
///
/// ```
/// use autograd::Tensor;
/// use nn::{Activation, Init, Mlp, Module};
/// use rand::{rngs::StdRng, SeedableRng};
/// let mlp = Mlp::<f32>::new(&[2, 16, 1], Activation::Relu, true, Init::KaimingNormal { scale: 1.0 }, &mut StdRng::seed_from_u64(1));
/// assert_eq!(nn::params::count(&mlp), 2 * 16 + 16 + 16 + 1);
/// assert_eq!(mlp.forward(&Tensor::zeros([3, 2])).dims(), &[3, 1]);
/// ```
pub struct Mlp<T: Float> {
    layers: Sequential<T>,
}

impl<T: Float> Mlp<T> {
    /// Builds the network; weights from `init`, biases (if `bias`) zero.
    ///
    /// # Panics
    /// If `sizes` has fewer than two entries.
    pub fn new(
        sizes: &[usize],
        activation: Activation,
        bias: bool,
        init: Init,
        rng: &mut impl Rng,
    ) -> Self {
        assert!(
            sizes.len() >= 2,
            "Mlp: needs at least [d_in, d_out], got {sizes:?}"
        );
        let mut layers = Sequential::new();
        for (i, w) in sizes.windows(2).enumerate() {
            if i > 0 {
                layers = layers.push(activation);
            }
            layers = layers.push(Linear::new(w[0], w[1], bias, init, rng));
        }
        Mlp { layers }
    }

    /// The layers as a [`Sequential`].
    pub fn layers(&self) -> &Sequential<T> {
        &self.layers
    }
}

impl<T: Float> Module<T> for Mlp<T> {
    fn forward(&self, x: &Tensor<T>) -> Tensor<T> {
        self.layers.forward(x)
    }

    fn visit_parameters(&self, f: &mut Visitor<T>) {
        self.layers
            .visit_parameters(&mut |name, p| f(name.under("layers"), p));
    }

    fn parameters_mut(&mut self) -> Vec<(String, &mut Tensor<T>)> {
        prefixed("layers", self.layers.parameters_mut())
    }

    fn train(&mut self, training: bool) {
        self.layers.train(training);
    }

    fn is_training(&self) -> bool {
        self.layers.is_training()
    }
}
