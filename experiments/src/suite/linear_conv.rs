//! Protocol 5: full-width cyclic linear convolutional nets (Gunasekar et al. 2018).
//!
//! Protocol: `D = 8`, `N = 6`, `x ~ N(0, I_D)`, labels `sign(<beta*, x>)` with the low-frequency
//! `beta*_j = cos(2 pi j / D)`, 5 data seeds (quick: 1). Nets: cyclic conv nets of depth
//! `L = 2, 3, 4` (`L - 1` full-width cyclic layers, then a linear output) and fully connected
//! linear nets of width `D`, depth 1, 2, 3; every weight `N(0, 0.1^2 / D)`. Each is trained by
//! unit-normalized gradient descent `theta <- theta - eta g / ||g||` (`eta = 1e-2`, 1e6 steps,
//! quick 1e5) on `log mean_n exp(-y_n <beta(theta), x_n>)`; on the first seed, conv `L = 2` also
//! by fixed-step GD on the exp loss (a report-only curve). Theory: the direction of `beta` goes
//! to a stationary point of `min ||F beta||_{2/L} s.t. y_n <beta, x_n> >= 1` (`F` the DFT) for
//! conv nets, to the l2 SVM for fully connected nets. Pass: at `L = 2`, `||F beta||_1 /
//! (min-margin OPT) <= 1.02` on at least 3 of 5 seeds, `<= 1.10` on all, non-increasing over the
//! last decade (tol 1e-4); fully connected `1 - cos(beta, w_svm) < 1e-3`; Fourier sparsity
//! `(||F beta||_1 / ||F beta||_2)^2` ordered `s(FC) > s(conv L=2)` on every seed and
//! `s(conv L=2) > s(conv L=3)` on a majority of seeds (for `L >= 3` the theorem predicts only a
//! first-order stationary point of the non-convex `l_{2/L}` problem: seed 0 ends at
//! `s(conv L=3) = 3.31 > s(conv L=2) = 3.10`). That stationarity is the L = 3 claim: the KKT
//! residual of `beta` for `min ||F beta||_{2/3}` ([`dft_bridge_stationarity`]: NNLS multipliers
//! on the points within 1% of the smallest margin) is below 1e-2 on every seed; the control is
//! that the FC L = 2 limit (the l2 SVM) is not stationary for the same problem (residual above
//! 1e-2; not discriminating when it is within 3x of the FC net's residual for its own problem,
//! `p = 2`: on a 2-D set with a single support vector the SVM is stationary for both). Calibration (full, seeds 0-4):
//! conv L = 3 residuals 1.4e-6, 1e-11, 3.5e-9, 1e-12, 6e-10; FC L = 2 at `p = 2/3`: 0.13, 0.22,
//! 0.27, 0.29, 0.25; quick (seeds 0, 1, 3): conv L = 3 at most 1.7e-5, FC 0.13-0.29. Reported:
//! conv L = 2 at `p = 1` (5e-6 to 1.2e-2, the seeds where `||F beta||_1 / OPT` is furthest from
//! 1 the largest), conv L = 4 at `p = 1/2` (at most 3e-6) and the FC nets at `p = 2` (at most
//! 1.4e-4).
//!
//! The models are `nn::LinearConvNet` (autograd's FFT `cyclic_corr`) and `nn::DeepLinear`, the
//! optimizers `optim::NormalizedGd` (`lr g / ||g||`) and
//! `optim::Sgd` for the fixed-step curve, the losses `log_exp_loss` / `exp_loss` of the margins;
//! the references are `crate::reference::{min_dft_l1_margin (SOCP), svm_l2}` and the stationarity
//! test `crate::reference::dft_bridge_stationarity` (NNLS, clarabel). Their achieved accuracy
//! is reported (worst seed): the SVM's KKT residual, the SOCP's `|smallest margin - 1|`, and the
//! NNLS multipliers' KKT residual (how well a stationarity residual is resolved).
//!
//! Cost: a step of a conv net is `O(L N D log D)` (FFTs), of a fully connected one
//! `O(L N D^2)`; 6 to 7 nets per seed at 1e6 steps each (on `--data`, [`Ctx::data_steps`] of
//! 1e6: at most `1e11 / (N D)`). The SOCP has `D` variables and `N` margin constraints.

