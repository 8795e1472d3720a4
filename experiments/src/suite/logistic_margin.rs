//! Protocols 2a, 2b, 2c, 2e: logistic / exponential loss on separable data.
//! GD converges in direction to the hard-margin L2 SVM at 1/log t rates, with
//! loss ~ 1/t and ||w|| ~ ||w_hat|| log t; normalised GD is faster; the
//! validation loss rises while the validation error stays flat.

use crate::data::synthetic::{
    anisotropic_mixture, isotropic_mixture, separable_gaussian, soudry_2d,
};
use crate::error::{Error, Result};
use crate::linear::objectives::{gradient_mismatch, Margin, MarginLoss, Objective, TapeLoss};
use crate::linear::updates::Update;
use crate::linear::{min_margin, sigma_max_sq, signed_rows, solve, LinearRun, Matrix, OptState};
use crate::reference::{dot, svm_l2, svm_l2_dual_cd, SvmSolution};
use crate::runner::io::read_csv;
use crate::runner::{Claim, Summary};
use crate::runner::{Ctx, Run};
use crate::runner::{Figure, Series};
use crate::stats::{
    cv, direction_error, linear_fit, max_over_min, norm2, one_minus_cos, slope,
    strictly_decreasing, value_at, window,
};
use crate::Experiment;

/// The registry entry (listed by `experiments list`).
pub const EXPERIMENT: Experiment = Experiment {
    name: "logistic_margin",
    items: "2a, 2b, 2c, 2e",
    claim: "logistic/exp loss on separable data: GD (and momentum) converge in direction to the \
            L2 SVM with loss ~ 1/t, ||w|| ~ ||w_hat|| log t, 1/log t rates; normalized GD is faster; \
            validation loss rises while validation error stays flat",
    takes_data: true,
    run,
};

/// Columns logged by [`margin_run`].
const COLUMNS: &[&str] = &["loss", "norm", "dir_err", "one_minus_cos", "gap", "resid"];

/// A margin-loss run logging the loss, `||w||`, direction error, `1 - cos`,
/// normalised margin gap and `||w - w_hat ln t - w_tilde||` (when `w_tilde` is given).
#[allow(clippy::too_many_arguments)]
fn margin_run(
    ctx: &Ctx,
    name: &str,
    obj: &Margin,
    update: Update,
    steps: u64,
    w_hat: &[f64],
    w_tilde: Option<&[f64]>,
) -> Result<Run<OptState>> {
    let gamma = 1.0 / norm2(w_hat);
    let run = LinearRun::new(obj, update, COLUMNS, move |s: &OptState, t: u64| {
        let w = &s.w;
        let n = norm2(w);
        let resid = match w_tilde {
            Some(wt) => {
                let lt = (t.max(1) as f64).ln();
                norm2(
                    &w.iter()
                        .zip(w_hat)
                        .zip(wt)
                        .map(|((a, h), b)| a - h * lt - b)
                        .collect::<Vec<_>>(),
                )
            }
            None => f64::NAN,
        };
        vec![
            obj.value(w),
            n,
            direction_error(w, w_hat),
            one_minus_cos(w, w_hat),
            gamma - min_margin(obj.z, w) / n,
            resid,
        ]
    });
    run.run(ctx, name, vec![0.0; obj.z.cols], steps)
}

fn svm(x: &Matrix, y: &[f64], what: &str) -> Result<SvmSolution> {
    svm_l2(x, y).map_err(|e| Error::reference(format!("{what}: hard-margin SVM"), e))
}

/// Runs 2a, 2b, 2c, 2e; with `--data`, 2b and 2c on the user's data.
pub fn run(ctx: &Ctx) -> Result<Summary> {
    let mut s = Summary::default();
    let (x, y) = match &ctx.config.data {
        Some(file) => read_csv(file)?.separable_binary()?,
        None => separable_gaussian(&mut ctx.rng("2b"), 30, 10, 0.1),
    };
    gradient_checks(&x, &y, &mut s);
    if ctx.config.data.is_none() {
        part_2a(ctx, &mut s)?;
    }
    part_2b_2c(ctx, &x, &y, &mut s)?;
    if ctx.config.data.is_none() {
        part_2e(ctx, &mut s)?;
    } else {
        s.notes.push(
            "with --data only 2b and 2c run (2a and 2e use their own constructed data)".into(),
        );
    }
    Ok(s)
}

