//! The AVX2/FMA micro-kernel: twelve accumulator registers (`MR = 6` rows by two 256-bit
//! vectors), one broadcast of `A` and two loads of `B` per six rows of FMAs. Written with
//! intrinsics because LLVM, given the same loop in plain Rust, sometimes keeps the accumulators
//! in memory (twelve stores per iteration: half the speed).

use super::{OutMat, Tile, MR};
use crate::kernels::matmul::MatRef;
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

/// `acc[r][v] += sum_p a(r, p) b(p, v)` over `kc` steps of rank-1 updates, all in registers:
/// element `(r, p)` of `A` is at `a[r] + p * a_step` (broadcast from memory, so any layout of `A`
/// works; the step is signed, so `A` may be walked backwards, as the cyclic kernels of
/// [`circulant`](crate::kernels::circulant) do), and the `V` vectors of row `p` of `B` start at
/// `b + p * b_step` (contiguous). Each accumulator sums its terms in increasing `p`, one fused
/// multiply-add each: the order the portable kernels reproduce bit for bit.
///
/// Unrolled by four so that the loop counter and the pointer updates are paid once per four
/// steps of `R V` FMAs; with `R V >= 8` accumulators the FMA latency (4 cycles, 2 units) is
/// hidden.
///
/// # Safety
/// Every address named above, for `p < kc`, is readable.
#[inline(always)]
pub(crate) unsafe fn rank1_updates<T: Lanes, const R: usize, const V: usize>(
    kc: usize,
    a: [*const T; R],
    a_step: isize,
    b: *const T,
    b_step: usize,
    acc: &mut [[T::V; V]; R],
) {
    /// One rank-1 update, step `p`. A function, not a closure: closures are compiled without
    /// the caller's target features, and the intrinsics in them would not be inlined.
    #[inline(always)]
    unsafe fn step<T: Lanes, const R: usize, const V: usize>(
        acc: &mut [[T::V; V]; R],
        a: &[*const T; R],
        ap: isize,
        b: *const T,
    ) {
        // SAFETY: as the contract of `rank1_updates`.
        unsafe {
            let bv: [T::V; V] = std::array::from_fn(|v| T::load(b.add(v * T::LANES)));
            for (row, &ar) in acc.iter_mut().zip(a) {
                let ar = T::splat(*ar.offset(ap));
                for (x, &bx) in row.iter_mut().zip(&bv) {
                    *x = T::fma(ar, bx, *x);
                }
            }
        }
    }
    // One running offset into A and one into B, bumped once per step and hidden from the
    // optimiser after each bump (`opaque`): when it sees `pa + j a_step` for the unrolled steps
    // `j` with a step known only at run time, LLVM keeps a pointer per row and per unrolled
    // step (24 for six rows, 48 for twelve), more than the sixteen general registers, and
    // spills them (the `k = 10` product `G W` ran 1.15-1.2x slower).
    let (mut pa, mut pb) = (0, 0);
    // SAFETY: as this function's contract.
    unsafe {
        for _ in 0..kc / 4 {
            for _ in 0..4 {
                step(acc, &a, pa, b.offset(pb));
                pa = opaque(pa + a_step);
                pb = opaque(pb + b_step as isize);
            }
        }
        for _ in 0..kc % 4 {
            step(acc, &a, pa, b.offset(pb));
            pa = opaque(pa + a_step);
            pb = opaque(pb + b_step as isize);
        }
    }
}

/// `x`, through an empty `asm!` statement: the optimiser no longer knows how it was computed,
/// so it cannot rewrite the addresses derived from it (see [`rank1_updates`]). Costs nothing:
/// the statement emits no instruction.
#[inline(always)]
fn opaque(mut x: isize) -> isize {
    // SAFETY: the statement is empty: it reads and writes nothing but `x`'s register.
    unsafe {
        std::arch::asm!("/* {0} */", inout(reg) x, options(pure, nomem, nostack, preserves_flags))
    };
    x
}

