//! Second-order tools on the tape: Hessian-vector products and the top eigenvalues of a Hessian
//! (the *sharpness* of a loss), for any scalar function of a set of parameter tensors.
//!
//! For a scalar `f(theta)` of parameters `theta = (theta_1, ..., theta_P)` (tensors, seen as one
//! vector of `n` entries), the Hessian `H = d^2 f / d theta^2` is never formed. Its product with
//! a direction `v` is the gradient of a directional derivative (Pearlmutter's identity):
//!
//! ```text
//! g(theta) = grad f(theta)                      (one backward pass, recorded: create_graph)
//! H v      = grad_theta <g(theta), v>           (a backward pass through the recorded one)
//! ```
//!
//! so one product costs a forward pass and two backward passes, the second about twice the
//! first (it runs through the backward graph and the forward graph under it). [`Hessian`] keeps
//! the recorded `g` and serves any number of products at one point for the second pass alone;
//! [`hvp`] is the one-shot form.
//!
//! [`top_hessian_eigenvalues`] finds the `k` largest (algebraic) eigenvalues of `H` by the
//! Lanczos iteration with full reorthogonalization: from a unit `q_1`,
//!
//! ```text
//! w_j = H q_j - beta_{j-1} q_{j-1},   alpha_j = <w_j, q_j>,   w_j <- w_j - alpha_j q_j,
//! w_j <- w_j - Q_j (Q_j^T w_j)  (twice),   beta_j = ||w_j||,   q_{j+1} = w_j / beta_j,
//! ```
//!
//! which builds an orthonormal basis `Q_m` of the Krylov space `span{q_1, H q_1, ...,
//! H^{m-1} q_1}` in which `Q_m^T H Q_m = T_m` is tridiagonal (`alpha` on the diagonal, `beta`
//! beside it). The eigenpairs `(theta_i, s_i)` of `T_m` give the Ritz pairs `(theta_i, y_i = Q_m
//! s_i)`, with `||H y_i - theta_i y_i|| = beta_m |s_i[m]|`; the iteration stops when that
//! estimate is at most `tol * |theta_1|` for the `k` largest Ritz values, or after `iters`
//! products. The residuals returned are then *measured*, `r_i = ||H y_i - theta_i y_i||` with
//! one more product each, and bound the error: some eigenvalue of `H` lies within `r_i` of
//! `theta_i` (and within `r_i^2 / gap_i` when `theta_i` is separated from the rest of the
//! spectrum by `gap_i`). Lanczos finds the largest eigenvalues, not the largest in magnitude as
//! power iteration does: for the sharpness `lambda_max(H)` of a training loss that is the
//! quantity wanted even when `H` has negative eigenvalues.
//!
//! ```
//! use autograd::{hvp, top_hessian_eigenvalues, Tensor};
//! // f(x, y) = x^2 y + 2 y^2 at (1, 3): H = [[2y, 2x], [2x, 4]] = [[6, 2], [2, 4]].
//! let x = Tensor::<f64>::from_vec(vec![1.0], [1]).unwrap().requires_grad();
//! let y = Tensor::<f64>::from_vec(vec![3.0], [1]).unwrap().requires_grad();
//! let f = || x.square().mul(&y).add(&y.square().mul_scalar(2.0)).sum_all();
//! let e = Tensor::from_vec(vec![1.0], [1]).unwrap();
//! let z = Tensor::zeros([1]);
//! let h_e1 = hvp(f, &[&x, &y], &[&e, &z]); // first column of H
//! assert_eq!((h_e1[0].item(), h_e1[1].item()), (6.0, 2.0));
//! // Eigenvalues 5 +- sqrt(5).
//! let top = top_hessian_eigenvalues(f, &[&x, &y], 2, 10, 1e-10);
//! assert!((top.values[0] - (5.0 + 5f64.sqrt())).abs() < 1e-9);
//! assert!((top.values[1] - (5.0 - 5f64.sqrt())).abs() < 1e-9);
//! ```

use crate::backprop::grad;
use crate::element::Float;
use crate::error::{ok, Error, Result};
use crate::tensor::{set_grad_enabled, Tensor};
use rand::rngs::StdRng;
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};