/// The closed-form gradients the long runs use agree with the autograd tape.
fn gradient_checks(x: &Matrix, y: &[f64], s: &mut Summary) {
    let z = signed_rows(x, y);
    let w: Vec<f64> = (0..x.cols)
        .map(|j| 0.3 * ((j as f64) * 1.7).sin())
        .collect();
    for loss in [MarginLoss::Logistic, MarginLoss::Exp] {
        let obj = Margin { z: &z, loss };
        s.claim(Claim::below(
            &format!(
                "closed-form {} gradient equals the autograd tape's",
                loss.name()
            ),
            "||g_closed - g_tape|| / ||g_tape||",
            gradient_mismatch(&obj, x, TapeLoss::Margin(y, loss), &w),
            1e-10,
        ));
    }
}

/// `w_tilde` with `eta m_k exp(-<z_k, w_tilde>) = alpha_k` for the distinct
/// support vectors `z_k` (multiplicity `m_k`, total dual weight `alpha_k`);
/// the least-norm solution.
fn w_tilde(z: &Matrix, svm: &SvmSolution, eta: f64) -> Vec<f64> {
    let mut distinct: Vec<(Vec<f64>, f64, f64)> = Vec::new();
    for &i in &svm.support {
        let zi = z.row(i).to_vec();
        match distinct
            .iter_mut()
            .find(|(v, _, _)| v.iter().zip(&zi).all(|(a, b)| (a - b).abs() < 1e-9))
        {
            Some(e) => {
                e.1 += 1.0;
                e.2 += svm.alpha[i];
            }
            None => distinct.push((zi, 1.0, svm.alpha[i])),
        }
    }
    let k = distinct.len();
    let b: Vec<f64> = distinct
        .iter()
        .map(|(_, m, a)| (eta * m / a).ln())
        .collect();
    let gram: Vec<f64> = (0..k * k)
        .map(|q| dot(&distinct[q / k].0, &distinct[q % k].0))
        .collect();
    let c = solve(&gram, &b);
    (0..z.cols)
        .map(|j| (0..k).map(|q| c[q] * distinct[q].0[j]).sum())
        .collect()
}

/// Values of `col` at the decades `ts`.
fn at(tr: &crate::runner::Trace, col: &str, ts: &[f64]) -> Vec<f64> {
    let (t, v) = (tr.t(), tr.col(col));
    ts.iter().map(|&x| value_at(&t, &v, x)).collect()
}

/// Least-squares slope of `ln col` vs `ln t` on `[lo, hi]`.
fn loglog_slope(tr: &crate::runner::Trace, col: &str, lo: f64, hi: f64) -> f64 {
    let (t, v) = window(&tr.t(), &tr.col(col), lo, hi);
    let lt: Vec<f64> = t.iter().map(|v| v.ln()).collect();
    let lv: Vec<f64> = v.iter().map(|v| v.ln()).collect();
    slope(&lt, &lv)
}

