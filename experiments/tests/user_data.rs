//! The experiments that take `--data`, on data sets of more rows than the built-in ones (and
//! more than the margin solvers solve in one piece): every claim they make on a user's data
//! holds on data meeting the theorems' assumptions, the horizon follows the data's size
//! (`Ctx::data_steps`), and what is asserted only on the built-in constructions is reported.

mod common;

use std::path::Path;

use experiments::data::synthetic::{blobs, separable_gaussian};
use experiments::{find, run_experiment, Config, Summary};
use rand::{rngs::StdRng, SeedableRng};

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

/// Runs `name` in quick mode on `data` and checks that every claim holds.
fn run_on(name: &str, data: &Path, out: &Path) -> Summary {
    let config = Config {
        data: Some(data.to_path_buf()),
        ..common::quick(out.to_path_buf())
    };
    let s = run_experiment(find(name).unwrap(), &config).unwrap();
    assert!(!s.claims.is_empty(), "{name}: no claims");
    for c in &s.claims {
        assert!(c.holds, "{name}: {} ({} = {})", c.claim, c.metric, c.value);
    }
    assert!(
        s.notes.iter().any(|n| n.contains("Ctx::data_steps")),
        "{name}: the horizon is not stated: {:?}",
        s.notes
    );
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

/// Runs `relu_1d` in quick mode on the points `(x, y)`: every prediction holds (or is not
/// discriminating) and the sanity check holds.
fn relu_on(name: &str, x: &[f64], y: &[f64]) -> Summary {
    let dir = common::out_dir(&format!("user-data-relu-{name}"));
    let file = dir.join(format!("{name}.csv"));
    write_csv(&file, 1, x.iter().zip(y).map(|(&a, &b)| (vec![a], b)));
    let config = Config {
        data: Some(file),
        ..common::quick(dir)
    };
    let s = run_experiment(find("relu_1d").unwrap(), &config).unwrap();
    assert!(s.claims.len() >= 5, "{name}: {:?}", s.claims);
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
