//! The multiclass (Crammer–Singer) hard-margin SVM without bias.

use super::conic::{min_norm_rows, ConicProgram, Norm, Row};
use super::margins::row_scale;
use super::{dot, Error, Matrix, Status};

/// A multiclass SVM solution.
#[derive(Clone, Debug, PartialEq)]
pub struct MulticlassSolution {
    /// The `k x d` weight matrix `W`, row `c` is the class vector `w_c`.
    pub w: Matrix,
    /// `1/2 ||W||_F^2`.
    pub objective: f64,
    /// How it was obtained.
    pub status: Status,
}

impl MulticlassSolution {
    /// `|min_{i, j != y_i} <w_{y_i} - w_j, x_i> - 1|`: how far the smallest margin is from 1,
    /// where the optimum has it (the reference's achieved accuracy, from the data alone).
    pub fn margin_residual(&self, x: &Matrix, labels: &[usize]) -> f64 {
        (smallest_margin(x, labels, &self.w) - 1.0).abs()
    }
}

/// The Crammer–Singer multiclass hard-margin SVM without bias,
///
/// ```text
/// min 1/2 ||W||_F^2  s.t.  <w_{y_i} - w_j, x_i> >= 1  for all i and all j != y_i,
/// ```
///
/// with `W` a `k x d` matrix whose row `c` is `w_c` and labels `y_i in {0, .., k-1}`.
/// Solved directly as a QP in clarabel over the `k d` entries of `W` (row-major),
/// one inequality per pair `(i, j != y_i)`; no Kesler construction. This is the
/// direction gradient descent on the cross-entropy loss of a linear multiclass
/// model converges to on separable data.
///
/// Solved on `x` scaled to unit largest row norm (the solver's tolerances are absolute). Where
/// clarabel calls the problem infeasible, stalls, or returns a point with no constraint within
/// `1e-7` of tight (features on scales 1e6 apart), the QP is solved again in the SVD
/// coordinates of `x`, and the solution closest to having a tight constraint kept.
///
/// Errors: `labels.len() != n` ([`Error::DimensionMismatch`]), a label `>= k`
/// ([`Error::InvalidLabel`]), data not separable ([`Error::Infeasible`]),
/// solver failure.
pub fn multiclass_svm(x: &Matrix, labels: &[usize], k: usize) -> Result<MulticlassSolution, Error> {
    check_labels(x, labels, k)?;
    // Row r is the constraint of sample r / (k - 1) against its (r % (k - 1))-th wrong class.
    let wrong = k.saturating_sub(1);
    // On x / c (unit largest row norm), W = W' / c: the solver's absolute tolerances are then
    // relative to the problem (as in the binary margins).
    let c = row_scale(x);
    let direct = min_norm_rows(
        Norm::HalfSquaredL2,
        k * x.cols,
        x.rows * wrong,
        |r| {
            class_margin_row(x, labels, k, r / wrong, r % wrong)
                .scaled(1.0 / c)
                .with_rhs(-1.0)
        },
        MULTICLASS,
        NOT_SEPARABLE,
    )
    .and_then(|(mut w, _, status)| {
        w.iter_mut().for_each(|v| *v /= c);
        solution(x.cols, k, w, status)
    });
    if let Ok(sol) = &direct {
        if sol.margin_residual(x, labels) <= 1e-7 {
            return direct;
        }
    }
    // Declared infeasible, stalled, or "solved" with no tight constraint (features on scales
    // 1e6 apart): the same QP in the SVD coordinates of x, on x as given and on x / c.
    let mut best = direct;
    for scale in [1.0, c] {
        if let Ok(alt) = svd_coordinates(x, labels, k, scale) {
            let off = |s: &MulticlassSolution| s.margin_residual(x, labels);
            if best.as_ref().map_or(true, |b| off(&alt) < off(b)) {
                best = Ok(alt);
            }
        }
    }
    best
}

const MULTICLASS: &str = "multiclass SVM";
const NOT_SEPARABLE: &str = "the classes are not linearly separable through the origin";

fn solution(d: usize, k: usize, w: Vec<f64>, status: Status) -> Result<MulticlassSolution, Error> {
    Ok(MulticlassSolution {
        objective: Norm::HalfSquaredL2.value(&w),
        w: Matrix::new(k, d, w)?,
        status,
    })
}

