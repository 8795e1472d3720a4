//! Our own GEMM, `C = A B`, in the layout of BLIS (Van Zee & van de Geijn, 2015): the operands
//! are copied ("packed") block by block into buffers laid out in the order a small
//! register-resident *micro-kernel* reads them, and the micro-kernel computes one `MR x NR` tile
//! of `C` as `k` rank-1 updates held entirely in registers.
//!
//! ```text
//! for each KC-deep slice p of the inner dimension:      B[p, :] packed as NR-wide strips
//!   for each MC-tall block i of A's rows:               A[i, p] packed as MR-tall strips
//!     for each NR strip j, each MR strip i:             C[i, j] (+)= Apack_i Bpack_j  (micro-kernel)
//! ```
//!
//! The tile is `MR = 6` rows by `NR = 16` f32 / 8 f64 columns: two 256-bit vectors per row, twelve
//! accumulator registers, one broadcast of `A` and two loads of `B` per six FMAs' worth of work
//! (the BLIS Haswell/Zen shape). The micro-kernel is plain Rust written so that LLVM vectorizes
//! it; [`gemm_blocked`] compiles it once with `avx2,fma` enabled (chosen at run time) and once for
//! the baseline target. Packing reads any strides, so transposed operands are never copied
//! beforehand; the packed buffers live in a per-thread scratch that is reused across calls.
//!
//! Why our own when `matrixmultiply` exists: the training shapes of the experiments are narrow
//! (batch 128, 10 output columns, inner dimension 128) and small, where a fixed packing layout and
//! the bigger 6 x 16 tile measure faster (see `benches/matmul.rs`); [`super::matmul::gemm`]
//! chooses between the two.

use super::matmul::MatRef;
use crate::element::Float;
use std::cell::Cell;

#[cfg(target_arch = "x86_64")]
pub(crate) mod avx;

/// Rows of the micro-tile.
pub const MR: usize = 6;
/// Depth of a packed slice: `KC x NR` of `B` (16 KB in f32) stays in L1 while the kernel runs.
const KC: usize = 256;
/// Rows of `A` packed at once: `MC x KC` of `A` (up to 144 KB in f32) stays in L2.
const MC: usize = 144;

/// Columns of the micro-tile: two 256-bit vectors of `T`.
pub const fn nr<T>() -> usize {
    2 * 32 / std::mem::size_of::<T>()
}

thread_local! {
    /// Packing buffers of this thread, `(A, B)`, as raw bytes reused by every call.
    static SCRATCH: Cell<(Vec<u64>, Vec<u64>)> = const { Cell::new((Vec::new(), Vec::new())) };
}

/// `out = a b` (overwriting `out`), `out` row-major `a.rows x b.cols` with row stride `ldc`.
///
/// # Panics
/// If the inner dimensions differ, an operand does not fit its storage, or `out` is too short.
pub fn gemm_blocked<T: Float>(a: MatRef<'_, T>, b: MatRef<'_, T>, out: &mut [T], ldc: usize) {
    assert_eq!(a.cols, b.rows, "gemm_blocked: inner dimensions differ");
    assert!(
        a.in_bounds() && b.in_bounds(),
        "gemm_blocked: operand out of bounds"
    );
    assert!(
        ldc >= b.cols,
        "gemm_blocked: row stride below the column count"
    );
    if a.rows == 0 || b.cols == 0 {
        return;
    }
    assert!(
        out.len() >= (a.rows - 1) * ldc + b.cols,
        "gemm_blocked: output too short"
    );
    // SAFETY: checked just above.
    unsafe { gemm_raw(a, b, OutMat::row_major(out.as_mut_ptr(), ldc)) }
}

/// A writable strided output matrix by raw pointer: element `(i, j)` at
/// `ptr + i * row_stride + j * col_stride`. Raw so that two threads can write disjoint parts of
/// one buffer, and strided so that `C^T` can be written in place of `C`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct OutMat<T> {
    pub ptr: *mut T,
    pub row_stride: usize,
    pub col_stride: usize,
}
// SAFETY: used only to hand disjoint parts of one output to the two halves of a fork-join.
unsafe impl<T: Send> Send for OutMat<T> {}

impl<T> OutMat<T> {
    /// The row-major matrix at `ptr` with row stride `ldc`.
    pub fn row_major(ptr: *mut T, ldc: usize) -> Self {
        OutMat {
            ptr,
            row_stride: ldc,
            col_stride: 1,
        }
    }

    /// The sub-matrix starting at element `(i, j)`.
    ///
    /// # Safety
    /// The element lies inside the allocation `ptr` points into.
    pub unsafe fn at(self, i: usize, j: usize) -> Self {
        OutMat {
            ptr: unsafe { self.ptr.add(i * self.row_stride + j * self.col_stride) },
            ..self
        }
    }
}

