//! Protocol 8b (the "size of weights" table, Soudry et al. 2018 Table 1, on MNIST instead of
//! CIFAR-10): an MLP trained with SGD+momentum at a constant learning rate far past zero
//! training error. The weight norm keeps growing (like log t), the training loss goes to 0, the
//! validation loss rises while the validation error falls or stays.
//!
//! Protocol as run: an MLP `784-256-256-10` (`784-128-10` with `--quick`) with biases and He
//! init, on 5000 MNIST training images with the 10k test images as validation set (1000 / 2000
//! quick), trained by SGD with learning rate 0.05 and momentum 0.9 (constant), batch 128, for 500
//! epochs (200 quick), evaluated at log-spaced epochs (the table of the summary's notes). Claims:
//! the final training error is 0 and the training cross-entropy below 1e-3 (1e-2 quick); the
//! weight norm at the end exceeds that at the first logged epoch with zero training error and
//! never falls by more than 0.1% between logged epochs; the final validation loss is at least
//! 1.1 times its minimum while the validation error at the end is at most 0.5 point above its
//! value at that minimum.
//!
//! The run is one checkpointed run of [`Fit`] (a runner step is one mini-batch step; the trace's
//! `epoch` column gives the epoch of each row). Cost: `epochs * n * (784*256 + 256*256 + 256*10)`
//! multiply-adds, times about 3 for the backward pass, for `n` training rows (linear in rows and,
//! through the first layer, in features), plus one evaluation of train and validation rows per
//! logged epoch.

use rand::Rng;

use super::nets::{self, Fit, Opt};
use crate::data;
use crate::error::Result;
use crate::runner::Ctx;
use crate::runner::{Claim, Summary};
use crate::runner::{Figure, Series};
use crate::stats::log_points;
use crate::Experiment;

/// The registry entry (listed by `experiments list`).
pub const EXPERIMENT: Experiment = Experiment {
    name: "norm_growth",
    items: "8b",
    claim:
        "an MNIST MLP trained with SGD+momentum far past zero training error: weight norm grows, \
            training loss -> 0, validation loss rises while validation error falls or stays",
    takes_data: true,
    params: &[],
    run,
};

