//! Protocol 6 (Wilson, Roelofs, Stern, Srebro, Recht 2017): adaptive methods find worse
//! solutions. (a) On the constructed least-squares problem, GD, SGD and heavy ball (from 0)
//! reach the min-l2 interpolant, which classifies fresh points perfectly; AdaGrad, RMSprop and
//! Adam stay on the ray `sign(X^T y)` and predict +1 everywhere. (b) An MLP on MNIST trained to
//! zero training error with SGD+momentum, AdaGrad and Adam: test errors and weight norms, with
//! no claim on which way they go.
//!
//! Protocol as run. (a) Wilson et al.'s construction with `n = 100`, `p = 0.55`: `y_i = +1` with
//! probability `p`, `x_i = (y_i, 1, 1, unique features)` with 1 unique feature for a positive
//! and 5 for a negative sample (`d = 3 + n_+ + 5 n_-`). From `w = 0`, on
//! `0.5 ||X w - y||^2`: GD (`lr = 1 / sigma_max(X)^2`), one-sample SGD
//! (`lr = 0.1 / max ||x_i||^2`, 1e5 steps), heavy ball 0.9 (`lr = 0.1 / sigma_max^2`), AdaGrad
//! (lr 0.1), RMSprop (lr 1e-3, alpha 0.9), Adam (lr 1e-3), eps 1e-10, 1e5 steps (2e4 quick for
//! the full-batch methods). Claims: GD, SGD, heavy ball have zero error on 10 000 fresh points
//! and are within 1e-5 of the min-l2 interpolant `X^+ y`; the adaptive methods have
//! `cos(w, sign(X^T y)) > 0.999`, predict +1 on every fresh point, and err on the fraction of
//! negatives (within 0.02). (b) An MLP `784-256-256-10` (`784-128-10` quick), biases, He init,
//! batch 128, on 5000 MNIST training images and the 10k test set (1000 / 2000 quick), trained by
//! SGD (lr 0.05, momentum 0.9), AdaGrad (lr 0.01) and Adam (lr 1e-3) until the training error is
//! 0 and the training cross-entropy below 0.01 (at most 100 epochs, 60 quick), 3 seeds (also
//! quick); claim: each reaches zero training error.
//!
//! Every run is a checkpointed run of the runner: in (a) the model is a bias-free
//! `nn::Linear` (weight `[1, d]`) and the loss the tensor op `n * squared_loss` (the sum), or one
//! row drawn by the run's RNG per SGD step; (b) is a [`Fit`] run per optimizer and seed. Cost:
//! (a) a full-batch step is two dense products with the `n x d` matrix (`2 n d` multiply-adds),
//! an SGD step `2 d`; (b) `epochs * n * (784*256 + 256*256 + 256*10)` multiply-adds times about
//! 3 per run, plus an evaluation of train and test rows every epoch: linear in rows and features.

use autograd::{no_grad, Tensor};
use nn::{Linear, Module};
use optim::{
    Adagrad, AdagradConfig, Adam, AdamConfig, Optimizer, RmsProp, RmsPropConfig, Sgd, SgdConfig,
};
use rand::Rng;

use super::nets::{self, Fit, Opt};
use crate::data;
use crate::data::synthetic::wilson;
use crate::error::{Error, Result};
use crate::reference::{interpolation_residual, min_l2_interpolant, Matrix};
use crate::runner::{Claim, Summary};
use crate::runner::{Ctx, Training};
use crate::runner::{Figure, Series};
use crate::stats::{log_points, one_minus_cos, rel_dist};
use crate::Experiment;

/// The registry entry (listed by `experiments list`).
pub const EXPERIMENT: Experiment = Experiment {
    name: "adaptive_vs_sgd",
    items: "6",
    claim: "adaptive methods (AdaGrad, RMSprop, Adam) find the sign(X^T y) solution and predict +1 \
            everywhere on Wilson et al.'s construction while GD/SGD/heavy ball find the min-norm one \
            with zero test error; an MNIST MLP trained to zero training error by SGD+momentum, \
            AdaGrad and Adam (test errors and weight norms reported)",
    takes_data: true,
    params: &[],
    run,
};

/// Builds an optimizer on the parameters of the linear model.
type Make = Box<dyn Fn(Vec<Tensor<f64>>) -> Box<dyn Optimizer<f64>> + Sync>;

/// Plain SGD (full-batch GD or one-sample SGD, heavy ball when `momentum > 0`) with step `lr`.
fn sgd(lr: f64, momentum: f64) -> Make {
    Box::new(move |w| {
        let config = SgdConfig {
            lr,
            momentum,
            ..Default::default()
        };
        Box::new(Sgd::new(w, config))
    })
}

