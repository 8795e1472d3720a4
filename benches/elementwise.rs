//! Memory bandwidth of the elementwise and reduction ops on 10^7-element tensors (f32 and
//! f64), and the fused backward ops against the chains of primitives they replace.
//!
//! Group `elementwise_1e7/{f32,f64}`: each op through `Tensor` (under `no_grad`) next to two
//! floors written as plain loops on `Vec`s in the same run:
//! * `triad`: the STREAM triad `a[i] = b[i] + s c[i]` into a preallocated `a`;
//! * `triad_fresh`: the same into a freshly allocated `Vec` (as every tensor op does today:
//!   a 40-80 MB buffer comes from `mmap`, so each run also pays its page faults);
//! * `sum_all_one_stream`: the full sum as one sequential stream into 16 partial sums;
//! * `sum_axis0_row_by_row`: the axis-0 sum as one pass over the output row per input row.
//!
//! Throughput is in bytes moved (inputs read + output written, counting no write-allocate
//! traffic, as STREAM does), so criterion's `B/s` is directly comparable across rows.
//!
//! Group `fused`: the fused op vs the unfused composition, at the MLP bench's shapes
//! (`[128, 256]` hidden activations, `[128, 10]` logits):
//! * `relu_backward`: `g.relu_grad(x)` vs `g.mul(&x.positive_mask())`;
//! * `softmax_xent_fwd_bwd`: loss and its gradient, fused vs `-mean(gather(log_softmax(x)))`;
//! * `bias_grad`: the batch sum `g.sum_to([256])` vs a plain loop.
//!
//!     cargo bench --bench elementwise -- --warm-up-time 1 --measurement-time 3

