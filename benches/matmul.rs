//! Matrix products through `Tensor::matmul` against `matrixmultiply` called directly on the
//! same buffers, f32 and f64, n = 64 .. 1024; and the backward of a matmul (both input
//! gradients) against its forward.
//!
//! `cargo bench --bench matmul`.

use autograd::kernels::blocked;
use autograd::kernels::matmul::{self, MatRef};
use autograd::{Float, Tensor};
use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use rand::rngs::StdRng;
use rand::SeedableRng;

fn raw_gemm<T: Float>(n: usize, a: &[T], b: &[T], c: &mut [T]) {
    // SAFETY: a, b, c are n x n row-major buffers.
    unsafe {
        T::gemm(
            n,
            n,
            n,
            T::one(),
            a.as_ptr(),
            n as isize,
            1,
            b.as_ptr(),
            n as isize,
            1,
            T::zero(),
            c.as_mut_ptr(),
            n as isize,
            1,
        )
    }
}

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
        g.bench_with_input(BenchmarkId::new("matrixmultiply", n), &n, |bch, &n| {
            bch.iter(|| raw_gemm(n, black_box(&av), black_box(&bv), &mut cv))
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

/// Each MLP product through the dispatching kernel (`autograd::kernels::matmul::gemm`), our
/// blocked kernel alone, and `matrixmultiply` alone, on the same strided operands.
fn mlp_shapes(c: &mut Criterion) {
    let mut g = c.benchmark_group("gemm_mlp_shapes_f32");
    g.sample_size(30);
    let mut rng = StdRng::seed_from_u64(2);
    for (name, m, k, n, ta, tb) in MLP_SHAPES {
        g.throughput(Throughput::Elements((2 * m * k * n) as u64)); // flops
        let av = Tensor::<f32>::normal([m * k], 0.0, 1.0, &mut rng).to_vec();
        let bv = Tensor::<f32>::normal([k * n], 0.0, 1.0, &mut rng).to_vec();
        let (a, b) = (mat(&av, m, k, ta), mat(&bv, k, n, tb));
        let mut cv = vec![0.0f32; m * n];
        g.bench_function(BenchmarkId::new("matrixmultiply", name), |bch| {
            bch.iter(|| matrixmultiply_gemm(black_box(a), black_box(b), &mut cv))
        });
        g.bench_function(BenchmarkId::new("blocked", name), |bch| {
            bch.iter(|| blocked::gemm_blocked(black_box(a), black_box(b), &mut cv, n))
        });
        g.bench_function(BenchmarkId::new("dispatch", name), |bch| {
            bch.iter(|| matmul::gemm(black_box(a), black_box(b), &mut cv))
        });
    }
    g.finish();
}

/// A row-major `rows x cols` matrix over `data`, or the transpose of a row-major `cols x rows`
/// one.
fn mat<T>(data: &[T], rows: usize, cols: usize, transposed: bool) -> MatRef<'_, T> {
    let (row_stride, col_stride) = if transposed { (1, rows) } else { (cols, 1) };
    MatRef {
        data,
        offset: 0,
        rows,
        cols,
        row_stride,
        col_stride,
    }
}

/// `matrixmultiply` on the operands of a [`MatRef`] pair, into a row-major `c`.
fn matrixmultiply_gemm<T: Float>(a: MatRef<'_, T>, b: MatRef<'_, T>, c: &mut [T]) {
    // SAFETY: `mat` builds in-bounds operands and `c` holds a.rows x b.cols elements.
    unsafe {
        T::gemm(
            a.rows,
            a.cols,
            b.cols,
            T::one(),
            a.data.as_ptr(),
            a.row_stride as isize,
            a.col_stride as isize,
            b.data.as_ptr(),
            b.row_stride as isize,
            b.col_stride as isize,
            T::zero(),
            c.as_mut_ptr(),
            b.cols as isize,
            1,
        )
    }
}

fn bench(c: &mut Criterion) {
    mlp_shapes(c);
    let sizes = [64, 128, 256, 512, 1024];
    forward::<f32>(c, &sizes);
    forward::<f64>(c, &sizes);
    backward(c);
}

criterion_group!(benches, bench);
criterion_main!(benches);
