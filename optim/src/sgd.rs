//! Stochastic gradient descent with momentum, dampening, Nesterov momentum and weight decay.

use crate::state::Core;
use crate::{t, Optimizer};
use autograd::{Float, Tensor};

/// Hyperparameters of [`Sgd`], with PyTorch's defaults.
#[derive(Clone, Debug, PartialEq)]
pub struct SgdConfig {
    /// Learning rate `lr` (default `1e-3`).
    pub lr: f64,
    /// Momentum factor `mu` (default 0: no momentum buffer).
    pub momentum: f64,
    /// Dampening `tau` of the momentum (default 0).
    pub dampening: f64,
    /// L2 penalty `lambda` added to the gradient (default 0).
    pub weight_decay: f64,
    /// Nesterov momentum (default false; needs `momentum > 0` and `dampening == 0`).
    pub nesterov: bool,
}

impl Default for SgdConfig {
    fn default() -> Self {
        SgdConfig {
            lr: 1e-3,
            momentum: 0.0,
            dampening: 0.0,
            weight_decay: 0.0,
            nesterov: false,
        }
    }
}

/// SGD, as in PyTorch's documentation of `torch.optim.SGD`. At step `t` (from 1), with gradient
/// `g_t`:
///
/// ```text
/// g_t <- g_t + lambda w_{t-1}                      if lambda != 0
/// b_t  = g_t  (t = 1),   mu b_{t-1} + (1 - tau) g_t  (t > 1)      if mu != 0
/// g_t <- g_t + mu b_t  (nesterov)   or   b_t  (otherwise)         if mu != 0
/// w_t  = w_{t-1} - lr g_t
/// ```
///
/// State: `"momentum_buffer.{i}"` (`b`) when `mu != 0`.
pub struct Sgd<T: Float> {
    core: Core<T>,
    cfg: SgdConfig,
    /// Whether the momentum buffers exist (built with `momentum != 0`).
    buffered: bool,
}

impl<T: Float> Sgd<T> {
    /// SGD on `params`.
    ///
    /// # Panics
    /// If `nesterov` is set without `momentum > 0` and `dampening == 0` (as PyTorch), or a
    /// hyperparameter is negative.
    pub fn new(params: Vec<Tensor<T>>, cfg: SgdConfig) -> Self {
        assert!(
            cfg.lr >= 0.0 && cfg.momentum >= 0.0 && cfg.weight_decay >= 0.0,
            "Sgd: lr, momentum and weight_decay must be non-negative, got {cfg:?}"
        );
        assert!(
            !cfg.nesterov || (cfg.momentum > 0.0 && cfg.dampening == 0.0),
            "Sgd: Nesterov momentum requires a momentum and zero dampening, got {cfg:?}"
        );
        let buffers: &[(&str, f64)] = if cfg.momentum != 0.0 {
            &[("momentum_buffer", 0.0)]
        } else {
            &[]
        };
        Sgd {
            core: Core::new(params, cfg.lr, buffers),
            buffered: cfg.momentum != 0.0,
            cfg,
        }
    }

    /// Sets the momentum factor `mu` used by the next steps (a momentum schedule, e.g. the ramp
    /// of Neyshabur et al. 2015). The momentum buffers are kept.
    ///
    /// # Panics
    /// If the optimizer was built without momentum (it has no buffers) and `momentum != 0`, or
    /// `momentum < 0`.
    pub fn set_momentum(&mut self, momentum: f64) {
        assert!(
            momentum >= 0.0 && (self.buffered || momentum == 0.0),
            "Sgd::set_momentum({momentum}): needs momentum >= 0 and an optimizer built with momentum"
        );
        self.cfg.momentum = momentum;
    }

    /// The hyperparameters given to the constructor (the learning rate may have changed since:
    /// see [`Optimizer::lr`]).
    pub fn config(&self) -> &SgdConfig {
        &self.cfg
    }

    fn sgd_step(&mut self) {
        let lr: T = t(self.core.lr);
        let mu: T = t(self.cfg.momentum);
        let one_minus_tau: T = t(1.0 - self.cfg.dampening);
        let wd: T = t(self.cfg.weight_decay);
        let (use_wd, use_mu, nesterov) = (
            self.cfg.weight_decay != 0.0,
            self.buffered,
            self.cfg.nesterov,
        );
        self.core.for_each_grad(|p| {
            for (j, w) in p.w.iter_mut().enumerate() {
                let mut g = p.g[j];
                if use_wd {
                    g = g + wd * *w;
                }
                if use_mu {
                    let b = &mut p.bufs[0][j];
                    *b = if p.step == 1 {
                        g
                    } else {
                        mu * *b + one_minus_tau * g
                    };
                    g = if nesterov { g + mu * *b } else { *b };
                }
                *w = *w - lr * g;
            }
        });
    }
}

impl<T: Float> Optimizer<T> for Sgd<T> {
    optimizer_via_core!(|_s| "SGD", sgd_step);
}
