//! The plain-vector algebra of the crate, in one place: a row-major dense [`Matrix`] (the data
//! format of every reference solver), its products, conversions to and from [`Tensor`], and
//! the dense solves and singular values the experiments need, on `faer`.

use autograd::Tensor;
use faer::linalg::solvers::Solve;

use super::Error;

/// A dense real matrix stored row-major.
///
/// Entry `(i, j)` lives at `data[i * cols + j]`. As a data matrix `X`, row `i`
/// is the sample `x_i` and there are `rows = n` samples of dimension
/// `cols = d`; the invariant `data.len() == rows * cols` is checked by
/// [`Matrix::new`] and [`Matrix::from_rows`].
#[derive(Clone, Debug, PartialEq)]
pub struct Matrix {
    /// Number of rows `n` (samples).
    pub rows: usize,
    /// Number of columns `d` (features).
    pub cols: usize,
    /// Row-major entries, `data[i * cols + j] = X_ij`, of length `rows * cols`.
    pub data: Vec<f64>,
}

impl Matrix {
    /// Wraps row-major `data` as a `rows x cols` matrix.
    ///
    /// Fails with [`Error::DimensionMismatch`] unless `data.len() == rows * cols`.
    pub fn new(rows: usize, cols: usize, data: Vec<f64>) -> Result<Self, Error> {
        if data.len() != rows * cols {
            return Err(Error::DimensionMismatch {
                left: format!("the matrix shape is {rows} x {cols}"),
                right: format!("its data has length {}", data.len()),
            });
        }
        Ok(Self { rows, cols, data })
    }

    /// Builds a matrix from its rows; all rows must have the same length.
    ///
    /// An empty slice gives the `0 x 0` matrix.
    pub fn from_rows<R: AsRef<[f64]>>(rows: &[R]) -> Result<Self, Error> {
        let cols = rows.first().map_or(0, |r| r.as_ref().len());
        let mut data = Vec::with_capacity(rows.len() * cols);
        for (i, row) in rows.iter().enumerate() {
            let row = row.as_ref();
            if row.len() != cols {
                return Err(Error::DimensionMismatch {
                    left: format!("row 0 has length {cols}"),
                    right: format!("row {i} has length {}", row.len()),
                });
            }
            data.extend_from_slice(row);
        }
        Self::new(rows.len(), cols, data)
    }

    /// The `rows x cols` zero matrix.
    pub fn zeros(rows: usize, cols: usize) -> Self {
        Self {
            rows,
            cols,
            data: vec![0.0; rows * cols],
        }
    }

    /// Row `i` as a slice (the sample `x_i`).
    pub fn row(&self, i: usize) -> &[f64] {
        &self.data[i * self.cols..(i + 1) * self.cols]
    }

    /// Entry `X_ij`.
    pub fn get(&self, i: usize, j: usize) -> f64 {
        self.data[i * self.cols + j]
    }

    /// The shape as `"rows x cols"`, for error messages.
    pub fn shape(&self) -> String {
        format!("{} x {}", self.rows, self.cols)
    }

    /// The matrix-vector product `X v`, `(X v)_i = <x_i, v>`.
    ///
    /// # Panics
    /// If `v.len() != cols`.
    pub fn mul_vec(&self, v: &[f64]) -> Vec<f64> {
        assert_eq!(v.len(), self.cols, "mul_vec: vector length");
        (0..self.rows).map(|i| dot(self.row(i), v)).collect()
    }

    /// The transposed product `X^T v`, `(X^T v)_j = sum_i v_i X_ij`.
    ///
    /// # Panics
    /// If `v.len() != rows`.
    pub fn t_mul_vec(&self, v: &[f64]) -> Vec<f64> {
        assert_eq!(v.len(), self.rows, "t_mul_vec: vector length");
        let mut out = vec![0.0; self.cols];
        for (i, &vi) in v.iter().enumerate() {
            for (o, xij) in out.iter_mut().zip(self.row(i)) {
                *o += vi * xij;
            }
        }
        out
    }

    /// The rows scaled by `y`: `z_i = y_i x_i` (the signed samples of a margin problem).
    ///
    /// # Panics
    /// If `y.len() != rows`.
    pub fn signed_rows(&self, y: &[f64]) -> Matrix {
        assert_eq!(y.len(), self.rows, "signed_rows: label count");
        let data = (0..self.rows)
            .flat_map(|i| self.row(i).iter().map(move |v| v * y[i]))
            .collect();
        Matrix {
            rows: self.rows,
            cols: self.cols,
            data,
        }
    }

    /// `sigma_max(X)^2`, the largest eigenvalue of `X^T X` (the curvature of `1/2 ||X w||^2`),
    /// from `faer`'s singular values.
    pub fn sigma_max_sq(&self) -> f64 {
        singular_values(self).first().map_or(0.0, |s| s * s)
    }

    /// The matrix as a `[rows, cols]` tensor.
    pub fn to_tensor(&self) -> Tensor<f64> {
        Tensor::from_vec(self.data.clone(), [self.rows, self.cols])
            .expect("data.len() == rows * cols")
    }

