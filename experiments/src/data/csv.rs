//! Labelled CSV data sets (plain or gzipped): features in every column but the last, the class
//! label (a non-negative integer) in the last; an optional header line.

use std::path::Path;

use super::Labeled;
use crate::error::{Error, Result};
use crate::runner::io::read_csv;

/// Reads a labelled CSV (`.csv` or `.csv.gz`, detected by content). When `features` is given,
/// every row must have exactly that many feature columns. Errors name the file, the line, what
/// was expected and what was found.
pub fn read_labeled_csv(file: &Path, features: Option<usize>) -> Result<Labeled> {
    let data = read_csv(file)?;
    let d = data.x.cols;
    if let Some(f) = features {
        if d != f {
            return Err(Error::data(
                file,
                data.lines.first().map(|&l| (l, l)),
                format!(
                    "expected {} cells ({f} features and a label), found {}",
                    f + 1,
                    d + 1
                ),
            ));
        }
    }
    let mut y = Vec::with_capacity(data.y.len());
    for (&label, &line) in data.y.iter().zip(&data.lines) {
        if label < 0.0 || label.fract() != 0.0 || label > 1e6 {
            return Err(Error::data(
                file,
                Some((line, line)),
                format!("expected a class label (a non-negative integer) in the last column, found {label}"),
            ));
        }
        y.push(label as usize);
    }
    let k = y.iter().max().map_or(0, |m| m + 1);
    if (0..k).filter(|c| y.contains(c)).count() < 2 {
        return Err(Error::data(
            file,
            None,
            "expected at least two classes, found one",
        ));
    }
    let x = data.x.data.iter().map(|&v| v as f32).collect();
    Ok(Labeled { x, y, d, k })
}
