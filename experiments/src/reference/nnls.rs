//! Non-negative least squares, `min ||A x - b||_2 s.t. x >= 0`, as a QP in clarabel: the
//! multipliers of a KKT point fitted to a gradient (protocol 10b).

use super::conic::{ConicProgram, Row};
use super::dense::{dot, Matrix};
use super::{Error, Status};

/// A solution of [`nnls`].
#[derive(Clone, Debug)]
pub struct NnlsSolution {
    /// The minimizer `x >= 0` (`A.cols` entries).
    pub x: Vec<f64>,
    /// `||A x - b||_2` at `x`.
    pub residual: f64,
    /// How it was solved.
    pub status: Status,
}

/// Non-negative least squares:
///
/// ```text
/// min 1/2 ||r||_2^2  s.t.  r = b - A x,  x >= 0,
/// ```
///
/// a QP in `(x, r)` solved by clarabel. Always feasible, so only a shape mismatch or a solver
/// failure is an error.
pub fn nnls(a: &Matrix, b: &[f64]) -> Result<NnlsSolution, Error> {
    if b.len() != a.rows {
        return Err(Error::DimensionMismatch {
            left: format!("A is {}", a.shape()),
            right: format!("b has length {}", b.len()),
        });
    }
    let (m, k) = (a.rows, a.cols);
    let mut prog = ConicProgram::new(k + m);
    prog.add_half_squares(k..k + m);
    // Row i: <a_i, x> + r_i = b_i.
    prog.equal(
        (0..m)
            .map(|i| {
                let mut row = Row::dense(a.row(i), 0, b[i]);
                row.coeffs.push((k + i, 1.0));
                row
            })
            .collect(),
    );
    // -x_j <= 0.
    prog.less_equal(
        (0..k)
            .map(|j| Row {
                coeffs: vec![(j, -1.0)],
                rhs: 0.0,
            })
            .collect(),
    );
    let sol = prog.solve("non-negative least squares", "never (always feasible)")?;
    let x: Vec<f64> = sol.v[..k].iter().map(|&v| v.max(0.0)).collect();
    let r: Vec<f64> = (0..m).map(|i| dot(a.row(i), &x) - b[i]).collect();
    Ok(NnlsSolution {
        residual: dot(&r, &r).sqrt(),
        x,
        status: sol.status,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nnls_by_hand() {
        // A = I: the solution is max(b, 0), the residual the norm of b's negative part.
        let eye = Matrix::from_rows(&[[1.0, 0.0], [0.0, 1.0]]).unwrap();
        let s = nnls(&eye, &[3.0, -4.0]).unwrap();
        assert!((s.x[0] - 3.0).abs() < 1e-8 && s.x[1].abs() < 1e-8, "{s:?}");
        assert!((s.residual - 4.0).abs() < 1e-7);
        // b in the cone of the columns: exact fit, b = 2 a_1 + 0.5 a_2.
        let a = Matrix::from_rows(&[[1.0, 1.0], [0.0, 2.0], [1.0, 0.0]]).unwrap();
        let s = nnls(&a, &[2.5, 1.0, 2.0]).unwrap();
        assert!(
            (s.x[0] - 2.0).abs() < 1e-7 && (s.x[1] - 0.5).abs() < 1e-7,
            "{s:?}"
        );
        assert!(s.residual < 1e-7);
        assert!(nnls(&a, &[1.0]).is_err());
    }
}
