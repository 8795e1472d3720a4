//! The AVX2/FMA micro-kernel: twelve accumulator registers (`MR = 6` rows by two 256-bit
//! vectors), one broadcast of `A` and two loads of `B` per six rows of FMAs. Written with
//! intrinsics because LLVM, given the same loop in plain Rust, sometimes keeps the accumulators
//! in memory (twelve stores per iteration: half the speed).

use super::{store_tile, OutMat, Tile, MR};
use std::arch::x86_64::*;

/// Marker for the AVX2/FMA kernels; only callable from code compiled with those features.
pub(crate) struct Avx;

/// The few vector operations the kernel needs, for one element type.
pub(crate) trait Lanes: Copy {
    type V: Copy;
    const LANES: usize;
    unsafe fn vzero() -> Self::V;
    unsafe fn splat(x: Self) -> Self::V;
    unsafe fn load(p: *const Self) -> Self::V;
    unsafe fn store(p: *mut Self, v: Self::V);
    unsafe fn vadd(a: Self::V, b: Self::V) -> Self::V;
    unsafe fn fma(a: Self::V, b: Self::V, c: Self::V) -> Self::V;
}

macro_rules! lanes {
    ($t:ty, $v:ty, $n:literal, $zero:ident, $set1:ident, $load:ident, $store:ident, $add:ident, $fma:ident) => {
        impl Lanes for $t {
            type V = $v;
            const LANES: usize = $n;
            #[inline(always)]
            unsafe fn vzero() -> $v {
                unsafe { $zero() }
            }
            #[inline(always)]
            unsafe fn splat(x: $t) -> $v {
                unsafe { $set1(x) }
            }
            #[inline(always)]
            unsafe fn load(p: *const $t) -> $v {
                unsafe { $load(p) }
            }
            #[inline(always)]
            unsafe fn store(p: *mut $t, v: $v) {
                unsafe { $store(p, v) }
            }
            #[inline(always)]
            unsafe fn vadd(a: $v, b: $v) -> $v {
                unsafe { $add(a, b) }
            }
            #[inline(always)]
            unsafe fn fma(a: $v, b: $v, c: $v) -> $v {
                unsafe { $fma(a, b, c) }
            }
        }
    };
}

lanes!(
    f32,
    __m256,
    8,
    _mm256_setzero_ps,
    _mm256_set1_ps,
    _mm256_loadu_ps,
    _mm256_storeu_ps,
    _mm256_add_ps,
    _mm256_fmadd_ps
);
lanes!(
    f64,
    __m256d,
    4,
    _mm256_setzero_pd,
    _mm256_set1_pd,
    _mm256_loadu_pd,
    _mm256_storeu_pd,
    _mm256_add_pd,
    _mm256_fmadd_pd
);

/// The kernel for `NR = 2 * T::LANES`.
#[inline(always)]
unsafe fn tile<T: Lanes + crate::Float, const NR: usize>(
    kc: usize,
    a: &[T],
    b: &[T],
    c: OutMat<T>,
    mr: usize,
    nr: usize,
    accumulate: bool,
) {
    debug_assert!(NR == 2 * T::LANES && a.len() >= kc * MR && b.len() >= kc * NR);
    let l = T::LANES;
    // SAFETY: the loads stay inside the packed strips (asserted length), the stores inside the
    // block the caller vouches for.
    unsafe {
        let mut acc = [[T::vzero(); 2]; MR];
        let (mut ap, mut bp) = (a.as_ptr(), b.as_ptr());
        for _ in 0..kc {
            let b0 = T::load(bp);
            let b1 = T::load(bp.add(l));
            for (r, row) in acc.iter_mut().enumerate() {
                let ar = T::splat(*ap.add(r));
                row[0] = T::fma(ar, b0, row[0]);
                row[1] = T::fma(ar, b1, row[1]);
            }
            ap = ap.add(MR);
            bp = bp.add(NR);
        }
        if mr == MR && nr == NR && c.col_stride == 1 {
            for (r, row) in acc.iter().enumerate() {
                let dst = c.ptr.add(r * c.row_stride);
                let (mut v0, mut v1) = (row[0], row[1]);
                if accumulate {
                    v0 = T::vadd(T::load(dst), v0);
                    v1 = T::vadd(T::load(dst.add(l)), v1);
                }
                T::store(dst, v0);
                T::store(dst.add(l), v1);
            }
        } else {
            let mut buf = [[<T as num_traits::Zero>::zero(); NR]; MR];
            for (row, out) in acc.iter().zip(buf.iter_mut()) {
                T::store(out.as_mut_ptr(), row[0]);
                T::store(out.as_mut_ptr().add(l), row[1]);
            }
            store_tile(&buf, c, mr, nr, accumulate);
        }
    }
}

