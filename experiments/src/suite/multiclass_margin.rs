//! Protocol 3a: softmax cross-entropy GD on linearly separable `K`-class data converges in
//! direction to the Crammer-Singer multiclass SVM without bias,
//! `W_svm = argmin ||W||_F^2 s.t. <w_{y_n} - w_k, x_n> >= 1 for all n, k != y_n`
//! (Soudry et al., JMLR 2018, section 4), slowly: `1 - cos(vec W(t), vec W_svm) ~ 1 / ln^2 t`.
//!
//! Data: `K = 3` Gaussian blobs in `d = 5` (class means `3 e_k`, unit noise), `n = 15`; the
//! reference is the multiclass SVM (Kesler construction, a QP). Training: GD with
//! `lr = 1 / sigma_max(X)^2` for 1e6 steps from `W = 0` on the summed cross-entropy
//! `sum_n (logsumexp(W x_n) - (W x_n)_{y_n})`. Checks (the protocol's simulated criteria):
//! on all data, the theorem's form `W(t) = W_svm ln t + rho(t)` with `rho` bounded, as "the
//! growth of `||rho||` over `[1e5, 1e6]` is at most 0.9 of that over `[1e4, 1e5]`"
//! ([`residual_deceleration`](crate::stats::residual_deceleration)), and GD's loss bound
//! `L(t) <= (n (K - 1) + ||W_svm||^2 ln^2 t / (2 eta)) / t` at every logged step;
//! `1 - cos` strictly decreasing at the logged steps in `[1e3, 1e6]`; `1 - cos < 2e-2` at 1e6
//! and at most a quarter of the one-vs-rest SVMs' `1 - cos`; `(1 - cos) ln^2 t` at
//! `t = 1e4, 1e5, 1e6` within a factor 2; argmax predictions agree with `W_svm` on more than
//! 96% of 5000 fresh points. With `--data`, the user's labelled data (labels `0..K-1`).
//!
//! The model is a bias-free `nn::Linear` with weight `[K, d]` (row `k` = class `k`), the loss
//! the tensor op `n * softmax_cross_entropy` (the mean times `n`: the sum, so that the step is
//! the protocol's), the optimizer `optim::Sgd` (full batch: GD), run by `Ctx::train`.
//!
//! On `--data`, the horizon `T` is [`Ctx::data_steps`] (the claims at `T` and the decades before
//! it); monotonicity, the `2e-2` threshold and the tight rate (which hold on the blobs, not on
//! all data: on symmetric classes `1 - cos` passes near 0 and rises again) are reported; the
//! bounded residual and the one-vs-rest control are claimed.
//!
//! Cost, for `n` rows, `d` features and `K` classes: `O(n d K)` per step (logits, softmax and
//! their gradient), 1e6 steps (on `--data`, `T n d K` capped); the reference QP has `n (K - 1)`
//! constraints on `K d` variables, solved by a working set of constraints past 2000 of them.

use std::sync::Arc;

use autograd::{no_grad, Tensor};
use nn::{Linear, Module};
use optim::{Sgd, SgdConfig};

use crate::data::synthetic::blobs;
use crate::error::{Error, Result};
use crate::reference::{dot, multiclass_svm, svm_l2, Error as ReferenceError};
use crate::runner::io::read_csv;
use crate::runner::{Figure, Series};
use crate::stats::{
    log_points, log_residual, loss_bound_ratio, max_over_min, norm2, one_minus_cos,
    residual_deceleration, strictly_decreasing, t_name, value_at, window,
    RESIDUAL_DECELERATION_BOUND,
};
use crate::{Claim, Ctx, Experiment, Summary, Training};

/// The registry entry (listed by `experiments list`).
pub const EXPERIMENT: Experiment = Experiment {
    name: "multiclass_margin",
    items: "3a",
    claim: "softmax cross-entropy GD on separable K-class data converges in direction to the \
            Crammer-Singer multiclass SVM",
    takes_data: true,
    params: &[],
    run,
};

/// The class `argmax_c <w_c, x>` of `W` (`k x d`, row-major) at `x`.
fn predict(w: &[f64], k: usize, x: &[f64]) -> usize {
    let d = x.len();
    (0..k)
        .max_by(|&a, &b| dot(&w[a * d..(a + 1) * d], x).total_cmp(&dot(&w[b * d..(b + 1) * d], x)))
        .unwrap_or(0)
}

