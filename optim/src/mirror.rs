//! Mirror descent with a separable potential, exponentiated gradient and its signed variant.

use crate::state::{gradients, Core};
use crate::{t, Optimizer};
use autograd::{Float, Tensor};

/// A separable mirror potential `psi(w) = sum_i phi(w_i)`, given by its coordinate function
/// `phi`, its derivatives `phi'`, `phi''` and the inverse `(phi')^{-1}` (the gradient of the
/// convex conjugate).
///
/// Mirror descent ([`MirrorDescent`], [`MirrorMomentum`](crate::MirrorMomentum)) needs `phi'`
/// and its inverse, natural gradient ([`NaturalGradient`](crate::NaturalGradient)) the metric
/// `phi''`, and reference solvers of `argmin psi(w) s.t. X w = y` all of them.
pub trait Potential {
    /// A short name for messages.
    fn name(&self) -> &'static str;

    /// `phi(w)`.
    fn value(&self, w: f64) -> f64;

    /// `phi''(w)`, the metric of natural gradient (`+inf` or `0` where `phi'` is not
    /// differentiable, e.g. at `w = 0` for the p-norm with `p < 2`, resp. `p > 2`).
    fn hess(&self, w: f64) -> f64;

    /// `(grad psi(w))_i = phi'(w_i)`.
    fn grad(&self, w: f64) -> f64;

    /// The inverse map: the `w` with `phi'(w) = z`.
    fn grad_inv(&self, z: f64) -> f64;

    /// Whether `w` is in the domain where `phi'` is defined (e.g. `w > 0` for the entropy).
    fn in_domain(&self, w: f64) -> bool {
        w.is_finite()
    }

    /// One coordinate of a mirror step: `grad_inv(grad(w) - lr_g)` with `lr_g = lr g_i`.
    /// Potentials may override it with an equal, more accurate closed form.
    fn mirror_step(&self, w: f64, lr_g: f64) -> f64 {
        self.grad_inv(self.grad(w) - lr_g)
    }
}

/// `psi(w) = (1/2) ||w||_2^2`: `grad psi(w) = w`; mirror descent is gradient descent.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SquaredEuclidean;

impl Potential for SquaredEuclidean {
    fn name(&self) -> &'static str {
        "squared-euclidean"
    }
    fn value(&self, w: f64) -> f64 {
        0.5 * w * w
    }
    fn hess(&self, _w: f64) -> f64 {
        1.0
    }
    fn grad(&self, w: f64) -> f64 {
        w
    }
    fn grad_inv(&self, z: f64) -> f64 {
        z
    }
    fn mirror_step(&self, w: f64, lr_g: f64) -> f64 {
        w - lr_g
    }
}

/// The (unnormalized) negative entropy `psi(w) = sum_i w_i log w_i` on the positive orthant:
/// `grad psi(w) = 1 + log w`, inverse `exp(z - 1)`. Mirror descent with it is exponentiated
/// gradient / multiplicative weights `w <- w exp(-lr g)` (without renormalization).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct NegativeEntropy;

impl Potential for NegativeEntropy {
    fn name(&self) -> &'static str {
        "negative-entropy"
    }
    fn value(&self, w: f64) -> f64 {
        w * w.ln()
    }
    fn hess(&self, w: f64) -> f64 {
        1.0 / w
    }
    fn grad(&self, w: f64) -> f64 {
        1.0 + w.ln()
    }
    fn grad_inv(&self, z: f64) -> f64 {
        (z - 1.0).exp()
    }
    fn in_domain(&self, w: f64) -> bool {
        w > 0.0 && w.is_finite()
    }
    fn mirror_step(&self, w: f64, lr_g: f64) -> f64 {
        w * (-lr_g).exp()
    }
}

/// The separable p-norm potential `psi(w) = (1/p) ||w||_p^p` for `p > 1`:
/// `grad psi(w) = sign(w) |w|^(p-1)`, inverse `sign(z) |z|^(1/(p-1))`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PNorm {
    /// The exponent `p > 1`.
    pub p: f64,
}