use autograd::{no_grad, Tensor};
use nn::{LinearConvNet, LinearPredictor, Module};
use optim::{NormalizedGd, Optimizer, Sgd, SgdConfig};

use super::deep_linear::{gaussian_net, shapes};
use crate::data::synthetic::gaussian_vec;
use crate::error::{Error, Result};
use crate::reference::{
    dft_bridge_stationarity, dft_l1_norm, margin_error, min_dft_l1_margin, min_entry, svm_l2,
    Matrix,
};
use crate::runner::io::read_csv;
use crate::runner::Ctx;
use crate::runner::{Claim, Summary, Trace};
use crate::runner::{Figure, Series};
use crate::stats::{log_points, norm2, one_minus_cos};
use crate::{Experiment, Training};

/// The registry entry (listed by `experiments list`).
pub const EXPERIMENT: Experiment = Experiment {
    name: "linear_conv",
    items: "5",
    claim: "full-width cyclic linear conv nets: DFT(beta) sparser with depth; L = 2 reaches min ||F beta||_1 \
            s.t. margins >= 1; fully connected nets go to the l2 SVM",
    takes_data: true,
    params: &[],
    run,
};

/// An architecture: a cyclic conv net or a fully connected linear net, of depth `L`.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Net {
    Conv(usize),
    Fc(usize),
}

impl Net {
    fn label(self) -> String {
        match self {
            Net::Conv(l) => format!("conv L={l}"),
            Net::Fc(l) => format!("FC L={l}"),
        }
    }

    /// The net on `R^d` with every weight i.i.d. `N(0, 0.1^2 / d)`, drawn layer by layer (conv:
    /// the filters `w_1, ..., w_{L-1}`, then the output weight `w_L`).
    fn build(self, d: usize, rng: &mut rand::rngs::StdRng) -> Model {
        let std = 0.1 / (d as f64).sqrt();
        match self {
            Net::Conv(l) => {
                let mut weight = |shape: &[usize]| {
                    Tensor::from_vec(gaussian_vec(rng, shape.iter().product(), std), shape)
                        .expect("shape")
                        .requires_grad()
                };
                let filters = (1..l).map(|_| weight(&[d])).collect();
                let output = weight(&[1, d]);
                Box::new(LinearConvNet::from_tensors(filters, output))
            }
            Net::Fc(l) => Box::new(gaussian_net(rng, &shapes(d, d, l), std)),
        }
    }
}

/// A net of either architecture.
type Model = Box<dyn LinearPredictor<f64>>;

/// Points with margin `<= (1 + ACTIVE)` times the smallest count as active in the KKT test.
const ACTIVE: f64 = 1e-2;

/// The bound on the KKT residual of a conv net's limit (module docs: calibration).
const KKT_BOUND: f64 = 1e-2;

/// How a net is trained (`eta = 1e-2` for both).
#[derive(Clone, Copy, PartialEq, Debug)]
enum Method {
    /// Unit-normalized GD, `theta <- theta - eta g / ||g||`, on `log mean exp(-margin)`.
    NormalizedGd(f64),
    /// Fixed-step GD, `theta <- theta - eta g`, on the exp loss `mean exp(-margin)`.
    Gd(f64),
}

/// The end-to-end predictor `beta` of `net`.
fn beta_of(net: &dyn LinearPredictor<f64>) -> Vec<f64> {
    no_grad(|| net.beta().to_vec())
}

/// Fourier sparsity `(||F b||_1 / ||F b||_2)^2` (unnormalized DFT: `||F b||_2 = sqrt(D) ||b||_2`).
fn sparsity(b: &[f64]) -> f64 {
    (dft_l1_norm(b) / ((b.len() as f64).sqrt() * norm2(b))).powi(2)
}

