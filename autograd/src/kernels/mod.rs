//! Compute kernels on plain buffers: elementwise maps, reductions, softmax cross-entropy, GEMM,
//! the FFT and the cyclic kernels. They know nothing of the tape: each writes into a buffer its
//! caller gives it and imports only element and shape types (a test, `layering.rs`, checks
//! this); the ops in `ops/` call them and record the result. Private to the crate: the benches
//! reach what they time through [`bench`](mod@crate::bench).

pub mod blocked;
pub mod cpu;
pub mod cyclic;
pub mod elementwise;
pub mod fft;
mod gemv;
pub mod losses;
pub mod matmul;
pub mod parallel;
pub mod reduce;
pub mod select;
pub mod softmax;
pub mod vmath;
