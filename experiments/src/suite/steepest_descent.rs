//! Protocol 3b: normalised steepest descent w.r.t. l1 (coordinate descent),
//! l2 and l-infinity (sign GD) on the exponential loss reaches that norm's
//! maximum margin.

use crate::data::synthetic::separable_gaussian;
use crate::error::{Error, Result};
use crate::linear::objectives::{Margin, MarginLoss};
use crate::linear::updates::{Norm, Update};
use crate::linear::{min_margin, signed_rows, LinearRun, Matrix, OptState};
use crate::reference::{max_margin_l1, max_margin_linf, svm_l2};
use crate::runner::io::read_csv;
use crate::runner::Ctx;
use crate::runner::{Claim, Summary};
use crate::runner::{Figure, Series};
use crate::stats::{log_points, norm1, norm2, norm_inf};
use crate::Experiment;

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

/// Normalised margins `min_n <z_n, w> / ||w||` for l1, l2, l-inf.
fn margins(z: &Matrix, w: &[f64]) -> [f64; 3] {
    let m = min_margin(z, w);
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
    let z = signed_rows(&x, &y);
    let obj = Margin {
        z: &z,
        loss: MarginLoss::Exp,
    };
    let steps: u64 = 100_000;
    let eta = 1e-2;
    let norms = [
        ("3b_cd_l1", Norm::L1),
        ("3b_gd_l2", Norm::L2),
        ("3b_sign_linf", Norm::LInf),
    ];
    let runs = ctx.par_map(&norms, |&(name, norm)| {
        let run = LinearRun::new(
            &obj,
            Update::NormalizedSteepest { eta, norm },
            &["l1_ratio", "l2_ratio", "linf_ratio"],
            |st: &OptState, _t: u64| {
                let m = margins(&z, &st.w);
                vec![m[0] / g1, m[1] / g2, m[2] / ginf]
            },
        );
        let r = ctx.iterate(
            name,
            run.start(vec![0.0; x.cols]),
            steps,
            &log_points(steps, 10),
        )?;
        Ok((r.state.state.w, r.trace))
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