/// The Hessian of a scalar at one point of its parameters, as an operator `v -> H v`.
///
/// Built from the value `f(theta)` (computed with gradients enabled from the parameter tensors):
/// it records the gradient `g = grad f` once (`create_graph`), then each
/// [`apply`](Hessian::apply) is one backward pass of `<g, v>`. The tape of `f` and of `g` is kept
/// alive as long as the `Hessian` is; the parameters must not be changed in place meanwhile
/// (the products would mix the two points).
pub struct Hessian<T: Float> {
    params: Vec<Tensor<T>>,
    /// `grad f`, recorded; `None` when `g` does not depend on the parameters (`f` affine: `H = 0`).
    grads: Option<Vec<Tensor<T>>>,
    dim: usize,
}

/// The `k` largest eigenvalues of a Hessian found by [`Hessian::top_eigenvalues`] or
/// [`top_hessian_eigenvalues`], with their measured accuracy.
#[derive(Clone, Debug)]
pub struct TopEigen {
    /// The Ritz values `theta_1 >= theta_2 >= ...`, at most `k` (fewer only if the number of
    /// parameters is smaller).
    pub values: Vec<f64>,
    /// `||H y_i - theta_i y_i||` for the unit Ritz vector `y_i`, measured with one extra
    /// Hessian-vector product each: some eigenvalue of `H` lies within it of `values[i]`.
    pub residuals: Vec<f64>,
    /// The Ritz vectors `y_i` (unit l2 norm), flattened in the order of the parameters, each
    /// tensor row-major.
    pub vectors: Vec<Vec<f64>>,
    /// Lanczos steps taken (Hessian-vector products, not counting the residuals').
    pub iterations: usize,
    /// Whether every measured residual is at most `tol * max(|theta_1|, tiny)`.
    pub converged: bool,
}

impl<T: Float> Hessian<T> {
    /// The Hessian of `value` (a scalar computed from `params`) with respect to `params`.
    ///
    /// # Panics
    /// As [`try_new`](Hessian::try_new) fails.
    #[track_caller]
    pub fn new(value: &Tensor<T>, params: &[&Tensor<T>]) -> Self {
        ok(Self::try_new(value, params))
    }

    /// Fallible form of [`new`](Hessian::new): an error if `params` is empty, a parameter
    /// requires no gradient, or `value` is not a scalar that requires gradients.
    pub fn try_new(value: &Tensor<T>, params: &[&Tensor<T>]) -> Result<Self> {
        if params.is_empty() {
            return Err(Error::new("hessian", "no parameters given"));
        }
        if let Some(i) = params.iter().position(|p| !p.requires_grad_flag()) {
            return Err(Error::new(
                "hessian",
                format!(
                    "parameter {i} (shape {:?}) requires no gradient",
                    params[i].shape()
                ),
            ));
        }
        let grads = set_grad_enabled(true, || grad(value, params, true))?;
        let depends = grads.iter().any(Tensor::requires_grad_flag);
        Ok(Hessian {
            params: params.iter().map(|&p| p.clone()).collect(),
            grads: depends.then_some(grads),
            dim: params.iter().map(|p| p.numel()).sum(),
        })
    }

    /// The number of scalar parameters `n` (`H` is `n x n`).
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The gradient `grad f` at the point (its values, detached), one tensor per parameter.
    pub fn gradient(&self) -> Vec<Tensor<T>> {
        match &self.grads {
            Some(g) => g.iter().map(Tensor::detach).collect(),
            None => self
                .params
                .iter()
                .map(|p| Tensor::zeros(p.dims()))
                .collect(),
        }
    }

    /// `H v` for a direction `v` given as one tensor per parameter, of the parameters' shapes.
    ///
    /// # Panics
    /// As [`try_apply`](Hessian::try_apply) fails.
    #[track_caller]
    pub fn apply(&self, v: &[&Tensor<T>]) -> Vec<Tensor<T>> {
        ok(self.try_apply(v))
    }

