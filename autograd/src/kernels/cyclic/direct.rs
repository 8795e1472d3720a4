//! The direct path of the cyclic kernels, register-blocked, O(B d^2): [`corr`],
//! [`conv`] and [`corr_weight`], on two tiled loops.
//!
//! Both loops are GEMM micro-kernels in disguise:
//!
//! - `conv_rows`: `out[b, i] = sum_m a[b, m] c[(i - m) mod d]` is `A C` with the circulant
//!   matrix `C[m, i] = c[(i - m) mod d]`. Row `m` of `C`, columns `i0..i0 + NR`, is the
//!   contiguous slice `c_ext[i0 + d - m..][..NR]` of the periodic extension
//!   `c_ext[t] = c[t mod d]`, so the `C` operand needs no packing and the wrap-around costs
//!   nothing in the inner loop.
//! - `corr_sum`: `out[k] = sum_b sum_i g[b, i] x[b, (i + k) mod d]` is the sum of the cyclic
//!   diagonals of `M = G^T X` (`M[i, m] = sum_b g[b, i] x[b, m]`, `k = (m - i) mod d`), a
//!   product whose reduction runs over the batch.
//!
//! Each tile keeps `MR x NR` accumulators in registers (`NR = NV` 256-bit vectors: `8 NV`
//! `f32` or `4 NV` `f64`); one step of the reduction loads `NV` vectors and broadcasts `MR`
//! scalars for `MR NV` vector FMAs. Neither operand is packed: the broadcasts read `A` (or `G`)
//! in place with its row stride, the vectors are rows of `c_ext` (or `X`). The tile shape is
//! chosen per `d` (`Shape`) so that few lanes compute padding: a `6 x 16` tile at `d = 8`
//! would waste half its lanes, a `12 x 8` one none. On x86-64 with AVX2 + FMA (detected at run
//! time) the tile runs on `std::arch` intrinsics (module `avx2`); elsewhere a portable loop of
//! `mul_add` computes it. (LLVM does not vectorise the portable loop by itself: it was
//! measured to compile to scalar FMAs even with AVX2 enabled.)
//!
//! Results are bit-identical on every machine: each output is a sum in a fixed order of fused
//! multiply-adds, and a fused multiply-add is correctly rounded whether it is a vector lane,
//! a scalar instruction or the (slow) software `fma` of a CPU without FMA. The tile shape
//! depends on `d` and the element type only.

use super::{check_filtered, check_weight};
use crate::element::Float;
use std::mem::size_of;

/// `corr` by `conv_rows` with the reversed filter `w_rev[t] = w[(-t) mod d]`:
/// `out[b, i] = sum_{m<d} x[b, m] w[(m - i) mod d]`, summed in decreasing `m`, since
/// `w[(m - i) mod d] = w_rev[(i - m) mod d]`.
///
/// Panics on the length mismatches of `corr`.
pub fn corr<T: Float>(x: &[T], w: &[T], d: usize, out: &mut [T]) {
    check_filtered("direct::corr", ("x", x.len()), w.len(), out.len(), d);
    let w_rev: Vec<T> = (0..d).map(|t| w[(d - t) % d]).collect();
    conv_rows(x, &w_rev, d, out);
}

/// `conv` by `conv_rows`: `out[b, j] = sum_{i<d} g[b, i] w[(j - i) mod d]`,
/// summed in decreasing `i`.
///
/// Panics on the length mismatches of `conv`.
pub fn conv<T: Float>(g: &[T], w: &[T], d: usize, out: &mut [T]) {
    check_filtered("direct::conv", ("g", g.len()), w.len(), out.len(), d);
    conv_rows(g, w, d, out);
}

