//! Tensors with reverse-mode automatic differentiation, for f32 and f64.
//!
//! * [`Tensor`]: dense, row-major, any rank, NumPy broadcasting; views for transpose, narrow and
//!   broadcast.
//! * The tape: operations on tensors that [require gradients](Tensor::requires_grad) are
//!   recorded; [`Tensor::backward`] fills [`Tensor::grad`] of the leaves, and with
//!   [`BackwardOptions::create_graph`] the backward pass is itself recorded (gradients of
//!   gradients). Each op's backward rule is written once, in `backprop.rs`.
//! * [`gradcheck`]: finite-difference checks of gradients, as a public API for users' tests.
//! * [`pool`]: the per-thread pool that recycles tensor buffers across training steps.
//! * [`set_num_threads`]: how many cores (1 or 2) the kernels may use.
//! * [`bench`]: the kernels under the API, for the benches only (not a stable API).
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

#![deny(missing_docs)]

mod backprop;
pub mod bench;
mod element;
mod error;
pub mod gradcheck;
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
pub use kernels::parallel::{num_threads, set_num_threads};
pub use pool::{clear_pool, pool_limit, pool_stats, set_pool_limit, PoolStats};
pub use shape::{for_each_offset, for_each_run, Dims, Layout, Shape};
pub use tensor::{is_grad_enabled, live_tensors, no_grad, set_grad_enabled, Tensor};
