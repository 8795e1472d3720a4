//! Matrix products on strided operands: the dispatch between our blocked kernel and
//! `matrixmultiply`, and the split of one product across two cores. A transposed operand is
//! passed as swapped strides, never copied.

use super::blocked::{self, nr, OutMat, MR};
use super::parallel::{self, num_threads};
use crate::element::Float;

/// One strided matrix operand: `rows x cols` elements at `data[offset + i * row_stride + j * col_stride]`.
#[derive(Clone, Copy, Debug)]
pub struct MatRef<'a, T> {
    /// The storage the matrix lives in.
    pub data: &'a [T],
    /// Index of element (0, 0).
    pub offset: usize,
    /// Number of rows.
    pub rows: usize,
    /// Number of columns.
    pub cols: usize,
    /// Distance between consecutive rows.
    pub row_stride: usize,
    /// Distance between consecutive columns.
    pub col_stride: usize,
}

impl<'a, T> MatRef<'a, T> {
    /// The `rows x cols` matrix stored row-major in `data`, or, when `transposed`, the transpose
    /// of the `cols x rows` matrix stored row-major there (a view by strides).
    pub fn dense(data: &'a [T], rows: usize, cols: usize, transposed: bool) -> Self {
        let (row_stride, col_stride) = if transposed { (1, rows) } else { (cols, 1) };
        MatRef {
            data,
            offset: 0,
            rows,
            cols,
            row_stride,
            col_stride,
        }
    }

    /// True when every element lies inside `data` (an empty matrix always does).
    pub fn in_bounds(&self) -> bool {
        self.rows == 0
            || self.cols == 0
            || self.offset + (self.rows - 1) * self.row_stride + (self.cols - 1) * self.col_stride
                < self.data.len()
    }

    /// Rows `r0 .. r0 + rows` (a view).
    pub fn row_range(self, r0: usize, rows: usize) -> Self {
        debug_assert!(r0 + rows <= self.rows);
        MatRef {
            offset: self.offset + r0 * self.row_stride,
            rows,
            ..self
        }
    }

    /// Columns `c0 .. c0 + cols` (a view).
    pub fn col_range(self, c0: usize, cols: usize) -> Self {
        debug_assert!(c0 + cols <= self.cols);
        MatRef {
            offset: self.offset + c0 * self.col_stride,
            cols,
            ..self
        }
    }
}

/// `out = a b` where `out` is a contiguous row-major `a.rows x b.cols` buffer.
///
/// Chooses the kernel by shape (see [`Kernel::choose`]) and, when [`num_threads`] allows two
/// and the product is big enough to repay the hand-off, splits it in two halves run on both
/// cores: by rows of `a` when there are enough of them, else by columns of `b`.
///
/// # Panics
/// If the inner dimensions differ or an operand does not fit its storage (caller bugs: the
/// tensor ops check shapes first).
pub fn gemm<T: Float>(a: MatRef<'_, T>, b: MatRef<'_, T>, out: &mut [T]) {
    assert_eq!(a.cols, b.rows, "gemm: inner dimensions differ");
    assert_eq!(out.len(), a.rows * b.cols, "gemm: output size");
    assert!(
        a.in_bounds() && b.in_bounds(),
        "gemm: operand out of bounds"
    );
    if out.is_empty() {
        return;
    }
    if a.cols == 0 {
        out.fill(T::zero());
        return;
    }
    let (m, k, n) = (a.rows, a.cols, b.cols);
    let c = OutMat::row_major(out.as_mut_ptr(), n);
    // SAFETY (all calls below): shapes and bounds are checked above; the halves write disjoint
    // rows or columns of `out`, which this function borrows mutably for their whole run.
    if num_threads() < 2 || 2 * m * n * k < PARALLEL_MIN_FLOPS {
        return unsafe { gemm_serial(a, b, c) };
    }
    if m >= 2 * MR {
        let m1 = (m / 2).next_multiple_of(MR).min(m);
        let c2 = unsafe { c.at(m1, 0) };
        parallel::join(
            || unsafe { gemm_serial(a.row_range(0, m1), b, c) },
            move || unsafe { gemm_serial(a.row_range(m1, m - m1), b, c2) },
        );
    } else {
        let n1 = (n / 2).next_multiple_of(nr::<T>()).min(n);
        let c2 = unsafe { c.at(0, n1) };
        parallel::join(
            || unsafe { gemm_serial(a, b.col_range(0, n1), c) },
            move || unsafe { gemm_serial(a, b.col_range(n1, n - n1), c2) },
        );
    }
}

/// Below this many flops (`2 m n k`) a product runs on one thread: the hand-off to the helper
/// (about a microsecond while it spins, tens when it sleeps) would eat the gain.
pub const PARALLEL_MIN_FLOPS: usize = 1 << 21;

/// The GEMM implementations [`gemm`] chooses from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kernel {
    /// Our packed `MR x NR` micro-kernel ([`blocked`]) on `C = A B`.
    Blocked,
    /// Blocks of dot products of contiguous rows, without packing, for `A B` with both
    /// operands contiguous along `k` (a dense layer's `X W^T`); falls back to `Blocked` for
    /// other layouts.
    DotRows,
    /// `matrixmultiply`.
    MatrixMultiply,
}

