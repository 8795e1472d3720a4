//! The overhead chain once per phase, for instruction counts under callgrind (which, unlike
//! times, do not depend on the machine's load):
//!
//! ```text
//! cargo bench --bench tape_instructions --no-run   # prints the binary's path
//! valgrind --tool=callgrind --callgrind-out-file=cg.out target/release/deps/tape_instructions-HASH
//! callgrind_annotate --inclusive=yes cg.out | grep phase_
//! ```
//!
//! Each `phase_*` function's inclusive count divided by `CHAIN` (10,000) is the instruction
//! count per op of that phase (or `--toggle-collect='*phase_recorded*'` counts one phase). The
//! criterion bench `overhead` times the same phases.

#[path = "common/chain.rs"]
mod chain;

use autograd::{no_grad, Tensor};
use chain::chain;
use std::hint::black_box;

/// The chain under `no_grad`, its result dropped.
#[inline(never)]
fn phase_no_grad(x: &Tensor<f32>) {
    drop(black_box(no_grad(|| chain(x))));
}

/// The recorded chain, kept for the backward phase.
#[inline(never)]
fn phase_recorded(w: &Tensor<f32>) -> Tensor<f32> {
    black_box(chain(w))
}

/// The backward pass through the recorded chain, which frees it.
#[inline(never)]
fn phase_backward(loss: Tensor<f32>) {
    loss.backward();
}

/// The recorded chain's graph dropped without a backward pass.
#[inline(never)]
fn phase_drop_graph(out: Tensor<f32>) {
    drop(out);
}

fn main() {
    let x = Tensor::<f32>::ones([16]);
    let w = Tensor::<f32>::ones([16]).requires_grad();
    // One warm-up round fills the buffer pool, as in the criterion bench.
    chain(&w).sum_all().backward();
    w.zero_grad();
    phase_no_grad(&x);
    phase_drop_graph(phase_recorded(&w));
    phase_backward(chain(&w).sum_all());
    println!(
        "ran each phase once; for instruction counts run this under callgrind (see the source)"
    );
}
