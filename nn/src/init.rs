//! Parameter initialization. Every scheme takes an explicit scale; draws come from a caller's
//! seeded RNG (`rand::rngs::StdRng::seed_from_u64`), so runs reproduce.
//!
//! Fans: for a weight of shape `[out, in, k...]` (a linear layer `[out, in]`, a convolution
//! `[out, in, kh, kw]`), `fan_in = in * prod(k)` and `fan_out = out * prod(k)`; for a vector
//! `[n]`, both are `n`.

use autograd::{Float, Tensor};
use rand::Rng;

/// An initialization scheme: the distribution of each entry.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Init {
    /// Every entry equal to `value`.
    Constant {
        /// The value.
        value: f64,
    },
    /// `N(0, std^2)`.
    Normal {
        /// Standard deviation.
        std: f64,
    },
    /// Uniform on `[-a, a)`.
    Uniform {
        /// Half-width.
        a: f64,
    },
    /// Kaiming/He normal: `N(0, std^2)` with `std = scale * sqrt(2 / fan_in)` (`scale = 1` keeps
    /// the variance of ReLU activations constant through depth).
    KaimingNormal {
        /// Multiplies the standard deviation.
        scale: f64,
    },
    /// Kaiming/He uniform: `U[-b, b)` with `b = scale * sqrt(6 / fan_in)` (same variance as
    /// [`Init::KaimingNormal`]). `scale = 1/sqrt(6)` gives PyTorch's `Linear` default `1/sqrt(fan_in)`.
    KaimingUniform {
        /// Multiplies the bound.
        scale: f64,
    },
    /// Xavier/Glorot normal: `std = scale * sqrt(2 / (fan_in + fan_out))`.
    XavierNormal {
        /// Multiplies the standard deviation.
        scale: f64,
    },
    /// Xavier/Glorot uniform: `b = scale * sqrt(6 / (fan_in + fan_out))`.
    XavierUniform {
        /// Multiplies the bound.
        scale: f64,
    },
}

/// `(fan_in, fan_out)` of a parameter of shape `dims` (see the module docs).
pub fn fans(dims: &[usize]) -> (usize, usize) {
    match dims {
        [] => (1, 1),
        [n] => (*n, *n),
        [out, inp, rest @ ..] => {
            let k: usize = rest.iter().product();
            (inp * k, out * k)
        }
    }
}

impl Init {
    /// A constant tensor of shape `dims` drawn from this scheme, with the fans of `dims`.
    pub fn tensor<T: Float>(&self, dims: &[usize], rng: &mut impl Rng) -> Tensor<T> {
        let (fan_in, fan_out) = fans(dims);
        self.tensor_with_fans(dims, fan_in, fan_out, rng)
    }

    /// A constant tensor of shape `dims` drawn with the given fans (for a bias, pass its layer's
    /// weight fans).
    pub fn tensor_with_fans<T: Float>(
        &self,
        dims: &[usize],
        fan_in: usize,
        fan_out: usize,
        rng: &mut impl Rng,
    ) -> Tensor<T> {
        let (fi, fo) = (fan_in.max(1) as f64, fan_out.max(1) as f64);
        match *self {
            Init::Constant { value } => Tensor::full(dims, T::of(value)),
            Init::Normal { std } => Tensor::normal(dims, 0.0, std, rng),
            Init::Uniform { a } => uniform(dims, a, rng),
            Init::KaimingNormal { scale } => {
                Tensor::normal(dims, 0.0, scale * (2.0 / fi).sqrt(), rng)
            }
            Init::KaimingUniform { scale } => uniform(dims, scale * (6.0 / fi).sqrt(), rng),
            Init::XavierNormal { scale } => {
                Tensor::normal(dims, 0.0, scale * (2.0 / (fi + fo)).sqrt(), rng)
            }
            Init::XavierUniform { scale } => uniform(dims, scale * (6.0 / (fi + fo)).sqrt(), rng),
        }
    }

    /// Like [`tensor`](Init::tensor), as a parameter (a leaf that requires gradients).
    pub fn parameter<T: Float>(&self, dims: &[usize], rng: &mut impl Rng) -> Tensor<T> {
        self.tensor(dims, rng).requires_grad()
    }
}

/// `U[-a, a)`; `a = 0` gives zeros (an empty range would panic in `rand`).
fn uniform<T: Float>(dims: &[usize], a: f64, rng: &mut impl Rng) -> Tensor<T> {
    if a == 0.0 {
        Tensor::zeros(dims)
    } else {
        Tensor::uniform(dims, -a, a, rng)
    }
}