/// The Wilson least-squares problem as tensors: `X` (`[n, d]`), `y` (`[n, 1]`), and each
/// sample's `(x_i, y_i)` (`[1, d]`, `[1, 1]`) for one-sample SGD.
struct Problem {
    x: Tensor<f64>,
    y: Tensor<f64>,
    samples: Vec<(Tensor<f64>, Tensor<f64>)>,
}

impl Problem {
    fn new(x: &Matrix, y: &[f64]) -> Self {
        let column = |v: &[f64]| Tensor::from_vec(v.to_vec(), [v.len(), 1]).expect("shape");
        let samples = (0..x.rows)
            .map(|i| {
                let xi = Tensor::from_vec(x.row(i).to_vec(), [1, x.cols]).expect("shape");
                (xi, column(&y[i..=i]))
            })
            .collect();
        Problem {
            x: x.to_tensor(),
            y: column(y),
            samples,
        }
    }

    /// `0.5 ||X w - y||^2 = n * squared_loss` (a sum over the samples, as in the protocol).
    fn objective(&self, m: &Linear<f64>) -> Tensor<f64> {
        m.forward(&self.x)
            .squared_loss(&self.y)
            .mul_scalar(self.samples.len() as f64)
    }
}

/// A run from `w = 0` (a bias-free `nn::Linear` with weight `[1, d]`) of the optimizer `make`
/// builds, on `0.5 ||Xw - y||^2` (full batch) or, with `one_sample`, on
/// `0.5 (<x_i, w> - y_i)^2` for a row `i` drawn uniformly by the run's RNG at every step; logs
/// the objective and the distance to the min-l2 interpolant `w_star`.
fn wilson_run<'a>(
    problem: &'a Problem,
    make: &Make,
    one_sample: bool,
    w_star: &'a [f64],
) -> Training<'a, f64, Linear<f64>, Box<dyn Optimizer<f64>>> {
    let d = problem.x.dims()[1];
    let mut model = Linear::from_tensors(Tensor::zeros([1, d]).requires_grad(), None);
    let opt = make(nn::params::tensors(&mut model));
    Training::new(model, opt)
        .loss(move |m, rng, _t| {
            if one_sample {
                let (xi, yi) = &problem.samples[rng.gen_range(0..problem.samples.len())];
                m.forward(xi).squared_loss(yi)
            } else {
                problem.objective(m)
            }
        })
        .log(&["objective", "rel_dist_min_norm"], move |m, _t| {
            let objective = no_grad(|| problem.objective(m).item());
            vec![objective, rel_dist(&m.weight.to_vec(), w_star)]
        })
}

