//! The cyclic kernels (`autograd/src/kernels/cyclic/`, through `autograd::bench::cyclic`): the
//! register-blocked direct kernels against the naive axpy loop (the baseline, same run,
//! `common/cyclic_naive.rs`) and the spectral (FFT) path, f32 and f64.
//!
//! `cargo bench --bench cyclic` first prints two reports, timed with a plain min-of-repeats
//! timer (robust on a loaded machine), then runs the criterion groups:
//!
//! 1. GFLOP/s (counting `2 B D^2` flops per kernel) of the naive loop, the direct kernel (with
//!    its % of this core's FMA peak, measured in the same run by `common/peak.rs`) and the FFT path (same flop count, so the
//!    figure is only comparable), for B = 64, 256, 1024 and D up to 128.
//! 2. The crossover: for every D in 1..=256 (and a few longer ones) at B = 128, the time of
//!    one forward and both adjoints (what a training step runs) by the direct kernels and by
//!    the FFT path. The constants of the factor-aware rule `D >= R W(D)`
//!    (`cyclic::Crossover`) with the least mean slowdown against the faster path at each
//!    D <= 256 are fitted on a grid; the bench compares the code's rule with the fit (and with
//!    the best single threshold) and says loudly when the code's is worse.
//!
//! `CYCLIC_SKIP_REPORT=1 cargo bench --bench cyclic` runs criterion only;
//! `CYCLIC_REPORT=throughput` (or `crossover`) prints that report only. Arguments after `--`
//! go to criterion (e.g. a filter such as `cyclic_corr_f32`).

#[path = "common/cyclic_naive.rs"]
mod cyclic_naive;
#[path = "common/peak.rs"]
mod peak;

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput};
use implicit_bias::autograd::bench::cyclic::{self, Crossover};
use implicit_bias::autograd::Float;

/// The row lengths of the crossover sweep.
const SWEEP_MAX_D: usize = 256;

/// The batch of the crossover sweep.
const SWEEP_BATCH: usize = 128;

type Kernel<T> = fn(&[T], &[T], usize, &mut [T]);

/// One kernel with its three implementations. The kernel's first argument is `[B, D]`; the
/// second is `[D]` if `second_is_filter`, else `[B, D]`, as is the output unless it is `[D]`.
struct CyclicKernel<T> {
    name: &'static str,
    naive: Kernel<T>,
    direct: Kernel<T>,
    fft: Kernel<T>,
    second_is_filter: bool,
}

/// The forward kernel and its two adjoints.
fn kernels<T: Float>() -> [CyclicKernel<T>; 3] {
    [
        CyclicKernel {
            name: "corr",
            naive: cyclic_naive::corr,
            direct: cyclic::direct::corr,
            fft: cyclic::spectral::corr,
            second_is_filter: true,
        },
        CyclicKernel {
            name: "conv",
            naive: cyclic_naive::conv,
            direct: cyclic::direct::conv,
            fft: cyclic::spectral::conv,
            second_is_filter: true,
        },
        CyclicKernel {
            name: "corr_weight",
            naive: cyclic_naive::corr_weight,
            direct: cyclic::direct::corr_weight,
            fft: cyclic::spectral::corr_weight,
            second_is_filter: false,
        },
    ]
}

/// Deterministic values in [-1, 1) without a random-number dependency.
fn signal<T: Float>(n: usize) -> Vec<T> {
    (0..n)
        .map(|i| T::of((i * 7919 % 1000) as f64 / 500.0 - 1.0))
        .collect()
}

/// Input and output buffers for one kernel at batch `b` and row length `d`.
struct Buffers<T> {
    first: Vec<T>,
    second: Vec<T>,
    out: Vec<T>,
}

impl<T: Float> Buffers<T> {
    fn new(kernel: &CyclicKernel<T>, b: usize, d: usize) -> Self {
        let batched = b * d;
        let (second, out) = if kernel.second_is_filter {
            (d, batched)
        } else {
            (batched, d)
        };
        Self {
            first: signal(batched),
            second: signal(second),
            out: vec![T::zero(); out],
        }
    }

    fn run(&mut self, kernel: Kernel<T>, d: usize) {
        kernel(
            black_box(&self.first),
            black_box(&self.second),
            d,
            &mut self.out,
        );
    }
}

