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
//! scalars for `2 MR` vector FMAs (`tile`). On x86-64 with AVX2 + FMA (detected at run time)
//! the tile runs on `std::arch` intrinsics (module `avx2`); elsewhere a portable loop of
//! `mul_add` computes it. (LLVM does not vectorise the portable loop by itself: it was
//! measured to compile to scalar FMAs even with AVX2 enabled.)
//!
//! Results are bit-identical on every machine: each output is a sum in a fixed order of fused
//! multiply-adds, and a fused multiply-add is correctly rounded whether it is a vector lane,
//! a scalar instruction or the (slow) software `fma` of a CPU without FMA.

use std::mem::size_of;

use num_traits::Float;

/// Rows of a register tile.
const MR: usize = 6;

/// `out[b, i] = sum_{m<d} a[b, m] c[(i - m) mod d]` for every row `b` of `a` `[B, d]`: the
/// cyclic convolution of each row with `c` `[d]`, summed in decreasing `m`. `out` is
/// overwritten.
///
/// Panics if `a.len()` is not a multiple of `d`, `c.len() != d` or `out.len() != a.len()`
/// (caller bugs: the public kernels check lengths first, with their own names).
pub fn conv_rows<T: Float + 'static>(a: &[T], c: &[T], d: usize, out: &mut [T]) {
    assert!(d > 0 && a.len() % d == 0 && c.len() == d && out.len() == a.len());
    if size_of::<T>() == 4 {
        conv_rows_tiled::<T, 16>(a, c, d, out);
    } else {
        conv_rows_tiled::<T, 8>(a, c, d, out);
    }
}

/// `out[k] = sum_b sum_{i<d} g[b, i] x[b, (i + k) mod d]` for `g`, `x` `[B, d]`, `out` `[d]`:
/// the cyclic cross-correlations of the rows, summed over the batch. `out` is overwritten.
///
/// Panics if `g.len()` is not a multiple of `d`, `x.len() != g.len()` or `out.len() != d`.
pub fn corr_sum<T: Float + 'static>(g: &[T], x: &[T], d: usize, out: &mut [T]) {
    assert!(d > 0 && g.len() % d == 0 && x.len() == g.len() && out.len() == d);
    if size_of::<T>() == 4 {
        corr_sum_tiled::<T, 16>(g, x, d, out);
    } else {
        corr_sum_tiled::<T, 8>(g, x, d, out);
    }
}

/// Whether this CPU runs the `avx2` tile (x86-64 with AVX2 and FMA).
fn has_avx2_fma() -> bool {
    #[cfg(target_arch = "x86_64")]
    return is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma");
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// One register tile: `acc[r][j] = sum_{s < a.len()} a[s][r] * b[s * stride + j]`, summed in
/// increasing `s` with fused multiply-adds; by the `avx2` module if `simd`.
///
/// Panics if `b` is too short for the last step.
fn tile<T: Float + 'static, const NR: usize>(
    simd: bool,
    a: &[[T; MR]],
    b: &[T],
    stride: usize,
) -> [[T; NR]; MR] {
    let steps = a.len();
    assert!(steps == 0 || b.len() >= (steps - 1) * stride + NR);
    let mut acc = [[T::zero(); NR]; MR];
    #[cfg(target_arch = "x86_64")]
    if simd {
        // SAFETY: `simd` is only set when the CPU has AVX2 and FMA; `a` holds `steps` rows of
        // `MR` elements, `b` at least `(steps - 1) * stride + NR` elements (asserted above),
        // and `acc` `MR x NR` contiguous elements.
        let done = unsafe {
            avx2::tile::<T, NR>(
                a.as_ptr().cast(),
                steps,
                b.as_ptr(),
                stride,
                acc.as_mut_ptr().cast(),
            )
        };
        if done {
            return acc;
        }
    }
    let _ = simd;
    for (s, a_s) in a.iter().enumerate() {
        let b_s = &b[s * stride..][..NR];
        for (acc_r, &a_sr) in acc.iter_mut().zip(a_s) {
            for (acc_rj, &b_sj) in acc_r.iter_mut().zip(b_s) {
                *acc_rj = a_sr.mul_add(b_sj, *acc_rj);
            }
        }
    }
    acc
}

