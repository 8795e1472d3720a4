//! Matrix-vector products: `C = A B` when `B` is one column (`n = 1`) or `A` is one row
//! (`m = 1`), on the strided operands in place. A linear model's forward `X w`, its weight
//! gradient `X^T g` and a layer's product with one sample are such products; the packed GEMM
//! would pack a whole operand to use a 1-wide strip of its tiles.
//!
//! Each output element is either a dot product of two contiguous runs (8 independent
//! accumulators, so the loop vectorizes) or the sum of scaled contiguous rows (`c += a_p b_p`,
//! an axpy per term), whichever reads the operands along their contiguous dimension. Both
//! loops are compiled a second time with AVX2 enabled and chosen at run time.

use super::blocked::OutMat;
use super::matmul::MatRef;
use crate::element::Float;

/// Whether the AVX2 + FMA forms can run ([`cpu::gemm_simd`](super::cpu::gemm_simd), so that
/// `AUTOGRAD_FORCE_PORTABLE=1` selects the baseline build): checked once per product, not per dot
/// product (a `100 x 2` product makes 100 of them).
fn avx2() -> bool {
    super::cpu::gemm_simd()
}

/// `sum_i x_i y_i` over two equal-length slices, in eight interleaved partial sums (so the
/// loop vectorizes; the AVX2 build when `simd`, which must come from [`avx2`]).
fn dot<T: Float>(simd: bool, x: &[T], y: &[T]) -> T {
    #[cfg(target_arch = "x86_64")]
    if simd {
        // SAFETY: `simd` says the CPU has AVX2 and FMA.
        return unsafe { dot_avx2(x, y) };
    }
    let _ = simd;
    dot_body(x, y)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn dot_avx2<T: Float>(x: &[T], y: &[T]) -> T {
    dot_body(x, y)
}

#[inline(always)]
fn dot_body<T: Float>(x: &[T], y: &[T]) -> T {
    let mut acc = [T::zero(); 8];
    let (xc, yc) = (x.chunks_exact(8), y.chunks_exact(8));
    let tail = xc
        .remainder()
        .iter()
        .zip(yc.remainder())
        .fold(T::zero(), |s, (&a, &b)| s + a * b);
    for (a, b) in xc.zip(yc) {
        for l in 0..8 {
            acc[l] = acc[l] + a[l] * b[l];
        }
    }
    ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7])) + tail
}

/// `y += alpha x` over two equal-length slices (the AVX2 build when `simd`, which must come
/// from [`avx2`]).
fn axpy<T: Float>(simd: bool, alpha: T, x: &[T], y: &mut [T]) {
    #[cfg(target_arch = "x86_64")]
    if simd {
        // SAFETY: `simd` says the CPU has AVX2 and FMA.
        return unsafe { axpy_avx2(alpha, x, y) };
    }
    let _ = simd;
    axpy_body(alpha, x, y)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn axpy_avx2<T: Float>(alpha: T, x: &[T], y: &mut [T]) {
    axpy_body(alpha, x, y)
}

#[inline(always)]
fn axpy_body<T: Float>(alpha: T, x: &[T], y: &mut [T]) {
    for (yi, &xi) in y.iter_mut().zip(x) {
        *yi = *yi + alpha * xi;
    }
}

/// Element `(i, j)` of a strided operand.
fn at<T: Float>(m: &MatRef<'_, T>, i: usize, j: usize) -> T {
    m.data[m.offset + i * m.row_stride + j * m.col_stride]
}

/// Row `i` of `m` as a slice, when its columns are contiguous.
fn row<'a, T>(m: &MatRef<'a, T>, i: usize) -> &'a [T] {
    let start = m.offset + i * m.row_stride;
    &m.data[start..start + m.cols]
}

/// Column `j` of `m` as a slice, when its rows are contiguous.
fn col<'a, T>(m: &MatRef<'a, T>, j: usize) -> &'a [T] {
    let start = m.offset + j * m.col_stride;
    &m.data[start..start + m.rows]
}

