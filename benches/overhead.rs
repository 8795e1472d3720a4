//! Per-op overhead of the tape: a chain of 10,000 elementwise ops on a 16-element f32 tensor,
//! (a) without recording, (b) recorded forward, (c) backward through the recorded chain, next
//! to (d) a naive loop doing the same arithmetic on a plain array (the floor).
//!
//! `cargo bench --bench overhead`; per-op time = reported time / 10,000. The heap allocations
//! per op of the same chain are counted by `cargo bench --bench allocs`.

#[path = "common/chain.rs"]
mod chain;

use autograd::{no_grad, Tensor};
use chain::{chain, CHAIN};
use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion};

fn bench(c: &mut Criterion) {
    let x = Tensor::<f32>::ones([16]);
    let w = Tensor::<f32>::ones([16]).requires_grad();
    let mut g = c.benchmark_group("overhead_10k_ops_16_f32");
    g.sample_size(20);
    g.bench_function("naive_loop", |b| {
        b.iter(|| {
            let mut h = [1.0f32; 16];
            for i in 0..CHAIN {
                for v in h.iter_mut() {
                    *v = if i % 2 == 0 { *v * 0.999 } else { *v + 0.001 };
                }
                black_box(&mut h);
            }
            h
        })
    });
    g.bench_function("forward_no_grad", |b| {
        b.iter(|| no_grad(|| chain(black_box(&x))))
    });
    g.bench_function("forward_recorded", |b| b.iter(|| chain(black_box(&w))));
    g.bench_function("backward", |b| {
        b.iter_batched(
            || chain(&w).sum_all(),
            |loss| {
                loss.backward();
                w.zero_grad();
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
