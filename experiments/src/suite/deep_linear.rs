//! Protocol 2d: deep fully connected linear nets `W_L ... W_1 x` on separable
//! data with the logistic loss (`nn::DeepLinear` on the `autograd` tape). The
//! end-to-end predictor converges in direction to the L2 SVM, each layer
//! becomes rank one and adjacent layers align (Ji & Telgarsky 2019).

use crate::Experiment;
use autograd::Tensor;
use nn::{DeepLinear, LinearPredictor, Module};

use crate::data::synthetic::{gaussian_vec, separable_gaussian};
use crate::error::{Error, Result};
use crate::flat::{split_tensors, tape_grad, top_singular, FlatProblem, Step};
use crate::reference::svm_l2;
use crate::runner::io::read_csv;
use crate::runner::Ctx;
use crate::runner::{Claim, Summary};
use crate::runner::{Figure, Series};
use crate::stats::{one_minus_cos, strictly_decreasing, value_at};

/// The registry entry (listed by `experiments list`).
pub const EXPERIMENT: Experiment = Experiment {
    name: "deep_linear",
    items: "2d",
    claim:
        "deep linear nets (logistic loss, separable data): the product converges in direction to \
            the l2 SVM, layers become rank one and adjacent layers align",
    takes_data: true,
    run,
};

/// Layer shapes `[out, in]` of a depth-`depth` net `d -> width -> ... -> 1`.
pub fn shapes(d: usize, width: usize, depth: usize) -> Vec<Vec<usize>> {
    (0..depth)
        .map(|l| {
            let i = if l == 0 { d } else { width };
            let o = if l + 1 == depth { 1 } else { width };
            vec![o, i]
        })
        .collect()
}

/// The end-to-end predictor of the layers in `theta`.
pub fn end_to_end(theta: &[f64], shapes: &[Vec<usize>]) -> Vec<f64> {
    autograd::no_grad(|| {
        DeepLinear::from_weights(split_tensors(theta, shapes, false))
            .beta()
            .to_vec()
    })
}

/// `(min_i ||W_i||_2 / ||W_i||_F, min_i |<v_{i+1}, u_i>|)`.
pub fn rank_and_alignment(theta: &[f64], shapes: &[Vec<usize>]) -> (f64, f64) {
    let mut off = 0;
    let mut tops = Vec::new();
    for s in shapes {
        let n = s[0] * s[1];
        tops.push(top_singular(&theta[off..off + n], s[0], s[1]));
        off += n;
    }
    let ratio = tops.iter().map(|t| t.0 / t.3).fold(f64::INFINITY, f64::min);
    let align = tops
        .windows(2)
        .map(|w| crate::reference::dot(&w[1].2, &w[0].1).abs())
        .fold(1.0, f64::min);
    (ratio, align)
}

/// Logistic loss of a `DeepLinear` with these weights on `(x, y)`.
pub fn logistic(ws: &[Tensor<f64>], xt: &Tensor<f64>, yt: &Tensor<f64>) -> Tensor<f64> {
    DeepLinear::from_weights(ws.to_vec())
        .forward(xt)
        .mul(yt)
        .logistic_loss()
}