impl PNorm {
    /// The potential with exponent `p`.
    ///
    /// # Panics
    /// If `p <= 1` (not strictly convex) or `p` is not finite.
    pub fn new(p: f64) -> Self {
        assert!(
            p > 1.0 && p.is_finite(),
            "PNorm: p must be finite and > 1, got {p}"
        );
        PNorm { p }
    }
}

impl Potential for PNorm {
    fn name(&self) -> &'static str {
        "p-norm"
    }
    fn value(&self, w: f64) -> f64 {
        w.abs().powf(self.p) / self.p
    }
    fn hess(&self, w: f64) -> f64 {
        (self.p - 1.0) * w.abs().powf(self.p - 2.0)
    }
    fn grad(&self, w: f64) -> f64 {
        w.signum() * w.abs().powf(self.p - 1.0) * (w != 0.0) as u8 as f64
    }
    fn grad_inv(&self, z: f64) -> f64 {
        z.signum() * z.abs().powf(1.0 / (self.p - 1.0)) * (z != 0.0) as u8 as f64
    }
}

/// The hyperbolic entropy with scale `beta > 0`:
/// `grad psi(w) = asinh(w / (2 beta))`, inverse `2 beta sinh(z)`. Mirror descent with it is
/// EG+/- (see [`SignedEg`]) with `w = u - v`, `u v = beta^2` coordinatewise (`u = v = beta` at
/// `w = 0`): small `beta` biases towards sparse (l1-like) solutions, large `beta` towards l2.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HyperbolicEntropy {
    /// The scale `beta > 0`.
    pub beta: f64,
}

impl Potential for HyperbolicEntropy {
    fn name(&self) -> &'static str {
        "hyperbolic-entropy"
    }
    fn value(&self, w: f64) -> f64 {
        let b2 = 2.0 * self.beta;
        w * (w / b2).asinh() - (w * w + b2 * b2).sqrt() + b2
    }
    fn hess(&self, w: f64) -> f64 {
        1.0 / (w * w + 4.0 * self.beta * self.beta).sqrt()
    }
    fn grad(&self, w: f64) -> f64 {
        (w / (2.0 * self.beta)).asinh()
    }
    fn grad_inv(&self, z: f64) -> f64 {
        2.0 * self.beta * z.sinh()
    }
}

/// The quartic potential `phi(w) = w^4 / 4 + w^2 / 2`: `phi'(w) = w^3 + w`, `phi''(w) = 3 w^2 + 1`;
/// the inverse solves the cubic `w^3 + w = z` (Cardano's formula, polished by Newton's method).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Quartic;

impl Potential for Quartic {
    fn name(&self) -> &'static str {
        "quartic"
    }
    fn value(&self, w: f64) -> f64 {
        w.powi(4) / 4.0 + w * w / 2.0
    }
    fn hess(&self, w: f64) -> f64 {
        3.0 * w * w + 1.0
    }
    fn grad(&self, w: f64) -> f64 {
        w.powi(3) + w
    }
    fn grad_inv(&self, z: f64) -> f64 {
        let r = (z * z / 4.0 + 1.0 / 27.0).sqrt();
        let mut w = (z / 2.0 + r).cbrt() + (z / 2.0 - r).cbrt();
        for _ in 0..3 {
            w -= (w.powi(3) + w - z) / (3.0 * w * w + 1.0);
        }
        w
    }
}

/// Mirror descent with a separable [`Potential`] `psi`, coordinatewise on every parameter:
///
/// ```text
/// grad psi(w_{t+1}) = grad psi(w_t) - lr g_t
/// ```
///
/// With [`SquaredEuclidean`] it is GD, with [`NegativeEntropy`] exponentiated gradient
/// ([`ExponentiatedGradient`]), with [`PNorm`] p-norm descent, with [`HyperbolicEntropy`] EG+/-.
/// The update is computed in `f64` from the current `w` (no dual variable is kept), so it stays
/// correct if the caller changes the parameters between steps.
///
/// State: the step counts.
pub struct MirrorDescent<T: Float, P: Potential> {
    core: Core<T>,
    potential: P,
}

/// Exponentiated gradient / multiplicative weights: `w <- w exp(-lr g)` on positive parameters.
pub type ExponentiatedGradient<T> = MirrorDescent<T, NegativeEntropy>;

