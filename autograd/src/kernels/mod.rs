//! Compute kernels on plain buffers: elementwise maps, reductions, GEMM. They know nothing of
//! the tape; the ops in [`crate::ops`] call them and record the result.

pub mod elementwise;
pub mod matmul;
pub mod reduce;
