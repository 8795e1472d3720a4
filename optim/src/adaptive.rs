//! Adaptive methods: AdaGrad, RMSprop, Adam and AdamW (per-coordinate step sizes from running
//! statistics of the gradients).

use crate::state::Core;
use crate::{t, Optimizer};
use autograd::{Float, Tensor};

// ----- AdaGrad -----------------------------------------------------------------------------------

/// Hyperparameters of [`Adagrad`], with PyTorch's defaults.
#[derive(Clone, Debug, PartialEq)]
pub struct AdagradConfig {
    /// Learning rate `lr` (default `1e-2`).
    pub lr: f64,
    /// Learning-rate decay `eta` (default 0).
    pub lr_decay: f64,
    /// L2 penalty `lambda` added to the gradient (default 0).
    pub weight_decay: f64,
    /// Initial value of the accumulator (default 0).
    pub initial_accumulator_value: f64,
    /// `eps` added to the denominator (default `1e-10`).
    pub eps: f64,
}

impl Default for AdagradConfig {
    fn default() -> Self {
        AdagradConfig {
            lr: 1e-2,
            lr_decay: 0.0,
            weight_decay: 0.0,
            initial_accumulator_value: 0.0,
            eps: 1e-10,
        }
    }
}

/// AdaGrad, as in PyTorch's documentation of `torch.optim.Adagrad`. At step `t` (from 1):
///
/// ```text
/// lr_t = lr / (1 + (t - 1) eta)
/// g_t <- g_t + lambda w_{t-1}                        if lambda != 0
/// s_t  = s_{t-1} + g_t^2                             (s_0 = initial_accumulator_value)
/// w_t  = w_{t-1} - lr_t g_t / (sqrt(s_t) + eps)
/// ```
///
/// State: `"sum.{i}"` (`s`).
pub struct Adagrad<T: Float> {
    core: Core<T>,
    cfg: AdagradConfig,
}

impl<T: Float> Adagrad<T> {
    /// AdaGrad on `params`.
    ///
    /// # Panics
    /// If a hyperparameter is negative.
    pub fn new(params: Vec<Tensor<T>>, cfg: AdagradConfig) -> Self {
        assert!(
            cfg.lr >= 0.0
                && cfg.lr_decay >= 0.0
                && cfg.weight_decay >= 0.0
                && cfg.initial_accumulator_value >= 0.0
                && cfg.eps >= 0.0,
            "Adagrad: hyperparameters must be non-negative, got {cfg:?}"
        );
        Adagrad {
            core: Core::new(params, cfg.lr, &[("sum", cfg.initial_accumulator_value)]),
            cfg,
        }
    }

    fn adagrad_step(&mut self) {
        let (lr, decay) = (self.core.lr, self.cfg.lr_decay);
        let wd: T = t(self.cfg.weight_decay);
        let use_wd = self.cfg.weight_decay != 0.0;
        let eps: T = t(self.cfg.eps);
        self.core.for_each_grad(|p| {
            let clr: T = t(lr / (1.0 + (p.step - 1) as f64 * decay));
            let s = &mut p.bufs[0];
            for (j, w) in p.w.iter_mut().enumerate() {
                let g = if use_wd { p.g[j] + wd * *w } else { p.g[j] };
                s[j] = s[j] + g * g;
                *w = *w - clr * g / (s[j].sqrt() + eps);
            }
        });
    }
}

impl<T: Float> Optimizer<T> for Adagrad<T> {
    optimizer_via_core!(|_s| "Adagrad", adagrad_step);
}

// ----- RMSprop -----------------------------------------------------------------------------------

/// Hyperparameters of [`RmsProp`], with PyTorch's defaults.
#[derive(Clone, Debug, PartialEq)]
pub struct RmsPropConfig {
    /// Learning rate `lr` (default `1e-2`).
    pub lr: f64,
    /// Smoothing constant `alpha` (default 0.99).
    pub alpha: f64,
    /// `eps` added to the denominator (default `1e-8`).
    pub eps: f64,
    /// L2 penalty `lambda` added to the gradient (default 0).
    pub weight_decay: f64,
    /// Momentum factor `mu` (default 0).
    pub momentum: f64,
    /// Centered RMSprop: normalize by an estimate of the variance (default false).
    pub centered: bool,
}

impl Default for RmsPropConfig {
    fn default() -> Self {
        RmsPropConfig {
            lr: 1e-2,
            alpha: 0.99,
            eps: 1e-8,
            weight_decay: 0.0,
            momentum: 0.0,
            centered: false,
        }
    }
}