/// `|DFT(b)|` for `k = 0..D`, scaled to max 1.
fn spectrum(b: &[f64]) -> Vec<f64> {
    let d = b.len();
    let m: Vec<f64> = (0..d)
        .map(|k| {
            let (re, im) = (0..d).fold((0.0, 0.0), |(re, im), j| {
                let a = 2.0 * std::f64::consts::PI * ((k * j) % d) as f64 / d as f64;
                (re + a.cos() * b[j], im - a.sin() * b[j])
            });
            re.hypot(im)
        })
        .collect();
    let mx = m.iter().cloned().fold(1e-300, f64::max);
    m.iter().map(|v| (v / mx).max(1e-12)).collect()
}

struct SeedResult {
    ratio_l2: f64,
    ratio_tail_increase: f64,
    fc_cos: Vec<f64>,
    sparsity: Vec<(String, f64)>,
    /// `(net, p, KKT residual of its beta for min ||F beta||_p^p)`.
    stationarity: Vec<(String, f64, f64)>,
    /// The references' achieved accuracy: `(the l2 SVM's KKT residual, the SOCP's
    /// |smallest margin - 1|, the worst NNLS multipliers' KKT residual)`.
    reference_accuracy: (f64, f64, f64),
    traces: Vec<(String, Trace)>,
    betas: Vec<(String, Vec<f64>)>,
}

fn data(ctx: &Ctx, seed: usize, d: usize, n: usize) -> (Matrix, Vec<f64>) {
    let mut rng = ctx.rng(&format!("data{seed}"));
    let beta_star: Vec<f64> = (0..d)
        .map(|j| (2.0 * std::f64::consts::PI * j as f64 / d as f64).cos())
        .collect();
    let x = crate::data::synthetic::gaussian(&mut rng, n, d, 1.0);
    let y = x
        .mul_vec(&beta_star)
        .iter()
        .map(|v| if *v >= 0.0 { 1.0 } else { -1.0 })
        .collect();
    (x, y)
}