/// 2a: Soudry et al.'s 2-D data, logistic and exp loss, GD and GD with momentum.
fn part_2a(ctx: &Ctx, s: &mut Summary) -> Result<()> {
    let (x, y) = soudry_2d(&mut ctx.rng("2a"), 6);
    let z = signed_rows(&x, &y);
    let sol = svm(&x, &y, "2a")?;
    s.claim(Claim::is_true(
        "2a: the SVM's support vectors are exactly the 4 constructed points",
        "support == {x1, x2, -x1, -x2}",
        sol.support == vec![0, 1, 2, 3],
    ));
    let eta = 1.0 / sigma_max_sq(&x);
    let steps: u64 = 1_000_000;
    let configs = [
        ("2a_gd_logistic", MarginLoss::Logistic, 0.0),
        ("2a_gd_exp", MarginLoss::Exp, 0.0),
        ("2a_gdmo_logistic", MarginLoss::Logistic, 0.9),
        ("2a_gdmo_exp", MarginLoss::Exp, 0.9),
    ];
    let runs = ctx.par_map(&configs, |&(name, loss, beta)| {
        let obj = Margin { z: &z, loss };
        // Momentum: step eta/10 with beta = 0.9, effective step eta / 10 / (1 - beta) = eta.
        let (update, eff) = if beta > 0.0 {
            (
                Update::HeavyBall {
                    eta: eta / 10.0,
                    beta,
                },
                eta / 10.0 / (1.0 - beta),
            )
        } else {
            (Update::Gd { eta }, eta)
        };
        let wt = w_tilde(&z, &sol, eff);
        margin_run(ctx, name, &obj, update, steps, &sol.w, Some(&wt))
    })?;
    let decades = [1e3, 1e4, 1e5, 1e6];
    let mut fig_e = Figure::new(
        "2a_direction_error",
        "2a: direction error ||w/|w| - w_hat/|w_hat|||",
        "t",
        "e(t)",
        true,
        true,
    );
    let mut fig_l = Figure::new("2a_loss", "2a: training loss", "t", "L(w(t))", true, true);
    let mut fig_n = Figure::new(
        "2a_norm",
        "2a: ||w(t)|| vs ln t",
        "ln t",
        "||w(t)||",
        false,
        false,
    );
    for ((name, _, beta), r) in configs.iter().zip(&runs) {
        let tr = &r.trace;
        if *beta == 0.0 {
            s.claim(Claim::within(
                &format!("{name}: loss ~ 1/t"),
                "slope of ln L vs ln t on [1e3, 1e6]",
                loglog_slope(tr, "loss", 1e3, 1e6),
                -1.1,
                -0.9,
            ));
            let (t, nrm) = window(&tr.t(), &tr.col("norm"), 1e4, 1e6);
            let lt: Vec<f64> = t.iter().map(|v| v.ln()).collect();
            let target = 1.0 / 2f64.sqrt();
            s.claim(Claim::within(
                &format!("{name}: ||w|| ~ ||w_hat|| ln t"),
                "slope of ||w|| vs ln t on [1e4, 1e6]",
                slope(&lt, &nrm),
                0.95 * target,
                1.05 * target,
            ));
        }
        let e = at(tr, "dir_err", &decades);
        let res = at(tr, "resid", &decades);
        s.claim(Claim::below(
            &format!("{name}: direction converges to the SVM"),
            "e(1e6)",
            e[3],
            0.05,
        ));
        s.claim(Claim::below(
            &format!("{name}: 1 - cos to the SVM"),
            "1 - cos(w(1e6), w_hat)",
            at(tr, "one_minus_cos", &[1e6])[0],
            2e-3,
        ));
        s.claim(Claim::is_true(
            &format!("{name}: e(t) strictly decreasing"),
            "e at t = 1e3, 1e4, 1e5, 1e6",
            strictly_decreasing(&e),
        ));
        s.claim(Claim::is_true(
            &format!("{name}: ||w - w_hat ln t - w_tilde|| strictly decreasing"),
            "at t = 1e3, 1e4, 1e5, 1e6",
            strictly_decreasing(&res),
        ));
        s.claim(Claim::below(
            &format!("{name}: w(t) = w_hat ln t + w_tilde + o(1)"),
            "||w - w_hat ln t - w_tilde|| at 1e6",
            res[3],
            0.5,
        ));
        s.array(name, &r.state.w);
        ctx.write_trace(s, name, tr)?;
        fig_e = fig_e.with(Series::from_trace(name, tr, "dir_err"));
        fig_l = fig_l.with(Series::from_trace(name, tr, "loss"));
        let lt: Vec<f64> = tr.t().iter().map(|v| v.max(1.0).ln()).collect();
        fig_n = fig_n.with(Series::new(name, &lt, &tr.col("norm")));
    }
    s.array("2a_svm", &sol.w);
    for f in [fig_e, fig_l, fig_n] {
        ctx.save_figure(s, &f)?;
    }
    Ok(())
}

/// Counts the steps at which the loss increases during `steps` GD steps
/// (a short run, not checkpointed); returns `(increases, final loss)`.
fn loss_increases(obj: &Margin, eta: f64, steps: u64) -> Result<(usize, f64)> {
    let mut w = vec![0.0; obj.z.cols];
    let mut g = vec![0.0; obj.z.cols];
    let mut last = f64::INFINITY;
    let mut ups = 0;
    for _ in 0..steps {
        let l = obj.loss_grad(&w, &mut g);
        if l > last {
            ups += 1;
        }
        last = l;
        w.iter_mut().zip(&g).for_each(|(w, g)| *w -= eta * g);
    }
    Ok((ups, last))
}

