//! Protocol 6 (Wilson, Roelofs, Stern, Srebro, Recht 2017): adaptive methods find worse
//! solutions. (a) On the constructed least-squares problem, GD, SGD and heavy ball (from 0)
//! reach the min-l2 interpolant, which classifies fresh points perfectly; AdaGrad, RMSprop and
//! Adam stay on the ray `sign(X^T y)` and predict +1 everywhere. (b) An MLP on MNIST trained to
//! zero training error with SGD+momentum, AdaGrad and Adam: test errors and weight norms, with
//! no claim on which way they go.

use crate::Experiment;
use autograd::Tensor;
use optim::{
    Adagrad, AdagradConfig, Adam, AdamConfig, Optimizer, RmsProp, RmsPropConfig, Sgd, SgdConfig,
};
use rand::Rng;

use super::nets::{self, Fit, Net, Opt};
use crate::data;
use crate::data::synthetic::wilson;
use crate::error::{Error, Result};
use crate::linear::{sigma_max_sq, Matrix};
use crate::reference::min_l2_interpolant;
use crate::runner::Ctx;
use crate::runner::{Claim, Summary};
use crate::runner::{Figure, Series};
use crate::stats::{one_minus_cos, rel_dist};

/// The registry entry (listed by `experiments list`).
pub const EXPERIMENT: Experiment = Experiment {
    name: "adaptive_vs_sgd",
    items: "6",
    claim: "adaptive methods (AdaGrad, RMSprop, Adam) find the sign(X^T y) solution and predict +1 \
            everywhere on Wilson et al.'s construction while GD/SGD/heavy ball find the min-norm one \
            with zero test error; an MNIST MLP trained to zero training error by SGD+momentum, \
            AdaGrad and Adam (test errors and weight norms reported)",
    takes_data: true,
    run,
};

/// The sparse rows of the Wilson data: `(column, value)` pairs.
fn sparse_rows(x: &Matrix) -> Vec<Vec<(usize, f64)>> {
    (0..x.rows)
        .map(|i| {
            x.row(i)
                .iter()
                .enumerate()
                .filter(|(_, &v)| v != 0.0)
                .map(|(j, &v)| (j, v))
                .collect()
        })
        .collect()
}

/// Builds an optimizer for the weight vector `w`.
type Make = Box<dyn Fn(Tensor<f64>) -> Box<dyn Optimizer<f64>>>;

/// Plain SGD (full-batch GD or one-sample SGD, heavy ball when `momentum > 0`) with step `lr`.
fn sgd(lr: f64, momentum: f64) -> Make {
    Box::new(move |w| {
        let config = SgdConfig {
            lr,
            momentum,
            ..Default::default()
        };
        Box::new(Sgd::new(vec![w], config))
    })
}

/// Runs `steps` updates of `opt` on `0.5 ||Xw - y||^2` (full batch, or one sample per step when
/// `sgd`), the gradient computed from the sparse rows and handed to the optimizer as `w.grad`.
fn run_linear(
    rows: &[Vec<(usize, f64)>],
    y: &[f64],
    d: usize,
    make: &dyn Fn(Tensor<f64>) -> Box<dyn Optimizer<f64>>,
    steps: usize,
    sgd: bool,
    rng: &mut impl Rng,
) -> Vec<f64> {
    let w = Tensor::<f64>::zeros([d]).requires_grad();
    let mut opt = make(w.clone());
    let mut g = vec![0.0; d];
    for _ in 0..steps {
        g.iter_mut().for_each(|v| *v = 0.0);
        let wv = w.to_vec();
        let mut add = |i: usize| {
            let r: f64 = rows[i].iter().map(|&(j, v)| v * wv[j]).sum::<f64>() - y[i];
            for &(j, v) in &rows[i] {
                g[j] += r * v;
            }
        };
        if sgd {
            add(rng.gen_range(0..rows.len()));
        } else {
            (0..rows.len()).for_each(&mut add);
        }
        w.set_grad(Some(Tensor::from_vec(g.clone(), [d]).expect("grad shape")));
        opt.step();
    }
    w.to_vec()
}

fn part_a(ctx: &Ctx, s: &mut Summary) -> Result<()> {
    let (x, y) = wilson(&mut ctx.rng("wilson"), 100, 0.55);
    let (n, d) = (x.rows, x.cols);
    let rows = sparse_rows(&x);
    let neg_train = y.iter().filter(|&&v| v < 0.0).count();
    s.report("a_n_negatives_train", neg_train as f64);
    s.report("a_d", d as f64);
    let w_star = min_l2_interpolant(&x, &y)
        .map_err(|e| Error::reference("6a: min-l2 interpolant", e))?
        .w;
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
    let smax = sigma_max_sq(&x);
    let max_row = rows
        .iter()
        .map(|r| r.iter().map(|(_, v)| v * v).sum::<f64>())
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
                    vec![w],
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
                    vec![w],
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
                    vec![w],
                    AdamConfig {
                        lr: 1e-3,
                        eps: 1e-10,
                        ..Default::default()
                    },
                ))
            }),
        ),
    ];
    let mut names = Vec::new();
    let mut errs = Vec::new();
    for (name, sgd, adaptive, make) in &runs {
        let mut rng = ctx.rng(&format!("6a-{name}"));
        // SGD takes one sample per step: 1e5 steps (the protocol's count) in both modes.
        let w = run_linear(
            &rows,
            &y,
            d,
            make.as_ref(),
            if *sgd { 100_000 } else { steps },
            *sgd,
            &mut rng,
        );
        let (err, pos) = test(&w);
        let dist = rel_dist(&w, &w_star);
        let cos = 1.0 - one_minus_cos(&w, &sign_u);
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
            s.claim(Claim::within(
                &format!("6a: {name} test error = fraction of negatives"),
                "test error - fraction of negatives",
                err - frac_neg,
                -0.02,
                0.02,
            ));
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

fn part_b(ctx: &Ctx, s: &mut Summary) -> Result<()> {
    let mut split = data::load(ctx.config.data.as_deref(), &mut ctx.rng("split"))?;
    let (n_train, n_test) = ctx.pick((5000, 10_000), (1000, 2000));
    split.train = split.train.subsample(n_train, &mut ctx.rng("train-subset"));
    split.test = split.test.subsample(n_test, &mut ctx.rng("test-subset"));
    let hidden = ctx.pick(vec![256, 256], vec![128]);
    let seeds = ctx.pick(3, 1);
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
        epochs: ctx.pick(100, 60),
        batch: 128,
        eval_at: (1..=100).collect(),
        stop_loss: Some(1e-2),
        lr_decay: 1.0,
        momentum_ramp: None,
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
        let mut rng = ctx.rng(&format!("6b-init-{seed}"));
        let mut net = Net::new(&sizes, true, 0.0, &mut rng);
        nets::fit(
            &mut net,
            opt,
            &split.train,
            &split.test,
            &fit,
            &mut ctx.rng(&format!("6b-batches-{seed}")),
            ctx.name,
        )
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
            s.claim(Claim::at_most(
                &format!(
                    "6b: {} (seed {seed}) reaches zero training error",
                    opt.name()
                ),
                "final training error",
                nets::last(tr, "train_err"),
                0.0,
            ));
            test_errs.push(nets::last(tr, "test_err"));
            norms.push(nets::last(tr, "l2_norm"));
            s.report(
                &format!("b_{}_seed{seed}_epochs", opt.name()),
                nets::last(tr, "t"),
            );
            ctx.write_trace(s, &name, tr)?;
            if *seed == 0 {
                fig = fig.with(Series::from_trace(&opt.name(), tr, "test_err"));
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
