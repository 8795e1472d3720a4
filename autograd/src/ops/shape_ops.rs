//! Shape operations: views (reshape, permute, broadcast, narrow) and copies (concat, index
//! selection).

use crate::backprop::Op;
use crate::element::Float;
use crate::error::{ok, Error, Result};
use crate::pool;
use crate::shape::{Dims, Layout, Shape};
use crate::tensor::Tensor;
use smallvec::{smallvec, SmallVec};
use std::sync::Arc;

impl<T: Float> Tensor<T> {
    /// The same elements in row-major order with another shape of the same number of elements
    /// (a view when contiguous, a copy otherwise).
    ///
    /// # Panics
    /// If the element counts differ: `reshape: [2, 3] -> [4]: 6 elements do not fit 4`.
    #[track_caller]
    pub fn reshape(&self, dims: impl Into<Shape>) -> Tensor<T> {
        ok(self.try_reshape(dims))
    }

    /// Fallible form of [`reshape`](Tensor::reshape).
    pub fn try_reshape(&self, dims: impl Into<Shape>) -> Result<Tensor<T>> {
        let shape = dims.into();
        if shape.numel() != self.numel() {
            return Err(Error::new(
                "reshape",
                format!(
                    "{:?} -> {shape:?}: {} elements do not fit {}",
                    self.shape(),
                    self.numel(),
                    shape.numel()
                ),
            ));
        }
        if shape == *self.shape() {
            return Ok(self.clone());
        }
        let src = if self.layout().is_contiguous() {
            self.clone()
        } else {
            self.contiguous()
        };
        let layout = Layout {
            offset: src.layout().offset,
            ..Layout::contiguous(shape)
        };
        Ok(src.view_op(layout, Op::Reshape(self.clone())))
    }

    /// A flat view of all elements, shape `[numel]`.
    pub fn flatten(&self) -> Tensor<T> {
        self.reshape([self.numel()])
    }

    /// Reorders the dimensions: dimension `i` of the result is dimension `perm[i]` of `self`.
    /// A view: no data moves.
    ///
    /// # Panics
    /// If `perm` is not a permutation of `0..rank`.
    #[track_caller]
    pub fn permute(&self, perm: &[usize]) -> Tensor<T> {
        ok(self.try_permute(perm))
    }

    /// Fallible form of [`permute`](Tensor::permute).
    pub fn try_permute(&self, perm: &[usize]) -> Result<Tensor<T>> {
        let rank = self.rank();
        // On the stack: every matmul's backward transposes, and a warm step allocates nothing.
        let mut seen: SmallVec<[bool; 8]> = smallvec![false; rank];
        if perm.len() != rank
            || perm
                .iter()
                .any(|&p| p >= rank || std::mem::replace(&mut seen[p], true))
        {
            return Err(Error::new(
                "permute",
                format!(
                    "{perm:?} is not a permutation of the {rank} dimensions of {:?}",
                    self.shape()
                ),
            ));
        }
        let l = self.layout();
        let layout = Layout {
            shape: Shape(perm.iter().map(|&p| l.shape.dims()[p]).collect()),
            strides: perm.iter().map(|&p| l.strides[p]).collect(),
            offset: l.offset,
        };
        Ok(self.view_op(layout, Op::Permute(self.clone(), perm.into())))
    }

    /// Swaps dimensions `i` and `j` (a view).
    #[track_caller]
    pub fn transpose(&self, i: usize, j: usize) -> Tensor<T> {
        let mut perm: Dims = (0..self.rank()).collect();
        if i >= self.rank() || j >= self.rank() {
            panic!(
                "transpose: dimensions {i} and {j} out of range for shape {:?}",
                self.shape()
            );
        }
        perm.swap(i, j);
        self.permute(&perm)
    }

    /// The transpose of a matrix (a view).
    ///
    /// # Panics
    /// If `self` is not 2-D.
    #[track_caller]
    pub fn t(&self) -> Tensor<T> {
        if self.rank() != 2 {
            panic!("t: expects a matrix, got shape {:?}", self.shape());
        }
        self.transpose(0, 1)
    }

    /// Swaps the last two dimensions (a view); used by the matmul backward rule.
    pub(crate) fn transpose_last(&self) -> Tensor<T> {
        let r = self.rank();
        self.transpose(r - 2, r - 1)
    }

    /// Broadcasts to `dims` as in NumPy (a view with stride 0 along repeated dimensions).
    /// Backward sums the gradient back to this shape.
    #[track_caller]
    pub fn broadcast_to(&self, dims: impl Into<Shape>) -> Tensor<T> {
        ok(self.try_broadcast_to(dims))
    }

