//! The sums behind the fused losses (`ops/losses.rs`): one pass over the margins or the
//! residuals, no temporaries. Each returns the *sum* over the elements; the op divides by
//! their number. The transcendental terms go through the vectorized [`vmath`] kernels.

use super::parallel::tree_reduce;
use super::reduce;
use super::softmax::log_sum_exp_of;
use super::vmath::{self, Func};
use crate::element::Float;

/// `sum_i ln(1 + exp(-z_i))`, each term computed stably as `softplus(-z_i)`.
pub fn logistic_sum<T: Float>(z: &[T]) -> T {
    vmath::sum_of(Func::Softplus, z, |x| -x)
}

/// `sum_i exp(-z_i)`.
pub fn exp_sum<T: Float>(z: &[T]) -> T {
    vmath::sum_of(Func::Exp, z, |x| -x)
}

/// `logsumexp(-z) = m + ln sum_i exp(-z_i - m)` with `m = max_i (-z_i)` (0 when infinite):
/// finite for finite margins of any size.
pub fn log_sum_exp_neg<T: Float>(z: &[T]) -> T {
    log_sum_exp_of(z, |x| -x)
}

/// `sum_i (p_i - t_i)^2` over two equal-length slices: the left-to-right sum of chunks of
/// [`reduce::CHUNK`] elements, combined pairwise and on two threads from
/// [`reduce::PARALLEL_MIN`] elements (the same result for any thread count).
pub fn squared_diff_sum<T: Float>(p: &[T], t: &[T]) -> T {
    let chunk = |r: std::ops::Range<usize>| {
        p[r.clone()]
            .iter()
            .zip(&t[r])
            .fold(T::zero(), |s, (&a, &b)| {
                let d = a - b;
                s + d * d
            })
    };
    tree_reduce(
        p.len().min(t.len()),
        reduce::CHUNK,
        reduce::PARALLEL_MIN,
        chunk,
        |a, b| a + b,
    )
}
