//! Checkpoints: all parameters of a module in one safetensors file.
//!
//! Tensor names are the parameter names ([`Module::parameters`]); the dtype is `F32` or `F64`
//! as the parameters are stored, little-endian, so a round trip is bit-exact. Writes are atomic:
//! the file is written to `<path>.tmp`, synced, then renamed over `path`, so a crash leaves the
//! old checkpoint or the new one, never a torn file. Loading checks every tensor (present,
//! shape, dtype, no extra tensors) before changing any parameter.

use crate::error::{Error, Result};
use crate::module::Module;
use autograd::{Float, Tensor};
use safetensors::{Dtype, SafeTensors};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The safetensors dtype of `T`.
fn dtype_of<T: Float>() -> Dtype {
    match T::DTYPE {
        "f32" => Dtype::F32,
        "f64" => Dtype::F64,
        other => unreachable!("autograd::Float is f32 or f64, not {other}"),
    }
}

/// Little-endian bytes of the values, in `T`'s own width.
fn to_le_bytes<T: Float>(values: &[T]) -> Vec<u8> {
    match dtype_of::<T>() {
        Dtype::F32 => values
            .iter()
            .flat_map(|v| (v.f64() as f32).to_le_bytes())
            .collect(),
        _ => values.iter().flat_map(|v| v.f64().to_le_bytes()).collect(),
    }
}

/// Values of `T` from little-endian bytes of `T`'s width (the length was checked).
fn from_le_bytes<T: Float>(bytes: &[u8]) -> Vec<T> {
    match dtype_of::<T>() {
        Dtype::F32 => bytes
            .chunks_exact(4)
            .map(|c| T::of(f32::from_le_bytes(c.try_into().expect("4 bytes")) as f64))
            .collect(),
        _ => bytes
            .chunks_exact(8)
            .map(|c| T::of(f64::from_le_bytes(c.try_into().expect("8 bytes"))))
            .collect(),
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// `<path>.tmp`.
fn tmp_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".tmp");
    PathBuf::from(s)
}

/// Saves named tensors to `path` atomically (see the module docs).
pub fn save_tensors<T: Float>(
    tensors: &[(String, Tensor<T>)],
    path: impl AsRef<Path>,
) -> Result<()> {
    let path = path.as_ref();
    let dtype = dtype_of::<T>();
    let bytes: Vec<(String, Vec<u8>, Vec<usize>)> = tensors
        .iter()
        .map(|(n, t)| (n.clone(), t.with_slice(to_le_bytes), t.dims().to_vec()))
        .collect();
    let views = bytes
        .iter()
        .map(|(n, b, s)| {
            safetensors::tensor::TensorView::new(dtype, s.clone(), b).map(|v| (n.as_str(), v))
        })
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| format_error(path, e))?;
    let buffer = safetensors::serialize(views, None).map_err(|e| format_error(path, e))?;
    let tmp = tmp_path(path);
    let mut file = fs::File::create(&tmp).map_err(io(&tmp))?;
    file.write_all(&buffer).map_err(io(&tmp))?;
    file.sync_all().map_err(io(&tmp))?;
    drop(file);
    fs::rename(&tmp, path).map_err(io(path))
}

fn format_error(path: &Path, e: safetensors::SafeTensorError) -> Error {
    Error::Format {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// Saves every parameter of `module` to `path` (atomically).
pub fn save<T: Float, M: Module<T> + ?Sized>(module: &mut M, path: impl AsRef<Path>) -> Result<()> {
    save_tensors(&module.parameters(), path)
}

/// Loads every parameter of `module` from `path`, in place (the parameter tensors keep their
/// identity, so optimizers holding them see the new values).
///
/// Fails, changing nothing, if the file cannot be read or parsed, lacks a parameter
/// ([`Error::MissingTensor`]), holds one with another shape ([`Error::ShapeMismatch`]) or dtype
/// ([`Error::DtypeMismatch`]), or holds a tensor the module does not have
/// ([`Error::UnexpectedTensor`]).
pub fn load<T: Float, M: Module<T> + ?Sized>(module: &mut M, path: impl AsRef<Path>) -> Result<()> {
    let path = path.as_ref();
    let buffer = fs::read(path).map_err(io(path))?;
    let file = SafeTensors::deserialize(&buffer).map_err(|e| format_error(path, e))?;
    let params = module.parameters();
    let expected_dtype = dtype_of::<T>();
    let mut values = Vec::with_capacity(params.len());
    for (name, p) in &params {
        let view = file
            .tensor(name)
            .map_err(|_| Error::MissingTensor { name: name.clone() })?;
        if view.dtype() != expected_dtype {
            return Err(Error::DtypeMismatch {
                name: name.clone(),
                expected: format!("{expected_dtype:?}"),
                found: format!("{:?}", view.dtype()),
            });
        }
        if view.shape() != p.dims() {
            return Err(Error::ShapeMismatch {
                name: name.clone(),
                expected: p.dims().to_vec(),
                found: view.shape().to_vec(),
            });
        }
        values.push(from_le_bytes::<T>(view.data()));
    }
    if let Some(extra) = file
        .names()
        .into_iter()
        .find(|n| !params.iter().any(|(p, _)| p == n))
    {
        return Err(Error::UnexpectedTensor {
            name: extra.to_string(),
        });
    }
    for ((_, p), v) in params.iter().zip(values) {
        p.try_update(|d| d.copy_from_slice(&v))?;
    }
    Ok(())
}
