//! Register-blocked direct kernels for cyclic correlation, O(B d^2): the small-`d` path behind
//! [`fft::cyclic_corr`](super::fft::cyclic_corr) and its two adjoints.
//!
//! Both kernels are GEMM micro-kernels in disguise:
//!
//! - [`conv_rows`]: `out[b, i] = sum_m a[b, m] c[(i - m) mod d]` is `A C` with the circulant
//!   matrix `C[m, i] = c[(i - m) mod d]`. Row `m` of `C`, columns `i0..i0 + NR`, is the
//!   contiguous slice `c_ext[i0 + d - m..][..NR]` of the periodic extension
//!   `c_ext[t] = c[t mod d]`, so the `C` operand needs no packing and the wrap-around costs
//!   nothing in the inner loop.
//! - [`corr_sum`]: `out[k] = sum_b sum_i g[b, i] x[b, (i + k) mod d]` is the sum of the cyclic
//!   diagonals of `M = G^T X` (`M[i, m] = sum_b g[b, i] x[b, m]`, `k = (m - i) mod d`), a
//!   product whose reduction runs over the batch.
//!
//! Each tile keeps `MR x NR` accumulators in registers (`MR = 6` rows, `NR` = two 256-bit
//! vectors: 16 `f32` or 8 `f64`), so one step of the reduction loads two vectors and `MR`
//! scalars for `2 MR` vector FMAs. The loops are written over fixed-size arrays so that LLVM
//! vectorises them; on x86-64 the same code is also compiled with AVX2 + FMA and chosen at
//! run time when the CPU has them.
//!
//! Results are bit-identical on every machine: each output is a sum in a fixed order (the
//! reduction index increasing) of fused multiply-adds, and `mul_add` is correctly rounded
//! whether it is one instruction or the portable (slow) software fallback.

use std::mem::size_of;

use num_traits::Float;

/// Rows of a register tile.
const MR: usize = 6;

/// `out[b, i] = sum_{m<d} a[b, m] c[(i - m) mod d]` for every row `b` of `a` `[B, d]`: the
/// cyclic convolution of each row with `c` `[d]`, summed in increasing `m`. `out` is
/// overwritten.
///
/// Panics if `a.len()` is not a multiple of `d`, `c.len() != d` or `out.len() != a.len()`
/// (caller bugs: the public kernels check lengths first, with their own names).
pub fn conv_rows<T: Float>(a: &[T], c: &[T], d: usize, out: &mut [T]) {
    assert!(d > 0 && a.len() % d == 0 && c.len() == d && out.len() == a.len());
    if size_of::<T>() == 4 {
        with_simd(|| conv_rows_tiled::<T, 16>(a, c, d, out));
    } else {
        with_simd(|| conv_rows_tiled::<T, 8>(a, c, d, out));
    }
}

/// `out[k] = sum_b sum_{i<d} g[b, i] x[b, (i + k) mod d]` for `g`, `x` `[B, d]`, `out` `[d]`:
/// the cyclic cross-correlations of the rows, summed over the batch. `out` is overwritten.
///
/// Panics if `g.len()` is not a multiple of `d`, `x.len() != g.len()` or `out.len() != d`.
pub fn corr_sum<T: Float>(g: &[T], x: &[T], d: usize, out: &mut [T]) {
    assert!(d > 0 && g.len() % d == 0 && x.len() == g.len() && out.len() == d);
    if size_of::<T>() == 4 {
        with_simd(|| corr_sum_tiled::<T, 16>(g, x, d, out));
    } else {
        with_simd(|| corr_sum_tiled::<T, 8>(g, x, d, out));
    }
}

/// Runs `kernel` compiled with AVX2 + FMA if this CPU has them, else as compiled for the
/// baseline target. The kernels are `#[inline(always)]`, so they are inlined into the closure
/// and the closure into [`with_avx2_fma`], which compiles them for that instruction set.
#[inline(always)]
fn with_simd(kernel: impl FnOnce()) {
    #[cfg(target_arch = "x86_64")]
    if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
        // SAFETY: the CPU supports both features, as just checked.
        return unsafe { with_avx2_fma(kernel) };
    }
    kernel()
}

/// Calls `kernel` in a function compiled with AVX2 and FMA.
///
/// # Safety
/// The CPU must support AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn with_avx2_fma(kernel: impl FnOnce()) {
    kernel()
}

