//! The cyclic kernels behind the ops [`cyclic_corr`](crate::Tensor::cyclic_corr),
//! [`cyclic_conv`](crate::Tensor::cyclic_conv) and
//! [`cyclic_corr_weight`](crate::Tensor::cyclic_corr_weight), on rows of length `d` of
//! row-major buffers, indices taken mod `d`:
//!
//! * [`corr`]: `out[b, i] = sum_{k<d} w[k] x[b, (i + k) mod d]` (the layer),
//! * [`conv`]: `out[b, j] = sum_{i<d} g[b, i] w[(j - i) mod d]` (its adjoint in `x`),
//! * [`corr_weight`]: `out[k] = sum_b sum_{i<d} g[b, i] x[b, (i + k) mod d]` (its adjoint in
//!   `w`).
//!
//! Each dispatches by the [`crossover`] cost model between its [`direct`] kernel
//! (register-blocked, `O(B d^2)`) and its [`spectral`] one (real FFTs, `O(B d log d)`). Outputs
//! are overwritten; buffer lengths are checked up front, and a mismatch (a caller's bug)
//! panics naming the kernel, the buffer and both lengths.

pub mod crossover;
pub mod direct;
pub mod spectral;

use super::fft::{check_len, row_count};
use crate::element::Float;
use crossover::crossover;

/// [`corr`]: by [`spectral::corr`] where the `crossover` says so, else [`direct::corr`].
///
/// Panics if `x.len()` is not a multiple of `d`, or `w.len() != d`, or
/// `out.len() != x.len()`.
pub fn corr<T: Float>(x: &[T], w: &[T], d: usize, out: &mut [T]) {
    if crossover::<T>().uses_fft(d) {
        spectral::corr(x, w, d, out);
    } else {
        direct::corr(x, w, d, out);
    }
}

/// [`conv`]: by [`spectral::conv`] where the `crossover` says so, else [`direct::conv`].
///
/// Panics if `g.len()` is not a multiple of `d`, or `w.len() != d`, or
/// `out.len() != g.len()`.
pub fn conv<T: Float>(g: &[T], w: &[T], d: usize, out: &mut [T]) {
    if crossover::<T>().uses_fft(d) {
        spectral::conv(g, w, d, out);
    } else {
        direct::conv(g, w, d, out);
    }
}

/// [`corr_weight`]: by [`spectral::corr_weight`] where the `crossover` says so, else
/// [`direct::corr_weight`].
///
/// Panics if `g.len()` is not a multiple of `d`, or `x.len() != g.len()`, or `out.len() != d`.
pub fn corr_weight<T: Float>(g: &[T], x: &[T], d: usize, out: &mut [T]) {
    if crossover::<T>().uses_fft(d) {
        spectral::corr_weight(g, x, d, out);
    } else {
        direct::corr_weight(g, x, d, out);
    }
}

/// Checks the buffers of [`corr`] or [`conv`] (`func`): `rows` `[B, d]` named `rows_name`, a
/// filter `w` `[d]` and `out` like `rows`.
fn check_filtered(func: &str, (rows_name, rows): (&str, usize), w: usize, out: usize, d: usize) {
    let b = row_count(func, rows_name, rows, d);
    check_len(func, "w", w, d);
    check_len(func, "out", out, b * d);
}