/// The fastest time of one call of `f`, in seconds: samples of enough calls to last about
/// 50 us, repeated for about 30 ms, and the best sample kept (the least disturbed by other
/// processes on a loaded machine).
fn best_time(mut f: impl FnMut()) -> f64 {
    let start = Instant::now();
    f();
    let first = start.elapsed().as_secs_f64();
    let calls = (50e-6 / first.max(1e-9)).ceil().clamp(1.0, 1e5) as usize;
    let mut best = f64::INFINITY;
    let budget = Instant::now();
    let mut samples = 0;
    while samples < 5 || (budget.elapsed() < Duration::from_millis(30) && samples < 1000) {
        let t = Instant::now();
        for _ in 0..calls {
            f();
        }
        best = best.min(t.elapsed().as_secs_f64() / calls as f64);
        samples += 1;
    }
    best
}

/// Report 1: GFLOP/s of the three paths of each kernel.
fn throughput_report<T: Float>(dtype: &str) {
    let peak = peak::fma_peak_gflops(std::mem::size_of::<T>() == 8);
    println!(
        "\n== cyclic {dtype}: GFLOP/s (2 B D^2 flops); one core's peak {} ==",
        peak::describe(peak)
    );
    println!("kernel   B     D   naive  direct (% peak)  fft(equiv)  direct/naive");
    for kernel in kernels::<T>() {
        for b in [64, 256, 1024] {
            for d in [8, 16, 32, 48, 64, 128] {
                let mut bufs = Buffers::new(&kernel, b, d);
                let flops = 2.0 * (b * d * d) as f64;
                let mut gflops = |k: Kernel<T>| flops / best_time(|| bufs.run(k, d)) / 1e9;
                let (naive, direct, fft) = (
                    gflops(kernel.naive),
                    gflops(kernel.direct),
                    gflops(kernel.fft),
                );
                println!(
                    "{:7} {b:4} {d:4} {naive:7.1} {direct:7.1} ({:4.0}%) {fft:11.1} {:12.1}x",
                    kernel.name,
                    100.0 * direct / peak.unwrap_or(f64::NAN),
                    direct / naive,
                );
            }
        }
    }
}

/// Row lengths past the sweep's 1..=256, smooth and prime, where the rule extrapolates.
const SWEEP_LONG: [usize; 8] = [257, 384, 509, 512, 625, 769, 1021, 1024];

