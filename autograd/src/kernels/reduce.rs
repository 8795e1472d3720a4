//! Reductions over a set of axes of a contiguous buffer.
//!
//! Two layouts cover what training needs in one vectorized pass each:
//! - reducing a *suffix* of the axes (a sum over a row, `sum_all`): each output folds one
//!   contiguous run, in `LANES` interleaved partial folds so the adds do not wait on each other,
//!   over `STREAMS` far-apart pieces read at once so that the reads do not wait on memory;
//! - reducing a *prefix* of the axes (the bias gradient `sum over the batch`): each input row is
//!   folded elementwise into the output row, `STREAMS` far-apart rows per pass.
//!
//! Other axis sets take a general strided walk.
//!
//! Large reductions (at least [`PARALLEL_MIN`] input elements) run on two threads
//! ([`super::parallel`]): a full reduction as a fixed tree over [`CHUNK`]-element chunks, the others
//! split by outputs. Either way each output's fold order depends on the shape only, so the
//! result is the same for any thread count.

use super::parallel::{split_mut, tree_reduce};
use crate::element::Float;
use crate::shape::{for_each_run, keepdim_shape, Shape};

/// Input elements from which a reduction splits over two threads.
pub const PARALLEL_MIN: usize = 1 << 15;

/// The chunk of a full reduction: one run of [`fold_run`]; the chunks' folds are combined by
/// [`tree_reduce`]'s fixed tree. A reduction of at most this many elements is one `fold_run`.
pub const CHUNK: usize = 1 << 14;

/// Independent accumulators per run. A sequential float fold is one dependent add per element
/// (bound by the add latency, about 4 cycles); 16 partial folds fill the SIMD registers and
/// let the loop run at memory speed.
const LANES: usize = 16;

/// Far-apart pieces of a long run (or blocks of rows) read at the same time. One core's read
/// rate is bound by the cache misses it has in flight, and one sequential stream keeps one
/// hardware prefetcher busy; reading `STREAMS` streams at once keeps several (measured on
/// 10^7 f32 by `cargo bench --bench elementwise`, machine loaded: the full sum 1.5-2.2x the
/// one-stream loop, 110% of the STREAM triad in the same run; two or eight streams, or
/// `_mm_prefetch` ahead of four, gained nothing).
const STREAMS: usize = 4;

/// Folds the contiguous `data` of `shape` over `axes` (sorted, distinct) with `f`, starting
/// from `init`, and appends the result (of the keepdim shape, row-major) to `out`.
///
/// `f` must be associative and commutative (sum, max): the fold order is unspecified, so a
/// floating-point sum may differ from the left-to-right sum by rounding.
pub fn fold_axes<T: Float>(
    data: &[T],
    shape: &Shape,
    axes: &[usize],
    init: T,
    f: impl Fn(T, T) -> T + Sync,
    out: &mut Vec<T>,
) {
    let out_shape = keepdim_shape(shape, axes);
    let rank = shape.rank();
    let outputs = out_shape.numel();
    let start = out.len();
    // Reducing a suffix of axes: each output is the fold of one contiguous run.
    if (rank - axes.len()..rank).all(|a| axes.contains(&a)) {
        let run = shape.numel() / outputs.max(1);
        if run == 0 {
            out.resize(start + outputs, init);
        } else if outputs == 1 {
            let total = tree_reduce(
                run,
                CHUNK,
                PARALLEL_MIN,
                |r| fold_run(&data[r], init, &f),
                &f,
            );
            out.push(total);
        } else {
            out.reserve(outputs);
            let spare = &mut out.spare_capacity_mut()[..outputs];
            // Whole runs per thread: the split is in outputs, `PARALLEL_MIN` in inputs.
            split_mut(spare, PARALLEL_MIN.div_ceil(run), 1, |o, piece| {
                let runs = data[o * run..].chunks_exact(run);
                for (v, chunk) in piece.iter_mut().zip(runs) {
                    v.write(fold_run(chunk, init, &f));
                }
            });
            // SAFETY: the `outputs` elements past `start` were written above.
            unsafe { out.set_len(start + outputs) };
        }
        return;
    }
    out.resize(start + outputs, init);
    let out = &mut out[start..];
    // Reducing a prefix of axes: each input row of `outputs` elements folds into the output,
    // each thread a range of columns.
    if (0..axes.len()).all(|a| axes.contains(&a)) {
        let rows = data.len() / outputs.max(1);
        split_mut(out, PARALLEL_MIN.div_ceil(rows.max(1)), 8, |col, acc| {
            fold_rows_into(acc, data, outputs, col, &f)
        });
        return;
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
                out[o] = f(out[o], fold_run(&data[i..i + len], init, &f));
            } else {
                fold_into(&mut out[o..o + len], &data[i..i + len], &f);
            }
        },
    );
}

/// `acc[j] = f(acc[j], row[j])` for every `j`.
fn fold_into<T: Copy>(acc: &mut [T], row: &[T], f: &impl Fn(T, T) -> T) {
    for (a, &x) in acc.iter_mut().zip(row) {
        *a = f(*a, x);
    }
}