/// `corr_weight` by `corr_sum`:
/// `out[k] = sum_{i<d} M[i, (i + k) mod d]` with `M[i, m] = sum_b g[b, i] x[b, m]` (each
/// `M[i, m]` summed in increasing `b`, then added into `out` tile by tile).
///
/// Panics on the length mismatches of `corr_weight`.
pub fn corr_weight<T: Float>(g: &[T], x: &[T], d: usize, out: &mut [T]) {
    check_weight("direct::corr_weight", g.len(), x.len(), out.len(), d);
    corr_sum(g, x, d, out);
}

/// Bytes of one vector register (AVX2: 256 bits).
const VECTOR_BYTES: usize = 32;

/// Bytes of a chunk of rows of both operands of `corr_sum`: most of the 32 KB L1 data cache.
const CHUNK_BYTES: usize = 24 * 1024;

/// The fewest rows in a chunk of `corr_sum`: each tile's sums are loaded and stored once
/// per chunk, a cost to spread over enough steps even when a chunk no longer fits in L1.
const MIN_CHUNK_ROWS: usize = 16;

/// Elements of `T` in one vector register: 8 `f32` or 4 `f64`.
fn lanes<T>() -> usize {
    VECTOR_BYTES / size_of::<T>()
}

/// A register-tile shape: `mr` rows by `nv` vectors. Every shape keeps at most 16 vector
/// registers live (`mr nv` accumulators, `nv` loaded vectors and one broadcast).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    /// 12 rows by one vector: no padded columns when `d` is a multiple of the vector width.
    R12V1,
    /// 8 rows by one vector: for `corr_sum` at `d = 8` or 16, where `M` has only `d` rows.
    R8V1,
    /// 6 rows by two vectors: the GEMM micro-kernel's shape, the fewest loads per FMA.
    R6V2,
}

impl Shape {
    const ALL: [Shape; 3] = [Shape::R12V1, Shape::R8V1, Shape::R6V2];

    /// `(mr, nv)`.
    fn dims(self) -> (usize, usize) {
        match self {
            Shape::R12V1 => (12, 1),
            Shape::R8V1 => (8, 1),
            Shape::R6V2 => (6, 2),
        }
    }

    /// The shape that computes the fewest padded lanes for a `[rows, d]` output with `d`
    /// columns of `lanes`-wide vectors, where only the columns are padded (`square = false`:
    /// `conv_rows`, whose rows are the long batch) or both dimensions are `d`
    /// (`corr_sum`). A shape with 8 accumulators counts its lanes 10% dearer (measured:
    /// `corr_sum` at `d = 64` by `R8V1`, no padding, ran at 62% of peak, by `R6V2`, 3%
    /// padding, at 73%); ties go to fewer loads per FMA (`(mr + nv) / (mr nv)`).
    ///
    /// Twelve rows are not used for a reduction of `d <= 8` steps: the tile's setup (twelve
    /// row addresses for [`rank1_updates`](crate::kernels::blocked::avx::rank1_updates), twelve
    /// stores) then weighs as much as its FMAs (measured: `conv_rows` at `d = 8`, f32, by
    /// `R12V1` at 43-46% of peak, by `R8V1` at 51-53%).
    fn for_len(d: usize, lanes: usize, square: bool) -> Shape {
        let padded = |n: usize, block: usize| n.div_ceil(block) * block;
        let cost = |shape: &Shape| {
            let (mr, nv) = shape.dims();
            let lanes_done = padded(d, nv * lanes) * if square { padded(d, mr) } else { d };
            let dearer = if mr * nv < 12 { 11 } else { 10 };
            (lanes_done * dearer, (mr + nv) * 1000 / (mr * nv))
        };
        *Shape::ALL
            .iter()
            .filter(|s| d > 8 || s.dims().0 < 12)
            .min_by_key(|s| cost(s))
            .expect("a shape of fewer than twelve rows exists")
    }
}