use autograd::{grad, no_grad, Float, Tensor};
use criterion::measurement::WallTime;
use criterion::{
    black_box, criterion_group, criterion_main, BenchmarkGroup, Criterion, Throughput,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const N: usize = 10_000_000;
/// Row length of the broadcast add `[N / ROW, ROW] + [ROW]`.
const ROW: usize = 1000;

fn bytes<T>(arrays: usize) -> Throughput {
    Throughput::Bytes((arrays * N * std::mem::size_of::<T>()) as u64)
}

fn random<T: Float>(n: usize, rng: &mut StdRng) -> Vec<T> {
    (0..n).map(|_| T::of(rng.gen_range(-1.0..1.0))).collect()
}

fn bandwidth<T: Float>(c: &mut Criterion) {
    let mut rng = StdRng::seed_from_u64(0);
    let (b, cv) = (random::<T>(N, &mut rng), random::<T>(N, &mut rng));
    let mut a = vec![T::zero(); N];
    let s = T::of(0.5);
    let x = Tensor::from_vec(b.clone(), [N / ROW, ROW]).unwrap();
    let y = Tensor::from_vec(cv.clone(), [N / ROW, ROW]).unwrap();
    let row = Tensor::from_vec(random::<T>(ROW, &mut rng), [ROW]).unwrap();

    let mut g = c.benchmark_group(format!("elementwise_1e7/{}", T::DTYPE));
    g.sample_size(10);
    g.throughput(bytes::<T>(3));
    g.bench_function("triad", |bench| {
        bench.iter(|| {
            for ((a, &b), &c) in a.iter_mut().zip(&b).zip(&cv) {
                *a = b + s * c;
            }
            black_box(&mut a);
        })
    });
    g.bench_function("triad_fresh", |bench| {
        bench.iter(|| {
            let a: Vec<T> = b.iter().zip(&cv).map(|(&b, &c)| b + s * c).collect();
            black_box(a)
        })
    });
    g.throughput(bytes::<T>(2));
    g.bench_function("copy", |bench| {
        bench.iter(|| {
            a.copy_from_slice(&b);
            black_box(&mut a);
        })
    });
    let ops = |g: &mut BenchmarkGroup<WallTime>, name: &str, f: &dyn Fn() -> Tensor<T>| {
        g.bench_function(name, |bench| bench.iter(|| no_grad(|| black_box(f()))));
    };
    g.throughput(bytes::<T>(3));
    ops(&mut g, "add", &|| x.add(&y));
    ops(&mut g, "mul", &|| x.mul(&y));
    g.throughput(bytes::<T>(2));
    ops(&mut g, "relu", &|| x.relu());
    ops(&mut g, "exp", &|| x.exp());
    ops(&mut g, "add_row_broadcast", &|| x.add(&row));
    g.throughput(bytes::<T>(1));
    ops(&mut g, "sum_all", &|| x.sum_all());
    // The full sum's baseline: one sequential stream folded into 16 partial sums (what
    // `sum_all` did before it read four far-apart pieces at once).
    g.bench_function("sum_all_one_stream", |bench| {
        bench.iter(|| {
            let mut lanes = [T::zero(); 16];
            for chunk in b.chunks_exact(16) {
                lanes.iter_mut().zip(chunk).for_each(|(l, &v)| *l = *l + v);
            }
            black_box(lanes.into_iter().fold(T::zero(), |s, l| s + l))
        })
    });
    ops(&mut g, "sum_axis0", &|| x.sum(&[0], false));
    // The axis-0 sum's baseline: one pass over the output row per input row (what
    // `sum(&[0])` did before it folded four rows per pass).
    g.bench_function("sum_axis0_row_by_row", |bench| {
        bench.iter(|| {
            let mut out = vec![T::zero(); ROW];
            for r in b.chunks_exact(ROW) {
                out.iter_mut().zip(r).for_each(|(o, &v)| *o = *o + v);
            }
            black_box(out)
        })
    });
    g.finish();
}

fn fused(c: &mut Criterion) {
    let mut rng = StdRng::seed_from_u64(1);
    let (batch, hidden, classes) = (128, 256, 10);
    let h = Tensor::<f32>::normal([batch, hidden], 0.0, 1.0, &mut rng);
    let dh = Tensor::<f32>::normal([batch, hidden], 0.0, 1.0, &mut rng);
    let logits = Tensor::<f32>::normal([batch, classes], 0.0, 3.0, &mut rng).requires_grad();
    let labels: Vec<usize> = (0..batch).map(|_| rng.gen_range(0..classes)).collect();
    let bias_shape = autograd::Shape::from([hidden]);
    let dh_data = dh.to_vec();

    let mut g = c.benchmark_group("fused");
    g.bench_function("relu_backward/fused", |b| {
        b.iter(|| no_grad(|| black_box(dh.relu_grad(&h))))
    });
    g.bench_function("relu_backward/unfused", |b| {
        b.iter(|| no_grad(|| black_box(dh.mul(&h.positive_mask()))))
    });
    let fwd_bwd = |loss: Tensor<f32>| grad(&loss, &[&logits], false).unwrap();
    g.bench_function("softmax_xent_fwd_bwd/fused", |b| {
        b.iter(|| black_box(fwd_bwd(logits.softmax_cross_entropy(&labels))))
    });
    g.bench_function("softmax_xent_fwd_bwd/unfused", |b| {
        b.iter(|| {
            let loss = logits.log_softmax(1).gather_rows(&labels).mean_all().neg();
            black_box(fwd_bwd(loss))
        })
    });
    g.bench_function("bias_grad/sum_to", |b| {
        b.iter(|| no_grad(|| black_box(dh.sum_to(&bias_shape))))
    });
    g.bench_function("bias_grad/plain_loop", |b| {
        b.iter(|| {
            let mut out = vec![0.0f32; hidden];
            for r in dh_data.chunks_exact(hidden) {
                out.iter_mut().zip(r).for_each(|(o, &v)| *o += v);
            }
            black_box(out)
        })
    });
    g.finish();
}

fn benches(c: &mut Criterion) {
    bandwidth::<f32>(c);
    bandwidth::<f64>(c);
    fused(c);
}

criterion_group!(elementwise, benches);
criterion_main!(elementwise);
