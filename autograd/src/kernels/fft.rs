//! FFTs on row-major slices: the process-wide plan cache, batched row transforms, and the real
//! DFT with its adjoint (the kernels of [`Tensor::dft`](crate::Tensor::dft) and
//! [`Tensor::dft_adjoint`](crate::Tensor::dft_adjoint)). The [cyclic kernels](super::cyclic)'
//! spectral path runs on the same row transforms.
//!
//! Conventions shared by every function here:
//! - A batch is a row-major buffer of rows of equal length (`len` or `d`); the
//!   number of rows is `buffer.len() / len`.
//! - Transforms are unnormalised: forward is `F[k] = sum_n x[n] e^{-2 pi i k n / D}`,
//!   inverse is `x[n] = sum_k F[k] e^{+2 pi i k n / D}`, so an inverse after a
//!   forward transform multiplies by `D`.
//! - Outputs are overwritten, never accumulated into.
//! - Buffer lengths are checked up front. A mismatch is a programming error, so
//!   it panics with a message naming the function, the buffer and both lengths
//!   (rather than returning a `Result` that every caller would unwrap).
//! - Each call allocates its scratch buffers once, never per row, and takes its
//!   plans from a process-wide cache ([`fft_plan`], [`rfft_plan`], [`irfft_plan`]).

use crate::element::Float;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};
use rustfft::{Fft, FftDirection, FftPlanner};
use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::f64::consts::TAU;
use std::sync::{Arc, Mutex, OnceLock};

pub use rustfft::num_complex::Complex;

// ---------------------------------------------------------------------------
// Plan cache
// ---------------------------------------------------------------------------

/// Which transform a cached plan computes.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum PlanKind {
    Forward,
    Inverse,
    RealToComplex,
    ComplexToReal,
}

/// Plans keyed by (element type, length, kind); each value is the plan's
/// `Arc<dyn ...>` boxed as `Any`, downcast back by [`cached_plan`].
type PlanMap = HashMap<(TypeId, usize, PlanKind), Box<dyn Any + Send + Sync>>;

fn plan_cache() -> &'static Mutex<PlanMap> {
    static CACHE: OnceLock<Mutex<PlanMap>> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

/// The plan of type `P` for `(T, len, kind)`, made by `make` on the first
/// request and shared afterwards. The lock is held while planning, so each plan
/// is made exactly once even when threads race for it.
fn cached_plan<T: 'static, P>(len: usize, kind: PlanKind, make: impl FnOnce() -> P) -> P
where
    P: Clone + Send + Sync + 'static,
{
    let key = (TypeId::of::<T>(), len, kind);
    // A panic while planning cannot leave the map half-updated, so a poisoned
    // lock is still safe to use.
    let mut cache = plan_cache().lock().unwrap_or_else(|e| e.into_inner());
    let entry = cache.entry(key).or_insert_with(|| Box::new(make()));
    entry
        .downcast_ref::<P>()
        .expect("plan cache: the key's TypeId and kind determine the plan type")
        .clone()
}

/// The cached complex FFT plan of length `len`: forward
/// `F[k] = sum_n x[n] e^{-2 pi i k n / len}`, or with `inverse` the unnormalised
/// `x[n] = sum_k F[k] e^{+2 pi i k n / len}`. Repeated calls (from any thread)
/// return the same `Arc`.
pub fn fft_plan<T: Float>(len: usize, inverse: bool) -> Arc<dyn Fft<T>> {
    let (kind, direction) = if inverse {
        (PlanKind::Inverse, FftDirection::Inverse)
    } else {
        (PlanKind::Forward, FftDirection::Forward)
    };
    cached_plan::<T, _>(len, kind, || FftPlanner::new().plan_fft(len, direction))
}