impl Tile<f32, 16> for Avx {
    #[inline(always)]
    unsafe fn tile(
        kc: usize,
        a: &[f32],
        b: &[f32],
        c: OutMat<f32>,
        mr: usize,
        nr: usize,
        acc: bool,
    ) {
        unsafe { tile::<f32, 16>(kc, a, b, c, mr, nr, acc) }
    }
}

impl Tile<f64, 8> for Avx {
    #[inline(always)]
    unsafe fn tile(
        kc: usize,
        a: &[f64],
        b: &[f64],
        c: OutMat<f64>,
        mr: usize,
        nr: usize,
        acc: bool,
    ) {
        unsafe { tile::<f64, 8>(kc, a, b, c, mr, nr, acc) }
    }
}

/// Horizontal sum of a vector.
pub(crate) trait HSum: Lanes {
    unsafe fn hsum(v: Self::V) -> Self;
}

impl HSum for f32 {
    #[inline(always)]
    unsafe fn hsum(v: __m256) -> f32 {
        unsafe {
            let s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
            let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
            let s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
            _mm_cvtss_f32(s)
        }
    }
}

impl HSum for f64 {
    #[inline(always)]
    unsafe fn hsum(v: __m256d) -> f64 {
        unsafe {
            let s = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
            let s = _mm_add_sd(s, _mm_unpackhi_pd(s, s));
            _mm_cvtsd_f64(s)
        }
    }
}

/// `C = A B^T`-shaped products with both operands contiguous along the inner dimension (`A`
/// row-major, `B` the transpose of a row-major matrix: the forward `X W^T` of a dense layer):
/// each output is a dot product of two contiguous rows, so nothing is packed. A block of
/// `3 x 4` outputs keeps twelve vector accumulators; per step of one vector along `k` it loads
/// three rows of `A` and four of `W` for twelve FMAs.
///
/// # Safety
/// `a.col_stride == 1`, `b.row_stride == 1`, operands in bounds, `c` a writable `m x n` matrix;
/// the CPU has AVX2 and FMA.
#[target_feature(enable = "avx2,fma")]
pub(crate) unsafe fn dot_nt<T: Lanes + HSum + crate::Float>(
    a: crate::kernels::matmul::MatRef<'_, T>,
    b: crate::kernels::matmul::MatRef<'_, T>,
    c: OutMat<T>,
) {
    const RA: usize = 3;
    /// Bytes of `A` kept in L2 (512 KB per core here) while `W` streams.
    const A_BLOCK_BYTES: usize = 448 * 1024;
    const RB: usize = 4;
    let (m, k, n) = (a.rows, a.cols, b.cols);
    let l = T::LANES;
    let kv = k - k % l;
    // SAFETY: every row pointer below addresses a row of `a` or of `b^T` inside its data, read
    // for k elements; outputs stay inside the m x n block of `c`.
    unsafe {
        let arow = |i: usize| a.data.as_ptr().add(a.offset + i * a.row_stride);
        let brow = |j: usize| b.data.as_ptr().add(b.offset + j * b.col_stride);
        // Rows of A in blocks that stay in L2 while every row of W streams past them once.
        let rows_per_block = (A_BLOCK_BYTES / (k * std::mem::size_of::<T>())).max(RA) / RA * RA;
        for ib in (0..m).step_by(rows_per_block) {
            let i_end = m.min(ib + rows_per_block);
            let mut j0 = 0;
            while j0 < n {
                let nb = RB.min(n - j0);
                let mut i0 = ib;
                while i0 < i_end {
                    let mb = RA.min(i_end - i0);
                    // Rows past the edge repeat the last real row: computed, never stored.
                    let ap: [*const T; RA] = std::array::from_fn(|r| arow(i0 + r.min(mb - 1)));
                    let bp: [*const T; RB] = std::array::from_fn(|s| brow(j0 + s.min(nb - 1)));
                    let mut acc = [[T::vzero(); RB]; RA];
                    let mut p = 0;
                    while p < kv {
                        let av: [T::V; RA] = std::array::from_fn(|r| T::load(ap[r].add(p)));
                        for s in 0..RB {
                            let bv = T::load(bp[s].add(p));
                            for r in 0..RA {
                                acc[r][s] = T::fma(av[r], bv, acc[r][s]);
                            }
                        }
                        p += l;
                    }
                    for r in 0..mb {
                        for s in 0..nb {
                            let mut sum = T::hsum(acc[r][s]);
                            for q in kv..k {
                                sum = sum + *ap[r].add(q) * *bp[s].add(q);
                            }
                            *c.ptr.add((i0 + r) * c.row_stride + (j0 + s) * c.col_stride) = sum;
                        }
                    }
                    i0 += RA;
                }
                j0 += RB;
            }
        }
    }
}
