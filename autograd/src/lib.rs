//! Tensors with reverse-mode automatic differentiation, for f32 and f64.
//!
//! * [`Tensor`]: dense, row-major, any rank, NumPy broadcasting; views for transpose, narrow and
//!   broadcast.
//! * The tape: operations on tensors that [require gradients](Tensor::requires_grad) are
//!   recorded; [`Tensor::backward`] fills [`Tensor::grad`] of the leaves, and with
//!   [`BackwardOptions::create_graph`] the backward pass is itself recorded (gradients of
//!   gradients). Each op's backward rule is written once, in `backprop.rs`.
//! * [`gradcheck`]: finite-difference checks of gradients, as a public API for users' tests.
//! * [`hvp`], [`Hessian`], [`top_hessian_eigenvalues`]: Hessian-vector products through a
//!   recorded backward pass, and the top eigenvalues of a Hessian (the sharpness of a loss) by
//!   Lanczos.
//! * [`pool`]: the per-thread pool that recycles tensor buffers across training steps.
//! * [`set_num_threads`]: how many cores (1 or 2) the kernels may use.
//! * [`bench`](mod@bench): the kernels under the API, for the benches only (not a stable API).
//!
//! ```
//! use autograd::Tensor;
//! // d/dw of the logistic loss of margins y <w, x>.
//! let x = Tensor::<f64>::from_vec(vec![1.0, 2.0, -1.0, 0.5], [2, 2]).unwrap();
//! let y = Tensor::from_vec(vec![1.0, -1.0], [2, 1]).unwrap();
//! let w = Tensor::zeros([2, 1]).requires_grad();
//! let loss = x.matmul(&w).mul(&y).logistic_loss();
//! loss.backward();
//! // At w = 0: grad = -(1/2) sum_i sigmoid(0) y_i x_i = -(1/4)(x_1 - x_2).
//! assert_eq!(w.grad().unwrap().to_vec(), vec![-0.5, -0.375]);
//! ```
//!
//! # Layout
//!
//! From the top down; each module imports only from those below it, except `tensor.rs` and
//! `backprop.rs`, which need each other (a test, `layering.rs`, checks the import graph):
//!
//! * `tensor.rs`: the public [`Tensor`] API (constructors, views, reads, gradients, grad mode)
//!   and what the tape keeps in a node; `backprop.rs`: the closed `Op` enum, the backward walk
//!   and each op's backward rule, once, in one exhaustive `match`; `ops/`: the ops, each a
//!   kernel call on a pooled buffer plus its `Op` record; `gradcheck.rs`; `hessian.rs`
//!   (Hessian-vector products over `grad`, and Lanczos for the top eigenvalues).
//! * `node.rs`: the memory behind a tensor: its node in a counted heap block, the storage it
//!   shares with its views, node ids, the live count, and the per-thread cache of what dead
//!   nodes leave (generic over what the tape records: it knows no tape).
//! * `pool.rs`: the per-thread buffer pool, plain vectors by capacity per element type.
//! * `kernels/`: loops on plain buffers that write into a buffer their caller gives them and
//!   know only element and shape types: GEMM (`matmul`, `blocked`, `gemv`, `parallel`),
//!   elementwise maps, vectorised functions (`vmath`), reductions, softmax and losses, the FFT
//!   and the real DFT (`fft`), and the cyclic kernels (`cyclic/`: the dispatch named after the
//!   ops, the `crossover` cost model, the `direct` and `spectral` paths). Private to the crate;
//!   the benches time them through [`bench`](mod@bench).
//! * `shape.rs`, `element.rs`, `error.rs`: shapes, layouts and strides; the element types;
//!   errors.

#![deny(missing_docs)]

mod backprop;
pub mod bench;
mod element;
mod error;
pub mod gradcheck;
mod hessian;
mod kernels;
#[cfg(test)]
mod layering;
mod node;
mod ops;
pub mod pool;
mod shape;
mod tensor;

pub use backprop::{grad, BackwardOptions};
pub use element::Float;
pub use error::{Error, Result};
pub use hessian::{
    hvp, top_hessian_eigenvalues, try_hvp, try_top_hessian_eigenvalues, Hessian, TopEigen,
};
pub use kernels::parallel::{num_threads, set_num_threads};
pub use pool::{pool_limit, pool_stats, PoolStats};
pub use shape::{for_each_offset, for_each_run, Dims, Layout, Shape};
pub use tensor::{
    clear_pool, is_grad_enabled, live_tensors, no_grad, set_grad_enabled, set_pool_limit, Tensor,
};