fn one_seed(
    ctx: &Ctx,
    seed: usize,
    x: &Matrix,
    y: &[f64],
    steps: u64,
    with_gd: bool,
) -> Result<SeedResult> {
    let (n, d) = (x.rows, x.cols);
    let socp = min_dft_l1_margin(x, y)
        .map_err(|e| Error::reference("5: min ||F beta||_1 margin SOCP", e))?;
    let opt = socp.objective;
    let svm_solution = svm_l2(x, y).map_err(|e| Error::reference("5: l2 SVM", e))?;
    let z = x.signed_rows(y);
    let socp_margin_error = margin_error(x, y, &socp.w);
    let svm_kkt = svm_solution.kkt_residual(x, y);
    let svm = svm_solution.w;
    let xt = x.to_tensor();
    let yt = Tensor::from_vec(y.to_vec(), [n, 1]).expect("shape");
    let mut nets: Vec<(Net, Method)> = [
        Net::Fc(1),
        Net::Conv(2),
        Net::Conv(3),
        Net::Conv(4),
        Net::Fc(2),
        Net::Fc(3),
    ]
    .iter()
    .map(|&net| (net, Method::NormalizedGd(1e-2)))
    .collect();
    if with_gd {
        nets.push((Net::Conv(2), Method::Gd(1e-2)));
    }
    let logs = log_points(steps, 10);
    // `||F beta||_1 / OPT` for `beta` rescaled to margin 1 (NaN while a margin is negative).
    let ratio = |b: &[f64]| {
        let margin = min_entry(&z.mul_vec(b));
        if margin > 0.0 {
            dft_l1_norm(b) / margin / opt
        } else {
            f64::NAN
        }
    };
    let runs = ctx.par_map(&nets, |&(net, method)| {
        let mut model = net.build(d, &mut ctx.rng(&format!("init{seed}{net:?}")));
        let params = nn::params::tensors(&mut model);
        let optimizer: Box<dyn Optimizer<f64>> = match method {
            Method::NormalizedGd(eta) => Box::new(NormalizedGd::new(params, eta)),
            Method::Gd(eta) => Box::new(Sgd::new(
                params,
                SgdConfig {
                    lr: eta,
                    ..Default::default()
                },
            )),
        };
        let (xr, yr, ratio) = (&xt, &yt, &ratio);
        let training = Training::new(model, optimizer)
            .loss(move |m, _rng, _t| {
                let margins = m.forward(xr).mul(yr);
                match method {
                    Method::NormalizedGd(_) => margins.log_exp_loss(),
                    Method::Gd(_) => margins.exp_loss(),
                }
            })
            .log(&["dft_l1_ratio"], move |m, _t| {
                vec![ratio(&beta_of(m.as_ref()))]
            });
        let name = format!(
            "seed{seed}_{}_{}",
            net.label().replace([' ', '='], ""),
            match method {
                Method::NormalizedGd(_) => "ngd",
                Method::Gd(_) => "gd",
            }
        );
        let run = ctx.train(&name, training, steps, &logs)?;
        Ok((beta_of(run.model.as_ref()), run.trace))
    })?;
    let mut out = SeedResult {
        ratio_l2: f64::NAN,
        ratio_tail_increase: f64::NAN,
        fc_cos: vec![],
        sparsity: vec![],
        stationarity: vec![],
        reference_accuracy: (svm_kkt, socp_margin_error, 0.0),
        traces: vec![],
        betas: vec![],
    };
    for ((net, method), (b, trace)) in nets.iter().zip(runs) {
        let fixed = matches!(method, Method::Gd(_));
        let label = format!(
            "{}{}",
            net.label(),
            if fixed { " fixed-step GD" } else { "" }
        );
        if !fixed {
            out.sparsity.push((net.label(), sparsity(&b)));
            // Each net at its own bridge exponent (conv: 2 / L; FC: 2, the l2 SVM's KKT
            // condition), and the FC L = 2 limit also at the conv nets' exponents (the control).
            let exponents: Vec<f64> = match net {
                Net::Conv(l) => vec![2.0 / *l as f64],
                Net::Fc(2) => vec![2.0, 1.0, 2.0 / 3.0],
                Net::Fc(_) => vec![2.0],
            };
            for p in exponents {
                let r = dft_bridge_stationarity(x, y, &b, p, ACTIVE)
                    .map_err(|e| Error::reference("5: KKT multipliers (NNLS)", e))?;
                out.stationarity.push((net.label(), p, r.residual));
                out.reference_accuracy.2 = out.reference_accuracy.2.max(r.multipliers_kkt);
            }
            match net {
                Net::Fc(_) => out.fc_cos.push(one_minus_cos(&b, &svm)),
                Net::Conv(2) => {
                    out.ratio_l2 = ratio(&b);
                    let (ts, rs) = (trace.t(), trace.col("dft_l1_ratio"));
                    let from = ts.last().copied().unwrap_or(0.0) / 10.0;
                    let tail: Vec<f64> = ts
                        .iter()
                        .zip(&rs)
                        .filter(|(t, _)| **t >= from)
                        .map(|(_, r)| *r)
                        .collect();
                    out.ratio_tail_increase = tail
                        .windows(2)
                        .map(|w| w[1] - w[0])
                        .fold(f64::NEG_INFINITY, f64::max);
                }
                _ => {}
            }
        }
        out.traces.push((label.clone(), trace));
        out.betas.push((label, b));
    }
    Ok(out)
}

