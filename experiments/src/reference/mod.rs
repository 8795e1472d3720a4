//! Independent reference solutions: the limits that implicit-bias theory
//! predicts, computed with a closed form (`faer` factorizations) or a real
//! convex solver (`clarabel`'s interior point method), never with the
//! gradient methods under test.
//!
//! Data are a [`Matrix`] `X` with one sample `x_i` per row (`n x d`, row-major)
//! and a target / label vector `y` of length `n`; [`Matrix::to_tensor`] and
//! [`Matrix::from_tensor`] convert to and from the training side. The dense algebra the
//! experiments share (products, [`solve`], [`singular_values`], [`top_singular`],
//! [`symmetric_eigenvalues`]) is in the same module as `Matrix`, on `faer`.
//!
//! | function | problem |
//! | --- | --- |
//! | [`min_l2_interpolant`] | `min ||w||_2  s.t.  X w = y` (closed form) |
//! | [`closest_interpolant`] | `min ||w - w0||_2  s.t.  X w = y` (closed form) |
//! | [`distance_to_interpolants`] | `min ||u - w||_2  s.t.  X u = y`, the value (closed form) |
//! | [`min_l1_interpolant`] | `min ||w||_1  s.t.  X w = y` (LP) |
//! | [`min_linf_interpolant`] | `min ||w||_inf  s.t.  X w = y` (LP) |
//! | [`svm_l2`] | `min 1/2 ||w||_2^2  s.t.  y_i <x_i, w> >= 1` (QP) |
//! | [`svm_l2_dual_cd`] | the same, by dual coordinate ascent (cross-check) |
//! | [`max_margin_l1`] | `min ||w||_1  s.t.  y_i <x_i, w> >= 1` (LP) |
//! | [`max_margin_linf`] | `min ||w||_inf  s.t.  y_i <x_i, w> >= 1` (LP) |
//! | [`multiclass_svm`] | Crammer–Singer `min 1/2 ||W||_F^2  s.t.  <w_{y_i} - w_j, x_i> >= 1` (QP) |
//! | [`min_dft_l1_margin`] | `min sum_k |(F beta)_k|  s.t.  y_i <x_i, beta> >= 1` (SOCP) |
//! | [`dft_bridge_stationarity`] | KKT residual of `beta` for `min sum_k |(F beta)_k|^p  s.t.  y_i <x_i, beta> >= 1` (NNLS multipliers) |
//! | [`min_nuclear`] | `min ||X||_*  s.t.  A(X) = y` (ADMM + SVD thresholding; a certified duality gap; an interior-point SDP fallback) |
//! | [`min_trace_psd`] | `min tr X  s.t.  A(X) = y, X PSD` (ADMM + eigenvalue thresholding; a certified duality gap; an interior-point SDP fallback) |
//! | [`min_bregman_interpolant`] | `min psi(w)  s.t.  X w = y` for a separable potential `psi` (dual Newton) |
//! | [`min_q_alpha_interpolant`] | `min Q_alpha(beta)  s.t.  X beta = y` (the same, hyperbolic entropy) |
//! | [`nnls`] | `min ||A x - b||_2  s.t.  x >= 0` (QP) |
//! | [`least_squares`] | `min ||X w - y||_2` (QR; the min-norm one when `X` is rank deficient) |
//! | [`ridge`] | `min ||X w - y||_2^2 + lambda ||w||_2^2` (Cholesky) |

mod bregman;
mod conic;
mod dense;
mod dft;
mod hyperbolic;
mod interpolants;
mod margins;
mod multiclass;
mod nnls;
mod nuclear;
mod sdp;

use std::fmt;

pub use bregman::{min_bregman_interpolant, BregmanSolution};
pub use dense::{
    dot, min_entry, rank_factors, singular_values, solve, symmetric_eigenvalues, top_singular,
    Matrix,
};
pub use dft::{dft_bridge_stationarity, dft_l1_norm, min_dft_l1_margin, Stationarity};
pub use hyperbolic::{min_q_alpha_interpolant, q_alpha};
pub use interpolants::{
    closest_interpolant, distance_to_interpolants, interpolation_residual, least_squares,
    min_l1_interpolant, min_l2_interpolant, min_linf_interpolant, ridge,
};
pub use margins::{
    margin_error, max_margin_l1, max_margin_linf, svm_l2, svm_l2_dual_cd, SvmSolution, SUPPORT_TOL,
};
pub use multiclass::{multiclass_svm, MulticlassSolution};
pub use nnls::{nnls, NnlsSolution};
pub use nuclear::{min_nuclear, min_trace_psd, nuclear_norm, NuclearSolution, ADMM_TOL};