    /// A rank-2 tensor as a matrix.
    ///
    /// Fails with [`Error::DimensionMismatch`] if `t` is not a matrix.
    pub fn from_tensor(t: &Tensor<f64>) -> Result<Self, Error> {
        match *t.dims() {
            [rows, cols] => Self::new(rows, cols, t.to_vec()),
            _ => Err(Error::DimensionMismatch {
                left: "a matrix is a rank-2 tensor".into(),
                right: format!("the tensor has shape {:?}", t.dims()),
            }),
        }
    }

    /// Copies the matrix into a `faer` matrix.
    pub(crate) fn to_faer(&self) -> faer::Mat<f64> {
        faer::Mat::from_fn(self.rows, self.cols, |i, j| self.get(i, j))
    }
}

/// The singular values of `x`, largest first (`faer`'s SVD).
pub fn singular_values(x: &Matrix) -> Vec<f64> {
    if x.rows == 0 || x.cols == 0 {
        return Vec::new();
    }
    let mut s = x
        .to_faer()
        .singular_values()
        .expect("the SVD of a finite matrix converges");
    s.sort_by(|a, b| b.total_cmp(a));
    s
}

/// The eigenvalues of the symmetric matrix `(a + a^T) / 2`, largest first (`faer`'s
/// self-adjoint eigensolver; symmetrizing first makes a Hessian assembled column by column,
/// symmetric only up to rounding, a valid input).
///
/// # Panics
/// If `a` is not square.
pub fn symmetric_eigenvalues(a: &Matrix) -> Vec<f64> {
    assert!(
        a.rows == a.cols,
        "symmetric_eigenvalues: A is {}, not square",
        a.shape()
    );
    if a.rows == 0 {
        return Vec::new();
    }
    let sym = faer::Mat::from_fn(a.rows, a.cols, |i, j| 0.5 * (a.get(i, j) + a.get(j, i)));
    let mut values = sym
        .self_adjoint_eigenvalues(faer::Side::Lower)
        .expect("the eigendecomposition of a finite symmetric matrix converges");
    values.sort_by(|x, y| y.total_cmp(x));
    values
}

/// The top singular triple `(s, u, v)` of `x` (`x v = s u`, unit `u`, `v`; `faer`'s thin SVD).
pub fn top_singular(x: &Matrix) -> (f64, Vec<f64>, Vec<f64>) {
    let svd = x
        .to_faer()
        .thin_svd()
        .expect("the SVD of a finite matrix converges");
    let (u, v, s) = (svd.U(), svd.V(), svd.S().column_vector());
    (
        s[0],
        (0..x.rows).map(|i| u[(i, 0)]).collect(),
        (0..x.cols).map(|j| v[(j, 0)]).collect(),
    )
}

/// The best rank-`r` approximation of `x` (Eckart-Young) as factors `(L, R)`, each
/// `x.rows x r` / `x.cols x r` row-major, with `L R^T = sum_{k < r} s_k u_k v_k^T`:
/// `L = U_r S_r^{1/2}`, `R = V_r S_r^{1/2}` (`faer`'s thin SVD). For a PSD `x`, `L = R`
/// up to rounding (and signs of null directions).
///
/// # Panics
/// If `r` exceeds `min(x.rows, x.cols)`.
pub fn rank_factors(x: &Matrix, r: usize) -> (Matrix, Matrix) {
    assert!(
        r <= x.rows.min(x.cols),
        "rank_factors: rank {r} of a {} matrix",
        x.shape()
    );
    let svd = x
        .to_faer()
        .thin_svd()
        .expect("the SVD of a finite matrix converges");
    let (u, v, s) = (svd.U(), svd.V(), svd.S().column_vector());
    let side = |f: faer::MatRef<'_, f64>, rows: usize| {
        let data = (0..rows * r)
            .map(|k| f[(k / r, k % r)] * s[k % r].sqrt())
            .collect();
        Matrix::new(rows, r, data).expect("rows x r entries")
    };
    (side(u, x.rows), side(v, x.cols))
}

/// Solves the square system `A z = b` by `faer`'s LU factorization with partial pivoting.
///
/// # Panics
/// If `a` is not square or `b.len() != a.rows`.
pub fn solve(a: &Matrix, b: &[f64]) -> Vec<f64> {
    assert!(
        a.rows == a.cols && b.len() == a.rows,
        "solve: A is {}, b has length {}",
        a.shape(),
        b.len()
    );
    let rhs = faer::Mat::from_fn(b.len(), 1, |i, _| b[i]);
    let z = a.to_faer().partial_piv_lu().solve(&rhs);
    (0..b.len()).map(|i| z[(i, 0)]).collect()
}

/// `min_i z_i`, the smallest entry (the margin of a classifier, given its signed outputs).
pub fn min_entry(z: &[f64]) -> f64 {
    z.iter().copied().fold(f64::INFINITY, f64::min)
}

