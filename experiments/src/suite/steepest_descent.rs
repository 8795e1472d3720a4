//! Protocol 3b: normalized steepest descent w.r.t. the l1 norm (coordinate descent), the l2 norm
//! and the l-infinity norm (sign GD) on the exponential loss reaches that norm's maximum margin
//! (Gunasekar et al. 2018).
//!
//! Data: 12 separable Gaussian samples in 8 dimensions (as in 2b; or the `--data` set, binary
//! labels, separable). The loss is `L(w) = sum_n exp(-y_n <x_n, w>)` and every method takes unit
//! steps from `w = 0`, `w <- w + eta d` with `eta = 1e-2` for `1e5` steps, where
//! `d = argmin_{||d|| <= 1} <grad L, d>`: for l1 the single coordinate `k = argmax |g_k|` moves
//! by `-eta sign(g_k)`, for l-inf `d = -sign(g)`, for l2 `d = -g / ||g||_2`. The references are
//! the max margins `gamma_p* = max_{||w||_p <= 1} min_n y_n <x_n, w>` (two LPs and the SVM QP).
//! Claims: coordinate descent's l1 margin `min_n y_n <x_n, w> / ||w||_1` is at least
//! `0.95 gamma_1*`; sign GD's l-inf margin at least `0.95 gamma_inf*`; cross-check: GD's l2 margin
//! exceeds coordinate descent's, and coordinate descent's l1 margin exceeds GD's.
//!
//! The model is an `nn::Linear` layer `[1, d]` without bias, the optimizer
//! `optim::NormalizedSteepest`. The step does not depend on the gradient's scale, so the runs
//! minimize `ln L` (the tape's `log_exp_loss`, `ln L - ln n`, finite where `L` underflows) and
//! their iterates are those of `L`. The runner's loop `Ctx::train` steps, logs, checkpoints and
//! resumes them.
//!
//! Cost: a step is one forward and backward pass through `X w`, `O(n d)` for `n` rows and `d`
//! features (a fixed tape overhead dominates at these sizes), so a run is `O(T n d)` for `T`
//! steps; the references are LPs and a QP on `n` constraints and `d` (or `2 d`) variables.

use crate::data::synthetic::separable_gaussian;
use crate::error::{Error, Result};
use crate::reference::{max_margin_l1, max_margin_linf, min_entry, svm_l2, Matrix};
use crate::runner::io::read_csv;
use crate::runner::{Claim, Ctx, Figure, Series, Summary, Training};
use crate::stats::{log_points, norm1, norm2, norm_inf};
use crate::Experiment;
use autograd::Tensor;
use nn::{Linear, Module};
use optim::{Norm, NormalizedSteepest};

/// The registry entry (listed by `experiments list`).
pub const EXPERIMENT: Experiment = Experiment {
    name: "steepest_descent",
    items: "3b",
    claim:
        "normalized steepest descent w.r.t. l1 (coordinate descent), l2, l-inf (sign GD) on the \
            exp loss reaches that norm's max margin",
    takes_data: true,
    run,
};

/// Normalised margins `min_n <z_n, w> / ||w||` for l1, l2, l-inf (`z_n = y_n x_n`).
fn margins(z: &Matrix, w: &[f64]) -> [f64; 3] {
    let m = min_entry(&z.mul_vec(w));
    [m / norm1(w), m / norm2(w), m / norm_inf(w)]
}

/// Runs protocol 3b (on `--data` when given: binary labels, separable).
pub fn run(ctx: &Ctx) -> Result<Summary> {
    let mut s = Summary::default();
    let (x, y) = match &ctx.config.data {
        Some(file) => read_csv(file)?.separable_binary()?,
        None => separable_gaussian(&mut ctx.rng("3b"), 12, 8, 0.1),
    };
    let err = |w: &'static str| move |e| Error::reference(format!("3b: {w}"), e);
    let g1 = 1.0
        / max_margin_l1(&x, &y)
            .map_err(err("l1 max margin"))?
            .objective;
    let g2 = 1.0 / norm2(&svm_l2(&x, &y).map_err(err("l2 SVM"))?.w);
    let ginf = 1.0
        / max_margin_linf(&x, &y)
            .map_err(err("l-inf max margin"))?
            .objective;
    let z = x.signed_rows(&y);
    let (x_t, y_t) = (
        x.to_tensor(),
        Tensor::from_vec(y.clone(), [y.len(), 1]).expect("one label per row"),
    );
    let steps: u64 = 100_000;
    let eta = 1e-2;
    let norms = [
        ("3b_cd_l1", Norm::L1),
        ("3b_gd_l2", Norm::L2),
        ("3b_sign_linf", Norm::LInf),
    ];
    let runs = ctx.par_map(&norms, |&(name, norm)| {
        let mut model = Linear::from_tensors(Tensor::zeros([1, x.cols]).requires_grad(), None);
        let opt = NormalizedSteepest::new(nn::params::tensors(&mut model), norm, eta);
        let training = Training::new(model, opt)
            // ln mean_n exp(-y_n <x_n, w>) = ln L - ln n.
            .loss(|m, _rng, _t| m.forward(&x_t).mul(&y_t).log_exp_loss())
            .log(&["l1_ratio", "l2_ratio", "linf_ratio"], |m, _t| {
                let [l1, l2, linf] = margins(&z, &m.weight.to_vec());
                vec![l1 / g1, l2 / g2, linf / ginf]
            });
        let run = ctx.train(name, training, steps, &log_points(steps, 10))?;
        Ok((run.model.weight.to_vec(), run.trace))
    })?;
    let m: Vec<[f64; 3]> = runs.iter().map(|(w, _)| margins(&z, w)).collect();
    let (cd, gd, sign) = (m[0], m[1], m[2]);
    s.claim(Claim::at_least(
        "3b: coordinate descent (l1 steepest) reaches the l1 max margin",
        "l1 margin of CD / gamma_1*",
        cd[0] / g1,
        0.95,
    ));
    s.claim(Claim::at_least(
        "3b: sign GD (l-inf steepest) reaches the l-inf max margin",
        "l-inf margin of sign GD / gamma_inf*",
        sign[2] / ginf,
        0.95,
    ));
    s.claim(Claim::above(
        "3b: GD's l2 margin exceeds CD's",
        "l2 margin: GD - CD",
        gd[1] - cd[1],
        0.0,
    ));
    s.claim(Claim::above(
        "3b: CD's l1 margin exceeds GD's",
        "l1 margin: CD - GD",
        cd[0] - gd[0],
        0.0,
    ));
    s.report("3b: l2 margin of normalised GD / gamma_2*", gd[1] / g2);
    s.report("gamma_1*", g1);
    s.report("gamma_2*", g2);
    s.report("gamma_inf*", ginf);
    let mut fig = Figure::new(
        "3b_margin_ratio",
        "3b: margin in the method's own norm / its optimum",
        "t",
        "ratio",
        true,
        false,
    );
    for ((name, _), (w, tr)) in norms.iter().zip(&runs) {
        s.array(name, w);
        ctx.write_trace(&mut s, name, tr)?;
        let col = match *name {
            "3b_cd_l1" => "l1_ratio",
            "3b_gd_l2" => "l2_ratio",
            _ => "linf_ratio",
        };
        fig = fig.with(Series::from_trace(name, tr, col));
    }
    ctx.save_figure(&mut s, &fig)?;
    Ok(s)
}
