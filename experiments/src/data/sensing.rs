//! Matrix-sensing and matrix-completion CSV files (`matrix_sensing --data`), plain or gzipped,
//! with an optional header line. Two formats, told apart by the column count:
//!
//! - **sensing**, `n^2 + 1` columns (`n >= 2`): one row per measurement, the `n^2` entries of
//!   `A_i` in row-major order, then `y_i = <A_i, X>`; `n` is the square root of the column
//!   count minus one.
//! - **completion**, 3 columns `i, j, value`: one row per observed entry `X_ij = value`, with
//!   0-based integer indices; `n` is one more than the largest index. `A_k = e_i e_j^T`.
//!
//! The factorization follows the measurements: symmetric `A_i` (every one, within `1e-12`
//! relative), or a completion file whose entries all have `i <= j` (a symmetric matrix given
//! by its upper triangle, `A_k = (e_i e_j^T + e_j e_i^T) / 2`), select `X = U U^T` and the
//! min-trace PSD reference; anything else selects `X = U V^T` and the min-nuclear-norm
//! reference. The reader checks the assumptions of the theory and returns a data error (exit
//! 2) naming the file and lines when one fails: values finite, the problem underdetermined
//! (`m < n (n + 1) / 2` symmetric, `m < n^2` general), the measurement operator of full row
//! rank (no entry observed twice; `sigma_min(A) > 1e-10 sigma_max(A)` for sensing files), and
//! for a symmetric completion no negative diagonal entry (no PSD matrix would match it).

use std::path::Path;

use crate::error::{Error, Result};
use crate::reference::{singular_values, Matrix};
use crate::runner::io::read_csv;

/// A sensing problem read from a file: `a` is `m x n^2` (row `i` is `vec(A_i)`, row-major).
#[derive(Clone, Debug, PartialEq)]
pub struct SensingFile {
    /// Size of `X` (`n x n`).
    pub n: usize,
    /// The measurement matrices, one per row.
    pub a: Matrix,
    /// The measurements.
    pub y: Vec<f64>,
    /// Symmetric measurements: train `U U^T` against the min-trace PSD solution.
    pub sym: bool,
    /// The file held observed entries (the completion format).
    pub completion: bool,
}

/// The measurement matrix of the observed entries `(i, j, value)` of an `n x n` matrix:
/// row `k` is `vec(e_i e_j^T)`, or `vec((e_i e_j^T + e_j e_i^T) / 2)` when `sym`.
pub fn completion_matrix(n: usize, entries: &[(usize, usize, f64)], sym: bool) -> Matrix {
    let mut a = Matrix::zeros(entries.len(), n * n);
    for (k, &(i, j, _)) in entries.iter().enumerate() {
        let row = &mut a.data[k * n * n..(k + 1) * n * n];
        if sym {
            row[i * n + j] += 0.5;
            row[j * n + i] += 0.5;
        } else {
            row[i * n + j] = 1.0;
        }
    }
    a
}

