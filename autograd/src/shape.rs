//! Shapes, strided layouts and NumPy broadcasting.

use crate::error::{Error, Result};
use smallvec::SmallVec;
use std::fmt;

/// The dimensions of a tensor, outermost first. Up to 4 dimensions live inline (no heap).
pub type Dims = SmallVec<[usize; 4]>;

/// A shape: the list of dimensions, printed as `[2, 3]`.
#[derive(PartialEq, Eq, Hash, Default)]
pub struct Shape(pub(crate) Dims);

/// By a copy of the dimensions (`SmallVec`'s own `clone` pushes them one by one): every op
/// clones its result's shape.
impl Clone for Shape {
    #[inline]
    fn clone(&self) -> Self {
        let dims = self.dims();
        // Element by element over a fixed length of 4 (unrolled): `copy_from_slice` of a
        // variable length calls `memcpy`, which costs more than the copy for 4 dims.
        Shape(dims_with(dims.len(), |out| {
            for (i, o) in out.iter_mut().enumerate().take(4) {
                *o = dims[i];
            }
            if out.len() > 4 {
                out.copy_from_slice(dims);
            }
        }))
    }
}

/// `rank` dims written by `fill`. Up to rank 4 they are written straight into the inline array:
/// `SmallVec::from_slice` and `from_elem` go through a generic copy or fill that costs tens of
/// instructions, paid by every op for its result's shape and strides. Always inlined, so that
/// the rank test and the fill fold into the caller (a call of its own cost a tenth of it).
#[inline(always)]
fn dims_with(rank: usize, fill: impl FnOnce(&mut [usize])) -> Dims {
    if rank > 4 {
        let mut dims = SmallVec::from_elem(0, rank);
        fill(&mut dims);
        return dims;
    }
    let mut inline = [0; 4];
    fill(&mut inline[..rank]);
    SmallVec::from_buf_and_len(inline, rank)
}

impl Shape {
    /// The dimensions.
    #[inline]
    pub fn dims(&self) -> &[usize] {
        &self.0
    }

    /// Number of dimensions.
    pub fn rank(&self) -> usize {
        self.0.len()
    }

    /// Number of elements: the product of the dimensions (1 for a scalar).
    #[inline]
    pub fn numel(&self) -> usize {
        self.0.iter().product()
    }

    /// Row-major (C order) strides of a contiguous tensor of this shape.
    #[inline]
    pub(crate) fn contiguous_strides(&self) -> Dims {
        let dims = self.dims();
        dims_with(dims.len(), |strides| {
            let mut stride = 1;
            for (s, &d) in strides.iter_mut().zip(dims).rev() {
                *s = stride;
                stride *= d;
            }
        })
    }

    /// The NumPy broadcast of two shapes: align from the right; each pair of dimensions must be
    /// equal or one of them 1.
    pub(crate) fn broadcast(op: &'static str, a: &Shape, b: &Shape) -> Result<Shape> {
        let rank = a.rank().max(b.rank());
        let mut out: Dims = SmallVec::from_elem(1, rank);
        for i in 0..rank {
            let da = dim_from_right(a, rank - 1 - i);
            let db = dim_from_right(b, rank - 1 - i);
            out[i] = match (da, db) {
                (x, y) if x == y => x,
                (1, y) => y,
                (x, 1) => x,
                (x, y) => {
                    return Err(Error::new(
                        op,
                        format!("{a:?} and {b:?} do not broadcast: dimensions {x} and {y} differ"),
                    ))
                }
            };
        }
        Ok(Shape(out))
    }

    /// Checks `axis < rank` and returns it, for op `op`.
    pub(crate) fn check_axis(&self, op: &'static str, axis: usize) -> Result<usize> {
        if axis < self.rank() {
            Ok(axis)
        } else {
            Err(Error::new(
                op,
                format!("axis {axis} out of range for shape {self:?}"),
            ))
        }
    }
}

/// The shape with the reduced `axes` set to 1 (NumPy's `keepdims=True`).
pub(crate) fn keepdim_shape(shape: &Shape, axes: &[usize]) -> Shape {
    let mut d: Dims = shape.0.clone();
    for &a in axes {
        d[a] = 1;
    }
    Shape(d)
}

/// Dimension `i` counted from the right (0 = last), 1 beyond the rank.
fn dim_from_right(s: &Shape, i: usize) -> usize {
    if i < s.rank() {
        s.0[s.rank() - 1 - i]
    } else {
        1
    }
}

impl fmt::Debug for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", &self.0[..])
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

impl From<&[usize]> for Shape {
    fn from(d: &[usize]) -> Self {
        Shape(SmallVec::from_slice(d))
    }
}

impl<const N: usize> From<[usize; N]> for Shape {
    fn from(d: [usize; N]) -> Self {
        Shape(SmallVec::from_slice(&d))
    }
}

impl<const N: usize> From<&[usize; N]> for Shape {
    fn from(d: &[usize; N]) -> Self {
        Shape(SmallVec::from_slice(d))
    }
}

impl From<Vec<usize>> for Shape {
    fn from(d: Vec<usize>) -> Self {
        Shape(SmallVec::from_vec(d))
    }
}

impl From<Dims> for Shape {
    fn from(d: Dims) -> Self {
        Shape(d)
    }
}