/// The cached real-to-complex plan of length `len`: the `len / 2 + 1` bins
/// `F[k] = sum_n x[n] e^{-2 pi i k n / len}`, `k = 0..=len/2`, of a real signal.
/// Repeated calls (from any thread) return the same `Arc`.
pub fn rfft_plan<T: Float>(len: usize) -> Arc<dyn RealToComplex<T>> {
    cached_plan::<T, _>(len, PlanKind::RealToComplex, || {
        RealFftPlanner::new().plan_fft_forward(len)
    })
}

/// The cached complex-to-real plan of length `len`: the unnormalised inverse
/// `x[n] = sum_{k=0}^{len-1} F[k] e^{+2 pi i k n / len}` of the Hermitian spectrum
/// given by its first `len / 2 + 1` bins. Repeated calls (from any thread)
/// return the same `Arc`.
pub fn irfft_plan<T: Float>(len: usize) -> Arc<dyn ComplexToReal<T>> {
    cached_plan::<T, _>(len, PlanKind::ComplexToReal, || {
        RealFftPlanner::new().plan_fft_inverse(len)
    })
}

// ---------------------------------------------------------------------------
// Length checks
// ---------------------------------------------------------------------------

/// The number of rows of length `len` in a buffer of `buf_len` elements.
pub(super) fn row_count(func: &str, what: &str, buf_len: usize, len: usize) -> usize {
    assert!(len > 0, "{func}: the row length must be positive");
    assert!(
        buf_len % len == 0,
        "{func}: `{what}` has length {buf_len}, not a multiple of the row length {len}"
    );
    buf_len / len
}

/// Panics, naming `func` and the buffer `what`, unless `actual == expected`.
pub(super) fn check_len(func: &str, what: &str, actual: usize, expected: usize) {
    assert!(
        actual == expected,
        "{func}: `{what}` has length {actual}, expected {expected}"
    );
}

/// The number of bins a real FFT of length `len` keeps: `len / 2 + 1`.
pub(super) fn spectrum_len(len: usize) -> usize {
    len / 2 + 1
}

// ---------------------------------------------------------------------------
// Row transforms with buffers allocated once per call
// ---------------------------------------------------------------------------

/// Forward real FFT of one row at a time; realfft overwrites its input, so the
/// row is first copied into `input`.
pub(super) struct RowRfft<T: Float> {
    plan: Arc<dyn RealToComplex<T>>,
    input: Vec<T>,
    scratch: Vec<Complex<T>>,
}

impl<T: Float> RowRfft<T> {
    pub(super) fn new(len: usize) -> Self {
        let plan = rfft_plan::<T>(len);
        Self {
            input: plan.make_input_vec(),
            scratch: plan.make_scratch_vec(),
            plan,
        }
    }

    /// `spectrum[k] = sum_n row[n] e^{-2 pi i k n / len}`, `k = 0..=len/2`.
    pub(super) fn run(&mut self, row: &[T], spectrum: &mut [Complex<T>]) {
        self.input.copy_from_slice(row);
        self.plan
            .process_with_scratch(&mut self.input, spectrum, &mut self.scratch)
            .expect("rfft: buffer lengths are checked by the callers");
    }
}

/// Unnormalised inverse real FFT of one row at a time: fill
/// [`spectrum_mut`](Self::spectrum_mut), then [`run`](Self::run).
pub(super) struct RowIrfft<T: Float> {
    plan: Arc<dyn ComplexToReal<T>>,
    spectrum: Vec<Complex<T>>,
    scratch: Vec<Complex<T>>,
}

impl<T: Float> RowIrfft<T> {
    pub(super) fn new(len: usize) -> Self {
        let plan = irfft_plan::<T>(len);
        Self {
            spectrum: plan.make_input_vec(),
            scratch: plan.make_scratch_vec(),
            plan,
        }
    }

    pub(super) fn spectrum_mut(&mut self) -> &mut [Complex<T>] {
        &mut self.spectrum
    }

