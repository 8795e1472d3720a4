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
    // Solved on unit columns and a unit b, and mapped back exactly (x_j = x'_j nb / c_j: the
    // problem is invariant under positive column scalings and homogeneous in b), so that
    // clarabel's absolute tolerances are relative to the problem: at |b| = 1e-6 the unscaled
    // QP stopped at a KKT residual of 3.7.
    let nb = dot(b, b).sqrt();
    let cols: Vec<f64> = (0..k)
        .map(|j| {
            let c = (0..m).map(|i| a.get(i, j).powi(2)).sum::<f64>().sqrt();
            if c > 0.0 {
                c
            } else {
                1.0
            }
        })
        .collect();
    let unit = if nb > 0.0 { nb } else { 1.0 };
    let mut prog = ConicProgram::new(k + m);
    prog.add_half_squares(k..k + m);
    // Row i: <a_i / c, x'> + r_i = b_i / nb.
    prog.equal(
        (0..m)
            .map(|i| {
                let scaled: Vec<f64> = a.row(i).iter().zip(&cols).map(|(v, c)| v / c).collect();
                let mut row = Row::dense(&scaled, 0, b[i] / unit);
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
    let x: Vec<f64> = sol.v[..k]
        .iter()
        .zip(&cols)
        .map(|(&v, c)| v.max(0.0) * unit / c)
        .collect();
    let r: Vec<f64> = (0..m).map(|i| dot(a.row(i), &x) - b[i]).collect();
    Ok(NnlsSolution {
        residual: dot(&r, &r).sqrt(),
        x,
        status: sol.status,
    })
}

impl NnlsSolution {
    /// How far `x` is from the KKT conditions of `min ||A x - b|| s.t. x >= 0`, from the data
    /// alone: with the gradient `g = A^T (A x - b)`, the largest of `(-x_j)^+`, the sign
    /// violation `(-g_j)^+ / (||a_j|| ||b||)` and the complementarity
    /// `|x_j g_j| / ||b||^2` (0 for `b = 0`).
    pub fn kkt_residual(&self, a: &Matrix, b: &[f64]) -> f64 {
        let nb = dot(b, b).sqrt();
        if nb == 0.0 {
            return self.x.iter().fold(0.0, |m: f64, v| m.max(v.abs()));
        }
        let r: Vec<f64> = (0..a.rows).map(|i| dot(a.row(i), &self.x) - b[i]).collect();
        let g = a.t_mul_vec(&r);
        (0..a.cols).fold(0.0, |worst: f64, j| {
            let col = (0..a.rows).map(|i| a.get(i, j).powi(2)).sum::<f64>().sqrt();
            worst
                .max(-self.x[j])
                .max(-g[j] / (col * nb).max(f64::MIN_POSITIVE))
                .max((self.x[j] * g[j]).abs() / (nb * nb))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kkt_holds_over_a_range_of_conditioning() {
        // 12 x 6 problems with column scales spread over kappa = 1 .. 1e6 and b of sizes 1e-6
        // .. 1e6: the solution meets its KKT conditions; a perturbed one does not.
        use rand::{Rng, SeedableRng};
        let mut r = rand::rngs::StdRng::seed_from_u64(4);
        for kappa in [1.0f64, 1e3, 1e6] {
            for b_scale in [1e-6, 1.0, 1e6] {
                let a = Matrix::new(
                    12,
                    6,
                    (0..72)
                        .map(|q| r.gen_range(-1.0..1.0) * kappa.powf((q % 6) as f64 / 5.0))
                        .collect(),
                )
                .unwrap();
                let b: Vec<f64> = (0..12).map(|_| b_scale * r.gen_range(-1.0..1.0)).collect();
                let s = nnls(&a, &b).unwrap();
                let kkt = s.kkt_residual(&a, &b);
                assert!(
                    kkt < 1e-8,
                    "kappa {kappa}, |b| {b_scale}: KKT residual {kkt}"
                );
            }
        }
    }

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