/// [`gemm_blocked`] without the checks.
///
/// # Safety
/// `a.cols == b.rows`, the operands are in bounds, and `c` addresses a writable `a.rows x
/// b.cols` matrix, not overlapping the operands, that no one else accesses meanwhile.
pub(crate) unsafe fn gemm_raw<T: Float>(a: MatRef<'_, T>, b: MatRef<'_, T>, c: OutMat<T>) {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
        // SAFETY (both): the CPU has the features `blocked_avx` is compiled for, and `recast`
        // only succeeds when T is the target type; the rest as `gemm_raw`.
        if let Some((a, b, c)) = recast::<T, f32>(a, b, c) {
            return with_scratch::<f32, 16>(a, b, |ap, bp| unsafe {
                blocked_avx::<f32, 16>(a, b, c, ap, bp)
            });
        }
        if let Some((a, b, c)) = recast::<T, f64>(a, b, c) {
            return with_scratch::<f64, 8>(a, b, |ap, bp| unsafe {
                blocked_avx::<f64, 8>(a, b, c, ap, bp)
            });
        }
    }
    // SAFETY: as `gemm_raw`.
    unsafe { gemm_portable_raw(a, b, c) }
}

/// [`gemm_raw`] by the portable micro-kernel (the baseline build, what it runs on a CPU without
/// AVX2/FMA) whatever the CPU: for benches and tests.
///
/// # Safety
/// As [`gemm_raw`].
pub(crate) unsafe fn gemm_portable_raw<T: Float>(a: MatRef<'_, T>, b: MatRef<'_, T>, c: OutMat<T>) {
    // SAFETY: as `gemm_raw`.
    with_scratch::<T, 8>(a, b, |ap, bp| unsafe {
        blocked::<T, 8, Portable>(a, b, c, ap, bp)
    })
}

/// `c = a b` by [`avx::dot_nt`] when the operands suit it (both contiguous along `k`) and the
/// CPU has AVX2/FMA; false (nothing done) otherwise.
///
/// # Safety
/// As [`gemm_raw`].
pub(crate) unsafe fn gemm_dot_nt<T: Float>(
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    c: OutMat<T>,
) -> bool {
    #[cfg(target_arch = "x86_64")]
    if a.col_stride == 1
        && b.row_stride == 1
        && std::is_x86_feature_detected!("avx2")
        && std::is_x86_feature_detected!("fma")
    {
        // SAFETY (both): checked layout and features; `recast` succeeds only for T = U.
        if let Some((a, b, c)) = recast::<T, f32>(a, b, c) {
            unsafe { avx::dot_nt(a, b, c) };
            return true;
        }
        if let Some((a, b, c)) = recast::<T, f64>(a, b, c) {
            unsafe { avx::dot_nt(a, b, c) };
            return true;
        }
    }
    let _ = (a, b, c);
    false
}

/// `c = a b` by [`avx::direct`] (nothing packed) when `b` is contiguous along `n` and the CPU
/// has AVX2/FMA; false (nothing done) otherwise. The row tile is `R = 5` or `6` rows (ten or
/// twelve accumulators), whichever computes fewer padded rows: 5 for `m = 10`.
///
/// # Safety
/// As [`gemm_raw`].
pub(crate) unsafe fn gemm_direct<T: Float>(
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    c: OutMat<T>,
) -> bool {
    #[cfg(target_arch = "x86_64")]
    if b.col_stride == 1
        && std::is_x86_feature_detected!("avx2")
        && std::is_x86_feature_detected!("fma")
    {
        // SAFETY: checked layout and features.
        return unsafe { direct_as::<T, f32, 16>(a, b, c) || direct_as::<T, f64, 8>(a, b, c) };
    }
    let _ = (a, b, c);
    false
}

/// [`avx::direct`] on the operands as `U` (true), or false when `T` is not `U`.
///
/// # Safety
/// As [`gemm_direct`], with its layout and CPU features checked.
#[cfg(target_arch = "x86_64")]
unsafe fn direct_as<T: Float, U: Float + avx::Lanes, const NR: usize>(
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    c: OutMat<T>,
) -> bool {
    let Some((a, b, c)) = recast::<T, U>(a, b, c) else {
        return false;
    };
    let five = a.rows.div_ceil(5) * 5 < a.rows.div_ceil(MR) * MR;
    // SAFETY: as this function's contract; the edge buffer holds k x NR.
    with_edge::<U, NR>(a.cols, |edge| unsafe {
        if five {
            avx::direct::<U, 5, NR>(a, b, c, edge)
        } else {
            avx::direct::<U, MR, NR>(a, b, c, edge)
        }
    });
    true
}

