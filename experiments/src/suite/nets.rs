//! What the MNIST experiments share: ReLU nets ([`nn::Mlp`], He-initialized, optionally with
//! dropout, optionally bias-free for Path-SGD), node rescaling, their optimizers, evaluation
//! (cross-entropy and 0/1 error), and [`Fit`]: epochs of shuffled mini-batches as a run of the
//! runner's checkpointed loop ([`Ctx::train`]).
//!
//! A runner step of [`Fit::run`] is one mini-batch step: step `t` trains on batch
//! `t mod B` of epoch `floor(t / B)` (`B = ceil(n / batch)` batches per epoch, each epoch a fresh
//! permutation, [`EpochBatches`]). The learning rate of epoch `e` is `lr0 * decay^e`, dropout
//! masks are reseeded from the run's RNG before every step, and the train and test sets are
//! evaluated at the chosen epoch boundaries. Everything is a function of `t` or of checkpointed
//! state, so an interrupted run resumes exactly.

use autograd::{Float, Tensor};
use nn::{Activation, Init, Mlp, Module};
use optim::{
    Adagrad, AdagradConfig, Adam, AdamConfig, Optimizer, PathSgd, Sgd, SgdConfig, StepDecay,
    WeightLayout,
};
use rand::Rng;

use crate::data::Labeled;
use crate::error::Result;
use crate::runner::{Ctx, EpochBatches, Series, Trace, Training};

/// A fully connected ReLU net `sizes[0] -> ... -> sizes[L]`, He-initialized (weights
/// `N(0, 2 / fan_in)`), with zero biases (if `bias`) and, if `dropout > 0`, dropout with that
/// probability after every hidden ReLU (its masks are reseeded by the training loop).
pub fn mlp<T: Float>(sizes: &[usize], bias: bool, dropout: f64, rng: &mut impl Rng) -> Mlp<T> {
    let net = Mlp::new(
        sizes,
        Activation::Relu,
        bias,
        Init::KaimingNormal { scale: 1.0 },
        rng,
    );
    if dropout > 0.0 {
        net.with_dropout(dropout, 0)
    } else {
        net
    }
}

/// Node rescaling: each hidden unit's incoming weights (and bias) times `c`, its outgoing
/// weights times `1/c`, with `c = exp(U[-ln r, ln r])` drawn per unit. The function is unchanged
/// (ReLU is positively homogeneous: `relu(c z) = c relu(z)` for `c > 0`).
pub fn rescale_nodes<T: Float>(net: &Mlp<T>, r: f64, rng: &mut impl Rng) {
    for pair in net.linears().windows(2) {
        let (incoming, outgoing) = (&pair[0], &pair[1]);
        let units = incoming.out_features();
        let c: Vec<T> = (0..units)
            .map(|_| T::of(rng.gen_range(-r.ln()..=r.ln()).exp()))
            .collect();
        // Weights are [out, in]: row u of `incoming` feeds unit u, column u of `outgoing` leaves it.
        incoming.weight.update(|w| {
            for (row, &c) in w.chunks_mut(incoming.in_features()).zip(&c) {
                row.iter_mut().for_each(|v| *v = *v * c);
            }
        });
        if let Some(b) = &incoming.bias {
            b.update(|b| b.iter_mut().zip(&c).for_each(|(v, &c)| *v = *v * c));
        }
        outgoing.weight.update(|w| {
            for row in w.chunks_mut(units) {
                row.iter_mut().zip(&c).for_each(|(v, &c)| *v = *v / c);
            }
        });
    }
}

/// An optimizer and its learning rate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Opt {
    /// SGD with (heavy-ball) momentum.
    Sgd {
        /// Learning rate.
        lr: f64,
        /// Momentum (0: plain SGD).
        momentum: f64,
    },
    /// AdaGrad.
    Adagrad {
        /// Learning rate.
        lr: f64,
    },
    /// Adam (0.9, 0.999).
    Adam {
        /// Learning rate.
        lr: f64,
    },
    /// Path-SGD (bias-free nets only).
    PathSgd {
        /// Learning rate.
        lr: f64,
    },
}

