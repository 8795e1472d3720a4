//! The shared MLP training loop of the MNIST experiments: building ReLU nets (optionally with
//! dropout, optionally bias-free for Path-SGD), optimizers, epochs of mini-batch training and
//! evaluation (cross-entropy and 0/1 error), logged as a [`Trace`].

use autograd::{Float, Tensor};
use nn::{Dropout, Init, Linear, Module, Relu, Sequential};
use optim::{
    Adagrad, AdagradConfig, Adam, AdamConfig, Optimizer, PathSgd, RmsProp, RmsPropConfig, Sgd,
    SgdConfig, WeightLayout,
};
use rand::seq::SliceRandom;
use rand::Rng;

use crate::data::Labeled;
use crate::error::Result;
use crate::runner::Trace;

/// A fully connected ReLU net `sizes[0] -> ... -> sizes[L]` (f32 unless said otherwise).
pub struct Net<T: Float = f32> {
    /// The layers: `Linear`, then `Relu` (and `Dropout`) before each further `Linear`.
    pub seq: Sequential<T>,
    /// Layer widths.
    pub sizes: Vec<usize>,
}

impl<T: Float> Net<T> {
    /// He-initialized (`N(0, 2/fan_in)`) net with zero biases (if `bias`) and dropout with
    /// probability `dropout` after every hidden ReLU (none if 0).
    pub fn new(sizes: &[usize], bias: bool, dropout: f64, rng: &mut impl Rng) -> Self {
        let mut seq = Sequential::new();
        for (i, w) in sizes.windows(2).enumerate() {
            if i > 0 {
                seq = seq.push(Relu);
                if dropout > 0.0 {
                    seq = seq.push(Dropout::new(dropout, rng.gen()));
                }
            }
            seq = seq.push(Linear::new(
                w[0],
                w[1],
                bias,
                Init::KaimingNormal { scale: 1.0 },
                rng,
            ));
        }
        Net {
            seq,
            sizes: sizes.to_vec(),
        }
    }

    /// All parameters.
    pub fn params(&self) -> Vec<Tensor<T>> {
        self.seq.parameters().into_iter().map(|(_, t)| t).collect()
    }

    /// The weight matrices (input layer first).
    pub fn weights(&self) -> Vec<Tensor<T>> {
        self.seq
            .parameters()
            .into_iter()
            .filter(|(n, _)| n.ends_with("weight"))
            .map(|(_, t)| t)
            .collect()
    }

    /// The l2 norm of all parameters.
    pub fn l2_norm(&self) -> f64 {
        nn::params::l2_norm(&self.seq)
    }

    /// Node rescaling: each hidden unit's incoming weights (and bias) times `c`, its outgoing
    /// weights times `1/c`, with `c = exp(U[-ln r, ln r])`. The function is unchanged (ReLU is
    /// positively homogeneous).
    pub fn rescale_nodes(&self, r: f64, rng: &mut impl Rng) {
        let params = self.seq.parameters();
        let weights: Vec<&Tensor<T>> = params
            .iter()
            .filter(|(n, _)| n.ends_with("weight"))
            .map(|(_, t)| t)
            .collect();
        let biases: Vec<Option<&Tensor<T>>> = (0..weights.len())
            .map(|k| {
                let wname = &params
                    .iter()
                    .filter(|(n, _)| n.ends_with("weight"))
                    .nth(k)
                    .map(|(n, _)| n.clone())
                    .unwrap_or_default();
                let bname = wname.replace("weight", "bias");
                params.iter().find(|(n, _)| *n == bname).map(|(_, t)| t)
            })
            .collect();
        for k in 0..weights.len() - 1 {
            let units = self.sizes[k + 1];
            let c: Vec<T> = (0..units)
                .map(|_| T::of(rng.gen_range(-r.ln()..=r.ln()).exp()))
                .collect();
            let n_in = self.sizes[k];
            weights[k].update(|w| {
                for (u, row) in w.chunks_mut(n_in).enumerate() {
                    row.iter_mut().for_each(|v| *v = *v * c[u]);
                }
            });
            if let Some(b) = biases[k] {
                b.update(|b| b.iter_mut().zip(&c).for_each(|(v, &c)| *v = *v * c));
            }
            weights[k + 1].update(|w| {
                for row in w.chunks_mut(units) {
                    row.iter_mut().zip(&c).for_each(|(v, &c)| *v = *v / c);
                }
            });
        }
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
    /// RMSprop (alpha 0.99).
    RmsProp {
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
            Opt::RmsProp { .. } => "RMSprop".into(),
            Opt::Adam { .. } => "Adam".into(),
            Opt::PathSgd { .. } => "Path-SGD".into(),
        }
    }

