//! The training loop every experiment runs: an `nn` model, an `optim` optimizer and a loss (a
//! closure over the data), stepped, logged, checkpointed and resumed by the runner.
//!
//! ```text
//! let training = Training::new(model, opt)              // any nn::Module, any optim::Optimizer
//!     .loss(|m, _rng, _t| m.forward(&x).squared_loss(&y)) // the loss at step t, a tensor op
//!     .log(&["loss", "rel_dist"], |m, _t| vec![...])      // what a trace row holds
//!     .stop_when(|m, p| ...);                             // optional early stop
//! let run = ctx.train("from_zero", training, steps, &log_points(steps, 10))?;
//! run.model, run.trace, run.steps                          // the trained model and its log
//! ```
//!
//! A step is `zero_grad`, the loss, `backward`, then
//! `Optimizer::step_with_loss` (the default; a run that needs
//! a different step, e.g. one epoch of mini-batches, gives [`Training::step_with`]). The runner
//! logs a row at the steps of `log_at` and at the end, stops with an error naming the step when
//! the loss is NaN or infinite, and writes a checkpoint every `steps / 20` steps (at most one per
//! half second) and at the end: the named
//! parameters, the optimizer's [`state`](optim::Optimizer::state), the run's RNG, the step and
//! the trace rows ([`super::checkpoint`]). Rerunning the same command restores them into the
//! freshly built model and optimizer and continues, reaching bit-identical numbers.
//!
//! Everything a step depends on must therefore be the model, the optimizer, the run's RNG
//! ([`TrainRng`], the `rng` argument of the closures) or a pure function of the step `t`:
//! [`Training::schedule`] and [`Training::before_step`] hooks are re-applied from `t` after a
//! resume, mini-batches can be drawn from the RNG or from [`EpochBatches`].

use std::marker::PhantomData;

use autograd::{Float, Tensor};
use nn::Module;
use optim::{Optimizer, Schedule};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::context::Trace;

/// The random number generator of a training run, seeded from `--seed`, the experiment and the
/// run name. Its whole state (seed, stream, word position) is checkpointed, so a resumed run
/// draws the same numbers as an uninterrupted one.
pub type TrainRng = ChaCha8Rng;

/// What a stop rule sees before step `t`.
#[derive(Clone, Copy, Debug)]
pub struct Progress<'r> {
    /// The number of steps taken.
    pub t: u64,
    /// The loss computed by the last step (NaN before the first).
    pub loss: f64,
    /// The trace row logged at `t`, if `t` is a logging step.
    pub row: Option<&'r [f64]>,
}

type StepFn<'a, M, O> = Box<dyn FnMut(&mut M, &mut O, &mut TrainRng, u64) -> f64 + 'a>;
type RecordFn<'a, M> = Box<dyn FnMut(&mut M, u64) -> Vec<f64> + 'a>;
type StopFn<'a, M> = Box<dyn FnMut(&M, &Progress) -> bool + 'a>;
type HookFn<'a, M, O> = Box<dyn FnMut(&mut M, &mut O, u64) + 'a>;

/// A training run to hand to [`Ctx::train`](super::Ctx::train): a model, an optimizer, the step
/// (by default: the gradient of a [`loss`](Training::loss)), what to log and when to stop.
pub struct Training<'a, T: Float, M: Module<T>, O: Optimizer<T>> {
    pub(super) model: M,
    pub(super) opt: O,
    pub(super) step: Option<StepFn<'a, M, O>>,
    pub(super) columns: Vec<String>,
    pub(super) record: Option<RecordFn<'a, M>>,
    pub(super) stop: Option<StopFn<'a, M>>,
    pub(super) hooks: Vec<HookFn<'a, M, O>>,
    _float: PhantomData<T>,
}

impl<'a, T: Float, M: Module<T> + 'a, O: Optimizer<T> + 'a> Training<'a, T, M, O> {
    /// A run of `opt` on `model`. Give it a [`loss`](Training::loss) (or a
    /// [`step_with`](Training::step_with)) before running it.
    pub fn new(model: M, opt: O) -> Self {
        Training {
            model,
            opt,
            step: None,
            columns: Vec::new(),
            record: None,
            stop: None,
            hooks: Vec::new(),
            _float: PhantomData,
        }
    }