/// The smallest margin `<w_{y_i} - w_j, x_i>` over samples and wrong classes (1 at the SVM).
fn smallest_margin(x: &Matrix, labels: &[usize], w: &Matrix) -> f64 {
    let mut least = f64::INFINITY;
    for (i, &c) in labels.iter().enumerate() {
        let right = dot(w.row(c), x.row(i));
        for j in (0..w.rows).filter(|&j| j != c) {
            least = least.min(right - dot(w.row(j), x.row(i)));
        }
    }
    least
}

/// The multiclass SVM with each class vector in the row space of `x = U S V^T` (where the
/// optimum's are): `w_c = V S^-1 e_c`, `<w_j - w_{y_i}, x_i> = <e_j - e_{y_i}, u_i>` and
/// `||w_c||^2 = sum_q e_cq^2 / s_q^2` (weights times `scale^2`, the data taken as
/// `x / scale`). The constraint rows are entries of orthonormal columns however badly scaled
/// `x` is.
fn svd_coordinates(
    x: &Matrix,
    labels: &[usize],
    k: usize,
    scale: f64,
) -> Result<MulticlassSolution, Error> {
    let svd = x
        .to_faer()
        .thin_svd()
        .expect("the SVD of a finite matrix converges");
    let (u, v, s) = (svd.U(), svd.V(), svd.S().column_vector());
    let s_max = (0..s.nrows()).map(|q| s[q]).fold(0.0, f64::max);
    let keep: Vec<usize> = (0..s.nrows()).filter(|&q| s[q] > 1e-13 * s_max).collect();
    let r = keep.len();
    let weights: Vec<f64> = keep.iter().map(|&q| (scale / s[q]).powi(2)).collect();
    let mut prog = ConicProgram::new(k * r);
    for c in 0..k {
        prog.add_weighted_half_squares(c * r, &weights);
    }
    let mut rows = Vec::new();
    for (i, &yi) in labels.iter().enumerate() {
        let ui: Vec<f64> = keep.iter().map(|&q| u[(i, q)]).collect();
        for j in (0..k).filter(|&j| j != yi) {
            let mut coeffs = Row::dense(&ui, j * r, 0.0).coeffs;
            coeffs.extend(Row::dense(&ui, yi * r, 0.0).scaled(-1.0).coeffs);
            rows.push(Row { coeffs, rhs: -1.0 });
        }
    }
    prog.less_equal(rows);
    let res = prog.solve(MULTICLASS, NOT_SEPARABLE)?;
    let d = x.cols;
    let w = (0..k * d)
        .map(|cj| {
            let (c, j) = (cj / d, cj % d);
            keep.iter()
                .enumerate()
                .map(|(q, &sq)| v[(j, sq)] * res.v[c * r + q] / s[sq])
                .sum()
        })
        .collect();
    solution(d, k, w, res.status)
}

fn check_labels(x: &Matrix, labels: &[usize], k: usize) -> Result<(), Error> {
    if labels.len() != x.rows {
        return Err(Error::DimensionMismatch {
            left: format!("x is {} ({} samples)", x.shape(), x.rows),
            right: format!("labels has length {}", labels.len()),
        });
    }
    match labels.iter().position(|&c| c >= k) {
        None => Ok(()),
        Some(index) => Err(Error::InvalidLabel {
            index,
            label: labels[index].to_string(),
            expected: format!("a class in 0..{k}"),
        }),
    }
}

/// `<w_j - w_{y_i}, x_i> <= -1` for every sample `i` and class `j != y_i`.
/// The constraint `<w_{y_i} - w_j, x_i> >= 1` of sample `i` against its `m`-th wrong class `j`
/// (the classes other than `y_i`, in increasing order), as `<w_j - w_{y_i}, x_i> <= -1`.
fn class_margin_row(x: &Matrix, labels: &[usize], k: usize, i: usize, m: usize) -> Row {
    let (d, yi) = (x.cols, labels[i]);
    let j = (0..k).filter(|&j| j != yi).nth(m).expect("m < k - 1");
    let wrong = Row::dense(x.row(i), j * d, -1.0);
    let right = Row::dense(x.row(i), yi * d, 0.0).scaled(-1.0);
    let mut coeffs = wrong.coeffs;
    coeffs.extend(right.coeffs);
    Row { coeffs, rhs: -1.0 }
}