    /// Fallible form of [`broadcast_to`](Tensor::broadcast_to).
    pub fn try_broadcast_to(&self, dims: impl Into<Shape>) -> Result<Tensor<T>> {
        let shape = dims.into();
        let joint = Shape::broadcast("broadcast_to", self.shape(), &shape)?;
        if joint != shape {
            return Err(Error::new(
                "broadcast_to",
                format!("{:?} cannot be broadcast to {shape:?}", self.shape()),
            ));
        }
        if shape == *self.shape() {
            return Ok(self.clone());
        }
        Ok(self.view_op(
            self.layout().broadcast_to(&shape),
            Op::Broadcast(self.clone()),
        ))
    }

    /// Sums a broadcast result back to `shape` (the inverse of broadcasting, used by backward
    /// rules): sums over the leading extra dimensions and over dimensions where `shape` has 1.
    #[track_caller]
    pub fn sum_to(&self, shape: &Shape) -> Tensor<T> {
        if self.shape() == shape {
            return self.clone();
        }
        let extra = self.rank() - shape.rank();
        let axes: Dims = (0..self.rank())
            .filter(|&i| i < extra || (shape.dims()[i - extra] == 1 && self.dims()[i] != 1))
            .collect();
        self.sum(&axes, true).reshape(shape.clone())
    }

    /// The slice `start..start + len` along `axis` (a view).
    ///
    /// # Panics
    /// If the range does not fit: `narrow: [4, 3]: range 2..6 of axis 0 exceeds its size 4`.
    #[track_caller]
    pub fn narrow(&self, axis: usize, start: usize, len: usize) -> Tensor<T> {
        ok(self.try_narrow(axis, start, len))
    }

    /// Fallible form of [`narrow`](Tensor::narrow).
    pub fn try_narrow(&self, axis: usize, start: usize, len: usize) -> Result<Tensor<T>> {
        let axis = self.shape().check_axis("narrow", axis)?;
        let size = self.dims()[axis];
        if start + len > size {
            return Err(Error::new(
                "narrow",
                format!(
                    "{:?}: range {start}..{} of axis {axis} exceeds its size {size}",
                    self.shape(),
                    start + len
                ),
            ));
        }
        let l = self.layout();
        let mut layout = l.clone();
        layout.shape.0[axis] = len;
        layout.offset += start * l.strides[axis];
        Ok(self.view_op(layout, Op::Narrow(self.clone(), axis, start)))
    }

    /// Joins tensors along `axis`; all other dimensions must agree.
    ///
    /// # Panics
    /// If `parts` is empty or the shapes disagree off `axis`.
    #[track_caller]
    pub fn concat(parts: &[&Tensor<T>], axis: usize) -> Tensor<T> {
        ok(Self::try_concat(parts, axis))
    }

    /// Fallible form of [`concat`](Tensor::concat).
    pub fn try_concat(parts: &[&Tensor<T>], axis: usize) -> Result<Tensor<T>> {
        let first = parts
            .first()
            .ok_or_else(|| Error::new("concat", "no tensors to join"))?;
        let axis = first.shape().check_axis("concat", axis)?;
        let mut dims: Dims = first.dims().into();
        dims[axis] = 0;
        for p in parts {
            let same = p.rank() == first.rank()
                && p.dims()
                    .iter()
                    .zip(first.dims())
                    .enumerate()
                    .all(|(i, (a, b))| i == axis || a == b);
            if !same {
                return Err(Error::new(
                    "concat",
                    format!(
                        "{:?} and {:?} differ off axis {axis}",
                        first.shape(),
                        p.shape()
                    ),
                ));
            }
            dims[axis] += p.dims()[axis];
        }
        // Row-major: the result is `outer` blocks, each the parts' blocks one after another.
        let outer: usize = dims[..axis].iter().product();
        let values: Vec<Vec<T>> = parts.iter().map(|p| p.to_vec()).collect();
        let mut out = pool::take(dims.iter().product());
        for o in 0..outer {
            for v in &values {
                let block = v.len() / outer.max(1);
                out.extend_from_slice(&v[o * block..(o + 1) * block]);
            }
        }
        let op = Op::Concat(parts.iter().map(|&p| p.clone()).collect(), axis);
        Ok(Tensor::from_op(out, Shape(dims), op))
    }

    /// Picks the slices `indices[0], indices[1], ...` along `axis`: the result has size
    /// `indices.len()` there. Indices may repeat (their gradients add up).
    ///
    /// # Panics
    /// If an index is out of range: `index_select: index 7 out of range for axis 0 of [5, 2]`.
    #[track_caller]
    pub fn index_select(&self, axis: usize, indices: &[usize]) -> Tensor<T> {
        ok(self.try_index_select(axis, indices))
    }