/// Asks the cache for the `R` rows of `width` elements at `c` (the tile about to be written), so
/// that the stores after the FMA loop do not wait for them. A hint: it never faults.
#[inline(always)]
fn prefetch_tile<T, const R: usize>(c: OutMat<T>, width: usize) {
    for r in 0..R {
        let row = c.ptr.wrapping_add(r * c.row_stride);
        // SAFETY: prefetching is a hint and cannot fault, whatever the address.
        unsafe {
            _mm_prefetch::<_MM_HINT_T0>(row.cast::<i8>());
            _mm_prefetch::<_MM_HINT_T0>(row.wrapping_add(width - 1).cast::<i8>());
        }
    }
}

/// Writes (or, with `accumulate`, adds) the top-left `mr x nr` of the `R x V`-vector tile `acc`
/// into `c`: whole vectors when the tile is complete and `c` is row-major, else element by
/// element.
///
/// # Safety
/// `c` addresses a writable `mr x nr` block.
#[inline(always)]
pub(crate) unsafe fn store_acc<T: Lanes + crate::Float, const R: usize, const V: usize>(
    acc: &[[T::V; V]; R],
    c: OutMat<T>,
    mr: usize,
    nr: usize,
    accumulate: bool,
) {
    let l = T::LANES;
    // SAFETY: rows < mr and columns < nr of the block the caller vouches for.
    unsafe {
        if mr == R && nr == V * l && c.col_stride == 1 {
            for (r, row) in acc.iter().enumerate() {
                let dst = c.ptr.add(r * c.row_stride);
                for (v, &x) in row.iter().enumerate() {
                    let d = dst.add(v * l);
                    T::store(
                        d,
                        if accumulate {
                            T::vadd(T::load(d), x)
                        } else {
                            x
                        },
                    );
                }
            }
            return;
        }
        let mut lanes = [<T as num_traits::Zero>::zero(); 8];
        for (r, row) in acc.iter().enumerate().take(mr) {
            for (v, &x) in row.iter().enumerate() {
                T::store(lanes.as_mut_ptr(), x);
                for (j, &y) in lanes
                    .iter()
                    .enumerate()
                    .take(nr.saturating_sub(v * l).min(l))
                {
                    let d = c.ptr.add(r * c.row_stride + (v * l + j) * c.col_stride);
                    *d = if accumulate { *d + y } else { y };
                }
            }
        }
    }
}