/// `out[b, i] = sum_{m<d} a[b, m] c[(i - m) mod d]` for every row `b` of `a` `[B, d]`: the
/// cyclic convolution of each row with `c` `[d]`, summed in decreasing `m`. `out` is
/// overwritten.
///
/// Panics if `a.len()` is not a multiple of `d`, `c.len() != d` or `out.len() != a.len()`
/// (caller bugs: [`corr`], [`conv`] and [`corr_weight`] check lengths first, with their names).
fn conv_rows<T: Float>(a: &[T], c: &[T], d: usize, out: &mut [T]) {
    conv_rows_on(has_avx2_fma(), a, c, d, out);
}

/// `conv_rows` by the `avx2` tile if `simd`, else by the portable one.
fn conv_rows_on<T: Float>(simd: bool, a: &[T], c: &[T], d: usize, out: &mut [T]) {
    assert!(d > 0 && a.len() % d == 0 && c.len() == d && out.len() == a.len());
    let shape = Shape::for_len(d, lanes::<T>(), false);
    let (mr, nv) = shape.dims();
    let nr = nv * lanes::<T>();
    let rows = a.len() / d;
    // c_ext[t] = c[t mod d] for t < 2d + nr - 1, enough for the last column block. Row m of
    // the circulant, columns i0.., is c_ext[i0 + d - m..] = c_ext[i0 + 1 + s..] with
    // s = d - 1 - m: step s of a tile reads a[b, d - 1 - s] and c_ext[i0 + 1 + s..].
    let c_ext: Vec<T> = (0..2 * d + nr - 1).map(|t| c[t % d]).collect();
    let tile = |blocks: usize, i0: usize| Tile {
        steps: d,
        a_start: d - 1,
        a_step: -1,
        a_row: d,
        a_block: mr * d,
        b_start: i0 + 1,
        b_step: 1,
        blocks,
        out_row: d,
        out_block: mr * d,
        accumulate: false,
    };
    // A column block that ends past column d writes its extra lanes into the first columns of
    // the following rows. Column blocks run right to left and rows top to bottom, so every
    // such lane is overwritten later by the row it landed in; the rows at the end, where the
    // extra lanes would leave `out`, go through padded buffers instead.
    let direct_blocks = (rows * d).saturating_sub(nr) / (mr * d);
    let direct_rows = direct_blocks * mr;
    if direct_blocks > 0 {
        for i0 in (0..d).step_by(nr).rev() {
            run_tile(
                shape,
                simd,
                &tile(direct_blocks, i0),
                a,
                &c_ext,
                &mut out[i0..],
            );
        }
    }
    let tail_rows = rows - direct_rows;
    if tail_rows > 0 {
        let tail_blocks = tail_rows.div_ceil(mr);
        let mut a_pad = vec![T::zero(); tail_blocks * mr * d];
        a_pad[..tail_rows * d].copy_from_slice(&a[direct_rows * d..]);
        let mut out_pad = vec![T::zero(); tail_blocks * mr * d + nr];
        for i0 in (0..d).step_by(nr).rev() {
            let t = tile(tail_blocks, i0);
            run_tile(shape, simd, &t, &a_pad, &c_ext, &mut out_pad[i0..]);
        }
        out[direct_rows * d..].copy_from_slice(&out_pad[..tail_rows * d]);
    }
}

/// `out[k] = sum_b sum_{i<d} g[b, i] x[b, (i + k) mod d]` for `g`, `x` `[B, d]`, `out` `[d]`:
/// the cyclic cross-correlations of the rows, summed over the batch. Each
/// `M[i, m] = sum_b g[b, i] x[b, m]` is summed in increasing `b`; the entries of each tile of
/// `M` (tiles in row-major order, entries row-major within a tile) are then added to
/// `out[(m - i) mod d]`. `out` is overwritten.
///
/// Panics if `g.len()` is not a multiple of `d`, `x.len() != g.len()` or `out.len() != d`.
fn corr_sum<T: Float>(g: &[T], x: &[T], d: usize, out: &mut [T]) {
    corr_sum_on(has_avx2_fma(), g, x, d, out);
}