    /// Fallible form of [`index_select`](Tensor::index_select).
    pub fn try_index_select(&self, axis: usize, indices: &[usize]) -> Result<Tensor<T>> {
        let axis = self.shape().check_axis("index_select", axis)?;
        let size = self.dims()[axis];
        if let Some(&bad) = indices.iter().find(|&&i| i >= size) {
            return Err(Error::new(
                "index_select",
                format!(
                    "index {bad} out of range for axis {axis} of {:?}",
                    self.shape()
                ),
            ));
        }
        let (outer, inner) = outer_inner(self.dims(), axis);
        let src = self.to_vec();
        let mut out = pool::take(outer * indices.len() * inner);
        for o in 0..outer {
            for &i in indices {
                let start = (o * size + i) * inner;
                out.extend_from_slice(&src[start..start + inner]);
            }
        }
        let mut dims: Dims = self.dims().into();
        dims[axis] = indices.len();
        Ok(Tensor::from_op(
            out,
            Shape(dims),
            Op::IndexSelect(self.clone(), axis, Arc::from(indices)),
        ))
    }

    /// The adjoint of [`index_select`](Tensor::index_select): a tensor with `size` slices along
    /// `axis`, zero except that slice `j` of `self` is added into slice `indices[j]`.
    ///
    /// # Panics
    /// If `indices.len()` differs from the size of `axis` or an index is `>= size`.
    #[track_caller]
    pub fn index_add(&self, axis: usize, indices: &[usize], size: usize) -> Tensor<T> {
        ok(self.try_index_add(axis, indices, size))
    }

    /// Fallible form of [`index_add`](Tensor::index_add).
    pub fn try_index_add(&self, axis: usize, indices: &[usize], size: usize) -> Result<Tensor<T>> {
        let axis = self.shape().check_axis("index_add", axis)?;
        if indices.len() != self.dims()[axis] || indices.iter().any(|&i| i >= size) {
            return Err(Error::new(
                "index_add",
                format!(
                    "{} indices below {size} needed for axis {axis} of {:?}",
                    self.dims()[axis],
                    self.shape()
                ),
            ));
        }
        let (outer, inner) = outer_inner(self.dims(), axis);
        let src = self.to_vec();
        let mut out = pool::zeros(outer * size * inner);
        for o in 0..outer {
            for (j, &i) in indices.iter().enumerate() {
                let from = &src[(o * indices.len() + j) * inner..][..inner];
                let to = &mut out[(o * size + i) * inner..][..inner];
                to.iter_mut().zip(from).for_each(|(t, &f)| *t = *t + f);
            }
        }
        let mut dims: Dims = self.dims().into();
        dims[axis] = size;
        Ok(Tensor::from_op(
            out,
            Shape(dims),
            Op::IndexAdd(self.clone(), axis, Arc::from(indices)),
        ))
    }

    /// For a matrix `[n, k]` and one column index per row, the vector `[x[i, cols[i]]]` of shape
    /// `[n]` (picking each sample's label score). Built from `index_select` on the flat view.
    ///
    /// # Panics
    /// If `self` is not 2-D, `cols.len() != n`, or a column is out of range.
    #[track_caller]
    pub fn gather_rows(&self, cols: &[usize]) -> Tensor<T> {
        ok(self.try_gather_rows(cols))
    }

    /// Fallible form of [`gather_rows`](Tensor::gather_rows).
    pub fn try_gather_rows(&self, cols: &[usize]) -> Result<Tensor<T>> {
        let [_, k] = self.check_row_indices("gather_rows", cols)?;
        let flat: Vec<usize> = cols.iter().enumerate().map(|(i, &c)| i * k + c).collect();
        self.flatten().try_index_select(0, &flat)
    }

    /// Checks that `self` is a matrix `[n, k]` and `cols` holds `n` column indices `< k`
    /// (one per row); returns `[n, k]`. Errors are reported under `op`.
    pub(crate) fn check_row_indices(&self, op: &'static str, cols: &[usize]) -> Result<[usize; 2]> {
        let &[n, k] = self.dims() else {
            return Err(Error::new(
                op,
                format!("expects a matrix, got shape {:?}", self.shape()),
            ));
        };
        if cols.len() != n {
            return Err(Error::new(
                op,
                format!(
                    "{} indices for the {n} rows of {:?}",
                    cols.len(),
                    self.shape()
                ),
            ));
        }
        if let Some((i, &c)) = cols.iter().enumerate().find(|(_, &c)| c >= k) {
            return Err(Error::new(
                op,
                format!(
                    "index {c} (row {i}) out of range for the {k} columns of {:?}",
                    self.shape()
                ),
            ));
        }
        Ok([n, k])
    }
}

/// Products of the dimensions before and after `axis`.
fn outer_inner(dims: &[usize], axis: usize) -> (usize, usize) {
    (
        dims[..axis].iter().product(),
        dims[axis + 1..].iter().product(),
    )
}
