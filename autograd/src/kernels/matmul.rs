//! Matrix products on strided operands, by `matrixmultiply`. A transposed operand is passed as
//! swapped strides, never copied.

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

impl<T> MatRef<'_, T> {
    fn max_index(&self) -> usize {
        if self.rows == 0 || self.cols == 0 {
            return self.offset;
        }
        self.offset + (self.rows - 1) * self.row_stride + (self.cols - 1) * self.col_stride
    }
}

/// `out = a b` where `out` is a contiguous row-major `a.rows x b.cols` buffer.
///
/// # Panics
/// If the inner dimensions differ or an operand does not fit its storage (caller bugs: the
/// tensor ops check shapes first).
pub fn gemm<T: Float>(a: MatRef<'_, T>, b: MatRef<'_, T>, out: &mut [T]) {
    assert_eq!(a.cols, b.rows, "gemm: inner dimensions differ");
    assert_eq!(out.len(), a.rows * b.cols, "gemm: output size");
    if out.is_empty() {
        return;
    }
    if a.cols == 0 {
        out.fill(T::zero());
        return;
    }
    assert!(
        a.max_index() < a.data.len() && b.max_index() < b.data.len(),
        "gemm: operand out of bounds"
    );
    // SAFETY: the asserts above keep every addressed element inside `a.data`, `b.data` and
    // `out`; `out` is a distinct `&mut` so it cannot alias the operands.
    unsafe {
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
            out.as_mut_ptr(),
            b.cols as isize,
            1,
        )
    }
}
