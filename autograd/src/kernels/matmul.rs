//! Matrix products on strided operands: the dispatch between our kernels (on CPUs with AVX2 and
//! FMA) and `matrixmultiply` (elsewhere: its kernels are tuned for each CPU family, ours only
//! for AVX2), and the split of one product across two cores. A transposed operand is passed as
//! swapped strides, never copied.

use super::blocked::{self, nr, OutMat, MR};
use super::cpu;
use super::gemv::gemv;
use super::parallel::{self, num_threads};
use crate::element::Float;
use std::mem::MaybeUninit;

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
    // SAFETY: `gemm_uninit` only writes initialised values, so `out` stays initialised.
    let out = unsafe { &mut *(out as *mut [T] as *mut [MaybeUninit<T>]) };
    gemm_uninit(a, b, out)
}

/// [`gemm`] into a buffer that need not be initialised (`Vec::spare_capacity_mut`): every
/// element of `out` is written, none is read, so a fresh output costs no zero-fill first.
///
/// # Panics
/// As [`gemm`].
pub fn gemm_uninit<T: Float>(a: MatRef<'_, T>, b: MatRef<'_, T>, out: &mut [MaybeUninit<T>]) {
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
        out.fill(MaybeUninit::new(T::zero()));
        return;
    }
    let (m, k, n) = (a.rows, a.cols, b.cols);
    // Every kernel writes each element of its tile before any read of it (the packed kernel
    // adds into C only after its first slice of `k` has stored there).
    let c = OutMat::row_major(out.as_mut_ptr().cast::<T>(), n);
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
    /// Our packed `MR x NR` micro-kernel (`blocked`) on `C = A B`.
    Blocked,
    /// Matrix-vector products (`B` one column or `A` one row): dot products or sums of scaled
    /// rows on the operands in place (`gemv`); falls back to `Blocked` (`MatrixMultiply`
    /// without AVX2/FMA) for other shapes.
    Vector,
    /// Blocks of dot products of contiguous rows, without packing, for `A B` with both
    /// operands contiguous along `k` (a dense layer's `X W^T`); falls back to `Blocked` for
    /// other layouts.
    DotRows,
    /// Tiles of `C` accumulated in registers from `A` and rows of `B` read in place, nothing
    /// packed (`blocked::gemm_direct`), for `B` contiguous along `n`; falls back to `Blocked`
    /// for other layouts.
    Direct,
    /// `matrixmultiply`: the kernel for products on CPUs without AVX2 and FMA (or with
    /// `AUTOGRAD_FORCE_PORTABLE=1`, see `cpu::FORCE_PORTABLE`). With its `threading` feature it
    /// may also split a large product over threads of its own (`MATMUL_NUM_THREADS`).
    MatrixMultiply,
    /// Our packed kernel with the portable micro-kernel (plain Rust, the baseline build): what
    /// [`Blocked`](Kernel::Blocked) runs on a CPU without AVX2 and FMA, whatever this CPU has.
    /// Never chosen; the baseline of `matrixmultiply` in the bench group `gemm_portable_f32`.
    Portable,
}

/// `X W^T` products with at most this many rows go to [`Kernel::DotRows`] (when `k >= 16`): up
/// to here `X` stays in L2 while `W` streams past it once, and the packed kernel's gather of
/// `W^T` is amortised over few row strips. Measured at `k = n = 256` (bench group
/// `gemm_dot_crossover_f32`): dot products 1.15x the packed kernel at `m = 128`, 1.04x at
/// 192, 0.95x at 256; 0.8x at `m = n = k = 1024`.
pub const DOT_MAX_ROWS: usize = 192;
/// `X W^T` products with at most this many columns go to [`Kernel::DotRows`] whatever their
/// rows (when `k >= 16`): the packed kernel's 16-wide tiles are mostly padding. Measured at
/// `m = 512, k = 256` (same group): 1.15x at `n = 32`, 1.03x at 64; 2.4x at `n = 10`.
pub const DOT_MAX_COLS: usize = 64;
/// Products with at most this many rows go to [`Kernel::Direct`]: each strip of `B` serves only
/// `m / 6` tiles, too few to repay packing it. Measured at `k = n = 256` (f32, one thread; bench group
/// `gemm_direct_crossover_f32`): direct 2x the packed kernel at `m = 6`, 1.5x
/// at 12, 1.1x at 24, on par at 32, 0.9x at 48.
pub const DIRECT_MAX_ROWS: usize = 24;
/// Products with an inner dimension at most this short go to [`Kernel::Direct`]: the micro-kernel
/// runs only `k` steps per tile, so packing and the loads and stores of `C` would dominate.
/// Measured at `m = 128, n = 256` (same group): direct 1.5x the packed kernel at `k = 10`, 1.1x at 16, on
/// par at 24 and 32, 0.9x at 48.
pub const DIRECT_MAX_DEPTH: usize = 24;

