//! The broadcasting select `out = c != 0 ? a : b` over three strided operands (the kernel of
//! [`Tensor::where_cond`](crate::Tensor::where_cond)).

use crate::element::Float;
use crate::shape::{for_each_run, Layout, Shape};

/// Appends `out[i] = if c[i] != 0 { a[i] } else { b[i] }`, row-major over `out_shape`, to
/// `out`, where `c`, `a` and `b` (with their layouts, addressing the given storages) broadcast
/// to `out_shape`. A NaN in `c` counts as nonzero.
pub fn select_broadcast<T: Float>(
    (c, lc): (&[T], &Layout),
    (a, la): (&[T], &Layout),
    (b, lb): (&[T], &Layout),
    out_shape: &Shape,
    out: &mut Vec<T>,
) {
    let [lc, la, lb] = [lc, la, lb].map(|l| l.broadcast_to(out_shape));
    let inner = |l: &Layout| l.strides.last().copied().unwrap_or(0);
    let (sc, sa, sb) = (inner(&lc), inner(&la), inner(&lb));
    for_each_run(
        out_shape.dims(),
        [&lc.strides, &la.strides, &lb.strides],
        [lc.offset, la.offset, lb.offset],
        |[i, j, k], len| {
            out.extend((0..len).map(|r| {
                if c[i + r * sc] != T::zero() {
                    a[j + r * sa]
                } else {
                    b[k + r * sb]
                }
            }))
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selects_with_broadcasting() {
        let s = |d: &[usize]| Shape::from(d);
        // c: [2, 1], a: [3], b: [] broadcast to [2, 3].
        let (c, a, b) = ([1.0, 0.0], [1.0, 2.0, 3.0], [-1.0]);
        let (lc, la, lb) = (
            Layout::contiguous(s(&[2, 1])),
            Layout::contiguous(s(&[3])),
            Layout::contiguous(s(&[])),
        );
        let mut out = Vec::new();
        select_broadcast((&c, &lc), (&a, &la), (&b, &lb), &s(&[2, 3]), &mut out);
        assert_eq!(out, vec![1.0, 2.0, 3.0, -1.0, -1.0, -1.0]);
        // A NaN condition selects `a`.
        let c = [f64::NAN];
        let lc = Layout::contiguous(s(&[1]));
        let mut out = Vec::new();
        select_broadcast((&c, &lc), (&a, &la), (&b, &lb), &s(&[3]), &mut out);
        assert_eq!(out, vec![1.0, 2.0, 3.0]);
    }
}
