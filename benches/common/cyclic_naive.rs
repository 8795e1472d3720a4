//! The row-by-row loops of contiguous axpys that preceded the register-blocked direct cyclic
//! kernels: the baseline that `benches/cyclic.rs` times them against in the same run (same
//! signatures as `autograd::bench::cyclic::{corr, conv, corr_weight}`, lengths assumed right).

use autograd::Float;

/// `y[j] += a * x[(j + shift) mod D]` for all `j < D = y.len()`, as two contiguous axpys so
/// that it vectorises.
fn cyclic_axpy<T: Float>(y: &mut [T], a: T, x: &[T], shift: usize) {
    let (y_head, y_tail) = y.split_at_mut(x.len() - shift);
    let (x_wrapped, x_shifted) = x.split_at(shift);
    for (y, &x) in y_head.iter_mut().zip(x_shifted) {
        *y = *y + a * x;
    }
    for (y, &x) in y_tail.iter_mut().zip(x_wrapped) {
        *y = *y + a * x;
    }
}

/// `out[b, i] = sum_{k<d} w[k] x[b, (i + k) mod d]`, summed in increasing `k`.
pub fn corr<T: Float>(x: &[T], w: &[T], d: usize, out: &mut [T]) {
    for (x_row, out_row) in x.chunks_exact(d).zip(out.chunks_exact_mut(d)) {
        out_row.fill(T::zero());
        for (k, &w_k) in w.iter().enumerate() {
            cyclic_axpy(out_row, w_k, x_row, k);
        }
    }
}

/// `out[b, j] = sum_{i<d} g[b, i] w[(j - i) mod d]`, summed in increasing `i`.
pub fn conv<T: Float>(g: &[T], w: &[T], d: usize, out: &mut [T]) {
    for (g_row, out_row) in g.chunks_exact(d).zip(out.chunks_exact_mut(d)) {
        out_row.fill(T::zero());
        for (i, &g_i) in g_row.iter().enumerate() {
            // w[(j - i) mod d] = w[(j + shift) mod d] with shift = (d - i) mod d.
            cyclic_axpy(out_row, g_i, w, (d - i) % d);
        }
    }
}

/// `out[k] = sum_b sum_{i<d} g[b, i] x[b, (i + k) mod d]`, summed over `b` then `i` in
/// increasing order.
pub fn corr_weight<T: Float>(g: &[T], x: &[T], d: usize, out: &mut [T]) {
    out.fill(T::zero());
    for (g_row, x_row) in g.chunks_exact(d).zip(x.chunks_exact(d)) {
        for (i, &g_i) in g_row.iter().enumerate() {
            cyclic_axpy(out, g_i, x_row, i);
        }
    }
}