    /// `out[n] = sum_k S[k] e^{+2 pi i k n / len}` over the Hermitian extension
    /// `S` of the spectrum. The imaginary parts of the DC bin and, for even
    /// `len`, of the Nyquist bin are ignored (they are zero for a real signal).
    /// The spectrum is garbage afterwards.
    pub(super) fn run(&mut self, out: &mut [T]) {
        let len = out.len();
        self.spectrum[0].im = T::zero();
        if len % 2 == 0 {
            self.spectrum[len / 2].im = T::zero();
        }
        self.plan
            .process_with_scratch(&mut self.spectrum, out, &mut self.scratch)
            .expect("irfft: buffer lengths are checked by the callers");
    }
}

// ---------------------------------------------------------------------------
// Batched transforms
// ---------------------------------------------------------------------------

/// Real FFT of each row of `input` (rows of length `len`):
/// `out[r, k] = sum_{n<len} input[r, n] e^{-2 pi i k n / len}` for
/// `k = 0..=len/2`, so `out` holds `len / 2 + 1` bins per row. Any `len >= 1`.
///
/// Panics if `input.len()` is not a multiple of `len` or `out` is not
/// `rows * (len / 2 + 1)` long.
pub fn rfft_rows<T: Float>(input: &[T], len: usize, out: &mut [Complex<T>]) {
    let rows = row_count("rfft_rows", "input", input.len(), len);
    let bins = spectrum_len(len);
    check_len("rfft_rows", "out", out.len(), rows * bins);
    let mut fft = RowRfft::new(len);
    for (row, spectrum) in input.chunks_exact(len).zip(out.chunks_exact_mut(bins)) {
        fft.run(row, spectrum);
    }
}

/// In-place complex FFT of each row of `data` (rows of length `len`):
/// `X[r, k] = sum_n x[r, n] e^{-2 pi i k n / len}`, or with `inverse` the
/// unnormalised `x[r, n] = sum_k X[r, k] e^{+2 pi i k n / len}`. Any `len >= 1`.
///
/// Panics if `data.len()` is not a multiple of `len`.
pub fn fft_rows_inplace<T: Float>(data: &mut [Complex<T>], len: usize, inverse: bool) {
    row_count("fft_rows_inplace", "data", data.len(), len);
    let plan = fft_plan::<T>(len, inverse);
    let mut scratch = vec![Complex::new(T::zero(), T::zero()); plan.get_inplace_scratch_len()];
    // rustfft transforms each `len`-chunk of the buffer in turn.
    plan.process_with_scratch(data, &mut scratch);
}

// ---------------------------------------------------------------------------
// Real DFT and its adjoint
// ---------------------------------------------------------------------------

/// Checks the buffers of a real DFT of rows of length `d`, returning the row count.
fn check_dft_buffers(func: &str, x_len: usize, d: usize, re_len: usize, im_len: usize) -> usize {
    let rows = row_count(func, "x", x_len, d);
    check_len(func, "re", re_len, rows * d);
    check_len(func, "im", im_len, rows * d);
    rows
}

/// Row length from which `dft_real` and `dft_real_adjoint` switch from
/// the O(d^2) definition to real FFTs.
///
/// Measured with `cargo bench --bench fft -- --warm-up-time 1 --measurement-time 2`
/// (f64, batch 128, fastest sample), direct / FFT time in microseconds:
/// `d = 2`: 0.99 / 1.96 (adjoint 0.99 / 2.13); `d = 4`: 3.92 / 2.05 (adjoint
/// 3.86 / 2.16); `d = 8`: 15.3 / 3.12 (adjoint 15.3 / 3.21).
pub const DFT_REAL_FFT_MIN_LEN: usize = 4;

