//! The experiments that take `--data`, on data sets of more rows than the built-in ones (and
//! more than the margin solvers solve in one piece): every claim they make on a user's data
//! holds on data meeting the theorems' assumptions, the horizon follows the data's size
//! (`Ctx::data_steps`), and what is asserted only on the built-in constructions is reported.

mod common;

use std::path::Path;

use experiments::data::synthetic::{blobs, separable_gaussian};
use experiments::runner::Kind;
use experiments::{find, run_experiment, Config, Summary};
use rand::{rngs::StdRng, Rng, SeedableRng};

/// Writes `rows` (features then label) as a CSV with a header.
fn write_csv(path: &Path, d: usize, rows: impl Iterator<Item = (Vec<f64>, f64)>) {
    let mut s: String = (0..d).map(|j| format!("x{j},")).collect();
    s.push_str("y\n");
    for (x, y) in rows {
        let cells: Vec<String> = x.iter().chain([&y]).map(|v| format!("{v}")).collect();
        s.push_str(&cells.join(","));
        s.push('\n');
    }
    std::fs::write(path, s).unwrap();
}

/// Runs `name` in quick mode on `data` and checks that no claim fails, a prediction holds and
/// the horizon is stated.
fn run_on(name: &str, data: &Path, out: &Path) -> Summary {
    let s = run_without_failures(name, data, out);
    assert!(
        s.claims
            .iter()
            .any(|c| c.kind == Kind::Prediction && c.status() == "held"),
        "{name}: no prediction held"
    );
    assert!(
        s.notes.iter().any(|n| n.contains("Ctx::data_steps")),
        "{name}: the horizon is not stated: {:?}",
        s.notes
    );
    s
}

/// Runs `name` in quick mode on `data` and checks that no claim fails: each holds or is "not
/// discriminating" (the rivals coincide, or the run has not resolved them, on this data).
fn run_without_failures(name: &str, data: &Path, out: &Path) -> Summary {
    let config = Config {
        data: Some(data.to_path_buf()),
        ..common::quick(out.to_path_buf())
    };
    let s = run_experiment(find(name).unwrap(), &config).unwrap();
    for c in &s.claims {
        assert_ne!(
            c.status(),
            "FAILED",
            "{name}: {} ({} = {})",
            c.claim,
            c.metric,
            c.value
        );
    }
    s
}

#[test]
fn binary_experiments_on_2500_separable_rows() {
    let dir = common::out_dir("user-data-binary");
    let file = dir.join("binary.csv");
    let (x, y) = separable_gaussian(&mut StdRng::seed_from_u64(3), 2500, 5, 0.05);
    write_csv(
        &file,
        x.cols,
        (0..x.rows).map(|i| (x.row(i).to_vec(), y[i])),
    );
    for name in ["logistic_margin", "steepest_descent", "deep_linear"] {
        let s = run_on(name, &file, &dir);
        // Claims of the built-in constructions (monotone errors, tight rates, thresholds)
        // are reported, not asserted.
        assert!(
            s.report.keys().any(|k| k.contains("(not asserted here)")),
            "{name}: {:?}",
            s.report.keys()
        );
    }
}

#[test]
fn multiclass_margin_on_2400_separable_rows() {
    let dir = common::out_dir("user-data-multiclass");
    let file = dir.join("classes.csv");
    // Blobs around 3 e_c, keeping the points the teacher W = (3 e_c)_c classifies with a
    // margin: separable through the origin.
    let (x, labels) = blobs(&mut StdRng::seed_from_u64(4), 4000, 5, 3);
    let kept: Vec<usize> = (0..x.rows)
        .filter(|&i| {
            let r = x.row(i);
            (0..3).all(|c| c == labels[i] || r[labels[i]] - r[c] >= 0.5)
        })
        .take(2400)
        .collect();
    assert_eq!(kept.len(), 2400);
    write_csv(
        &file,
        x.cols,
        kept.iter().map(|&i| (x.row(i).to_vec(), labels[i] as f64)),
    );
    run_on("multiclass_margin", &file, &dir);
}

