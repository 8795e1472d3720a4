//! The overhead chain shared by `overhead.rs` and `allocs.rs`: 10,000 tiny elementwise ops.

use autograd::Tensor;

/// Number of ops in the chain.
pub const CHAIN: usize = 10_000;

/// Alternately `x * 0.999` and `x + 0.001`, so values stay bounded.
pub fn chain(x: &Tensor<f32>) -> Tensor<f32> {
    let mut h = x.clone();
    for i in 0..CHAIN {
        h = if i % 2 == 0 {
            h.mul_scalar(0.999)
        } else {
            h.add_scalar(0.001)
        };
    }
    h
}