/// RMSprop, as in PyTorch's documentation of `torch.optim.RMSprop`. At step `t` (from 1):
///
/// ```text
/// g_t <- g_t + lambda w_{t-1}                           if lambda != 0
/// v_t  = alpha v_{t-1} + (1 - alpha) g_t^2              (v_0 = 0)
/// c_t  = v_t                        (not centered)
///      = v_t - a_t^2,  a_t = alpha a_{t-1} + (1 - alpha) g_t   (centered, a_0 = 0)
/// b_t  = mu b_{t-1} + g_t / (sqrt(c_t) + eps),  w_t = w_{t-1} - lr b_t     if mu > 0
/// w_t  = w_{t-1} - lr g_t / (sqrt(c_t) + eps)                               otherwise
/// ```
///
/// State: `"square_avg.{i}"` (`v`), `"momentum_buffer.{i}"` (`b`, when `mu > 0`),
/// `"grad_avg.{i}"` (`a`, when centered).
pub struct RmsProp<T: Float> {
    core: Core<T>,
    cfg: RmsPropConfig,
}

impl<T: Float> RmsProp<T> {
    /// RMSprop on `params`.
    ///
    /// # Panics
    /// If a hyperparameter is negative or `alpha > 1`.
    pub fn new(params: Vec<Tensor<T>>, cfg: RmsPropConfig) -> Self {
        assert!(
            cfg.lr >= 0.0
                && (0.0..=1.0).contains(&cfg.alpha)
                && cfg.eps >= 0.0
                && cfg.weight_decay >= 0.0
                && cfg.momentum >= 0.0,
            "RmsProp: invalid hyperparameters {cfg:?}"
        );
        let mut buffers = vec![("square_avg", 0.0)];
        if cfg.momentum > 0.0 {
            buffers.push(("momentum_buffer", 0.0));
        }
        if cfg.centered {
            buffers.push(("grad_avg", 0.0));
        }
        RmsProp {
            core: Core::new(params, cfg.lr, &buffers),
            cfg,
        }
    }

    fn rmsprop_step(&mut self) {
        let lr: T = t(self.core.lr);
        let alpha: T = t(self.cfg.alpha);
        let one_minus_alpha: T = t(1.0 - self.cfg.alpha);
        let eps: T = t(self.cfg.eps);
        let wd: T = t(self.cfg.weight_decay);
        let mu: T = t(self.cfg.momentum);
        let use_wd = self.cfg.weight_decay != 0.0;
        let momentum = self.cfg.momentum > 0.0;
        let centered = self.cfg.centered;
        self.core.for_each_grad(|p| {
            let (v, rest) = p.bufs.split_first_mut().expect("square_avg");
            let (mut b, mut a) = (None, None);
            let mut rest = rest.iter_mut();
            if momentum {
                b = rest.next();
            }
            if centered {
                a = rest.next();
            }
            for (j, w) in p.w.iter_mut().enumerate() {
                let g = if use_wd { p.g[j] + wd * *w } else { p.g[j] };
                v[j] = alpha * v[j] + one_minus_alpha * g * g;
                let c = match a.as_deref_mut() {
                    Some(a) => {
                        a[j] = alpha * a[j] + one_minus_alpha * g;
                        v[j] - a[j] * a[j]
                    }
                    None => v[j],
                };
                let d = g / (c.sqrt() + eps);
                match b.as_deref_mut() {
                    Some(b) => {
                        b[j] = mu * b[j] + d;
                        *w = *w - lr * b[j];
                    }
                    None => *w = *w - lr * d,
                }
            }
        });
    }
}

impl<T: Float> Optimizer<T> for RmsProp<T> {
    optimizer_via_core!(|_s| "RMSprop", rmsprop_step);
}

// ----- Adam / AdamW ------------------------------------------------------------------------------

/// Hyperparameters of [`Adam`], with PyTorch's defaults for Adam ([`AdamConfig::default`]) and
/// AdamW ([`AdamConfig::adamw`]).
#[derive(Clone, Debug, PartialEq)]
pub struct AdamConfig {
    /// Learning rate `lr` (default `1e-3`).
    pub lr: f64,
    /// `(beta1, beta2)`: decay rates of the first and second moment estimates (default
    /// `(0.9, 0.999)`).
    pub betas: (f64, f64),
    /// `eps` added to the denominator (default `1e-8`).
    pub eps: f64,
    /// Weight decay `lambda` (default 0 for Adam, `1e-2` for AdamW).
    pub weight_decay: f64,
    /// AMSGrad: divide by the running maximum of the second moment (default false).
    pub amsgrad: bool,
    /// Decoupled weight decay (AdamW): `w <- w (1 - lr lambda)` instead of adding `lambda w` to
    /// the gradient (default false; true in [`AdamConfig::adamw`]).
    pub decoupled_weight_decay: bool,
}

impl Default for AdamConfig {
    fn default() -> Self {
        AdamConfig {
            lr: 1e-3,
            betas: (0.9, 0.999),
            eps: 1e-8,
            weight_decay: 0.0,
            amsgrad: false,
            decoupled_weight_decay: false,
        }
    }
}

