//! Neural-network modules on [`autograd`] tensors: layers, multi-layer networks, and the models
//! of the implicit-bias theory with their end-to-end linear predictors.
//!
//! * [`Module`]: `forward`, named parameters (listed once, by
//!   [`visit_parameters_mut`](Module::visit_parameters_mut); read by
//!   [`visit_parameters`](Module::visit_parameters), which allocates nothing, and
//!   [`parameters`](Module::parameters)), train/eval mode; [`Sequential`] composes boxed modules.
//! * Layers: [`Linear`], [`Conv2d`] (im2col from differentiable autograd ops), [`CyclicConv`]
//!   (single- or multi-channel cyclic correlation),
//!   [`Relu`], [`Activation`], [`Softmax`], [`LogSoftmax`], [`Flatten`], [`Dropout`].
//! * Models: [`DeepLinear`], [`LinearConvNet`], [`DiagonalNet`] (each a [`LinearPredictor`] with
//!   `beta()`), [`MatrixFactorization`] and [`SymmetricFactorization`] (`matrix()`),
//!   [`TwoLayerRelu`] (optionally with an output bias), [`Mlp`] (optionally with dropout after
//!   every hidden activation; its linear layers in order from [`Mlp::linears`]).
//! * [`Init`]: explicit-scale initializations; [`params`]: counts, norms, flat vectors;
//!   [`checkpoint`]: safetensors save/load; [`check`]: gradient checks of whole modules.
//!
//! ```
//! use autograd::Tensor;
//! use nn::{Activation, Init, Mlp, Module};
//! use rand::{rngs::StdRng, SeedableRng};
//!
//! let mut rng = StdRng::seed_from_u64(0);
//! let mut mlp = Mlp::<f64>::new(&[2, 8, 2], Activation::Relu, true, Init::KaimingNormal { scale: 1.0 }, &mut rng);
//! let x = Tensor::from_vec(vec![0.0, 1.0, 1.0, 0.0], [2, 2]).unwrap();
//! let loss = mlp.forward(&x).softmax_cross_entropy(&[1, 1]);
//! loss.backward();
//! mlp.visit_parameters(&mut |_, p| {
//!     let g = p.grad().unwrap();
//!     g.with_slice(|g| p.update(|w| w.iter_mut().zip(g).for_each(|(w, g)| *w -= 0.1 * g))); // one SGD step
//! });
//! mlp.zero_grad();
//! ```

#![deny(missing_docs)]

pub mod check;
pub mod checkpoint;
mod error;
pub mod init;
pub mod layers;
pub mod models;
mod module;
pub mod params;

pub use error::{Error, Result};
pub use init::Init;
pub use layers::activation::{Activation, Flatten, LogSoftmax, Relu, Softmax};
pub use layers::conv2d::Conv2d;
pub use layers::cyclic::{circulant, CyclicConv};
pub use layers::dropout::Dropout;
pub use layers::linear::Linear;
pub use models::deep_linear::DeepLinear;
pub use models::diagonal::DiagonalNet;
pub use models::factorization::{measure, FactorInit, MatrixFactorization, SymmetricFactorization};
pub use models::linear_conv::LinearConvNet;
pub use models::mlp::Mlp;
pub use models::two_layer::TwoLayerRelu;
pub use models::LinearPredictor;
pub use module::{visit_list, Module, Name, Sequential, Visitor, VisitorMut};
