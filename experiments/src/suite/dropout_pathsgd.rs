//! Protocol 9 (Neyshabur, Salakhutdinov, Srebro 2015): Path-SGD, steepest descent w.r.t. the
//! path regularizer, is invariant to node rescaling, so from an unbalanced initialization (a
//! balanced one with random node rescalings, the same function) it trains as fast as from the
//! balanced one, while SGD slows down; the comparison is repeated with dropout.

use crate::Experiment;
use autograd::{Float, Tensor};
use optim::Optimizer;
use rand::Rng;

use super::nets::{self, Fit, Net, Opt};
use crate::data::{self, Labeled};
use crate::error::Result;
use crate::runner::{Claim, Summary};
use crate::runner::{Ctx, Trace};
use crate::runner::{Figure, Series};

/// The registry entry (listed by `experiments list`).
pub const EXPERIMENT: Experiment = Experiment {
    name: "dropout_pathsgd",
    items: "9",
    claim:
        "Path-SGD is invariant to node rescaling and, from an unbalanced initialization, trains \
            much faster than SGD; with and without dropout on MNIST",
    takes_data: true,
    run,
};

/// One mini-batch step of `opt` on `net` (any float type).
fn step<T: Float>(net: &Net<T>, opt: &mut dyn Optimizer<T>, x: &Tensor<T>, y: &[usize]) {
    let loss = nn::Module::forward(&net.seq, x).softmax_cross_entropy(y);
    opt.zero_grad();
    loss.backward();
    opt.step();
}

/// Part 1 (f64): 100 steps from a net and from its node-rescaled copy on the same batches;
/// returns the largest relative difference of their outputs on a probe batch over the steps.
fn invariance(ctx: &Ctx, opt: Opt) -> f64 {
    let sizes = [10, 50, 50, 5];
    let mut rng = ctx.rng("inv-data");
    let xs: Vec<f64> = (0..200 * 10).map(|_| rng.gen_range(-1.0..1.0)).collect();
    let ys: Vec<usize> = (0..200).map(|_| rng.gen_range(0..5)).collect();
    let a = Net::<f64>::new(&sizes, false, 0.0, &mut ctx.rng("inv-init"));
    let b = Net::<f64>::new(&sizes, false, 0.0, &mut ctx.rng("inv-init"));
    b.rescale_nodes(10.0, &mut ctx.rng("inv-rescale"));
    let mut oa = opt.build(&a);
    let mut ob = opt.build(&b);
    let probe = Tensor::from_vec(xs[..50 * 10].to_vec(), [50, 10]).expect("shape");
    let mut worst: f64 = 0.0;
    for t in 0..100 {
        let lo = (t * 10) % 200;
        let x = Tensor::from_vec(xs[lo * 10..(lo + 10) * 10].to_vec(), [10, 10]).expect("shape");
        let y = &ys[lo..lo + 10];
        step(&a, oa.as_mut(), &x, y);
        step(&b, ob.as_mut(), &x, y);
        let fa = nn::Module::forward(&a.seq, &probe).to_vec();
        let fb = nn::Module::forward(&b.seq, &probe).to_vec();
        worst = worst.max(crate::stats::rel_dist(&fb, &fa));
    }
    worst
}

/// The learning rate of `make(lr)` in `grid` with the lowest training CE after `epochs` epochs.
#[allow(clippy::too_many_arguments)]
fn tune(
    ctx: &Ctx,
    label: &str,
    sizes: &[usize],
    unbalanced: bool,
    train: &Labeled,
    grid: &[f64],
    epochs: usize,
    make: fn(f64) -> Opt,
) -> Result<f64> {
    let fit = Fit {
        epochs,
        batch: 100,
        eval_at: vec![],
        stop_loss: None,
        lr_decay: 1.0,
        momentum_ramp: None,
    };
    let losses = ctx.par_map(grid, |&lr| {
        let mut net = init(ctx, sizes, unbalanced, 0.0);
        let tr = nets::fit(
            &mut net,
            make(lr),
            train,
            &train.select(&[0]),
            &fit,
            &mut ctx.rng(&format!("tune-{label}")),
            ctx.name,
        )?;
        Ok(nets::last(&tr, "train_loss"))
    })?;
    let best = (0..grid.len())
        .min_by(|&i, &j| losses[i].total_cmp(&losses[j]))
        .unwrap_or(0);
    Ok(grid[best])
}