/// 2b (random separable data, logistic GD) and 2c (normalised GD vs GD, exp loss).
fn part_2b_2c(ctx: &Ctx, x: &Matrix, y: &[f64], s: &mut Summary) -> Result<()> {
    let z = signed_rows(x, y);
    let sol = svm(x, y, "2b")?;
    let cd = svm_l2_dual_cd(x, y, 1e-12, 1_000_000)
        .map_err(|e| Error::reference("2b: dual coordinate ascent SVM", e))?;
    s.report(
        "2b: rel. diff. of the SVM by QP and by dual coordinate ascent",
        crate::stats::rel_dist(&cd.w, &sol.w),
    );
    let sigma2 = sigma_max_sq(x);
    let eta = 1.0 / sigma2;
    let logistic = Margin {
        z: &z,
        loss: MarginLoss::Logistic,
    };
    let exp = Margin {
        z: &z,
        loss: MarginLoss::Exp,
    };
    let ngd_steps: u64 = 10_000;
    let jobs = ["2b_gd_logistic", "2c_gd_exp", "2c_ngd_exp"];
    let runs = ctx.par_map(&jobs, |&name| match name {
        "2b_gd_logistic" => margin_run(
            ctx,
            name,
            &logistic,
            Update::Gd { eta },
            1_000_000,
            &sol.w,
            None,
        ),
        "2c_gd_exp" => margin_run(ctx, name, &exp, Update::Gd { eta }, 1_000_000, &sol.w, None),
        _ => margin_run(
            ctx,
            name,
            &exp,
            Update::NormalizedGd { eta0: 10.0 },
            ngd_steps,
            &sol.w,
            None,
        ),
    })?;
    let (gd, gd_exp, ngd) = (&runs[0].trace, &runs[1].trace, &runs[2].trace);
    let decades = [1e3, 1e4, 1e5, 1e6];
    let omc = at(gd, "one_minus_cos", &decades);
    s.claim(Claim::below(
        "2b: logistic GD converges in direction to the SVM",
        "1 - cos(w(1e6), w_hat)",
        omc[3],
        5e-3,
    ));
    s.claim(Claim::is_true(
        "2b: 1 - cos strictly decreasing",
        "at t = 1e3, 1e4, 1e5, 1e6",
        strictly_decreasing(&omc),
    ));
    let e_log: Vec<f64> = at(gd, "dir_err", &[1e4, 1e5, 1e6])
        .iter()
        .zip([1e4f64, 1e5, 1e6])
        .map(|(e, t)| e * t.ln())
        .collect();
    s.claim(Claim::below(
        "2b: direction error ~ 1/ln t",
        "CV of e(t) ln t over t = 1e4, 1e5, 1e6",
        cv(&e_log),
        0.25,
    ));
    let (t, gap) = window(&gd.t(), &gd.col("gap"), 1e3, 1e6);
    s.claim(Claim::is_true(
        "2b: margin gap monotone decreasing after 1e3",
        "gap at every logged t in [1e3, 1e6]",
        strictly_decreasing(&gap),
    ));
    let gl: Vec<f64> = gap.iter().zip(&t).map(|(g, t)| g * t.ln()).collect();
    s.claim(Claim::below(
        "2b: margin gap ~ 1/ln t",
        "max/min of gap ln t on [1e3, 1e6]",
        max_over_min(&gl),
        4.0,
    ));
    // Step sizes around the theorem's limit eta < 2 / (beta sigma^2) = 8 / sigma^2.
    let line_steps = ctx.pick(100_000, 10_000);
    let (ups, _) = loss_increases(&logistic, 0.95 * 8.0 / sigma2, line_steps)?;
    s.claim(Claim::at_most(&format!("2b: logistic GD with eta = 0.95 * 8/sigma^2 decreases the loss at every step ({line_steps} steps)"), "steps with a loss increase", ups as f64, 0.0));
    for f in [1.9, 2.5] {
        let (ups, last) = loss_increases(&logistic, f * 8.0 / sigma2, line_steps)?;
        s.report(
            &format!("2b: eta = {f} * 8/sigma^2: steps with a loss increase"),
            ups as f64,
        );
        s.report(&format!("2b: eta = {f} * 8/sigma^2: final loss"), last);
    }
    s.notes.push(format!("2b: the step-size line (0.95x, 1.9x, 2.5x of 8/sigma^2) runs {line_steps} steps of logistic GD from 0"));
    // 2c.
    let gap_ngd = value_at(&ngd.t(), &ngd.col("gap"), 1e4);
    let gap_gd = value_at(&gd_exp.t(), &gd_exp.col("gap"), 1e6);
    s.claim(Claim::at_most(
        "2c: normalised GD's margin gap at 1e4 beats fixed-step GD's at 1e6",
        "gap_NGD(1e4) / gap_GD(1e6)",
        gap_ngd / gap_gd,
        0.2,
    ));
    let (t, gap) = window(&ngd.t(), &ngd.col("gap"), 1e3, 1e4);
    let scaled: Vec<f64> = gap
        .iter()
        .zip(&t)
        .map(|(g, t)| g * t.sqrt() / t.ln())
        .collect();
    s.claim(Claim::below(
        "2c: NGD margin gap ~ ln t / sqrt t",
        "max/min of gap sqrt(t)/ln t on [1e3, 1e4]",
        max_over_min(&scaled),
        2.0,
    ));
    s.claim(Claim::within(
        "2c: NGD margin gap slope",
        "slope of ln gap vs ln t on [1e3, 1e4]",
        loglog_slope(ngd, "gap", 1e3, 1e4),
        -0.65,
        -0.35,
    ));
    s.claim(Claim::above(
        "2c: fixed-step GD margin gap is slow (1/ln t)",
        "slope of ln gap vs ln t on [1e4, 1e6]",
        loglog_slope(gd_exp, "gap", 1e4, 1e6),
        -0.25,
    ));
    for (name, r) in jobs.iter().zip(&runs) {
        s.array(name, &r.state.w);
        ctx.write_trace(s, name, &r.trace)?;
    }
    s.array("2b_svm", &sol.w);
    let fig = Figure::new(
        "2b_one_minus_cos",
        "2b: 1 - cos(w(t), w_hat), logistic GD",
        "t",
        "1 - cos",
        true,
        true,
    )
    .with(Series::from_trace("GD logistic", gd, "one_minus_cos"));
    ctx.save_figure(s, &fig)?;
    let fig = Figure::new(
        "2c_margin_gap",
        "2c: margin gap, exp loss",
        "t",
        "gap",
        true,
        true,
    )
    .with(Series::from_trace("GD (eta = 1/sigma^2)", gd_exp, "gap"))
    .with(Series::from_trace("normalised GD (eta0 = 10)", ngd, "gap"));
    ctx.save_figure(s, &fig)
}