/// `corr_sum` by the `avx2` tile if `simd`, else by the portable one.
fn corr_sum_on<T: Float>(simd: bool, g: &[T], x: &[T], d: usize, out: &mut [T]) {
    assert!(d > 0 && g.len() % d == 0 && x.len() == g.len() && out.len() == d);
    let shape = Shape::for_len(d, lanes::<T>(), true);
    let (mr, nv) = shape.dims();
    let nr = nv * lanes::<T>();
    let rows = g.len() / d;
    // A tile reads `mr` elements of a row of g and `nr` of a row of x from column i0 or m0
    // on, past the row's end (lanes whose results are dropped). The last rows, where those
    // reads would leave the buffers, are copied into zero-padded buffers.
    let overreach = mr.max(nr) - 1;
    let direct_rows = rows.saturating_sub(overreach.div_ceil(d));
    let tail = |v: &[T]| {
        let mut t = v[direct_rows * d..].to_vec();
        t.resize(t.len() + overreach, T::zero());
        t
    };
    let (g_tail, x_tail) = (tail(g), tail(x));
    // Step s of the tile at (i0, m0) over rows from `first` on reads g[first + s, i0..] and
    // x[first + s, m0..], adding to the tile's sums in `m_tiles`.
    let tile = |first: usize, steps: usize, i0: usize, m0: usize| Tile {
        steps,
        a_start: first * d + i0,
        a_step: d as isize,
        a_row: 1,
        a_block: 0,
        b_start: first * d + m0,
        b_step: d,
        blocks: 1,
        out_row: nr,
        out_block: 0,
        accumulate: true,
    };
    let tiles: Vec<(usize, usize)> = (0..d)
        .step_by(mr)
        .flat_map(|i0| (0..d).step_by(nr).map(move |m0| (i0, m0)))
        .collect();
    let mut m_tiles = vec![T::zero(); tiles.len() * mr * nr];
    let mut sweep = |first: usize, steps: usize, g: &[T], x: &[T]| {
        for (&(i0, m0), m_tile) in tiles.iter().zip(m_tiles.chunks_exact_mut(mr * nr)) {
            run_tile(shape, simd, &tile(first, steps, i0, m0), g, x, m_tile);
        }
    };
    // The batch in chunks whose rows of g and x fit in L1 together, so that every tile after
    // the first reads them from L1 rather than streaming them from L2 with a stride.
    let chunk = (CHUNK_BYTES / (2 * d * size_of::<T>())).max(MIN_CHUNK_ROWS);
    for first in (0..direct_rows).step_by(chunk) {
        sweep(first, chunk.min(direct_rows - first), g, x);
    }
    sweep(0, rows - direct_rows, &g_tail, &x_tail);
    out.fill(T::zero());
    for (&(i0, m0), m_tile) in tiles.iter().zip(m_tiles.chunks_exact(mr * nr)) {
        for (i, m_row) in (i0..d).zip(m_tile.chunks_exact(nr)) {
            for (m, &v) in (m0..d).zip(m_row) {
                // k = (m - i) mod d, without a division.
                let k = if m >= i { m - i } else { m + d - i };
                out[k] = out[k] + v;
            }
        }
    }
}