fn init(ctx: &Ctx, sizes: &[usize], unbalanced: bool, dropout: f64) -> Net {
    let net = Net::new(sizes, false, dropout, &mut ctx.rng("init"));
    if unbalanced {
        net.rescale_nodes(10.0, &mut ctx.rng("rescale"));
    }
    net
}

/// First epoch at which `trace`'s training CE is `<= target` (infinite if never).
fn epochs_to(trace: &Trace, target: f64) -> f64 {
    let (t, l) = (trace.t(), trace.col("train_loss"));
    (0..t.len())
        .find(|&i| l[i] <= target)
        .map_or(f64::INFINITY, |i| t[i])
}

/// Runs protocol 9; `--data FILE` replaces MNIST in the training comparison.
pub fn run(ctx: &Ctx) -> Result<Summary> {
    let mut s = Summary::default();
    let inv_path = invariance(ctx, Opt::PathSgd { lr: 0.05 });
    let inv_sgd = invariance(
        ctx,
        Opt::Sgd {
            lr: 0.05,
            momentum: 0.0,
        },
    );
    s.claim(Claim::below("9: Path-SGD is invariant to node rescaling (f64, 100 steps, net 10-50-50-5, c ~ LogU[0.1, 10])", "max rel. difference of outputs", inv_path, 1e-9));
    s.claim(Claim::above(
        "9: SGD is not invariant to node rescaling",
        "max rel. difference of outputs",
        inv_sgd,
        1e-2,
    ));

    let mut split = data::load(ctx.config.data.as_deref(), &mut ctx.rng("split"))?;
    let (n_train, n_test) = ctx.pick((5000, 10_000), (1000, 2000));
    split.train = split.train.subsample(n_train, &mut ctx.rng("train-subset"));
    split.test = split.test.subsample(n_test, &mut ctx.rng("test-subset"));
    let h = ctx.pick(256, 64);
    let sizes = vec![split.train.d, h, h, split.train.k];
    let epochs = ctx.pick(20, 8);
    let tune_epochs = ctx.pick(2, 1);
    let sgd_grid: Vec<f64> = (-8..=0).map(|k| 2f64.powi(k)).collect();
    let path_grid: Vec<f64> = (-7..=1).map(|k| 2f64.powi(k)).collect();
    let sgd = |lr| Opt::Sgd { lr, momentum: 0.0 };
    let path = |lr| Opt::PathSgd { lr };
    let lr_sgd_bal = tune(
        ctx,
        "sgd-bal",
        &sizes,
        false,
        &split.train,
        &sgd_grid,
        tune_epochs,
        sgd,
    )?;
    let lr_sgd_unbal = tune(
        ctx,
        "sgd-unbal",
        &sizes,
        true,
        &split.train,
        &sgd_grid,
        tune_epochs,
        sgd,
    )?;
    let lr_path = tune(
        ctx,
        "path-bal",
        &sizes,
        false,
        &split.train,
        &path_grid,
        tune_epochs,
        path,
    )?;
    for (k, v) in [
        ("lr_sgd_balanced", lr_sgd_bal),
        ("lr_sgd_unbalanced", lr_sgd_unbal),
        ("lr_path_sgd", lr_path),
    ] {
        s.report(k, v);
    }
    s.notes.push(format!(
        "9: {}; train {} / test {}; bias-free ReLU net {:?}, He init; unbalanced = each hidden unit rescaled by c ~ LogU[0.1, 10] (in c, out 1/c); batch 100, {epochs} epochs; lr tuned over 2^k ({tune_epochs} epoch(s), lowest training CE): SGD separately per init, Path-SGD once on the balanced init and reused; dropout 0.5 after each hidden ReLU. Paper: 2 x 4000 units, several data sets (not feasible here)",
        split.source, split.train.n(), split.test.n(), sizes
    ));
    let runs: Vec<(&str, Opt, bool, f64)> = vec![
        ("SGD balanced", sgd(lr_sgd_bal), false, 0.0),
        ("SGD unbalanced", sgd(lr_sgd_unbal), true, 0.0),
        ("Path-SGD balanced", path(lr_path), false, 0.0),
        ("Path-SGD unbalanced", path(lr_path), true, 0.0),
        ("SGD+dropout unbalanced", sgd(lr_sgd_unbal), true, 0.5),
        ("Path-SGD+dropout unbalanced", path(lr_path), true, 0.5),
    ];
    // Path-SGD runs 1.5x the epochs: the criterion is reaching SGD(balanced)'s final CE
    // within 1.5x SGD's budget.
    let long = epochs * 3 / 2;
    let traces = ctx.par_map(&runs, |(_, opt, unbalanced, dropout)| {
        let e = if matches!(opt, Opt::PathSgd { .. }) {
            long
        } else {
            epochs
        };
        let fit = Fit {
            epochs: e,
            batch: 100,
            eval_at: (1..=e).collect(),
            stop_loss: None,
            lr_decay: 1.0,
            momentum_ramp: None,
        };
        let mut net = init(ctx, &sizes, *unbalanced, *dropout);
        nets::fit(
            &mut net,
            *opt,
            &split.train,
            &split.test,
            &fit,
            &mut ctx.rng("batches"),
            ctx.name,
        )
    })?;
    let mut figs = vec![
        Figure::new(
            "9_train_loss",
            "9: training cross-entropy vs epoch",
            "epoch",
            "train CE",
            false,
            true,
        ),
        Figure::new(
            "9_train_error",
            "9: training error vs epoch",
            "epoch",
            "train error",
            false,
            false,
        ),
        Figure::new(
            "9_test_error",
            "9: test error vs epoch",
            "epoch",
            "test error",
            false,
            false,
        ),
    ];
    for ((name, ..), tr) in runs.iter().zip(&traces) {
        ctx.write_trace(&mut s, &format!("9_{}", name.replace([' ', '+'], "_")), tr)?;
        for (fig, col) in figs.iter_mut().zip(["train_loss", "train_err", "test_err"]) {
            *fig = fig.clone().with(Series::from_trace(name, tr, col));
        }
        s.report(
            &format!("{name} final train CE"),
            nets::last(tr, "train_loss"),
        );
        s.report(
            &format!("{name} final train error"),
            nets::last(tr, "train_err"),
        );
        s.report(
            &format!("{name} final test error"),
            nets::last(tr, "test_err"),
        );
    }
    for fig in &figs {
        ctx.save_figure(&mut s, fig)?;
    }
    // Training CE of run i after `epochs` epochs (the SGD budget).
    let ce = |i: usize| {
        crate::stats::value_at(&traces[i].t(), &traces[i].col("train_loss"), epochs as f64)
    };
    let target = ce(0);
    for (i, (name, ..)) in runs.iter().enumerate() {
        let e = epochs_to(&traces[i], target);
        if e.is_finite() {
            s.report(&format!("{name} epochs to SGD(balanced)'s final CE"), e);
        } else {
            s.notes.push(format!(
                "9: {name} does not reach SGD(balanced)'s final CE {target:.4} in its budget"
            ));
        }
        s.report(&format!("{name} train CE at epoch {epochs}"), ce(i));
    }
    let sgd_unbal_to = epochs_to(&traces[1], target);
    s.claim(Claim::is_true(
        "9: SGD from the unbalanced init does not reach SGD(balanced)'s final CE within the budget, or ends >= 2x it",
        "epochs_to(SGD unbalanced) > budget or CE ratio >= 2",
        sgd_unbal_to > epochs as f64 || ce(1) >= 2.0 * target,
    ));
    s.report(
        "SGD(unbalanced) / SGD(balanced) CE at the budget",
        ce(1) / target,
    );
    s.claim(Claim::at_most(
        "9: Path-SGD from the unbalanced init reaches SGD(balanced)'s final CE within 1.5x the epochs",
        "epochs to reach it / SGD budget",
        epochs_to(&traces[3], target) / epochs as f64,
        1.5,
    ));
    s.claim(Claim::at_most(
        "9: Path-SGD trains faster than SGD from the unbalanced init",
        "CE at the budget: Path-SGD(unbalanced) / SGD(unbalanced)",
        ce(3) / ce(1),
        1.0,
    ));
    s.claim(Claim::within(
        "9: Path-SGD trains as fast from the unbalanced init as from the balanced one (same lr)",
        "CE at the budget: Path-SGD(unbalanced) / Path-SGD(balanced)",
        ce(3) / ce(2),
        0.67,
        1.5,
    ));
    s.report(
        "with dropout: CE at the budget Path-SGD / SGD (unbalanced)",
        ce(5) / ce(4),
    );
    Ok(s)
}
