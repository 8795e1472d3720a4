//! Raw `matrixmultiply` on the strided operands of autograd's GEMM kernels: the baseline that
//! `benches/matmul.rs` and `benches/mlp_step.rs` measure our kernels against.

use autograd::bench::matmul::MatRef;
use autograd::Float;

/// `matrixmultiply` on the operands of a [`MatRef`] pair, into a row-major `c`.
pub fn matrixmultiply_gemm<T: Float>(a: MatRef<'_, T>, b: MatRef<'_, T>, c: &mut [T]) {
    assert!(a.in_bounds() && b.in_bounds() && c.len() == a.rows * b.cols);
    // SAFETY: the operands are in bounds and `c` holds a.rows x b.cols elements (asserted).
    unsafe {
        T::gemm(
            a.rows,
            a.cols,
            b.cols,
            T::one(),
            a.data.as_ptr(),
            a.row_stride as isize,
            a.col_stride as isize,
            b.data.as_ptr(),
            b.row_stride as isize,
            b.col_stride as isize,
            T::zero(),
            c.as_mut_ptr(),
            b.cols as isize,
            1,
        )
    }
}