    /// Fallible form of [`apply`](Hessian::apply): an error names the parameter whose direction
    /// has the wrong shape, or a wrong number of directions.
    pub fn try_apply(&self, v: &[&Tensor<T>]) -> Result<Vec<Tensor<T>>> {
        if v.len() != self.params.len() {
            return Err(Error::new(
                "hvp",
                format!(
                    "{} directions for {} parameters",
                    v.len(),
                    self.params.len()
                ),
            ));
        }
        for (i, (p, d)) in self.params.iter().zip(v).enumerate() {
            if p.shape() != d.shape() {
                return Err(Error::new(
                    "hvp",
                    format!(
                        "direction {i} has shape {:?}, parameter {i} has shape {:?}",
                        d.shape(),
                        p.shape()
                    ),
                ));
            }
        }
        let Some(grads) = &self.grads else {
            return Ok(self
                .params
                .iter()
                .map(|p| Tensor::zeros(p.dims()))
                .collect());
        };
        let params: Vec<&Tensor<T>> = self.params.iter().collect();
        set_grad_enabled(true, || {
            let mut dot: Option<Tensor<T>> = None;
            for (g, d) in grads.iter().zip(v) {
                let term = g.try_dot(&d.detach())?;
                dot = Some(match dot {
                    Some(acc) => acc.add(&term),
                    None => term,
                });
            }
            // Requires gradients: some `g_i` depends on the parameters (else `grads` is None).
            grad(&dot.expect("at least one parameter"), &params, false)
        })
    }

    /// `H v` for a flat direction (the parameters concatenated in order, each row-major), in
    /// f64.
    ///
    /// # Panics
    /// As [`try_apply_flat`](Hessian::try_apply_flat) fails.
    #[track_caller]
    pub fn apply_flat(&self, v: &[f64]) -> Vec<f64> {
        ok(self.try_apply_flat(v))
    }

    /// Fallible form of [`apply_flat`](Hessian::apply_flat): an error if `v.len()` is not
    /// [`dim`](Hessian::dim).
    pub fn try_apply_flat(&self, v: &[f64]) -> Result<Vec<f64>> {
        if v.len() != self.dim {
            return Err(Error::new(
                "hvp",
                format!(
                    "flat direction of length {}, parameters of {} entries",
                    v.len(),
                    self.dim
                ),
            ));
        }
        let mut at = 0;
        let mut dirs = Vec::with_capacity(self.params.len());
        for p in &self.params {
            let part = v[at..at + p.numel()].iter().map(|&x| T::of(x)).collect();
            dirs.push(Tensor::from_vec(part, p.shape().clone())?);
            at += p.numel();
        }
        let hv = self.try_apply(&dirs.iter().collect::<Vec<_>>())?;
        let mut out = Vec::with_capacity(self.dim);
        for t in &hv {
            t.with_slice(|s| out.extend(s.iter().map(|x| x.f64())));
        }
        Ok(out)
    }

    /// The `k` largest eigenvalues of `H` by Lanczos with full reorthogonalization (module
    /// docs), from `start` (flat, any nonzero norm; e.g. the previous top eigenvector when
    /// tracking the sharpness along training) or a fixed pseudo-random vector. At most `iters`
    /// Lanczos steps (and at most `dim`), stopping early when the estimated residuals of the
    /// top `k` are below `tol * |theta_1|`.
    ///
    /// # Panics
    /// As [`try_top_eigenvalues`](Hessian::try_top_eigenvalues) fails.
    #[track_caller]
    pub fn top_eigenvalues(
        &self,
        k: usize,
        iters: usize,
        tol: f64,
        start: Option<&[f64]>,
    ) -> TopEigen {
        ok(self.try_top_eigenvalues(k, iters, tol, start))
    }