/// Checks the buffers of [`corr_weight`] (`func`): `g` and `x` `[B, d]`, `out` `[d]`.
fn check_weight(func: &str, g: usize, x: usize, out: usize, d: usize) {
    let b = row_count(func, "g", g, d);
    check_len(func, "x", x, b * d);
    check_len(func, "out", out, d);
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    const F64_TOL: f64 = 1e-12;
    const F32_TOL: f64 = 1e-5;

    fn random<T: Float>(n: usize, seed: u64) -> Vec<T> {
        let mut rng = StdRng::seed_from_u64(seed);
        (0..n).map(|_| T::of(rng.gen_range(-1.0..1.0))).collect()
    }

    /// `max |a - b| / max |b|`: the error of `a` relative to the reference `b`.
    fn rel_err<T: Float>(a: &[T], b: &[f64]) -> f64 {
        assert_eq!(a.len(), b.len());
        let diff = a
            .iter()
            .zip(b)
            .fold(0.0, |m, (x, y)| f64::max(m, (x.f64() - y).abs()));
        let scale = b
            .iter()
            .fold(f64::MIN_POSITIVE, |m, y| f64::max(m, y.abs()));
        diff / scale
    }

    /// The three kernels by the triple loops of their formulas, in f64.
    fn corr_reference(x: &[f64], w: &[f64], d: usize) -> Vec<f64> {
        let mut out = vec![0.0; x.len()];
        for b in 0..x.len() / d {
            for i in 0..d {
                for k in 0..d {
                    out[b * d + i] += w[k] * x[b * d + (i + k) % d];
                }
            }
        }
        out
    }

    fn conv_reference(g: &[f64], w: &[f64], d: usize) -> Vec<f64> {
        let mut out = vec![0.0; g.len()];
        for b in 0..g.len() / d {
            for j in 0..d {
                for i in 0..d {
                    out[b * d + j] += g[b * d + i] * w[(j + d - i) % d];
                }
            }
        }
        out
    }

    fn corr_weight_reference(g: &[f64], x: &[f64], d: usize) -> Vec<f64> {
        let mut out = vec![0.0; d];
        for (k, out_k) in out.iter_mut().enumerate() {
            for b in 0..g.len() / d {
                for i in 0..d {
                    *out_k += g[b * d + i] * x[b * d + (i + k) % d];
                }
            }
        }
        out
    }

    type Kernel<T> = fn(&[T], &[T], usize, &mut [T]);

    /// Row lengths: every `d` to 130 (every remainder of the register tiles of both types,
    /// both sides of the crossovers) and some large ones, smooth (spectral path) and prime
    /// (direct up to past 256).
    fn lengths() -> impl Iterator<Item = usize> {
        (1..=130).chain([251, 256, 509, 1000, 1024])
    }

    /// Batch rows: one full register tile of 6 rows and a partial one.
    const BATCH: usize = 7;

    /// The direct and spectral forms of a kernel and its dispatcher agree to `tol` with the
    /// triple loop `reference` run in f64, and the dispatcher gives bit for bit the output of
    /// the path that the [`crossover`] selects. The kernel's first argument is `[B, d]`; the
    /// second is `[d]` when `second_is_filter`, else `[B, d]`, as is the output unless the
    /// output is `[d]`.
    fn check_kernel<T: Float>(
        name: &str,
        reference: fn(&[f64], &[f64], usize) -> Vec<f64>,
        [direct, spectral, dispatch]: [Kernel<T>; 3],
        second_is_filter: bool,
        tol: f64,
    ) {
        for d in lengths() {
            let a = random::<T>(BATCH * d, d as u64);
            let b = random::<T>(if second_is_filter { d } else { BATCH * d }, d as u64 + 1);
            let f64s = |v: &[T]| -> Vec<f64> { v.iter().map(|x| x.f64()).collect() };
            let expected = reference(&f64s(&a), &f64s(&b), d);
            let run = |kernel: Kernel<T>| {
                let mut out = vec![T::nan(); expected.len()];
                kernel(&a, &b, d, &mut out);
                out
            };
            let outs = [run(direct), run(spectral)];
            for (out, path) in outs.iter().zip(["direct", "spectral"]) {
                let err = rel_err(out, &expected);
                assert!(err <= tol, "{path}::{name} d={d}: relative error {err:e}");
            }
            let chosen = usize::from(crossover::<T>().uses_fft(d));
            assert!(
                run(dispatch) == outs[chosen],
                "{name} d={d}: the dispatcher did not take the path of the crossover"
            );
        }
    }

    fn check_kernels<T: Float>(tol: f64) {
        let corr_forms: [Kernel<T>; 3] = [direct::corr, spectral::corr, corr];
        check_kernel("corr", corr_reference, corr_forms, true, tol);
        let conv_forms: [Kernel<T>; 3] = [direct::conv, spectral::conv, conv];
        check_kernel("conv", conv_reference, conv_forms, true, tol);
        let weight_forms: [Kernel<T>; 3] =
            [direct::corr_weight, spectral::corr_weight, corr_weight];
        check_kernel(
            "corr_weight",
            corr_weight_reference,
            weight_forms,
            false,
            tol,
        );
    }

    #[test]
    fn direct_spectral_and_dispatch_match_the_formulas() {
        check_kernels::<f64>(F64_TOL);
        check_kernels::<f32>(F32_TOL);
    }

    #[test]
    #[should_panic(expected = "direct::corr_weight: `out` has length 3, expected 4")]
    fn length_mismatch_panics_with_names_and_lengths() {
        corr_weight(&[0.0f64; 8], &[0.0; 8], 4, &mut [0.0; 3]);
    }
}
