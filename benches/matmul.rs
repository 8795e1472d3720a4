//! Matrix products through `Tensor::matmul` against `matrixmultiply` called directly on the
//! same buffers, f32 and f64, n = 64 .. 1024; the backward of a matmul (both input gradients)
//! against its forward; the kernels' crossovers; and the path of CPUs without AVX2/FMA
//! (`matrixmultiply` against our portable micro-kernel, group `gemm_portable_f32`).
//!
//! `cargo bench --bench matmul`.

#[path = "common/peak.rs"]
mod peak;
#[path = "common/raw_gemm.rs"]
mod raw_gemm;

use autograd::bench::matmul::{self, gemm_blocked, Kernel, MatRef};
use autograd::{Float, Tensor};
use criterion::measurement::WallTime;
use criterion::{
    black_box, criterion_group, criterion_main, BenchmarkGroup, BenchmarkId, Criterion, Throughput,
};
use rand::rngs::StdRng;
use rand::SeedableRng;
use raw_gemm::matrixmultiply_gemm;

fn forward<T: Float>(c: &mut Criterion, sizes: &[usize]) {
    let mut g = c.benchmark_group(format!("matmul_{}", T::DTYPE));
    let mut rng = StdRng::seed_from_u64(0);
    for &n in sizes {
        g.throughput(Throughput::Elements((2 * n * n * n) as u64)); // flops
        g.sample_size(if n >= 512 { 10 } else { 30 });
        let a = Tensor::<T>::normal([n, n], 0.0, 1.0, &mut rng);
        let b = Tensor::<T>::normal([n, n], 0.0, 1.0, &mut rng);
        let (av, bv) = (a.to_vec(), b.to_vec());
        let mut cv = vec![T::zero(); n * n];
        let (am, bm) = (
            MatRef::dense(&av, n, n, false),
            MatRef::dense(&bv, n, n, false),
        );
        g.bench_with_input(BenchmarkId::new("matrixmultiply", n), &n, |bch, _| {
            bch.iter(|| matrixmultiply_gemm(black_box(am), black_box(bm), &mut cv))
        });
        g.bench_with_input(BenchmarkId::new("tensor", n), &n, |bch, _| {
            bch.iter(|| black_box(&a).matmul(black_box(&b)))
        });
        g.bench_with_input(
            BenchmarkId::new("tensor_transposed_rhs", n),
            &n,
            |bch, _| bch.iter(|| black_box(&a).matmul(&black_box(&b).t())),
        );
    }
    g.finish();
}

fn backward(c: &mut Criterion) {
    let mut g = c.benchmark_group("matmul_backward_f32");
    g.sample_size(10);
    let mut rng = StdRng::seed_from_u64(1);
    for n in [256usize, 512] {
        let a = Tensor::<f32>::normal([n, n], 0.0, 1.0, &mut rng).requires_grad();
        let b = Tensor::<f32>::normal([n, n], 0.0, 1.0, &mut rng).requires_grad();
        g.bench_with_input(BenchmarkId::new("forward", n), &n, |bch, _| {
            bch.iter(|| a.matmul(&b))
        });
        g.bench_with_input(BenchmarkId::new("backward_both_inputs", n), &n, |bch, _| {
            bch.iter_batched(
                || a.matmul(&b).sum_all(),
                |loss| {
                    loss.backward();
                    a.zero_grad();
                    b.zero_grad();
                },
                criterion::BatchSize::PerIteration,
            )
        });
    }
    g.finish();
}

/// The eight products of one training step of an MLP 784-256-256-10 at batch 128, as
/// `(name, m, k, n, a transposed, b transposed)`: forward `X W^T`, weight gradients `G^T H`,
/// input gradients `G W`.
const MLP_SHAPES: [(&str, usize, usize, usize, bool, bool); 8] = [
    ("fwd1_XW1t", 128, 784, 256, false, true),
    ("fwd2_H1W2t", 128, 256, 256, false, true),
    ("fwd3_H2W3t", 128, 256, 10, false, true),
    ("dW3_G3tH2", 10, 128, 256, true, false),
    ("dH2_G3W3", 128, 10, 256, false, false),
    ("dW2_G2tH1", 256, 128, 256, true, false),
    ("dH1_G2W2", 128, 256, 256, false, false),
    ("dW1_G1tX", 256, 128, 784, true, false),
];

/// Sets the group's throughput to the flops of an `m x k x n` product (`2 m k n`) and draws
/// its buffers: `A` (`m k` values), `B` (`k n`) and a zeroed `C` (`m n`).
fn product_buffers(
    g: &mut BenchmarkGroup<'_, WallTime>,
    rng: &mut StdRng,
    m: usize,
    k: usize,
    n: usize,
) -> [Vec<f32>; 3] {
    g.throughput(Throughput::Elements((2 * m * k * n) as u64));
    let mut draw = |len| Tensor::<f32>::normal([len], 0.0, 1.0, &mut *rng).to_vec();
    [draw(m * k), draw(k * n), vec![0.0; m * n]]
}

