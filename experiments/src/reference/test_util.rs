//! Shared helpers for the reference-solver tests.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::{dot, Matrix};

pub fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

pub fn random_vec(r: &mut StdRng, n: usize) -> Vec<f64> {
    (0..n).map(|_| r.gen_range(-1.0..1.0)).collect()
}

pub fn random_matrix(r: &mut StdRng, rows: usize, cols: usize) -> Matrix {
    Matrix::new(rows, cols, random_vec(r, rows * cols)).unwrap()
}

/// `n` samples in `R^d` labelled by a random hyperplane through the origin,
/// keeping only points with `|<w*, x>| >= 0.1 ||w*||`, so the data are separable.
pub fn separable(r: &mut StdRng, n: usize, d: usize) -> (Matrix, Vec<f64>) {
    let w_star = random_vec(r, d);
    let norm = dot(&w_star, &w_star).sqrt();
    let (mut data, mut y) = (Vec::new(), Vec::new());
    while y.len() < n {
        let x = random_vec(r, d);
        let s = dot(&w_star, &x);
        if s.abs() >= 0.1 * norm {
            data.extend_from_slice(&x);
            y.push(s.signum());
        }
    }
    (Matrix::new(n, d, data).unwrap(), y)
}

pub fn assert_close(a: &[f64], b: &[f64], tol: f64) {
    assert_eq!(a.len(), b.len(), "lengths differ: {a:?} vs {b:?}");
    for (i, (u, v)) in a.iter().zip(b).enumerate() {
        assert!(
            (u - v).abs() <= tol,
            "entry {i}: {u} vs {v} (tol {tol})\n{a:?}\n{b:?}"
        );
    }
}

/// Asserts `y_i <x_i, w> >= 1 - tol` for every sample.
pub fn assert_margins(x: &Matrix, y: &[f64], w: &[f64], tol: f64) {
    for (i, yi) in y.iter().enumerate() {
        let m = yi * dot(x.row(i), w);
        assert!(m >= 1.0 - tol, "sample {i} has margin {m} < 1");
    }
}

/// `x` with column `j` scaled by `kappa^(j / (d - 1))`: column scales spread over `1..kappa`
/// (a condition number of about `kappa`).
pub fn scale_columns(x: &Matrix, kappa: f64) -> Matrix {
    let d = x.cols;
    let data = (0..x.rows * d)
        .map(|q| x.data[q] * kappa.powf((q % d) as f64 / (d - 1) as f64))
        .collect();
    Matrix::new(x.rows, d, data).unwrap()
}
