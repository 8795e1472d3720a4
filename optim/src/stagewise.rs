//! Forward stagewise regression: greedy coordinate descent with a fixed step.

use crate::state::{gradients, Core};
use crate::Optimizer;
use crate::{OptimizerState, StateError};
use autograd::{Float, Tensor};

/// Forward stagewise (incremental forward stagewise regression, Efron et al. 2004): on the joint
/// parameter vector `w` (all parameters flattened and concatenated), move the coordinate of
/// largest gradient magnitude by a fixed amount `lr`:
///
/// ```text
/// k = argmax_i |g_i|  (the first one),     w_k <- w_k - lr sign(g_k)
/// ```
///
/// It is normalized steepest descent w.r.t. the l1 norm with step `lr`; as `lr -> 0` on
/// underdetermined least squares its path ends near the minimum-l1 interpolant.
///
/// With [`halve_after`](ForwardStagewise::halve_after)`(window)`,
/// [`step_with_loss`](Optimizer::step_with_loss) halves `lr` whenever the loss has not fallen
/// below its best value for `window` consecutive steps (a fixed step cannot fit the data closer
/// than `O(lr)`); [`step`](Optimizer::step) never changes `lr`.
///
/// State: `"lr"` (the current step), `"best_loss"`, `"stalled"` and the step counts.
pub struct ForwardStagewise<T: Float> {
    core: Core<T>,
    window: Option<u64>,
    best_loss: f64,
    stalled: u64,
}

impl<T: Float> ForwardStagewise<T> {
    /// Forward stagewise on `params` with step `lr`.
    pub fn new(params: Vec<Tensor<T>>, lr: f64) -> Self {
        ForwardStagewise {
            core: Core::new(params, lr, &[]),
            window: None,
            best_loss: f64::INFINITY,
            stalled: 0,
        }
    }

    /// Halves the step after `window` consecutive steps without a new best loss (see the type's
    /// docs).
    ///
    /// # Panics
    /// If `window == 0`.
    pub fn halve_after(mut self, window: u64) -> Self {
        assert!(
            window > 0,
            "ForwardStagewise::halve_after: window must be > 0"
        );
        self.window = Some(window);
        self
    }

    fn stagewise_step(&mut self) {
        let grads = gradients(&self.core.params);
        let mut best = (f64::NEG_INFINITY, 0.0);
        let mut k = 0;
        for (i, g) in grads.iter().flatten().flatten().enumerate() {
            if g.f64().abs() > best.0 {
                best = (g.f64().abs(), g.f64());
                k = i;
            }
        }
        let step = -self.core.lr * best.1.signum() * f64::from(u8::from(best.1 != 0.0));
        let mut offset = 0;
        let dirs = grads
            .into_iter()
            .map(|g| {
                g.map(|g| {
                    let mut d = vec![T::zero(); g.len()];
                    if (offset..offset + g.len()).contains(&k) {
                        d[k - offset] = T::of(step);
                    }
                    offset += g.len();
                    d
                })
            })
            .collect();
        self.core.for_each_param(dirs, |p| {
            for (w, &d) in p.w.iter_mut().zip(p.g) {
                *w = *w + d;
            }
        });
    }

    fn track_loss(&mut self, loss: f64) {
        let Some(window) = self.window else { return };
        if loss < self.best_loss {
            self.best_loss = loss;
            self.stalled = 0;
        } else {
            self.stalled += 1;
            if self.stalled >= window {
                self.core.lr *= 0.5;
                self.stalled = 0;
            }
        }
    }
}

impl<T: Float> Optimizer<T> for ForwardStagewise<T> {
    fn name(&self) -> &'static str {
        "ForwardStagewise"
    }
    fn params(&self) -> &[Tensor<T>] {
        &self.core.params
    }
    fn step(&mut self) {
        self.stagewise_step()
    }
    fn step_with_loss(&mut self, loss: f64) {
        self.track_loss(loss);
        self.stagewise_step()
    }
    fn lr(&self) -> f64 {
        self.core.lr
    }
    fn set_lr(&mut self, lr: f64) {
        self.core.lr = lr;
    }
    fn state(&self) -> OptimizerState {
        let mut st = self.core.export(self.name());
        st.scalars.insert("best_loss".into(), self.best_loss);
        st.scalars.insert("stalled".into(), self.stalled as f64);
        st
    }
    fn load_state(&mut self, state: &OptimizerState) -> Result<(), StateError> {
        let best = state.scalar("best_loss")?;
        let stalled = state.count("stalled")?;
        self.core.import(self.name(), state)?;
        self.best_loss = best;
        self.stalled = stalled;
        Ok(())
    }
}