/// Each MLP product through the dispatching kernel (`autograd::bench::matmul::gemm`), our
/// packed kernel alone, our unpacked `direct` kernel alone (the products whose `B` is contiguous
/// along `n`), and `matrixmultiply` alone, on the same strided operands.
fn mlp_shapes(c: &mut Criterion) {
    let mut g = c.benchmark_group("gemm_mlp_shapes_f32");
    g.sample_size(30);
    let mut rng = StdRng::seed_from_u64(2);
    for (name, m, k, n, ta, tb) in MLP_SHAPES {
        let [av, bv, mut cv] = product_buffers(&mut g, &mut rng, m, k, n);
        let (a, b) = (MatRef::dense(&av, m, k, ta), MatRef::dense(&bv, k, n, tb));
        g.bench_function(BenchmarkId::new("matrixmultiply", name), |bch| {
            bch.iter(|| matrixmultiply_gemm(black_box(a), black_box(b), &mut cv))
        });
        g.bench_function(BenchmarkId::new("blocked", name), |bch| {
            bch.iter(|| gemm_blocked(black_box(a), black_box(b), &mut cv, n))
        });
        if !tb {
            g.bench_function(BenchmarkId::new("direct", name), |bch| {
                bch.iter(|| matmul::gemm_with(Kernel::Direct, black_box(a), black_box(b), &mut cv))
            });
        }
        g.bench_function(BenchmarkId::new("dispatch", name), |bch| {
            bch.iter(|| matmul::gemm(black_box(a), black_box(b), &mut cv))
        });
    }
    g.finish();
}

/// One kernel against another across a threshold of `Kernel::choose`, on shapes
/// `(name, m, k, n, a transposed, b transposed)`.
fn crossover(
    c: &mut Criterion,
    group: &str,
    shapes: impl IntoIterator<Item = (String, usize, usize, usize, bool, bool)>,
    kernels: [Kernel; 2],
) {
    let mut g = c.benchmark_group(group);
    g.sample_size(20);
    let mut rng = StdRng::seed_from_u64(3);
    for (name, m, k, n, ta, tb) in shapes {
        let [av, bv, mut cv] = product_buffers(&mut g, &mut rng, m, k, n);
        let (a, b) = (MatRef::dense(&av, m, k, ta), MatRef::dense(&bv, k, n, tb));
        for kernel in kernels {
            g.bench_function(BenchmarkId::new(format!("{kernel:?}"), &name), |bch| {
                bch.iter(|| matmul::gemm_with(kernel, black_box(a), black_box(b), &mut cv))
            });
        }
    }
    g.finish();
}

/// The thresholds of `Kernel::choose`: where the unpacked `direct` kernel stops beating the
/// packed one, in rows `m` at `k = n = 256` (`A` transposed, as in `G^T H`) and in inner
/// dimension `k` at `m = 128, n = 256` (as in `G W`); and where the dot-product kernel for
/// `X W^T` does, in rows at `k = n = 256` and in columns at `m = 512, k = 256`.
fn crossovers(c: &mut Criterion) {
    let rows = [6, 12, 24, 32, 48].map(|m| (format!("m{m}"), m, 256, 256, true, false));
    let depths = [10, 16, 24, 32, 48].map(|k| (format!("k{k}"), 128, k, 256, false, false));
    let direct = [Kernel::Blocked, Kernel::Direct];
    crossover(
        c,
        "gemm_direct_crossover_f32",
        rows.into_iter().chain(depths),
        direct,
    );
    let rows = [128, 192, 256].map(|m| (format!("m{m}"), m, 256, 256, false, true));
    let cols = [32, 64, 128].map(|n| (format!("n{n}"), 512, 256, n, false, true));
    let dot = [Kernel::Blocked, Kernel::DotRows];
    crossover(
        c,
        "gemm_dot_crossover_f32",
        rows.into_iter().chain(cols),
        dot,
    );
}

/// The path of CPUs without AVX2 and FMA: `matrixmultiply` (which `Kernel::choose` takes there,
/// or anywhere with `AUTOGRAD_FORCE_PORTABLE=1`) against the portable micro-kernel our packed
/// GEMM would run there (`Kernel::Portable`), on the MLP shapes and three squares. On this CPU
/// `matrixmultiply` runs its own AVX2 kernels; set `MATMUL_NUM_THREADS=1` to keep it on one
/// thread like the other.
fn portable(c: &mut Criterion) {
    let mlp = MLP_SHAPES.map(|(name, m, k, n, ta, tb)| (name.to_string(), m, k, n, ta, tb));
    let squares = [64, 256, 512].map(|n| (format!("square{n}"), n, n, n, false, false));
    crossover(
        c,
        "gemm_portable_f32",
        mlp.into_iter().chain(squares),
        [Kernel::Portable, Kernel::MatrixMultiply],
    );
}

fn bench(c: &mut Criterion) {
    // The ceiling every GFLOP/s figure below is read against (criterion's "elem/s" = flop/s).
    println!(
        "one core's f32 FMA peak: {}",
        peak::describe(peak::fma_peak_gflops(false))
    );
    mlp_shapes(c);
    crossovers(c);
    portable(c);
    let sizes = [64, 128, 256, 512, 1024];
    forward::<f32>(c, &sizes);
    forward::<f64>(c, &sizes);
    backward(c);
}

criterion_group!(benches, bench);
criterion_main!(benches);
