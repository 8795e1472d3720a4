//! Every optimizer update used by the linear experiments, in one place (to be
//! swapped for the `optim` crate's optimizers once it is merged).
//!
//! Each [`Update`] variant documents which [`OptState`] buffers it uses.

use super::objectives::Objective;
use super::potentials::Potential;
use super::OptState;

/// A norm for normalised steepest descent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Norm {
    /// l1: greedy coordinate descent.
    L1,
    /// l2: normalised gradient descent.
    L2,
    /// l-infinity: sign gradient descent.
    LInf,
}

/// An update rule `w_t -> w_{t+1}`.
#[derive(Clone, Debug, PartialEq)]
pub enum Update {
    /// Gradient descent `w -= eta g`.
    Gd {
        /// Step size.
        eta: f64,
    },
    /// SGD on one sample per step, chosen uniformly by a hash of `(seed, t)`
    /// (so a resumed run draws the same samples).
    Sgd {
        /// Step size.
        eta: f64,
        /// Sampling seed.
        seed: u64,
    },
    /// Heavy ball: `a = beta a - eta g(w)`, `w += a` (`a`: velocity).
    HeavyBall {
        /// Step size.
        eta: f64,
        /// Momentum.
        beta: f64,
    },
    /// Nesterov: `a = beta a - eta g(w + beta a)`, `w += a` (`a`: velocity).
    Nesterov {
        /// Step size.
        eta: f64,
        /// Momentum.
        beta: f64,
    },
    /// Mirror descent `grad psi(w+) = grad psi(w) - eta g(w)` (`a`: mirror point `grad psi(w)`).
    Mirror {
        /// Step size.
        eta: f64,
        /// The potential.
        potential: Potential,
    },
    /// Mirror descent with primal momentum,
    /// `grad psi(w+) = grad psi(w + beta (w - w_prev)) - eta g(w)` (`b`: `w_prev`).
    MirrorMomentum {
        /// Step size.
        eta: f64,
        /// Momentum.
        beta: f64,
        /// The potential.
        potential: Potential,
    },
    /// Natural gradient with a separable metric: `w -= eta g / psi''(w)`.
    NaturalGradient {
        /// Step size.
        eta: f64,
        /// The potential (metric).
        potential: Potential,
    },
    /// Steepest descent w.r.t. the l_p norm (dual exponent `q`):
    /// `w -= eta ||g||_q^{2-q} sign(g) |g|^{q-1}`.
    SteepestLp {
        /// Step size.
        eta: f64,
        /// Dual exponent.
        q: f64,
    },
    /// AdaGrad (diagonal): `a += g^2`, `w -= eta g / (sqrt(a) + eps)` (`a`: accumulator).
    AdaGrad {
        /// Step size.
        eta: f64,
        /// Denominator offset.
        eps: f64,
    },
    /// Forward stagewise: `j = argmax |g_j|`, `w_j -= s[0] sign(g_j)`; the step
    /// `s[0]` is halved when the loss has not decreased for `window` steps
    /// (`s = [step, best loss, steps since best]`).
    Stagewise {
        /// Initial step.
        eps: f64,
        /// Stall window.
        window: u64,
    },
    /// Normalised steepest descent on `-grad L / L`:
    /// l1 `w_j += eta sign(d_j)` at `j = argmax |d_j|`; l2 `w += eta d / ||d||`;
    /// l-inf `w += eta sign(d)`.
    NormalizedSteepest {
        /// Step size.
        eta: f64,
        /// The norm.
        norm: Norm,
    },
    /// Normalised GD with a decaying step (Nacson et al. 2019):
    /// `w += eta0 / sqrt(t + 1) * (-grad L / L)`.
    NormalizedGd {
        /// Initial step.
        eta0: f64,
    },
}

fn sgd_index(seed: u64, t: u64, n: usize) -> usize {
    // splitmix64 of (seed, t).
    let mut z = seed ^ t.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z % n as u64) as usize
}

fn sign(v: f64) -> f64 {
    if v > 0.0 {
        1.0
    } else if v < 0.0 {
        -1.0
    } else {
        0.0
    }
}

fn argmax_abs(v: &[f64]) -> usize {
    (0..v.len())
        .max_by(|&i, &j| v[i].abs().total_cmp(&v[j].abs()))
        .unwrap_or(0)
}

impl Update {
    /// Initialises the state's buffers for this update (called on `w0`).
    pub fn init(&self, st: &mut OptState) {
        match self {
            Update::Mirror { potential, .. } => {
                st.a = st.w.iter().map(|&v| potential.grad(v)).collect();
            }
            Update::Stagewise { eps, .. } => st.s = vec![*eps, f64::INFINITY, 0.0],
            _ => {}
        }
    }