/// Whether this CPU runs the `avx2` tile (x86-64 with AVX2 and FMA).
fn has_avx2_fma() -> bool {
    #[cfg(target_arch = "x86_64")]
    return is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma");
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// Where a register tile reads its operands and writes its sums, as element offsets. For each
/// of `blocks` blocks (block `n` shifts `a` by `n a_block` and `out` by `n out_block`), with
/// `a(s, r) = a[a_start + s a_step + r a_row]` and `b(s, j) = b[b_start + s b_step + j]`:
///
/// `out[r out_row + j] = (out[r out_row + j] if accumulate else 0) + sum_{s < steps} a(s, r) b(s, j)`
///
/// for `r < mr`, `j < nr`, summed in increasing `s` with fused multiply-adds, and stored row
/// by row in increasing `r` (rows may overlap in `out`: the later row wins).
#[derive(Clone, Copy)]
struct Tile {
    steps: usize,
    a_start: usize,
    a_step: isize,
    a_row: usize,
    a_block: usize,
    b_start: usize,
    b_step: usize,
    blocks: usize,
    out_row: usize,
    out_block: usize,
    accumulate: bool,
}

impl Tile {
    /// The highest indices of `a`, `b` and `out` the tile touches with `mr x nr` accumulators
    /// (for `a` and `b`: `None` when there are no steps); panics if it would read before the
    /// start of `a`.
    fn last_indices(&self, mr: usize, nr: usize) -> (Option<(usize, usize)>, usize) {
        let out_last = (self.blocks - 1) * self.out_block + (mr - 1) * self.out_row + nr - 1;
        if self.steps == 0 {
            return (None, out_last);
        }
        let last_step = (self.steps - 1) as isize * self.a_step;
        assert!(
            self.a_start as isize + last_step >= 0,
            "tile: a step before the start of `a`"
        );
        let a_last = self.a_start
            + (self.blocks - 1) * self.a_block
            + (mr - 1) * self.a_row
            + last_step.max(0) as usize;
        let b_last = self.b_start + (self.steps - 1) * self.b_step + nr - 1;
        (Some((a_last, b_last)), out_last)
    }
}

/// Runs `tile` with the register tile `shape`, by the `avx2` module if `simd`.
///
/// Panics if the tile would touch an index outside `a`, `b` or `out`.
fn run_tile<T: Float>(shape: Shape, simd: bool, tile: &Tile, a: &[T], b: &[T], out: &mut [T]) {
    let (mr, nv) = shape.dims();
    let nr = nv * lanes::<T>();
    if tile.blocks == 0 {
        return;
    }
    let (operands_last, out_last) = tile.last_indices(mr, nr);
    if let Some((a_last, b_last)) = operands_last {
        assert!(
            a_last < a.len() && b_last < b.len(),
            "tile: operand out of bounds"
        );
    }
    assert!(out_last < out.len(), "tile: output out of bounds");
    #[cfg(target_arch = "x86_64")]
    if simd {
        // SAFETY: `simd` is only set when the CPU has AVX2 and FMA, and every index the tile
        // touches lies inside `a`, `b` and `out` (asserted above).
        let done = unsafe {
            match shape {
                Shape::R12V1 => avx2::tile::<T, 12, 1>(tile, a, b, out),
                Shape::R8V1 => avx2::tile::<T, 8, 1>(tile, a, b, out),
                Shape::R6V2 => avx2::tile::<T, 6, 2>(tile, a, b, out),
            }
        };
        if done {
            return;
        }
    }
    let _ = simd;
    portable_tile(mr, nr, tile, a, b, out);
}

/// [`Tile`] by plain loops of `mul_add`, `mr x nr`, in the same order as the `avx2` module.
fn portable_tile<T: Float>(mr: usize, nr: usize, tile: &Tile, a: &[T], b: &[T], out: &mut [T]) {
    let mut sums = vec![T::zero(); mr * nr];
    for n in 0..tile.blocks {
        let (a0, o0) = (n * tile.a_block + tile.a_start, n * tile.out_block);
        for (r, sums_r) in sums.chunks_exact_mut(nr).enumerate() {
            for (j, sum) in sums_r.iter_mut().enumerate() {
                let at = o0 + r * tile.out_row + j;
                *sum = if tile.accumulate { out[at] } else { T::zero() };
            }
        }
        for s in 0..tile.steps {
            let a_s = (a0 as isize + s as isize * tile.a_step) as usize;
            let b_s = &b[tile.b_start + s * tile.b_step..][..nr];
            for (r, sums_r) in sums.chunks_exact_mut(nr).enumerate() {
                let a_sr = a[a_s + r * tile.a_row];
                for (sum, &b_sj) in sums_r.iter_mut().zip(b_s) {
                    *sum = a_sr.mul_add(b_sj, *sum);
                }
            }
        }
        for (r, sums_r) in sums.chunks_exact(nr).enumerate() {
            let at = o0 + r * tile.out_row;
            out[at..at + nr].copy_from_slice(sums_r);
        }
    }
}

/// The register tile on AVX2 + FMA intrinsics, for `f32` and `f64`.
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::any::TypeId;

    use super::Tile;
    // The same vector operations and rank-1 update loop as the GEMM micro-kernel's.
    use crate::kernels::blocked::avx::{rank1_updates, Lanes};

    /// [`Tile`] with `MR x NV` vector accumulators for `T = f32` or `f64` (returns `true`);
    /// any other type returns `false` untouched.
    ///
    /// # Safety
    /// The CPU must have AVX2 and FMA; every index the tile touches (see [`Tile::last_indices`])
    /// must lie inside `a`, `b` and `out`.
    pub(super) unsafe fn tile<T: 'static, const MR: usize, const NV: usize>(
        tile: &Tile,
        a: &[T],
        b: &[T],
        out: &mut [T],
    ) -> bool {
        let (a, b, out) = (a.as_ptr(), b.as_ptr(), out.as_mut_ptr());
        let is = |id| TypeId::of::<T>() == id;
        // SAFETY: T is the type the pointers are cast to; the rest is the caller's contract.
        unsafe {
            if is(TypeId::of::<f32>()) {
                tile_lanes::<f32, MR, NV>(tile, a.cast(), b.cast(), out.cast());
            } else if is(TypeId::of::<f64>()) {
                tile_lanes::<f64, MR, NV>(tile, a.cast(), b.cast(), out.cast());
            } else {
                return false;
            }
        }
        true
    }

    /// The tile on vectors of `T`: `MR x NV` accumulators in registers for each block.
    #[target_feature(enable = "avx2,fma")]
    unsafe fn tile_lanes<T: Lanes, const MR: usize, const NV: usize>(
        tile: &Tile,
        a: *const T,
        b: *const T,
        out: *mut T,
    ) {
        let l = T::LANES;
        let Tile {
            steps,
            a_start,
            a_step,
            a_row,
            a_block,
            b_start,
            b_step,
            blocks,
            out_row,
            out_block,
            accumulate,
        } = *tile;
        // SAFETY: the caller vouches for every index (see `tile`).
        unsafe {
            for n in 0..blocks {
                let a0 = a.add(n * a_block + a_start);
                let o0 = out.add(n * out_block);
                let mut sums = [[T::vzero(); NV]; MR];
                if accumulate {
                    for (r, sums_r) in sums.iter_mut().enumerate() {
                        for (v, sum) in sums_r.iter_mut().enumerate() {
                            *sum = T::load(o0.add(r * out_row + v * l));
                        }
                    }
                }
                // The GEMM micro-kernel's loop: row r of the tile broadcasts from a0 + r a_row.
                let rows = std::array::from_fn(|r| a0.add(r * a_row));
                rank1_updates(steps, rows, a_step, b.add(b_start), b_step, &mut sums);
                for (r, sums_r) in sums.iter().enumerate() {
                    for (v, &sum) in sums_r.iter().enumerate() {
                        T::store(o0.add(r * out_row + v * l), sum);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    fn random(n: usize, rng: &mut StdRng) -> Vec<f64> {
        (0..n).map(|_| rng.gen_range(-1.0..1.0)).collect()
    }

    /// `conv_rows` and `corr_sum` by their formulas, in f64.
    fn conv_rows_reference(a: &[f64], c: &[f64], d: usize) -> Vec<f64> {
        let mut out = vec![0.0; a.len()];
        for (a_row, out_row) in a.chunks_exact(d).zip(out.chunks_exact_mut(d)) {
            for (i, o) in out_row.iter_mut().enumerate() {
                *o = (0..d).map(|m| a_row[m] * c[(i + d - m) % d]).sum();
            }
        }
        out
    }

    fn corr_sum_reference(g: &[f64], x: &[f64], d: usize) -> Vec<f64> {
        let rows = g.len() / d;
        (0..d)
            .map(|k| {
                (0..rows * d)
                    .map(|bi| g[bi] * x[bi / d * d + (bi % d + k) % d])
                    .sum()
            })
            .collect()
    }

    type Kernel<T> = fn(bool, &[T], &[T], usize, &mut [T]);

    /// For every `d` to 70 (every tile shape and column remainder of both types) and batches
    /// that leave the direct blocks empty, or full with tails of every length: the kernel
    /// matches its formula to `tol`, and the portable tile gives the `avx2` tile's bits.
    fn check_kernel<T: Float + std::fmt::Debug>(
        kernel: Kernel<T>,
        reference: fn(&[f64], &[f64], usize) -> Vec<f64>,
        second_is_filter: bool,
        tol: f64,
    ) {
        let mut rng = StdRng::seed_from_u64(7);
        for d in 1..=70 {
            for rows in [1, 2, 5, 13, 40] {
                let first = random(rows * d, &mut rng);
                let second = random(if second_is_filter { d } else { rows * d }, &mut rng);
                let expected = reference(&first, &second, d);
                let cast =
                    |v: &[f64]| -> Vec<T> { v.iter().map(|&x| T::from(x).unwrap()).collect() };
                let run = |simd: bool| {
                    let mut out = vec![T::nan(); expected.len()];
                    kernel(simd, &cast(&first), &cast(&second), d, &mut out);
                    out
                };
                let (simd, portable) = (run(has_avx2_fma()), run(false));
                assert!(
                    simd == portable,
                    "d={d} rows={rows}: the avx2 and portable tiles differ"
                );
                // Each output sums d (or rows d) products of values in [-1, 1).
                let terms = if second_is_filter { d } else { rows * d };
                let scale = terms as f64;
                for (j, (&got, &want)) in simd.iter().zip(&expected).enumerate() {
                    let err = (got.to_f64().unwrap() - want).abs();
                    assert!(
                        err <= tol * scale,
                        "d={d} rows={rows} out[{j}]: {got:?} vs {want}"
                    );
                }
            }
        }
    }

    #[test]
    fn conv_rows_is_the_formula_on_both_tiles() {
        check_kernel::<f64>(conv_rows_on, conv_rows_reference, true, 1e-15);
        check_kernel::<f32>(conv_rows_on, conv_rows_reference, true, 1e-6);
    }

    #[test]
    fn corr_sum_is_the_formula_on_both_tiles() {
        check_kernel::<f64>(corr_sum_on, corr_sum_reference, false, 1e-15);
        check_kernel::<f32>(corr_sum_on, corr_sum_reference, false, 1e-6);
    }

    #[test]
    fn shapes_pad_no_lane_when_a_shape_fits() {
        // conv_rows: the columns alone are padded; ties go to twelve accumulators, then to
        // the fewest loads per FMA; twelve rows never reduce over d <= 8.
        assert_eq!(Shape::for_len(8, 8, false), Shape::R8V1);
        assert_eq!(Shape::for_len(4, 4, false), Shape::R8V1);
        assert_eq!(Shape::for_len(16, 8, false), Shape::R6V2);
        assert_eq!(Shape::for_len(24, 8, false), Shape::R12V1);
        assert_eq!(Shape::for_len(64, 8, false), Shape::R6V2);
        assert_eq!(Shape::for_len(12, 4, false), Shape::R12V1);
        // corr_sum: rows and columns are both d.
        assert_eq!(Shape::for_len(8, 8, true), Shape::R8V1);
        assert_eq!(Shape::for_len(16, 8, true), Shape::R8V1);
        assert_eq!(Shape::for_len(20, 4, true), Shape::R12V1);
        assert_eq!(Shape::for_len(48, 8, true), Shape::R6V2);
        assert_eq!(Shape::for_len(64, 8, true), Shape::R6V2);
    }
}