/// The summed softmax cross-entropy `sum_n (logsumexp(W x_n) - (W x_n)_{y_n})` of the model on
/// `x` (`[n, d]`): `n` times the mean the tensor op computes.
fn cross_entropy_sum(model: &Linear<f64>, x: &Tensor<f64>, labels: &Arc<[usize]>) -> Tensor<f64> {
    model
        .forward(x)
        .softmax_cross_entropy_shared(labels)
        .mul_scalar(labels.len() as f64)
}

/// Runs protocol 3a (on `--data` when given: class labels 0..K-1 in the last column).
pub fn run(ctx: &Ctx) -> Result<Summary> {
    let mut s = Summary::default();
    let err = |e| Error::reference("3a: multiclass SVM", e);
    let (x, labels, k, svm) = match &ctx.config.data {
        Some(file) => {
            let d = read_csv(file)?;
            let (labels, k) = d.class_labels()?;
            let svm = match multiclass_svm(&d.x, &labels, k) {
                Err(ReferenceError::Infeasible { .. }) => return Err(d.not_separable()),
                solved => solved.map_err(err)?,
            };
            (d.x, labels, k, svm)
        }
        None => {
            let (x, l) = blobs(&mut ctx.rng("3a"), 15, 5, 3);
            let svm = multiclass_svm(&x, &l, 3).map_err(err)?;
            (x, l, 3, svm)
        }
    };
    s.report(
        "3a: the multiclass SVM's |smallest margin - 1| (reference accuracy)",
        svm.margin_residual(&x, &labels),
    );
    let w_hat = svm.w.data.clone();

    // GD on W (k x d) from 0, lr = 1 / sigma_max(X)^2.
    let x_t = x.to_tensor();
    let shared_labels: Arc<[usize]> = Arc::from(labels.as_slice());
    let weight = Tensor::zeros([k, x.cols]).requires_grad();
    // eta <= 1 / beta: the summed cross-entropy is (sigma_max^2 / 2)-smooth in W.
    let eta = 1.0 / x.sigma_max_sq();
    let mut model = Linear::from_tensors(weight, None);
    let opt = Sgd::new(
        nn::params::tensors(&mut model),
        SgdConfig {
            lr: eta,
            ..Default::default()
        },
    );
    let training = Training::new(model, opt)
        .loss(|m, _rng, _t| cross_entropy_sum(m, &x_t, &shared_labels))
        .log(&["loss", "one_minus_cos", "rho"], |m, t| {
            let loss = no_grad(|| cross_entropy_sum(m, &x_t, &shared_labels).item());
            m.weight
                .with_slice(|w| vec![loss, one_minus_cos(w, &w_hat), log_residual(w, &w_hat, t)])
        });
    let user_data = ctx.config.data.is_some();
    let steps = ctx.data_steps(1_000_000, x.rows, x.cols * k);
    if user_data {
        s.notes.push(format!(
            "3a on {} x {} data, {k} classes: {steps} steps (Ctx::data_steps)",
            x.rows, x.cols
        ));
    }
    let r = ctx.train("3a_gd", training, steps, &log_points(steps, 10))?;
    let w = r.model.weight.to_vec();
    let tr = &r.trace;
    let tf = steps as f64;
    let name = |t: f64| t_name(t as u64);
    let (t, omc) = window(&tr.t(), &tr.col("one_minus_cos"), tf / 1e3, tf);
    // Monotonicity, the threshold and the tight rate hold on the built-in blobs; on the user's
    // data the theorem's conclusion checked is that 1 - cos falls over the last two decades.
    s.claim_if(
        !user_data,
        Claim::is_true(
            "3a: 1 - cos(W(t), W_svm) strictly decreasing",
            &format!("at every logged t in [{}, {}]", name(tf / 1e3), name(tf)),
            strictly_decreasing(&omc),
        ),
    );
    let last = value_at(&t, &omc, tf);
    s.claim_if(
        !user_data,
        Claim::below(
            "3a: GD converges in direction to the multiclass SVM",
            &format!("1 - cos(vec W({}), vec W_svm)", name(tf)),
            last,
            2e-2,
        ),
    );
    // The theorem's conclusions, on any separable data: W(t) = W_svm ln t + rho(t) with rho
    // bounded (so rho's growth dies out), and the loss rate's upper bound.
    let rho = [tf / 100.0, tf / 10.0, tf].map(|t0| value_at(&tr.t(), &tr.col("rho"), t0));
    s.claim(Claim::at_most(
        "3a: W(t) = W_svm ln t + rho(t) with rho bounded: rho's growth slows down",
        &format!(
            "rho's growth on [{}, {}] / on [{}, {}] (residual_deceleration)",
            name(tf / 10.0),
            name(tf),
            name(tf / 100.0),
            name(tf / 10.0)
        ),
        residual_deceleration(rho, norm2(&w_hat)),
        RESIDUAL_DECELERATION_BOUND,
    ));
    s.claim(Claim::at_most(
        "3a: the loss is at most (n (K - 1) + ||W_svm||^2 ln^2 t / (2 eta)) / t at every step",
        "max over the logged t of L(t) / bound(t)",
        loss_bound_ratio(
            &tr.t(),
            &tr.col("loss"),
            (x.rows * (k - 1)) as f64,
            norm2(&w_hat).powi(2),
            eta,
        ),
        1.0,
    ));
    if user_data {
        s.report(
            "3a: (1 - cos at T) / (1 - cos at T/100) (not monotone on all data)",
            last / value_at(&t, &omc, tf / 100.0),
        );
    }
    // One-vs-rest bias-free SVMs, stacked: the alternative the limit must beat.
    let ovr: Option<Vec<f64>> = (0..k)
        .map(|c| {
            let yc: Vec<f64> = labels
                .iter()
                .map(|&l| if l == c { 1.0 } else { -1.0 })
                .collect();
            svm_l2(&x, &yc).ok().map(|sol| sol.w)
        })
        .collect::<Option<Vec<_>>>()
        .map(|rows| rows.concat());
    match &ovr {
        Some(w_ovr) => {
            // A control: the rival (stacked one-vs-rest SVMs) must be farther from W_svm than
            // GD is. The runs resolve GD's limit to about how far GD still moved over the last
            // decade; where the rival is within 3x of that (symmetric classes, where the two
            // SVMs nearly coincide) the claim says "not discriminating here". The built-in
            // blobs meet the protocol's "at most a quarter"; on the user's data the theorem
            // says only that GD ends closer than any other direction.
            let base = one_minus_cos(w_ovr, &w_hat);
            let moved = (last - value_at(&t, &omc, tf / 10.0)).abs();
            let (what, bound) = if user_data {
                (
                    "closer to the multiclass SVM than one-vs-rest SVMs are",
                    1.0,
                )
            } else {
                (
                    "within a quarter of the one-vs-rest SVMs' distance to the multiclass SVM",
                    0.25,
                )
            };
            s.claim(
                Claim::at_most(
                    &format!("3a: GD is {what}"),
                    "(1 - cos(W, W_svm)) / (1 - cos(W_OvR, W_svm))",
                    last / base,
                    bound,
                )
                .control()
                .discriminating(base, moved),
            );
            s.array("3a_one_vs_rest", w_ovr);
        }
        None => s.notes.push(
            "3a: the one-vs-rest problems are not all separable; the OvR comparison was skipped"
                .into(),
        ),
    }
    let scaled: Vec<f64> = [tf / 100.0, tf / 10.0, tf]
        .iter()
        .map(|&t0| value_at(&t, &omc, t0) * t0.ln().powi(2))
        .collect();
    s.claim_if(
        !user_data,
        Claim::below(
            "3a: 1 - cos ~ 1/ln^2 t",
            &format!(
                "max/min of (1 - cos) ln^2 t at {}, {}, {}",
                name(tf / 100.0),
                name(tf / 10.0),
                name(tf)
            ),
            max_over_min(&scaled),
            2.0,
        ),
    );
    if ctx.config.data.is_none() {
        let (xt, _) = blobs(&mut ctx.rng("3a-test"), 5000, 5, 3);
        let agree = (0..xt.rows)
            .filter(|&i| predict(&w, k, xt.row(i)) == predict(&w_hat, k, xt.row(i)))
            .count() as f64
            / xt.rows as f64;
        s.claim(Claim::above(
            "3a: predictions agree with the multiclass SVM's on fresh points",
            "agreement on 5000 test points",
            agree,
            0.96,
        ));
    }
    s.array("3a_gd", &w);
    s.array("3a_multiclass_svm", &w_hat);
    ctx.write_trace(&mut s, "3a_gd", tr)?;
    let fig = Figure::new(
        "3a_one_minus_cos",
        "3a: 1 - cos(W(t), W_svm), softmax CE GD",
        "t",
        "1 - cos",
        true,
        true,
    )
    .with(Series::from_trace("GD", tr, "one_minus_cos"));
    ctx.save_figure(&mut s, &fig)?;
    Ok(s)
}
