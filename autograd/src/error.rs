//! The error type of fallible tensor operations.

use std::fmt;

/// What went wrong in a tensor operation.
///
/// Every message names the operation and, for shape errors, the shapes involved, for example
/// `matmul: [3, 4] x [5, 2]: inner dimensions 4 and 5 differ`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    op: &'static str,
    message: String,
}

impl Error {
    /// An error of operation `op` with the given explanation.
    pub fn new(op: &'static str, message: impl Into<String>) -> Self {
        Error {
            op,
            message: message.into(),
        }
    }

    /// The operation that failed, e.g. `"matmul"`.
    pub fn op(&self) -> &'static str {
        self.op
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.op, self.message)
    }
}

impl std::error::Error for Error {}

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// Unwraps the result of a `try_` op, panicking with its message at the caller's line.
#[track_caller]
pub(crate) fn ok<T>(r: Result<T>) -> T {
    match r {
        Ok(t) => t,
        Err(e) => panic!("{e}"),
    }
}
