//! Atomic file output and the `--data` CSV reader.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::reference::{Error as ReferenceError, Matrix, SvmSolution};

/// Writes `bytes` to `path` atomically: a temporary file in the same directory,
/// then a rename. Creates the parent directory.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let tmp = temp_path(path, "tmp");
    let mut f = fs::File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
    f.write_all(bytes).map_err(|e| Error::io(&tmp, e))?;
    f.sync_all().map_err(|e| Error::io(&tmp, e))?;
    drop(f);
    fs::rename(&tmp, path).map_err(|e| Error::io(path, e))
}

/// A sibling of `path` named `.NAME.partial.EXT` (keeps the extension, which
/// some encoders use to pick the format).
pub fn temp_path(path: &Path, ext: &str) -> PathBuf {
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let ext = path
        .extension()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| ext.to_string());
    path.with_file_name(format!(".{name}.partial.{ext}"))
}

/// Serialises `value` as pretty JSON and writes it atomically.
pub fn write_json<T: serde::Serialize>(path: &Path, value: &T) -> Result<()> {
    let s = serde_json::to_string_pretty(value)
        .map_err(|e| Error::Other(format!("{}: {e}", path.display())))?;
    write_atomic(path, s.as_bytes())
}

/// Writes a CSV with a header line, atomically.
pub fn write_csv(path: &Path, columns: &[String], rows: &[Vec<f64>]) -> Result<()> {
    let mut s = columns.join(",");
    s.push('\n');
    for r in rows {
        let cells: Vec<String> = r.iter().map(|v| format!("{v:e}")).collect();
        s.push_str(&cells.join(","));
        s.push('\n');
    }
    write_atomic(path, s.as_bytes())
}

/// A user data set: features `x` (one sample per row), the last CSV column as
/// `y`, and the 1-based file line of each sample.
#[derive(Clone, Debug)]
pub struct Dataset {
    /// The file it came from.
    pub file: PathBuf,
    /// Features, `n x d`.
    pub x: Matrix,
    /// Labels / targets.
    pub y: Vec<f64>,
    /// File line of each sample.
    pub lines: Vec<usize>,
}

impl Dataset {
    /// The line range spanning all samples.
    pub fn all_lines(&self) -> Option<(usize, usize)> {
        Some((*self.lines.first()?, *self.lines.last()?))
    }

    /// Maps the labels to `{-1, +1}`: accepts labels in `{-1, 1}` or `{0, 1}`.
    /// Errors name the line of the first bad label, or all lines when there is
    /// only one class.
    pub fn binary_labels(&self) -> Result<Vec<f64>> {
        let zero_one = self.y.iter().all(|&v| v == 0.0 || v == 1.0);
        let mut out = Vec::with_capacity(self.y.len());
        for (i, &v) in self.y.iter().enumerate() {
            let l = match v {
                1.0 => 1.0,
                -1.0 => -1.0,
                0.0 if zero_one => -1.0,
                _ => {
                    return Err(Error::data(
                        &self.file,
                        Some((self.lines[i], self.lines[i])),
                        format!(
                            "label {v} is not a binary label (use -1/+1 or 0/1 in the last column)"
                        ),
                    ))
                }
            };
            out.push(l);
        }
        if out.iter().all(|&v| v == out[0]) {
            return Err(Error::data(
                &self.file,
                self.all_lines(),
                format!(
                    "all {} labels are {}: two classes are needed",
                    out.len(),
                    self.y[0]
                ),
            ));
        }
        Ok(out)
    }

    /// Class labels `0..k` (non-negative integers in the last column); at least two classes.
    pub fn class_labels(&self) -> Result<(Vec<usize>, usize)> {
        let mut out = Vec::with_capacity(self.y.len());
        for (i, &v) in self.y.iter().enumerate() {
            if v < 0.0 || v.fract() != 0.0 || v > 1e6 {
                return Err(Error::data(
                    &self.file,
                    Some((self.lines[i], self.lines[i])),
                    format!("label {v} is not a class index (a non-negative integer)"),
                ));
            }
            out.push(v as usize);
        }
        let k = out.iter().max().map_or(0, |m| m + 1);
        let distinct = (0..k).filter(|c| out.contains(c)).count();
        if distinct < 2 {
            return Err(Error::data(
                &self.file,
                self.all_lines(),
                "only one class is present: two classes are needed",
            ));
        }
        Ok((out, k))
    }

