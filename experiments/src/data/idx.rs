//! The IDX format of MNIST (gzipped or not): a big-endian header `0, 0, type, ndims`, one u32
//! per dimension, then the data row-major. Only type `0x08` (unsigned byte) is read.

use std::path::Path;

use crate::error::{Error, Result};

/// An IDX array of unsigned bytes.
#[derive(Clone, Debug, PartialEq)]
pub struct IdxArray {
    /// The dimensions, e.g. `[10000, 28, 28]`.
    pub dims: Vec<usize>,
    /// The data, row-major.
    pub data: Vec<u8>,
}

/// The bytes of `file`, decompressed when they start with the gzip magic `1f 8b`.
pub fn read_maybe_gz(file: &Path) -> Result<Vec<u8>> {
    let raw = std::fs::read(file)
        .map_err(|e| Error::data(file, None, format!("cannot read the file: {e}")))?;
    if raw.len() >= 2 && raw[0] == 0x1f && raw[1] == 0x8b {
        let mut out = Vec::new();
        use std::io::Read;
        flate2::read::GzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .map_err(|e| {
                Error::data(
                    file,
                    None,
                    format!("not a valid gzip stream (truncated or corrupt?): {e}"),
                )
            })?;
        Ok(out)
    } else {
        Ok(raw)
    }
}

/// Parses IDX bytes (`file` only names the source in errors). Checks the magic number, the
/// header length and that the data length is exactly the product of the dimensions.
pub fn parse_idx(file: &Path, bytes: &[u8]) -> Result<IdxArray> {
    let bad = |m: String| Error::data(file, None, m);
    if bytes.len() < 4 {
        return Err(bad(format!(
            "expected an IDX header of at least 4 bytes, found {} bytes",
            bytes.len()
        )));
    }
    if bytes[0] != 0 || bytes[1] != 0 || bytes[2] != 0x08 || !(1..=4).contains(&bytes[3]) {
        return Err(bad(format!(
            "expected an IDX magic number 0x000008NN (unsigned bytes, 1-4 dimensions), found 0x{:02x}{:02x}{:02x}{:02x}",
            bytes[0], bytes[1], bytes[2], bytes[3]
        )));
    }
    let nd = bytes[3] as usize;
    let header = 4 + 4 * nd;
    if bytes.len() < header {
        return Err(bad(format!(
            "truncated header: expected {header} bytes for {nd} dimensions, found {}",
            bytes.len()
        )));
    }
    let dims: Vec<usize> = (0..nd)
        .map(|k| {
            u32::from_be_bytes([
                bytes[4 + 4 * k],
                bytes[5 + 4 * k],
                bytes[6 + 4 * k],
                bytes[7 + 4 * k],
            ]) as usize
        })
        .collect();
    let expected: usize = dims.iter().product();
    let found = bytes.len() - header;
    if found != expected {
        return Err(bad(format!(
            "{}: expected {expected} data bytes for dimensions {dims:?}, found {found}",
            if found < expected {
                "truncated"
            } else {
                "trailing data"
            }
        )));
    }
    Ok(IdxArray {
        dims,
        data: bytes[header..].to_vec(),
    })
}

/// Reads an IDX file (gzipped or not).
pub fn read_idx(file: &Path) -> Result<IdxArray> {
    parse_idx(file, &read_maybe_gz(file)?)
}

/// Reads an IDX image file: magic `0x00000803`, dimensions `[n, rows, cols]`; returns
/// `(n, rows * cols, pixels)`.
pub fn read_images(file: &Path) -> Result<(usize, usize, Vec<u8>)> {
    let a = read_idx(file)?;
    if a.dims.len() != 3 {
        return Err(Error::data(
            file,
            None,
            format!(
                "expected an image file (magic 0x00000803, 3 dimensions), found {} dimension(s) {:?}",
                a.dims.len(),
                a.dims
            ),
        ));
    }
    Ok((a.dims[0], a.dims[1] * a.dims[2], a.data))
}

/// Reads an IDX label file: magic `0x00000801`, dimensions `[n]`, labels `< classes`.
pub fn read_labels(file: &Path, classes: usize) -> Result<Vec<usize>> {
    let a = read_idx(file)?;
    if a.dims.len() != 1 {
        return Err(Error::data(
            file,
            None,
            format!(
                "expected a label file (magic 0x00000801, 1 dimension), found {} dimensions {:?}",
                a.dims.len(),
                a.dims
            ),
        ));
    }
    if let Some(i) = a.data.iter().position(|&l| l as usize >= classes) {
        return Err(Error::data(
            file,
            None,
            format!("label {} at index {i} is not in 0..{classes}", a.data[i]),
        ));
    }
    Ok(a.data.iter().map(|&l| l as usize).collect())
}