/// `acc[j] = f(acc[j], rows[0][col + j], ..., rows[count - 1][col + j])` for every `j`, folding
/// columns `col..col + acc.len()` of the rows of `rows` (each `width` long) into `acc`. The rows
/// are cut into [`STREAMS`] far-apart blocks of `q = count / STREAMS` rows, and pass `i` over
/// `acc` folds row `i` of every block: each element of `acc` is loaded and stored once per
/// `STREAMS` rows, and each block is read front to back, so the passes read `STREAMS`
/// sequential streams at once (see [`STREAMS`]). The last `count % STREAMS` rows fold in one
/// by one. Each element's fold order depends on `count` only, not on `col`.
fn fold_rows_into<T: Copy>(
    acc: &mut [T],
    rows: &[T],
    width: usize,
    col: usize,
    f: &impl Fn(T, T) -> T,
) {
    let n = acc.len();
    if n == 0 {
        return;
    }
    let count = rows.len() / width;
    let q = count / STREAMS;
    let (body, rest) = rows.split_at(STREAMS * q * width);
    let block = q * width;
    for i in 0..q {
        // Written out for four streams: this destructuring stops compiling if STREAMS changes.
        let [r0, r1, r2, r3]: [&[T]; STREAMS] =
            std::array::from_fn(|s| &body[s * block + i * width + col..][..n]);
        for ((((a, &x0), &x1), &x2), &x3) in acc.iter_mut().zip(r0).zip(r1).zip(r2).zip(r3) {
            *a = f(f(f(f(*a, x0), x1), x2), x3);
        }
    }
    for row in rest.chunks_exact(width) {
        fold_into(acc, &row[col..col + n], f);
    }
}