#[cfg(test)]
mod tests {
    use super::super::test_util::{
        assert_close, random_matrix, random_vec, rng, scale_columns, separable,
    };
    use super::super::{dot, svm_l2};
    use super::*;

    #[test]
    fn three_basis_vectors_by_hand() {
        // x_i = e_i with label i. Column i of W only meets the constraints
        // W[i][i] - W[j][i] >= 1 (j != i); minimising c^2 + 2 (c - 1)^2 with the
        // off-diagonal entries at c - 1 gives c = 2/3: W = I - 1/3 * ones.
        let x = Matrix::from_rows(&[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]).unwrap();
        let s = multiclass_svm(&x, &[0, 1, 2], 3).unwrap();
        let t = 1.0 / 3.0;
        assert_close(
            &s.w.data,
            &[2.0 * t, -t, -t, -t, 2.0 * t, -t, -t, -t, 2.0 * t],
            1e-7,
        );
        assert!((s.objective - 1.0).abs() < 1e-7); // 1/2 * (3 * 4/9 + 6 * 1/9)
    }

    #[test]
    fn two_classes_reduce_to_the_binary_svm() {
        // With v = w_1 - w_0 the constraints are s_i <v, x_i> >= 1 (s = +1 for
        // class 1, -1 for class 0), and ||w_0||^2 + ||w_1||^2 >= ||v||^2 / 2 with
        // equality at w_1 = -w_0 = v / 2. So w_1 - w_0 = w_svm and w_1 = -w_0.
        let mut r = rng(11);
        for (n, d) in [(12, 3), (7, 9)] {
            let (x, y) = separable(&mut r, n, d);
            let labels: Vec<usize> = y.iter().map(|&v| usize::from(v > 0.0)).collect();
            let multi = multiclass_svm(&x, &labels, 2).unwrap();
            let (w0, w1) = (multi.w.row(0), multi.w.row(1));
            let diff: Vec<f64> = w1.iter().zip(w0).map(|(a, b)| a - b).collect();
            let svm = svm_l2(&x, &y).unwrap();
            assert_close(&diff, &svm.w, 1e-6);
            let neg_w0: Vec<f64> = w0.iter().map(|v| -v).collect();
            assert_close(w1, &neg_w0, 1e-6);
            assert!((multi.objective - svm.objective / 2.0).abs() < 1e-6);
        }
    }

    /// Samples labelled by `argmax_c <w*_c, x>`, kept when the top score beats
    /// the runner-up by 0.1: separable through the origin by construction.
    fn argmax_labelled(seed: u64, n: usize, d: usize, k: usize) -> (Matrix, Vec<usize>) {
        let mut r = rng(seed);
        let w_star = random_matrix(&mut r, k, d);
        let (mut data, mut labels) = (Vec::new(), Vec::new());
        while labels.len() < n {
            let x = random_vec(&mut r, d);
            let mut scores: Vec<(f64, usize)> =
                (0..k).map(|c| (dot(w_star.row(c), &x), c)).collect();
            scores.sort_by(|a, b| b.0.total_cmp(&a.0));
            if scores[0].0 - scores[1].0 >= 0.1 {
                data.extend_from_slice(&x);
                labels.push(scores[0].1);
            }
        }
        (Matrix::new(n, d, data).unwrap(), labels)
    }

    #[test]
    fn random_instances_over_a_range_of_conditioning() {
        // Feature scales spread over kappa = 1 .. 1e6: feasible, some constraint tight (the
        // failure mode of an unscaled QP: a "solved" point with every margin above 1), and the
        // columns of W summing to zero, relative to ||W||. At kappa = 1e6 clarabel calls the
        // direct QP infeasible; the SVD coordinates solve it.
        for kappa in [1.0f64, 1e3, 1e6] {
            let (x0, labels) = argmax_labelled(15, 30, 5, 3);
            let x = scale_columns(&x0, kappa);
            let s = multiclass_svm(&x, &labels, 3).unwrap_or_else(|e| panic!("kappa {kappa}: {e}"));
            let mut least = f64::INFINITY;
            for (i, &c) in labels.iter().enumerate() {
                for j in (0..3).filter(|&j| j != c) {
                    least = least.min(dot(s.w.row(c), x.row(i)) - dot(s.w.row(j), x.row(i)));
                }
            }
            assert!(
                (least - 1.0).abs() < 1e-6,
                "kappa {kappa}: smallest margin {least}"
            );
            let norm = s.w.data.iter().map(|v| v * v).sum::<f64>().sqrt();
            for col in 0..x.cols {
                let sum: f64 = (0..3).map(|c| s.w.get(c, col)).sum();
                assert!(
                    sum.abs() < 1e-6 * norm,
                    "kappa {kappa}: column {col} sums to {sum}"
                );
            }
        }
    }