#[test]
fn multiclass_margin_on_symmetric_classes() {
    // The case: 3 classes of 30 points in 2-D, one class's offsets rotated by 120 and
    // 240 degrees. The one-vs-rest SVMs come close to the multiclass SVM here, and GD's
    // direction passes within 1 - cos = 3e-8 of W_svm's near t = 1e4 and then moves away
    // (1 - cos 4e-5 at 1e6): 1 - cos is not monotone on such sets.
    let dir = common::out_dir("user-data-symmetric");
    let file = dir.join("symmetric.csv");
    let offsets = [
        (2.736, 0.2922),
        (3.488, 0.5969),
        (2.61, 0.01747),
        (3.047, 0.6082),
        (3.506, -0.5987),
        (3.514, -0.749),
        (3.737, 0.2248),
        (2.658, -0.1771),
        (3.292, -0.1597),
        (3.668, -0.5769),
        (2.692, 0.5488),
        (3.607, -0.3751),
        (2.973, 0.5502),
        (3.776, -0.6805),
        (3.783, -0.3848),
        (3.635, 0.7336),
        (3.577, -0.2203),
        (2.845, 0.317),
        (3.329, 0.5719),
        (3.097, 0.6285),
        (2.272, -0.285),
        (2.912, -0.4505),
        (2.705, -0.2633),
        (2.511, -0.2318),
        (3.168, 0.1183),
        (2.734, -0.5018),
        (2.421, -0.7704),
        (2.353, -0.503),
        (2.509, 0.7386),
        (2.508, 0.1703),
    ];
    let rows = (0..3).flat_map(|c| {
        let (sin, cos) = (2.0 * std::f64::consts::PI * c as f64 / 3.0).sin_cos();
        offsets
            .iter()
            .map(move |&(u, v)| (vec![u * cos - v * sin, u * sin + v * cos], c as f64))
    });
    write_csv(&file, 2, rows);
    let s = run_on("multiclass_margin", &file, &dir);
    // Monotonicity is reported, not asserted, and fails here: the test would pass for the
    // wrong reason if the data no longer showed the crossing.
    let monotone = s
        .report
        .iter()
        .find(|(k, _)| k.contains("strictly decreasing"))
        .map(|(_, v)| *v);
    assert_eq!(monotone, Some(0.0), "{:?}", s.report);
}

/// Writes `points` (2-D, then the label) as a CSV.
fn write_points(path: &Path, points: &[(f64, f64, f64)]) {
    write_csv(path, 2, points.iter().map(|&(a, b, y)| (vec![a, b], y)));
}

#[test]
fn binary_experiments_on_a_single_support_vector() {
    // 100 points in 2-D separable through the origin whose l2 SVM has one support vector:
    // x_0 = (1, 0) with label +1 (so w = x_0 / ||x_0||^2 = (1, 0)) and 99 points with
    // y <x, w> = y x_1 in [1.5, 3.5] > 1, strictly inside the margin. On such data the
    // direction error of logistic GD is not monotone and its rates are not tight (issue 17):
    // only the theorems' conclusions may be asserted.
    let dir = common::out_dir("user-data-single-sv");
    let file = dir.join("single_sv.csv");
    let mut rng = StdRng::seed_from_u64(5);
    let mut points = vec![(1.0, 0.0, 1.0)];
    for i in 0..99 {
        let y = if i % 2 == 0 { 1.0 } else { -1.0 };
        let a: f64 = 1.5 + 2.0 * rng.gen::<f64>();
        let b: f64 = 2.0 * rng.gen_range(-1.0..1.0);
        points.push((y * a, b, y));
    }
    write_points(&file, &points);
    for name in [
        "logistic_margin",
        "steepest_descent",
        "deep_linear",
        "adam_margin",
    ] {
        run_on(name, &file, &dir);
    }
    // linear_conv states its horizon as the others do; its control (the SVM direction is not
    // stationary for ||F beta||_{2/3}) cannot discriminate here: with a flat spectrum the SVM
    // is stationary for every exponent.
    let s = run_on("linear_conv", &file, &dir);
    let control = s
        .claims
        .iter()
        .find(|c| c.kind == Kind::Control)
        .expect("linear_conv has a control");
    assert_eq!(control.status(), "not discriminating");
}

