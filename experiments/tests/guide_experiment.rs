//! GUIDE.md, walkthrough 1: the tutorial experiment is registered with the runner, so
//! `experiments list` shows it and `experiments run heavy_ball_min_norm --quick` writes its
//! summary, traces, figure and `REPORT.md` section, with every claim holding.

mod common;

use std::process::Command;

#[test]
fn run_by_name_writes_summary_figure_and_report_entry() {
    let exe = env!("CARGO_BIN_EXE_experiments");
    let list = Command::new(exe).arg("list").output().unwrap();
    let list = String::from_utf8_lossy(&list.stdout);
    assert!(list.contains("\nheavy_ball_min_norm  [guide]"), "{list}");

    let out = common::out_dir("guide-experiment");
    let run = Command::new(exe)
        .args(["run", "heavy_ball_min_norm", "--quick", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(
        stdout.contains("heavy_ball_min_norm  PASS (2/2 predictions, 1/1 controls, 1/1 sanity)"),
        "{stdout}"
    );

    let dir = out.join("heavy_ball_min_norm");
    for file in [
        "summary.json",
        "from_zero.csv",
        "from_w0.csv",
        "rel_dist.svg",
        "rel_dist.png",
    ] {
        assert!(dir.join(file).is_file(), "missing {file}");
    }
    assert!(!dir.join("checkpoints").exists());
    let summary: experiments::Summary =
        serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary.experiment, "heavy_ball_min_norm");
    assert_eq!(summary.figures, ["rel_dist.svg", "rel_dist.png"]);
    assert_eq!(summary.claims.len(), 4);
    for c in &summary.claims {
        assert!(c.holds, "claim failed: {c:?}");
    }
    let report = std::fs::read_to_string(out.join("REPORT.md")).unwrap();
    assert!(
        report
            .contains("| heavy_ball_min_norm | PASS (2/2 predictions, 1/1 controls, 1/1 sanity) |"),
        "{report}"
    );
    assert!(report.contains("## heavy_ball_min_norm"), "{report}");
    assert!(
        report.contains("![rel_dist.svg](heavy_ball_min_norm/rel_dist.svg)"),
        "{report}"
    );
    std::fs::remove_dir_all(&out).unwrap();
}