/// Why a reference solution could not be computed.
#[derive(Clone, Debug, PartialEq)]
pub enum Error {
    /// Two inputs have incompatible shapes; `left` and `right` describe each.
    DimensionMismatch {
        /// The first shape, e.g. `"x is 3 x 2 (3 samples)"`.
        left: String,
        /// The second shape, e.g. `"y has length 4"`.
        right: String,
    },
    /// A label is outside the allowed set.
    InvalidLabel {
        /// Index of the offending sample.
        index: usize,
        /// The label, formatted.
        label: String,
        /// What was allowed, e.g. `"-1 or +1"`.
        expected: String,
    },
    /// A parameter of the problem is out of its range.
    InvalidParameter {
        /// The parameter, e.g. `"lambda"`.
        name: &'static str,
        /// Its value, formatted.
        value: String,
        /// What was allowed, e.g. `"> 0 and finite"`.
        expected: &'static str,
    },
    /// The constraints cannot be satisfied (e.g. the data are not separable).
    Infeasible {
        /// The problem being solved.
        problem: &'static str,
        /// What infeasibility means for it.
        reason: &'static str,
    },
    /// The solver stopped without a solution or an infeasibility certificate.
    NotConverged {
        /// The problem being solved.
        problem: &'static str,
        /// The solver's final status.
        status: String,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::DimensionMismatch { left, right } => {
                write!(f, "dimension mismatch: {left}, but {right}")
            }
            Error::InvalidLabel {
                index,
                label,
                expected,
            } => write!(
                f,
                "invalid label {label} at index {index}: expected {expected}"
            ),
            Error::InvalidParameter {
                name,
                value,
                expected,
            } => write!(f, "invalid {name} = {value}: expected {expected}"),
            Error::Infeasible { problem, reason } => {
                write!(f, "{problem} is infeasible: {reason}")
            }
            Error::NotConverged { problem, status } => {
                write!(f, "{problem}: the solver did not converge ({status})")
            }
        }
    }
}

impl std::error::Error for Error {}

/// How a reference solution was obtained.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// A closed form evaluated with a dense factorization.
    ClosedForm,
    /// clarabel reported `Solved` (tolerances `1e-10`).
    Solved {
        /// Interior point iterations.
        iterations: u32,
    },
    /// clarabel reported `AlmostSolved` (reduced accuracy).
    AlmostSolved {
        /// Interior point iterations.
        iterations: u32,
    },
    /// Dual coordinate ascent reached its KKT tolerance.
    Converged {
        /// Full sweeps over the samples.
        sweeps: usize,
    },
}

/// A reference solution `w` with the value of its problem's objective at `w`.
#[derive(Clone, Debug, PartialEq)]
pub struct Solution {
    /// The minimiser.
    pub w: Vec<f64>,
    /// The objective at `w`, as defined by the function that returned it
    /// (e.g. `||w||_1` for [`min_l1_interpolant`]).
    pub objective: f64,
    /// How it was obtained.
    pub status: Status,
}

/// Checks that `y` has one entry per row of `x`.
fn check_samples(x: &Matrix, y: &[f64], y_name: &str) -> Result<(), Error> {
    if y.len() == x.rows {
        return Ok(());
    }
    Err(Error::DimensionMismatch {
        left: format!("x is {} ({} samples)", x.shape(), x.rows),
        right: format!("{y_name} has length {}", y.len()),
    })
}

/// Checks that every label is `-1` or `+1`.
fn check_signs(y: &[f64]) -> Result<(), Error> {
    match y.iter().position(|&v| v != 1.0 && v != -1.0) {
        None => Ok(()),
        Some(index) => Err(Error::InvalidLabel {
            index,
            label: y[index].to_string(),
            expected: "-1 or +1".into(),
        }),
    }
}

/// Checks the inputs of a binary margin problem: shapes and `y_i in {-1, +1}`.
fn check_binary(x: &Matrix, y: &[f64]) -> Result<(), Error> {
    check_samples(x, y, "y")?;
    check_signs(y)
}

#[cfg(test)]
mod test_util;