/// The operands as `U` when `T` is `U` (a no-op cast), else `None`.
#[cfg(target_arch = "x86_64")]
fn recast<'a, T: 'static, U: 'static>(
    a: MatRef<'a, T>,
    b: MatRef<'a, T>,
    c: OutMat<T>,
) -> Option<(MatRef<'a, U>, MatRef<'a, U>, OutMat<U>)> {
    if std::any::TypeId::of::<T>() != std::any::TypeId::of::<U>() {
        return None;
    }
    let cast = |m: &MatRef<'a, T>| MatRef {
        // SAFETY: T and U are the same type.
        data: unsafe { std::slice::from_raw_parts(m.data.as_ptr().cast::<U>(), m.data.len()) },
        offset: m.offset,
        rows: m.rows,
        cols: m.cols,
        row_stride: m.row_stride,
        col_stride: m.col_stride,
    };
    Some((
        cast(&a),
        cast(&b),
        OutMat {
            ptr: c.ptr.cast::<U>(),
            row_stride: c.row_stride,
            col_stride: c.col_stride,
        },
    ))
}

/// Runs `f` with this thread's packing buffers sized for `a b`.
fn with_scratch<T: Float, const NR: usize>(
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    f: impl FnOnce(&mut [T], &mut [T]),
) {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    let (mut abuf, mut bbuf) = SCRATCH.take();
    f(
        scratch::<T>(&mut abuf, MC.min(m.div_ceil(MR) * MR) * KC.min(k)),
        scratch::<T>(&mut bbuf, n.div_ceil(NR) * NR * KC.min(k)),
    );
    SCRATCH.set((abuf, bbuf));
}

/// Runs `f` with this thread's `B` packing buffer as a `k x NR` strip.
#[cfg(target_arch = "x86_64")]
fn with_edge<T: Float, const NR: usize>(k: usize, f: impl FnOnce(&mut [T])) {
    let (abuf, mut bbuf) = SCRATCH.take();
    f(scratch::<T>(&mut bbuf, k * NR));
    SCRATCH.set((abuf, bbuf));
}

/// [`blocked`] with the AVX2/FMA micro-kernel, compiled for those features.
///
/// # Safety
/// As [`gemm_raw`], on a CPU with AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn blocked_avx<T: Float, const NR: usize>(
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    c: OutMat<T>,
    apack: &mut [T],
    bpack: &mut [T],
) where
    avx::Avx: Tile<T, NR>,
{
    unsafe { blocked::<T, NR, avx::Avx>(a, b, c, apack, bpack) }
}

/// A micro-kernel: `c (+)= the top-left mr x nr of sum_p a[p, :]^T b[p, :]` for one packed strip
/// pair (`a`: `kc x MR`, `b`: `kc x NR`).
pub(crate) trait Tile<T, const NR: usize> {
    /// # Safety
    /// `a` and `b` hold `kc` packed rows; `c` addresses a writable `mr x nr` block.
    unsafe fn tile(kc: usize, a: &[T], b: &[T], c: OutMat<T>, mr: usize, nr: usize, acc: bool);
}

/// The micro-kernel in plain Rust (for CPUs without AVX2/FMA and other architectures).
pub(crate) struct Portable;

impl<T: Float, const NR: usize> Tile<T, NR> for Portable {
    #[inline(always)]
    unsafe fn tile(kc: usize, a: &[T], b: &[T], c: OutMat<T>, mr: usize, nr: usize, acc: bool) {
        let mut tile = [[T::zero(); NR]; MR];
        for (ap, bp) in a.chunks_exact(MR).zip(b.chunks_exact(NR)).take(kc) {
            for r in 0..MR {
                for j in 0..NR {
                    tile[r][j] = ap[r] * bp[j] + tile[r][j];
                }
            }
        }
        // SAFETY: as the trait's contract.
        unsafe { store_tile(&tile, c, mr, nr, acc) }
    }
}

/// The three blocking loops around the micro-kernel `K`.
///
/// # Safety
/// As [`gemm_raw`]; `apack` and `bpack` hold `min(MC, m) x min(KC, k)` and `n x min(KC, k)`
/// (rounded up to whole strips).
#[inline(always)]
unsafe fn blocked<T: Float, const NR: usize, K: Tile<T, NR>>(
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    c: OutMat<T>,
    apack: &mut [T],
    bpack: &mut [T],
) {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    for p0 in (0..k).step_by(KC) {
        let kc = KC.min(k - p0);
        pack_b::<T, NR>(b, p0, kc, bpack);
        for i0 in (0..m).step_by(MC) {
            let mc = MC.min(m - i0);
            pack_a(a, i0, p0, mc, kc, apack);
            for js in 0..n.div_ceil(NR) {
                let j0 = js * NR;
                let nr = NR.min(n - j0);
                let bstrip = &bpack[js * NR * kc..(js + 1) * NR * kc];
                for is in 0..mc.div_ceil(MR) {
                    let i = i0 + is * MR;
                    let mr = MR.min(m - i);
                    let astrip = &apack[is * MR * kc..(is + 1) * MR * kc];
                    // SAFETY: rows i..i + mr, columns j0..j0 + nr of the output.
                    unsafe { K::tile(kc, astrip, bstrip, c.at(i, j0), mr, nr, p0 > 0) };
                }
            }
        }
    }
}