    /// The features and `{-1, +1}` labels of data that must be linearly separable through the
    /// origin, with the hard-margin SVM ([`svm_l2`](crate::reference::svm_l2)) that checks it,
    /// so that callers need not solve it again. Data that are not separable are a data error
    /// naming the file; another solver failure is a reference error.
    pub fn separable_binary(&self) -> Result<(Matrix, Vec<f64>, SvmSolution)> {
        let y = self.binary_labels()?;
        match crate::reference::svm_l2(&self.x, &y) {
            Ok(svm) => Ok((self.x.clone(), y, svm)),
            Err(ReferenceError::Infeasible { .. }) => Err(self.not_separable()),
            Err(e) => Err(Error::reference("the hard-margin SVM of the data", e)),
        }
    }

    /// The error for data that must be linearly separable (through the origin) but is not.
    pub fn not_separable(&self) -> Error {
        Error::data(
            &self.file,
            self.all_lines(),
            "the data are not linearly separable through the origin (required by this experiment)",
        )
    }
}

/// Reads a CSV of numbers (plain or gzipped, detected by content): features in all but the
/// last column, the label or target in the last. An optional header (a first line with a
/// non-numeric cell) is skipped; blank lines are ignored. Errors name the file, the line, what
/// was expected and what was found.
pub fn read_csv(file: &Path) -> Result<Dataset> {
    let bytes = crate::data::idx::read_maybe_gz(file)?;
    let text = String::from_utf8(bytes).map_err(|e| {
        Error::data(
            file,
            None,
            format!("expected UTF-8 text, found invalid bytes: {e}"),
        )
    })?;
    let mut rows: Vec<Vec<f64>> = Vec::new();
    let mut lines = Vec::new();
    let mut width = None::<(usize, usize)>;
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        let at = Some((line_no, line_no));
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        let parsed: Vec<Option<f64>> = cells
            .iter()
            .map(|c| c.parse::<f64>().ok().filter(|v| v.is_finite()))
            .collect();
        if let Some(j) = parsed.iter().position(Option::is_none) {
            if rows.is_empty() && width.is_none() {
                // A header line.
                width = Some((cells.len(), line_no));
                continue;
            }
            return Err(Error::data(
                file,
                at,
                format!(
                    "expected a finite number in cell {}, found {:?}",
                    j + 1,
                    cells[j]
                ),
            ));
        }
        match width {
            Some((w, first)) if w != cells.len() => {
                return Err(Error::data(
                    file,
                    at,
                    format!(
                        "expected {w} cells (as on line {first}), found {}",
                        cells.len()
                    ),
                ))
            }
            None => width = Some((cells.len(), line_no)),
            _ => {}
        }
        rows.push(parsed.into_iter().map(Option::unwrap_or_default).collect());
        lines.push(line_no);
    }
    let w = width.map_or(0, |(w, _)| w);
    if rows.is_empty() || w < 2 {
        return Err(Error::data(
            file,
            None,
            "expected at least one data row with a feature and a label column, found none",
        ));
    }
    let d = w - 1;
    let mut x = Vec::with_capacity(rows.len() * d);
    let mut y = Vec::with_capacity(rows.len());
    for r in &rows {
        x.extend_from_slice(&r[..d]);
        y.push(r[d]);
    }
    let x = Matrix::new(rows.len(), d, x).map_err(|e| Error::Other(e.to_string()))?;
    Ok(Dataset {
        file: file.to_path_buf(),
        x,
        y,
        lines,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_header_blank_lines_and_labels() {
        let dir = std::env::temp_dir().join(format!("io-test-{}", std::process::id()));
        let file = dir.join("d.csv");
        write_atomic(&file, b"a,b,y\n1,2,0\n\n3,4.5,1\n").unwrap();
        let d = read_csv(&file).unwrap();
        assert_eq!((d.x.rows, d.x.cols), (2, 2));
        assert_eq!(d.lines, vec![2, 4]);
        assert_eq!(d.binary_labels().unwrap(), vec![-1.0, 1.0]);
        assert_eq!(d.class_labels().unwrap(), (vec![0, 1], 2));
        assert!(!temp_path(&file, "tmp").exists());
    }
}
