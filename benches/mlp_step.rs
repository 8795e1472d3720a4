//! One SGD training step of an MLP 784-256-256-10 (ReLU, biases, softmax cross-entropy, batch
//! 128, f32) through `nn` + `autograd`, against the floor set by its GEMMs alone.
//!
//! * `autograd_step`: forward, `backward`, and the SGD update done by hand with `update`
//!   (`benches/common/mlp.rs`); `autograd_step_no_pool` the same with the buffer pool off.
//! * `gemms_only`: the 8 matrix products that step performs, by `matrixmultiply::sgemm`
//!   directly (`gemms_only_autograd`: by autograd's own GEMM kernels, the floor of our step): 3 forward (`X W1^T`, `H1 W2^T`, `H2 W3^T`), 3 weight gradients (`G^T H`) and 2
//!   input gradients (`G W`; none for the data). Their ratio is the framework's overhead.
//!
//! Threads: autograd's own GEMMs split a product across two cores when `AUTOGRAD_NUM_THREADS`
//! (or `autograd::set_num_threads`) allows 2 (default: the number of logical
//! CPUs, capped at 2). The `gemms_only` baseline is raw `matrixmultiply`, whose `threading`
//! feature reads `MATMUL_NUM_THREADS` once per process (unset: the physical cores). So one
//! thread and two are two runs of this bench, each setting both variables:
//!
//!     AUTOGRAD_NUM_THREADS=1 MATMUL_NUM_THREADS=1 cargo bench --bench mlp_step -- --warm-up-time 1 --measurement-time 3
//!     AUTOGRAD_NUM_THREADS=2 MATMUL_NUM_THREADS=2 cargo bench --bench mlp_step -- --warm-up-time 1 --measurement-time 3
//!
//! The group name records the setting; the throughput line ("elem/s") is steps per second.

#[path = "common/mlp.rs"]
mod mlp;
#[path = "common/peak.rs"]
mod peak;
#[path = "common/raw_gemm.rs"]
mod raw_gemm;

use autograd::bench::matmul::{self, MatRef};
use autograd::{pool_limit, set_pool_limit};
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use mlp::{MlpStep, BATCH, SIZES};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

fn threads_label() -> String {
    let var = |name| std::env::var(name).ok().filter(|s: &String| !s.is_empty());
    format!(
        "threads={}/mm={}",
        autograd::num_threads(),
        var("MATMUL_NUM_THREADS").unwrap_or_else(|| "default".into())
    )
}

/// The step with the buffer pool on (the default), and off to show what it saves.
fn autograd_step(c: &mut Criterion, group: &str) {
    let mut model = MlpStep::new();
    let mut g = c.benchmark_group(group);
    g.throughput(Throughput::Elements(1));
    g.bench_function("autograd_step", |b| b.iter(|| black_box(model.step())));
    let limit = pool_limit();
    set_pool_limit(0);
    g.bench_function("autograd_step_no_pool", |b| {
        b.iter(|| black_box(model.step()))
    });
    set_pool_limit(limit);
    g.finish();
}

/// A GEMM routine on row-major buffers: `C = A B` with `A` `m x k` (or its transpose when `ta`)
/// and `B` `k x n` (or its transpose when `tb`).
type Gemm = fn(usize, usize, usize, &[f32], bool, &[f32], bool, &mut [f32]);

/// The operands as strided matrices (transposes by strides, as the tape passes them).
fn operands<'a>(
    (m, k, n): (usize, usize, usize),
    a: &'a [f32],
    ta: bool,
    b: &'a [f32],
    tb: bool,
) -> (MatRef<'a, f32>, MatRef<'a, f32>) {
    (MatRef::dense(a, m, k, ta), MatRef::dense(b, k, n, tb))
}

/// [`Gemm`] by raw `matrixmultiply::sgemm`.
#[allow(clippy::too_many_arguments)]
fn gemm_matrixmultiply(
    m: usize,
    k: usize,
    n: usize,
    a: &[f32],
    ta: bool,
    b: &[f32],
    tb: bool,
    c: &mut [f32],
) {
    let (a, b) = operands((m, k, n), a, ta, b, tb);
    raw_gemm::matrixmultiply_gemm(a, b, c)
}

/// [`Gemm`] by autograd's GEMM dispatch (the kernels the tape runs).
#[allow(clippy::too_many_arguments)]
fn gemm_autograd(
    m: usize,
    k: usize,
    n: usize,
    a: &[f32],
    ta: bool,
    b: &[f32],
    tb: bool,
    c: &mut [f32],
) {
    let (a, b) = operands((m, k, n), a, ta, b, tb);
    matmul::gemm(a, b, c)
}

/// The step's eight products alone, by `gemm` (no tape, no elementwise work).
fn gemms_only(c: &mut Criterion, group: &str, name: &str, gemm: Gemm) {
    let mut rng = StdRng::seed_from_u64(1);
    let mut v = |n: usize| -> Vec<f32> { (0..n).map(|_| rng.gen_range(-1.0..1.0)).collect() };
    let [d0, d1, d2, d3] = SIZES;
    let (x, w1, w2, w3) = (v(BATCH * d0), v(d1 * d0), v(d2 * d1), v(d3 * d2));
    let (g3, g2, g1) = (v(BATCH * d3), v(BATCH * d2), v(BATCH * d1));
    let (mut h1, mut h2, mut z) = (
        vec![0.0; BATCH * d1],
        vec![0.0; BATCH * d2],
        vec![0.0; BATCH * d3],
    );
    let (mut dw3, mut dw2, mut dw1) = (vec![0.0; d3 * d2], vec![0.0; d2 * d1], vec![0.0; d1 * d0]);
    let (mut dh2, mut dh1) = (vec![0.0; BATCH * d2], vec![0.0; BATCH * d1]);
    let mut g = c.benchmark_group(group);
    g.throughput(Throughput::Elements(1));
    g.bench_function(name, |b| {
        b.iter(|| {
            gemm(BATCH, d0, d1, &x, false, &w1, true, &mut h1); // H1 = X W1^T
            gemm(BATCH, d1, d2, &h1, false, &w2, true, &mut h2); // H2 = H1 W2^T
            gemm(BATCH, d2, d3, &h2, false, &w3, true, &mut z); // Z = H2 W3^T
            gemm(d3, BATCH, d2, &g3, true, &h2, false, &mut dw3); // dW3 = G3^T H2
            gemm(BATCH, d3, d2, &g3, false, &w3, false, &mut dh2); // dH2 = G3 W3
            gemm(d2, BATCH, d1, &g2, true, &h1, false, &mut dw2); // dW2 = G2^T H1
            gemm(BATCH, d2, d1, &g2, false, &w2, false, &mut dh1); // dH1 = G2 W2
            gemm(d1, BATCH, d0, &g1, true, &x, false, &mut dw1); // dW1 = G1^T X
            black_box((&z, &dw3, &dh2, &dw2, &dh1, &dw1));
        })
    });
    g.finish();
}

fn benches(c: &mut Criterion) {
    // The ceiling every GFLOP/s figure below is read against (criterion's "elem/s" = flop/s).
    println!(
        "one core's f32 FMA peak: {}",
        peak::describe(peak::fma_peak_gflops(false))
    );
    let group = format!("mlp_step/{}", threads_label());
    gemms_only(c, &group, "gemms_only", gemm_matrixmultiply);
    gemms_only(c, &group, "gemms_only_autograd", gemm_autograd);
    autograd_step(c, &group);
}

criterion_group!(mlp, benches);
criterion_main!(mlp);
