//! Vectorized transcendental functions: `exp`, `ln`, `ln_1p`, `exp_m1` and, built on them,
//! `sigmoid`, `softplus` and `tanh`, for `f32` and `f64`, applied to whole slices.
//!
//! On x86_64 CPUs with AVX2 and FMA (checked at run time) each function runs on 4 `f64` or 8
//! `f32` lanes at once with the polynomial algorithms below; elsewhere (and for element types
//! other than `f32`/`f64`) every element goes through the scalar libm function
//! ([`Func::scalar`]).
//!
//! # Algorithms
//! * `exp(x) = 2^k exp(r)`, `x = k ln2 + r`, `k = round(x / ln2)`, `|r| <= ln2 / 2`: `r` by a
//!   Cody-Waite two-constant split of `ln2` (the first constant has trailing zero bits, so
//!   `k ln2_hi` is exact), `exp(r) = 1 + r + r^2 q(r)` with `q` the Taylor series of
//!   `(exp(r) - 1 - r) / r^2` (to `r^11 / 13!` in f64, `r^5 / 7!` in f32) evaluated with FMA
//!   by Estrin's scheme, and the scaling by `2^k` an integer add to the exponent bits.
//! * `exp_m1(x) = 2^k (1 + em) - 1 = 2 (h em + (h - 1/2))` with `em = r + r^2 q(r)` and
//!   `h = 2^(k-1)`, one FMA: for `k = 0` it is `em` itself (no cancellation near 0), for
//!   `k != 0` the result is at least `0.29` in magnitude.
//! * `ln(x) = k ln2 + ln(1 + f)` with `x = 2^k (1 + f)`, `1 + f` in `[sqrt(1/2), sqrt(2))` from
//!   the exponent and mantissa bits, and `ln(1 + f) = 2 atanh(s) = f - s (f - R(s^2))`,
//!   `s = f / (2 + f)`, `R` the series `2 z / 3 + 2 z^2 / 5 + ...` (to `z^4` in f32; in f64
//!   fdlibm's minimax polynomial of the same form, to `z^7`); the `f - ...` form (as in
//!   fdlibm) keeps the exact `f` as the leading term.
//! * `ln_1p(x)`: the same on `u = 1 + x` rounded, with the rounding error `c` of that sum
//!   (`1 + x = u + c` exactly, by TwoSum) folded into `f`: `1 + x = 2^k (1 + f + c 2^-k)`.
//! * `sigmoid(x) = (x < 0 ? e : 1) / (1 + e)`, `e = exp(-|x|)`: never overflows.
//! * `softplus(x) = max(x, 0) + ln_1p(exp(-|x|))`: finite for every finite `x`; the argument
//!   of `ln_1p` is in `[0, 1]`, where `1 + e = 2^k (1 + f)` needs no rounding.
//! * `tanh(|x|) = e / (e + 2)`, `e = exp_m1(2 |x|)`, with the sign of `x`: an error in `e`
//!   shrinks by `2 / (e + 2)` in the quotient; `|x|` is clamped to where `tanh` rounds to 1.
//!
//! # Accuracy
//! Measured by the tests below over dense sweeps of the whole range, random samples and the
//! special inputs, against libm (`f64::exp` etc.; for `f32`, the `f64` function rounded to
//! `f32`; for `sigmoid` and `softplus`, the formulas of [`elementwise`](super::elementwise)
//! with libm's `f64` functions), in units in the last place of the result:
//!
//! | function   | f64 | f32 |
//! | ---------- | --- | --- |
//! | `exp`      | 1   | 1   |
//! | `ln`       | 1   | 1   |
//! | `ln_1p`    | 1   | 1   |
//! | `exp_m1`   | 2   | 2   |
//! | `sigmoid`  | 2   | 2   |
//! | `softplus` | 2   | 2   |
//! | `tanh`     | 3   | 2   |
//!
//! (the largest distance over the tests' 2.2 million inputs per type, which the tests assert;
//! for `f32` also over all 2^32 inputs, by the ignored test `f32_exhaustive_...`; the
//! references themselves are within about 1/2 ulp, for `sigmoid` and `softplus` in `f64`
//! within about 1-2).
//!
//! # Special values
//! As libm: NaN gives NaN; `exp(-inf) = 0`, `exp(inf) = inf`; results past the largest float
//! are `inf`; results below the smallest normal float are subnormal (gradual underflow,
//! rounded once, not flushed to zero), and 0 below the smallest subnormal; `ln(0) = -inf`,
//! `ln` of a negative number is NaN, `ln(inf) = inf`; `ln_1p(-1) = -inf`; `exp_m1`, `ln_1p`
//! and `tanh` keep the sign of a zero.
//!
//! # Determinism
//! An element's result depends on its value only, not on its position in the slice: the last
//! `len % lanes` elements go through the same vector code (padded with ones), not libm; the
//! rare inputs that take a slower branch (overflow, underflow, zeros, NaN) get there by a
//! per-vector test, and the slower branch computes the ordinary lanes bit for bit as the fast
//! one does.

use super::elementwise::{sigmoid, softplus};
use super::parallel::{split_mut, tree_reduce};
use crate::element::Float;
use std::any::TypeId;
use std::mem::MaybeUninit;

/// A function with a vectorized kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Func {
    /// `exp(x)`.
    Exp,
    /// `ln(x)`.
    Ln,
    /// `ln(1 + x)`, accurate near 0.
    Ln1p,
    /// `exp(x) - 1`, accurate near 0.
    ExpM1,
    /// `1 / (1 + exp(-x))`.
    Sigmoid,
    /// `ln(1 + exp(x))`.
    Softplus,
    /// `tanh(x)`.
    Tanh,
}

impl Func {
    /// Every function, for tests and benches.
    pub const ALL: [Func; 7] = [
        Func::Exp,
        Func::Ln,
        Func::Ln1p,
        Func::ExpM1,
        Func::Sigmoid,
        Func::Softplus,
        Func::Tanh,
    ];

    /// The scalar form through libm: the fallback without AVX2, and the tests' reference.
    pub fn scalar<T: Float>(self, x: T) -> T {
        match self {
            Func::Exp => x.exp(),
            Func::Ln => x.ln(),
            Func::Ln1p => x.ln_1p(),
            Func::ExpM1 => x.exp_m1(),
            Func::Sigmoid => sigmoid(x),
            Func::Softplus => softplus(x),
            Func::Tanh => x.tanh(),
        }
    }
}

/// Elements from which a map or a sum splits over two threads (the hand-off to the helper
/// thread costs about a microsecond; at 1-2 ns per element this is 16-30 us of work).
/// Measured by `cargo bench --bench threads` (f64, idle 2-core Xeon): `exp` 1.81x faster on two
/// threads at 2^14 elements, 2.0x at 2^20; the fused logistic loss 1.91x at 2^14.
pub const PARALLEL_MIN: usize = 1 << 14;

/// Appends `f(x[i])` for every `i` to `out`.
pub fn map<T: Float>(f: Func, x: &[T], out: &mut Vec<T>) {
    let (n, start) = (x.len(), out.len());
    out.reserve(n);
    split_mut(
        &mut out.spare_capacity_mut()[..n],
        PARALLEL_MIN,
        8,
        |off, piece| {
            // SAFETY: `x[off..]` is valid for the piece's length of reads and the piece for as
            // many writes; they are disjoint (`&` and `&mut`).
            unsafe { run(f, x[off..].as_ptr(), piece.as_mut_ptr().cast(), piece.len()) }
        },
    );
    // SAFETY: `run` wrote the `n` elements past the first `start`.
    unsafe { out.set_len(start + n) };
}