impl Kernel {
    /// The kernel for `a b`, from the measurements of `benches/matmul.rs` (group
    /// `gemm_mlp_shapes_f32`), first rule that applies:
    ///
    /// 0. one column in `B` or one row in `A`: [`Vector`](Kernel::Vector) (a linear model's
    ///    `X w` and `X^T g`: at `100 x 2` and `20 x 50` the packed kernel spent most of a
    ///    training step packing);
    /// 1. both operands contiguous along `k` (a dense layer's `X W^T`), `k >= 16`, and
    ///    `m <=` `DOT_MAX_ROWS` or `n <=` `DOT_MAX_COLS`: [`DotRows`](Kernel::DotRows), no
    ///    packing (2.4x `matrixmultiply` at 10 output columns, 1.05x at the batch-128 layers);
    /// 2. `B` contiguous along `n` and the product skinny, `m <=` `DIRECT_MAX_ROWS` or
    ///    `k <=` `DIRECT_MAX_DEPTH` (the weight gradient `G^T H` of a 10-class layer, the
    ///    input gradient `G W` through it): [`Direct`](Kernel::Direct), no packing;
    /// 3. otherwise [`Blocked`](Kernel::Blocked), packed (on par with `matrixmultiply` on square
    ///    sizes, ahead on narrow ones).
    ///
    /// Without AVX2 and FMA (`cpu::gemm_simd` false), rules 1 to 3 give
    /// [`MatrixMultiply`](Kernel::MatrixMultiply): our kernels there would be the portable
    /// micro-kernel, which `matrixmultiply` outruns (bench group `gemm_portable_f32`).
    pub fn choose<T>(a: &MatRef<'_, T>, b: &MatRef<'_, T>) -> Kernel {
        Kernel::choose_for(cpu::gemm_simd(), a, b)
    }