impl Opt {
    /// A short name.
    pub fn name(&self) -> String {
        match self {
            Opt::Sgd { momentum, .. } if *momentum > 0.0 => format!("SGD+momentum {momentum}"),
            Opt::Sgd { .. } => "SGD".into(),
            Opt::Adagrad { .. } => "AdaGrad".into(),
            Opt::Adam { .. } => "Adam".into(),
            Opt::PathSgd { .. } => "Path-SGD".into(),
        }
    }

    /// The optimizer on `net`'s parameters (Path-SGD: on its weight matrices, in layer order).
    pub fn build<T: Float>(&self, net: &mut Mlp<T>) -> Box<dyn Optimizer<T>> {
        let p = nn::params::tensors(net);
        match *self {
            Opt::Sgd { lr, momentum } => Box::new(Sgd::new(
                p,
                SgdConfig {
                    lr,
                    momentum,
                    ..Default::default()
                },
            )),
            Opt::Adagrad { lr } => Box::new(Adagrad::new(
                p,
                AdagradConfig {
                    lr,
                    ..Default::default()
                },
            )),
            Opt::Adam { lr } => Box::new(Adam::new(
                p,
                AdamConfig {
                    lr,
                    ..Default::default()
                },
            )),
            Opt::PathSgd { lr } => {
                let weights = net.linears().iter().map(|l| l.weight.clone()).collect();
                Box::new(PathSgd::new(weights, WeightLayout::OutIn, lr))
            }
        }
    }
}

/// The rows `idx` of `data` as a `[b, d]` tensor and their labels.
pub fn batch(data: &Labeled, idx: &[usize]) -> (Tensor<f32>, Vec<usize>) {
    let mut x = Vec::with_capacity(idx.len() * data.d);
    for &i in idx {
        x.extend_from_slice(&data.x[i * data.d..(i + 1) * data.d]);
    }
    let t = Tensor::from_vec(x, [idx.len(), data.d]).expect("batch shape");
    (t, idx.iter().map(|&i| data.y[i]).collect())
}

/// Cross-entropy and 0/1 error of a net on a data set.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Eval {
    /// Mean cross-entropy.
    pub loss: f64,
    /// Fraction misclassified.
    pub err: f64,
}

/// Evaluates `net` in evaluation mode (no dropout) on `data`, in chunks of 1000, without
/// recording a tape; the net's mode is restored.
pub fn evaluate(net: &mut Mlp<f32>, data: &Labeled) -> Eval {
    let was = net.is_training();
    net.train(false);
    let (mut loss, mut wrong) = (0.0, 0usize);
    let all: Vec<usize> = (0..data.n()).collect();
    for chunk in all.chunks(1000) {
        let (x, y) = batch(data, chunk);
        let logits = autograd::no_grad(|| net.forward(&x));
        loss += logits.softmax_cross_entropy(&y).item() as f64 * chunk.len() as f64;
        let k = logits.dims()[1];
        logits.with_slice(|l| {
            for (row, &yi) in l.chunks(k).zip(&y) {
                let pred = (0..k)
                    .max_by(|&a, &b| row[a].total_cmp(&row[b]))
                    .unwrap_or(0);
                wrong += usize::from(pred != yi);
            }
        });
    }
    net.train(was);
    Eval {
        loss: loss / data.n() as f64,
        err: wrong as f64 / data.n() as f64,
    }
}

/// The columns of a [`Fit`] trace (after the step `t`): the epoch, then cross-entropy and 0/1
/// error on the training and test sets, and the l2 norm of all parameters.
pub const COLUMNS: [&str; 6] = [
    "epoch",
    "train_loss",
    "train_err",
    "test_loss",
    "test_err",
    "l2_norm",
];

/// How to train a net on a training set: epochs of mini-batches, when to evaluate, when to stop.
#[derive(Clone, Debug)]
pub struct Fit<'d> {
    /// The training set.
    pub train: &'d Labeled,
    /// The test (or validation) set, evaluated with the training set.
    pub test: &'d Labeled,
    /// Maximum epochs.
    pub epochs: usize,
    /// Mini-batch size.
    pub batch: usize,
    /// Epochs after which train and test sets are evaluated (epoch 0 and the last are always).
    pub eval_at: Vec<usize>,
    /// Stop once the training error is 0 and the training loss is below this (checked at the
    /// evaluation epochs); `None`: run all epochs.
    pub stop_loss: Option<f64>,
    /// The learning rate of epoch `e` (from 0) is `lr0 * lr_decay^e`.
    pub lr_decay: f64,
}