    /// Fallible form of [`top_eigenvalues`](Hessian::top_eigenvalues): an error if `k` is 0,
    /// `iters < k`, `tol` is not positive, or `start` has the wrong length or a zero or
    /// non-finite norm.
    pub fn try_top_eigenvalues(
        &self,
        k: usize,
        iters: usize,
        tol: f64,
        start: Option<&[f64]>,
    ) -> Result<TopEigen> {
        if k == 0 || iters < k || tol.is_nan() || tol <= 0.0 {
            return Err(Error::new(
                "top_hessian_eigenvalues",
                format!("needs k >= 1, iters >= k and tol > 0; got k = {k}, iters = {iters}, tol = {tol}"),
            ));
        }
        let n = self.dim;
        let mut rng = StdRng::seed_from_u64(0x5eed);
        let mut random =
            |n: usize| -> Vec<f64> { (0..n).map(|_| StandardNormal.sample(&mut rng)).collect() };
        let first = match start {
            Some(s) if s.len() != n => {
                return Err(Error::new(
                    "top_hessian_eigenvalues",
                    format!(
                        "start vector of length {}, parameters of {n} entries",
                        s.len()
                    ),
                ))
            }
            Some(s) => s.to_vec(),
            None => random(n),
        };
        let norm = norm2(&first);
        if !(norm.is_finite() && norm > 0.0) {
            return Err(Error::new(
                "top_hessian_eigenvalues",
                format!("start vector has norm {norm}"),
            ));
        }
        let m_max = iters.min(n);
        let mut basis: Vec<Vec<f64>> = vec![scaled(&first, 1.0 / norm)];
        let (mut alpha, mut beta) = (Vec::<f64>::new(), Vec::<f64>::new());
        let (values, vectors) = loop {
            let j = basis.len() - 1;
            let mut w = self.try_apply_flat(&basis[j])?;
            if let Some(bad) = w.iter().find(|x| !x.is_finite()) {
                return Err(Error::new(
                    "top_hessian_eigenvalues",
                    format!("a Hessian-vector product has a non-finite entry ({bad})"),
                ));
            }
            let a = dot(&w, &basis[j]);
            alpha.push(a);
            // Full reorthogonalization against the whole basis, twice ("twice is enough"); it
            // also removes the alpha_j q_j and beta_{j-1} q_{j-1} terms of the recurrence.
            for _ in 0..2 {
                for q in &basis {
                    let c = dot(&w, q);
                    axpy(&mut w, -c, q);
                }
            }
            let b = norm2(&w);
            let m = alpha.len();
            let ritz = tridiagonal_eigen(&alpha, &beta);
            let (values, vectors) = &ritz;
            let scale = values.iter().fold(0.0f64, |s, v| s.max(v.abs()));
            let top = k.min(m);
            let estimates_ok = (0..top).all(|i| b * vectors[i][m - 1].abs() <= tol * scale);
            if (m >= k && estimates_ok) || m >= m_max {
                break ritz;
            }
            beta.push(b);
            if b > 1e-12 * scale.max(f64::MIN_POSITIVE) {
                basis.push(scaled(&w, 1.0 / b));
            } else {
                // An invariant subspace: continue in its complement from a fresh random vector.
                *beta.last_mut().expect("just pushed") = 0.0;
                let mut r = random(n);
                for _ in 0..2 {
                    for q in &basis {
                        let c = dot(&r, q);
                        axpy(&mut r, -c, q);
                    }
                }
                let rn = norm2(&r);
                basis.push(scaled(&r, 1.0 / rn));
            }
        };
        let iterations = alpha.len();
        let top = k.min(values.len());
        let mut out = TopEigen {
            values: values[..top].to_vec(),
            residuals: Vec::with_capacity(top),
            vectors: Vec::with_capacity(top),
            iterations,
            converged: true,
        };
        let scale = values.iter().fold(0.0f64, |s, v| s.max(v.abs()));
        for (theta, s) in values.iter().zip(&vectors).take(top) {
            let mut y = vec![0.0; n];
            for (q, &c) in basis.iter().zip(s) {
                axpy(&mut y, c, q);
            }
            let ny = norm2(&y);
            y.iter_mut().for_each(|x| *x /= ny);
            let mut r = self.try_apply_flat(&y)?;
            axpy(&mut r, -theta, &y);
            let res = norm2(&r);
            out.converged &= res <= tol * scale.max(f64::MIN_POSITIVE);
            out.residuals.push(res);
            out.vectors.push(y);
        }
        Ok(out)
    }
}

/// `H v`: the Hessian of the scalar `f()` with respect to `params`, applied to the direction
/// `v` (one tensor per parameter, of its shape). `f` computes the value from the parameter
/// tensors (which require gradients); it is called once, with gradients enabled.
///
/// # Panics
/// As [`try_hvp`] fails.
#[track_caller]
pub fn hvp<T: Float>(
    f: impl FnOnce() -> Tensor<T>,
    params: &[&Tensor<T>],
    v: &[&Tensor<T>],
) -> Vec<Tensor<T>> {
    ok(try_hvp(f, params, v))
}

/// Fallible form of [`hvp`]: the errors of [`Hessian::try_new`] and [`Hessian::try_apply`].
pub fn try_hvp<T: Float>(
    f: impl FnOnce() -> Tensor<T>,
    params: &[&Tensor<T>],
    v: &[&Tensor<T>],
) -> Result<Vec<Tensor<T>>> {
    let value = set_grad_enabled(true, f);
    Hessian::try_new(&value, params)?.try_apply(v)
}