/// Mean logistic loss and 0-1 error of `w` on `(x, y)`.
fn val_metrics(x: &Matrix, y: &[f64], w: &[f64]) -> (f64, f64) {
    let m = x.mul_vec(w);
    let n = y.len() as f64;
    let loss = m
        .iter()
        .zip(y)
        .map(|(a, b)| MarginLoss::Logistic.value_slope(a * b).0)
        .sum::<f64>()
        / n;
    let err = m.iter().zip(y).filter(|(a, b)| **a * **b <= 0.0).count() as f64 / n;
    (loss, err)
}

/// A GD run logging train loss, ||w||, validation loss and error.
fn validation_run(
    ctx: &Ctx,
    name: &str,
    train: (&Matrix, &[f64]),
    val: (&Matrix, &[f64]),
    steps: u64,
) -> Result<Run<OptState>> {
    let z = signed_rows(train.0, train.1);
    let obj = Margin {
        z: &z,
        loss: MarginLoss::Logistic,
    };
    let eta = 1.0 / sigma_max_sq(train.0);
    let run = LinearRun::new(
        &obj,
        Update::Gd { eta },
        &["train_loss", "norm", "val_loss", "val_err"],
        |s: &OptState, _t: u64| {
            let (vl, ve) = val_metrics(val.0, val.1, &s.w);
            vec![obj.value(&s.w), norm2(&s.w), vl, ve]
        },
    );
    run.run(ctx, name, vec![0.0; train.0.cols], steps)
}

