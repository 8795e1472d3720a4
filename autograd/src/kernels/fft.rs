//! FFT kernels on row-major slices: cached plans, batched transforms, the real
//! DFT and its adjoint, and cyclic correlation with its two backward kernels.
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
#![deny(missing_docs)]

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::f64::consts::TAU;
use std::sync::{Arc, Mutex, OnceLock};

use num_traits::Float;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};
use rustfft::{Fft, FftDirection, FftNum, FftPlanner};

use super::circulant;

pub use rustfft::num_complex::Complex;

/// The element types the kernels accept: `f32` and `f64`.
///
/// Both supertraits provide some methods under the same name (`abs`,
/// `signum`, ...); call those as `Float::abs(x)`.
pub trait FftFloat: FftNum + Float {}

impl<T: FftNum + Float> FftFloat for T {}

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
pub fn fft_plan<T: FftNum>(len: usize, inverse: bool) -> Arc<dyn Fft<T>> {
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
pub fn rfft_plan<T: FftNum>(len: usize) -> Arc<dyn RealToComplex<T>> {
    cached_plan::<T, _>(len, PlanKind::RealToComplex, || {
        RealFftPlanner::new().plan_fft_forward(len)
    })
}

/// The cached complex-to-real plan of length `len`: the unnormalised inverse
/// `x[n] = sum_{k=0}^{len-1} F[k] e^{+2 pi i k n / len}` of the Hermitian spectrum
/// given by its first `len / 2 + 1` bins. Repeated calls (from any thread)
/// return the same `Arc`.
pub fn irfft_plan<T: FftNum>(len: usize) -> Arc<dyn ComplexToReal<T>> {
    cached_plan::<T, _>(len, PlanKind::ComplexToReal, || {
        RealFftPlanner::new().plan_fft_inverse(len)
    })
}

// ---------------------------------------------------------------------------
// Length checks
// ---------------------------------------------------------------------------

/// The number of rows of length `len` in a buffer of `buf_len` elements.
fn row_count(func: &str, what: &str, buf_len: usize, len: usize) -> usize {
    assert!(len > 0, "{func}: the row length must be positive");
    assert!(
        buf_len % len == 0,
        "{func}: `{what}` has length {buf_len}, not a multiple of the row length {len}"
    );
    buf_len / len
}

fn check_len(func: &str, what: &str, actual: usize, expected: usize) {
    assert!(
        actual == expected,
        "{func}: `{what}` has length {actual}, expected {expected}"
    );
}

/// The number of bins a real FFT of length `len` keeps: `len / 2 + 1`.
fn spectrum_len(len: usize) -> usize {
    len / 2 + 1
}

// ---------------------------------------------------------------------------
// Row transforms with buffers allocated once per call
// ---------------------------------------------------------------------------

/// Forward real FFT of one row at a time; realfft overwrites its input, so the
/// row is first copied into `input`.
struct RowRfft<T: FftFloat> {
    plan: Arc<dyn RealToComplex<T>>,
    input: Vec<T>,
    scratch: Vec<Complex<T>>,
}

impl<T: FftFloat> RowRfft<T> {
    fn new(len: usize) -> Self {
        let plan = rfft_plan::<T>(len);
        Self {
            input: plan.make_input_vec(),
            scratch: plan.make_scratch_vec(),
            plan,
        }
    }

    /// `spectrum[k] = sum_n row[n] e^{-2 pi i k n / len}`, `k = 0..=len/2`.
    fn run(&mut self, row: &[T], spectrum: &mut [Complex<T>]) {
        self.input.copy_from_slice(row);
        self.plan
            .process_with_scratch(&mut self.input, spectrum, &mut self.scratch)
            .expect("rfft: buffer lengths are checked by the callers");
    }
}

/// Unnormalised inverse real FFT of one row at a time: fill
/// [`spectrum_mut`](Self::spectrum_mut), then [`run`](Self::run).
struct RowIrfft<T: FftFloat> {
    plan: Arc<dyn ComplexToReal<T>>,
    spectrum: Vec<Complex<T>>,
    scratch: Vec<Complex<T>>,
}

impl<T: FftFloat> RowIrfft<T> {
    fn new(len: usize) -> Self {
        let plan = irfft_plan::<T>(len);
        Self {
            spectrum: plan.make_input_vec(),
            scratch: plan.make_scratch_vec(),
            plan,
        }
    }

    fn spectrum_mut(&mut self) -> &mut [Complex<T>] {
        &mut self.spectrum
    }

    /// `out[n] = sum_k S[k] e^{+2 pi i k n / len}` over the Hermitian extension
    /// `S` of the spectrum. The imaginary parts of the DC bin and, for even
    /// `len`, of the Nyquist bin are ignored (they are zero for a real signal).
    /// The spectrum is garbage afterwards.
    fn run(&mut self, out: &mut [T]) {
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
pub fn rfft_rows<T: FftFloat>(input: &[T], len: usize, out: &mut [Complex<T>]) {
    let rows = row_count("rfft_rows", "input", input.len(), len);
    let bins = spectrum_len(len);
    check_len("rfft_rows", "out", out.len(), rows * bins);
    let mut fft = RowRfft::new(len);
    for (row, spectrum) in input.chunks_exact(len).zip(out.chunks_exact_mut(bins)) {
        fft.run(row, spectrum);
    }
}

/// Unnormalised inverse real FFT of each row of `input` (`len / 2 + 1` bins per
/// row): `out[r, n] = sum_{k<len} S_r[k] e^{+2 pi i k n / len}` where `S_r` is
/// the Hermitian extension `S_r[len - k] = conj(input[r, k])`. Hence
/// `irfft_rows(rfft_rows(x)) = len * x`. The imaginary parts of the DC bin and,
/// for even `len`, the Nyquist bin are ignored.
///
/// Panics if `out.len()` is not a multiple of `len` or `input` is not
/// `rows * (len / 2 + 1)` long.
pub fn irfft_rows<T: FftFloat>(input: &[Complex<T>], len: usize, out: &mut [T]) {
    let rows = row_count("irfft_rows", "out", out.len(), len);
    let bins = spectrum_len(len);
    check_len("irfft_rows", "input", input.len(), rows * bins);
    let mut ifft = RowIrfft::new(len);
    for (spectrum, row) in input.chunks_exact(bins).zip(out.chunks_exact_mut(len)) {
        ifft.spectrum_mut().copy_from_slice(spectrum);
        ifft.run(row);
    }
}

/// In-place complex FFT of each row of `data` (rows of length `len`):
/// `X[r, k] = sum_n x[r, n] e^{-2 pi i k n / len}`, or with `inverse` the
/// unnormalised `x[r, n] = sum_k X[r, k] e^{+2 pi i k n / len}`. Any `len >= 1`.
///
/// Panics if `data.len()` is not a multiple of `len`.
pub fn fft_rows_inplace<T: FftFloat>(data: &mut [Complex<T>], len: usize, inverse: bool) {
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

/// Row length from which [`dft_real`] and [`dft_real_adjoint`] switch from
/// the O(d^2) definition to real FFTs.
///
/// Measured with `cargo bench --bench fft -- --warm-up-time 1 --measurement-time 2`
/// (f64, batch 128, fastest sample), naive / FFT time in microseconds:
/// `d = 2`: 0.99 / 1.96 (adjoint 0.99 / 2.13); `d = 4`: 3.92 / 2.05 (adjoint
/// 3.86 / 2.16); `d = 8`: 15.3 / 3.12 (adjoint 15.3 / 3.21).
pub const DFT_REAL_FFT_MIN_LEN: usize = 4;

/// Unnormalised real DFT of each row of `x` (rows of length `d`), all `d`
/// frequencies: `re[r, k] + i im[r, k] = sum_{n<d} x[r, n] e^{-2 pi i k n / d}`,
/// i.e. `re = sum_n x[n] cos(2 pi k n / d)` and `im = -sum_n x[n] sin(2 pi k n / d)`.
/// Uses [`dft_real_naive`] for `d < DFT_REAL_FFT_MIN_LEN`, else [`dft_real_fft`].
///
/// Panics if `x.len()` is not a multiple of `d` or `re_out`/`im_out` differ in
/// length from `x`.
pub fn dft_real<T: FftFloat>(x: &[T], d: usize, re_out: &mut [T], im_out: &mut [T]) {
    if d < DFT_REAL_FFT_MIN_LEN {
        dft_real_naive(x, d, re_out, im_out);
    } else {
        dft_real_fft(x, d, re_out, im_out);
    }
}

/// [`dft_real`] through a real FFT of each row and the symmetry
/// `F[d - k] = conj(F[k])` for the upper half of the frequencies.
///
/// Panics on the same length mismatches as [`dft_real`].
pub fn dft_real_fft<T: FftFloat>(x: &[T], d: usize, re_out: &mut [T], im_out: &mut [T]) {
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

/// Adjoint of [`dft_real`] (its backward pass), per row of length `d`:
/// `out[r, n] = sum_{k<d} gre[r, k] cos(2 pi k n / d) - gim[r, k] sin(2 pi k n / d)`,
/// so that `<dft_real(x), (gre, gim)> = <x, out>`. Uses
/// [`dft_real_adjoint_naive`] for `d < DFT_REAL_FFT_MIN_LEN`, else
/// [`dft_real_adjoint_fft`].
///
/// Panics if `out.len()` is not a multiple of `d` or `gre`/`gim` differ in
/// length from `out`.
pub fn dft_real_adjoint<T: FftFloat>(gre: &[T], gim: &[T], d: usize, out: &mut [T]) {
    if d < DFT_REAL_FFT_MIN_LEN {
        dft_real_adjoint_naive(gre, gim, d, out);
    } else {
        dft_real_adjoint_fft(gre, gim, d, out);
    }
}

/// [`dft_real_adjoint`] through an inverse real FFT.
///
/// With `G = gre + i gim` the adjoint is `Re sum_k G[k] e^{+2 pi i k n / d}`,
/// the inverse DFT of the Hermitian part `H[k] = (G[k] + conj(G[(d - k) mod d])) / 2`,
/// computed as an inverse real FFT of `H[0..=d/2]`.
///
/// Panics on the same length mismatches as [`dft_real_adjoint`].
pub fn dft_real_adjoint_fft<T: FftFloat>(gre: &[T], gim: &[T], d: usize, out: &mut [T]) {
    check_dft_buffers("dft_real_adjoint_fft", out.len(), d, gre.len(), gim.len());
    let mut ifft = RowIrfft::new(d);
    let half = T::from(0.5).expect("0.5 is representable");
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
fn twiddle_table<T: FftFloat>(d: usize) -> Vec<(T, T)> {
    let cast = |v: f64| T::from(v).expect("f64 converts to any float");
    (0..d)
        .map(|m| {
            let angle = TAU * m as f64 / d as f64;
            (cast(angle.cos()), cast(angle.sin()))
        })
        .collect()
}

/// [`dft_real`] by the O(d^2) definition (a reference for tests and tiny `d`):
/// `re[r, k] = sum_n x[r, n] cos(2 pi k n / d)`, `im[r, k] = -sum_n x[r, n] sin(2 pi k n / d)`.
///
/// Panics on the same length mismatches as [`dft_real`].
pub fn dft_real_naive<T: FftFloat>(x: &[T], d: usize, re_out: &mut [T], im_out: &mut [T]) {
    check_dft_buffers("dft_real_naive", x.len(), d, re_out.len(), im_out.len());
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

/// [`dft_real_adjoint`] by the O(d^2) definition (a reference for tests and
/// tiny `d`): `out[r, n] = sum_k gre[r, k] cos(2 pi k n / d) - gim[r, k] sin(2 pi k n / d)`.
///
/// Panics on the same length mismatches as [`dft_real_adjoint`].
pub fn dft_real_adjoint_naive<T: FftFloat>(gre: &[T], gim: &[T], d: usize, out: &mut [T]) {
    check_dft_buffers("dft_real_adjoint_naive", out.len(), d, gre.len(), gim.len());
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

// ---------------------------------------------------------------------------
// Cyclic correlation
// ---------------------------------------------------------------------------

/// The rule by which [`cyclic_corr`], [`cyclic_corr_grad_x`] and [`cyclic_corr_grad_w`] choose
/// between the register-blocked direct kernels ([`circulant`], `O(B d^2)`) and the FFT path,
/// from the factorisation of `d`.
///
/// A mixed-radix FFT of length `d = p_1 p_2 ... p_n` (primes with multiplicity) makes one pass
/// over the data per factor, and a pass of radix `p` costs about `p` operations per element,
/// so its time is about `d W(d)` with `W(d) = sum_j w(p_j)`: [`fft_cost_units`]. rustfft has
/// hand-written butterflies for the primes up to 31 (`w(p) = p`); a larger prime goes through
/// Rader's or Bluestein's algorithm, a few FFTs of smooth lengths near `p`:
/// `w(p) = large_prime_weight log2(p)`. The direct kernels cost about `d^2` per row. So the
/// FFT path is taken when `d >= min_ratio W(d)` (and `d > 1`): [`uses_fft`](Self::uses_fft).
///
/// Both constants are fitted by `cargo bench --bench cyclic` (its crossover report: every `d`
/// in 1..=256 and some longer ones, forward plus both adjoints at `B = 128`, each path timed),
/// as the pair with the least mean slowdown against the faster path at each `d`; the bench
/// says loudly when the constants here are worse than its fit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CyclicCrossover {
    /// The FFT path is taken when `d >= min_ratio W(d)`.
    pub min_ratio: f64,
    /// `w(p) = large_prime_weight log2(p)` for a prime factor `p > 31`.
    pub large_prime_weight: f64,
}

impl CyclicCrossover {
    /// Whether the cyclic-correlation kernels take the FFT path at row length `d`:
    /// `d > 1` and `d >= min_ratio W(d)`, with `W` = [`fft_cost_units`].
    pub fn uses_fft(&self, d: usize) -> bool {
        d > 1 && d as f64 >= self.min_ratio * fft_cost_units(d, self.large_prime_weight)
    }
}

/// The largest prime with a hand-written butterfly in rustfft.
const LARGEST_BUTTERFLY_PRIME: usize = 31;

/// `W(d) = sum_j w(p_j)` over the prime factors `p_j` of `d` (with multiplicity), where
/// `w(p) = p` for `p <= 31` and `w(p) = large_prime_weight log2(p)` above: an FFT of length
/// `d` costs about `d W(d)` operations (see [`CyclicCrossover`]). `W(1) = 0`.
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
pub const CYCLIC_CORR_CROSSOVER_F32: CyclicCrossover = CyclicCrossover {
    min_ratio: 7.5,
    large_prime_weight: 5.0,
};

/// The crossover for `f64`, fitted as for `f32`. Direct / FFT in microseconds: `d = 64`:
/// 87 / 72; `128`: 356 / 140; `127`: 358 / 761; `251`: 1562 / 2167; `509`: 6629 / 4369. Mean
/// slowdown 4.0% (2.2% on the longer lengths), against 17.6% for the best single threshold
/// (`d >= 160`).
pub const CYCLIC_CORR_CROSSOVER_F64: CyclicCrossover = CyclicCrossover {
    min_ratio: 5.0,
    large_prime_weight: 8.0,
};

/// The crossover of the cyclic-correlation kernels of element type `T`:
/// [`CYCLIC_CORR_CROSSOVER_F32`] for `f32`, [`CYCLIC_CORR_CROSSOVER_F64`] otherwise.
///
/// The choice depends on `d` and the type only, never on timings taken at run time, so a
/// given input always takes the same path and gives the same bits.
pub fn cyclic_corr_crossover<T: 'static>() -> CyclicCrossover {
    if TypeId::of::<T>() == TypeId::of::<f32>() {
        CYCLIC_CORR_CROSSOVER_F32
    } else {
        CYCLIC_CORR_CROSSOVER_F64
    }
}

/// `y[j] += a * x[(j + shift) mod D]` for all `j < D = y.len()`, written as two
/// contiguous axpys so that it vectorises.
fn cyclic_axpy<T: FftFloat>(y: &mut [T], a: T, x: &[T], shift: usize) {
    let (y_head, y_tail) = y.split_at_mut(x.len() - shift);
    let (x_wrapped, x_shifted) = x.split_at(shift);
    for (y, &x) in y_head.iter_mut().zip(x_shifted) {
        *y = *y + a * x;
    }
    for (y, &x) in y_tail.iter_mut().zip(x_wrapped) {
        *y = *y + a * x;
    }
}

/// Checks that buffer `x` holds whole rows of length `d` and that buffer `y`
/// has as many elements; returns the row count.
fn check_corr_buffers(
    func: &str,
    (x_name, x_len): (&str, usize),
    (y_name, y_len): (&str, usize),
    d: usize,
) -> usize {
    let rows = row_count(func, x_name, x_len, d);
    check_len(func, y_name, y_len, rows * d);
    rows
}

/// Cyclic correlation of each row of `x` `[B, d]` with the filter `w` `[d]`:
/// `out[b, i] = sum_{k<d} w[k] x[b, (i + k) mod d]`. Uses
/// [`cyclic_corr_fft`] where [`cyclic_corr_crossover`] says so, else
/// [`cyclic_corr_direct`].
///
/// Panics if `x.len()` is not a multiple of `d`, or `w.len() != d`, or
/// `out.len() != x.len()`.
pub fn cyclic_corr<T: FftFloat>(x: &[T], w: &[T], d: usize, out: &mut [T]) {
    if !cyclic_corr_crossover::<T>().uses_fft(d) {
        cyclic_corr_direct(x, w, d, out);
    } else {
        cyclic_corr_fft(x, w, d, out);
    }
}

/// [`cyclic_corr`] by the register-blocked direct kernel, O(B d^2):
/// `out[b, i] = sum_{m<d} x[b, m] w[(m - i) mod d]`, summed in decreasing `m`. This is
/// [`circulant::conv_rows`] with the reversed filter `w_rev[t] = w[(-t) mod d]`, since
/// `w[(m - i) mod d] = w_rev[(i - m) mod d]`.
///
/// Panics on the same length mismatches as [`cyclic_corr`].
pub fn cyclic_corr_direct<T: FftFloat>(x: &[T], w: &[T], d: usize, out: &mut [T]) {
    check_corr_buffers("cyclic_corr_direct", ("x", x.len()), ("out", out.len()), d);
    check_len("cyclic_corr_direct", "w", w.len(), d);
    let w_rev: Vec<T> = (0..d).map(|t| w[(d - t) % d]).collect();
    circulant::conv_rows(x, &w_rev, d, out);
}

/// [`cyclic_corr`] by the row-by-row loop of contiguous axpys that preceded the
/// register-blocked kernel, kept as the baseline of `cargo bench --bench fft` and as a reference
/// for tests: `out[b, i] = sum_{k<d} w[k] x[b, (i + k) mod d]`, summed in increasing `k`.
///
/// Panics on the same length mismatches as [`cyclic_corr`].
pub fn cyclic_corr_naive<T: FftFloat>(x: &[T], w: &[T], d: usize, out: &mut [T]) {
    check_corr_buffers("cyclic_corr_naive", ("x", x.len()), ("out", out.len()), d);
    check_len("cyclic_corr_naive", "w", w.len(), d);
    for (x_row, out_row) in x.chunks_exact(d).zip(out.chunks_exact_mut(d)) {
        out_row.fill(T::zero());
        for (k, &w_k) in w.iter().enumerate() {
            cyclic_axpy(out_row, w_k, x_row, k);
        }
    }
}

/// [`cyclic_corr`] through real FFTs, O(B d log d).
///
/// Derivation (DFTs of length `d`, `X = DFT(x[b])`, `W = DFT(w)`): substituting
/// `m = i + k`, `out[i] = sum_m x[m] w[m - i]`, whose DFT is
/// `sum_m x[m] e^{-2 pi i f m / d} sum_j w[j] e^{+2 pi i f j / d} = X[f] conj(W[f])`
/// (`w` is real). Hence `out[b] = irfft(X conj(W)) / d`.
///
/// Panics on the same length mismatches as [`cyclic_corr`].
pub fn cyclic_corr_fft<T: FftFloat>(x: &[T], w: &[T], d: usize, out: &mut [T]) {
    check_corr_buffers("cyclic_corr_fft", ("x", x.len()), ("out", out.len()), d);
    check_len("cyclic_corr_fft", "w", w.len(), d);
    let filter = scaled_spectrum(w, d, true);
    filter_rows_fft(x, &filter, d, out);
}

/// Gradient of [`cyclic_corr`] with respect to `x`, given `g = dL/d out` `[B, d]`:
/// `grad_x[b, j] = sum_{i<d} g[b, i] w[(j - i) mod d]`, the cyclic convolution
/// of each row of `g` with `w`. Uses [`cyclic_corr_grad_x_direct`] for
/// short or hard-to-factor `d`, else [`cyclic_corr_grad_x_fft`] (see [`cyclic_corr_crossover`]).
///
/// Panics if `g.len()` is not a multiple of `d`, or `w.len() != d`, or
/// `out.len() != g.len()`.
pub fn cyclic_corr_grad_x<T: FftFloat>(g: &[T], w: &[T], d: usize, out: &mut [T]) {
    if !cyclic_corr_crossover::<T>().uses_fft(d) {
        cyclic_corr_grad_x_direct(g, w, d, out);
    } else {
        cyclic_corr_grad_x_fft(g, w, d, out);
    }
}

/// [`cyclic_corr_grad_x`] by the register-blocked direct kernel [`circulant::conv_rows`],
/// O(B d^2): `grad_x[b, j] = sum_{i<d} g[b, i] w[(j - i) mod d]`, summed in decreasing `i`.
///
/// Panics on the same length mismatches as [`cyclic_corr_grad_x`].
pub fn cyclic_corr_grad_x_direct<T: FftFloat>(g: &[T], w: &[T], d: usize, out: &mut [T]) {
    check_corr_buffers(
        "cyclic_corr_grad_x_direct",
        ("g", g.len()),
        ("out", out.len()),
        d,
    );
    check_len("cyclic_corr_grad_x_direct", "w", w.len(), d);
    circulant::conv_rows(g, w, d, out);
}

/// [`cyclic_corr_grad_x`] by the row-by-row loop of contiguous axpys that preceded the
/// register-blocked kernel, kept as the baseline of `cargo bench --bench fft` and as a reference
/// for tests: `grad_x[b, j] = sum_{i<d} g[b, i] w[(j - i) mod d]`, summed in increasing `i`.
///
/// Panics on the same length mismatches as [`cyclic_corr_grad_x`].
pub fn cyclic_corr_grad_x_naive<T: FftFloat>(g: &[T], w: &[T], d: usize, out: &mut [T]) {
    check_corr_buffers(
        "cyclic_corr_grad_x_naive",
        ("g", g.len()),
        ("out", out.len()),
        d,
    );
    check_len("cyclic_corr_grad_x_naive", "w", w.len(), d);
    for (g_row, out_row) in g.chunks_exact(d).zip(out.chunks_exact_mut(d)) {
        out_row.fill(T::zero());
        for (i, &g_i) in g_row.iter().enumerate() {
            // w[(j - i) mod d] = w[(j + shift) mod d] with shift = (d - i) mod d.
            cyclic_axpy(out_row, g_i, w, (d - i) % d);
        }
    }
}

/// [`cyclic_corr_grad_x`] through real FFTs, O(B d log d).
///
/// Derivation (`G = DFT(g[b])`, `W = DFT(w)`): a cyclic convolution
/// `sum_i g[i] w[j - i]` has DFT `G[f] W[f]` (convolution theorem), hence
/// `grad_x[b] = irfft(G W) / d`.
///
/// Panics on the same length mismatches as [`cyclic_corr_grad_x`].
pub fn cyclic_corr_grad_x_fft<T: FftFloat>(g: &[T], w: &[T], d: usize, out: &mut [T]) {
    check_corr_buffers(
        "cyclic_corr_grad_x_fft",
        ("g", g.len()),
        ("out", out.len()),
        d,
    );
    check_len("cyclic_corr_grad_x_fft", "w", w.len(), d);
    let filter = scaled_spectrum(w, d, false);
    filter_rows_fft(g, &filter, d, out);
}

/// Gradient of [`cyclic_corr`] with respect to `w`, given `g = dL/d out` and the
/// input `x`, both `[B, d]`: `grad_w[k] = sum_b sum_{i<d} g[b, i] x[b, (i + k) mod d]`.
/// Uses [`cyclic_corr_grad_w_fft`] where [`cyclic_corr_crossover`] says so, else
/// [`cyclic_corr_grad_w_direct`].
///
/// Panics if `g.len()` is not a multiple of `d`, or `x.len() != g.len()`, or
/// `out.len() != d`.
pub fn cyclic_corr_grad_w<T: FftFloat>(g: &[T], x: &[T], d: usize, out: &mut [T]) {
    if !cyclic_corr_crossover::<T>().uses_fft(d) {
        cyclic_corr_grad_w_direct(g, x, d, out);
    } else {
        cyclic_corr_grad_w_fft(g, x, d, out);
    }
}

/// [`cyclic_corr_grad_w`] by the register-blocked direct kernel [`circulant::corr_sum`],
/// O(B d^2): `grad_w[k] = sum_{i<d} M[i, (i + k) mod d]` with `M[i, m] = sum_b g[b, i] x[b, m]`
/// (each `M[i, m]` summed in increasing `b`, then added into `grad_w` tile by tile).
///
/// Panics on the same length mismatches as [`cyclic_corr_grad_w`].
pub fn cyclic_corr_grad_w_direct<T: FftFloat>(g: &[T], x: &[T], d: usize, out: &mut [T]) {
    check_corr_buffers(
        "cyclic_corr_grad_w_direct",
        ("g", g.len()),
        ("x", x.len()),
        d,
    );
    check_len("cyclic_corr_grad_w_direct", "out", out.len(), d);
    circulant::corr_sum(g, x, d, out);
}

/// [`cyclic_corr_grad_w`] by the row-by-row loop of contiguous axpys that preceded the
/// register-blocked kernel, kept as the baseline of `cargo bench --bench fft` and as a reference
/// for tests: `grad_w[k] = sum_b sum_{i<d} g[b, i] x[b, (i + k) mod d]`, summed over `b`
/// then `i` in increasing order.
///
/// Panics on the same length mismatches as [`cyclic_corr_grad_w`].
pub fn cyclic_corr_grad_w_naive<T: FftFloat>(g: &[T], x: &[T], d: usize, out: &mut [T]) {
    check_corr_buffers(
        "cyclic_corr_grad_w_naive",
        ("g", g.len()),
        ("x", x.len()),
        d,
    );
    check_len("cyclic_corr_grad_w_naive", "out", out.len(), d);
    out.fill(T::zero());
    for (g_row, x_row) in g.chunks_exact(d).zip(x.chunks_exact(d)) {
        for (i, &g_i) in g_row.iter().enumerate() {
            cyclic_axpy(out, g_i, x_row, i);
        }
    }
}

/// [`cyclic_corr_grad_w`] through real FFTs, O(B d log d).
///
/// Derivation (`X_b = DFT(x[b])`, `G_b = DFT(g[b])`): for each `b`,
/// `sum_i g[b, i] x[b, i + k]` is the correlation of `x[b]` with the filter
/// `g[b]` (as in [`cyclic_corr_fft`]), whose DFT is `X_b conj(G_b)`. The sum
/// over `b` is taken in the frequency domain, so
/// `grad_w = irfft(sum_b X_b conj(G_b)) / d` needs a single inverse transform.
///
/// Panics on the same length mismatches as [`cyclic_corr_grad_w`].
pub fn cyclic_corr_grad_w_fft<T: FftFloat>(g: &[T], x: &[T], d: usize, out: &mut [T]) {
    check_corr_buffers("cyclic_corr_grad_w_fft", ("g", g.len()), ("x", x.len()), d);
    check_len("cyclic_corr_grad_w_fft", "out", out.len(), d);
    let zero = Complex::new(T::zero(), T::zero());
    let mut fft = RowRfft::new(d);
    let mut ifft = RowIrfft::new(d);
    let (mut x_spec, mut g_spec) = (vec![zero; spectrum_len(d)], vec![zero; spectrum_len(d)]);
    let acc = ifft.spectrum_mut();
    acc.fill(zero);
    for (g_row, x_row) in g.chunks_exact(d).zip(x.chunks_exact(d)) {
        fft.run(x_row, &mut x_spec);
        fft.run(g_row, &mut g_spec);
        for ((a, &xf), &gf) in acc.iter_mut().zip(&x_spec).zip(&g_spec) {
            *a = *a + xf * gf.conj();
        }
    }
    let scale = T::one() / T::from(d).expect("a length converts to a float");
    for a in acc.iter_mut() {
        *a = *a * scale;
    }
    ifft.run(out);
}

/// `DFT(w) / d`, conjugated if `conjugate`: the filter spectrum that
/// [`filter_rows_fft`] multiplies by, with the inverse transform's `1 / d`
/// folded in.
fn scaled_spectrum<T: FftFloat>(w: &[T], d: usize, conjugate: bool) -> Vec<Complex<T>> {
    let mut spectrum = vec![Complex::new(T::zero(), T::zero()); spectrum_len(d)];
    RowRfft::new(d).run(w, &mut spectrum);
    let scale = T::one() / T::from(d).expect("a length converts to a float");
    for f in spectrum.iter_mut() {
        let c = if conjugate { f.conj() } else { *f };
        *f = c * scale;
    }
    spectrum
}

/// `out[b] = irfft(rfft(input[b]) * filter)` for each row of length `d`.
fn filter_rows_fft<T: FftFloat>(input: &[T], filter: &[Complex<T>], d: usize, out: &mut [T]) {
    let mut fft = RowRfft::new(d);
    let mut ifft = RowIrfft::new(d);
    for (in_row, out_row) in input.chunks_exact(d).zip(out.chunks_exact_mut(d)) {
        let spectrum = ifft.spectrum_mut();
        fft.run(in_row, spectrum);
        for (s, &f) in spectrum.iter_mut().zip(filter) {
            *s = *s * f;
        }
        ifft.run(out_row);
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

    fn random<T: FftFloat>(n: usize, seed: u64) -> Vec<T> {
        let mut rng = StdRng::seed_from_u64(seed);
        (0..n)
            .map(|_| T::from(rng.gen_range(-1.0..1.0)).unwrap())
            .collect()
    }

    fn to_f64<T: FftFloat>(v: &[T]) -> Vec<f64> {
        v.iter().map(|x| x.to_f64().unwrap()).collect()
    }

    /// `max |a - b| / max |b|`: the error of `a` relative to the reference `b`.
    fn rel_err<T: FftFloat>(a: &[T], b: &[T]) -> f64 {
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

    fn assert_close<T: FftFloat>(a: &[T], b: &[T], tol: f64, what: &str) {
        let err = rel_err(a, b);
        assert!(err <= tol, "{what}: relative error {err:e} > {tol:e}");
    }

    fn flatten<T: FftFloat>(c: &[Complex<T>]) -> Vec<T> {
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

    fn check_fft_rows<T: FftFloat>(tol: f64) {
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
                            .map(|z| Complex::new(z.re.to_f64().unwrap(), z.im.to_f64().unwrap()))
                            .collect();
                        naive_complex_dft(&row, inverse)
                    })
                    .map(|z| Complex::new(T::from(z.re).unwrap(), T::from(z.im).unwrap()))
                    .collect();
                fft_rows_inplace(&mut data, d, inverse);
                let what = format!("fft_rows_inplace d={d} inverse={inverse}");
                assert_close(&flatten(&data), &flatten(&expected), tol, &what);
            }
        }
    }

    fn check_dft_real<T: FftFloat>(tol: f64) {
        for d in LENGTHS {
            let x = random::<T>(BATCH * d, d as u64);
            let (mut re, mut im) = (vec![T::zero(); x.len()], vec![T::zero(); x.len()]);
            let (mut re_ref, mut im_ref) = (re.clone(), im.clone());
            dft_real_fft(&x, d, &mut re, &mut im);
            dft_real_naive(&x, d, &mut re_ref, &mut im_ref);
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
            dft_real_adjoint_naive(&re, &im, d, &mut adj_ref);
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

    fn check_rfft_round_trip<T: FftFloat>(tol: f64) {
        for d in LENGTHS {
            let x = random::<T>(BATCH * d, d as u64);
            let mut spectrum = vec![Complex::new(T::zero(), T::zero()); BATCH * (d / 2 + 1)];
            rfft_rows(&x, d, &mut spectrum);
            let (mut re, mut im) = (vec![T::zero(); x.len()], vec![T::zero(); x.len()]);
            dft_real_naive(&x, d, &mut re, &mut im);
            let half_spectrum: Vec<Complex<T>> = re
                .chunks_exact(d)
                .zip(im.chunks_exact(d))
                .flat_map(|(r, i)| (0..=d / 2).map(|k| Complex::new(r[k], i[k])))
                .collect();
            let what = format!("rfft_rows d={d}");
            assert_close(&flatten(&spectrum), &flatten(&half_spectrum), tol, &what);

            let mut back = vec![T::zero(); x.len()];
            irfft_rows(&spectrum, d, &mut back);
            let scaled: Vec<T> = x.iter().map(|&v| v * T::from(d).unwrap()).collect();
            assert_close(&back, &scaled, tol, &format!("irfft_rows d={d}"));
        }
    }

    fn check_adjoint_identity<T: FftFloat>(tol: f64) {
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

    /// The three correlation kernels by the triple loop of their formulas.
    fn naive_corr(x: &[f64], w: &[f64], d: usize) -> Vec<f64> {
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

    fn naive_grad_x(g: &[f64], w: &[f64], d: usize) -> Vec<f64> {
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

    fn naive_grad_w(g: &[f64], x: &[f64], d: usize) -> Vec<f64> {
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

    /// Row lengths for the correlation kernels: every `d` to 130 (every remainder of the
    /// register tiles of both types, both sides of the crossovers) and some large ones, smooth
    /// (FFT path) and prime (direct up to past 256).
    fn corr_lengths() -> impl Iterator<Item = usize> {
        (1..=130).chain([251, 256, 509, 1000, 1024])
    }

    /// Batch rows: one full register tile of 6 rows and a partial one.
    const CORR_BATCH: usize = 7;

    /// The naive, direct and FFT forms of a kernel and its dispatcher all agree to `tol` with
    /// the triple loop `reference` run in f64, and the dispatcher gives bit for bit the output
    /// of the path that [`cyclic_corr_crossover`] selects. The kernel's first argument is
    /// `[B, d]`; the second is `[d]` when `second_is_filter`, else `[B, d]`, as is the output
    /// unless the output is `[d]`.
    fn check_corr_kernel<T: FftFloat>(
        name: &str,
        reference: fn(&[f64], &[f64], usize) -> Vec<f64>,
        [naive, direct, fft, dispatch]: [Kernel<T>; 4],
        second_is_filter: bool,
        tol: f64,
    ) {
        for d in corr_lengths() {
            let a = random::<T>(CORR_BATCH * d, d as u64);
            let b = random::<T>(
                if second_is_filter { d } else { CORR_BATCH * d },
                d as u64 + 1,
            );
            let expected: Vec<T> = reference(&to_f64(&a), &to_f64(&b), d)
                .into_iter()
                .map(|v| T::from(v).unwrap())
                .collect();
            let run = |kernel: Kernel<T>| {
                let mut out = vec![T::zero(); expected.len()];
                kernel(&a, &b, d, &mut out);
                out
            };
            let outs = [run(naive), run(direct), run(fft)];
            for (out, path) in outs.iter().zip(["naive", "direct", "fft"]) {
                assert_close(out, &expected, tol, &format!("{name}_{path} d={d}"));
            }
            let chosen = usize::from(cyclic_corr_crossover::<T>().uses_fft(d));
            assert!(
                run(dispatch) == outs[1 + chosen],
                "{name} d={d}: the dispatcher did not take the path of the crossover"
            );
        }
    }

    fn check_corr_kernels<T: FftFloat>(tol: f64) {
        let corr: [Kernel<T>; 4] = [
            cyclic_corr_naive,
            cyclic_corr_direct,
            cyclic_corr_fft,
            cyclic_corr,
        ];
        check_corr_kernel("cyclic_corr", naive_corr, corr, true, tol);
        let grad_x: [Kernel<T>; 4] = [
            cyclic_corr_grad_x_naive,
            cyclic_corr_grad_x_direct,
            cyclic_corr_grad_x_fft,
            cyclic_corr_grad_x,
        ];
        check_corr_kernel("cyclic_corr_grad_x", naive_grad_x, grad_x, true, tol);
        let grad_w: [Kernel<T>; 4] = [
            cyclic_corr_grad_w_naive,
            cyclic_corr_grad_w_direct,
            cyclic_corr_grad_w_fft,
            cyclic_corr_grad_w,
        ];
        check_corr_kernel("cyclic_corr_grad_w", naive_grad_w, grad_w, false, tol);
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
    fn rfft_rows_match_naive_and_irfft_inverts() {
        check_rfft_round_trip::<f64>(F64_TOL);
        check_rfft_round_trip::<f32>(F32_TOL);
    }

    #[test]
    fn dft_real_adjoint_is_the_adjoint() {
        check_adjoint_identity::<f64>(F64_TOL);
        check_adjoint_identity::<f32>(F32_TOL);
    }

    #[test]
    fn cyclic_corr_kernels_agree() {
        check_corr_kernels::<f64>(F64_TOL);
        check_corr_kernels::<f32>(F32_TOL);
    }

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
        let f32_rule = cyclic_corr_crossover::<f32>();
        assert_eq!(f32_rule, CYCLIC_CORR_CROSSOVER_F32);
        assert_eq!(cyclic_corr_crossover::<f64>(), CYCLIC_CORR_CROSSOVER_F64);
        for d in [1, 2, 16, 127, 251] {
            assert!(!f32_rule.uses_fft(d), "f32 d={d} should stay direct");
        }
        for d in [128, 240, 256, 1024] {
            assert!(f32_rule.uses_fft(d), "f32 d={d} should take the FFT");
        }
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
