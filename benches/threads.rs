//! The two-thread gain of elementwise ops and reductions (`kernels/parallel.rs`: `split_mut`
//! for maps, `tree_reduce` for sums) against the same op on one thread, in the same run, over
//! sizes around the thresholds (`vmath::PARALLEL_MIN` = 2^14 for transcendental maps and fused
//! loss sums, `elementwise::PARALLEL_MIN` = 2^18 for cheap maps, `reduce::PARALLEL_MIN` = 2^15
//! for reductions), f64.
//!
//! Group `threads/<op>/<n>`, ids `1` and `2`: the op through `Tensor` under `no_grad` with
//! `set_num_threads(1)` or `(2)`. Ops: `exp` (a vectorized transcendental map), `mul` (a cheap
//! binary map), `sum` (a full reduction), `logistic_loss` (the fused `mean softplus(-z)`), and
//! `logistic_step` (forward and backward of the loss, the per-step elementwise work of a
//! logistic-regression run on `n` rows).
//!
//!     cargo bench --bench threads -- --warm-up-time 0.5 --measurement-time 1

use autograd::{no_grad, set_num_threads, Tensor};
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

fn random(n: usize, rng: &mut StdRng) -> Tensor<f64> {
    Tensor::from_vec((0..n).map(|_| rng.gen_range(-8.0..8.0)).collect(), [n]).unwrap()
}

fn benches(c: &mut Criterion) {
    let mut rng = StdRng::seed_from_u64(5);
    // Each op returns its result tensor (not a copy of its values, which would add a serial
    // pass over the output to both sides).
    type Op = fn(&Tensor<f64>, &Tensor<f64>) -> Tensor<f64>;
    let ops: [(&str, Op); 5] = [
        ("exp", |x, _| no_grad(|| x.exp())),
        ("mul", |x, y| no_grad(|| x * y)),
        ("sum", |x, _| no_grad(|| x.sum_all())),
        ("logistic_loss", |x, _| no_grad(|| x.logistic_loss())),
        ("logistic_step", |x, _| {
            let z = x.detach().requires_grad();
            z.logistic_loss().backward();
            z.grad().expect("a gradient")
        }),
    ];
    for (name, op) in ops {
        for log2 in [12, 14, 16, 18, 20] {
            let n = 1usize << log2;
            let (x, y) = (random(n, &mut rng), random(n, &mut rng));
            let mut g = c.benchmark_group(format!("threads/{name}/2^{log2}"));
            g.throughput(Throughput::Elements(n as u64));
            for threads in [1, 2] {
                g.bench_function(threads.to_string(), |b| {
                    set_num_threads(threads);
                    b.iter(|| black_box(op(&x, &y)))
                });
            }
            g.finish();
        }
    }
}

criterion_group!(threads, benches);
criterion_main!(threads);
