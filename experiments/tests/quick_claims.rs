//! `all --quick` through the library: every claim of every experiment holds,
//! and every promised file is written.

mod common;

use experiments::{run_all, EXPERIMENTS};

#[test]
fn every_quick_claim_holds_and_outputs_exist() {
    let out = common::out_dir("quick-all");
    let summaries = run_all(&common::quick(out.clone())).expect("all --quick runs");
    assert_eq!(summaries.len(), EXPERIMENTS.len());
    let mut failed = Vec::new();
    for s in &summaries {
        assert!(!s.claims.is_empty(), "{} checked no claim", s.experiment);
        for c in &s.claims {
            println!(
                "{:<18} {:<5} {:.4e} {} {:?} | {}",
                s.experiment, c.holds, c.value, c.relation, c.bound, c.claim
            );
            if !c.holds && c.discriminates {
                failed.push(format!(
                    "{}: {} ({} = {} vs {:?})",
                    s.experiment, c.claim, c.metric, c.value, c.bound
                ));
            }
        }
        let dir = out.join(&s.experiment);
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap())
                .unwrap();
        for key in [
            "experiment",
            "seed",
            "quick",
            "runtime_s",
            "claims",
            "arrays",
        ] {
            assert!(
                json.get(key).is_some(),
                "{}: summary.json lacks {key}",
                s.experiment
            );
        }
        for f in s.figures.iter().chain(&s.traces) {
            assert!(dir.join(f).is_file(), "{}: {f} missing", s.experiment);
        }
        assert!(
            s.figures.iter().any(|f| f.ends_with(".png"))
                && s.figures.iter().any(|f| f.ends_with(".svg"))
        );
        assert!(
            !dir.join("checkpoints").exists(),
            "checkpoints are removed after a finished run"
        );
    }
    let report = std::fs::read_to_string(out.join("REPORT.md")).unwrap();
    for e in EXPERIMENTS {
        assert!(report.contains(&format!("## {}", e.name)));
    }
    assert!(failed.is_empty(), "failed claims:\n{}", failed.join("\n"));
}