    /// [`choose`](Kernel::choose) as on a CPU with (`simd`) or without AVX2 and FMA.
    pub fn choose_for<T>(simd: bool, a: &MatRef<'_, T>, b: &MatRef<'_, T>) -> Kernel {
        let (m, k, n) = (a.rows, a.cols, b.cols);
        if m == 1 || n == 1 {
            Kernel::Vector
        } else if !simd {
            Kernel::MatrixMultiply
        } else if a.col_stride == 1
            && b.row_stride == 1
            && k >= 16
            && (m <= DOT_MAX_ROWS || n <= DOT_MAX_COLS)
        {
            Kernel::DotRows
        } else if b.col_stride == 1 && (m <= DIRECT_MAX_ROWS || k <= DIRECT_MAX_DEPTH) {
            Kernel::Direct
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
        Kernel::Vector => unsafe {
            if !gemv(a, b, c) {
                // The general kernel of this CPU: ours packed, or matrixmultiply.
                let general = if cpu::gemm_simd() {
                    Kernel::Blocked
                } else {
                    Kernel::MatrixMultiply
                };
                gemm_kernel(general, a, b, c)
            }
        },
        Kernel::DotRows => unsafe {
            if !blocked::gemm_dot_nt(a, b, c) {
                blocked::gemm_raw(a, b, c)
            }
        },
        Kernel::Direct => unsafe {
            if !blocked::gemm_direct(a, b, c) {
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
        Kernel::Portable => unsafe { blocked::gemm_portable_raw(a, b, c) },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::parallel::set_num_threads;

    /// Deterministic values in [-0.5, 0.5).
    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self) -> f64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (self.0 >> 11) as f64 / (1u64 << 53) as f64 - 0.5
        }
    }

    /// A random `rows x cols` operand inside a bigger buffer: stored row-major, or as the
    /// transpose of a row-major matrix, with 3 elements before it and, when `padded`, a leading
    /// dimension 2 larger than needed (a sub-matrix view).
    fn operand<T: Float>(
        rng: &mut Lcg,
        rows: usize,
        cols: usize,
        transposed: bool,
        padded: bool,
    ) -> (Vec<T>, usize, usize, usize) {
        let (outer, inner) = if transposed {
            (cols, rows)
        } else {
            (rows, cols)
        };
        let ld = inner + if padded { 2 } else { 0 };
        let offset = 3;
        let data = (0..offset + outer * ld + 1)
            .map(|_| T::from(rng.next()).unwrap())
            .collect();
        let (row_stride, col_stride) = if transposed { (1, ld) } else { (ld, 1) };
        (data, offset, row_stride, col_stride)
    }

    fn naive<T: Float>(a: MatRef<'_, T>, b: MatRef<'_, T>) -> Vec<f64> {
        let at = |m: &MatRef<'_, T>, i: usize, j: usize| {
            m.data[m.offset + i * m.row_stride + j * m.col_stride]
                .to_f64()
                .unwrap()
        };
        let mut c = vec![0.0; a.rows * b.cols];
        for i in 0..a.rows {
            for j in 0..b.cols {
                c[i * b.cols + j] = (0..a.cols).map(|p| at(&a, i, p) * at(&b, p, j)).sum();
            }
        }
        c
    }

    /// Checks every kernel and the dispatch on `m x k x n` in all four transpose combinations,
    /// dense and padded; returns the kernels the dispatch chose.
    fn check_shape<T: Float>(
        rng: &mut Lcg,
        (m, k, n): (usize, usize, usize),
        tol: f64,
    ) -> Vec<Kernel> {
        let mut chosen = vec![];
        for (ta, tb, padded) in (0..8).map(|i| (i & 1 != 0, i & 2 != 0, i & 4 != 0)) {
            let (av, ao, ars, acs) = operand::<T>(rng, m, k, ta, padded);
            let (bv, bo, brs, bcs) = operand::<T>(rng, k, n, tb, padded);
            let a = MatRef {
                data: &av,
                offset: ao,
                rows: m,
                cols: k,
                row_stride: ars,
                col_stride: acs,
            };
            let b = MatRef {
                data: &bv,
                offset: bo,
                rows: k,
                cols: n,
                row_stride: brs,
                col_stride: bcs,
            };
            let want = naive(a, b);
            chosen.push(Kernel::choose(&a, &b));
            let kernels = [
                Kernel::Blocked,
                Kernel::Vector,
                Kernel::DotRows,
                Kernel::Direct,
                Kernel::MatrixMultiply,
                Kernel::Portable,
            ];
            let mut runs: Vec<(String, Vec<T>)> = kernels
                .map(|kernel| {
                    let mut c = vec![T::nan(); m * n];
                    gemm_with(kernel, a, b, &mut c);
                    (format!("{kernel:?}"), c)
                })
                .into();
            let mut c = vec![T::nan(); m * n];
            gemm(a, b, &mut c);
            runs.push(("dispatch".into(), c));
            let mut c = Vec::with_capacity(m * n);
            gemm_uninit(a, b, &mut c.spare_capacity_mut()[..m * n]);
            // SAFETY: gemm_uninit wrote all m * n elements.
            unsafe { c.set_len(m * n) };
            runs.push(("dispatch into uninitialised".into(), c));
            for (name, c) in runs {
                for (idx, (x, y)) in c.iter().zip(&want).enumerate() {
                    let x = x.to_f64().unwrap();
                    assert!(
                        (x - y).abs() <= tol * (k as f64 + 1.0),
                        "{name} {} {m}x{k}x{n} ta={ta} tb={tb} \
                         padded={padded} at ({}, {}): {x} vs {y}",
                        T::DTYPE,
                        idx / n,
                        idx % n,
                    );
                }
            }
        }
        chosen
    }