/// Part (a): the six optimizers on Wilson et al.'s least-squares construction.
fn part_a(ctx: &Ctx, s: &mut Summary) -> Result<()> {
    let (x, y) = wilson(&mut ctx.rng("wilson"), 100, 0.55);
    let (n, d) = (x.rows, x.cols);
    let neg_train = y.iter().filter(|&&v| v < 0.0).count();
    s.report("a_n_negatives_train", neg_train as f64);
    s.report("a_d", d as f64);
    let w_star = min_l2_interpolant(&x, &y)
        .map_err(|e| Error::reference("6a: min-l2 interpolant", e))?
        .w;
    s.report(
        "6a: the min-l2 interpolant's ||X w - y|| / (1 + ||y||) (reference accuracy)",
        interpolation_residual(&x, &y, &w_star),
    );
    let u: Vec<f64> = (0..d)
        .map(|j| (0..n).map(|i| x.data[i * d + j] * y[i]).sum::<f64>())
        .collect();
    let sign_u: Vec<f64> = u
        .iter()
        .map(|&v| {
            if v > 0.0 {
                1.0
            } else if v < 0.0 {
                -1.0
            } else {
                0.0
            }
        })
        .collect();
    // Fresh test points share only features 1-3 with the training set (their unique features
    // are new, with weight 0), so only y_test and the constant features matter.
    let mut trng = ctx.rng("wilson-test");
    let y_test: Vec<f64> = (0..10_000)
        .map(|_| if trng.gen_bool(0.55) { 1.0 } else { -1.0 })
        .collect();
    let frac_neg = y_test.iter().filter(|&&v| v < 0.0).count() as f64 / y_test.len() as f64;
    s.report("a_test_fraction_negative", frac_neg);
    let test = |w: &[f64]| -> (f64, f64) {
        let preds: Vec<f64> = y_test
            .iter()
            .map(|&yt| {
                if w[0] * yt + w[1] + w[2] > 0.0 {
                    1.0
                } else {
                    -1.0
                }
            })
            .collect();
        let err =
            preds.iter().zip(&y_test).filter(|(p, t)| p != t).count() as f64 / y_test.len() as f64;
        let pos = preds.iter().filter(|&&p| p > 0.0).count() as f64 / preds.len() as f64;
        (err, pos)
    };
    let smax = x.sigma_max_sq();
    let max_row = (0..n)
        .map(|i| x.row(i).iter().map(|v| v * v).sum::<f64>())
        .fold(0.0, f64::max);
    let steps = ctx.pick(100_000, 20_000);
    let runs: Vec<(&str, bool, bool, Make)> = vec![
        ("GD", false, false, sgd(1.0 / smax, 0.0)),
        ("SGD", true, false, sgd(0.1 / max_row, 0.0)),
        ("heavy ball 0.9", false, false, sgd(0.1 / smax, 0.9)),
        (
            "AdaGrad",
            false,
            true,
            Box::new(|w| {
                Box::new(Adagrad::new(
                    w,
                    AdagradConfig {
                        lr: 0.1,
                        eps: 1e-10,
                        ..Default::default()
                    },
                ))
            }),
        ),
        (
            "RMSprop",
            false,
            true,
            Box::new(|w| {
                Box::new(RmsProp::new(
                    w,
                    RmsPropConfig {
                        lr: 1e-3,
                        alpha: 0.9,
                        eps: 1e-10,
                        ..Default::default()
                    },
                ))
            }),
        ),
        (
            "Adam",
            false,
            true,
            Box::new(|w| {
                Box::new(Adam::new(
                    w,
                    AdamConfig {
                        lr: 1e-3,
                        eps: 1e-10,
                        ..Default::default()
                    },
                ))
            }),
        ),
    ];
    let problem = Problem::new(&x, &y);
    let trained = ctx.par_map(&runs, |(name, one_sample, _, make)| {
        // SGD takes one sample per step: 1e5 steps (the protocol's count) in both modes.
        let steps = if *one_sample { 100_000 } else { steps };
        let training = wilson_run(&problem, make, *one_sample, &w_star);
        let run = format!("6a_{}", name.replace(' ', "_"));
        let trained = ctx.train(&run, training, steps, &log_points(steps, 5))?;
        Ok((run, trained.model.weight.to_vec(), trained.trace))
    })?;
    let mut names = Vec::new();
    let mut errs = Vec::new();
    for ((name, _, adaptive, _), (run, w, trace)) in runs.iter().zip(&trained) {
        ctx.write_trace(s, run, trace)?;
        let (err, pos) = test(w);
        let dist = rel_dist(w, &w_star);
        let cos = 1.0 - one_minus_cos(w, &sign_u);
        s.report(&format!("a_{name}_test_error"), err);
        s.report(&format!("a_{name}_rel_dist_min_norm"), dist);
        s.report(&format!("a_{name}_cos_sign_xty"), cos);
        if *adaptive {
            s.claim(Claim::above(
                &format!("6a: {name} stays on the ray sign(X^T y)"),
                "cos(w, sign(X^T y))",
                cos,
                0.999,
            ));
            // Predicting +1 everywhere makes the test error the fraction of negatives: one
            // claim (below), the difference reported.
            s.report(
                &format!("a_{name}_test_error_minus_fraction_of_negatives"),
                err - frac_neg,
            );
            s.claim(Claim::at_least(
                &format!("6a: {name} predicts +1 on every test point"),
                "fraction of +1 predictions",
                pos,
                1.0,
            ));
        } else {
            s.claim(Claim::at_most(
                &format!("6a: {name} has zero test error"),
                "test error",
                err,
                0.0,
            ));
            s.claim(Claim::below(
                &format!("6a: {name} reaches the min-l2 interpolant"),
                "||w - X^+ y|| / ||X^+ y||",
                dist,
                1e-5,
            ));
        }
        names.push(name.to_string());
        errs.push(err);
    }
    let idx: Vec<f64> = (0..names.len()).map(|i| i as f64).collect();
    s.notes.push(format!(
        "6a: runs in order {} (x axis of 6a_test_error)",
        names.join(", ")
    ));
    let fig = Figure::new(
        "6a_test_error",
        "6a: test error on fresh points (0 = min norm; ~0.45 = always +1)",
        "optimizer (GD, SGD, HB, AdaGrad, RMSprop, Adam)",
        "test error",
        false,
        false,
    )
    .with(Series::new("test error", &idx, &errs))
    .with(Series::new(
        "fraction of negatives",
        &[0.0, 5.0],
        &[frac_neg, frac_neg],
    ));
    ctx.save_figure(s, &fig)
}