#[test]
fn least_squares_experiments_on_ill_conditioned_rows() {
    // 20 x 50 Gaussian rows scaled by 1, ..., 1e-3: kappa = (sigma_max / sigma_min)^2 is about
    // 1e7, so GD needs about 3e8 steps to converge. The implicit-bias claims (the iterates
    // never leave w_start + row(X); the mirror iterate stays in row(X)) hold at any step; the
    // "reaches the interpolant" claims are "not discriminating" while the run is still farther
    // from the interpolants than a third of their bound.
    let dir = common::out_dir("user-data-ill-conditioned");
    let file = dir.join("illcond.csv");
    let mut rng = StdRng::seed_from_u64(7);
    let (n, d) = (20, 50);
    let w: Vec<f64> = (0..d).map(|_| rng.gen_range(-1.0..1.0)).collect();
    let rows: Vec<(Vec<f64>, f64)> = (0..n)
        .map(|i| {
            let scale = 10f64.powf(-3.0 * i as f64 / (n - 1) as f64);
            let x: Vec<f64> = (0..d).map(|_| scale * rng.gen_range(-1.0..1.0)).collect();
            let y = x.iter().zip(&w).map(|(a, b)| a * b).sum();
            (x, y)
        })
        .collect();
    write_csv(&file, d, rows.into_iter());
    let s = run_on("least_squares", &file, &dir);
    let invariants: Vec<_> = s
        .claims
        .iter()
        .filter(|c| c.claim.contains("never leaves") || c.claim.contains("in row(X)"))
        .collect();
    assert_eq!(invariants.len(), 8 + 6, "{:?}", s.claims);
    assert!(invariants.iter().all(|c| c.status() == "held"));
    assert!(
        s.claims.iter().any(|c| c.status() == "not discriminating"),
        "kappa ~ 1e7: GD cannot have converged"
    );
    run_on("diagonal_net", &file, &dir);
}

/// A rank-2 PSD `X* = W W^T` (`W` Gaussian `n x 2`), row-major.
fn rank_two_psd(rng: &mut StdRng, n: usize) -> Vec<f64> {
    let w = experiments::data::synthetic::gaussian(rng, n, 2, 1.0);
    (0..n * n)
        .map(|k| (0..2).map(|c| w.get(k / n, c) * w.get(k % n, c)).sum())
        .collect()
}

#[test]
fn matrix_sensing_on_symmetric_gaussian_measurements_below_recovery() {
    // n = 10, rank 2 (19 degrees of freedom), 24 symmetric Gaussian measurements of the
    // 55 unknowns, no noise: underdetermined, of full row rank, below min-trace recovery.
    let dir = common::out_dir("user-data-sensing");
    let file = dir.join("sensing.csv");
    let mut rng = StdRng::seed_from_u64(5);
    let n = 10;
    let x = rank_two_psd(&mut rng, n);
    let g = experiments::data::synthetic::gaussian(&mut rng, 24, n * n, 1.0);
    write_csv(
        &file,
        n * n,
        (0..g.rows).map(|i| {
            let a: Vec<f64> = (0..n * n)
                .map(|k| 0.5 * (g.get(i, k) + g.get(i, (k % n) * n + k / n)))
                .collect();
            let y = a.iter().zip(&x).map(|(p, q)| p * q).sum();
            (a, y)
        }),
    );
    let s = run_on("matrix_sensing", &file, &dir);
    assert!(s.notes.iter().any(|n| n.contains("UU^T sensing data")));
}

/// Writes `m` of the upper-triangle entries (drawn with `seed`) of a 12 x 12 rank-2 PSD
/// matrix (23 degrees of freedom) as a completion file, runs `matrix_sensing` on it (quick)
/// and checks that no claim fails.
fn completion_of_12_by_12(name: &str, seed: u64, m: usize) -> Summary {
    let dir = common::out_dir(name);
    let file = dir.join("entries.csv");
    let mut rng = StdRng::seed_from_u64(seed);
    let n = 12;
    let x = rank_two_psd(&mut rng, n);
    let mut pairs: Vec<(usize, usize)> = (0..n).flat_map(|i| (i..n).map(move |j| (i, j))).collect();
    rand::seq::SliceRandom::shuffle(&mut pairs[..], &mut rng);
    let mut text = String::from("i,j,value\n");
    for &(i, j) in &pairs[..m] {
        text.push_str(&format!("{i},{j},{}\n", x[i * n + j]));
    }
    std::fs::write(&file, text).unwrap();
    let s = run_without_failures("matrix_sensing", &file, &dir);
    assert!(s.notes.iter().any(|n| n.contains("UU^T completion data")));
    s
}