    /// The training loss at step `t`: a scalar tensor built from the model (and, for stochastic
    /// methods, from a sample drawn with `rng`). Each step clears the gradients, computes it,
    /// back-propagates and calls [`Optimizer::step_with_loss`] with its value.
    pub fn loss(mut self, mut loss: impl FnMut(&M, &mut TrainRng, u64) -> Tensor<T> + 'a) -> Self {
        self.step = Some(Box::new(move |m, opt, rng, t| {
            m.zero_grad();
            let l = loss(m, rng, t);
            let value = l.item().f64();
            if value.is_finite() {
                l.backward();
                opt.step_with_loss(value);
            }
            value
        }));
        self
    }

    /// A step of its own (instead of [`loss`](Training::loss)): it updates the model through
    /// the optimizer and returns the training loss it saw (checked for NaN / inf). Use it when a
    /// runner step is more than one gradient step, e.g. an epoch of mini-batches.
    pub fn step_with(
        mut self,
        step: impl FnMut(&mut M, &mut O, &mut TrainRng, u64) -> f64 + 'a,
    ) -> Self {
        self.step = Some(Box::new(step));
        self
    }

    /// Logs the quantities `record(model, t)`, named `columns`, at the logging steps (column `t`
    /// is added in front).
    pub fn log(
        mut self,
        columns: &[&str],
        record: impl FnMut(&mut M, u64) -> Vec<f64> + 'a,
    ) -> Self {
        self.columns = columns.iter().map(|c| c.to_string()).collect();
        self.record = Some(Box::new(record));
        self
    }

    /// Stops the run before step `t` when `stop(model, progress)` is true (checked before every
    /// step, after logging).
    pub fn stop_when(mut self, stop: impl FnMut(&M, &Progress) -> bool + 'a) -> Self {
        self.stop = Some(Box::new(stop));
        self
    }

    /// Sets the learning rate to `schedule.lr(t)` before step `t`.
    pub fn schedule(self, schedule: impl Schedule + 'a) -> Self {
        self.before_step(move |_, opt, t| opt.set_lr(schedule.lr(t)))
    }

    /// Calls `hook(model, opt, t)` before step `t` (after logging), e.g. to set a momentum or a
    /// dropout seed. A hook must be a function of `t` and the state only: after a resume it is
    /// called again from the resumed step on.
    pub fn before_step(mut self, hook: impl FnMut(&mut M, &mut O, u64) + 'a) -> Self {
        self.hooks.push(Box::new(hook));
        self
    }
}

/// A finished run: the trained model and optimizer, the steps taken and the log.
pub struct Trained<M, O> {
    /// The model after the last step.
    pub model: M,
    /// The optimizer after the last step.
    pub opt: O,
    /// Steps taken (fewer than asked on an early stop).
    pub steps: u64,
    /// The logged rows (column `t` first).
    pub trace: Trace,
    /// The step this invocation resumed the run from, if it found a checkpoint.
    pub resumed_from: Option<u64>,
}

/// Mini-batches of `batch` indices out of `0..n`, a fresh random permutation per epoch, as a pure
/// function of the step: step `t` is batch `t % per_epoch` of epoch `t / per_epoch`, whose
/// permutation is seeded by `(seed, epoch)`. A resumed run therefore sees the same batches
/// without checkpointing the permutation.
#[derive(Clone, Debug)]
pub struct EpochBatches {
    n: usize,
    batch: usize,
    seed: u64,
    epoch: Option<u64>,
    perm: Vec<usize>,
}

impl EpochBatches {
    /// Batches of `batch` (the last of an epoch may be smaller) out of `n` samples.
    ///
    /// # Panics
    /// If `n == 0` or `batch == 0`.
    pub fn new(n: usize, batch: usize, seed: u64) -> Self {
        assert!(n > 0 && batch > 0, "EpochBatches: n = {n}, batch = {batch}");
        EpochBatches {
            n,
            batch,
            seed,
            epoch: None,
            perm: Vec::new(),
        }
    }

    /// Steps per epoch, `ceil(n / batch)`.
    pub fn per_epoch(&self) -> u64 {
        self.n.div_ceil(self.batch) as u64
    }

    /// The indices of step `t`'s batch.
    pub fn at(&mut self, t: u64) -> &[usize] {
        let epoch = t / self.per_epoch();
        if self.epoch != Some(epoch) {
            self.perm = (0..self.n).collect();
            let mut rng =
                ChaCha8Rng::seed_from_u64(self.seed ^ epoch.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            self.perm.shuffle(&mut rng);
            self.epoch = Some(epoch);
        }
        let k = (t % self.per_epoch()) as usize * self.batch;
        &self.perm[k..(k + self.batch).min(self.n)]
    }
}