/// The register tile on AVX2 + FMA intrinsics, for `f32` (`NR = 16`) and `f64` (`NR = 8`).
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::any::TypeId;

    use super::MR;
    // The same vector operations as the GEMM micro-kernel's.
    use crate::kernels::blocked::avx::Lanes;

    /// [`super::tile`] for `T = f32, NR = 16` or `T = f64, NR = 8` (returns `true`); any other
    /// combination returns `false` untouched.
    ///
    /// # Safety
    /// The CPU must have AVX2 and FMA; `a` must point to `steps * MR` elements, `b` to
    /// `(steps - 1) * stride + NR`, `acc` to `MR * NR` writable ones.
    pub(super) unsafe fn tile<T: 'static, const NR: usize>(
        a: *const T,
        steps: usize,
        b: *const T,
        stride: usize,
        acc: *mut T,
    ) -> bool {
        let is = |id| TypeId::of::<T>() == id;
        if is(TypeId::of::<f32>()) && NR == 16 {
            tile_lanes::<f32>(a.cast(), steps, b.cast(), stride, acc.cast());
        } else if is(TypeId::of::<f64>()) && NR == 8 {
            tile_lanes::<f64>(a.cast(), steps, b.cast(), stride, acc.cast());
        } else {
            return false;
        }
        true
    }

    /// The tile with `NR = 2 LANES`: `MR x 2` vector accumulators, 12 of the 16 registers.
    #[target_feature(enable = "avx2,fma")]
    unsafe fn tile_lanes<T: Lanes>(
        a: *const T,
        steps: usize,
        b: *const T,
        stride: usize,
        acc: *mut T,
    ) {
        let mut sums = [[T::vzero(); 2]; MR];
        for s in 0..steps {
            let b_s = b.add(s * stride);
            let (b0, b1) = (T::load(b_s), T::load(b_s.add(T::LANES)));
            for (r, sums_r) in sums.iter_mut().enumerate() {
                let a_sr = T::splat(*a.add(s * MR + r));
                sums_r[0] = T::fma(a_sr, b0, sums_r[0]);
                sums_r[1] = T::fma(a_sr, b1, sums_r[1]);
            }
        }
        for (r, sums_r) in sums.iter().enumerate() {
            T::store(acc.add(r * 2 * T::LANES), sums_r[0]);
            T::store(acc.add(r * 2 * T::LANES + T::LANES), sums_r[1]);
        }
    }
}

/// `panel[s][r] = a[b0 + r, d - 1 - s]` for `s < d`, `r < W`: the block of `W` rows of the
/// row-major `[_, d]` buffer `a` starting at row `b0`, transposed, columns in reverse order;
/// zero past the last row.
fn pack_row_block<T: Float, const W: usize>(a: &[T], d: usize, b0: usize, panel: &mut Vec<[T; W]>) {
    let rows = a.len() / d;
    panel.clear();
    panel.extend((0..d).rev().map(|m| {
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

/// [`conv_rows`] with `MR x NR` register tiles: for each block of `MR` rows, packed in reverse
/// column order (`panel[s][r] = a[b0 + r, d - 1 - s]`), for each block of `NR` output columns,
/// the reduction over `m = d - 1 - s` (so each output is summed in decreasing `m`).
fn conv_rows_tiled<T: Float + 'static, const NR: usize>(a: &[T], c: &[T], d: usize, out: &mut [T]) {
    let simd = has_avx2_fma();
    let rows = a.len() / d;
    // c_ext[t] = c[t mod d] for t < 2d + NR - 1, enough for the last column block. Row m of
    // the circulant, columns i0.., is c_ext[i0 + d - m..] = c_ext[i0 + 1 + s..]: step s of a
    // tile with stride 1.
    let c_ext: Vec<T> = (0..2 * d + NR - 1).map(|t| c[t % d]).collect();
    let mut panel: Vec<[T; MR]> = Vec::with_capacity(d);
    for b0 in (0..rows).step_by(MR) {
        pack_row_block(a, d, b0, &mut panel);
        for i0 in (0..d).step_by(NR) {
            let acc: [[T; NR]; MR] = tile(simd, &panel, &c_ext[i0 + 1..], 1);
            let cols = NR.min(d - i0);
            for (r, acc_r) in acc.iter().enumerate().take(rows - b0) {
                let at = (b0 + r) * d + i0;
                out[at..at + cols].copy_from_slice(&acc_r[..cols]);
            }
        }
    }
}

/// [`corr_sum`] with `MR x NR` register tiles of `M = G^T X`: for each block of `MR` rows `i` of
/// `M` and `NR` columns `m`, the reduction over the batch (increasing `b`), then the tile's
/// entries added to `out[(m - i) mod d]`.
fn corr_sum_tiled<T: Float + 'static, const NR: usize>(g: &[T], x: &[T], d: usize, out: &mut [T]) {
    let simd = has_avx2_fma();
    out.fill(T::zero());
    let x_blocks: Vec<Vec<[T; NR]>> = (0..d)
        .step_by(NR)
        .map(|m0| pack_column_block(x, d, m0))
        .collect();
    for i0 in (0..d).step_by(MR) {
        let g_panel: Vec<[T; MR]> = pack_column_block(g, d, i0);
        for (m0, x_panel) in (0..d).step_by(NR).zip(&x_blocks) {
            let acc: [[T; NR]; MR] = tile(simd, &g_panel, x_panel.as_flattened(), NR);
            for (i, acc_i) in (i0..d).zip(&acc) {
                for (m, &v) in (m0..d).zip(acc_i) {
                    let k = (m + d - i) % d;
                    out[k] = out[k] + v;
                }
            }
        }
    }
}
