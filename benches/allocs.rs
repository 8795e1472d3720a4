//! Heap allocations, counted by a `#[global_allocator]` wrapper: per op of the overhead chain
//! (recorded forward, backward, no-grad forward) and per warm MLP training step, each with
//! the buffer pool on (default) and off (`set_pool_limit(0)`), in the same run.
//!
//! `cargo bench --bench allocs` prints a table; counts, unlike times, do not depend on the
//! machine's load. (Not a criterion bench: there is nothing to time.)

#[path = "common/chain.rs"]
mod chain;
#[path = "common/mlp.rs"]
mod mlp;

use autograd::{no_grad, pool_limit, set_pool_limit, Tensor};
use chain::{chain, CHAIN};
use mlp::MlpStep;
use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};

/// The system allocator, counting calls to `alloc` (and `realloc`, which may move).
struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// SAFETY: forwards every call unchanged to `System`.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        System.alloc(layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations per call of `f`, averaged over `reps` calls after `warm` unmeasured ones.
fn per_call<R>(warm: usize, reps: usize, mut f: impl FnMut() -> R) -> f64 {
    for _ in 0..warm {
        black_box(f());
    }
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    for _ in 0..reps {
        black_box(f());
    }
    (ALLOCATIONS.load(Ordering::Relaxed) - before) as f64 / reps as f64
}

/// The figures of one pool setting: per op of the chain, and per MLP step.
fn measure(model: &MlpStep) -> [f64; 4] {
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

fn main() {
    let model = MlpStep::new();
    let default_limit = pool_limit();
    let pooled = measure(&model);
    set_pool_limit(0);
    let unpooled = measure(&model);
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