/// Where a tensor's elements sit in its storage: element `idx` is at
/// `offset + sum_i idx[i] * strides[i]`. Views (transpose, permute, narrow, broadcast) only
/// change the layout; a stride of 0 repeats an element along a broadcast dimension.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    /// The dimensions.
    pub shape: Shape,
    /// Storage distance between neighbours along each dimension.
    pub strides: Dims,
    /// Storage index of the first element.
    pub offset: usize,
}

impl Layout {
    /// The row-major layout of a fresh buffer.
    #[inline]
    pub fn contiguous(shape: Shape) -> Layout {
        let strides = shape.contiguous_strides();
        Layout {
            shape,
            strides,
            offset: 0,
        }
    }

    /// True if the elements are exactly `storage[offset..offset + numel]` in row-major order.
    #[inline]
    pub fn is_contiguous(&self) -> bool {
        let mut expected = 1;
        for (&d, &s) in self.shape.0.iter().zip(&self.strides).rev() {
            if d != 1 && s != expected {
                return false;
            }
            expected *= d;
        }
        true
    }

    /// True if the last two dimensions are column-major (a transposed matrix view): unit stride
    /// down a column, and more than one column.
    pub fn is_transposed(&self) -> bool {
        let r = self.shape.rank();
        r >= 2 && self.strides[r - 2] == 1 && self.shape.0[r - 1] > 1 && self.strides[r - 1] != 1
    }

    /// The layout of this tensor broadcast to `shape` (which must be a valid broadcast of it):
    /// new leading dimensions and expanded size-1 dimensions get stride 0.
    pub fn broadcast_to(&self, shape: &Shape) -> Layout {
        let extra = shape.rank() - self.shape.rank();
        let mut strides: Dims = SmallVec::from_elem(0, shape.rank());
        for i in 0..self.shape.rank() {
            if self.shape.0[i] == shape.0[i + extra] {
                strides[i + extra] = self.strides[i];
            }
        }
        Layout {
            shape: shape.clone(),
            strides,
            offset: self.offset,
        }
    }
}

/// Walks `shape` in row-major order in runs along the innermost dimension: calls
/// `f(offsets, len)` once per run, where `offsets[k]` is operand `k`'s storage offset of the
/// run's first element (operands laid out with `strides[k]` from `start[k]`), and the run's
/// elements follow at the operands' innermost strides. Kernels loop over a run themselves, so
/// the common cases (stride 1, or 0 for a broadcast operand) vectorize.
pub fn for_each_run<const N: usize>(
    shape: &[usize],
    strides: [&[usize]; N],
    start: [usize; N],
    mut f: impl FnMut([usize; N], usize),
) {
    if shape.contains(&0) {
        return;
    }
    let Some((&inner, outer)) = shape.split_last() else {
        f(start, 1);
        return;
    };
    let mut idx: Dims = SmallVec::from_elem(0, outer.len());
    let mut base = start;
    loop {
        f(base, inner);
        // Advance the outer multi-index like an odometer.
        let mut axis = outer.len();
        loop {
            if axis == 0 {
                return;
            }
            axis -= 1;
            idx[axis] += 1;
            for k in 0..N {
                base[k] += strides[k][axis];
            }
            if idx[axis] < outer[axis] {
                break;
            }
            for k in 0..N {
                base[k] -= strides[k][axis] * outer[axis];
            }
            idx[axis] = 0;
        }
    }
}

/// Calls `f` with the storage offsets of every element, in row-major order of `shape`, for
/// `N` operands laid out with the given strides from the given starts (see [`for_each_run`]).
pub fn for_each_offset<const N: usize>(
    shape: &[usize],
    strides: [&[usize]; N],
    start: [usize; N],
    mut f: impl FnMut([usize; N]),
) {
    let inner: [usize; N] = std::array::from_fn(|k| strides[k].last().copied().unwrap_or(0));
    for_each_run(shape, strides, start, |mut o, len| {
        for _ in 0..len {
            f(o);
            for k in 0..N {
                o[k] += inner[k];
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcast_follows_numpy() {
        let s = |d: &[usize]| Shape::from(d);
        assert_eq!(
            Shape::broadcast("add", &s(&[3, 1]), &s(&[4])).unwrap(),
            s(&[3, 4])
        );
        assert_eq!(
            Shape::broadcast("add", &s(&[]), &s(&[2, 2])).unwrap(),
            s(&[2, 2])
        );
        let e = Shape::broadcast("add", &s(&[3, 2]), &s(&[4])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "add: [3, 2] and [4] do not broadcast: dimensions 2 and 4 differ"
        );
    }

    #[test]
    fn offsets_walk_a_transposed_layout() {
        // A 2 x 3 row-major buffer read as its 3 x 2 transpose.
        let mut seen = vec![];
        for_each_offset(&[3, 2], [&[1, 3]], [0], |[o]| seen.push(o));
        assert_eq!(seen, vec![0, 3, 1, 4, 2, 5]);
    }

    #[test]
    fn contiguity() {
        let l = Layout::contiguous(Shape::from([2, 3]));
        assert!(l.is_contiguous());
        let t = Layout {
            shape: Shape::from([3, 2]),
            strides: SmallVec::from_slice(&[1, 3]),
            offset: 0,
        };
        assert!(!t.is_contiguous());
    }
}
