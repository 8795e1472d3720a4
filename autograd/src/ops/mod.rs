//! The differentiable operations, as methods on [`Tensor`](crate::Tensor).
//!
//! Each primitive computes its result with a kernel and records an [`Op`](crate::backprop) whose
//! backward rule lives in `backprop.rs`. Composite functions (softmax, norms) are built from
//! primitives, so they need no rule of their own. Fused ops (`fused.rs`, and the losses in
//! `losses.rs`) compute in one pass what a chain of primitives would compute with temporaries.

mod arith;
mod composite;
mod cyclic;
mod fused;
mod linalg;
mod losses;
mod operators;
mod reduce;
mod select;
mod shape_ops;