/// The fold of `run` with `f` from `init`. The run is cut into [`STREAMS`] equal pieces (a
/// multiple of [`LANES`] long each) read interleaved, each folded into its own [`LANES`]
/// partial folds (elements `i = lane (mod LANES)` of the piece); the leftover elements fold
/// into the first piece's partials, and the partials are combined at the end. The order
/// depends only on the length, so the result is the same on every run.
fn fold_run<T: Copy>(run: &[T], init: T, f: &impl Fn(T, T) -> T) -> T {
    let piece = run.len() / (STREAMS * LANES) * LANES;
    let (body, tail) = run.split_at(STREAMS * piece);
    let mut lanes = [[init; LANES]; STREAMS];
    for k in (0..piece).step_by(LANES) {
        for (s, acc) in lanes.iter_mut().enumerate() {
            let at = s * piece + k;
            fold_into(acc, &body[at..at + LANES], f);
        }
    }
    let (first, others) = lanes.split_first_mut().expect("STREAMS > 0");
    let mut chunks = tail.chunks_exact(LANES);
    for chunk in &mut chunks {
        fold_into(first, chunk, f);
    }
    for other in others {
        fold_into(first, other, f);
    }
    let partial = first.iter().fold(init, |acc, &x| f(acc, x));
    chunks.remainder().iter().fold(partial, |acc, &x| f(acc, x))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`fold_axes`] into a new vector, by appending to one that holds a value already (left
    /// as it was).
    fn fold<T: Float>(
        data: &[T],
        shape: &Shape,
        axes: &[usize],
        init: T,
        f: impl Fn(T, T) -> T + Sync,
    ) -> Vec<T> {
        let mut out = vec![T::of(0.5)];
        fold_axes(data, shape, axes, init, f, &mut out);
        assert_eq!(out[0], T::of(0.5), "fold_axes overwrote what `out` held");
        out.split_off(1)
    }

    /// Reductions large enough to split over two threads give the same bits on one thread and
    /// on two, on every path (full, suffix with many outputs, prefix), and are close to the
    /// sum in `f64` of the `f32` values (the chunks and the tree only change the rounding).
    #[test]
    fn large_reductions_are_the_same_for_any_thread_count() {
        use crate::kernels::parallel::set_num_threads;
        let shape = Shape::from([3 * PARALLEL_MIN / 64 + 5, 64]);
        let data: Vec<f32> = (0..shape.numel())
            .map(|i| ((i * 7919) % 1013) as f32 * 1e-3 - 0.4)
            .collect();
        for axes in [&[0, 1][..], &[1], &[0]] {
            let by = |threads| {
                set_num_threads(threads);
                fold(&data, &shape, axes, 0.0, |a, x| a + x)
            };
            let (one, two) = (by(1), by(2));
            assert_eq!(one, two, "axes {axes:?}");
            if axes == [0, 1] {
                let exact: f64 = data.iter().map(|&x| f64::from(x)).sum();
                let tol = 1e-6 * data.iter().map(|&x| f64::from(x.abs())).sum::<f64>();
                assert!(
                    (f64::from(one[0]) - exact).abs() < tol,
                    "{} vs {exact}",
                    one[0]
                );
            }
        }
        // Max, on the full path.
        let m = fold(&data, &shape, &[0, 1], f32::NEG_INFINITY, f32::max);
        assert_eq!(m[0], data.iter().copied().fold(f32::NEG_INFINITY, f32::max));
    }

    /// Integer-valued floats sum exactly in any order, so every path (suffix with lanes and a
    /// tail, prefix, general) must agree with a plain nested loop.
    #[test]
    fn every_axis_set_matches_the_nested_loop() {
        let dims = [7usize, 5, 37];
        let shape = Shape::from(dims);
        let data: Vec<f64> = (0..shape.numel()).map(|i| ((i * 7) % 11) as f64).collect();
        for axes in [&[0][..], &[1], &[2], &[0, 1], &[1, 2], &[0, 2], &[0, 1, 2]] {
            let got = fold(&data, &shape, axes, 0.0, |a, x| a + x);
            let kept = keepdim_shape(&shape, axes);
            let kd = kept.dims();
            let mut want = vec![0.0; kept.numel()];
            for (flat, &x) in data.iter().enumerate() {
                let (i, j, k) = (
                    flat / (dims[1] * dims[2]),
                    flat / dims[2] % dims[1],
                    flat % dims[2],
                );
                let (i, j, k) = (i.min(kd[0] - 1), j.min(kd[1] - 1), k.min(kd[2] - 1));
                want[(i * kd[1] + j) * kd[2] + k] += x;
            }
            assert_eq!(got, want, "axes {axes:?}");
        }
    }

    /// Lengths around every boundary of [`fold_run`]: shorter than one chunk of lanes, one
    /// short of / exactly / one past a multiple of [`LANES`] and of `STREAMS * LANES`, and long.
    const AWKWARD: [usize; 10] = [1, 7, 15, 16, 17, 63, 64, 65, 1023, 100_003];

    fn random_f32(n: usize, seed: u64) -> Vec<f32> {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        (0..n).map(|_| rng.gen_range(-1.0f32..1.0)).collect()
    }

    /// `|got - want| <= tol * sum |x|`, the error of a float sum scaling with the magnitudes
    /// summed. Dropping or repeating one element of the long runs breaks it by orders of
    /// magnitude.
    fn assert_close(got: f32, want: f64, abs_sum: f64, what: &str) {
        let err = (got as f64 - want).abs();
        assert!(
            err <= 1e-6 * abs_sum,
            "{what}: got {got}, naive f64 sum {want}"
        );
    }

    #[test]
    fn sum_all_matches_a_naive_f64_sum_at_awkward_lengths() {
        for (seed, n) in AWKWARD.into_iter().enumerate() {
            let data = random_f32(n, seed as u64);
            let got = fold(&data, &Shape::from([n]), &[0], 0.0, |a, x| a + x);
            let want: f64 = data.iter().map(|&x| x as f64).sum();
            let abs_sum: f64 = data.iter().map(|&x| (x as f64).abs()).sum();
            assert_close(got[0], want, abs_sum, &format!("sum of {n}"));
            let max = fold(&data, &Shape::from([n]), &[0], f32::NEG_INFINITY, f32::max);
            let naive = data.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            assert_eq!(max[0], naive, "max of {n}");
        }
    }

    /// The axis-0 sum (the bias gradient) over row counts around the rows folded per pass and
    /// row lengths around a SIMD width, and the row sum (last axis) of the same shapes.
    #[test]
    fn axis_sums_match_a_naive_f64_sum_at_awkward_shapes() {
        for rows in [1, 3, 4, 5, 7, 8, 9, 17, 1023] {
            for cols in [1, 7, 16, 17, 1023] {
                let data = random_f32(rows * cols, (rows * 31 + cols) as u64);
                let shape = Shape::from([rows, cols]);
                let columns = fold(&data, &shape, &[0], 0.0, |a, x| a + x);
                for (j, &got) in columns.iter().enumerate() {
                    let column = || data.iter().skip(j).step_by(cols).map(|&x| x as f64);
                    let what = format!("column {j} of [{rows}, {cols}]");
                    assert_close(got, column().sum(), column().map(f64::abs).sum(), &what);
                }
                let row_sums = fold(&data, &shape, &[1], 0.0, |a, x| a + x);
                for (i, (&got, row)) in row_sums.iter().zip(data.chunks_exact(cols)).enumerate() {
                    let row = || row.iter().map(|&x| x as f64);
                    let what = format!("row {i} of [{rows}, {cols}]");
                    assert_close(got, row().sum(), row().map(f64::abs).sum(), &what);
                }
            }
        }
    }

    /// Integer-valued floats sum exactly in any order: the long awkward runs lose or repeat
    /// no element, whatever pieces they are cut into.
    #[test]
    fn integer_sums_are_exact_at_awkward_lengths() {
        for n in AWKWARD {
            let data: Vec<f32> = (0..n).map(|i| ((i * 7) % 11) as f32).collect();
            let want: usize = (0..n).map(|i| (i * 7) % 11).sum();
            let got = fold(&data, &Shape::from([n]), &[0], 0.0, |a, x| a + x);
            assert_eq!(got[0], want as f32, "length {n}");
        }
    }
}
