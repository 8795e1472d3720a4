//! GUIDE.md, walkthrough 1: the example experiment runs through the runner and produces its
//! summary, trace, figure and report entry, and every claim holds.

#[allow(dead_code)]
#[path = "../examples/guide_experiment.rs"]
mod guide_experiment;

#[test]
fn guide_experiment_writes_summary_figure_and_report() {
    let out = std::env::temp_dir().join(format!("guide-experiment-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let config = experiments::Config {
        quick: true,
        out: out.clone(),
        ..Default::default()
    };
    let summary = guide_experiment::run_and_report(&config).unwrap();
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
    assert_eq!(summary.figures, ["rel_dist.svg", "rel_dist.png"]);
    let json = std::fs::read_to_string(dir.join("summary.json")).unwrap();
    assert!(
        json.contains("\"experiment\": \"heavy_ball_min_norm\""),
        "{json}"
    );
    let report = std::fs::read_to_string(out.join("REPORT.md")).unwrap();
    assert!(report.contains("## heavy_ball_min_norm"), "{report}");
    for c in &summary.claims {
        assert!(c.holds, "claim failed: {c:?}");
    }
    assert!(!dir.join("checkpoints").exists());
    std::fs::remove_dir_all(&out).unwrap();
}
