//! Heap allocations, counted by a `#[global_allocator]` wrapper: per op of the overhead chain
//! (recorded forward, backward, no-grad forward) and per warm MLP training step, each with
//! the buffer pool on (default) and off (`set_pool_limit(0)`), in the same run.
//!
//! `cargo bench --bench allocs` prints a table; counts, unlike times, do not depend on the
//! machine's load. (Not a criterion bench: there is nothing to time.)
//!
//! `ALLOCS_TRACE=1 cargo bench --bench allocs` prints instead where the allocations of one
//! warm MLP step come from: each call site (the innermost workspace frames of its stack) with
//! its count. `ALLOCS_TRACE=5` shows 5 frames per site (default 3).

#[path = "common/chain.rs"]
mod chain;
#[path = "common/counting.rs"]
mod counting;
#[path = "common/mlp.rs"]
mod mlp;

use autograd::{no_grad, pool_limit, set_pool_limit, Tensor};
use chain::{chain, CHAIN};
use counting::{per_call, trace_sites, Counting};
use mlp::MlpStep;

#[global_allocator]
static GLOBAL: Counting = Counting;

/// The figures of one pool setting: per op of the chain, and per MLP step.
fn measure(model: &mut MlpStep) -> [f64; 4] {
    let x = Tensor::<f32>::ones([16]);
    let w = Tensor::<f32>::ones([16]).requires_grad();
    let ops = CHAIN as f64;
    let no_grad_op = per_call(3, 10, || no_grad(|| chain(&x))) / ops;
    let forward_op = per_call(3, 10, || chain(&w)) / ops;
    // Forward and backward together, minus the forward.
    let backward_op = per_call(3, 10, || {
        chain(&w).sum_all().backward();
        w.zero_grad();
    }) / ops
        - forward_op;
    let step = per_call(3, 10, || model.step());
    [no_grad_op, forward_op, backward_op, step]
}

/// Prints the call sites of the allocations of one warm step, `frames` frames each.
fn trace(model: &mut MlpStep, frames: usize) {
    for _ in 0..3 {
        model.step();
    }
    let sites = trace_sites(frames, || model.step());
    let total: usize = sites.iter().map(|(_, n)| n).sum();
    println!("{total} heap allocations in one warm MLP step, by call site:");
    for (site, n) in sites {
        println!("{n:>5}  {site}");
    }
}

fn main() {
    let mut model = MlpStep::new();
    if let Ok(frames) = std::env::var("ALLOCS_TRACE") {
        return trace(&mut model, frames.parse().unwrap_or(3));
    }
    let default_limit = pool_limit();
    let pooled = measure(&mut model);
    set_pool_limit(0);
    let unpooled = measure(&mut model);
    set_pool_limit(default_limit);
    println!("heap allocations (alloc + realloc calls), warm:");
    println!("{:<40} {:>10} {:>10}", "", "pool on", "pool off");
    let rows = [
        "per op, chain forward under no_grad",
        "per op, chain forward recorded",
        "per op, chain backward",
        "per MLP 784-256-256-10 step (batch 128)",
    ];
    for (i, row) in rows.iter().enumerate() {
        println!("{row:<40} {:>10.2} {:>10.2}", pooled[i], unpooled[i]);
    }
}