/// Unnormalised real DFT of each row of `x` (rows of length `d`), all `d`
/// frequencies: `re[r, k] + i im[r, k] = sum_{n<d} x[r, n] e^{-2 pi i k n / d}`,
/// i.e. `re = sum_n x[n] cos(2 pi k n / d)` and `im = -sum_n x[n] sin(2 pi k n / d)`.
/// Uses [`dft_real_direct`] for `d < DFT_REAL_FFT_MIN_LEN`, else [`dft_real_fft`].
///
/// Panics if `x.len()` is not a multiple of `d` or `re_out`/`im_out` differ in
/// length from `x`.
pub fn dft_real<T: Float>(x: &[T], d: usize, re_out: &mut [T], im_out: &mut [T]) {
    if d < DFT_REAL_FFT_MIN_LEN {
        dft_real_direct(x, d, re_out, im_out);
    } else {
        dft_real_fft(x, d, re_out, im_out);
    }
}

/// `dft_real` through a real FFT of each row and the symmetry
/// `F[d - k] = conj(F[k])` for the upper half of the frequencies.
///
/// Panics on the same length mismatches as `dft_real`.
pub fn dft_real_fft<T: Float>(x: &[T], d: usize, re_out: &mut [T], im_out: &mut [T]) {
    check_dft_buffers("dft_real_fft", x.len(), d, re_out.len(), im_out.len());
    let mut fft = RowRfft::new(d);
    let mut spectrum = vec![Complex::new(T::zero(), T::zero()); spectrum_len(d)];
    let rows = x
        .chunks_exact(d)
        .zip(re_out.chunks_exact_mut(d).zip(im_out.chunks_exact_mut(d)));
    for (row, (re, im)) in rows {
        fft.run(row, &mut spectrum);
        for (k, (re_k, im_k)) in re.iter_mut().zip(im.iter_mut()).enumerate() {
            let f = if k < spectrum.len() {
                spectrum[k]
            } else {
                spectrum[d - k].conj()
            };
            *re_k = f.re;
            *im_k = f.im;
        }
    }
}

/// Adjoint of `dft_real` (its backward pass), per row of length `d`:
/// `out[r, n] = sum_{k<d} gre[r, k] cos(2 pi k n / d) - gim[r, k] sin(2 pi k n / d)`,
/// so that `<dft_real(x), (gre, gim)> = <x, out>`. Uses
/// [`dft_real_adjoint_direct`] for `d < DFT_REAL_FFT_MIN_LEN`, else
/// [`dft_real_adjoint_fft`].
///
/// Panics if `out.len()` is not a multiple of `d` or `gre`/`gim` differ in
/// length from `out`.
pub fn dft_real_adjoint<T: Float>(gre: &[T], gim: &[T], d: usize, out: &mut [T]) {
    if d < DFT_REAL_FFT_MIN_LEN {
        dft_real_adjoint_direct(gre, gim, d, out);
    } else {
        dft_real_adjoint_fft(gre, gim, d, out);
    }
}

/// `dft_real_adjoint` through an inverse real FFT.
///
/// With `G = gre + i gim` the adjoint is `Re sum_k G[k] e^{+2 pi i k n / d}`,
/// the inverse DFT of the Hermitian part `H[k] = (G[k] + conj(G[(d - k) mod d])) / 2`,
/// computed as an inverse real FFT of `H[0..=d/2]`.
///
/// Panics on the same length mismatches as `dft_real_adjoint`.
pub fn dft_real_adjoint_fft<T: Float>(gre: &[T], gim: &[T], d: usize, out: &mut [T]) {
    check_dft_buffers("dft_real_adjoint_fft", out.len(), d, gre.len(), gim.len());
    let mut ifft = RowIrfft::new(d);
    let half = T::of(0.5);
    let rows = gre
        .chunks_exact(d)
        .zip(gim.chunks_exact(d))
        .zip(out.chunks_exact_mut(d));
    for ((re, im), row) in rows {
        for (k, h) in ifft.spectrum_mut().iter_mut().enumerate() {
            let mirror = (d - k) % d;
            *h = Complex::new((re[k] + re[mirror]) * half, (im[k] - im[mirror]) * half);
        }
        ifft.run(row);
    }
}

