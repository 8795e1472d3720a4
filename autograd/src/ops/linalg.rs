//! Matrix products.

use crate::backprop::Op;
use crate::element::Float;
use crate::error::{ok, Error, Result};
use crate::kernels::matmul::{gemm_uninit, MatRef};
use crate::pool;
use crate::shape::{for_each_offset, Dims, Layout, Shape};
use crate::tensor::Tensor;

impl<T: Float> Tensor<T> {
    /// The matrix product `C = A B` over the last two dimensions: `[.., m, k] x [.., k, n] ->
    /// [.., m, n]`, `C[.., i, j] = sum_p A[.., i, p] B[.., p, j]`. Leading (batch) dimensions
    /// broadcast as in NumPy, so `[b, m, k] x [k, n]` multiplies every matrix of the batch by the
    /// same `B`. Transposed operands (views from [`t`](Tensor::t) or
    /// [`permute`](Tensor::permute)) go to the GEMM as strides, not copies.
    ///
    /// Vectors (1-D operands) as in NumPy's `matmul`: a vector `[k]` on the left is a row `[1, k]`
    /// and one on the right a column `[k, 1]`, and that added dimension is removed from the
    /// result. So `[k] x [k, n] -> [n]` (`v A`), `[m, k] x [k] -> [m]` (`A v`), `[k] x [k] -> []`
    /// (the dot product, a scalar), and `[b, m, k] x [k] -> [b, m]`.
    ///
    /// Backward: `dA = G B^T`, `dB = A^T G` (summed over broadcast batch dimensions; for vectors
    /// through the reshapes above).
    ///
    /// # Panics
    /// If an operand is a scalar (rank 0), the inner dimensions differ, or the batch dimensions do
    /// not broadcast, e.g. `matmul: [3, 4] x [5, 2]: inner dimensions 4 and 5 differ`.
    #[track_caller]
    pub fn matmul(&self, other: &Tensor<T>) -> Tensor<T> {
        ok(self.try_matmul(other))
    }

    /// Fallible form of [`matmul`](Tensor::matmul).
    pub fn try_matmul(&self, other: &Tensor<T>) -> Result<Tensor<T>> {
        let (ra, rb) = (self.rank(), other.rank());
        if ra >= 2 && rb >= 2 {
            return self.matmul_matrices(other);
        }
        let err = |why: String| {
            Err(Error::new(
                "matmul",
                format!("{:?} x {:?}: {why}", self.shape(), other.shape()),
            ))
        };
        if ra == 0 || rb == 0 {
            return err("a scalar operand (use mul or mul_scalar)".into());
        }
        let (k, k2) = (self.dims()[ra - 1], other.dims()[rb.saturating_sub(2)]);
        if k != k2 {
            return err(format!("inner dimensions {k} and {k2} differ"));
        }
        // Promote: a vector on the left is a row, one on the right a column.
        let a = if ra == 1 {
            self.reshape([1, k])
        } else {
            self.clone()
        };
        let b = if rb == 1 {
            other.reshape([k, 1])
        } else {
            other.clone()
        };
        let c = a.matmul_matrices(&b)?;
        // Remove the promoted dimensions: m (second to last) for a vector on the left, n (last)
        // for one on the right.
        let r = c.rank();
        let dims: Dims = (0..r)
            .filter(|&i| !(ra == 1 && i == r - 2 || rb == 1 && i == r - 1))
            .map(|i| c.dims()[i])
            .collect();
        Ok(c.reshape(Shape(dims)))
    }

    /// [`matmul`](Tensor::matmul) of operands of rank 2 or more.
    fn matmul_matrices(&self, other: &Tensor<T>) -> Result<Tensor<T>> {
        let (a, b) = (self.dims(), other.dims());
        let err = |why: String| {
            Err(Error::new(
                "matmul",
                format!("{:?} x {:?}: {why}", self.shape(), other.shape()),
            ))
        };
        let (m, k, k2, n) = (
            a[a.len() - 2],
            a[a.len() - 1],
            b[b.len() - 2],
            b[b.len() - 1],
        );
        if k != k2 {
            return err(format!("inner dimensions {k} and {k2} differ"));
        }
        let batch_a = Shape::from(&a[..a.len() - 2]);
        let batch_b = Shape::from(&b[..b.len() - 2]);
        let batch = match Shape::broadcast("matmul", &batch_a, &batch_b) {
            Ok(s) => s,
            Err(_) => {
                return err(format!(
                    "batch dimensions {batch_a:?} and {batch_b:?} do not broadcast"
                ))
            }
        };
        let mut out_dims: Dims = batch.0.clone();
        out_dims.extend([m, n]);
        let len: usize = out_dims.iter().product();
        // Not zero-filled first: the GEMM writes every element (`gemm_uninit`).
        let mut out = pool::take(len);
        if len > 0 {
            let (da, db) = (self.read(), other.read());
            let (la, lb) = (self.layout(), other.layout());
            // Batch offsets of each operand: its batch layout broadcast to the output's batch.
            let batch_layout = |l: &Layout, rank: usize| {
                Layout {
                    shape: Shape::from(&l.shape.dims()[..rank - 2]),
                    strides: l.strides[..rank - 2].into(),
                    offset: l.offset,
                }
                .broadcast_to(&batch)
            };
            let (ba, bb) = (batch_layout(la, a.len()), batch_layout(lb, b.len()));
            let mat = |data, offset, l: &Layout, rows, cols| {
                let r = l.strides.len();
                MatRef {
                    data,
                    offset,
                    rows,
                    cols,
                    row_stride: l.strides[r - 2],
                    col_stride: l.strides[r - 1],
                }
            };
            let mut chunks = out.spare_capacity_mut()[..len].chunks_mut((m * n).max(1));
            for_each_offset(
                batch.dims(),
                [&ba.strides, &bb.strides],
                [ba.offset, bb.offset],
                |[oa, ob]| {
                    let c = chunks.next().expect("one output chunk per batch element");
                    gemm_uninit(mat(&da[..], oa, la, m, k), mat(&db[..], ob, lb, k, n), c);
                },
            );
            assert!(
                chunks.next().is_none(),
                "matmul: an output chunk was not computed"
            );
            // SAFETY: the chunks cover all `len` elements, every one was passed to
            // `gemm_uninit` (asserted just above), which wrote all its elements.
            unsafe { out.set_len(len) };
        }
        Ok(Tensor::from_op(
            out,
            Shape(out_dims),
            Op::Matmul(self.clone(), other.clone()),
        ))
    }

    /// Dot product `sum_i a_i b_i` of two tensors of the same number of elements, as a scalar.
    #[track_caller]
    pub fn dot(&self, other: &Tensor<T>) -> Tensor<T> {
        ok(self.try_dot(other))
    }

    /// Fallible form of [`dot`](Tensor::dot).
    pub fn try_dot(&self, other: &Tensor<T>) -> Result<Tensor<T>> {
        if self.shape() != other.shape() {
            return Err(Error::new(
                "dot",
                format!("{:?} . {:?}: shapes differ", self.shape(), other.shape()),
            ));
        }
        Ok(self.mul(other).sum_all())
    }
}
