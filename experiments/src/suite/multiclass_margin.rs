//! Protocol 3a: softmax cross-entropy GD on separable K-class data converges in
//! direction to the Crammer-Singer multiclass SVM (no bias).

use crate::data::synthetic::blobs;
use crate::error::{Error, Result};
use crate::linear::objectives::{gradient_mismatch, SoftmaxCe, TapeLoss};
use crate::linear::updates::Update;
use crate::linear::{sigma_max_sq, LinearRun, OptState};
use crate::reference::{dot, multiclass_svm, svm_l2};
use crate::runner::io::read_csv;
use crate::runner::Ctx;
use crate::runner::{Claim, Summary};
use crate::runner::{Figure, Series};
use crate::stats::{
    log_points, max_over_min, one_minus_cos, strictly_decreasing, value_at, window,
};
use crate::Experiment;

/// The registry entry (listed by `experiments list`).
pub const EXPERIMENT: Experiment = Experiment {
    name: "multiclass_margin",
    items: "3a",
    claim: "softmax cross-entropy GD on separable K-class data converges in direction to the \
            Crammer-Singer multiclass SVM",
    takes_data: true,
    run,
};

fn predict(w: &[f64], k: usize, x: &[f64]) -> usize {
    let d = x.len();
    (0..k)
        .max_by(|&a, &b| dot(&w[a * d..(a + 1) * d], x).total_cmp(&dot(&w[b * d..(b + 1) * d], x)))
        .unwrap_or(0)
}

/// Runs protocol 3a (on `--data` when given: class labels 0..K-1 in the last column).
pub fn run(ctx: &Ctx) -> Result<Summary> {
    let mut s = Summary::default();
    let (x, labels, k) = match &ctx.config.data {
        Some(file) => {
            let d = read_csv(file)?;
            let (labels, k) = d.class_labels()?;
            if multiclass_svm(&d.x, &labels, k).is_err() {
                return Err(d.not_separable());
            }
            (d.x, labels, k)
        }
        None => {
            let (x, l) = blobs(&mut ctx.rng("3a"), 15, 5, 3);
            (x, l, 3)
        }
    };
    let svm =
        multiclass_svm(&x, &labels, k).map_err(|e| Error::reference("3a: multiclass SVM", e))?;
    let w_hat = svm.w.data.clone();
    let obj = SoftmaxCe {
        x: &x,
        labels: &labels,
        k,
    };
    let probe: Vec<f64> = (0..w_hat.len())
        .map(|j| 0.2 * ((j as f64) * 0.9).cos())
        .collect();
    s.claim(Claim::below(
        "closed-form softmax cross-entropy gradient equals the autograd tape's",
        "||g_closed - g_tape|| / ||g_tape||",
        gradient_mismatch(&obj, &x, TapeLoss::SoftmaxCe(&labels, k), &probe),
        1e-10,
    ));
    let eta = 1.0 / sigma_max_sq(&x);
    let steps: u64 = 1_000_000;
    let run = LinearRun::new(
        &obj,
        Update::Gd { eta },
        &["loss", "one_minus_cos"],
        |st: &OptState, _t: u64| {
            let mut g = vec![0.0; st.w.len()];
            vec![
                crate::linear::objectives::Objective::loss_grad(&obj, &st.w, &mut g),
                one_minus_cos(&st.w, &w_hat),
            ]
        },
    );
    let r = ctx.iterate(
        "3a_gd",
        run.start(vec![0.0; w_hat.len()]),
        steps,
        &log_points(steps, 10),
    )?;
    let tr = &r.trace;
    let w = &r.state.state.w;
    let (t, omc) = window(&tr.t(), &tr.col("one_minus_cos"), 1e3, 1e6);
    s.claim(Claim::is_true(
        "3a: 1 - cos(W(t), W_svm) strictly decreasing",
        "at every logged t in [1e3, 1e6]",
        strictly_decreasing(&omc),
    ));
    let last = value_at(&t, &omc, 1e6);
    s.claim(Claim::below(
        "3a: GD converges in direction to the multiclass SVM",
        "1 - cos(vec W(1e6), vec W_svm)",
        last,
        2e-2,
    ));
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
            let base = one_minus_cos(w_ovr, &w_hat);
            s.claim(Claim::at_most(
                "3a: GD is much closer to the multiclass SVM than one-vs-rest SVMs are",
                "(1 - cos(W, W_svm)) / (1 - cos(W_OvR, W_svm))",
                last / base,
                0.25,
            ));
            s.array("3a_one_vs_rest", w_ovr);
        }
        None => s.notes.push(
            "3a: the one-vs-rest problems are not all separable; the OvR comparison was skipped"
                .into(),
        ),
    }
    let scaled: Vec<f64> = [1e4f64, 1e5, 1e6]
        .iter()
        .map(|&t0| value_at(&t, &omc, t0) * t0.ln().powi(2))
        .collect();
    s.claim(Claim::below(
        "3a: 1 - cos ~ 1/ln^2 t",
        "max/min of (1 - cos) ln^2 t at 1e4, 1e5, 1e6",
        max_over_min(&scaled),
        2.0,
    ));
    if ctx.config.data.is_none() {
        let (xt, _) = blobs(&mut ctx.rng("3a-test"), 5000, 5, 3);
        let agree = (0..xt.rows)
            .filter(|&i| predict(w, k, xt.row(i)) == predict(&w_hat, k, xt.row(i)))
            .count() as f64
            / xt.rows as f64;
        s.claim(Claim::above(
            "3a: predictions agree with the multiclass SVM's on fresh points",
            "agreement on 5000 test points",
            agree,
            0.96,
        ));
    }
    s.array("3a_gd", w);
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