/// Bytes a packed buffer is aligned to: one cache line, so that no vector load of a packed
/// strip straddles two lines.
const ALIGN: usize = 64;

/// A `len`-element `T` view, starting on an [`ALIGN`]-byte boundary, of a reusable `u64` buffer.
fn scratch<T: Float>(buf: &mut Vec<u64>, len: usize) -> &mut [T] {
    let words = (len * std::mem::size_of::<T>()).div_ceil(8) + ALIGN / 8;
    if buf.len() < words {
        buf.resize(words, 0);
    }
    let skip = buf.as_ptr().align_offset(ALIGN);
    // SAFETY: from `skip` (< ALIGN / 8 words) the buffer holds at least `len` T's worth of
    // initialised bytes, aligned for f32 and f64, and every bit pattern is a valid f32/f64.
    unsafe { std::slice::from_raw_parts_mut(buf.as_mut_ptr().add(skip).cast::<T>(), len) }
}

/// Packs `A[i0 .. i0 + mc, p0 .. p0 + kc]` as `MR`-row strips: strip `s` holds, for each `p`, the
/// `MR` values `A[i0 + s MR + r, p0 + p]` (zero past the last row).
fn pack_a<T: Float>(a: MatRef<'_, T>, i0: usize, p0: usize, mc: usize, kc: usize, dst: &mut [T]) {
    for (s, strip) in dst
        .chunks_exact_mut(MR * kc)
        .take(mc.div_ceil(MR))
        .enumerate()
    {
        let rows = MR.min(mc - s * MR);
        let base = a.offset + (i0 + s * MR) * a.row_stride + p0 * a.col_stride;
        if rows < MR {
            strip.fill(T::zero());
        }
        // Walk the source along its unit stride: by rows when A is row-major, by columns when
        // it is a transposed view.
        if a.col_stride == 1 {
            for r in 0..rows {
                let src = &a.data[base + r * a.row_stride..][..kc];
                for (p, &v) in src.iter().enumerate() {
                    strip[p * MR + r] = v;
                }
            }
        } else {
            for p in 0..kc {
                let src = base + p * a.col_stride;
                for r in 0..rows {
                    strip[p * MR + r] = a.data[src + r * a.row_stride];
                }
            }
        }
    }
}

/// Packs `B[p0 .. p0 + kc, :]` as `NR`-column strips: strip `s` holds, for each `p`, the `NR`
/// values `B[p0 + p, s NR + c]` (zero past the last column).
fn pack_b<T: Float, const NR: usize>(b: MatRef<'_, T>, p0: usize, kc: usize, dst: &mut [T]) {
    let n = b.cols;
    for (s, strip) in dst
        .chunks_exact_mut(NR * kc)
        .take(n.div_ceil(NR))
        .enumerate()
    {
        let cols = NR.min(n - s * NR);
        let base = b.offset + p0 * b.row_stride + s * NR * b.col_stride;
        if cols < NR {
            strip.fill(T::zero());
        }
        if b.col_stride == 1 {
            for p in 0..kc {
                let src = &b.data[base + p * b.row_stride..][..cols];
                strip[p * NR..p * NR + cols].copy_from_slice(src);
            }
        } else {
            for c in 0..cols {
                let src = base + c * b.col_stride;
                for p in 0..kc {
                    strip[p * NR + c] = b.data[src + p * b.row_stride];
                }
            }
        }
    }
}

/// Writes (or, with `accumulate`, adds) the top-left `mr x nr` of `tile` into `c`.
///
/// # Safety
/// `c` addresses a writable `mr x nr` block.
#[inline(always)]
unsafe fn store_tile<T: Float, const NR: usize>(
    tile: &[[T; NR]; MR],
    c: OutMat<T>,
    mr: usize,
    nr: usize,
    accumulate: bool,
) {
    for (r, row) in tile.iter().enumerate().take(mr) {
        // SAFETY (both branches): row r of the block, by the contract above.
        if c.col_stride == 1 {
            let dst = unsafe { std::slice::from_raw_parts_mut(c.ptr.add(r * c.row_stride), nr) };
            if accumulate {
                dst.iter_mut().zip(row).for_each(|(d, &v)| *d = *d + v);
            } else {
                dst.copy_from_slice(&row[..nr]);
            }
        } else {
            for (j, &v) in row.iter().enumerate().take(nr) {
                let d = unsafe { &mut *c.ptr.add(r * c.row_stride + j * c.col_stride) };
                *d = if accumulate { *d + v } else { v };
            }
        }
    }
}
