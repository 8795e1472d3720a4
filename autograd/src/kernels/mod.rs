//! Compute kernels on plain buffers: elementwise maps, reductions, softmax cross-entropy, GEMM, FFT and cyclic
//! correlation. They know nothing of the tape; the ops in `ops/` call them and record the result.

pub mod blocked;
pub mod circulant;
pub mod cpu;
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