/// Runs protocol 2d (with `--data`, on the user's separable binary data).
pub fn run(ctx: &Ctx) -> Result<Summary> {
    let mut s = Summary::default();
    let (x, y) = match &ctx.config.data {
        Some(file) => {
            let d = read_csv(file)?;
            let y = d.binary_labels()?;
            (d.x.clone(), y)
        }
        None => separable_gaussian(&mut ctx.rng("data"), 20, 5, 0.1),
    };
    let svm = svm_l2(&x, &y).map_err(|e| match &ctx.config.data {
        Some(f) => Error::data(f, None, format!("the l2 SVM failed: {e}")),
        None => Error::reference("2d: l2 SVM", e),
    })?;
    let (n, d) = (x.rows, x.cols);
    let width = 10;
    let steps = ctx.pick(200_000u64, 20_000);
    let eta = ctx.pick(1e-2, 1e-1);
    let xt = Tensor::from_vec(x.data.clone(), [n, d]).expect("shape");
    let yt = Tensor::from_vec(y.clone(), [n, 1]).expect("shape");
    let depths = [1usize, 2, 3, 4];
    let logs = crate::stats::log_points(steps, 10);
    let w_hat = svm.w.clone();
    let runs = ctx.par_map(&depths, |&depth| {
        let sh = shapes(d, width, depth);
        let mut rng = ctx.rng(&format!("init{depth}"));
        let mut theta0 = Vec::new();
        for s in &sh {
            theta0.extend(gaussian_vec(
                &mut rng,
                s[0] * s[1],
                0.1 / (width as f64).sqrt(),
            ));
        }
        let (sh2, sh3) = (sh.clone(), sh.clone());
        let (xr, yr, wr) = (&xt, &yt, &w_hat);
        let prob = FlatProblem::new(
            move |th: &[f64], g: &mut [f64]| tape_grad(th, &sh2, g, |ws| logistic(ws, xr, yr)),
            Step::Fixed(eta),
            &["one_minus_cos", "stable_rank_ratio", "alignment"],
            move |th: &[f64]| {
                let (r, a) = rank_and_alignment(th, &sh3);
                vec![one_minus_cos(&end_to_end(th, &sh3), wr), r, a]
            },
        );
        let r = ctx.iterate(&format!("depth{depth}"), prob.start(theta0), steps, &logs)?;
        Ok((
            r.trace,
            end_to_end(&r.state.theta, &sh),
            rank_and_alignment(&r.state.theta, &sh),
        ))
    })?;
    let mut f_cos = Figure::new(
        "2d_direction",
        "2d: 1 - cos(end-to-end beta, l2 SVM)",
        "t",
        "1 - cos",
        true,
        true,
    );
    let mut f_rank = Figure::new(
        "2d_stable_rank",
        "2d: min_i ||W_i||_2 / ||W_i||_F",
        "t",
        "ratio",
        true,
        false,
    );
    let mut f_align = Figure::new(
        "2d_alignment",
        "2d: min_i |<v_{i+1}, u_i>|",
        "t",
        "alignment",
        true,
        false,
    );
    for (&depth, (trace, beta, (ratio, align))) in depths.iter().zip(&runs) {
        let oc = one_minus_cos(beta, &svm.w);
        let label = format!("L = {depth}");
        f_cos = f_cos.with(Series::from_trace(&label, trace, "one_minus_cos"));
        if depth > 1 {
            f_rank = f_rank.with(Series::from_trace(&label, trace, "stable_rank_ratio"));
            f_align = f_align.with(Series::from_trace(&label, trace, "alignment"));
        }
        s.report(&format!("L={depth}: 1 - cos(beta, w_svm)"), oc);
        s.report(&format!("L={depth}: min stable-rank ratio"), *ratio);
        s.report(&format!("L={depth}: min adjacent alignment"), *align);
        s.array(&format!("beta_L{depth}"), beta);
        ctx.write_trace(&mut s, &format!("2d_depth{depth}"), trace)?;
        if depth == 3 {
            s.claim(Claim::below(
                "2d: depth-3 product converges in direction to the l2 SVM",
                "1 - cos(W3 W2 W1, w_svm)",
                oc,
                1e-2,
            ));
            s.claim(Claim::above(
                "2d: depth-3 layers become rank one",
                "min_i ||W_i||_2 / ||W_i||_F",
                *ratio,
                0.99,
            ));
            s.claim(Claim::above(
                "2d: depth-3 adjacent layers align",
                "min_i |<v_{i+1}, u_i>|",
                *align,
                0.99,
            ));
            let ts = trace.t();
            let oc_t = trace.col("one_minus_cos");
            let checkpoints: Vec<f64> =
                ctx.pick(vec![1e3, 1e4, 1e5, 2e5], vec![1e2, 1e3, 1e4, 2e4]);
            let vals: Vec<f64> = checkpoints
                .iter()
                .map(|&c| value_at(&ts, &oc_t, c))
                .collect();
            s.claim(Claim::is_true(
                "2d: depth-3 direction error strictly decreasing",
                &format!("1 - cos at t = {checkpoints:?}: {vals:?}"),
                strictly_decreasing(&vals),
            ));
        }
    }
    s.array("w_svm", &svm.w);
    if ctx.quick() {
        s.notes
            .push("2d (quick): eta = 0.1 and 2e4 steps instead of eta = 1e-2, 2e5 steps".into());
    }
    s.notes
        .push("2d: claims at depth 3 (the protocol's); depths 1, 2, 4 are reported".into());
    for f in [f_cos, f_rank, f_align] {
        ctx.save_figure(&mut s, &f)?;
    }
    Ok(s)
}
