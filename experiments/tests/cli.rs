//! The binary: a smoke test, and bad `--data` files giving a clear error with
//! file and line, exit code 2 and no panic.

mod common;

use std::path::Path;
use std::process::{Command, Output};

fn exe(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_experiments"))
        .args(args)
        .output()
        .expect("the binary runs")
}

#[test]
fn smoke_list_and_run() {
    let out = exe(&["list"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for e in experiments::EXPERIMENTS {
        assert!(text.contains(e.name));
    }
    let dir = common::out_dir("cli-smoke");
    let out = exe(&[
        "run",
        "steepest_descent",
        "--quick",
        "--seed",
        "7",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("steepest_descent"));
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("steepest_descent/summary.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(json["seed"], 7);
    assert_eq!(json["quick"], true);
    // An unknown experiment is a usage error.
    let out = exe(&["run", "nope"]);
    assert_eq!(out.status.code(), Some(2));
}

/// `all --readme FILE` refuses a file without the verdict markers before running anything.
#[test]
fn all_with_a_readme_without_markers_fails_before_running() {
    let dir = common::out_dir("cli-readme");
    let readme = dir.join("README.md");
    std::fs::write(&readme, "# no markers here\n").unwrap();
    let out = exe(&[
        "all",
        "--quick",
        "--out",
        dir.to_str().unwrap(),
        "--readme",
        readme.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with(&format!(
            "error: {}: the line <!-- verdicts:begin -->",
            readme.display()
        )),
        "{err}"
    );
    assert!(!dir.join("REPORT.md").exists());
    assert!(!dir.join(experiments::EXPERIMENTS[0].name).exists());
}

/// The README's experiment list is `list`'s output (so it cannot go stale), and the README has
/// the markers `all --readme README.md` writes the verdict table between.
#[test]
fn readme_lists_every_experiment_and_has_the_verdict_markers() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let out = exe(&["list"]);
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        assert!(
            readme.contains(line),
            "README.md lacks this line of `experiments list` (paste the output again):\n{line}"
        );
    }
    experiments::report::check_readme(
        concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md").as_ref(),
    )
    .unwrap();
}

/// Runs `experiment` on `content` written to a file; checks exit code 2 and an
/// `error:` line naming the file and `line_text` (e.g. "line 3").
fn bad(name: &str, experiment: &str, content: Option<&str>, line_text: &str) {
    let dir = common::out_dir(&format!("bad-{name}"));
    let file = dir.join(format!("{name}.csv"));
    if let Some(c) = content {
        std::fs::write(&file, c).unwrap();
    }
    let out = exe(&[
        "run",
        experiment,
        "--quick",
        "--data",
        file.to_str().unwrap(),
        "--out",
        dir.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{name}: {err}");
    assert!(err.starts_with("error: "), "{name}: {err}");
    assert!(
        err.contains(&file.display().to_string()),
        "{name}: file not named: {err}"
    );
    assert!(
        err.contains(line_text),
        "{name}: expected {line_text:?} in {err}"
    );
    assert!(!err.contains("panicked"), "{name}: {err}");
    assert!(!Path::new(&dir.join(experiment).join("summary.json")).exists());
}

#[test]
fn data_for_an_experiment_that_takes_none_is_refused() {
    bad(
        "refused-heavy_ball_min_norm",
        "heavy_ball_min_norm",
        Some("x,y\n1,1\n2,-1\n"),
        "does not take --data",
    );
}

#[test]
fn a_sensing_file_that_is_not_underdetermined_is_a_data_error() {
    // 3 symmetric measurements of a 2 x 2 matrix (3 unknowns): exit 2 naming the file.
    bad(
        "sensing-overdetermined",
        "matrix_sensing",
        Some("1,0,0,0,1\n0,1,1,0,1\n0,0,0,1,1\n"),
        "underdetermined",
    );
}

#[test]
fn duplicate_x_is_a_data_error_for_relu_1d() {
    // x = 0.5 on lines 3 and 5: the 1-D interpolation problem needs distinct points.
    bad(
        "duplicate-x-relu",
        "relu_1d",
        Some("x,y\n-1,0\n0.5,1\n2,0\n0.5,2\n"),
        "found x = 0.5 on lines 3 and 5",
    );
}

#[test]
fn non_separable_data_is_a_data_error_for_linear_conv() {
    // The same point with both labels.
    bad(
        "non-separable-conv",
        "linear_conv",
        Some("1,2,3,4,5,6,7,8,1\n1,2,3,4,5,6,7,8,-1\n2,1,0,1,2,1,0,1,1\n"),
        "not linearly separable",
    );
}

#[test]
fn missing_file() {
    bad("missing", "logistic_margin", None, "cannot read");
}

#[test]
fn ragged_rows() {
    bad(
        "ragged",
        "logistic_margin",
        Some("a,b,label\n1,2,1\n3,4\n"),
        "line 3",
    );
}

#[test]
fn non_numeric_cell() {
    bad(
        "nonnumeric",
        "steepest_descent",
        Some("1,2,1\n-1,x,-1\n"),
        "line 2",
    );
}

#[test]
fn one_class_only() {
    bad(
        "oneclass",
        "logistic_margin",
        Some("1,2,1\n2,1,1\n3,3,1\n"),
        "lines 1-3",
    );
}

#[test]
fn not_separable() {
    bad(
        "inseparable",
        "steepest_descent",
        Some("f1,f2,y\n1,0,1\n-1,0,1\n0,1,-1\n"),
        "lines 2-4",
    );
}

#[test]
fn user_data_runs_the_protocol() {
    let dir = common::out_dir("user-data");
    let file = dir.join("data.csv");
    let mut s = String::from("x1,x2,x3,y\n");
    for i in 0..12 {
        let a = (i as f64 * 0.7).sin();
        let b = (i as f64 * 1.3).cos();
        let y = if i % 2 == 0 { 1.0 } else { -1.0 };
        s.push_str(&format!("{},{},{},{}\n", y * (1.0 + a.abs()), b, a * b, y));
    }
    std::fs::write(&file, s).unwrap();
    let out = exe(&[
        "run",
        "steepest_descent",
        "--quick",
        "--data",
        file.to_str().unwrap(),
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("steepest_descent/summary.json")).unwrap(),
    )
    .unwrap();
    assert!(json["data"].as_str().unwrap().ends_with("data.csv"));
}