/// Report 2: direct against FFT at every D; fits the crossover rule and checks the code's.
fn crossover_report<T: Float>(dtype: &str, in_code: Crossover) {
    println!(
        "\n== cyclic {dtype}: forward + both adjoints, B = {SWEEP_BATCH}, direct / fft (us) =="
    );
    let kernels = kernels::<T>();
    let lengths: Vec<usize> = (1..=SWEEP_MAX_D).chain(SWEEP_LONG).collect();
    let mut times = Vec::with_capacity(lengths.len());
    for (n, &d) in lengths.iter().enumerate() {
        let mut bufs: Vec<_> = kernels
            .iter()
            .map(|k| Buffers::new(k, SWEEP_BATCH, d))
            .collect();
        let mut step = |path: fn(&CyclicKernel<T>) -> Kernel<T>| {
            best_time(|| {
                for (kernel, buf) in kernels.iter().zip(bufs.iter_mut()) {
                    buf.run(path(kernel), d);
                }
            })
        };
        let (direct, fft) = (step(|k| k.direct), step(|k| k.fft));
        print!(
            "{d:4}: {:8.2} / {:8.2}{}",
            direct * 1e6,
            fft * 1e6,
            if n % 4 == 3 { "\n" } else { "   " }
        );
        times.push((d, direct, fft));
    }
    // slowdown(rule) = mean over D of (time of the path the rule picks) / (faster path's time),
    // minus 1, over the sweep's D up to 256 (the fit) or the long ones (the extrapolation).
    let slowdown = |uses_fft: &dyn Fn(usize) -> bool, long: bool| -> f64 {
        let chosen: Vec<f64> = times
            .iter()
            .filter(|&&(d, _, _)| (d > SWEEP_MAX_D) == long)
            .map(|&(d, direct, fft)| if uses_fft(d) { fft } else { direct } / direct.min(fft))
            .collect();
        chosen.iter().sum::<f64>() / chosen.len() as f64 - 1.0
    };
    let threshold = (1..=SWEEP_MAX_D + 1)
        .min_by(|&a, &b| slowdown(&|d| d >= a, false).total_cmp(&slowdown(&|d| d >= b, false)))
        .expect("the range is not empty");
    let candidates = (4..=80).flat_map(|r| {
        (1..=12).map(move |w| Crossover {
            min_ratio: r as f64 / 4.0,
            large_prime_weight: w as f64,
        })
    });
    let rule_slowdown = |rule: &Crossover, long| slowdown(&|d| rule.uses_fft(d), long);
    let fitted = candidates
        .min_by(|a, b| rule_slowdown(a, false).total_cmp(&rule_slowdown(b, false)))
        .expect("the grid is not empty");
    let percent = |x: f64| format!("{:.1}%", 100.0 * x);
    println!(
        "\nmean slowdown against the per-D faster path ({dtype}, D <= {SWEEP_MAX_D} / longer D):\n\
         \x20 best single threshold, FFT from D = {threshold}: {} / {}\n\
         \x20 fitted rule D >= {} W(D), large-prime weight {}: {} / {}\n\
         \x20 the code's rule {in_code:?}: {} / {}",
        percent(slowdown(&|d| d >= threshold, false)),
        percent(slowdown(&|d| d >= threshold, true)),
        fitted.min_ratio,
        fitted.large_prime_weight,
        percent(rule_slowdown(&fitted, false)),
        percent(rule_slowdown(&fitted, true)),
        percent(rule_slowdown(&in_code, false)),
        percent(rule_slowdown(&in_code, true)),
    );
    let wrong: Vec<String> = times
        .iter()
        .filter(|&&(d, direct, fft)| {
            let (chosen, other) = if in_code.uses_fft(d) {
                (fft, direct)
            } else {
                (direct, fft)
            };
            chosen > 1.25 * other
        })
        .map(|&(d, direct, fft)| format!("{d} ({:.2}x)", direct.max(fft) / direct.min(fft)))
        .collect();
    println!("D where the code's rule picks a path over 25% slower: {wrong:?}");
    // The grid's optimum is flat: a rule within one point of the fit is as good as the fit.
    if rule_slowdown(&in_code, false) <= rule_slowdown(&fitted, false) + 0.01 {
        println!("the code's rule agrees with the measurement (within 1 point of the fit)");
    } else {
        let banner = "!".repeat(78);
        println!(
            "{banner}\n!!! CROSSOVER_{} in the code DISAGREES with the measurement: \
             update it in\n!!! autograd/src/kernels/cyclic/crossover.rs to the fitted {fitted:?}\n{banner}",
            dtype.to_uppercase(),
        );
    }
}

/// Criterion groups `cyclic_{kernel}_{dtype}`: naive, direct and FFT at a few D, B = 256.
fn criterion_groups<T: Float>(c: &mut Criterion, dtype: &str) {
    const B: usize = 256;
    for kernel in kernels::<T>() {
        let mut group = c.benchmark_group(format!("cyclic_{}_{dtype}", kernel.name));
        group
            .sample_size(20)
            .warm_up_time(Duration::from_millis(300))
            .measurement_time(Duration::from_secs(1));
        for d in [16, 64, 128] {
            group.throughput(Throughput::Elements((2 * B * d * d) as u64)); // flops
            let mut bufs = Buffers::new(&kernel, B, d);
            for (path, k) in [
                ("naive", kernel.naive),
                ("direct", kernel.direct),
                ("fft", kernel.fft),
            ] {
                group.bench_function(BenchmarkId::new(path, d), |bencher| {
                    bencher.iter(|| bufs.run(k, d))
                });
            }
        }
        group.finish();
    }
}

fn main() {
    let only = std::env::var("CYCLIC_REPORT").unwrap_or_default();
    if std::env::var_os("CYCLIC_SKIP_REPORT").is_none() {
        if only != "crossover" {
            throughput_report::<f32>("f32");
            throughput_report::<f64>("f64");
        }
        if only != "throughput" {
            crossover_report::<f32>("f32", cyclic::CROSSOVER_F32);
            crossover_report::<f64>("f64", cyclic::CROSSOVER_F64);
        }
    }
    let mut c = Criterion::default().configure_from_args();
    criterion_groups::<f32>(&mut c, "f32");
    criterion_groups::<f64>(&mut c, "f64");
    c.final_summary();
}
