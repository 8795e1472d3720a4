//! The error type of `nn`: checkpoints and whole-model parameter assignment.

use std::fmt;
use std::path::PathBuf;

/// What went wrong saving, loading or assigning parameters.
///
/// Every message names the tensor (or the file) involved, what was expected and what was found,
/// e.g. `checkpoint tensor "0.weight": expected shape [3, 2], found [2, 3]`.
#[derive(Debug)]
pub enum Error {
    /// Reading or writing a file failed.
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The file is not valid safetensors (bad header, truncated data...).
    Format {
        /// The file.
        path: PathBuf,
        /// What the parser said.
        message: String,
    },
    /// A parameter of the model has no tensor of that name in the checkpoint.
    MissingTensor {
        /// The parameter name, e.g. `"layers.2.bias"`.
        name: String,
    },
    /// The checkpoint holds a tensor the model has no parameter for.
    UnexpectedTensor {
        /// The tensor name.
        name: String,
    },
    /// A checkpoint tensor has another shape than the parameter.
    ShapeMismatch {
        /// The parameter name.
        name: String,
        /// The parameter's shape.
        expected: Vec<usize>,
        /// The stored shape.
        found: Vec<usize>,
    },
    /// A checkpoint tensor has another element type than the parameter.
    DtypeMismatch {
        /// The parameter name.
        name: String,
        /// The parameter's dtype, `"F32"` or `"F64"`.
        expected: String,
        /// The stored dtype.
        found: String,
    },
    /// A flat parameter vector of the wrong length.
    LengthMismatch {
        /// What the vector was for.
        what: &'static str,
        /// The number of parameters of the model.
        expected: usize,
        /// The length given.
        got: usize,
    },
    /// A tensor operation failed.
    Tensor(autograd::Error),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io { path, source } => write!(f, "{}: {source}", path.display()),
            Error::Format { path, message } => {
                write!(
                    f,
                    "{}: not a valid safetensors file: {message}",
                    path.display()
                )
            }
            Error::MissingTensor { name } => {
                write!(
                    f,
                    "checkpoint has no tensor \"{name}\" (a parameter of the model)"
                )
            }
            Error::UnexpectedTensor { name } => write!(
                f,
                "checkpoint tensor \"{name}\" matches no parameter of the model"
            ),
            Error::ShapeMismatch {
                name,
                expected,
                found,
            } => write!(
                f,
                "checkpoint tensor \"{name}\": expected shape {expected:?}, found {found:?}"
            ),
            Error::DtypeMismatch {
                name,
                expected,
                found,
            } => write!(
                f,
                "checkpoint tensor \"{name}\": expected dtype {expected}, found {found}"
            ),
            Error::LengthMismatch {
                what,
                expected,
                got,
            } => write!(f, "{what}: expected {expected} values, got {got}"),
            Error::Tensor(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            Error::Tensor(e) => Some(e),
            _ => None,
        }
    }
}

impl From<autograd::Error> for Error {
    fn from(e: autograd::Error) -> Self {
        Error::Tensor(e)
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