/// A [`Fit`] run on the runner's loop.
type NetTraining<'a, O> = Training<'a, f32, Mlp<f32>, O>;

impl<'d> Fit<'d> {
    /// Mini-batch steps per epoch, `ceil(n / batch)`.
    pub fn per_epoch(&self) -> u64 {
        self.train.n().div_ceil(self.batch) as u64
    }

    /// Trains `net` with `opt` as the run `run` of `ctx` (checkpointed, resumed), the batches
    /// shuffled with `batch_seed`. Returns the trace: columns `t` (mini-batch steps) and
    /// [`COLUMNS`], one row per evaluation epoch. A non-finite loss is the runner's
    /// [`Error::NonFinite`](crate::Error::NonFinite).
    pub fn run<O: Optimizer<f32> + 'd>(
        &self,
        ctx: &Ctx,
        run: &str,
        net: Mlp<f32>,
        opt: O,
        batch_seed: u64,
    ) -> Result<Trace> {
        self.run_with(ctx, run, net, opt, batch_seed, |training| training)
    }

    /// [`run`](Fit::run), with `extra` adding to the run, e.g. a
    /// [`momentum_ramp`] hook.
    pub fn run_with<O: Optimizer<f32> + 'd>(
        &self,
        ctx: &Ctx,
        run: &str,
        net: Mlp<f32>,
        opt: O,
        batch_seed: u64,
        extra: impl FnOnce(NetTraining<'d, O>) -> NetTraining<'d, O>,
    ) -> Result<Trace> {
        let (train, test) = (self.train, self.test);
        let per_epoch = self.per_epoch();
        let lr0 = opt.lr();
        let mut batches = EpochBatches::new(train.n(), self.batch, batch_seed);
        let mut training = Training::new(net, opt)
            .loss(move |m, rng, t| {
                if m.dropout().is_some() {
                    m.reseed_dropout(rng.gen());
                }
                let (x, y) = batch(train, batches.at(t));
                m.forward(&x).softmax_cross_entropy(&y)
            })
            .log(&COLUMNS, move |m, t| {
                let (tr, te) = (evaluate(m, train), evaluate(m, test));
                let epoch = (t / per_epoch) as f64;
                let norm = nn::params::l2_norm(m);
                vec![epoch, tr.loss, tr.err, te.loss, te.err, norm]
            });
        if self.lr_decay != 1.0 {
            training = training.schedule(StepDecay {
                lr0,
                gamma: self.lr_decay,
                step_size: per_epoch,
            });
        }
        if let Some(s) = self.stop_loss {
            // A logged row is [t, epoch, train_loss, train_err, ...].
            training =
                training.stop_when(move |_, p| p.row.is_some_and(|r| r[3] == 0.0 && r[2] < s));
        }
        let steps = self.epochs as u64 * per_epoch;
        let mut log_at: Vec<u64> = std::iter::once(0)
            .chain(self.eval_at.iter().map(|&e| e as u64 * per_epoch))
            .filter(|&t| t <= steps)
            .collect();
        log_at.sort_unstable();
        log_at.dedup();
        Ok(ctx.train(run, extra(training), steps, &log_at)?.trace)
    }
}

/// A `before_step` hook for SGD: during epoch `e` (from 0) the momentum is
/// `min(max, start + e * step)` (the schedule of Neyshabur et al. 2015), with `per_epoch` steps
/// per epoch.
pub fn momentum_ramp(
    per_epoch: u64,
    start: f64,
    step: f64,
    max: f64,
) -> impl FnMut(&mut Mlp<f32>, &mut Sgd<f32>, u64) {
    move |_, opt, t| opt.set_momentum((start + (t / per_epoch) as f64 * step).min(max))
}

/// The last row's value of `col`.
pub fn last(trace: &Trace, col: &str) -> f64 {
    trace.col(col).last().copied().unwrap_or(f64::NAN)
}

/// The curve `(epoch, col)` of a [`Fit`] trace.
pub fn by_epoch(name: &str, trace: &Trace, col: &str) -> Series {
    Series::new(name, &trace.col("epoch"), &trace.col(col))
}
