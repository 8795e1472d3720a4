//! The transcendental elementwise ops (`kernels/vmath.rs`) against the scalar libm loop they
//! replace and a plain copy, at 10^6 and 10^3 elements, f32 and f64, in the same run.
//!
//! Groups `transcendental_{1e6,1e3}/{f32,f64}`, for each function:
//! * `<fn>/ours`: the op through `Tensor` (under `no_grad`, so nothing is recorded), e.g.
//!   `x.exp()`; `exp_m1`, which has no op, through `autograd::bench::vmath::apply`;
//! * `<fn>/scalar`: the old path, libm per element (`f64::exp`, ...; for sigmoid and softplus
//!   their stable scalar formulas, `autograd::bench::vmath::{sigmoid, softplus}`) mapped into a
//!   reused `Vec`;
//! * `copy`: the input copied into a reused `Vec`, the memory floor of any map.
//!
//! Throughput is in elements, so criterion's time per iteration divided by n is ns/elem.
//!
//!     AUTOGRAD_NUM_THREADS=1 cargo bench --bench transcendental -- --warm-up-time 1 --measurement-time 3

use autograd::bench::vmath::{self, sigmoid, softplus, Func};
use autograd::{no_grad, Float, Tensor};
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// A unary op of `Tensor`, e.g. `Tensor::exp`.
type UnaryOp<T> = fn(&Tensor<T>) -> Tensor<T>;

/// One function of the bench: its name, kernel, op through `Tensor` (`None`: kernel only) and
/// the range its inputs are drawn from (uniformly): wide enough to reach both tails, inside
/// the domain.
struct Case<T: Float>(&'static str, Func, Option<UnaryOp<T>>, (f64, f64));

fn cases<T: Float>() -> [Case<T>; 7] {
    [
        Case("exp", Func::Exp, Some(Tensor::exp), (-20.0, 20.0)),
        Case("ln", Func::Ln, Some(Tensor::log), (1e-3, 1e3)),
        Case("ln_1p", Func::Ln1p, Some(Tensor::log1p), (-0.9, 10.0)),
        Case("exp_m1", Func::ExpM1, None, (-20.0, 20.0)),
        Case(
            "sigmoid",
            Func::Sigmoid,
            Some(Tensor::sigmoid),
            (-20.0, 20.0),
        ),
        Case(
            "softplus",
            Func::Softplus,
            Some(Tensor::softplus),
            (-20.0, 20.0),
        ),
        Case("tanh", Func::Tanh, Some(Tensor::tanh), (-5.0, 5.0)),
    ]
}

/// `out = f(x)` elementwise by libm, one loop per function (the match is outside the loop).
fn scalar_map<T: Float>(f: Func, x: &[T], out: &mut Vec<T>) {
    out.clear();
    match f {
        Func::Exp => out.extend(x.iter().map(|&v| v.exp())),
        Func::Ln => out.extend(x.iter().map(|&v| v.ln())),
        Func::Ln1p => out.extend(x.iter().map(|&v| v.ln_1p())),
        Func::ExpM1 => out.extend(x.iter().map(|&v| v.exp_m1())),
        Func::Sigmoid => out.extend(x.iter().map(|&v| sigmoid(v))),
        Func::Softplus => out.extend(x.iter().map(|&v| softplus(v))),
        Func::Tanh => out.extend(x.iter().map(|&v| v.tanh())),
    }
}

fn bench_type<T: Float>(c: &mut Criterion, n: usize, label: &str) {
    let mut rng = StdRng::seed_from_u64(0);
    let mut g = c.benchmark_group(format!("transcendental_{label}/{}", T::DTYPE));
    g.throughput(Throughput::Elements(n as u64));
    let mut out: Vec<T> = vec![T::zero(); n];

    let x: Vec<T> = (0..n).map(|_| T::of(rng.gen_range(-1.0..1.0))).collect();
    g.bench_function("copy", |b| {
        b.iter(|| {
            out.clear();
            out.extend_from_slice(black_box(&x));
            black_box(&mut out);
        })
    });

    for Case(name, f, op, (lo, hi)) in cases::<T>() {
        let x: Vec<T> = (0..n).map(|_| T::of(rng.gen_range(lo..hi))).collect();
        let t = Tensor::from_vec(x.clone(), [n]).unwrap();
        g.bench_function(format!("{name}/ours"), |b| match op {
            Some(op) => b.iter(|| no_grad(|| black_box(op(black_box(&t))))),
            None => b.iter(|| {
                vmath::apply(f, black_box(&x), &mut out);
                black_box(&mut out);
            }),
        });
        g.bench_function(format!("{name}/scalar"), |b| {
            b.iter(|| {
                scalar_map(f, black_box(&x), &mut out);
                black_box(&mut out);
            })
        });
    }
    g.finish();
}

fn benches(c: &mut Criterion) {
    for (n, label) in [(1_000_000, "1e6"), (1_000, "1e3")] {
        bench_type::<f32>(c, n, label);
        bench_type::<f64>(c, n, label);
    }
}

criterion_group!(transcendental, benches);
criterion_main!(transcendental);