impl AdamConfig {
    /// PyTorch's defaults for `torch.optim.AdamW`: as Adam's, with decoupled weight decay `1e-2`.
    pub fn adamw() -> Self {
        AdamConfig {
            weight_decay: 1e-2,
            decoupled_weight_decay: true,
            ..Default::default()
        }
    }
}

/// Adam and AdamW, as in PyTorch's documentation of `torch.optim.Adam` and `torch.optim.AdamW`.
/// At step `t` (from 1):
///
/// ```text
/// g_t <- g_t + lambda w_{t-1}                  Adam, if lambda != 0
/// w_{t-1} <- w_{t-1} (1 - lr lambda)           AdamW (decoupled_weight_decay)
/// m_t = beta1 m_{t-1} + (1 - beta1) g_t        (m_0 = 0)
/// v_t = beta2 v_{t-1} + (1 - beta2) g_t^2      (v_0 = 0)
/// u_t = max(u_{t-1}, v_t)  if amsgrad (u_0 = 0),   u_t = v_t  otherwise
/// w_t = w_{t-1} - lr m_hat / (sqrt(u_hat) + eps),
///       m_hat = m_t / (1 - beta1^t),  u_hat = u_t / (1 - beta2^t)
/// ```
///
/// (AMSGrad takes the maximum of the raw second moments, as PyTorch's implementation does.)
///
/// State: `"exp_avg.{i}"` (`m`), `"exp_avg_sq.{i}"` (`v`), `"max_exp_avg_sq.{i}"` (`u`, with
/// amsgrad).
pub struct Adam<T: Float> {
    core: Core<T>,
    cfg: AdamConfig,
}

impl<T: Float> Adam<T> {
    /// Adam (or AdamW, with `cfg.decoupled_weight_decay`) on `params`.
    ///
    /// # Panics
    /// If a hyperparameter is negative or a beta is not in `[0, 1)`.
    pub fn new(params: Vec<Tensor<T>>, cfg: AdamConfig) -> Self {
        let (b1, b2) = cfg.betas;
        assert!(
            cfg.lr >= 0.0
                && (0.0..1.0).contains(&b1)
                && (0.0..1.0).contains(&b2)
                && cfg.eps >= 0.0
                && cfg.weight_decay >= 0.0,
            "Adam: invalid hyperparameters {cfg:?}"
        );
        let mut buffers = vec![("exp_avg", 0.0), ("exp_avg_sq", 0.0)];
        if cfg.amsgrad {
            buffers.push(("max_exp_avg_sq", 0.0));
        }
        Adam {
            core: Core::new(params, cfg.lr, &buffers),
            cfg,
        }
    }

    /// AdamW on `params`: [`Adam::new`] with `decoupled_weight_decay` set.
    pub fn adamw(params: Vec<Tensor<T>>, cfg: AdamConfig) -> Self {
        Self::new(
            params,
            AdamConfig {
                decoupled_weight_decay: true,
                ..cfg
            },
        )
    }

    fn adam_step(&mut self) {
        let lr = self.core.lr;
        let (b1, b2) = self.cfg.betas;
        let (beta1, beta2): (T, T) = (t(b1), t(b2));
        let (one_minus_b1, one_minus_b2): (T, T) = (t(1.0 - b1), t(1.0 - b2));
        let eps: T = t(self.cfg.eps);
        let wd = self.cfg.weight_decay;
        let coupled_wd = wd != 0.0 && !self.cfg.decoupled_weight_decay;
        let decay: T = t(1.0 - lr * wd);
        let decoupled = wd != 0.0 && self.cfg.decoupled_weight_decay;
        let wd: T = t(wd);
        self.core.for_each_grad(|p| {
            let step = p.step as i32;
            let step_size: T = t(lr / (1.0 - b1.powi(step)));
            let bc2_sqrt: T = t((1.0 - b2.powi(step)).sqrt());
            let [m, v, rest @ ..] = p.bufs else {
                unreachable!("Adam has two or three buffers")
            };
            let mut u = rest.first_mut();
            for (j, w) in p.w.iter_mut().enumerate() {
                let g = if coupled_wd { p.g[j] + wd * *w } else { p.g[j] };
                if decoupled {
                    *w = *w * decay;
                }
                m[j] = beta1 * m[j] + one_minus_b1 * g;
                v[j] = beta2 * v[j] + one_minus_b2 * g * g;
                let second = match u.as_deref_mut() {
                    Some(u) => {
                        u[j] = u[j].max(v[j]);
                        u[j]
                    }
                    None => v[j],
                };
                *w = *w - step_size * m[j] / (second.sqrt() / bc2_sqrt + eps);
            }
        });
    }
}

impl<T: Float> Optimizer<T> for Adam<T> {
    optimizer_via_core!(
        |s| if s.cfg.decoupled_weight_decay {
            "AdamW"
        } else {
            "Adam"
        },
        adam_step
    );
}