/// `acc[r][j] += a[r] * b[j]` (fused) for the whole tile: one step of a GEMM reduction.
#[inline(always)]
fn rank_one_update<T: Float, const NR: usize>(acc: &mut [[T; NR]; MR], a: &[T; MR], b: &[T; NR]) {
    for (acc_row, &a_r) in acc.iter_mut().zip(a) {
        for (acc_rj, &b_j) in acc_row.iter_mut().zip(b) {
            *acc_rj = a_r.mul_add(b_j, *acc_rj);
        }
    }
}

/// `panel[m][r] = a[b0 + r, m]` for `m < d`, `r < W`: the block of `W` rows of the row-major
/// `[_, d]` buffer `a` starting at row `b0`, transposed; zero past the last row.
fn pack_row_block<T: Float, const W: usize>(a: &[T], d: usize, b0: usize, panel: &mut Vec<[T; W]>) {
    let rows = a.len() / d;
    panel.clear();
    panel.extend((0..d).map(|m| {
        std::array::from_fn(|r| {
            if b0 + r < rows {
                a[(b0 + r) * d + m]
            } else {
                T::zero()
            }
        })
    }));
}

/// `panel[b][j] = x[b, c0 + j]` for every row `b` and `j < W`: the block of `W` columns of the
/// row-major `[_, d]` buffer `x` starting at column `c0`; zero past column `d`.
fn pack_column_block<T: Float, const W: usize>(x: &[T], d: usize, c0: usize) -> Vec<[T; W]> {
    x.chunks_exact(d)
        .map(|row| std::array::from_fn(|j| row.get(c0 + j).copied().unwrap_or(T::zero())))
        .collect()
}

/// [`conv_rows`] with `MR x NR` register tiles: for each block of `MR` rows (packed as
/// `panel[m][r] = a[b0 + r, m]`), for each block of `NR` output columns, the reduction over `m`.
#[inline(always)]
fn conv_rows_tiled<T: Float, const NR: usize>(a: &[T], c: &[T], d: usize, out: &mut [T]) {
    let rows = a.len() / d;
    // c_ext[t] = c[t mod d] for t < 2d + NR - 1, enough for the last column block.
    let c_ext: Vec<T> = (0..2 * d + NR - 1).map(|t| c[t % d]).collect();
    let mut panel: Vec<[T; MR]> = Vec::with_capacity(d);
    for b0 in (0..rows).step_by(MR) {
        pack_row_block(a, d, b0, &mut panel);
        for i0 in (0..d).step_by(NR) {
            let mut acc = [[T::zero(); NR]; MR];
            // Window number d - 1 - m is c_ext[i0 + d - m..][..NR]: row m of C.
            let windows = c_ext[i0 + 1..i0 + d + NR].windows(NR).rev();
            for (a_m, c_m) in panel.iter().zip(windows) {
                let c_m: &[T; NR] = c_m.try_into().expect("windows have length NR");
                rank_one_update(&mut acc, a_m, c_m);
            }
            let cols = NR.min(d - i0);
            for (r, acc_r) in acc.iter().enumerate().take(rows - b0) {
                let at = (b0 + r) * d + i0;
                out[at..at + cols].copy_from_slice(&acc_r[..cols]);
            }
        }
    }
}

/// [`corr_sum`] with `MR x NR` register tiles of `M = G^T X`: for each block of `MR` rows `i` of
/// `M` and `NR` columns `m`, the reduction over the batch, then the tile's entries added to
/// `out[(m - i) mod d]`.
#[inline(always)]
fn corr_sum_tiled<T: Float, const NR: usize>(g: &[T], x: &[T], d: usize, out: &mut [T]) {
    out.fill(T::zero());
    let x_blocks: Vec<Vec<[T; NR]>> = (0..d)
        .step_by(NR)
        .map(|m0| pack_column_block(x, d, m0))
        .collect();
    for i0 in (0..d).step_by(MR) {
        let g_panel: Vec<[T; MR]> = pack_column_block(g, d, i0);
        for (m0, x_panel) in (0..d).step_by(NR).zip(&x_blocks) {
            let mut acc = [[T::zero(); NR]; MR];
            for (g_b, x_b) in g_panel.iter().zip(x_panel) {
                rank_one_update(&mut acc, g_b, x_b);
            }
            for (i, acc_i) in (i0..d).zip(&acc) {
                for (m, &v) in (m0..d).zip(acc_i) {
                    let k = (m + d - i) % d;
                    out[k] = out[k] + v;
                }
            }
        }
    }
}
