//! This core's FMA peak, measured in the same run as the kernel it is compared with.
//!
//! A GFLOP/s figure means little across machines: the reference machine and the one a
//! bench runs on may differ in clock and vector width. So the benches that quote "% of peak"
//! time this loop first: 12 independent chains `acc = acc * b + c` of 256-bit fused
//! multiply-adds, kept in registers (no loads or stores), which is the most a kernel made of
//! AVX2 FMAs can reach on one core. On a CPU without AVX2 + FMA it returns `None`.

use std::hint::black_box;
use std::time::Instant;

/// Fused multiply-adds per call of the measured loop, per accumulator.
const ROUNDS: usize = 2_000_000;

/// Best GFLOP/s of the FMA loop over a few repeats (2 flops per lane per FMA), for `f32` when
/// `f64_lanes` is false, else for `f64` (half the lanes).
pub fn fma_peak_gflops(f64_lanes: bool) -> Option<f64> {
    #[cfg(target_arch = "x86_64")]
    if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
        let lanes = if f64_lanes { 4.0 } else { 8.0 };
        let flops = (ROUNDS * 12) as f64 * lanes * 2.0;
        let best = (0..5)
            .map(|_| {
                let start = Instant::now();
                // SAFETY: the CPU has AVX2 and FMA (checked above).
                unsafe {
                    if f64_lanes {
                        black_box(avx::fma_chains_f64(ROUNDS));
                    } else {
                        black_box(avx::fma_chains_f32(ROUNDS));
                    }
                }
                start.elapsed().as_secs_f64()
            })
            .fold(f64::INFINITY, f64::min);
        return Some(flops / best / 1e9);
    }
    None
}

/// The peak as text for a report header: "102 GFLOP/s (measured)" or "unknown".
pub fn describe(peak: Option<f64>) -> String {
    match peak {
        Some(p) => format!("{p:.0} GFLOP/s (FMA loop, measured now)"),
        None => "unknown (no AVX2 + FMA)".to_string(),
    }
}

#[cfg(target_arch = "x86_64")]
mod avx {
    use std::arch::x86_64::*;

    /// Generates one 12-chain FMA loop per element type.
    macro_rules! fma_chains {
        ($name:ident, $vec:ty, $set1:ident, $fma:ident, $add:ident, $elem:ty) => {
            /// 12 independent FMA chains, `rounds` FMAs each; returns their sum so that
            /// nothing is optimised away.
            #[target_feature(enable = "avx2,fma")]
            pub unsafe fn $name(rounds: usize) -> $vec {
                // Opaque inputs, so the compiler cannot evaluate the chains itself.
                let b = $set1(std::hint::black_box(0.999_9 as $elem));
                let c = $set1(std::hint::black_box(1e-5 as $elem));
                let mut acc = [$set1(std::hint::black_box(0.1 as $elem)); 12];
                for _ in 0..std::hint::black_box(rounds) {
                    for a in acc.iter_mut() {
                        *a = $fma(*a, b, c);
                    }
                }
                acc.iter().fold($set1(0.0 as $elem), |s, &a| $add(s, a))
            }
        };
    }
    fma_chains!(
        fma_chains_f32,
        __m256,
        _mm256_set1_ps,
        _mm256_fmadd_ps,
        _mm256_add_ps,
        f32
    );
    fma_chains!(
        fma_chains_f64,
        __m256d,
        _mm256_set1_pd,
        _mm256_fmadd_pd,
        _mm256_add_pd,
        f64
    );
}