    /// One step at step index `t`; returns the loss at the current iterate (for
    /// the stochastic update, the sampled loss; for the normalised ones, `ln L`).
    pub fn apply(&self, st: &mut OptState, t: u64, obj: &dyn Objective) -> f64 {
        let mut g = vec![0.0; st.w.len()];
        match *self {
            Update::Gd { eta } => {
                let l = obj.loss_grad(&st.w, &mut g);
                st.w.iter_mut().zip(&g).for_each(|(w, g)| *w -= eta * g);
                l
            }
            Update::Sgd { eta, seed } => {
                let i = sgd_index(seed, t, obj.samples());
                let l = obj.sample_loss_grad(i, &st.w, &mut g);
                st.w.iter_mut().zip(&g).for_each(|(w, g)| *w -= eta * g);
                l
            }
            Update::HeavyBall { eta, beta } => {
                let l = obj.loss_grad(&st.w, &mut g);
                for ((w, a), g) in st.w.iter_mut().zip(st.a.iter_mut()).zip(&g) {
                    *a = beta * *a - eta * g;
                    *w += *a;
                }
                l
            }
            Update::Nesterov { eta, beta } => {
                let look: Vec<f64> = st.w.iter().zip(&st.a).map(|(w, a)| w + beta * a).collect();
                let l = obj.loss_grad(&look, &mut g);
                for ((w, a), g) in st.w.iter_mut().zip(st.a.iter_mut()).zip(&g) {
                    *a = beta * *a - eta * g;
                    *w += *a;
                }
                l
            }
            Update::Mirror { eta, potential } => {
                let l = obj.loss_grad(&st.w, &mut g);
                for ((w, a), g) in st.w.iter_mut().zip(st.a.iter_mut()).zip(&g) {
                    *a -= eta * g;
                    *w = potential.grad_inv(*a);
                }
                l
            }
            Update::MirrorMomentum {
                eta,
                beta,
                potential,
            } => {
                let l = obj.loss_grad(&st.w, &mut g);
                for ((w, prev), g) in st.w.iter_mut().zip(st.b.iter_mut()).zip(&g) {
                    let look = *w + beta * (*w - *prev);
                    *prev = *w;
                    *w = potential.grad_inv(potential.grad(look) - eta * g);
                }
                l
            }
            Update::NaturalGradient { eta, potential } => {
                let l = obj.loss_grad(&st.w, &mut g);
                st.w.iter_mut()
                    .zip(&g)
                    .for_each(|(w, g)| *w -= eta * g / potential.hess(*w));
                l
            }
            Update::SteepestLp { eta, q } => {
                let l = obj.loss_grad(&st.w, &mut g);
                let nq = g.iter().map(|v| v.abs().powf(q)).sum::<f64>().powf(1.0 / q);
                if nq > 0.0 {
                    let scale = eta * nq.powf(2.0 - q);
                    st.w.iter_mut()
                        .zip(&g)
                        .for_each(|(w, g)| *w -= scale * sign(*g) * g.abs().powf(q - 1.0));
                }
                l
            }
            Update::AdaGrad { eta, eps } => {
                let l = obj.loss_grad(&st.w, &mut g);
                for ((w, a), g) in st.w.iter_mut().zip(st.a.iter_mut()).zip(&g) {
                    *a += g * g;
                    *w -= eta * g / (a.sqrt() + eps);
                }
                l
            }
            Update::Stagewise { window, .. } => {
                let l = obj.loss_grad(&st.w, &mut g);
                if l < st.s[1] {
                    st.s[1] = l;
                    st.s[2] = 0.0;
                } else {
                    st.s[2] += 1.0;
                    if st.s[2] >= window as f64 {
                        st.s[0] *= 0.5;
                        st.s[2] = 0.0;
                    }
                }
                let j = argmax_abs(&g);
                st.w[j] -= st.s[0] * sign(g[j]);
                l
            }
            Update::NormalizedSteepest { eta, norm } => {
                let l = obj.log_loss_direction(&st.w, &mut g);
                match norm {
                    Norm::L1 => {
                        let j = argmax_abs(&g);
                        st.w[j] += eta * sign(g[j]);
                    }
                    Norm::L2 => {
                        let n = crate::stats::norm2(&g);
                        st.w.iter_mut().zip(&g).for_each(|(w, d)| *w += eta * d / n);
                    }
                    Norm::LInf => {
                        st.w.iter_mut()
                            .zip(&g)
                            .for_each(|(w, d)| *w += eta * sign(*d))
                    }
                }
                l
            }
            Update::NormalizedGd { eta0 } => {
                let l = obj.log_loss_direction(&st.w, &mut g);
                let eta = eta0 / ((t + 1) as f64).sqrt();
                st.w.iter_mut().zip(&g).for_each(|(w, d)| *w += eta * d);
                l
            }
        }
    }
}