    /// The optimizer on `net`'s parameters.
    pub fn build<T: Float>(&self, net: &Net<T>) -> Box<dyn Optimizer<T>> {
        let p = net.params();
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
            Opt::RmsProp { lr } => Box::new(RmsProp::new(
                p,
                RmsPropConfig {
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
            Opt::PathSgd { lr } => Box::new(PathSgd::new(net.weights(), WeightLayout::OutIn, lr)),
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

/// Evaluates `net` in evaluation mode (no dropout) on `data`, in chunks of 1000.
pub fn evaluate(net: &mut Net, data: &Labeled) -> Eval {
    let was = net.seq.is_training();
    net.seq.train(false);
    let (mut loss, mut wrong) = (0.0, 0usize);
    let all: Vec<usize> = (0..data.n()).collect();
    for chunk in all.chunks(1000) {
        let (x, y) = batch(data, chunk);
        let logits = net.seq.forward(&x.detach());
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
    net.seq.train(was);
    Eval {
        loss: loss / data.n() as f64,
        err: wrong as f64 / data.n() as f64,
    }
}

/// One epoch of mini-batch training on a random permutation; returns the mean batch loss.
pub fn train_epoch(
    net: &Net,
    opt: &mut dyn Optimizer<f32>,
    data: &Labeled,
    batch_size: usize,
    rng: &mut impl Rng,
) -> f64 {
    let mut idx: Vec<usize> = (0..data.n()).collect();
    idx.shuffle(rng);
    let mut total = 0.0;
    let mut count = 0;
    for chunk in idx.chunks(batch_size) {
        let (x, y) = batch(data, chunk);
        let loss = net.seq.forward(&x).softmax_cross_entropy(&y);
        opt.zero_grad();
        loss.backward();
        opt.step();
        total += loss.item() as f64;
        count += 1;
    }
    total / count as f64
}

/// How to train: epochs, batch size, when to evaluate, when to stop.
#[derive(Clone, Debug)]
pub struct Fit {
    /// Maximum epochs.
    pub epochs: usize,
    /// Mini-batch size.
    pub batch: usize,
    /// Epochs after which train and test sets are evaluated (plus the last epoch).
    pub eval_at: Vec<usize>,
    /// Stop once the training error is 0 and the training loss is below this (checked at the
    /// evaluation epochs); `None`: run all epochs.
    pub stop_loss: Option<f64>,
    /// Multiply the learning rate by this after every epoch.
    pub lr_decay: f64,
    /// SGD only: after epoch `e` the momentum becomes `min(max, start + e * step)`, given as
    /// `(start, step, max)` (the schedule of Neyshabur et al. 2015). `optim::Sgd` has no
    /// momentum setter, so the optimizer is rebuilt with the new momentum and its state (the
    /// momentum buffers, the learning rate) loaded into it.
    pub momentum_ramp: Option<(f64, f64, f64)>,
}

/// Trains `net` with `opt` on `train`, evaluating on `train` and `test` at `fit.eval_at`.
/// Returns the trace with columns `train_loss, train_err, test_loss, test_err, l2_norm` (the
/// step column `t` is the epoch). A run whose loss becomes non-finite stops with a last row of
/// infinite losses and error 1.
pub fn fit(
    net: &mut Net,
    opt: Opt,
    train: &Labeled,
    test: &Labeled,
    fit: &Fit,
    rng: &mut impl Rng,
    run: &str,
) -> Result<Trace> {
    let mut o = opt.build(net);
    let mut rows = Vec::new();
    let record = |net: &mut Net, epoch: usize, rows: &mut Vec<Vec<f64>>| -> Eval {
        let tr = evaluate(net, train);
        let te = evaluate(net, test);
        rows.push(vec![
            epoch as f64,
            tr.loss,
            tr.err,
            te.loss,
            te.err,
            net.l2_norm(),
        ]);
        tr
    };
    record(net, 0, &mut rows);
    for epoch in 1..=fit.epochs {
        let loss = train_epoch(net, o.as_mut(), train, fit.batch, rng);
        if !loss.is_finite() {
            // Diverged: logged as an infinite loss and chance-or-worse error, then stop.
            let _ = run;
            rows.push(vec![
                epoch as f64,
                f64::INFINITY,
                1.0,
                f64::INFINITY,
                1.0,
                f64::NAN,
            ]);
            break;
        }
        if fit.lr_decay != 1.0 {
            let lr = o.lr() * fit.lr_decay;
            o.set_lr(lr);
        }
        if let (Some((start, step, max)), Opt::Sgd { .. }) = (fit.momentum_ramp, opt) {
            let momentum = (start + epoch as f64 * step).min(max);
            let mut next = Sgd::new(
                net.params(),
                SgdConfig {
                    lr: o.lr(),
                    momentum,
                    ..Default::default()
                },
            );
            next.load_state(&o.state())
                .map_err(|e| crate::error::Error::Other(format!("momentum ramp: {e}")))?;
            o = Box::new(next);
        }
        if fit.eval_at.contains(&epoch) || epoch == fit.epochs {
            let tr = record(net, epoch, &mut rows);
            if fit.stop_loss.is_some_and(|s| tr.err == 0.0 && tr.loss < s) {
                break;
            }
        }
    }
    Ok(Trace {
        columns: [
            "t",
            "train_loss",
            "train_err",
            "test_loss",
            "test_err",
            "l2_norm",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
        rows,
    })
}

/// The last row's value of `col`.
pub fn last(trace: &Trace, col: &str) -> f64 {
    trace.col(col).last().copied().unwrap_or(f64::NAN)
}
