//! Labelled CSV data sets (plain or gzipped): features in every column but the last, the class
//! label (a non-negative integer) in the last; an optional header line.

use std::path::Path;

use super::idx::read_maybe_gz;
use super::Labeled;
use crate::error::{Error, Result};

/// Reads a labelled CSV (`.csv` or `.csv.gz`, detected by content). When `features` is given,
/// every row must have exactly that many feature columns. Errors name the file, the line, what
/// was expected and what was found.
pub fn read_labeled_csv(file: &Path, features: Option<usize>) -> Result<Labeled> {
    let bytes = read_maybe_gz(file)?;
    let text = String::from_utf8(bytes).map_err(|e| {
        Error::data(
            file,
            None,
            format!("expected UTF-8 text, found invalid bytes: {e}"),
        )
    })?;
    let mut x = Vec::new();
    let mut y = Vec::new();
    let mut width: Option<(usize, usize)> = None;
    let mut seen_data = false;
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        let parsed: Vec<Option<f64>> = cells
            .iter()
            .map(|c| c.parse::<f64>().ok().filter(|v| v.is_finite()))
            .collect();
        let at = Some((line_no, line_no));
        if let Some(j) = parsed.iter().position(Option::is_none) {
            if !seen_data && width.is_none() {
                width = Some((cells.len(), line_no)); // a header line
                continue;
            }
            return Err(Error::data(
                file,
                at,
                format!("expected a number in cell {}, found {:?}", j + 1, cells[j]),
            ));
        }
        if let Some(f) = features {
            if cells.len() != f + 1 {
                return Err(Error::data(
                    file,
                    at,
                    format!(
                        "expected {} cells ({f} features and a label), found {}",
                        f + 1,
                        cells.len()
                    ),
                ));
            }
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
        if cells.len() < 2 {
            return Err(Error::data(
                file,
                at,
                "expected at least one feature and a label, found one cell",
            ));
        }
        let label = parsed[cells.len() - 1].unwrap_or_default();
        if label < 0.0 || label.fract() != 0.0 || label > 1e6 {
            return Err(Error::data(file, at, format!("expected a class label (a non-negative integer) in the last column, found {label}")));
        }
        seen_data = true;
        x.extend(
            parsed[..cells.len() - 1]
                .iter()
                .map(|v| v.unwrap_or_default() as f32),
        );
        y.push(label as usize);
    }
    if y.is_empty() {
        return Err(Error::data(
            file,
            None,
            "expected at least one data row, found none",
        ));
    }
    let d = x.len() / y.len();
    let k = y.iter().max().map_or(0, |m| m + 1);
    if (0..k).filter(|c| y.contains(c)).count() < 2 {
        return Err(Error::data(
            file,
            None,
            "expected at least two classes, found one",
        ));
    }
    Ok(Labeled { x, y, d, k })
}