/// The `k` largest eigenvalues of the Hessian of `f()` with respect to `params`, by Lanczos with
/// full reorthogonalization from a fixed pseudo-random start: at most `iters` steps, stopping
/// when the residual estimates fall below `tol * |theta_1|`; see [`TopEigen`] for what is
/// returned and [`Hessian::top_eigenvalues`] to pass a start vector.
///
/// # Panics
/// As [`try_top_hessian_eigenvalues`] fails.
#[track_caller]
pub fn top_hessian_eigenvalues<T: Float>(
    f: impl FnOnce() -> Tensor<T>,
    params: &[&Tensor<T>],
    k: usize,
    iters: usize,
    tol: f64,
) -> TopEigen {
    ok(try_top_hessian_eigenvalues(f, params, k, iters, tol))
}

/// Fallible form of [`top_hessian_eigenvalues`]: the errors of [`Hessian::try_new`] and
/// [`Hessian::try_top_eigenvalues`].
pub fn try_top_hessian_eigenvalues<T: Float>(
    f: impl FnOnce() -> Tensor<T>,
    params: &[&Tensor<T>],
    k: usize,
    iters: usize,
    tol: f64,
) -> Result<TopEigen> {
    let value = set_grad_enabled(true, f);
    Hessian::try_new(&value, params)?.try_top_eigenvalues(k, iters, tol, None)
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn norm2(a: &[f64]) -> f64 {
    dot(a, a).sqrt()
}

/// `y <- y + c x`.
fn axpy(y: &mut [f64], c: f64, x: &[f64]) {
    y.iter_mut().zip(x).for_each(|(y, x)| *y += c * x);
}

fn scaled(x: &[f64], c: f64) -> Vec<f64> {
    x.iter().map(|v| v * c).collect()
}

/// Eigenpairs of the symmetric tridiagonal matrix with diagonal `alpha` (length `m`) and
/// off-diagonal `beta` (length `m - 1`), by `faer`'s self-adjoint eigendecomposition of its
/// dense form (`m` is a Lanczos step count, small): eigenvalues in decreasing order, each with
/// its unit eigenvector.
fn tridiagonal_eigen(alpha: &[f64], beta: &[f64]) -> (Vec<f64>, Vec<Vec<f64>>) {
    let m = alpha.len();
    let t = faer::Mat::from_fn(m, m, |i, j| match i.abs_diff(j) {
        0 => alpha[i],
        1 => beta[i.min(j)],
        _ => 0.0,
    });
    let eig = t
        .self_adjoint_eigen(faer::Side::Lower)
        .expect("the eigendecomposition of a finite symmetric tridiagonal matrix converges");
    let (u, values) = (eig.U(), eig.S().column_vector());
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&i, &j| values[j].total_cmp(&values[i]));
    let vectors = order
        .iter()
        .map(|&c| (0..m).map(|r| u[(r, c)]).collect())
        .collect();
    (order.iter().map(|&i| values[i]).collect(), vectors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tridiagonal_eigen_matches_a_known_spectrum() {
        // The path graph's Laplacian-like matrix tridiag(-1, 2, -1) of size m has eigenvalues
        // 2 - 2 cos(pi j / (m + 1)), j = 1..m.
        let m = 7;
        let (values, vectors) = tridiagonal_eigen(&vec![2.0; m], &vec![-1.0; m - 1]);
        for (i, lam) in values.iter().enumerate() {
            let j = (m - i) as f64;
            let expected = 2.0 - 2.0 * (std::f64::consts::PI * j / (m as f64 + 1.0)).cos();
            assert!((lam - expected).abs() < 1e-12, "{values:?}");
            assert!((norm2(&vectors[i]) - 1.0).abs() < 1e-12);
        }
        assert!(dot(&vectors[0], &vectors[1]).abs() < 1e-12);
    }

    #[test]
    fn equal_diagonal_two_by_two() {
        // [[1, 1], [1, 1]]: eigenvalues 2 and 0.
        let (values, _) = tridiagonal_eigen(&[1.0, 1.0], &[1.0]);
        assert!((values[0] - 2.0).abs() < 1e-14 && values[1].abs() < 1e-14);
    }
}
