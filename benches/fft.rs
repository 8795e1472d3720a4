//! Benchmarks of the FFT kernels (`autograd/src/kernels/fft.rs`, through `autograd::bench::fft`).
//!
//! - `transform_*`: our batched transforms against raw rustfft/realfft with a
//!   plan and scratch made once outside the timed loop. Every case transforms
//!   `TOTAL` elements (`TOTAL / D` rows), so per-call costs of ours (plan-cache
//!   lookup, scratch allocation) are paid once per batch, as in real use. The
//!   raw real FFT copies each row into a reused buffer first, because realfft
//!   overwrites its input, which our `rfft_rows` also has to do.
//! - `dft_real`: the direct O(D^2) real DFT and its adjoint against the FFT
//!   ones, at small D, to locate `DFT_REAL_FFT_MIN_LEN`.
//!
//! Run: `cargo bench --bench fft -- --warm-up-time 1 --measurement-time 2`.
//!
//! Last figures (2-core machine shared with other builds; fastest sample of
//! each case, as medians moved by up to 30% with the load), ours / raw time:
//!
//! | D     | complex f64 | complex f32 | real f64 | real f32 |
//! |-------|-------------|-------------|----------|----------|
//! | 16    | 1.06        | 1.00        | 1.04     | 0.98     |
//! | 64    | 1.01        | 1.00        | 0.99     | 1.03     |
//! | 256   | 0.99        | 1.01        | 1.01     | 1.01     |
//! | 1024  | 1.00        | 1.04        | 1.04     | 1.00     |
//! | 4096  | 0.94        | 0.97        | 1.02     | 1.02     |
//! | 16384 | 1.02        | 1.02        | 0.95     | 1.01     |
//! | 65536 | 1.08        | 0.96        | 1.03     | 1.01     |
//!
//! The cyclic-correlation kernels have their own bench, `benches/cyclic.rs`.
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion};
use implicit_bias::autograd::bench::fft::{self, Complex};
use implicit_bias::autograd::Float;
use realfft::RealFftPlanner;
use rustfft::FftPlanner;

const TOTAL: usize = 1 << 16;
const TRANSFORM_LENGTHS: [usize; 7] = [16, 64, 256, 1024, 4096, 16384, 65536];
const BATCH: usize = 128;

/// Deterministic values in [-1, 1) without a random-number dependency.
fn signal<T: Float>(n: usize) -> Vec<T> {
    (0..n)
        .map(|i| T::of((i * 7919 % 1000) as f64 / 500.0 - 1.0))
        .collect()
}

fn complex_signal<T: Float>(n: usize) -> Vec<Complex<T>> {
    let parts = signal::<T>(2 * n);
    parts
        .chunks_exact(2)
        .map(|p| Complex::new(p[0], p[1]))
        .collect()
}

fn bench_complex<T: Float>(c: &mut Criterion, name: &str) {
    let mut group = c.benchmark_group(format!("transform_complex_{name}"));
    let input = complex_signal::<T>(TOTAL);
    for d in TRANSFORM_LENGTHS {
        group.bench_function(BenchmarkId::new("ours", d), |b| {
            b.iter_batched_ref(
                || input.clone(),
                |data| fft::fft_rows_inplace(data, d, false),
                BatchSize::LargeInput,
            )
        });
        let plan = FftPlanner::<T>::new().plan_fft_forward(d);
        let mut scratch = vec![Complex::new(T::zero(), T::zero()); plan.get_inplace_scratch_len()];
        group.bench_function(BenchmarkId::new("raw", d), |b| {
            b.iter_batched_ref(
                || input.clone(),
                |data| plan.process_with_scratch(data, &mut scratch),
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

fn bench_real<T: Float>(c: &mut Criterion, name: &str) {
    let mut group = c.benchmark_group(format!("transform_real_{name}"));
    let input = signal::<T>(TOTAL);
    for d in TRANSFORM_LENGTHS {
        let bins = d / 2 + 1;
        let mut out = vec![Complex::new(T::zero(), T::zero()); TOTAL / d * bins];
        group.bench_function(BenchmarkId::new("ours", d), |b| {
            b.iter(|| fft::rfft_rows(black_box(&input), d, &mut out))
        });
        let plan = RealFftPlanner::<T>::new().plan_fft_forward(d);
        let mut row_buf = plan.make_input_vec();
        let mut scratch = plan.make_scratch_vec();
        group.bench_function(BenchmarkId::new("raw", d), |b| {
            b.iter(|| {
                let rows = black_box(&input).chunks_exact(d);
                for (row, spectrum) in rows.zip(out.chunks_exact_mut(bins)) {
                    row_buf.copy_from_slice(row);
                    plan.process_with_scratch(&mut row_buf, spectrum, &mut scratch)
                        .unwrap();
                }
            })
        });
    }
    group.finish();
}

fn transforms(c: &mut Criterion) {
    bench_complex::<f64>(c, "f64");
    bench_complex::<f32>(c, "f32");
    bench_real::<f64>(c, "f64");
    bench_real::<f32>(c, "f32");
}

fn dft_real(c: &mut Criterion) {
    let mut group = c.benchmark_group("dft_real");
    for d in [2, 4, 8, 16, 32] {
        let x = signal::<f64>(BATCH * d);
        let (mut re, mut im) = (vec![0.0; BATCH * d], vec![0.0; BATCH * d]);
        group.bench_function(BenchmarkId::new("direct", d), |b| {
            b.iter(|| fft::dft_real_direct(black_box(&x), d, &mut re, &mut im))
        });
        group.bench_function(BenchmarkId::new("fft", d), |b| {
            b.iter(|| fft::dft_real_fft(black_box(&x), d, &mut re, &mut im))
        });
        let mut adj = vec![0.0; BATCH * d];
        group.bench_function(BenchmarkId::new("adjoint_direct", d), |b| {
            b.iter(|| fft::dft_real_adjoint_direct(black_box(&re), &im, d, &mut adj))
        });
        group.bench_function(BenchmarkId::new("adjoint_fft", d), |b| {
            b.iter(|| fft::dft_real_adjoint_fft(black_box(&re), &im, d, &mut adj))
        });
    }
    group.finish();
}

criterion_group!(benches, transforms, dft_real);
criterion_main!(benches);