/// The packed micro-kernel, `NR = 2 * T::LANES`: [`rank1_updates`] on an `MR`-row strip of
/// packed `A` and an `NR`-column strip of packed `B`.
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
    prefetch_tile::<T, MR>(c, NR);
    let mut acc = [[T::vzero(); 2]; MR];
    // SAFETY: the strips hold kc packed rows (asserted length); the stores stay inside the
    // block the caller vouches for.
    unsafe {
        let ap = a.as_ptr();
        rank1_updates(
            kc,
            std::array::from_fn(|r| ap.add(r)),
            MR as isize,
            b.as_ptr(),
            NR,
            &mut acc,
        );
        store_acc(&acc, c, mr, nr, accumulate);
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

/// `C = A B` without packing anything, for `B` contiguous along `n` (`b.col_stride == 1`) and
/// `A` in any layout: each `R x NR` tile of `C` is [`rank1_updates`] over the whole inner
/// dimension, broadcasting `A` from where it lies and loading rows of `B` in place, then stored
/// once. For the skinny products where packing costs as much as the FMAs: few rows
/// (`G^T H` with 10 rows, `R = 5` twice) or a short inner dimension (`G W` with `k = 10`, where a
/// packed kernel spends its time on packing and on the loads and stores of `C`).
///
/// Columns go in blocks whose slab of `B` (`k x NB`) stays in L2 (all of `B` for the MLP
/// shapes); inside a block, row blocks run outermost so that `C` is written row by row and the
/// `A` pointers are set up once per `R` rows. The last strip, narrower than `NR`, is copied
/// zero-padded into `edge` so its vector loads stay in bounds.
///
/// # Safety
/// `b.col_stride == 1`, `NR == 2 * T::LANES`, operands in bounds, `c` a writable `m x n`
/// matrix, `edge` at least `k * NR` long; the CPU has AVX2 and FMA.
#[target_feature(enable = "avx2,fma")]
pub(crate) unsafe fn direct<T: Lanes + crate::Float, const R: usize, const NR: usize>(
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    c: OutMat<T>,
    edge: &mut [T],
) {
    /// Bytes of `B` a column block may span: half of this machine's 512 KB L2.
    const B_BLOCK_BYTES: usize = 256 * 1024;
    debug_assert!(NR == 2 * T::LANES && b.col_stride == 1 && edge.len() >= a.cols * NR);
    let (m, k, n) = (a.rows, a.cols, b.cols);
    let nb = (B_BLOCK_BYTES / (k * std::mem::size_of::<T>())).max(NR) / NR * NR;
    let full = n / NR * NR;
    if full < n {
        super::pack_b::<T, NR>(b.col_range(full, n - full), 0, k, edge);
    }
    // SAFETY: rows of A below are clamped to the matrix, loads of B stay within full strips or
    // `edge`, and tiles are stored clipped to `m x n`.
    unsafe {
        for jb in (0..n).step_by(nb) {
            for i0 in (0..m).step_by(R) {
                let mr = R.min(m - i0);
                // Rows past the edge repeat the last real row: computed, never stored.
                let ap = std::array::from_fn(|r| {
                    a.data
                        .as_ptr()
                        .add(a.offset + (i0 + r.min(mr - 1)) * a.row_stride)
                });
                for j0 in (jb..n.min(jb + nb)).step_by(NR) {
                    let nr = NR.min(n - j0);
                    let (bp, b_step) = if nr == NR {
                        (b.data.as_ptr().add(b.offset + j0), b.row_stride)
                    } else {
                        (edge.as_ptr(), NR)
                    };
                    let tile = c.at(i0, j0);
                    prefetch_tile::<T, R>(tile, nr);
                    let mut acc = [[T::vzero(); 2]; R];
                    rank1_updates(k, ap, a.col_stride as isize, bp, b_step, &mut acc);
                    store_acc(&acc, tile, mr, nr, false);
                }
            }
        }
    }
}

/// `C = A B^T`-shaped products with both operands contiguous along the inner dimension (`A`
/// row-major, `B` the transpose of a row-major matrix: the forward `X W^T` of a dense layer):
/// each output is a dot product of two contiguous rows, so nothing is packed. Blocks of
/// `3 x 4` or `2 x 5` outputs (whichever pads `m x n` less: `2 x 5` for 10 output columns) keep
/// twelve or ten vector accumulators, the same two FMAs per output per vector step.
///
/// # Safety
/// `a.col_stride == 1`, `b.row_stride == 1`, operands in bounds, `c` a writable `m x n` matrix;
/// the CPU has AVX2 and FMA.
#[target_feature(enable = "avx2,fma")]
pub(crate) unsafe fn dot_nt<T: Lanes + HSum + crate::Float>(
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    c: OutMat<T>,
) {
    let padded = |ra: usize, rb: usize| a.rows.div_ceil(ra) * ra * b.cols.div_ceil(rb) * rb;
    // SAFETY: as this function's contract.
    unsafe {
        if padded(2, 5) < padded(3, 4) {
            dot_nt_blocks::<T, 2, 5>(a, b, c)
        } else {
            dot_nt_blocks::<T, 3, 4>(a, b, c)
        }
    }
}

/// [`dot_nt`] by blocks of `RA x RB` outputs: per step of one vector along `k`, `RA` loads of
/// `A`, `RB` of `W`, `RA RB` FMAs.
///
/// # Safety
/// As [`dot_nt`].
#[inline(always)]
unsafe fn dot_nt_blocks<T: Lanes + HSum + crate::Float, const RA: usize, const RB: usize>(
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    c: OutMat<T>,
) {
    /// Bytes of `A` kept in L2 (512 KB per core here) while `W` streams.
    const A_BLOCK_BYTES: usize = 448 * 1024;
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
