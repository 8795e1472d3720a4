//! The MLP training step shared by `mlp_step.rs` and `allocs.rs`: MLP 784-256-256-10 (ReLU,
//! biases, softmax cross-entropy, batch 128, f32), one SGD step.

use autograd::Tensor;
use nn::{Activation, Init, Mlp, Module};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::sync::Arc;

/// Batch size.
pub const BATCH: usize = 128;
/// Layer widths, input first.
pub const SIZES: [usize; 4] = [784, 256, 256, 10];

/// The model and one fixed batch.
pub struct MlpStep {
    mlp: Mlp<f32>,
    x: Tensor<f32>,
    labels: Arc<[usize]>,
}

impl MlpStep {
    /// Random weights (Kaiming uniform), inputs and labels, from a fixed seed.
    pub fn new() -> Self {
        let mut rng = StdRng::seed_from_u64(0);
        let mlp = Mlp::<f32>::new(
            &SIZES,
            Activation::Relu,
            true,
            Init::KaimingUniform {
                scale: 1.0 / 6f64.sqrt(),
            },
            &mut rng,
        );
        let x = Tensor::<f32>::normal([BATCH, SIZES[0]], 0.0, 1.0, &mut rng);
        let labels = (0..BATCH).map(|_| rng.gen_range(0..SIZES[3])).collect();
        MlpStep { mlp, x, labels }
    }

    /// Forward, `backward`, and the SGD update (`lr` 0.01) done by hand with `update`; returns
    /// the loss.
    pub fn step(&mut self) -> f32 {
        let lr = 0.01f32;
        let loss = self
            .mlp
            .forward(&self.x)
            .softmax_cross_entropy_shared(&self.labels);
        loss.backward();
        self.mlp.visit_parameters(&mut |_, p| {
            let grad = p.grad().expect("gradient");
            grad.with_slice(|g| p.update(|w| w.iter_mut().zip(g).for_each(|(w, g)| *w -= lr * g)));
            p.zero_grad();
        });
        loss.item()
    }
}