    #[test]
    fn the_svd_coordinates_give_the_direct_solution() {
        for (seed, n, d, k) in [(16, 20, 4, 3), (17, 6, 9, 4)] {
            let (x, labels) = argmax_labelled(seed, n, d, k);
            let direct = multiclass_svm(&x, &labels, k).unwrap();
            for scale in [1.0, 7.0] {
                let alt = svd_coordinates(&x, &labels, k, scale).unwrap();
                assert_close(&alt.w.data, &direct.w.data, 1e-6);
            }
        }
    }

    #[test]
    fn random_instances_satisfy_kkt() {
        // The last instance has more rows than `DIRECT_MAX_ROWS`: it goes through the working set.
        for (seed, n, d, k) in [(12, 15, 4, 3), (13, 20, 6, 4), (14, 1500, 5, 3)] {
            let (x, labels) = argmax_labelled(seed, n, d, k);
            let s = multiclass_svm(&x, &labels, k).unwrap();
            let mut tight = Vec::new();
            for (i, &c) in labels.iter().enumerate() {
                for j in (0..k).filter(|&j| j != c) {
                    let m = dot(s.w.row(c), x.row(i)) - dot(s.w.row(j), x.row(i));
                    assert!(m >= 1.0 - 1e-7, "sample {i}, class {j}: {m}");
                    if m < 1.0 + 1e-6 {
                        tight.push((i, j));
                    }
                }
            }
            // Stationarity: W lies in the span of the active constraint
            // directions e_c x_i^T - e_j x_i^T, and with no bias the columns of
            // W sum to zero (each direction has zero column sums).
            assert!(!tight.is_empty());
            for col in 0..d {
                let sum: f64 = (0..k).map(|c| s.w.get(c, col)).sum();
                assert!(sum.abs() < 1e-6, "column {col} sums to {sum}");
            }
            // Optimality: the samples with a tight constraint alone (a relaxation, solved
            // directly) give the same minimum norm.
            let mut active: Vec<usize> = tight.iter().map(|&(i, _)| i).collect();
            active.dedup();
            let rows: Vec<&[f64]> = active.iter().map(|&i| x.row(i)).collect();
            let sub_x = Matrix::new(rows.len(), d, rows.concat()).unwrap();
            let sub_labels: Vec<usize> = active.iter().map(|&i| labels[i]).collect();
            let sub = multiclass_svm(&sub_x, &sub_labels, k).unwrap();
            let norm_sq = |w: &Matrix| (0..k).map(|c| dot(w.row(c), w.row(c))).sum::<f64>();
            let (full, relaxed) = (norm_sq(&s.w), norm_sq(&sub.w));
            assert!((full - relaxed).abs() <= 1e-6 * full, "{full} vs {relaxed}");
        }
    }

    #[test]
    fn errors_for_bad_inputs() {
        let x = Matrix::from_rows(&[[1.0, 0.0], [1.0, 0.0]]).unwrap();
        let err = multiclass_svm(&x, &[0, 1], 2).unwrap_err();
        assert!(matches!(err, Error::Infeasible { .. }), "{err}");
        let msg = multiclass_svm(&x, &[0, 1, 1], 2).unwrap_err().to_string();
        assert!(
            msg.contains("2 x 2") && msg.contains("labels has length 3"),
            "{msg}"
        );
        let err = multiclass_svm(&x, &[0, 2], 2).unwrap_err();
        assert!(matches!(err, Error::InvalidLabel { index: 1, .. }), "{err}");
    }
}
