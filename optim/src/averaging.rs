//! SGD with iterate averaging (Polyak-Ruppert).

use crate::state::StateError;
use crate::{Optimizer, OptimizerState, Sgd, SgdConfig};
use autograd::{Float, Tensor};

/// One-pass SGD with iterate averaging: the steps are those of [`Sgd`] (any [`SgdConfig`]), and
/// after the `m`-th step the optimizer holds the running mean of the iterates it produced,
///
/// ```text
/// w_bar_m = (1/m) sum_{i=1}^m w_i,   computed as   w_bar_m = w_bar_{m-1} + (w_m - w_bar_{m-1}) / m
/// ```
///
/// in `f64` (for `f32` parameters too). The parameters themselves follow plain SGD; read the
/// average with [`averages`](AveragedSgd::averages) or
/// [`average_tensors`](AveragedSgd::average_tensors). Every step counts, also for a parameter
/// without a gradient (its iterate is then the unchanged value). This is the averaged SGD of
/// Polyak-Juditsky and Bach-Moulines, not PyTorch's `torch.optim.ASGD` (which averages from a
/// start step and decays the step size).
///
/// State: the inner SGD's entries prefixed `"sgd."`, `"average.{i}"` and the scalar
/// `"num_averaged"` (`m`).
pub struct AveragedSgd<T: Float> {
    sgd: Sgd<T>,
    avg: Vec<Vec<f64>>,
    m: u64,
}

impl<T: Float> AveragedSgd<T> {
    /// Averaged SGD on `params` with the SGD hyperparameters `cfg`.
    pub fn new(params: Vec<Tensor<T>>, cfg: SgdConfig) -> Self {
        let avg = params.iter().map(|p| vec![0.0; p.numel()]).collect();
        AveragedSgd {
            sgd: Sgd::new(params, cfg),
            avg,
            m: 0,
        }
    }

    /// The running means `w_bar_m`, one flat vector per parameter (zeros before the first step).
    pub fn averages(&self) -> &[Vec<f64>] {
        &self.avg
    }

    /// The running means as new tensors of the parameters' shapes (constants).
    pub fn average_tensors(&self) -> Vec<Tensor<T>> {
        self.sgd
            .params()
            .iter()
            .zip(&self.avg)
            .map(|(p, a)| {
                Tensor::from_vec(a.iter().map(|&x| T::of(x)).collect(), p.shape().clone())
                    .expect("average has the parameter's size")
            })
            .collect()
    }

    /// The number `m` of iterates averaged (steps taken).
    pub fn num_averaged(&self) -> u64 {
        self.m
    }
}

impl<T: Float> Optimizer<T> for AveragedSgd<T> {
    fn name(&self) -> &'static str {
        "AveragedSGD"
    }

    fn params(&self) -> &[Tensor<T>] {
        self.sgd.params()
    }

    fn step(&mut self) {
        self.sgd.step();
        self.m += 1;
        let inv_m = 1.0 / self.m as f64;
        for (p, a) in self.sgd.params().iter().zip(&mut self.avg) {
            p.with_slice(|w| {
                for (a, w) in a.iter_mut().zip(w) {
                    *a += (w.f64() - *a) * inv_m;
                }
            });
        }
    }

    fn lr(&self) -> f64 {
        self.sgd.lr()
    }

    fn set_lr(&mut self, lr: f64) {
        self.sgd.set_lr(lr);
    }

    fn state(&self) -> OptimizerState {
        let mut st = OptimizerState::new(self.name());
        st.merge_prefixed("sgd.", self.sgd.state());
        st.scalars.insert("num_averaged".into(), self.m as f64);
        for (i, a) in self.avg.iter().enumerate() {
            st.vectors.insert(format!("average.{i}"), a.clone());
        }
        st
    }

    fn load_state(&mut self, state: &OptimizerState) -> Result<(), StateError> {
        state.expect_optimizer(self.name())?;
        let m = state.count("num_averaged")?;
        let avg = self
            .avg
            .iter()
            .enumerate()
            .map(|(i, a)| Ok(state.vector(&format!("average.{i}"), a.len())?.to_vec()))
            .collect::<Result<Vec<_>, StateError>>()?;
        let inner = state.extract_prefixed("sgd.", self.sgd.name());
        self.sgd.load_state(&inner)?;
        self.avg = avg;
        self.m = m;
        Ok(())
    }
}