/// 2e: validation loss rises while validation error stays flat.
fn part_2e(ctx: &Ctx, s: &mut Summary) -> Result<()> {
    let mut rng = ctx.rng("2e");
    let (xt, yt) = anisotropic_mixture(&mut rng, 100, 20, 0.0);
    let (xv, yv) = anisotropic_mixture(&mut rng, 4000, 20, 0.05);
    svm(&xt, &yt, "2e (training data must be separable)")?;
    let steps: u64 = ctx.pick(1_000_000, 100_000);
    let iso = !ctx.quick();
    let mut rng = ctx.rng("2e-iso");
    let (xi, yi) = isotropic_mixture(&mut rng, 100, 200, 1.2);
    let (xiv, yiv) = isotropic_mixture(&mut rng, 4000, 200, 1.2);
    let jobs: Vec<&str> = if iso {
        vec!["2e_gd", "2e_isotropic"]
    } else {
        vec!["2e_gd"]
    };
    let runs = ctx.par_map(&jobs, |&name| {
        if name == "2e_gd" {
            validation_run(ctx, name, (&xt, &yt), (&xv, &yv), steps)
        } else {
            validation_run(ctx, name, (&xi, &yi), (&xiv, &yiv), steps)
        }
    })?;
    let tr = &runs[0].trace;
    if ctx.quick() {
        s.notes
            .push("2e (quick): 1e5 steps; the slope and R^2 windows end at 1e5".into());
    }
    let lo = steps as f64 / 100.0;
    s.claim(Claim::within(
        "2e: train loss ~ 1/t",
        &format!("slope of ln L vs ln t on [{lo:.0e}, {steps:.0e}]"),
        loglog_slope(tr, "train_loss", lo, steps as f64),
        -1.15,
        -0.85,
    ));
    let (t, nrm) = window(&tr.t(), &tr.col("norm"), 1e3, steps as f64);
    let lt: Vec<f64> = t.iter().map(|v| v.ln()).collect();
    s.claim(Claim::above(
        "2e: ||w|| linear in ln t",
        &format!("R^2 of ||w|| vs ln t on [1e3, {steps:.0e}]"),
        linear_fit(&lt, &nrm).2,
        0.98,
    ));
    let vl = tr.col("val_loss");
    let ve = tr.col("val_err");
    let (imin, vmin) =
        vl.iter().enumerate().fold(
            (0, f64::INFINITY),
            |a, (i, &v)| if v < a.1 { (i, v) } else { a },
        );
    let last = vl.len() - 1;
    s.claim(Claim::at_least(
        "2e: validation loss rises",
        "val_loss(end) / min_t val_loss",
        vl[last] / vmin,
        1.1,
    ));
    s.claim(Claim::at_most(
        "2e: validation error does not rise",
        "val_err(end) - val_err(argmin val_loss)",
        ve[last] - ve[imin],
        0.005,
    ));
    ctx.write_trace(s, "2e_gd", tr)?;
    s.array("2e_gd", &runs[0].state.w);
    let fig = Figure::new(
        "2e_validation",
        "2e: validation loss and error (logistic GD)",
        "t",
        "value",
        true,
        false,
    )
    .with(Series::from_trace("val loss", tr, "val_loss"))
    .with(Series::from_trace("val error", tr, "val_err"))
    .with(Series::from_trace("train loss", tr, "train_loss"));
    ctx.save_figure(s, &fig)?;
    if iso {
        let tr = &runs[1].trace;
        let (t, vl, ve) = (tr.t(), tr.col("val_loss"), tr.col("val_err"));
        s.report(
            "2e isotropic: val_err(1e6) - val_err(1e4)",
            value_at(&t, &ve, 1e6) - value_at(&t, &ve, 1e4),
        );
        s.report(
            "2e isotropic: val_loss(1e6) / val_loss(1e4)",
            value_at(&t, &vl, 1e6) / value_at(&t, &vl, 1e4),
        );
        ctx.write_trace(s, "2e_isotropic", tr)?;
    }
    Ok(())
}
