//! Softmax cross-entropy on row-major logits `[n, k]` with one label per row, in one pass over
//! each row and no temporaries (the composite `log_softmax - gather - mean` allocates four).
//!
//! Each row is shifted by its maximum `m` before exponentiating, so `exp` never overflows:
//! `logsumexp(x) = m + ln sum_j exp(x_j - m)`. A row whose maximum is infinite is shifted by 0
//! instead (a row of all `-inf` then has `logsumexp = -inf`, not NaN). The exponentials go
//! through the vectorized [`vmath`] kernel.

use super::vmath::{self, Func};
use crate::element::Float;

/// The shift applied to a row before `exp`: its maximum when finite, else 0.
fn row_shift<T: Float>(row: &[T]) -> T {
    shift_of(row, |x| x)
}

/// The shift applied to `f(row)` before `exp`: its maximum when finite, else 0.
fn shift_of<T: Float>(row: &[T], f: impl Fn(T) -> T) -> T {
    let m = row.iter().fold(T::neg_infinity(), |m, &x| m.max(f(x)));
    if m.is_finite() {
        m
    } else {
        T::zero()
    }
}

/// `logsumexp(row) = m + ln sum_j exp(row_j - m)`.
fn log_sum_exp<T: Float>(row: &[T]) -> T {
    log_sum_exp_of(row, |x| x)
}

/// `logsumexp(f(row)) = m + ln sum_j exp(f(row_j) - m)`, `m` the shift of `f(row)`.
pub fn log_sum_exp_of<T: Float>(row: &[T], f: impl Fn(T) -> T + Sync) -> T {
    let m = shift_of(row, &f);
    m + vmath::sum_of(Func::Exp, row, |x| f(x) - m).ln()
}

/// `sum_i (logsumexp(x_i) - x_i[labels[i]])` over the rows `x_i` of length `k` of `logits`
/// (the cross-entropy summed over the batch; the caller divides by `n` for the mean).
/// Labels must be `< k` (checked by the caller).
pub fn cross_entropy_sum<T: Float>(logits: &[T], k: usize, labels: &[usize]) -> T {
    // `max(1)`: with no columns there are no rows either, and `chunks_exact(0)` would panic.
    logits
        .chunks_exact(k.max(1))
        .zip(labels)
        .fold(T::zero(), |acc, (row, &y)| acc + log_sum_exp(row) - row[y])
}

/// Appends to `out` the gradient of the summed cross-entropy scaled by `scale`:
/// `out[i, j] = scale * (softmax(x_i)_j - [j == labels[i]])`, with
/// `softmax(x_i)_j = exp(x_ij - m_i) / sum_l exp(x_il - m_i)`.
pub fn cross_entropy_grad<T: Float>(
    logits: &[T],
    k: usize,
    labels: &[usize],
    scale: T,
    out: &mut Vec<T>,
) {
    for (row, &y) in logits.chunks_exact(k.max(1)).zip(labels) {
        let m = row_shift(row);
        let start = out.len();
        out.extend(row.iter().map(|&x| x - m));
        let probs = &mut out[start..];
        vmath::apply_in_place(Func::Exp, probs);
        let per_unit = scale / probs.iter().fold(T::zero(), |s, &e| s + e);
        probs.iter_mut().for_each(|p| *p = *p * per_unit);
        probs[y] = probs[y] - scale;
    }
}
