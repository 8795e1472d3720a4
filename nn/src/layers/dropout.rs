//! Inverted dropout.

use crate::module::Module;
use autograd::{Float, Tensor};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::sync::Mutex;

/// Inverted dropout with drop probability `p`: in training mode each element is zeroed
/// independently with probability `p` and the survivors are scaled by `1 / (1 - p)`, so that
/// `E[y] = x`; in evaluation mode `y = x`. (`p = 1` zeroes everything.)
///
/// The masks come from the layer's own `StdRng`, seeded at construction, so a run reproduces
/// given the seed and the sequence of forward calls.
pub struct Dropout {
    p: f64,
    training: bool,
    rng: Mutex<StdRng>,
}

impl Dropout {
    /// Dropout with drop probability `p` in `[0, 1]`, masks seeded by `seed`, in training mode.
    ///
    /// # Panics
    /// If `p` is outside `[0, 1]`.
    pub fn new(p: f64, seed: u64) -> Self {
        assert!(
            (0.0..=1.0).contains(&p),
            "Dropout: p = {p} is not in [0, 1]"
        );
        Dropout {
            p,
            training: true,
            rng: Mutex::new(StdRng::seed_from_u64(seed)),
        }
    }

    /// The drop probability.
    pub fn p(&self) -> f64 {
        self.p
    }

    /// Restarts the mask sequence from `seed`.
    pub fn reseed(&self, seed: u64) {
        *self.rng.lock().unwrap_or_else(|e| e.into_inner()) = StdRng::seed_from_u64(seed);
    }
}

impl<T: Float> Module<T> for Dropout {
    fn forward(&self, x: &Tensor<T>) -> Tensor<T> {
        if !self.training || self.p == 0.0 {
            return x.clone();
        }
        let keep = 1.0 - self.p;
        let scale = if keep > 0.0 {
            T::of(1.0 / keep)
        } else {
            T::zero()
        };
        let mut rng = self.rng.lock().unwrap_or_else(|e| e.into_inner());
        let mask: Vec<T> = (0..x.numel())
            .map(|_| {
                if rng.gen::<f64>() < keep {
                    scale
                } else {
                    T::zero()
                }
            })
            .collect();
        let mask = Tensor::from_vec(mask, x.shape().clone()).expect("mask has x's shape");
        x.mul(&mask)
    }

    fn train(&mut self, training: bool) {
        self.training = training;
    }

    fn is_training(&self) -> bool {
        self.training
    }
}
