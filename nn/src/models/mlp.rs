//! Multi-layer perceptrons.

use crate::init::Init;
use crate::layers::activation::Activation;
use crate::layers::dropout::Dropout;
use crate::layers::linear::Linear;
use crate::module::{Module, VisitorMut};
use autograd::{Float, Tensor};
use rand::Rng;

/// A multi-layer perceptron with widths `sizes = [d_0, ..., d_L]`:
/// `Linear(d_0, d_1), act, Linear(d_1, d_2), act, ..., Linear(d_{L-1}, d_L)` (no activation after
/// the last layer: it outputs logits or a regression value). With
/// [`with_dropout(p, seed)`](Mlp::with_dropout), a [`Dropout`] of probability `p` follows every
/// hidden activation: `Linear, act, Dropout, Linear, ...`.
///
/// Parameters: `"layers.0.weight"`, `"layers.0.bias"`, `"layers.2.weight"`, ... : layer `k`
/// (counting the linear layers from 0) is `"layers.{2k}"`, its position in the list
/// `Linear, act, Linear, act, ...`. The names do not depend on dropout (dropout layers have no
/// parameters), so a checkpoint of a net with dropout loads into the same net without.
///
/// Typed access: [`linears`](Mlp::linears) gives the linear layers in order, their `weight`
/// (`[d_{k+1}, d_k]`) and `bias` tensors the same (shared-storage) tensors as
/// [`parameters`](Module::parameters).
///
/// ```
/// use autograd::Tensor;
/// use nn::{Activation, Init, Mlp, Module};
/// use rand::{rngs::StdRng, SeedableRng};
/// let mut mlp = Mlp::<f32>::new(&[2, 16, 1], Activation::Relu, true, Init::KaimingNormal { scale: 1.0 }, &mut StdRng::seed_from_u64(1));
/// assert_eq!(nn::params::count(&mut mlp), 2 * 16 + 16 + 16 + 1);
/// assert_eq!(mlp.forward(&Tensor::zeros([3, 2])).dims(), &[3, 1]);
/// assert_eq!(mlp.linears()[1].weight.dims(), &[1, 16]);
/// assert_eq!(mlp.sizes(), vec![2, 16, 1]);
/// ```
pub struct Mlp<T: Float> {
    /// The affine layers, input layer first.
    linears: Vec<Linear<T>>,
    /// The nonlinearity after every hidden layer.
    activation: Activation,
    /// One dropout layer per hidden layer (after its activation), or none.
    dropout: Vec<Dropout>,
    /// Training (`true`) or evaluation mode.
    training: bool,
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
        let linears = sizes
            .windows(2)
            .map(|w| Linear::new(w[0], w[1], bias, init, rng))
            .collect();
        Mlp {
            linears,
            activation,
            dropout: Vec::new(),
            training: true,
        }
    }

    /// Adds dropout with drop probability `p` after every hidden activation (replacing any
    /// dropout already there): in training mode each hidden unit's output is zeroed with
    /// probability `p` and the survivors are scaled by `1 / (1 - p)`; in evaluation mode
    /// ([`train(false)`](Module::train)) the net is the same without dropout. The masks are
    /// seeded from `seed` (see [`reseed_dropout`](Mlp::reseed_dropout)).
    ///
    /// # Panics
    /// If `p` is outside `[0, 1]`.
    pub fn with_dropout(mut self, p: f64, seed: u64) -> Self {
        self.dropout = (1..self.linears.len())
            .map(|_| Dropout::new(p, 0))
            .collect();
        for d in &mut self.dropout {
            <Dropout as Module<T>>::train(d, self.training);
        }
        self.reseed_dropout(seed);
        self
    }

    /// The drop probability, if the net has dropout.
    pub fn dropout(&self) -> Option<f64> {
        self.dropout.first().map(Dropout::p)
    }

    /// Restarts the dropout masks from `seed` (hidden layer `k`, counting from 0, from
    /// `seed + k`); does nothing without dropout. The masks of a forward pass depend only on the
    /// seed and the forward passes since the last reseed, so a training loop that reseeds
    /// before every step from its own (checkpointed) RNG, or with a function of the step,
    /// draws the same masks after a resume.
    pub fn reseed_dropout(&self, seed: u64) {
        for (k, d) in self.dropout.iter().enumerate() {
            d.reseed(seed.wrapping_add(k as u64));
        }
    }

    /// The linear layers, input layer first (layer `k` maps width `d_k` to `d_{k+1}`).
    pub fn linears(&self) -> &[Linear<T>] {
        &self.linears
    }

    /// The layer widths `[d_0, ..., d_L]`.
    pub fn sizes(&self) -> Vec<usize> {
        let mut sizes = vec![self.linears[0].in_features()];
        sizes.extend(self.linears.iter().map(Linear::out_features));
        sizes
    }

    /// The nonlinearity.
    pub fn activation(&self) -> Activation {
        self.activation
    }
}

impl<T: Float> Module<T> for Mlp<T> {
    fn forward(&self, x: &Tensor<T>) -> Tensor<T> {
        let mut h = self.linears[0].forward(x);
        for (k, layer) in self.linears.iter().enumerate().skip(1) {
            h = self.activation.forward(&h);
            if let Some(d) = self.dropout.get(k - 1) {
                h = d.forward(&h);
            }
            h = layer.forward(&h);
        }
        h
    }

    fn visit_parameters_mut<'s>(&'s mut self, f: &mut VisitorMut<'s, '_, T>) {
        for (k, layer) in self.linears.iter_mut().enumerate() {
            layer
                .visit_parameters_mut(&mut |name, p| f(name.under_index(2 * k).under("layers"), p));
        }
    }

    fn train(&mut self, training: bool) {
        self.training = training;
        for d in &mut self.dropout {
            <Dropout as Module<T>>::train(d, training);
        }
    }

    fn is_training(&self) -> bool {
        self.training
    }
}
