//! Elementwise maps over contiguous buffers and broadcasting binary maps over strided ones.
//! Each appends its result to the buffer `out` its caller gives it (a buffer from the pool,
//! empty, with room for the result).

use super::parallel::split_mut;
use crate::element::Float;
use crate::shape::{for_each_run, Layout, Shape};
use std::mem::MaybeUninit;

/// Elements from which a map over contiguous buffers splits over two threads. Measured by
/// `cargo bench --bench threads` (f64 `mul`, idle 2-core Xeon): two threads took 0.76x the
/// speed of one at 2^16 elements (in cache, the hand-off and the cache lines moving between
/// cores cost more than the 16 us of work) and 2.09x at 2^18.
pub const PARALLEL_MIN: usize = 1 << 18;

/// Appends `n` elements to `out`, written by `fill(offset, piece)` for the pieces of the
/// output starting at `offset`: the two halves on two threads at once for
/// `n >= PARALLEL_MIN`, else the whole in one piece. Each element must depend on its inputs at
/// the same index only, so the result does not depend on the thread count.
fn fill<T: Float>(n: usize, out: &mut Vec<T>, fill: impl Fn(usize, &mut [MaybeUninit<T>]) + Sync) {
    let start = out.len();
    out.reserve(n);
    split_mut(&mut out.spare_capacity_mut()[..n], PARALLEL_MIN, 8, fill);
    // SAFETY: `fill` wrote every element of the `n` past `start` (each piece in full).
    unsafe { out.set_len(start + n) };
}

/// Appends `f(a[i])` for every `i` to `out`.
pub fn map<T: Float>(a: &[T], f: impl Fn(T) -> T + Sync, out: &mut Vec<T>) {
    fill(a.len(), out, |off, piece| {
        for (v, &x) in piece.iter_mut().zip(&a[off..]) {
            v.write(f(x));
        }
    });
}

/// Appends `f(a, b)` elementwise, row-major over `out_shape`, to `out`, where `a` and `b`
/// (with their layouts, addressing the given storages) broadcast to `out_shape`. Runs along the
/// innermost dimension with stride 1 or 0 (contiguous or broadcast) take plain loops that
/// vectorize.
pub fn zip_broadcast<T: Float>(
    a: &[T],
    la: &Layout,
    b: &[T],
    lb: &Layout,
    out_shape: &Shape,
    f: impl Fn(T, T) -> T + Sync,
    out: &mut Vec<T>,
) {
    if la.shape == *out_shape && lb.shape == *out_shape && la.is_contiguous() && lb.is_contiguous()
    {
        let n = out_shape.numel();
        let a = &a[la.offset..la.offset + n];
        let b = &b[lb.offset..lb.offset + n];
        fill(n, out, |off, piece| {
            for (v, (&x, &y)) in piece.iter_mut().zip(a[off..].iter().zip(&b[off..])) {
                v.write(f(x, y));
            }
        });
        return;
    }
    let (la, lb) = (la.broadcast_to(out_shape), lb.broadcast_to(out_shape));
    let inner = |l: &Layout| l.strides.last().copied().unwrap_or(0);
    let (sa, sb) = (inner(&la), inner(&lb));
    for_each_run(
        out_shape.dims(),
        [&la.strides, &lb.strides],
        [la.offset, lb.offset],
        |[i, j], len| match (sa, sb) {
            (1, 1) => out.extend(
                a[i..i + len]
                    .iter()
                    .zip(&b[j..j + len])
                    .map(|(&x, &y)| f(x, y)),
            ),
            (1, 0) => out.extend(a[i..i + len].iter().map(|&x| f(x, b[j]))),
            (0, 1) => out.extend(b[j..j + len].iter().map(|&y| f(a[i], y))),
            _ => out.extend((0..len).map(|r| f(a[i + r * sa], b[j + r * sb]))),
        },
    );
}

/// Appends the elements of `data` addressed by `layout`, in row-major order, to `out`.
pub fn gather_strided<T: Float>(data: &[T], layout: &Layout, out: &mut Vec<T>) {
    let s = layout.strides.last().copied().unwrap_or(0);
    for_each_run(
        layout.shape.dims(),
        [&layout.strides],
        [layout.offset],
        |[o], len| {
            if s == 1 {
                out.extend_from_slice(&data[o..o + len]);
            } else {
                out.extend((0..len).map(|r| data[o + r * s]));
            }
        },
    );
}

/// `1 / (1 + exp(-x))`, without overflow for any `x`.
pub fn sigmoid<T: Float>(x: T) -> T {
    if x >= T::zero() {
        T::one() / (T::one() + (-x).exp())
    } else {
        let e = x.exp();
        e / (T::one() + e)
    }
}

/// `ln(1 + exp(x))` as `max(x, 0) + ln(1 + exp(-|x|))`: finite for every finite `x`.
pub fn softplus<T: Float>(x: T) -> T {
    x.max(T::zero()) + (-x.abs()).exp().ln_1p()
}