impl Kernel {
    /// The kernel for `a b`, from the measurements of `benches/matmul.rs` (group
    /// `gemm_mlp_shapes_f32`): rows of dot products when both operands are contiguous along
    /// `k` (no packing; 2x `matrixmultiply` at 10 output columns, on par at 256), else the
    /// blocked kernel (on par with `matrixmultiply` on square sizes, ahead on narrow ones).
    pub fn choose<T>(a: &MatRef<'_, T>, b: &MatRef<'_, T>) -> Kernel {
        if a.col_stride == 1 && b.row_stride == 1 && a.cols >= 16 {
            Kernel::DotRows
        } else {
            Kernel::Blocked
        }
    }
}

/// `out = a b` on this thread by the given kernel (for benches and tests; [`gemm`] chooses).
///
/// # Panics
/// As [`gemm`].
pub fn gemm_with<T: Float>(kernel: Kernel, a: MatRef<'_, T>, b: MatRef<'_, T>, out: &mut [T]) {
    assert_eq!(a.cols, b.rows, "gemm: inner dimensions differ");
    assert_eq!(out.len(), a.rows * b.cols, "gemm: output size");
    assert!(
        a.in_bounds() && b.in_bounds(),
        "gemm: operand out of bounds"
    );
    if out.is_empty() {
        return;
    }
    let c = OutMat::row_major(out.as_mut_ptr(), b.cols);
    // SAFETY: checked above.
    unsafe { gemm_kernel(kernel, a, b, c) }
}

/// One thread's product into `c`.
///
/// # Safety
/// As [`blocked::gemm_raw`].
unsafe fn gemm_serial<T: Float>(a: MatRef<'_, T>, b: MatRef<'_, T>, c: OutMat<T>) {
    unsafe { gemm_kernel(Kernel::choose(&a, &b), a, b, c) }
}

/// The product into `c` by `kernel`.
///
/// # Safety
/// As [`blocked::gemm_raw`].
unsafe fn gemm_kernel<T: Float>(kernel: Kernel, a: MatRef<'_, T>, b: MatRef<'_, T>, c: OutMat<T>) {
    if a.cols == 0 {
        for i in 0..a.rows {
            for j in 0..b.cols {
                unsafe { *c.ptr.add(i * c.row_stride + j * c.col_stride) = T::zero() };
            }
        }
        return;
    }
    match kernel {
        Kernel::Blocked => unsafe { blocked::gemm_raw(a, b, c) },
        Kernel::DotRows => unsafe {
            if !blocked::gemm_dot_nt(a, b, c) {
                blocked::gemm_raw(a, b, c)
            }
        },
        Kernel::MatrixMultiply => unsafe {
            T::gemm(
                a.rows,
                a.cols,
                b.cols,
                T::one(),
                a.data.as_ptr().add(a.offset),
                a.row_stride as isize,
                a.col_stride as isize,
                b.data.as_ptr().add(b.offset),
                b.row_stride as isize,
                b.col_stride as isize,
                T::zero(),
                c.ptr,
                c.row_stride as isize,
                c.col_stride as isize,
            )
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::parallel::set_num_threads;

    fn naive(a: MatRef<'_, f64>, b: MatRef<'_, f64>) -> Vec<f64> {
        let at = |m: &MatRef<'_, f64>, i: usize, j: usize| {
            m.data[m.offset + i * m.row_stride + j * m.col_stride]
        };
        let mut c = vec![0.0; a.rows * b.cols];
        for i in 0..a.rows {
            for j in 0..b.cols {
                c[i * b.cols + j] = (0..a.cols).map(|p| at(&a, i, p) * at(&b, p, j)).sum();
            }
        }
        c
    }

    /// Every kernel, the dispatch and the two-thread splits (by rows and by columns) agree with
    /// a triple loop, for all four transpose combinations and sizes that straddle the blocked
    /// kernel's MR, NR, KC and MC boundaries.
    #[test]
    fn every_kernel_and_split_matches_naive() {
        let mut seed = 7u64;
        let mut rand = |n: usize| -> Vec<f64> {
            (0..n)
                .map(|_| {
                    seed = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    (seed >> 11) as f64 / (1u64 << 53) as f64 - 0.5
                })
                .collect()
        };
        for threads in [1, 2] {
            set_num_threads(threads);
            for &(m, k, n) in &[
                (1, 1, 1),
                (3, 17, 5),
                (10, 128, 256),
                (128, 33, 10),
                (7, 300, 9),
                (200, 64, 70),
                (5, 500, 600),
                (130, 100, 90),
                (6, 8, 16),
                (7, 257, 17),
                (150, 40, 33),
                (145, 513, 8),
            ] {
                for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
                    let (av, bv) = (rand(m * k), rand(k * n));
                    let (a, b) = (MatRef::dense(&av, m, k, ta), MatRef::dense(&bv, k, n, tb));
                    let want = naive(a, b);
                    let mut runs = vec![];
                    for kernel in [Kernel::Blocked, Kernel::DotRows, Kernel::MatrixMultiply] {
                        let mut c = vec![f64::NAN; m * n];
                        gemm_with(kernel, a, b, &mut c);
                        runs.push((format!("{kernel:?}"), c));
                    }
                    let mut c = vec![f64::NAN; m * n];
                    gemm(a, b, &mut c);
                    runs.push(("dispatch".into(), c));
                    for (name, c) in runs {
                        for (x, y) in c.iter().zip(&want) {
                            assert!(
                                (x - y).abs() <= 1e-12 * k as f64,
                                "{name} {m}x{k}x{n} ta={ta} tb={tb} threads={threads}: {x} vs {y}"
                            );
                        }
                    }
                }
            }
        }
    }
}
