//! Elementwise maps over contiguous buffers and broadcasting binary maps over strided ones.

use crate::shape::{for_each_offset, Layout, Shape};

/// `out[i] = f(a[i])`.
pub fn map<T: Copy, U>(a: &[T], f: impl Fn(T) -> U) -> Vec<U> {
    a.iter().map(|&x| f(x)).collect()
}

/// `out = f(a, b)` elementwise, where `a` and `b` (with their layouts, addressing the given
/// storages) broadcast to `out_shape`. Contiguous operands of equal shape take a plain zip loop.
pub fn zip_broadcast<T: Copy>(
    a: &[T],
    la: &Layout,
    b: &[T],
    lb: &Layout,
    out_shape: &Shape,
    f: impl Fn(T, T) -> T,
) -> Vec<T> {
    let n = out_shape.numel();
    if la.shape == *out_shape && lb.shape == *out_shape && la.is_contiguous() && lb.is_contiguous()
    {
        let a = &a[la.offset..la.offset + n];
        let b = &b[lb.offset..lb.offset + n];
        return a.iter().zip(b).map(|(&x, &y)| f(x, y)).collect();
    }
    let (la, lb) = (la.broadcast_to(out_shape), lb.broadcast_to(out_shape));
    let mut out = Vec::with_capacity(n);
    for_each_offset(
        out_shape.dims(),
        [&la.strides, &lb.strides],
        [la.offset, lb.offset],
        |[i, j]| out.push(f(a[i], b[j])),
    );
    out
}

/// Copies the elements addressed by `layout` into a new row-major buffer.
pub fn gather_strided<T: Copy>(data: &[T], layout: &Layout) -> Vec<T> {
    let mut out = Vec::with_capacity(layout.shape.numel());
    for_each_offset(
        layout.shape.dims(),
        [&layout.strides],
        [layout.offset],
        |[o]| out.push(data[o]),
    );
    out
}