impl<T: Float, P: Potential> MirrorDescent<T, P> {
    /// Mirror descent on `params` with potential `potential` and learning rate `lr`.
    ///
    /// # Panics
    /// If a parameter has an entry outside the potential's domain (e.g. `w <= 0` for the
    /// entropy).
    pub fn new(params: Vec<Tensor<T>>, potential: P, lr: f64) -> Self {
        for (i, p) in params.iter().enumerate() {
            p.with_slice(|w| {
                if let Some(x) = w.iter().find(|x| !potential.in_domain(x.f64())) {
                    panic!(
                        "MirrorDescent: parameter {i} has entry {x} outside the domain of the {} potential",
                        potential.name()
                    );
                }
            });
        }
        MirrorDescent {
            core: Core::new(params, lr, &[]),
            potential,
        }
    }

    /// The potential.
    pub fn potential(&self) -> &P {
        &self.potential
    }

    fn mirror_step(&mut self) {
        let lr = self.core.lr;
        let grads = gradients(&self.core.params);
        let pot = &self.potential;
        self.core.for_each_param(grads, |p| {
            for (w, g) in p.w.iter_mut().zip(p.g) {
                *w = t(pot.mirror_step(w.f64(), lr * g.f64()));
            }
        });
    }
}

impl<T: Float> MirrorDescent<T, NegativeEntropy> {
    /// Exponentiated gradient on positive `params`: `w <- w exp(-lr g)`.
    pub fn exponentiated_gradient(params: Vec<Tensor<T>>, lr: f64) -> Self {
        Self::new(params, NegativeEntropy, lr)
    }
}

impl<T: Float, P: Potential> Optimizer<T> for MirrorDescent<T, P> {
    optimizer_via_core!(|_s| "MirrorDescent", mirror_step);
}

/// EG+/-: exponentiated gradient for unconstrained parameters, written `w = u - v` with
/// `u, v > 0` each updated by EG (the gradient of the loss in `u` is `g`, in `v` it is `-g`):
///
/// ```text
/// u <- u exp(-lr g),   v <- v exp(lr g),   w = u - v
/// ```
///
/// starting from `u_0 = beta + max(w_0, 0)`, `v_0 = beta + max(-w_0, 0)`. Since `u v` stays
/// constant, this is mirror descent with the [`HyperbolicEntropy`] of scale `sqrt(u_0 v_0)`
/// (`beta` when `w_0 = 0`).
///
/// State: `"u.{i}"`, `"v.{i}"` and the step counts. If the caller changes `w`, the next step
/// overwrites it with `u - v`.
pub struct SignedEg<T: Float> {
    core: Core<T>,
}

impl<T: Float> SignedEg<T> {
    /// EG+/- on `params` with scale `beta > 0` and learning rate `lr`.
    ///
    /// # Panics
    /// If `beta <= 0`.
    pub fn new(params: Vec<Tensor<T>>, beta: f64, lr: f64) -> Self {
        assert!(beta > 0.0, "SignedEg: beta must be > 0, got {beta}");
        let mut core = Core::new(params, lr, &[("u", beta), ("v", beta)]);
        for i in 0..core.params.len() {
            let w = core.params[i].to_vec();
            let pos = |x: T| T::of(beta) + x.max(T::zero());
            core.slots.set(i, 0, w.iter().map(|&x| pos(x)).collect());
            core.slots.set(i, 1, w.iter().map(|&x| pos(-x)).collect());
        }
        SignedEg { core }
    }

    fn eg_step(&mut self) {
        let lr: T = t(self.core.lr);
        self.core.for_each_grad(|p| {
            let [u, v] = p.bufs else {
                unreachable!("SignedEg has two buffers")
            };
            for (j, w) in p.w.iter_mut().enumerate() {
                let lr_g = lr * p.g[j];
                u[j] = u[j] * (-lr_g).exp();
                v[j] = v[j] * lr_g.exp();
                *w = u[j] - v[j];
            }
        });
    }
}

impl<T: Float> Optimizer<T> for SignedEg<T> {
    optimizer_via_core!(|_s| "SignedEG", eg_step);
}