/// The Euclidean inner product `<a, b> = sum_i a_i b_i`.
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_rows_is_row_major() {
        let m = Matrix::from_rows(&[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]).unwrap();
        assert_eq!((m.rows, m.cols), (2, 3));
        assert_eq!(m.get(1, 0), 4.0);
        assert_eq!(m.row(0), &[1.0, 2.0, 3.0]);
        assert_eq!(m.mul_vec(&[1.0, 0.0, -1.0]), vec![-2.0, -2.0]);
    }

    #[test]
    fn products_conversions_and_factorizations_by_hand() {
        let m = Matrix::from_rows(&[[3.0, 0.0], [4.0, 5.0]]).unwrap();
        assert_eq!(m.t_mul_vec(&[1.0, -1.0]), vec![-1.0, -5.0]);
        assert_eq!(m.signed_rows(&[1.0, -1.0]).data, vec![3.0, 0.0, -4.0, -5.0]);
        // Singular values of [[3, 0], [4, 5]]: sqrt(45 +- sqrt(45^2 - 4 * 225)) / sqrt(2), i.e.
        // s1 s2 = |det| = 15 and s1^2 + s2^2 = ||m||_F^2 = 50: s = (sqrt(45), sqrt(5)).
        let s = singular_values(&m);
        assert!((s[0] - 45f64.sqrt()).abs() < 1e-12 && (s[1] - 5f64.sqrt()).abs() < 1e-12);
        assert!((m.sigma_max_sq() - 45.0).abs() < 1e-11);
        let (s1, u, v) = top_singular(&m);
        let mv = m.mul_vec(&v);
        for i in 0..2 {
            assert!((mv[i] - s1 * u[i]).abs() < 1e-12, "m v = s u");
        }
        assert_eq!(solve(&m, &[3.0, 9.0]), vec![1.0, 1.0]);
        let t = m.to_tensor();
        assert_eq!(t.dims(), &[2, 2]);
        assert_eq!(Matrix::from_tensor(&t).unwrap(), m);
        let err = Matrix::from_tensor(&Tensor::zeros([2, 2, 1]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("rank-2") && err.contains("[2, 2, 1]"), "{err}");
        assert_eq!(min_entry(&[2.0, -1.0, 3.0]), -1.0);
    }

    #[test]
    fn rank_factors_by_hand() {
        // diag(3, 1) rotated by 45 degrees: [[2, 1], [1, 2]] = 3 e e^T + f f^T with
        // e = (1, 1)/sqrt 2, f = (1, -1)/sqrt 2; its best rank-1 fit is 3 e e^T = 1.5 [[1, 1], [1, 1]].
        let a = Matrix::from_rows(&[[2.0, 1.0], [1.0, 2.0]]).unwrap();
        let (l, r) = rank_factors(&a, 1);
        assert_eq!((l.rows, l.cols, r.rows, r.cols), (2, 1, 2, 1));
        for i in 0..2 {
            for j in 0..2 {
                assert!((l.get(i, 0) * r.get(j, 0) - 1.5).abs() < 1e-12);
            }
        }
        let (l, r) = rank_factors(&a, 2);
        for i in 0..2 {
            for j in 0..2 {
                let v: f64 = (0..2).map(|k| l.get(i, k) * r.get(j, k)).sum();
                assert!((v - a.get(i, j)).abs() < 1e-12, "full rank reproduces a");
            }
        }
    }

    #[test]
    fn symmetric_eigenvalues_by_hand() {
        // [[2, 1], [1, 2]] has eigenvalues 3 (along (1, 1)) and 1 (along (1, -1)); the
        // asymmetric input [[2, 0], [2, 2]] has the same symmetric part.
        let a = Matrix::from_rows(&[[2.0, 1.0], [1.0, 2.0]]).unwrap();
        let b = Matrix::from_rows(&[[2.0, 0.0], [2.0, 2.0]]).unwrap();
        for m in [a, b] {
            let e = symmetric_eigenvalues(&m);
            assert!(
                (e[0] - 3.0).abs() < 1e-12 && (e[1] - 1.0).abs() < 1e-12,
                "{e:?}"
            );
        }
        // Negative eigenvalues come last: diag(-5, 0.5, 2).
        let d = Matrix::from_rows(&[[-5.0, 0.0, 0.0], [0.0, 0.5, 0.0], [0.0, 0.0, 2.0]]).unwrap();
        let e = symmetric_eigenvalues(&d);
        assert!(
            (e[0] - 2.0).abs() < 1e-12 && (e[1] - 0.5).abs() < 1e-12 && (e[2] + 5.0).abs() < 1e-12,
            "{e:?}"
        );
    }

    #[test]
    fn ragged_rows_and_bad_lengths_are_rejected() {
        let ragged: [&[f64]; 2] = [&[1.0, 2.0], &[3.0]];
        let err = Matrix::from_rows(&ragged).unwrap_err().to_string();
        assert!(err.contains("row 1 has length 1"), "{err}");
        let err = Matrix::new(2, 3, vec![0.0; 5]).unwrap_err().to_string();
        assert!(err.contains("2 x 3") && err.contains("length 5"), "{err}");
    }
}