/// `(cos(2 pi m / d), sin(2 pi m / d))` for `m < d`, computed in `f64`.
fn twiddle_table<T: Float>(d: usize) -> Vec<(T, T)> {
    let cast = T::of;
    (0..d)
        .map(|m| {
            let angle = TAU * m as f64 / d as f64;
            (cast(angle.cos()), cast(angle.sin()))
        })
        .collect()
}

/// `dft_real` by the O(d^2) definition (the path for tiny `d`, and a reference for tests):
/// `re[r, k] = sum_n x[r, n] cos(2 pi k n / d)`, `im[r, k] = -sum_n x[r, n] sin(2 pi k n / d)`.
///
/// Panics on the same length mismatches as `dft_real`.
pub fn dft_real_direct<T: Float>(x: &[T], d: usize, re_out: &mut [T], im_out: &mut [T]) {
    check_dft_buffers("dft_real_direct", x.len(), d, re_out.len(), im_out.len());
    let table = twiddle_table::<T>(d);
    let rows = x
        .chunks_exact(d)
        .zip(re_out.chunks_exact_mut(d).zip(im_out.chunks_exact_mut(d)));
    for (row, (re, im)) in rows {
        for k in 0..d {
            let (mut sum_re, mut sum_im) = (T::zero(), T::zero());
            for (n, &xn) in row.iter().enumerate() {
                let (c, s) = table[k * n % d];
                sum_re = sum_re + xn * c;
                sum_im = sum_im - xn * s;
            }
            re[k] = sum_re;
            im[k] = sum_im;
        }
    }
}

