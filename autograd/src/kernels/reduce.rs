//! Reductions over a set of axes of a contiguous buffer.

use crate::element::Float;
use crate::pool;
use crate::shape::{for_each_run, Dims, Shape};

/// The shape with the reduced `axes` set to 1 (NumPy's `keepdims=True`).
pub fn keepdim_shape(shape: &Shape, axes: &[usize]) -> Shape {
    let mut d: Dims = shape.0.clone();
    for &a in axes {
        d[a] = 1;
    }
    Shape(d)
}

/// Folds the contiguous `data` of `shape` over `axes` with `f`, starting from `init`; the result
/// has the keepdim shape, row-major, in a buffer from the [pool](crate::pool).
pub fn fold_axes<T: Float>(
    data: &[T],
    shape: &Shape,
    axes: &[usize],
    init: T,
    f: impl Fn(T, T) -> T,
) -> Vec<T> {
    let out_shape = keepdim_shape(shape, axes);
    let mut out = pool::filled(out_shape.numel(), init);
    // Reducing a suffix of axes: each output is the fold of one contiguous run.
    let rank = shape.rank();
    let suffix = (rank - axes.len()..rank).all(|a| axes.contains(&a));
    if suffix {
        let run = shape.numel() / out.len().max(1);
        if run > 0 {
            for (o, chunk) in out.iter_mut().zip(data.chunks_exact(run)) {
                *o = chunk.iter().fold(init, |acc, &x| f(acc, x));
            }
        }
        return out;
    }
    let in_strides = shape.contiguous_strides();
    let mut out_strides = out_shape.contiguous_strides();
    for &a in axes {
        out_strides[a] = 0;
    }
    // The input is contiguous (inner stride 1); the output's inner stride is 0 when the last
    // axis is reduced (fold the run into one value) and 1 otherwise (fold the run into a row).
    let reduce_inner = out_strides.last() == Some(&0);
    for_each_run(
        shape.dims(),
        [&in_strides, &out_strides],
        [0, 0],
        |[i, o], len| {
            if reduce_inner {
                out[o] = data[i..i + len].iter().fold(out[o], |acc, &x| f(acc, x));
            } else {
                out[o..o + len]
                    .iter_mut()
                    .zip(&data[i..i + len])
                    .for_each(|(acc, &x)| *acc = f(*acc, x));
            }
        },
    );
    out
}