/// Runs protocol 5 (with `--data`, one "seed" on the user's separable data).
pub fn run(ctx: &Ctx) -> Result<Summary> {
    let mut s = Summary::default();
    let (d, n) = (8, 6);
    // Quick: seeds 0, 1 and 3, so that seed 0 (the exception to the L = 2 / L = 3 ordering)
    // is in the tests too, at a fifth of the steps.
    let seeds: Vec<usize> = ctx.pick(vec![0, 1, 2, 3, 4], vec![0, 1, 3]);
    let steps = ctx.pick(1_000_000u64, 100_000);
    let mut results = Vec::new();
    match &ctx.config.data {
        Some(file) => {
            // Non-separable data is the user's data error (exit 2), not a solver failure.
            let (x, y, _) = read_csv(file)?.separable_binary()?;
            let steps = ctx.data_steps(1_000_000, x.rows, x.cols);
            s.notes.push(format!(
                "5 on {} x {} data: {steps} steps per net (Ctx::data_steps)",
                x.rows, x.cols
            ));
            results.push(one_seed(ctx, 0, &x, &y, steps, true)?);
        }
        None => {
            for (k, &seed) in seeds.iter().enumerate() {
                let (x, y) = data(ctx, seed, d, n);
                results.push(one_seed(ctx, seed, &x, &y, steps, k == 0)?);
            }
        }
    }
    let ratios: Vec<f64> = results.iter().map(|r| r.ratio_l2).collect();
    let within = ratios.iter().filter(|&&r| r <= 1.02).count();
    let need = ctx.pick(3, 2).min(results.len());
    s.claim(Claim::at_least(
        "5: L = 2 conv net reaches min ||F beta||_1 (normalized to margin 1) within 2% on most seeds",
        &format!("seeds with ||F beta||_1 / OPT <= 1.02 (ratios {ratios:?})"),
        within as f64,
        need as f64,
    ));
    s.claim(Claim::at_most(
        "5: L = 2 ratio within 10% on every seed",
        "max_seed ||F beta||_1 / OPT",
        ratios.iter().cloned().fold(0.0, f64::max),
        1.10,
    ));
    let tail = results
        .iter()
        .map(|r| r.ratio_tail_increase)
        .fold(f64::NEG_INFINITY, f64::max);
    s.claim(Claim::at_most(
        "5: L = 2 ratio non-increasing over the last decade",
        "max increase between logged points",
        tail,
        1e-4,
    ));
    let fc = results
        .iter()
        .flat_map(|r| r.fc_cos.clone())
        .fold(0.0, f64::max);
    s.claim(Claim::below(
        "5: fully connected (L = 1, 2, 3) converge to the l2 SVM",
        "max 1 - cos(beta, w_svm)",
        fc,
        1e-3,
    ));
    let sparsity = |r: &SeedResult, k: &str| {
        r.sparsity
            .iter()
            .find(|(l, _)| l == k)
            .map(|p| p.1)
            .unwrap_or(f64::NAN)
    };
    // L = 2: the limit is a global min of ||F beta||_1 (convex), sparser in frequency than
    // the l2 SVM the fully connected nets reach: on every seed.
    let fc_over_conv2 = results
        .iter()
        .filter(|r| sparsity(r, "FC L=2") > sparsity(r, "conv L=2"))
        .count();
    s.claim(Claim::at_least(
        "5: Fourier sparsity s(FC) > s(conv L=2) on every seed",
        "seeds where it holds",
        fc_over_conv2 as f64,
        results.len() as f64,
    ));
    // L >= 3: only a first-order stationary point of the non-convex min ||F beta||_{2/L} is
    // predicted, so a sparser limit than L = 2's is expected on most seeds, not all.
    let conv2_over_conv3 = results
        .iter()
        .filter(|r| sparsity(r, "conv L=2") > sparsity(r, "conv L=3"))
        .count();
    s.claim(Claim::above(
        "5: Fourier sparsity s(conv L=2) > s(conv L=3) on a majority of seeds",
        "seeds where it holds",
        conv2_over_conv3 as f64,
        results.len() as f64 / 2.0,
    ));
    // The theorem's conclusion for L >= 3: the limit direction is a first-order stationary
    // point of min ||F beta||_{2/L} s.t. margins >= 1, whatever its sparsity.
    let residual = |r: &SeedResult, net: &str, p: f64| {
        r.stationarity
            .iter()
            .find(|(l, q, _)| l == net && (q - p).abs() < 1e-12)
            .map_or(f64::NAN, |e| e.2)
    };
    let p3 = 2.0 / 3.0;
    let conv3 = results
        .iter()
        .map(|r| residual(r, "conv L=3", p3))
        .fold(0.0, f64::max);
    s.claim(Claim::below(
        "5: conv L = 3 ends at a first-order stationary point of min ||F beta||_{2/3} s.t. margins >= 1, on every seed",
        "max_seed KKT residual ||beta - sum lambda_i M y_i x_i|| / ||beta|| (NNLS multipliers)",
        conv3,
        KKT_BOUND,
    ));
    // Control: the l2 SVM direction the FC nets reach is not stationary for the same problem,
    // so the test above rejects the rival's limit. On some data the SVM is itself stationary
    // for l_{2/3} (e.g. a single support vector with a flat spectrum): not discriminating
    // when the FC net's residual for l_{2/3} is within 3x of its residual for its own
    // problem (p = 2), i.e. of how far it is from its limit.
    let fc = results
        .iter()
        .map(|r| residual(r, "FC L=2", p3))
        .fold(f64::INFINITY, f64::min);
    let fc_own = results
        .iter()
        .map(|r| residual(r, "FC L=2", 2.0))
        .fold(0.0, f64::max);
    s.claim(
        Claim::above(
            "5: control: the FC L = 2 limit (the l2 SVM) is not stationary for min ||F beta||_{2/3}",
            "min_seed KKT residual of the FC L = 2 beta for ||F beta||_{2/3}",
            fc,
            KKT_BOUND,
        )
        .control()
        .discriminating(fc, fc_own),
    );
    for (k, r) in results.iter().enumerate() {
        for (l, v) in &r.sparsity {
            s.report(&format!("seed {}: sparsity {l}", seeds[k]), *v);
        }
        s.report(
            &format!("seed {}: L=2 ||F beta||_1 / OPT", seeds[k]),
            r.ratio_l2,
        );
        for (l, p, v) in &r.stationarity {
            s.report(
                &format!(
                    "seed {}: KKT residual of {l} for ||F beta||_{p:.3}",
                    seeds[k]
                ),
                *v,
            );
        }
    }
    let worst = |f: fn(&(f64, f64, f64)) -> f64| {
        results
            .iter()
            .map(|r| f(&r.reference_accuracy))
            .fold(0.0, f64::max)
    };
    s.report(
        "5: the l2 SVM's KKT residual (reference accuracy, worst seed)",
        worst(|a| a.0),
    );
    s.report(
        "5: the Fourier-l1 SOCP's |smallest margin - 1| (reference accuracy, worst seed)",
        worst(|a| a.1),
    );
    s.report(
        "5: the NNLS multipliers' KKT residual (reference accuracy, worst seed and net)",
        worst(|a| a.2),
    );
    let r0 = &results[0];
    let ks: Vec<f64> = (0..d).map(|k| k as f64).collect();
    let mut spec = Figure::new(
        "5_spectra",
        "5: |DFT(beta)| (scaled to max 1), first seed",
        "frequency k",
        "|F beta|",
        false,
        true,
    );
    for (l, b) in &r0.betas {
        if !l.contains("fixed") && l != "FC L=1" && l != "FC L=3" {
            spec = spec.with(Series::new(l, &ks, &spectrum(b)));
        }
        s.array(&format!("beta {l}"), b);
    }
    let mut conv = Figure::new(
        "5_objective_ratio",
        "5: L = 2, ||F beta||_1 / OPT vs steps (first seed)",
        "t",
        "ratio",
        true,
        true,
    );
    for (l, t) in &r0.traces {
        if l.starts_with("conv L=2") {
            let name = if l.contains("fixed") {
                "fixed-step GD (exp loss)".to_string()
            } else {
                "normalized GD".to_string()
            };
            conv = conv.with(Series::from_trace(&name, t, "dft_l1_ratio"));
            ctx.write_trace(
                &mut s,
                &format!("5_{}", name.replace([' ', '(', ')'], "_")),
                t,
            )?;
        }
    }
    ctx.save_figure(&mut s, &spec)?;
    ctx.save_figure(&mut s, &conv)?;
    s.notes.push(format!(
        "5: unit-normalized GD, eta = 1e-2, {steps} steps (protocol: 1e6; --quick: 1e5), data seeds {seeds:?}; L = 4 reported only; fixed-step GD (eta 1e-2, exp loss) is a report-only curve"
    ));
    Ok(s)
}