    /// Every kernel, the dispatch and the two-thread splits (by rows and by columns) agree with
    /// a triple loop, in f32 and f64, for all four transpose combinations, dense and strided
    /// operands, all sizes from a list straddling the tiles' edges (MR = 6, the direct kernel's
    /// 5 rows, NR = 8 / 16, the dot kernel's 2 x 5 and 3 x 4 blocks, the unroll by 4 (of the
    /// kernels and of the matrix-vector dot products), the one-row and one-column products, the
    /// dispatch thresholds) and bigger shapes straddling KC and MC; every dispatch rule is taken.
    #[test]
    fn every_kernel_and_split_matches_naive() {
        let mut rng = Lcg(7);
        let edges = [1, 2, 5, 6, 7, 10, 15, 16, 17, 33];
        let mut shapes = vec![];
        for m in edges {
            for k in edges {
                shapes.extend(edges.map(|n| (m, k, n)));
            }
        }
        shapes.extend([
            (10, 128, 256),
            (128, 10, 256),
            (128, 256, 10),
            (7, 300, 9),
            (200, 64, 70),
            (5, 500, 600),
            (130, 100, 90),
            (7, 257, 17),
            (150, 40, 33),
            (145, 513, 8),
            (193, 20, 65),
            (193, 20, 64),
            (24, 40, 50),
            (25, 40, 50),
            (40, 24, 50),
            (40, 25, 50),
        ]);
        for threads in [1, 2] {
            set_num_threads(threads);
            let mut chosen = vec![];
            for &shape in &shapes {
                chosen.extend(check_shape::<f64>(&mut rng, shape, 1e-14));
                chosen.extend(check_shape::<f32>(&mut rng, shape, 1e-6));
            }
            let expected: &[Kernel] = if cpu::gemm_simd() {
                &[
                    Kernel::Blocked,
                    Kernel::Vector,
                    Kernel::DotRows,
                    Kernel::Direct,
                ]
            } else {
                &[Kernel::Vector, Kernel::MatrixMultiply]
            };
            for kernel in expected {
                assert!(
                    chosen.contains(kernel),
                    "the dispatch never chose {kernel:?}"
                );
            }
            if !cpu::gemm_simd() {
                assert!(
                    chosen
                        .iter()
                        .all(|k| matches!(k, Kernel::Vector | Kernel::MatrixMultiply)),
                    "without AVX2/FMA the dispatch chose one of our AVX2 kernels"
                );
            }
        }
    }

    /// The test above once more, in a child process with `AUTOGRAD_FORCE_PORTABLE=1` (the
    /// variable is read once per process): the dispatch of CPUs without AVX2 and FMA, through
    /// `matrixmultiply`, checked on this one.
    #[test]
    fn every_kernel_and_split_matches_naive_forced_portable() {
        if std::env::var_os(cpu::FORCE_PORTABLE).is_some() {
            return; // the child itself, if run with the whole suite
        }
        let exe = std::env::current_exe().expect("the test binary");
        let out = std::process::Command::new(exe)
            .args([
                "--exact",
                "kernels::matmul::tests::every_kernel_and_split_matches_naive",
                "--nocapture",
            ])
            .env(cpu::FORCE_PORTABLE, "1")
            .output()
            .expect("run the test binary");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("1 passed"),
            "under {}=1:\n{stdout}\n{}",
            cpu::FORCE_PORTABLE,
            String::from_utf8_lossy(&out.stderr)
        );
    }

    #[test]
    fn without_simd_the_general_products_go_to_matrixmultiply() {
        let data = vec![0.0f32; 64];
        let a = MatRef::dense(&data, 4, 8, false);
        let b = MatRef::dense(&data, 8, 4, true);
        assert_eq!(Kernel::choose_for(false, &a, &b), Kernel::MatrixMultiply);
        assert_eq!(Kernel::choose_for(true, &a, &b), Kernel::Blocked);
        let col = MatRef::dense(&data, 8, 1, false);
        assert_eq!(Kernel::choose_for(false, &a, &col), Kernel::Vector);
    }
}