/// `out[i] = f(x[i])`.
///
/// # Panics
/// If the lengths differ.
pub fn apply<T: Float>(f: Func, x: &[T], out: &mut [T]) {
    assert_eq!(x.len(), out.len(), "vmath::apply: input and output lengths");
    split_mut(out, PARALLEL_MIN, 8, |off, piece| {
        // SAFETY: both are valid for the piece's length, and disjoint (`&` and `&mut`).
        unsafe { run(f, x[off..].as_ptr(), piece.as_mut_ptr(), piece.len()) }
    });
}

/// `xs[i] = f(xs[i])`.
pub fn apply_in_place<T: Float>(f: Func, xs: &mut [T]) {
    split_mut(xs, PARALLEL_MIN, 8, |_, piece| {
        let p = piece.as_mut_ptr();
        // SAFETY: the piece is valid for reads and writes of its length; source and
        // destination are the same buffer, which `run` allows.
        unsafe { run(f, p, p, piece.len()) }
    });
}

/// Elements per block of [`sum_of`]: the block's values live on the stack (2 KiB of `f64`).
const BLOCK: usize = 256;

/// Elements per chunk of [`sum_of`]: chunks are summed block by block, and their sums combined
/// by a fixed pairwise tree ([`tree_reduce`]).
const SUM_CHUNK: usize = 16 * BLOCK;

/// `sum_i f(g(x_i))`, with `g` a cheap elementwise map (a sign, a shift) applied first: the
/// fused sums of the losses and of log-sum-exp, in blocks of `BLOCK` (256) elements with no
/// temporaries. Sums of more than 4096 elements are the pairwise sum of 4096-element chunks,
/// on two threads from [`PARALLEL_MIN`] elements; the summation order depends only on the
/// length, never on the thread count.
pub fn sum_of<T: Float>(f: Func, x: &[T], g: impl Fn(T) -> T + Sync) -> T {
    let chunk_sum = |r: std::ops::Range<usize>| {
        // Uninitialised: zeroing 2 KiB would cost more than a short row's whole sum (softmax
        // rows).
        let mut block = [MaybeUninit::<T>::uninit(); BLOCK];
        x[r].chunks(BLOCK).fold(T::zero(), |total, chunk| {
            for (v, &xi) in block.iter_mut().zip(chunk) {
                v.write(g(xi));
            }
            // SAFETY: the first `chunk.len()` elements of `block` were just written.
            let values = unsafe {
                std::slice::from_raw_parts_mut(block.as_mut_ptr().cast::<T>(), chunk.len())
            };
            // One block: far below the parallel threshold, so `run` directly.
            let p = values.as_mut_ptr();
            // SAFETY: in place over the block's initialised values.
            unsafe { run(f, p, p, values.len()) };
            total + sum(values)
        })
    };
    tree_reduce(x.len(), SUM_CHUNK, PARALLEL_MIN, chunk_sum, |a, b| a + b)
}

/// `sum_i x_i` in eight interleaved partial sums (so the loop vectorizes), then the tail.
fn sum<T: Float>(x: &[T]) -> T {
    let mut acc = [T::zero(); 8];
    let chunks = x.chunks_exact(8);
    let tail = chunks.remainder().iter().fold(T::zero(), |s, &v| s + v);
    for chunk in chunks {
        for (a, &v) in acc.iter_mut().zip(chunk) {
            *a = *a + v;
        }
    }
    ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7])) + tail
}

