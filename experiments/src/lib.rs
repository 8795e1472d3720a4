//! The experiment suite: training runs that test the predictions of
//! implicit-bias theory, and ([`reference`](mod@reference)) the independent
//! solvers that compute those predictions.

pub mod reference;