/// Part (b): the MNIST MLP trained to zero training error by SGD+momentum, AdaGrad and Adam.
fn part_b(ctx: &Ctx, s: &mut Summary) -> Result<()> {
    let mut split = data::load(ctx.config.data.as_deref(), &mut ctx.rng("split"))?;
    let (n_train, n_test) = ctx.pick((5000, 10_000), (1000, 2000));
    split.train = split.train.subsample(n_train, &mut ctx.rng("train-subset"));
    split.test = split.test.subsample(n_test, &mut ctx.rng("test-subset"));
    let hidden = ctx.pick(vec![256, 256], vec![128]);
    // Three seeds also in quick mode, so that quick runs make the full run's claims.
    let seeds = 3;
    let mut sizes = vec![split.train.d];
    sizes.extend(&hidden);
    sizes.push(split.train.k);
    let opts = [
        Opt::Sgd {
            lr: 0.05,
            momentum: 0.9,
        },
        Opt::Adagrad { lr: 0.01 },
        Opt::Adam { lr: 1e-3 },
    ];
    let fit = Fit {
        train: &split.train,
        test: &split.test,
        epochs: ctx.pick(100, 60),
        batch: 128,
        eval_at: (1..=100).collect(),
        stop_loss: Some(1e-2),
        lr_decay: 1.0,
    };
    s.notes.push(format!(
        "6b: {}; net {:?}, batch 128, He init; trained until training error 0 and training CE < 0.01 (at most {} epochs); {} seed(s); SGD lr 0.05 momentum 0.9, AdaGrad lr 0.01, Adam lr 1e-3 (untuned); train {} / test {} samples",
        split.source, sizes, fit.epochs, seeds, split.train.n(), split.test.n()
    ));
    let jobs: Vec<(Opt, u64)> = opts
        .iter()
        .flat_map(|&o| (0..seeds).map(move |k| (o, k)))
        .collect();
    let results = ctx.par_map(&jobs, |&(opt, seed)| {
        let mut net = nets::mlp(&sizes, true, 0.0, &mut ctx.rng(&format!("6b-init-{seed}")));
        let o = opt.build(&mut net);
        let run = format!("6b-{}-seed{seed}", opt.name().replace([' ', '+'], "_"));
        let batch_seed = ctx.rng(&format!("6b-batches-{seed}")).gen();
        fit.run(ctx, &run, net, o, batch_seed)
    })?;
    let mut fig = Figure::new(
        "6b_test_error",
        "6b: MNIST MLP, test error vs epoch",
        "epoch",
        "test error",
        false,
        false,
    );
    for opt in &opts {
        let mut test_errs = Vec::new();
        let mut norms = Vec::new();
        for ((o, seed), tr) in jobs.iter().zip(&results) {
            if o != opt {
                continue;
            }
            let name = format!("6b_{}_seed{seed}", opt.name().replace([' ', '+'], "_"));
            s.claim(
                Claim::at_most(
                    &format!(
                        "6b: {} (seed {seed}) reaches zero training error",
                        opt.name()
                    ),
                    "final training error",
                    nets::last(tr, "train_err"),
                    0.0,
                )
                .sanity(),
            );
            test_errs.push(nets::last(tr, "test_err"));
            norms.push(nets::last(tr, "l2_norm"));
            s.report(
                &format!("b_{}_seed{seed}_epochs", opt.name()),
                nets::last(tr, "epoch"),
            );
            ctx.write_trace(s, &name, tr)?;
            if *seed == 0 {
                fig = fig.with(nets::by_epoch(&opt.name(), tr, "test_err"));
            }
        }
        let (m, sd) = mean_sd(&test_errs);
        let (nm, nsd) = mean_sd(&norms);
        s.report(&format!("b_{}_test_error_mean", opt.name()), m);
        s.report(&format!("b_{}_test_error_sd", opt.name()), sd);
        s.report(&format!("b_{}_l2_norm_mean", opt.name()), nm);
        s.report(&format!("b_{}_l2_norm_sd", opt.name()), nsd);
        s.notes.push(format!("6b: {}: test error {:.2}% +- {:.2} (mean +- sd over {} seeds), weight l2 norm {:.1} +- {:.1}", opt.name(), 100.0 * m, 100.0 * sd, test_errs.len(), nm, nsd));
    }
    ctx.save_figure(s, &fig)
}

/// Mean and sample standard deviation (0 for one value).
pub(crate) fn mean_sd(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    let sd = if v.len() > 1 {
        (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
    } else {
        0.0
    };
    (m, sd)
}

/// Runs protocol 6 (a) and (b); `--data FILE` replaces MNIST in (b).
pub fn run(ctx: &Ctx) -> Result<Summary> {
    let mut s = Summary::default();
    part_a(ctx, &mut s)?;
    part_b(ctx, &mut s)?;
    Ok(s)
}
