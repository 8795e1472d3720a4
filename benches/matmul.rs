//! Matrix products through `Tensor::matmul` against `matrixmultiply` called directly on the
//! same buffers, f32 and f64, n = 64 .. 1024; and the backward of a matmul (both input
//! gradients) against its forward.
//!
//! `cargo bench --bench matmul`.

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

fn bench(c: &mut Criterion) {
    let sizes = [64, 128, 256, 512, 1024];
    forward::<f32>(c, &sizes);
    forward::<f64>(c, &sizes);
    backward(c);
}

criterion_group!(benches, bench);
criterion_main!(benches);
