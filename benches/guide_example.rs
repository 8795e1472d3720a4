//! GUIDE.md, walkthrough 3: a kernel bench with its baseline in the same run.
//!
//! The kernel: RMS normalization over the last axis of a `[256, 1024]` f32 tensor, as composed
//! autograd ops (`x / sqrt(mean(x^2) + eps)`, no tape). The baseline: the same arithmetic as one
//! plain loop over a `Vec<f32>`. Both run in one criterion group, so their ratio is measured on
//! the same machine state — read the ratio, not the absolute times (the machine is shared).
//!
//!     cargo bench --bench guide_example                      # measure
//!     cargo bench --bench guide_example -- --test            # run each once (CI smoke test)
//!     cargo bench --bench guide_example -- --warm-up-time 1 --measurement-time 3   # quicker

use autograd::{no_grad, Tensor};
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};

const ROWS: usize = 256;
const COLS: usize = 1024;
const EPS: f32 = 1e-6;

/// The kernel under test, built from tensor ops.
fn rms_norm(x: &Tensor<f32>) -> Tensor<f32> {
    let rms = x.square().mean(&[1], true).add_scalar(EPS).sqrt();
    x.div(&rms)
}

/// The baseline: one pass for the mean square, one for the division, per row.
fn rms_norm_loop(x: &[f32], out: &mut [f32]) {
    for (row, o) in x.chunks_exact(COLS).zip(out.chunks_exact_mut(COLS)) {
        let ms = row.iter().map(|v| v * v).sum::<f32>() / COLS as f32;
        let inv = 1.0 / (ms + EPS).sqrt();
        for (o, v) in o.iter_mut().zip(row) {
            *o = v * inv;
        }
    }
}

fn bench(c: &mut Criterion) {
    let data: Vec<f32> = (0..ROWS * COLS)
        .map(|i| ((i * 7919) % 1000) as f32 / 500.0 - 1.0)
        .collect();
    let x = Tensor::from_vec(data.clone(), [ROWS, COLS]).unwrap();
    // Same numbers from both sides before timing anything.
    let mut out = vec![0.0f32; ROWS * COLS];
    rms_norm_loop(&data, &mut out);
    let err = no_grad(|| rms_norm(&x))
        .to_vec()
        .iter()
        .zip(&out)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(err < 1e-5, "kernel and baseline disagree by {err}");

    let mut g = c.benchmark_group("rms_norm_256x1024_f32");
    g.throughput(Throughput::Elements((ROWS * COLS) as u64));
    g.sample_size(20);
    g.bench_function("baseline_loop", |b| {
        b.iter(|| rms_norm_loop(black_box(&data), black_box(&mut out)))
    });
    g.bench_function("tensor_ops", |b| {
        b.iter(|| no_grad(|| rms_norm(black_box(&x))))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
