//! The cost model that picks, per row length `d`, between the direct kernels
//! (`direct`, `O(B d^2)`) and the spectral path (`spectral`,
//! `O(B d log d)`).
//!
//! A mixed-radix FFT of length `d = p_1 p_2 ... p_n` (primes with multiplicity) makes one pass
//! over the data per factor, and a pass of radix `p` costs about `p` operations per element,
//! so its time is about `d W(d)` with `W(d) = sum_j w(p_j)`: `fft_cost_units`. rustfft has
//! hand-written butterflies for the primes up to 31 (`w(p) = p`); a larger prime goes through
//! Rader's or Bluestein's algorithm, a few FFTs of smooth lengths near `p`:
//! `w(p) = large_prime_weight log2(p)`. The direct kernels cost about `d^2` per row. So the
//! spectral path is taken when `d >= min_ratio W(d)` (and `d > 1`): [`Crossover::uses_fft`].

use crate::element::Float;
use std::any::TypeId;

/// The rule by which the cyclic kernels choose between the direct kernels and the spectral path,
/// from the factorisation of `d` (see the module).
///
/// Both constants are fitted by `cargo bench --bench cyclic` (its crossover report: every `d`
/// in 1..=256 and some longer ones, forward plus both adjoints at `B = 128`, each path timed),
/// as the pair with the least mean slowdown against the faster path at each `d`; the bench
/// says loudly when the constants here are worse than its fit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Crossover {
    /// The spectral path is taken when `d >= min_ratio W(d)`.
    pub min_ratio: f64,
    /// `w(p) = large_prime_weight log2(p)` for a prime factor `p > 31`.
    pub large_prime_weight: f64,
}

impl Crossover {
    /// Whether the cyclic kernels take the spectral path at row length `d`: `d > 1` and
    /// `d >= min_ratio W(d)`, with `W` = `fft_cost_units`.
    pub fn uses_fft(&self, d: usize) -> bool {
        d > 1 && d as f64 >= self.min_ratio * fft_cost_units(d, self.large_prime_weight)
    }
}

/// The largest prime with a hand-written butterfly in rustfft.
const LARGEST_BUTTERFLY_PRIME: usize = 31;

/// `W(d) = sum_j w(p_j)` over the prime factors `p_j` of `d` (with multiplicity), where
/// `w(p) = p` for `p <= 31` and `w(p) = large_prime_weight log2(p)` above: an FFT of length
/// `d` costs about `d W(d)` operations (see the module). `W(1) = 0`.
pub fn fft_cost_units(d: usize, large_prime_weight: f64) -> f64 {
    let weight = |p: usize| {
        if p <= LARGEST_BUTTERFLY_PRIME {
            p as f64
        } else {
            large_prime_weight * (p as f64).log2()
        }
    };
    let (mut rest, mut units, mut p) = (d, 0.0, 2);
    while p * p <= rest {
        while rest % p == 0 {
            units += weight(p);
            rest /= p;
        }
        p += 1;
    }
    if rest > 1 {
        units += weight(rest);
    }
    units
}

/// The crossover for `f32`.
///
/// Fitted on 2026-11-29 (2-core machine loaded by other builds; `cargo bench --bench cyclic`,
/// `CYCLIC_REPORT=crossover`). Direct / FFT time of forward plus both adjoints at `B = 128`,
/// in microseconds: `d = 64`: 42 / 62; `128`: 174 / 111; `127` (prime): 172 / 668; `240`:
/// 620 / 230; `251` (prime): 707 / 1502; `256`: 715 / 217; `509` (prime): 2880 / 2292;
/// `1021` (prime): 12711 / 11821. The rule's mean slowdown against the faster path at each `d`
/// up to 256 is 1.5% (2.9% on the longer lengths), against 9.9% for the best single threshold
/// (`d >= 240`).
pub const CROSSOVER_F32: Crossover = Crossover {
    min_ratio: 7.5,
    large_prime_weight: 5.0,
};

/// The crossover for `f64`, fitted as for `f32`. Direct / FFT in microseconds: `d = 64`:
/// 87 / 72; `128`: 356 / 140; `127`: 358 / 761; `251`: 1562 / 2167; `509`: 6629 / 4369. Mean
/// slowdown 4.0% (2.2% on the longer lengths), against 17.6% for the best single threshold
/// (`d >= 160`).
pub const CROSSOVER_F64: Crossover = Crossover {
    min_ratio: 5.0,
    large_prime_weight: 8.0,
};

/// The crossover of element type `T`: [`CROSSOVER_F32`] for `f32`, [`CROSSOVER_F64`] otherwise.
///
/// The choice depends on `d` and the type only, never on timings taken at run time, so a
/// given input always takes the same path and gives the same bits.
pub fn crossover<T: Float>() -> Crossover {
    if TypeId::of::<T>() == TypeId::of::<f32>() {
        CROSSOVER_F32
    } else {
        CROSSOVER_F64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fft_cost_units_sum_the_prime_factors() {
        assert_eq!(fft_cost_units(1, 5.0), 0.0);
        assert_eq!(fft_cost_units(256, 5.0), 16.0);
        assert_eq!(fft_cost_units(240, 5.0), 2.0 * 4.0 + 3.0 + 5.0);
        assert_eq!(fft_cost_units(31 * 29, 5.0), 60.0);
        let big = 2.0 + 2.0 * 37f64.log2();
        assert!((fft_cost_units(2 * 37, 2.0) - big).abs() < 1e-12);
    }

    #[test]
    fn crossover_prefers_fft_for_smooth_lengths_only() {
        let f32_rule = crossover::<f32>();
        assert_eq!(f32_rule, CROSSOVER_F32);
        assert_eq!(crossover::<f64>(), CROSSOVER_F64);
        for d in [1, 2, 16, 127, 251] {
            assert!(!f32_rule.uses_fft(d), "f32 d={d} should stay direct");
        }
        for d in [128, 240, 256, 1024] {
            assert!(f32_rule.uses_fft(d), "f32 d={d} should take the FFT");
        }
    }
}