/// Runs protocol 8b; `--data FILE` replaces MNIST.
pub fn run(ctx: &Ctx) -> Result<Summary> {
    let mut s = Summary::default();
    let mut split = data::load(ctx.config.data.as_deref(), &mut ctx.rng("split"))?;
    let (n_train, n_test) = ctx.pick((5000, 10_000), (1000, 2000));
    split.train = split.train.subsample(n_train, &mut ctx.rng("train-subset"));
    split.test = split.test.subsample(n_test, &mut ctx.rng("val-subset"));
    let hidden = ctx.pick(vec![256, 256], vec![128]);
    let mut sizes = vec![split.train.d];
    sizes.extend(&hidden);
    sizes.push(split.train.k);
    let epochs = ctx.pick(500, 200);
    let eval_at: Vec<usize> = log_points(epochs as u64, 6)
        .into_iter()
        .map(|e| e as usize)
        .filter(|&e| e >= 1)
        .collect();
    let fit = Fit {
        train: &split.train,
        test: &split.test,
        epochs,
        batch: 128,
        eval_at: eval_at.clone(),
        stop_loss: None,
        lr_decay: 1.0,
    };
    let opt = Opt::Sgd {
        lr: 0.05,
        momentum: 0.9,
    };
    s.notes.push(format!(
        "8b: {}; train {} / validation {} samples (validation = MNIST test images); net {:?} with biases, He init; SGD lr 0.05 momentum 0.9 constant, batch 128, {epochs} epochs, logged at log-spaced epochs. 'l2 norm' is the norm of all weights (the paper's table uses the last layer)",
        split.source, split.train.n(), split.test.n(), sizes
    ));
    let mut net = nets::mlp(&sizes, true, 0.0, &mut ctx.rng("init"));
    let sgd = opt.build(&mut net);
    let tr = fit.run(ctx, "sgd", net, sgd, ctx.rng("batches").gen())?;
    ctx.write_trace(&mut s, "8b_norm_growth", &tr)?;
    let (ep, norm, tl, te, vl, ve) = (
        tr.col("epoch"),
        tr.col("l2_norm"),
        tr.col("train_loss"),
        tr.col("train_err"),
        tr.col("test_loss"),
        tr.col("test_err"),
    );
    let mut table = vec![
        "| epoch | l2 norm | train loss | train error | val loss | val error |".to_string(),
        "|---|---|---|---|---|---|".to_string(),
    ];
    for i in 1..ep.len() {
        table.push(format!(
            "| {} | {:.2} | {:.2e} | {:.2}% | {:.3} | {:.2}% |",
            ep[i],
            norm[i],
            tl[i],
            100.0 * te[i],
            vl[i],
            100.0 * ve[i]
        ));
        s.report(&format!("epoch_{:04}_l2_norm", ep[i] as u64), norm[i]);
        s.report(&format!("epoch_{:04}_train_loss", ep[i] as u64), tl[i]);
        s.report(&format!("epoch_{:04}_train_err", ep[i] as u64), te[i]);
        s.report(&format!("epoch_{:04}_val_loss", ep[i] as u64), vl[i]);
        s.report(&format!("epoch_{:04}_val_err", ep[i] as u64), ve[i]);
    }
    s.notes.push(format!("8b table:\n{}", table.join("\n")));
    let k = ep.len() - 1;
    // The first logged epoch with zero training error.
    let i0 = (1..ep.len()).find(|&i| te[i] == 0.0).unwrap_or(k);
    s.claim(
        Claim::at_most(
            "8b: the training error reaches 0",
            "final training error",
            te[k],
            0.0,
        )
        .sanity(),
    );
    s.claim(
        Claim::below(
            "8b: the training loss falls towards 0",
            "final training CE",
            tl[k],
            ctx.pick(1e-3, 1e-2),
        )
        .sanity(),
    );
    s.claim(Claim::above(
        "8b: the weight norm keeps growing after zero training error",
        "||w||(final) / ||w||(first epoch with train error 0)",
        norm[k] / norm[i0],
        1.0,
    ));
    let grows = (2..ep.len()).all(|i| norm[i] >= norm[i - 1] * (1.0 - 1e-3));
    s.claim(Claim::is_true(
        "8b: the weight norm is non-decreasing over the logged epochs (tol 0.1%)",
        "norm[i] >= 0.999 norm[i-1]",
        grows,
    ));
    let (imin, vmin) = (1..ep.len())
        .map(|i| (i, vl[i]))
        .fold((1, f64::INFINITY), |a, b| if b.1 < a.1 { b } else { a });
    s.claim(Claim::at_least(
        "8b: the validation loss rises after its minimum",
        "final val loss / min val loss",
        vl[k] / vmin,
        1.1,
    ));
    s.claim(Claim::at_most(
        "8b: the validation error falls or stays meanwhile",
        "final val error - val error at argmin val loss",
        ve[k] - ve[imin],
        0.005,
    ));
    s.report("epoch_of_min_val_loss", ep[imin]);
    let pts = |c: &[f64]| (ep[1..].to_vec(), c[1..].to_vec());
    let mut fig = Figure::new(
        "8b_norm_growth",
        "8b: MNIST MLP, SGD+momentum far past zero training error",
        "epoch",
        "value (log)",
        true,
        true,
    );
    for (name, col) in [
        (
            "l2 norm / 10",
            norm.iter().map(|v| v / 10.0).collect::<Vec<_>>(),
        ),
        ("train loss", tl.clone()),
        ("val loss", vl.clone()),
        ("val error", ve.clone()),
    ] {
        let (x, y) = pts(&col);
        fig = fig.with(Series::new(name, &x, &y));
    }
    ctx.save_figure(&mut s, &fig)?;
    Ok(s)
}