/// `dst[i] = f(src[i])` for `i < n`, by the vector kernel of `T` where there is one.
///
/// # Safety
/// `src` must be valid for `n` reads and `dst` for `n` writes; they must be equal (in place)
/// or not overlap.
unsafe fn run<T: Float>(f: Func, src: *const T, dst: *mut T, n: usize) {
    #[cfg(target_arch = "x86_64")]
    if avx2::available() {
        // The casts are identities: `T` is the type it is compared with.
        if TypeId::of::<T>() == TypeId::of::<f64>() {
            // SAFETY: AVX2 and FMA are present; the pointers carry the caller's guarantees.
            return avx2::run::<avx2::F64x4>(f, src.cast(), dst.cast(), n);
        }
        if TypeId::of::<T>() == TypeId::of::<f32>() {
            // SAFETY: as above.
            return avx2::run::<avx2::F32x8>(f, src.cast(), dst.cast(), n);
        }
    }
    for i in 0..n {
        // SAFETY: `i < n`; reading before writing makes the in-place case correct.
        *dst.add(i) = f.scalar(*src.add(i));
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    //! The AVX2 + FMA kernels: the algorithms of the module documentation, written once over
    //! the [`Simd`] vector types [`F64x4`] and [`F32x8`].
    //!
    //! Every function here is `unsafe` because it needs AVX2 and FMA (it compiles to their
    //! instructions); [`run`] is the only entry, after [`available`] said yes. The helpers are
    //! `#[inline(always)]` so that they compile into `run`'s AVX2 body.

    use super::Func;
    use crate::element::Float;
    // The constants (`infinity()`, ...) of the lane types, reached through `Simd::Elem`.
    use num_traits::Float as _;
    use std::arch::x86_64::*;

    /// Whether the CPU has AVX2 and FMA (the standard library caches the answer).
    pub(super) fn available() -> bool {
        is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma")
    }

    /// `dst[i] = f(src[i])` for `i < n`, a vector of `V::LANES` elements at a time; the last
    /// `n % LANES` elements are padded with ones into one more vector.
    ///
    /// # Safety
    /// AVX2 and FMA must be present; `src` must be valid for `n` reads and `dst` for `n`
    /// writes, equal or not overlapping.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn run<V: Simd>(f: Func, src: *const V::Elem, dst: *mut V::Elem, n: usize) {
        match f {
            Func::Exp => each(src, dst, n, |x: V| exp(x)),
            Func::Ln => each(src, dst, n, |x: V| ln(x)),
            Func::Ln1p => each(src, dst, n, |x: V| ln_1p(x)),
            Func::ExpM1 => each(src, dst, n, |x: V| exp_m1(x)),
            Func::Sigmoid => each(src, dst, n, |x: V| sigmoid(x)),
            Func::Softplus => each(src, dst, n, |x: V| softplus(x)),
            Func::Tanh => each(src, dst, n, |x: V| tanh(x)),
        }
    }

    /// The loop of [`run`] for one function `f`.
    #[inline(always)]
    unsafe fn each<V: Simd>(src: *const V::Elem, dst: *mut V::Elem, n: usize, f: impl Fn(V) -> V) {
        let full = n - n % V::LANES;
        let mut i = 0;
        // Two independent vectors per iteration: their dependency chains overlap.
        while i + 2 * V::LANES <= full {
            // SAFETY: `i + 2 LANES <= n`: in bounds of both buffers (`run`'s contract).
            let (a, b) = (V::load(src.add(i)), V::load(src.add(i + V::LANES)));
            let (fa, fb) = (f(a), f(b));
            fa.store(dst.add(i));
            fb.store(dst.add(i + V::LANES));
            i += 2 * V::LANES;
        }
        while i < full {
            // SAFETY: `i + LANES <= n`: in bounds of both buffers (`run`'s contract).
            f(V::load(src.add(i))).store(dst.add(i));
            i += V::LANES;
        }
        if full < n {
            let mut pad = [V::Elem::of(1.0); MAX_LANES];
            // SAFETY: elements `full..n` are in bounds; `pad` holds `MAX_LANES >= LANES`.
            std::ptr::copy_nonoverlapping(src.add(full), pad.as_mut_ptr(), n - full);
            f(V::load(pad.as_ptr())).store(pad.as_mut_ptr());
            std::ptr::copy_nonoverlapping(pad.as_ptr(), dst.add(full), n - full);
        }
    }

    /// The most lanes of a [`Simd`] type (`f32` in 256 bits).
    const MAX_LANES: usize = 8;

    /// A 256-bit vector of `LANES` floats: the operations the algorithms use, and the
    /// constants that differ between `f32` and `f64`.
    ///
    /// # Safety
    /// Every method needs AVX2 and FMA.
    pub(super) trait Simd: Copy {
        /// The lane type.
        type Elem: Float;
        /// Lanes per vector.
        const LANES: usize;
        /// `1.5 * 2^p`, `p` the mantissa bits: `y + SHIFTER` rounds `y` (`|y| < 2^(p-1)`) to
        /// an integer `k`, which the sum holds in its low mantissa bits.
        const SHIFTER: Self::Elem;
        /// `ln2` to fewer bits (trailing zeros, so `k LN2_HI` is exact for the `k` used) ...
        const LN2_HI: Self::Elem;
        /// ... and the rest, `ln2 - LN2_HI`.
        const LN2_LO: Self::Elem;
        /// `exp` of `|x| <=` this is a normal float: `exp` scales by `2^k` with one integer add.
        const EXP_FAST: Self::Elem;
        /// `exp` clamps its argument to `[EXP_MIN, EXP_MAX]`: the results there are already 0
        /// and `inf`.
        const EXP_MIN: Self::Elem;
        /// See [`EXP_MIN`](Simd::EXP_MIN).
        const EXP_MAX: Self::Elem;
        /// `exp_m1` clamps its argument to `[EXPM1_MIN, EXP_MAX]`: its result is -1 below.
        const EXPM1_MIN: Self::Elem;
        /// `tanh(x)` rounds to 1 for `x >=` this.
        const TANH_ONE: Self::Elem;
        /// `ln_1p(x) = ln(x)` (to the last bit) for `x >=` this.
        const LN1P_BIG: Self::Elem;
        /// `log2` of the power of two that brings a subnormal into the normal range.
        const SUBNORMAL_SHIFT: Self::Elem;
        /// The coefficients of `q(r) = (exp(r) - 1 - r) / r^2`, constant term first.
        const EXPM1_POLY: &'static [Self::Elem];
        /// The coefficients of `R(z) / z` of `ln`, constant term first.
        const LN_POLY: &'static [Self::Elem];

        /// Every lane `c`.
        unsafe fn splat(c: Self::Elem) -> Self;
        /// `LANES` elements from `p` (any alignment).
        unsafe fn load(p: *const Self::Elem) -> Self;
        /// Writes the lanes to `p` (any alignment).
        unsafe fn store(self, p: *mut Self::Elem);
        /// `self + b`.
        unsafe fn add(self, b: Self) -> Self;
        /// `self - b`.
        unsafe fn sub(self, b: Self) -> Self;
        /// `self * b`.
        unsafe fn mul(self, b: Self) -> Self;
        /// `self / b`.
        unsafe fn div(self, b: Self) -> Self;
        /// `self * b + c`, rounded once.
        unsafe fn mul_add(self, b: Self, c: Self) -> Self;
        /// `c - self * b`, rounded once.
        unsafe fn neg_mul_add(self, b: Self, c: Self) -> Self;
        /// The smaller of each pair; `b` where either is NaN.
        unsafe fn min(self, b: Self) -> Self;
        /// The larger of each pair; `b` where either is NaN.
        unsafe fn max(self, b: Self) -> Self;
        /// `|self|`.
        unsafe fn abs(self) -> Self;
        /// `-|self|`.
        unsafe fn neg_abs(self) -> Self;
        /// `self` with the sign bit of `x` or'ed in.
        unsafe fn or_sign_of(self, x: Self) -> Self;
        /// Rounded down to an integer.
        unsafe fn floor(self) -> Self;
        /// Lane mask (all bits set where true) of `self < b`.
        unsafe fn lt(self, b: Self) -> Self;
        /// Lane mask of `self <= b`.
        unsafe fn le(self, b: Self) -> Self;
        /// Lane mask of `self > b`.
        unsafe fn gt(self, b: Self) -> Self;
        /// Lane mask of `self >= b`.
        unsafe fn ge(self, b: Self) -> Self;
        /// Lane mask of `self == b`.
        unsafe fn eq(self, b: Self) -> Self;
        /// Lane mask of `!(self >= b)`: `self < b` or either is NaN.
        unsafe fn not_ge(self, b: Self) -> Self;
        /// Lane mask of `self` being NaN.
        unsafe fn is_nan(self) -> Self;
        /// Both masks.
        unsafe fn and(self, b: Self) -> Self;
        /// Whether every lane of the mask `self` is set.
        unsafe fn all(self) -> bool;
        /// `a` where `mask` is set, else `b`.
        unsafe fn select(mask: Self, a: Self, b: Self) -> Self;
        /// `self * 2^k` by adding `k` to the exponent bits, for `kd = k + SHIFTER` (an integer
        /// `k` from the shifter rounding); the result must be a normal float.
        unsafe fn scale(self, kd: Self) -> Self;
        /// `(k, m)` with `self = 2^k m`, `m` in `[sqrt(1/2), sqrt(2))`, for a positive normal
        /// `self`.
        unsafe fn split_exponent(self) -> (Self, Self);
    }

    /// Every lane the `f64` constant `c` (rounded to the lane type).
    #[inline(always)]
    unsafe fn splat<V: Simd>(c: f64) -> V {
        V::splat(V::Elem::of(c))
    }

    /// The most coefficients of a polynomial.
    const MAX_TERMS: usize = 16;

    /// `c[0] + c[1] x + c[2] x^2 + ...` by Estrin's scheme: adjacent pairs of terms are summed
    /// as `c[2i] + c[2i+1] x`, then adjacent pairs of those as `t[2i] + t[2i+1] x^2`, and so
    /// on with `x^4`, `x^8`: a chain of about `log2(len)` FMAs instead of Horner's `len - 1`,
    /// so that the CPU overlaps more elements (the kernels are bound by these chains'
    /// latency, not by the number of operations).
    #[inline(always)]
    unsafe fn poly<V: Simd>(x: V, c: &[V::Elem]) -> V {
        assert!(!c.is_empty() && c.len() <= MAX_TERMS);
        let mut t = [V::splat(c[0]); MAX_TERMS];
        let mut n = c.len().div_ceil(2);
        for i in 0..n {
            t[i] = match c.get(2 * i + 1) {
                Some(&odd) => V::splat(odd).mul_add(x, V::splat(c[2 * i])),
                None => V::splat(c[2 * i]),
            };
        }
        let mut power = x;
        while n > 1 {
            power = power.mul(power);
            let len = n;
            n = len.div_ceil(2);
            for i in 0..n {
                t[i] = if 2 * i + 1 < len {
                    t[2 * i + 1].mul_add(power, t[2 * i])
                } else {
                    t[2 * i]
                };
            }
        }
        t[0]
    }

    /// `x = k ln2 + r` with `k = round(x / ln2)`: returns `(k + SHIFTER, k, r)`.
    #[inline(always)]
    unsafe fn reduce<V: Simd>(x: V) -> (V, V, V) {
        let shifter = V::splat(V::SHIFTER);
        let kd = x.mul_add(splat(std::f64::consts::LOG2_E), shifter);
        let k = kd.sub(shifter);
        let r = k.neg_mul_add(V::splat(V::LN2_HI), x);
        let r = k.neg_mul_add(V::splat(V::LN2_LO), r);
        (kd, k, r)
    }

    /// `exp(r) - 1 = r + r^2 q(r)` for a reduced `|r| <= ln2 / 2`.
    #[inline(always)]
    unsafe fn expm1_reduced<V: Simd>(r: V) -> V {
        r.mul(r).mul_add(poly(r, V::EXPM1_POLY), r)
    }

    /// `exp(x)`; see the module documentation.
    #[inline(always)]
    unsafe fn exp<V: Simd>(x: V) -> V {
        if x.abs().le(V::splat(V::EXP_FAST)).all() {
            let (kd, _, r) = reduce(x);
            splat::<V>(1.0).add(expm1_reduced(r)).scale(kd)
        } else {
            exp_wide(x)
        }
    }

    /// `exp(x)` for vectors with a lane outside `[-EXP_FAST, EXP_FAST]` (or NaN): the argument
    /// clamped, and the scaling by `2^k` split into two exact halves, `2^k1` then `2^(k - k1)`,
    /// so that overflow gives `inf` and underflow a subnormal rounded once. Ordinary lanes get
    /// the same bits as in [`exp`] (scaling by powers of two is exact).
    #[inline(always)]
    unsafe fn exp_wide<V: Simd>(x: V) -> V {
        let clamped = V::splat(V::EXP_MAX).min(V::splat(V::EXP_MIN).max(x));
        let (_, k, r) = reduce(clamped);
        let p = splat::<V>(1.0).add(expm1_reduced(r));
        let shifter = V::splat(V::SHIFTER);
        let k1 = k.mul(splat(0.5)).floor();
        let y = p
            .scale(k1.add(shifter))
            .mul(splat::<V>(1.0).scale(k.sub(k1).add(shifter)));
        // A NaN's garbage `k` scrambled its bits: give the NaN back.
        V::select(x.is_nan(), x, y)
    }

    /// `exp(x) - 1`; see the module documentation.
    #[inline(always)]
    unsafe fn exp_m1<V: Simd>(x: V) -> V {
        // NaN stays NaN through the clamp (`min`/`max` return their second operand then).
        let clamped = V::splat(V::EXP_MAX).min(V::splat(V::EXPM1_MIN).max(x));
        let (kd, _, r) = reduce(clamped);
        let em = expm1_reduced(r);
        // h = 2^(k-1) (kd - 1 = (k - 1) + SHIFTER exactly); h is normal for the clamped k.
        let h = splat::<V>(1.0).scale(kd.sub(splat(1.0)));
        let y = h.mul_add(em, h.sub(splat(0.5)));
        // expm1 has the sign of x: this only turns the +0 of x = -0 into -0.
        y.add(y).or_sign_of(x)
    }

    /// `ln(x)`; see the module documentation.
    #[inline(always)]
    unsafe fn ln<V: Simd>(x: V) -> V {
        let positive_normal = x
            .ge(V::splat(V::Elem::min_positive_value()))
            .and(x.le(V::splat(V::Elem::max_value())));
        if positive_normal.all() {
            let (k, m) = x.split_exponent();
            ln_parts(k, m.sub(splat(1.0)))
        } else {
            ln_special(x)
        }
    }

    /// `ln(2^k (1 + f))` for `1 + f` in `[sqrt(1/2), sqrt(2))` (up to rounding).
    #[inline(always)]
    unsafe fn ln_parts<V: Simd>(k: V, f: V) -> V {
        let s = f.div(splat::<V>(2.0).add(f));
        let z = s.mul(s);
        let r = z.mul(poly(z, V::LN_POLY));
        // k ln2_hi + (f + (k ln2_lo - s (f - R))), the product k ln2_hi exact in the FMA.
        let lo = s.neg_mul_add(f.sub(r), k.mul(V::splat(V::LN2_LO)));
        k.mul_add(V::splat(V::LN2_HI), f.add(lo))
    }

    /// `ln(x)` for vectors with a lane that is not a positive normal float: subnormals scaled
    /// into the normal range first, then the special values. Ordinary lanes get the same bits
    /// as in [`ln`].
    #[inline(always)]
    unsafe fn ln_special<V: Simd>(x: V) -> V {
        let tiny = x.lt(V::splat(V::Elem::min_positive_value()));
        let shift = V::splat(V::SUBNORMAL_SHIFT);
        let two_to_shift = splat::<V>(1.0).scale(shift.add(V::splat(V::SHIFTER)));
        let scaled = V::select(tiny, x.mul(two_to_shift), x);
        let (k, m) = scaled.split_exponent();
        let k = V::select(tiny, k.sub(shift), k);
        let y = ln_parts(k, m.sub(splat(1.0)));
        let zero = splat::<V>(0.0);
        let inf = V::splat(V::Elem::infinity());
        let y = V::select(x.eq(zero), splat::<V>(0.0).sub(inf), y);
        let y = V::select(x.eq(inf), inf, y);
        V::select(x.not_ge(zero), V::splat(V::Elem::nan()), y)
    }

    /// `ln(1 + x)`; see the module documentation.
    #[inline(always)]
    unsafe fn ln_1p<V: Simd>(x: V) -> V {
        let ordinary = x.gt(splat(-1.0)).and(x.lt(V::splat(V::LN1P_BIG)));
        if ordinary.all() {
            ln_1p_ordinary(x)
        } else {
            ln_1p_special(x)
        }
    }

    /// `ln(1 + x)` for `-1 < x < LN1P_BIG`.
    #[inline(always)]
    unsafe fn ln_1p_ordinary<V: Simd>(x: V) -> V {
        let one = splat::<V>(1.0);
        // TwoSum: u + c = 1 + x exactly.
        let u = one.add(x);
        let x_part = u.sub(one);
        let c = one.sub(u.sub(x_part)).add(x.sub(x_part));
        // 1 + x = 2^k (m + c 2^-k).
        let (k, m) = u.split_exponent();
        let two_to_minus_k = one.scale(V::splat(V::SHIFTER).sub(k));
        let f = c.mul_add(two_to_minus_k, m.sub(one));
        // ln_1p has the sign of x: this only turns the +0 of x = -0 into -0.
        ln_parts(k, f).or_sign_of(x)
    }

    /// `ln(1 + x)` for vectors with a lane outside `(-1, LN1P_BIG)`: those lanes are replaced,
    /// the others computed as in [`ln_1p`].
    #[inline(always)]
    unsafe fn ln_1p_special<V: Simd>(x: V) -> V {
        let y = ln_1p_ordinary(x);
        let big = x.ge(V::splat(V::LN1P_BIG));
        let (k, m) = V::select(big, x, splat(1.0)).split_exponent();
        let y = V::select(big, ln_parts(k, m.sub(splat(1.0))), y);
        let inf = V::splat(V::Elem::infinity());
        let minus_one = splat::<V>(-1.0);
        let y = V::select(x.eq(minus_one), splat::<V>(0.0).sub(inf), y);
        let y = V::select(x.eq(inf), inf, y);
        V::select(x.not_ge(minus_one), V::splat(V::Elem::nan()), y)
    }

    /// `1 / (1 + exp(-x))`; see the module documentation.
    #[inline(always)]
    unsafe fn sigmoid<V: Simd>(x: V) -> V {
        let e = exp(x.neg_abs());
        let one = splat::<V>(1.0);
        V::select(x.lt(splat(0.0)), e, one).div(one.add(e))
    }

    /// `ln(1 + exp(x))`; see the module documentation.
    #[inline(always)]
    unsafe fn softplus<V: Simd>(x: V) -> V {
        // `max` returns 0 for a NaN `x`, and `ln_1p_unit(exp(NaN))` is NaN.
        x.max(splat(0.0)).add(ln_1p_unit(exp(x.neg_abs())))
    }

    /// `ln(1 + e)` for `e` in `[0, 1]` (or NaN), as [`ln_1p`] but shorter: `1 + e = 2^k (1 + f)`
    /// with `k = 0, f = e` below `e = sqrt(2) - 1` and `k = 1, f = (e - 1) / 2` (exact) above,
    /// so that `1 + f` is in `[sqrt(1/2), sqrt(2))`, the range of [`ln_parts`]' polynomial.
    #[inline(always)]
    unsafe fn ln_1p_unit<V: Simd>(e: V) -> V {
        let one = splat::<V>(1.0);
        let above = e.ge(splat(std::f64::consts::SQRT_2 - 1.0));
        let f = V::select(above, e.sub(one).mul(splat(0.5)), e);
        ln_parts(V::select(above, one, splat(0.0)), f)
    }

    /// `tanh(x)`; see the module documentation.
    #[inline(always)]
    unsafe fn tanh<V: Simd>(x: V) -> V {
        // `min` returns its second operand, the NaN, for a NaN `x`.
        let a = V::splat(V::TANH_ONE).min(x.abs());
        let e = exp_m1(a.add(a));
        e.div(e.add(splat(2.0))).or_sign_of(x)
    }

    /// `1 / n!` for `n = 2, ..., N`: the Taylor coefficients of `(exp(r) - 1 - r) / r^2`.
    const INV_FACTORIALS: [f64; 12] = [
        1.0 / 2.0,
        1.0 / 6.0,
        1.0 / 24.0,
        1.0 / 120.0,
        1.0 / 720.0,
        1.0 / 5040.0,
        1.0 / 40320.0,
        1.0 / 362880.0,
        1.0 / 3628800.0,
        1.0 / 39916800.0,
        1.0 / 479001600.0,
        1.0 / 6227020800.0,
    ];

    /// The minimax polynomial `R(z) / z` of `ln` for `f64` on `|s| <= 0.1716` (`Lg1..Lg7` of
    /// fdlibm's `e_log.c`, also in musl and FreeBSD): fdlibm bounds its error in `R` by
    /// `2^-58.45`; 7 terms where the series below needs 10.
    const LN_MINIMAX: [f64; 7] = [
        f64::from_bits(0x3FE5_5555_5555_5593), // 6.666666666666735130e-01
        f64::from_bits(0x3FD9_9999_9997_FA04), // 3.999999999940941908e-01
        f64::from_bits(0x3FD2_4924_9422_9359), // 2.857142874366239149e-01
        f64::from_bits(0x3FCC_71C5_1D8E_78AF), // 2.222219843214978396e-01
        f64::from_bits(0x3FC7_4664_96CB_03DE), // 1.818357216161805012e-01
        f64::from_bits(0x3FC3_9A09_D078_C69F), // 1.531383769920937332e-01
        f64::from_bits(0x3FC2_F112_DF3E_5244), // 1.479819860511658591e-01
    ];

    /// `2 / (2j + 3)` for `j = 0, 1, ...`: the series `R(z) / z` of `ln`.
    const ATANH_SERIES: [f64; 10] = [
        2.0 / 3.0,
        2.0 / 5.0,
        2.0 / 7.0,
        2.0 / 9.0,
        2.0 / 11.0,
        2.0 / 13.0,
        2.0 / 15.0,
        2.0 / 17.0,
        2.0 / 19.0,
        2.0 / 21.0,
    ];

    /// Four `f64` lanes.
    #[derive(Clone, Copy)]
    pub(super) struct F64x4(__m256d);

    /// The bits of each lane as integers.
    #[inline(always)]
    unsafe fn bits64(x: F64x4) -> __m256i {
        _mm256_castpd_si256(x.0)
    }

    impl Simd for F64x4 {
        type Elem = f64;
        const LANES: usize = 4;
        const SHIFTER: f64 = 6755399441055744.0; // 1.5 * 2^52
                                                 // fdlibm's split: 0x3fe62e42fee00000 has 21 trailing zero bits.
        const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
        const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
        // exp(-708) = 3.3e-308 > f64::MIN_POSITIVE.
        const EXP_FAST: f64 = 708.0;
        // exp(-750) < 2^-1075, half the smallest subnormal; exp(710) > f64::MAX.
        const EXP_MIN: f64 = -750.0;
        const EXP_MAX: f64 = 710.0;
        // exp(-40) - 1 rounds to -1.
        const EXPM1_MIN: f64 = -40.0;
        // 1 - tanh(20) = 8.5e-18 < 2^-54.
        const TANH_ONE: f64 = 20.0;
        const LN1P_BIG: f64 = f64::from_bits((1023 + 1000) << 52); // 2^1000
        const SUBNORMAL_SHIFT: f64 = 54.0;
        // (to 1/13!: the next term, r^12 / 14! < 2^-56 of r at |r| = ln2 / 2)
        const EXPM1_POLY: &'static [f64] = &INV_FACTORIALS;
        // fdlibm's minimax R(z) / z on |s| <= 0.1716 (error below 2^-58.45).
        const LN_POLY: &'static [f64] = &LN_MINIMAX;

        #[inline(always)]
        unsafe fn splat(c: f64) -> Self {
            F64x4(_mm256_set1_pd(c))
        }
        #[inline(always)]
        unsafe fn load(p: *const f64) -> Self {
            F64x4(_mm256_loadu_pd(p))
        }
        #[inline(always)]
        unsafe fn store(self, p: *mut f64) {
            _mm256_storeu_pd(p, self.0)
        }
        #[inline(always)]
        unsafe fn add(self, b: Self) -> Self {
            F64x4(_mm256_add_pd(self.0, b.0))
        }
        #[inline(always)]
        unsafe fn sub(self, b: Self) -> Self {
            F64x4(_mm256_sub_pd(self.0, b.0))
        }
        #[inline(always)]
        unsafe fn mul(self, b: Self) -> Self {
            F64x4(_mm256_mul_pd(self.0, b.0))
        }
        #[inline(always)]
        unsafe fn div(self, b: Self) -> Self {
            F64x4(_mm256_div_pd(self.0, b.0))
        }
        #[inline(always)]
        unsafe fn mul_add(self, b: Self, c: Self) -> Self {
            F64x4(_mm256_fmadd_pd(self.0, b.0, c.0))
        }
        #[inline(always)]
        unsafe fn neg_mul_add(self, b: Self, c: Self) -> Self {
            F64x4(_mm256_fnmadd_pd(self.0, b.0, c.0))
        }
        #[inline(always)]
        unsafe fn min(self, b: Self) -> Self {
            F64x4(_mm256_min_pd(self.0, b.0))
        }
        #[inline(always)]
        unsafe fn max(self, b: Self) -> Self {
            F64x4(_mm256_max_pd(self.0, b.0))
        }
        #[inline(always)]
        unsafe fn abs(self) -> Self {
            F64x4(_mm256_andnot_pd(_mm256_set1_pd(-0.0), self.0))
        }
        #[inline(always)]
        unsafe fn neg_abs(self) -> Self {
            F64x4(_mm256_or_pd(_mm256_set1_pd(-0.0), self.0))
        }
        #[inline(always)]
        unsafe fn or_sign_of(self, x: Self) -> Self {
            F64x4(_mm256_or_pd(
                self.0,
                _mm256_and_pd(_mm256_set1_pd(-0.0), x.0),
            ))
        }
        #[inline(always)]
        unsafe fn floor(self) -> Self {
            F64x4(_mm256_floor_pd(self.0))
        }
        #[inline(always)]
        unsafe fn lt(self, b: Self) -> Self {
            F64x4(_mm256_cmp_pd::<_CMP_LT_OQ>(self.0, b.0))
        }
        #[inline(always)]
        unsafe fn le(self, b: Self) -> Self {
            F64x4(_mm256_cmp_pd::<_CMP_LE_OQ>(self.0, b.0))
        }
        #[inline(always)]
        unsafe fn gt(self, b: Self) -> Self {
            F64x4(_mm256_cmp_pd::<_CMP_GT_OQ>(self.0, b.0))
        }
        #[inline(always)]
        unsafe fn ge(self, b: Self) -> Self {
            F64x4(_mm256_cmp_pd::<_CMP_GE_OQ>(self.0, b.0))
        }
        #[inline(always)]
        unsafe fn eq(self, b: Self) -> Self {
            F64x4(_mm256_cmp_pd::<_CMP_EQ_OQ>(self.0, b.0))
        }
        #[inline(always)]
        unsafe fn not_ge(self, b: Self) -> Self {
            F64x4(_mm256_cmp_pd::<_CMP_NGE_UQ>(self.0, b.0))
        }
        #[inline(always)]
        unsafe fn is_nan(self) -> Self {
            F64x4(_mm256_cmp_pd::<_CMP_UNORD_Q>(self.0, self.0))
        }
        #[inline(always)]
        unsafe fn and(self, b: Self) -> Self {
            F64x4(_mm256_and_pd(self.0, b.0))
        }
        #[inline(always)]
        unsafe fn all(self) -> bool {
            _mm256_movemask_pd(self.0) == 0b1111
        }
        #[inline(always)]
        unsafe fn select(mask: Self, a: Self, b: Self) -> Self {
            F64x4(_mm256_blendv_pd(b.0, a.0, mask.0))
        }
        #[inline(always)]
        unsafe fn scale(self, kd: Self) -> Self {
            let k = _mm256_slli_epi64::<52>(bits64(kd));
            F64x4(_mm256_castsi256_pd(_mm256_add_epi64(bits64(self), k)))
        }
        #[inline(always)]
        unsafe fn split_exponent(self) -> (Self, Self) {
            const ONE: i64 = 0x3ff0_0000_0000_0000;
            const SQRT_HALF: i64 = 0x3fe6_a09e_667f_3bcd;
            const MANTISSA: i64 = 0x000f_ffff_ffff_ffff;
            // Offset so that the exponent field counts from sqrt(1/2): it holds k + 1023.
            let ix = _mm256_add_epi64(bits64(self), _mm256_set1_epi64x(ONE - SQRT_HALF));
            let m = _mm256_add_epi64(
                _mm256_and_si256(ix, _mm256_set1_epi64x(MANTISSA)),
                _mm256_set1_epi64x(SQRT_HALF),
            );
            // k + 1023 into the mantissa of 2^52 gives the float 2^52 + k + 1023.
            let biased = _mm256_or_si256(
                _mm256_srli_epi64::<52>(ix),
                _mm256_set1_epi64x(0x4330_0000_0000_0000),
            );
            let k = _mm256_sub_pd(
                _mm256_castsi256_pd(biased),
                _mm256_set1_pd(4503599627370496.0 + 1023.0),
            );
            (F64x4(k), F64x4(_mm256_castsi256_pd(m)))
        }
    }

    /// Eight `f32` lanes.
    #[derive(Clone, Copy)]
    pub(super) struct F32x8(__m256);

    /// The bits of each lane as integers.
    #[inline(always)]
    unsafe fn bits32(x: F32x8) -> __m256i {
        _mm256_castps_si256(x.0)
    }

    /// The first `N` coefficients of a series, rounded to `f32`.
    const fn to_f32<const N: usize>(c: &[f64]) -> [f32; N] {
        let mut out = [0.0; N];
        let mut i = 0;
        while i < N {
            out[i] = c[i] as f32;
            i += 1;
        }
        out
    }

    impl Simd for F32x8 {
        type Elem = f32;
        const LANES: usize = 8;
        const SHIFTER: f32 = 12582912.0; // 1.5 * 2^23
                                         // 355 / 512 = 0.693359375 has 9 significant bits.
        const LN2_HI: f32 = 355.0 / 512.0;
        const LN2_LO: f32 = (std::f64::consts::LN_2 - 355.0 / 512.0) as f32;
        // exp(-87) = 1.6e-38 > f32::MIN_POSITIVE.
        const EXP_FAST: f32 = 87.0;
        // exp(-110) < 2^-150, half the smallest subnormal; exp(89) > f32::MAX.
        const EXP_MIN: f32 = -110.0;
        const EXP_MAX: f32 = 89.0;
        // exp(-20) - 1 rounds to -1.
        const EXPM1_MIN: f32 = -20.0;
        // 1 - tanh(10) = 4.1e-9 < 2^-25.
        const TANH_ONE: f32 = 10.0;
        const LN1P_BIG: f32 = f32::from_bits((127 + 100) << 23); // 2^100
        const SUBNORMAL_SHIFT: f32 = 25.0;
        // (to 1/7!: the next term, r^6 / 8! < 2^-26 of r at |r| = ln2 / 2)
        const EXPM1_POLY: &'static [f32] = &to_f32::<6>(&INV_FACTORIALS);
        // (to 2/9: the next term, 2 z^4 / 11 < 2^-27 of z at |s| = 0.172)
        const LN_POLY: &'static [f32] = &to_f32::<4>(&ATANH_SERIES);

        #[inline(always)]
        unsafe fn splat(c: f32) -> Self {
            F32x8(_mm256_set1_ps(c))
        }
        #[inline(always)]
        unsafe fn load(p: *const f32) -> Self {
            F32x8(_mm256_loadu_ps(p))
        }
        #[inline(always)]
        unsafe fn store(self, p: *mut f32) {
            _mm256_storeu_ps(p, self.0)
        }
        #[inline(always)]
        unsafe fn add(self, b: Self) -> Self {
            F32x8(_mm256_add_ps(self.0, b.0))
        }
        #[inline(always)]
        unsafe fn sub(self, b: Self) -> Self {
            F32x8(_mm256_sub_ps(self.0, b.0))
        }
        #[inline(always)]
        unsafe fn mul(self, b: Self) -> Self {
            F32x8(_mm256_mul_ps(self.0, b.0))
        }
        #[inline(always)]
        unsafe fn div(self, b: Self) -> Self {
            F32x8(_mm256_div_ps(self.0, b.0))
        }
        #[inline(always)]
        unsafe fn mul_add(self, b: Self, c: Self) -> Self {
            F32x8(_mm256_fmadd_ps(self.0, b.0, c.0))
        }
        #[inline(always)]
        unsafe fn neg_mul_add(self, b: Self, c: Self) -> Self {
            F32x8(_mm256_fnmadd_ps(self.0, b.0, c.0))
        }
        #[inline(always)]
        unsafe fn min(self, b: Self) -> Self {
            F32x8(_mm256_min_ps(self.0, b.0))
        }
        #[inline(always)]
        unsafe fn max(self, b: Self) -> Self {
            F32x8(_mm256_max_ps(self.0, b.0))
        }
        #[inline(always)]
        unsafe fn abs(self) -> Self {
            F32x8(_mm256_andnot_ps(_mm256_set1_ps(-0.0), self.0))
        }
        #[inline(always)]
        unsafe fn neg_abs(self) -> Self {
            F32x8(_mm256_or_ps(_mm256_set1_ps(-0.0), self.0))
        }
        #[inline(always)]
        unsafe fn or_sign_of(self, x: Self) -> Self {
            F32x8(_mm256_or_ps(
                self.0,
                _mm256_and_ps(_mm256_set1_ps(-0.0), x.0),
            ))
        }
        #[inline(always)]
        unsafe fn floor(self) -> Self {
            F32x8(_mm256_floor_ps(self.0))
        }
        #[inline(always)]
        unsafe fn lt(self, b: Self) -> Self {
            F32x8(_mm256_cmp_ps::<_CMP_LT_OQ>(self.0, b.0))
        }
        #[inline(always)]
        unsafe fn le(self, b: Self) -> Self {
            F32x8(_mm256_cmp_ps::<_CMP_LE_OQ>(self.0, b.0))
        }
        #[inline(always)]
        unsafe fn gt(self, b: Self) -> Self {
            F32x8(_mm256_cmp_ps::<_CMP_GT_OQ>(self.0, b.0))
        }
        #[inline(always)]
        unsafe fn ge(self, b: Self) -> Self {
            F32x8(_mm256_cmp_ps::<_CMP_GE_OQ>(self.0, b.0))
        }
        #[inline(always)]
        unsafe fn eq(self, b: Self) -> Self {
            F32x8(_mm256_cmp_ps::<_CMP_EQ_OQ>(self.0, b.0))
        }
        #[inline(always)]
        unsafe fn not_ge(self, b: Self) -> Self {
            F32x8(_mm256_cmp_ps::<_CMP_NGE_UQ>(self.0, b.0))
        }
        #[inline(always)]
        unsafe fn is_nan(self) -> Self {
            F32x8(_mm256_cmp_ps::<_CMP_UNORD_Q>(self.0, self.0))
        }
        #[inline(always)]
        unsafe fn and(self, b: Self) -> Self {
            F32x8(_mm256_and_ps(self.0, b.0))
        }
        #[inline(always)]
        unsafe fn all(self) -> bool {
            _mm256_movemask_ps(self.0) == 0xff
        }
        #[inline(always)]
        unsafe fn select(mask: Self, a: Self, b: Self) -> Self {
            F32x8(_mm256_blendv_ps(b.0, a.0, mask.0))
        }
        #[inline(always)]
        unsafe fn scale(self, kd: Self) -> Self {
            let k = _mm256_slli_epi32::<23>(bits32(kd));
            F32x8(_mm256_castsi256_ps(_mm256_add_epi32(bits32(self), k)))
        }
        #[inline(always)]
        unsafe fn split_exponent(self) -> (Self, Self) {
            const ONE: i32 = 0x3f80_0000;
            const SQRT_HALF: i32 = 0x3f35_04f3;
            const MANTISSA: i32 = 0x007f_ffff;
            // Offset so that the exponent field counts from sqrt(1/2): it holds k + 127.
            let ix = _mm256_add_epi32(bits32(self), _mm256_set1_epi32(ONE - SQRT_HALF));
            let m = _mm256_add_epi32(
                _mm256_and_si256(ix, _mm256_set1_epi32(MANTISSA)),
                _mm256_set1_epi32(SQRT_HALF),
            );
            let k = _mm256_sub_epi32(_mm256_srli_epi32::<23>(ix), _mm256_set1_epi32(127));
            (F32x8(_mm256_cvtepi32_ps(k)), F32x8(_mm256_castsi256_ps(m)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    /// What the tests need of `f32` and `f64` beyond [`Float`].
    trait Lane: Float + std::fmt::LowerExp {
        /// The bits of `+inf`: the non-negative floats are the bit patterns `0..=INF_BITS`.
        const INF_BITS: u64;
        /// The float with these bits.
        fn from_bits(bits: u64) -> Self;
        /// `self`'s place in the ordered sequence of the type's floats (`-0` and `+0` share
        /// one), so that the distance in ulps is a difference of places.
        fn place(self) -> i64;
        /// libm's value: the `f64` function itself, or for `f32` the `f64` function rounded to
        /// `f32` (for `sigmoid`, `softplus`: their scalar formulas on `f64` libm functions).
        fn reference(f: Func, x: Self) -> Self;
        /// The documented bound, in ulps, of `f` for this type.
        fn bound(f: Func) -> u64;
    }

    impl Lane for f64 {
        const INF_BITS: u64 = 0x7ff0_0000_0000_0000;
        fn from_bits(bits: u64) -> Self {
            f64::from_bits(bits)
        }
        fn place(self) -> i64 {
            let b = self.to_bits() as i64;
            if b < 0 {
                i64::MIN - b
            } else {
                b
            }
        }
        fn reference(f: Func, x: Self) -> Self {
            f.scalar(x)
        }
        fn bound(f: Func) -> u64 {
            match f {
                Func::Exp | Func::Ln | Func::Ln1p => 1,
                Func::ExpM1 | Func::Sigmoid | Func::Softplus => 2,
                Func::Tanh => 3,
            }
        }
    }

    impl Lane for f32 {
        const INF_BITS: u64 = 0x7f80_0000;
        fn from_bits(bits: u64) -> Self {
            f32::from_bits(bits as u32)
        }
        fn place(self) -> i64 {
            let b = self.to_bits() as i32;
            (if b < 0 { i32::MIN - b } else { b }) as i64
        }
        fn reference(f: Func, x: Self) -> Self {
            f.scalar(x as f64) as f32
        }
        fn bound(f: Func) -> u64 {
            match f {
                Func::Exp | Func::Ln | Func::Ln1p => 1,
                Func::ExpM1 | Func::Sigmoid | Func::Softplus | Func::Tanh => 2,
            }
        }
    }

    /// The distance of `got` from `want` in ulps; `u64::MAX` if one is NaN and the other not,
    /// or if both are zeros of different signs.
    fn ulps<T: Lane>(got: T, want: T) -> u64 {
        if want.is_nan() || got.is_nan() {
            return if want.is_nan() && got.is_nan() {
                0
            } else {
                u64::MAX
            };
        }
        if want == T::zero()
            && got == T::zero()
            && want.is_sign_negative() != got.is_sign_negative()
        {
            return u64::MAX;
        }
        got.place().abs_diff(want.place())
    }

    /// The inputs the gradient tests use, the edges of each function's range, and the
    /// special values, with both signs.
    fn special_inputs<T: Lane>() -> Vec<T> {
        let mut x: Vec<f64> = vec![
            0.0,
            1.0,
            2.0,
            0.5,
            1e-300,
            1e-30,
            1e-10,
            1e-5,
            0.1,
            0.25,
            std::f64::consts::LN_2 / 2.0,
            std::f64::consts::LN_2,
            10.0,
            20.0,
            40.0,
            87.0,
            87.3,
            88.0,
            88.7,
            88.72,
            88.8,
            89.0,
            100.0,
            103.9,
            104.0,
            110.0,
            700.0,
            708.0,
            708.4,
            709.0,
            709.78,
            709.782712893384,
            709.79,
            710.0,
            745.0,
            745.13,
            745.2,
            750.0,
            1000.0,
            1e10,
            1e30,
            1e300,
            f64::MAX,
            f64::MIN_POSITIVE,
            f64::MIN_POSITIVE / 2.0,
            5e-324,
            f32::MAX as f64,
            f32::MIN_POSITIVE as f64,
            f32::MIN_POSITIVE as f64 / 2.0,
            1.4e-45,
            f64::INFINITY,
        ];
        for k in 1..60 {
            // Around -1 (ln_1p's pole) and 1 (ln's zero).
            let e = (-(k as f64)).exp2();
            x.extend([1.0 - e, 1.0 + e, -1.0 + e, -1.0 - e, e]);
        }
        let mut out: Vec<T> = x.iter().map(|&v| T::of(v)).collect();
        out.extend(x.iter().map(|&v| -T::of(v)));
        out.push(T::nan());
        out.push(-T::nan());
        out
    }

    /// Dense sweeps (every exponent through the bit patterns, and linear ones), random
    /// samples (uniform and random bit patterns) and the special inputs.
    fn inputs<T: Lane>() -> Vec<T> {
        let mut x = special_inputs::<T>();
        // Bit-pattern sweep: 2^19 floats evenly spaced in bits over all non-negative floats
        // (every binade gets the same share), and their negatives.
        let count = 1u64 << 19;
        for i in 0..=count {
            let v = T::from_bits(T::INF_BITS / count * i);
            x.extend([v, -v]);
        }
        // Linear sweeps: the whole range of exp, the range around zero, around -1 and 1.
        for (lo, hi, n) in [
            (-800.0, 800.0, 400_000),
            (-5.0, 5.0, 200_000),
            (-1e-3, 1e-3, 50_000),
            (-1.0, -0.9, 50_000),
            (0.9, 1.1, 50_000),
        ] {
            x.extend((0..=n).map(|i| T::of(lo + (hi - lo) * i as f64 / n as f64)));
        }
        let mut rng = StdRng::seed_from_u64(7);
        x.extend((0..200_000).map(|_| T::of(rng.gen_range(-100.0..100.0))));
        x.extend((0..200_000).map(|_| T::from_bits(rng.gen_range(0..2 * T::INF_BITS))));
        x
    }

    /// The largest error of `f` over [`inputs`] and the input where it occurs.
    fn max_error<T: Lane>(f: Func) -> (u64, T) {
        let x = inputs::<T>();
        let mut got = vec![T::zero(); x.len()];
        apply(f, &x, &mut got);
        x.iter()
            .zip(&got)
            .map(|(&xi, &gi)| (ulps(gi, T::reference(f, xi)), xi))
            .fold(
                (0, T::zero()),
                |worst, e| if e.0 > worst.0 { e } else { worst },
            )
    }

    fn within_bounds<T: Lane>() {
        for f in Func::ALL {
            let (err, at) = max_error::<T>(f);
            eprintln!("{f:?} {}: max {err} ulp (at {at:e})", T::DTYPE);
            assert!(
                err <= T::bound(f),
                "{f:?} {}: {err} ulp at x = {at:e} (bound {})",
                T::DTYPE,
                T::bound(f)
            );
        }
    }

    #[test]
    fn f64_errors_are_within_the_documented_bounds() {
        within_bounds::<f64>();
    }

    #[test]
    fn f32_errors_are_within_the_documented_bounds() {
        within_bounds::<f32>();
    }

    /// Every one of the 2^32 `f32` inputs, for every function: minutes of CPU, so run by hand,
    /// `cargo test --release -p autograd --lib exhaustive -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn f32_exhaustive_errors_are_within_the_documented_bounds() {
        let chunk = 1u64 << 16;
        for f in Func::ALL {
            let (mut worst, mut at) = (0, 0.0f32);
            let mut got = vec![0.0f32; chunk as usize];
            for start in (0..1u64 << 32).step_by(chunk as usize) {
                let x: Vec<f32> = (start..start + chunk)
                    .map(|b| f32::from_bits(b as u32))
                    .collect();
                apply(f, &x, &mut got);
                for (&xi, &gi) in x.iter().zip(&got) {
                    let e = ulps(gi, f32::reference(f, xi));
                    if e > worst {
                        (worst, at) = (e, xi);
                    }
                }
            }
            eprintln!("{f:?} f32, all inputs: max {worst} ulp (at {at:e})");
            assert!(worst <= f32::bound(f), "{f:?}: {worst} ulp at {at:e}");
        }
    }

    /// `f` of each element of `x`, in a new vector, by [`map`] appending to a vector that
    /// already holds one element (left as it was).
    fn mapped<T: Float>(f: Func, x: &[T]) -> Vec<T> {
        let mut out = vec![T::of(0.5)];
        map(f, x, &mut out);
        assert_eq!(out[0], T::of(0.5), "map overwrote what `out` held");
        out.split_off(1)
    }

    /// Each element's result is the same bits wherever it sits: alone, at any offset, in a
    /// vector with special values or in the padded tail.
    fn position_independent<T: Lane>() {
        let specials = special_inputs::<T>();
        let mut rng = StdRng::seed_from_u64(11);
        let x: Vec<T> = (0..1000)
            .map(|_| {
                if rng.gen_bool(0.2) {
                    specials[rng.gen_range(0..specials.len())]
                } else {
                    T::of(rng.gen_range(-30.0..30.0))
                }
            })
            .collect();
        for f in Func::ALL {
            let whole = mapped(f, &x);
            let bits = |v: &[T]| v.iter().map(|&y| y.f64().to_bits()).collect::<Vec<_>>();
            for start in 0..9 {
                for len in [0, 1, 3, 7, 8, 9, 17, 100] {
                    let part = &x[start..start + len];
                    assert_eq!(
                        bits(&mapped(f, part)),
                        bits(&whole[start..start + len]),
                        "{f:?} {}: x[{start}..{}]",
                        T::DTYPE,
                        start + len
                    );
                }
            }
            let mut in_place = x.clone();
            apply_in_place(f, &mut in_place);
            assert_eq!(bits(&in_place), bits(&whole), "{f:?} in place");
        }
    }

    #[test]
    fn results_do_not_depend_on_position() {
        position_independent::<f32>();
        position_independent::<f64>();
    }

    #[test]
    fn sum_of_matches_the_sum_of_the_map() {
        let x: Vec<f64> = (0..1000).map(|i| (i as f64 - 500.0) / 37.0).collect();
        let want: f64 = mapped(Func::Softplus, &x).iter().sum();
        let got = sum_of(Func::Softplus, &x, |v| v);
        assert!((got - want).abs() <= 1e-12 * want.abs(), "{got} vs {want}");
        let shifted = sum_of(Func::Exp, &x, |v| -v - 2.0);
        let want: f64 = x.iter().map(|&v| (-v - 2.0).exp()).sum();
        assert!(
            (shifted - want).abs() <= 1e-12 * want,
            "{shifted} vs {want}"
        );
    }

    /// Maps and sums long enough to run on two threads give the same bits on one thread and on
    /// two, and the long sum matches the left-to-right sum in `f64` closely.
    #[test]
    fn long_maps_and_sums_are_the_same_for_any_thread_count() {
        use crate::kernels::parallel::set_num_threads;
        let n = 3 * PARALLEL_MIN + 13;
        let x: Vec<f64> = (0..n)
            .map(|i| ((i * 7919) % 2003) as f64 / 97.0 - 10.0)
            .collect();
        let by = |threads| {
            set_num_threads(threads);
            let mut inplace = x.clone();
            apply_in_place(Func::Tanh, &mut inplace);
            let mut out = vec![0.0; n];
            apply(
                Func::Ln1p,
                &x.iter().map(|v| v.abs()).collect::<Vec<_>>(),
                &mut out,
            );
            (
                mapped(Func::Softplus, &x),
                inplace,
                out,
                sum_of(Func::Softplus, &x, |v| -v),
            )
        };
        let (one, two) = (by(1), by(2));
        assert_eq!(one.0, two.0);
        assert_eq!(one.1, two.1);
        assert_eq!(one.2, two.2);
        assert_eq!(one.3.to_bits(), two.3.to_bits());
        let want: f64 = x.iter().map(|&v| softplus(-v)).sum();
        assert!((one.3 - want).abs() <= 1e-12 * want, "{} vs {want}", one.3);
    }
}