#[test]
fn matrix_sensing_on_observed_entries() {
    // 42 of 78 entries (seed 6): min-trace recovers X*, the rivals coincide, and the note
    // says they are not told apart.
    let s = completion_of_12_by_12("user-data-completion-42", 6, 42);
    assert!(
        s.notes.iter().any(|n| n.contains("not told apart")),
        "min-trace recovers X* here: the rivals coincide: {:?}",
        s.notes
    );
    // 32 of 78 (seed 7): min-trace misses the rank-2 interpolant (separation 0.023, the runs
    // resolved to 0.0044) and GD at alpha = 1e-6 is 10 times closer to the rank-2 fit
    // (ratio 0.108). On completion entries (no restricted isometry) neither rival is a
    // theorem's conclusion: the distances are reported and a note names the nearer rival;
    // only the sanity claims are asserted.
    let s = completion_of_12_by_12("user-data-completion-32", 7, 32);
    assert!(
        s.claims.iter().all(|c| c.kind == Kind::Sanity),
        "{:?}",
        s.claims
    );
    let ratio = s.report
        ["UU^T completion data: ||X_GD - X_r||_F / ||X_GD - X_ref||_F at the smallest alpha"];
    assert!(ratio < 0.2, "{ratio}");
    assert!(
        s.notes
            .iter()
            .any(|n| n.contains("GD is nearer the rank-2 fit")),
        "{:?}",
        s.notes
    );
    // 34 of 78 (seed 9): the rank-2 interpolant is isolated, yet GD at alpha = 1e-6 ends at a
    // higher-rank interpolant far from both rivals (d_r 0.74, d_ref 0.74, separation 0.10):
    // reported as "at neither", not a failure, since no theorem names GD's limit here. No
    // strictly feasible completion exists, so the min-trace ADMM stops at its cap and the
    // interior-point fallback supplies the reference (its sanity claim holds).
    let s = completion_of_12_by_12("user-data-completion-34", 9, 34);
    assert!(
        s.notes.iter().any(|n| n.contains("GD is at neither rival")),
        "{:?}",
        s.notes
    );
    let fallback =
        "UU^T completion data: min-trace PSD interior-point fallback iterations (0 = not used)";
    assert!(s.report[fallback] > 0.0, "{:?}", s.report);
}

#[test]
fn matrix_sensing_refuses_a_malformed_file() {
    // 6 columns: neither n^2 + 1 (n >= 2) nor 3.
    let dir = common::out_dir("user-data-sensing-bad");
    let file = dir.join("bad.csv");
    std::fs::write(&file, "1,2,3,4,5,6\n6,5,4,3,2,1\n").unwrap();
    let config = Config {
        data: Some(file.clone()),
        ..common::quick(dir.clone())
    };
    let err = run_experiment(find("matrix_sensing").unwrap(), &config).unwrap_err();
    assert_eq!(err.exit_code(), 2, "{err}");
    assert!(err.to_string().contains("not a square"), "{err}");
}

/// Runs `relu_1d` in quick mode on the points `(x, y)`: no claim fails (each holds or is not
/// discriminating).
fn relu_on(name: &str, x: &[f64], y: &[f64]) -> Summary {
    let dir = common::out_dir(&format!("user-data-relu-{name}"));
    let file = dir.join(format!("{name}.csv"));
    write_csv(&file, 1, x.iter().zip(y).map(|(&a, &b)| (vec![a], b)));
    let s = run_without_failures("relu_1d", &file, &dir);
    assert!(s.claims.len() >= 5, "{name}: {:?}", s.claims);
    s
}