/// `c = a b` for `b.cols == 1` or `a.rows == 1`; `false` (nothing written) for other shapes.
///
/// # Safety
/// `c` must be valid for writes of `a.rows x b.cols` elements at its strides, and not alias
/// `a` or `b`; `a` and `b` must be in bounds with `a.cols == b.rows`.
pub(crate) unsafe fn gemv<T: Float>(a: MatRef<'_, T>, b: MatRef<'_, T>, c: OutMat<T>) -> bool {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    let simd = avx2();
    let mut out = vec_out(c, m, n);
    if n == 1 {
        // c_i = <row i of A, b>.
        if a.col_stride == 1 && b.row_stride == 1 {
            let bv = col(&b, 0);
            if k < 8 {
                // Rows shorter than one vector: a plain loop beats a call per row.
                for i in 0..m {
                    let r = row(&a, i);
                    out.set(i, r.iter().zip(bv).fold(T::zero(), |s, (&x, &y)| s + x * y));
                }
            } else {
                for i in 0..m {
                    out.set(i, dot(simd, row(&a, i), bv));
                }
            }
        } else if a.row_stride == 1 {
            // The columns of A are contiguous: c = sum_p b_p A[:, p].
            out.accumulate(m, |acc| {
                for p in 0..k {
                    axpy(simd, at(&b, p, 0), col(&a, p), acc);
                }
            });
        } else {
            for i in 0..m {
                out.set(
                    i,
                    (0..k).fold(T::zero(), |s, p| s + at(&a, i, p) * at(&b, p, 0)),
                );
            }
        }
        true
    } else if m == 1 {
        // c_j = <a, column j of B>.
        if b.row_stride == 1 && a.col_stride == 1 {
            let av = row(&a, 0);
            for j in 0..n {
                out.set(j, dot(simd, av, col(&b, j)));
            }
        } else if b.col_stride == 1 {
            // The rows of B are contiguous: c = sum_p a_p B[p, :].
            out.accumulate(n, |acc| {
                for p in 0..k {
                    axpy(simd, at(&a, 0, p), row(&b, p), acc);
                }
            });
        } else {
            for j in 0..n {
                out.set(
                    j,
                    (0..k).fold(T::zero(), |s, p| s + at(&a, 0, p) * at(&b, p, j)),
                );
            }
        }
        true
    } else {
        false
    }
}

/// The `m x 1` or `1 x n` output as a strided vector.
struct VecOut<T> {
    ptr: *mut T,
    stride: usize,
}

fn vec_out<T>(c: OutMat<T>, m: usize, n: usize) -> VecOut<T> {
    debug_assert!(m == 1 || n == 1);
    let stride = if n == 1 { c.row_stride } else { c.col_stride };
    VecOut { ptr: c.ptr, stride }
}

impl<T: Float> VecOut<T> {
    fn set(&mut self, i: usize, v: T) {
        // SAFETY: `gemv`'s contract: `c` is valid for writes of the output's elements.
        unsafe { *self.ptr.add(i * self.stride) = v };
    }

    /// Zeroes the `len` outputs and lets `f` add into them as one slice (in place when they are
    /// contiguous, as in every product `gemm` makes; through a temporary otherwise).
    fn accumulate(&mut self, len: usize, f: impl FnOnce(&mut [T])) {
        for i in 0..len {
            self.set(i, T::zero());
        }
        if self.stride == 1 {
            // SAFETY: the `len` contiguous outputs are valid for writes (the contract) and were
            // just initialised; nothing else refers to them during `f`.
            f(unsafe { std::slice::from_raw_parts_mut(self.ptr, len) });
        } else {
            let mut acc = vec![T::zero(); len];
            f(&mut acc);
            for (i, &x) in acc.iter().enumerate() {
                self.set(i, x);
            }
        }
    }
}