/// Reads a sensing or completion CSV (see the module doc) and checks its assumptions.
pub fn read_sensing_csv(file: &Path) -> Result<SensingFile> {
    let data = read_csv(file)?;
    let all = data.all_lines();
    let cols = data.x.cols + 1;
    let m = data.y.len();
    let bad = |lines, msg: String| Err(Error::data(file, lines, msg));
    let (n, a, sym, completion) = if cols == 3 {
        let mut entries = Vec::with_capacity(m);
        for (k, &line) in data.lines.iter().enumerate() {
            let (i, j) = (data.x.get(k, 0), data.x.get(k, 1));
            let index = |v: f64| v >= 0.0 && v.fract() == 0.0 && v < 1e6;
            if !index(i) || !index(j) {
                return bad(
                    Some((line, line)),
                    format!("expected 0-based integer indices i, j in the first two cells (completion format), found {i}, {j}"),
                );
            }
            entries.push((i as usize, j as usize, data.y[k]));
        }
        let n = entries.iter().map(|e| e.0.max(e.1)).max().unwrap_or(0) + 1;
        let sym = entries.iter().all(|e| e.0 <= e.1);
        let mut seen = std::collections::HashMap::new();
        for (k, e) in entries.iter().enumerate() {
            if let Some(first) = seen.insert((e.0, e.1), data.lines[k]) {
                return bad(
                    Some((first, data.lines[k])),
                    format!("entry ({}, {}) is observed twice: the measurements must be linearly independent", e.0, e.1),
                );
            }
            if sym && e.0 == e.1 && e.2 < 0.0 {
                return bad(
                    Some((data.lines[k], data.lines[k])),
                    format!("diagonal entry ({}, {}) = {} is negative: no PSD matrix matches it (symmetric completion, all i <= j)", e.0, e.1, e.2),
                );
            }
        }
        (n, completion_matrix(n, &entries, sym), sym, true)
    } else {
        let d = cols - 1;
        let n = (d as f64).sqrt().round() as usize;
        if n < 2 || n * n != d {
            return bad(
                all,
                format!("expected n^2 + 1 columns (the entries of A_i, then y_i, n >= 2) or 3 (i, j, value), found {cols}: {d} is not a square"),
            );
        }
        let a = data.x.clone();
        let sym = (0..m).all(|k| {
            let row = a.row(k);
            let scale = row.iter().fold(0.0f64, |s, v| s.max(v.abs()));
            (0..n).all(|i| (0..i).all(|j| (row[i * n + j] - row[j * n + i]).abs() <= 1e-12 * scale))
        });
        (n, a, sym, false)
    };
    let unknowns = if sym { n * (n + 1) / 2 } else { n * n };
    if m >= unknowns {
        return bad(
            all,
            format!(
                "{m} measurements of a {} {n} x {n} matrix ({unknowns} unknowns): the problem must be underdetermined (m < {unknowns})",
                if sym { "symmetric" } else { "general" }
            ),
        );
    }
    if !completion {
        let s = singular_values(&a);
        let (hi, lo) = (s[0], s[s.len() - 1]);
        if lo.is_nan() || lo <= 1e-10 * hi {
            return bad(
                all,
                format!("the measurement operator is not of full row rank (sigma_min / sigma_max = {:.1e} of the m x n^2 matrix of the A_i): a measurement repeats or combines others", lo / hi),
            );
        }
    }
    Ok(SensingFile {
        n,
        a,
        y: data.y,
        sym,
        completion,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(name: &str, text: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("sensing-csv-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join(name);
        std::fs::write(&f, text).unwrap();
        f
    }

    fn message(f: &Path) -> String {
        let e = read_sensing_csv(f).unwrap_err();
        assert_eq!(e.exit_code(), 2, "{e}");
        e.to_string()
    }

    #[test]
    fn reads_symmetric_and_general_sensing_rows() {
        // n = 2: rows are (a11, a12, a21, a22, y).
        let f = write("sym.csv", "a11,a12,a21,a22,y\n1,2,2,0,3\n0,1,1,1,2\n");
        let s = read_sensing_csv(&f).unwrap();
        assert_eq!(
            (s.n, s.a.rows, s.a.cols, s.sym, s.completion),
            (2, 2, 4, true, false)
        );
        assert_eq!(s.a.row(0), &[1.0, 2.0, 2.0, 0.0]);
        assert_eq!(s.y, vec![3.0, 2.0]);
        let f = write("gen.csv", "1,2,0,0,3\n0,0,1,1,2\n0,1,0,0,5\n");
        let s = read_sensing_csv(&f).unwrap();
        assert_eq!((s.n, s.sym), (2, false));
    }

    #[test]
    fn reads_completion_entries() {
        // Upper-triangle entries of a 3 x 3 matrix: symmetric, A = (e_i e_j^T + e_j e_i^T) / 2.
        let f = write("upper.csv", "i,j,value\n0,1,2.5\n1,2,-1\n0,0,4\n");
        let s = read_sensing_csv(&f).unwrap();
        assert_eq!((s.n, s.sym, s.completion), (3, true, true));
        assert_eq!(s.a.row(0), &[0.0, 0.5, 0.0, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0]);
        assert_eq!(s.a.row(2)[0], 1.0);
        assert_eq!(s.y, vec![2.5, -1.0, 4.0]);
        // An entry below the diagonal: general, A = e_i e_j^T.
        let f = write("general.csv", "1,0,2\n0,1,3\n");
        let s = read_sensing_csv(&f).unwrap();
        assert_eq!((s.n, s.sym), (2, false));
        assert_eq!(s.a.row(0), &[0.0, 0.0, 1.0, 0.0]);
    }

    #[test]
    fn rejects_files_that_break_the_assumptions() {
        let m = message(&write("cols.csv", "1,2,3,4,5,6\n"));
        assert!(m.contains("found 6") && m.contains("not a square"), "{m}");
        let m = message(&write("dup.csv", "0,1,2\n2,2,1\n0,1,3\n"));
        assert!(
            m.contains("lines 1-3") && m.contains("observed twice"),
            "{m}"
        );
        let m = message(&write("idx.csv", "0,1.5,2\n"));
        assert!(m.contains("line 1") && m.contains("integer indices"), "{m}");
        let m = message(&write("neg.csv", "0,0,-1\n0,1,1\n"));
        assert!(m.contains("negative"), "{m}");
        // 3 symmetric measurements of a 2 x 2 matrix: 3 unknowns, not underdetermined.
        let m = message(&write("over.csv", "1,0,0,0,1\n0,1,1,0,1\n0,0,0,1,1\n"));
        assert!(m.contains("underdetermined"), "{m}");
        // The second row is twice the first: not of full row rank.
        let m = message(&write("rank.csv", "1,2,3,4,1\n2,4,6,8,2\n"));
        assert!(m.contains("full row rank"), "{m}");
        let m = message(&write("nan.csv", "1,2,3,4,1\n1,2,3,4,NaN\n"));
        assert!(m.contains("finite"), "{m}");
    }
}