#[test]
fn relu_1d_on_an_uneven_zigzag_and_a_concave_run() {
    // 7 unevenly spaced points whose slopes alternate in sign, (20/7, -25/8, 20/17, -35/8,
    // 25/21, -5/3): the curvature changes sign at every knot and |s_1 + s_6| = 25/21 is far
    // below V, so the linear spline is the unique min-R interpolant: the pointwise claim is made.
    let zx = [0.0, 0.7, 1.5, 3.2, 4.0, 6.1, 7.0];
    let zy = [1.0, 3.0, 0.5, 2.5, -1.0, 1.5, 0.0];
    let s = relu_on("zigzag", &zx, &zy);
    assert!(
        s.claims
            .iter()
            .any(|c| c.metric.starts_with("sup |f - spline|")),
        "{:?}",
        s.claims
    );
    // ln(1 + x) at 6 points: slopes positive and decreasing, so |s_1 + s_5| = s_1 + s_5 > V =
    // s_1 - s_5: the end term binds, the spline is not a minimizer, and the least R is
    // (V + s_1 + s_5) / 2 = s_1 (tilting the end slopes): R(spline) / R_min = (s_1 + s_5) / s_1.
    let cx = [0.0, 0.5, 1.5, 3.0, 5.0, 8.0];
    let cy: Vec<f64> = cx.iter().map(|&t: &f64| t.ln_1p()).collect();
    let s = relu_on("concave", &cx, &cy);
    assert!(
        !s.claims
            .iter()
            .any(|c| c.metric.starts_with("sup |f - spline|")),
        "no pointwise claim where the minimizer is not unique: {:?}",
        s.claims
    );
    let (s1, s5) = (1.5f64.ln() / 0.5, (9.0f64 / 6.0).ln() / 3.0);
    let r = &s.report;
    assert!(
        (r["data_R_spline"] / r["data_R_min"] - (s1 + s5) / s1).abs() < 1e-9,
        "{r:?}"
    );
    assert!(
        r["data_R_net"] < 0.95 * r["data_R_spline"],
        "the net is cheaper than the spline: {r:?}"
    );
}

#[test]
fn relu_1d_on_points_closer_than_the_recipe_fits() {
    // A zig-zag with one pair 0.004 apart (0.1% of the range): N kappa = 6 (1/0.004 + 1/0.996)
    // = 1506, against 10-63 where the recipe was calibrated. In training units the pair's
    // targets are -1 and 1 (x maps to u = x - 2), so at the first weight decay 1e-3 separating
    // them costs lambda N / (h |dv| / 2) = 1e-3 * 6 / 0.004 = 1.5 times the MSE it saves: the
    // net leaves them unseparated, the units that could fit them decay, and the second phase
    // (1e-4) does not revive them. The sanity claim fails and the note says which points and
    // why, while the claims about the net's own function (R(f_net) least for the net's own
    // values, cost = R) still hold; R(f_net) / R_min(y) is not asserted.
    let dir = common::out_dir("user-data-relu-close");
    let file = dir.join("close.csv");
    let (x, y) = (
        [0.0, 1.0, 2.0, 2.004, 3.0, 4.0],
        [0.0, 1.0, 0.0, 1.0, 0.0, 1.0],
    );
    write_csv(&file, 1, x.iter().zip(&y).map(|(&a, &b)| (vec![a], b)));
    let config = Config {
        data: Some(file.clone()),
        ..common::quick(dir.clone())
    };
    let s = run_experiment(find("relu_1d").unwrap(), &config).unwrap();
    let status = |kind: Kind| -> Vec<&str> {
        s.claims
            .iter()
            .filter(|c| c.kind == kind)
            .map(|c| c.status())
            .collect()
    };
    assert_eq!(status(Kind::Sanity), ["FAILED"], "{:?}", s.claims);
    assert_eq!(status(Kind::Prediction), ["held"; 3], "{:?}", s.claims);
    assert!(
        s.notes
            .iter()
            .any(|n| n.contains("x = 2.000000e0 and 2.004000e0") && n.contains("N kappa = 1506")),
        "{:?}",
        s.notes
    );
    let r = &s.report;
    assert!(
        (r["data_hardest_pair_cost_ratio"] - 1.5).abs() < 1e-9,
        "{r:?}"
    );
    assert!(r["data_hardest_pair_fitted"].abs() < 0.1, "{r:?}");
    // The same x with equal values at the close pair: nothing to separate there, so N kappa is
    // still 1506 but the hardest pair is (2.004, 3), ratio 1e-3 * 6 / (0.996 * 2 / 2): fitted,
    // every claim holds. The ratio, not N kappa, decides.
    let s = relu_on("close-equal", &x, &[0.0, 1.0, 0.0, 0.0, 1.0, 0.0]);
    let r = &s.report;
    assert!(r["data_misfit_scale_N_kappa"] > 1500.0, "{r:?}");
    assert!(
        (r["data_hardest_pair_cost_ratio"] - 6e-3 / 0.996).abs() < 1e-9,
        "{r:?}"
    );
}