/// `dft_real_adjoint` by the O(d^2) definition (the path for tiny `d`,
/// and a reference for tests): `out[r, n] = sum_k gre[r, k] cos(2 pi k n / d) - gim[r, k] sin(2 pi k n / d)`.
///
/// Panics on the same length mismatches as `dft_real_adjoint`.
pub fn dft_real_adjoint_direct<T: Float>(gre: &[T], gim: &[T], d: usize, out: &mut [T]) {
    check_dft_buffers(
        "dft_real_adjoint_direct",
        out.len(),
        d,
        gre.len(),
        gim.len(),
    );
    let table = twiddle_table::<T>(d);
    let rows = gre
        .chunks_exact(d)
        .zip(gim.chunks_exact(d))
        .zip(out.chunks_exact_mut(d));
    for ((re, im), row) in rows {
        for (n, out_n) in row.iter_mut().enumerate() {
            let mut sum = T::zero();
            for k in 0..d {
                let (c, s) = table[k * n % d];
                sum = sum + re[k] * c - im[k] * s;
            }
            *out_n = sum;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    const LENGTHS: [usize; 8] = [1, 2, 7, 12, 100, 256, 1000, 1024];
    const F64_TOL: f64 = 1e-12;
    const F32_TOL: f64 = 1e-5;

    fn random<T: Float>(n: usize, seed: u64) -> Vec<T> {
        let mut rng = StdRng::seed_from_u64(seed);
        (0..n).map(|_| T::of(rng.gen_range(-1.0..1.0))).collect()
    }

    fn to_f64<T: Float>(v: &[T]) -> Vec<f64> {
        v.iter().map(|x| x.f64()).collect()
    }

    /// `max |a - b| / max |b|`: the error of `a` relative to the reference `b`.
    fn rel_err<T: Float>(a: &[T], b: &[T]) -> f64 {
        assert_eq!(a.len(), b.len());
        let (a, b) = (to_f64(a), to_f64(b));
        let diff = a
            .iter()
            .zip(&b)
            .fold(0.0, |m, (x, y)| f64::max(m, (x - y).abs()));
        let scale = b
            .iter()
            .fold(f64::MIN_POSITIVE, |m, y| f64::max(m, y.abs()));
        diff / scale
    }

    fn assert_close<T: Float>(a: &[T], b: &[T], tol: f64, what: &str) {
        let err = rel_err(a, b);
        assert!(err <= tol, "{what}: relative error {err:e} > {tol:e}");
    }

    fn flatten<T: Float>(c: &[Complex<T>]) -> Vec<T> {
        c.iter().flat_map(|z| [z.re, z.im]).collect()
    }

    /// Complex DFT by definition, in f64.
    fn naive_complex_dft(x: &[Complex<f64>], inverse: bool) -> Vec<Complex<f64>> {
        let d = x.len();
        let sign = if inverse { 1.0 } else { -1.0 };
        (0..d)
            .map(|k| {
                x.iter()
                    .enumerate()
                    .fold(Complex::new(0.0, 0.0), |acc, (n, &xn)| {
                        let angle = sign * TAU * ((k * n) % d) as f64 / d as f64;
                        acc + xn * Complex::from_polar(1.0, angle)
                    })
            })
            .collect()
    }

    const BATCH: usize = 3;

    fn check_fft_rows<T: Float>(tol: f64) {
        for d in LENGTHS {
            for inverse in [false, true] {
                let parts = random::<T>(2 * BATCH * d, d as u64);
                let mut data: Vec<Complex<T>> = parts
                    .chunks_exact(2)
                    .map(|p| Complex::new(p[0], p[1]))
                    .collect();
                let expected: Vec<Complex<T>> = data
                    .chunks_exact(d)
                    .flat_map(|row| {
                        let row: Vec<_> = row
                            .iter()
                            .map(|z| Complex::new(z.re.f64(), z.im.f64()))
                            .collect();
                        naive_complex_dft(&row, inverse)
                    })
                    .map(|z| Complex::new(T::of(z.re), T::of(z.im)))
                    .collect();
                fft_rows_inplace(&mut data, d, inverse);
                let what = format!("fft_rows_inplace d={d} inverse={inverse}");
                assert_close(&flatten(&data), &flatten(&expected), tol, &what);
            }
        }
    }

    fn check_dft_real<T: Float>(tol: f64) {
        for d in LENGTHS {
            let x = random::<T>(BATCH * d, d as u64);
            let (mut re, mut im) = (vec![T::zero(); x.len()], vec![T::zero(); x.len()]);
            let (mut re_ref, mut im_ref) = (re.clone(), im.clone());
            dft_real_fft(&x, d, &mut re, &mut im);
            dft_real_direct(&x, d, &mut re_ref, &mut im_ref);
            let both = |a: &[T], b: &[T]| [a, b].concat();
            assert_close(
                &both(&re, &im),
                &both(&re_ref, &im_ref),
                tol,
                &format!("dft_real d={d}"),
            );

            let mut adj = vec![T::zero(); x.len()];
            let mut adj_ref = adj.clone();
            dft_real_adjoint_fft(&re, &im, d, &mut adj);
            dft_real_adjoint_direct(&re, &im, d, &mut adj_ref);
            assert_close(&adj, &adj_ref, tol, &format!("dft_real_adjoint_fft d={d}"));

            dft_real(&x, d, &mut re, &mut im);
            assert_close(
                &both(&re, &im),
                &both(&re_ref, &im_ref),
                tol,
                &format!("dft_real d={d}"),
            );
            dft_real_adjoint(&re_ref, &im_ref, d, &mut adj);
            assert_close(&adj, &adj_ref, tol, &format!("dft_real_adjoint d={d}"));
        }
    }

    fn check_rfft_round_trip<T: Float>(tol: f64) {
        for d in LENGTHS {
            let x = random::<T>(BATCH * d, d as u64);
            let mut spectrum = vec![Complex::new(T::zero(), T::zero()); BATCH * (d / 2 + 1)];
            rfft_rows(&x, d, &mut spectrum);
            let (mut re, mut im) = (vec![T::zero(); x.len()], vec![T::zero(); x.len()]);
            dft_real_direct(&x, d, &mut re, &mut im);
            let half_spectrum: Vec<Complex<T>> = re
                .chunks_exact(d)
                .zip(im.chunks_exact(d))
                .flat_map(|(r, i)| (0..=d / 2).map(|k| Complex::new(r[k], i[k])))
                .collect();
            let what = format!("rfft_rows d={d}");
            assert_close(&flatten(&spectrum), &flatten(&half_spectrum), tol, &what);

            let mut back = vec![T::zero(); x.len()];
            let mut ifft = RowIrfft::new(d);
            for (bins, row) in spectrum
                .chunks_exact(d / 2 + 1)
                .zip(back.chunks_exact_mut(d))
            {
                ifft.spectrum_mut().copy_from_slice(bins);
                ifft.run(row);
            }
            let scaled: Vec<T> = x.iter().map(|&v| v * T::of(d as f64)).collect();
            assert_close(&back, &scaled, tol, &format!("inverse rfft d={d}"));
        }
    }

    fn check_adjoint_identity<T: Float>(tol: f64) {
        for d in LENGTHS {
            let x = random::<T>(BATCH * d, 1);
            let (gre, gim) = (random::<T>(BATCH * d, 2), random::<T>(BATCH * d, 3));
            let (mut re, mut im) = (vec![T::zero(); x.len()], vec![T::zero(); x.len()]);
            dft_real(&x, d, &mut re, &mut im);
            let mut adj = vec![T::zero(); x.len()];
            dft_real_adjoint(&gre, &gim, d, &mut adj);
            let dot = |a: &[T], b: &[T]| -> f64 {
                to_f64(a).iter().zip(to_f64(b)).map(|(p, q)| p * q).sum()
            };
            let lhs = dot(&re, &gre) + dot(&im, &gim);
            let rhs = dot(&x, &adj);
            let scale =
                (dot(&re, &re) + dot(&im, &im)).sqrt() * (dot(&gre, &gre) + dot(&gim, &gim)).sqrt();
            assert!(
                (lhs - rhs).abs() <= tol * scale,
                "adjoint d={d}: {lhs} vs {rhs}"
            );
        }
    }

    #[test]
    fn fft_rows_match_naive_dft() {
        check_fft_rows::<f64>(F64_TOL);
        check_fft_rows::<f32>(F32_TOL);
    }

    #[test]
    fn dft_real_and_adjoint_match_naive() {
        check_dft_real::<f64>(F64_TOL);
        check_dft_real::<f32>(F32_TOL);
    }

    #[test]
    fn rfft_rows_match_the_definition_and_the_inverse_inverts() {
        check_rfft_round_trip::<f64>(F64_TOL);
        check_rfft_round_trip::<f32>(F32_TOL);
    }

    #[test]
    fn dft_real_adjoint_is_the_adjoint() {
        check_adjoint_identity::<f64>(F64_TOL);
        check_adjoint_identity::<f32>(F32_TOL);
    }

    #[test]
    fn plans_are_cached_per_type_length_and_kind() {
        assert!(Arc::ptr_eq(
            &fft_plan::<f64>(37, false),
            &fft_plan::<f64>(37, false)
        ));
        assert!(!Arc::ptr_eq(
            &fft_plan::<f64>(37, false),
            &fft_plan::<f64>(37, true)
        ));
        assert!(Arc::ptr_eq(&rfft_plan::<f32>(37), &rfft_plan::<f32>(37)));
        assert!(Arc::ptr_eq(&irfft_plan::<f64>(37), &irfft_plan::<f64>(37)));
        assert_eq!(rfft_plan::<f64>(37).len(), 37);
    }

    #[test]
    fn plan_cache_is_shared_across_threads() {
        let plans: Vec<_> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..4).map(|_| s.spawn(|| rfft_plan::<f64>(91))).collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let main = rfft_plan::<f64>(91);
        assert!(plans.iter().all(|p| Arc::ptr_eq(p, &main)));
    }

    #[test]
    #[should_panic(expected = "rfft_rows: `out` has length 4, expected 6")]
    fn length_mismatch_panics_with_names_and_lengths() {
        rfft_rows(&[0.0f64; 8], 4, &mut [Complex::new(0.0, 0.0); 4]);
    }
}
