//! The runner's error type and its exit codes.

use std::fmt;
use std::path::{Path, PathBuf};

/// Why an experiment or the runner failed.
#[derive(Debug)]
pub enum Error {
    /// A `--data` file is missing or malformed (exit code 2).
    Data {
        /// The file.
        file: PathBuf,
        /// The 1-based line range `(first, last)` the problem is on, if any.
        lines: Option<(usize, usize)>,
        /// What is wrong.
        message: String,
    },
    /// A bad command line, e.g. an unknown experiment (exit code 2).
    Usage(String),
    /// A loss (or another tracked quantity) became NaN or infinite.
    NonFinite {
        /// The experiment.
        experiment: String,
        /// The run inside the experiment.
        run: String,
        /// The step at which it happened.
        step: u64,
        /// The quantity, e.g. `"loss"`.
        quantity: String,
    },
    /// The internal stop hook ([`crate::Config::stop_after`]) interrupted a run
    /// after checkpointing it; rerunning resumes it.
    Interrupted {
        /// The experiment.
        experiment: String,
        /// The step at which the run stopped.
        step: u64,
    },
    /// A file could not be read or written.
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A reference solver failed.
    Reference {
        /// What was being solved.
        context: String,
        /// The solver's error.
        source: crate::reference::Error,
    },
    /// Anything else (plotting, serialisation, ...).
    Other(String),
}

impl Error {
    /// The process exit code for this error: 2 for bad input, 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Data { .. } | Error::Usage(_) => 2,
            _ => 1,
        }
    }

    /// A data error on the given 1-based line range of `file`.
    pub fn data(file: &Path, lines: Option<(usize, usize)>, message: impl Into<String>) -> Self {
        Error::Data {
            file: file.to_path_buf(),
            lines,
            message: message.into(),
        }
    }

    /// Wraps an I/O error with its path.
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        Error::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    /// Wraps a reference-solver error with what was being solved.
    pub fn reference(context: impl Into<String>, source: crate::reference::Error) -> Self {
        Error::Reference {
            context: context.into(),
            source,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Data {
                file,
                lines,
                message,
            } => {
                write!(f, "{}", file.display())?;
                match lines {
                    Some((a, b)) if a == b => write!(f, ": line {a}")?,
                    Some((a, b)) => write!(f, ": lines {a}-{b}")?,
                    None => {}
                }
                write!(f, ": {message}")
            }
            Error::Usage(m) => write!(f, "{m}"),
            Error::NonFinite {
                experiment,
                run,
                step,
                quantity,
            } => write!(
                f,
                "experiment {experiment}, run {run}: the {quantity} is not finite at step {step}"
            ),
            Error::Interrupted { experiment, step } => write!(
                f,
                "experiment {experiment} interrupted at step {step} (checkpoint saved; rerun to resume)"
            ),
            Error::Io { path, source } => write!(f, "{}: {source}", path.display()),
            Error::Reference { context, source } => write!(f, "{context}: {source}"),
            Error::Other(m) => write!(f, "{m}"),
        }
    }
}

impl std::error::Error for Error {}

/// The runner's result type.
pub type Result<T> = std::result::Result<T, Error>;
