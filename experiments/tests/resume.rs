//! A run interrupted by the internal stop hook and then rerun reaches exactly
//! the numbers of an uninterrupted run; a non-finite loss stops a run with an
//! error naming the experiment, step and quantity.

mod common;

use experiments::{find, run_experiment, Config, Ctx, Error, Iterate};
use serde::{Deserialize, Serialize};

fn resumed_equals_uninterrupted(name: &str, stop: u64) {
    let exp = find(name).unwrap();
    let straight = run_experiment(
        exp,
        &common::quick(common::out_dir(&format!("{name}-straight"))),
    )
    .unwrap();

    let dir = common::out_dir(&format!("{name}-resumed"));
    let interrupted = Config {
        stop_after: Some(stop),
        threads: 1,
        ..common::quick(dir.clone())
    };
    match run_experiment(exp, &interrupted) {
        Err(Error::Interrupted { step, .. }) => assert_eq!(step, stop),
        other => panic!(
            "expected an interruption, got {:?}",
            other.map(|s| s.claims.len())
        ),
    }
    assert!(
        dir.join(name).join("checkpoints").is_dir(),
        "a checkpoint was written"
    );
    assert!(!dir.join(name).join("summary.json").exists());
    let resumed = run_experiment(exp, &common::quick(dir)).unwrap();

    assert_eq!(straight.claims, resumed.claims);
    assert_eq!(straight.arrays, resumed.arrays);
    assert_eq!(straight.report, resumed.report);
}

#[test]
fn steepest_descent_resumes_exactly() {
    resumed_equals_uninterrupted("steepest_descent", 12_345);
}

#[test]
fn multiclass_margin_resumes_exactly() {
    resumed_equals_uninterrupted("multiclass_margin", 54_321);
}

#[test]
fn least_squares_resumes_exactly() {
    // SGD's samples are a function of (seed, t), so they too resume exactly.
    resumed_equals_uninterrupted("least_squares", 1_000);
}

#[derive(Debug, Serialize, Deserialize)]
struct Blows {
    x: f64,
}

impl Iterate for Blows {
    fn columns(&self) -> Vec<String> {
        vec!["x".into()]
    }
    fn step(&mut self, t: u64) -> f64 {
        self.x *= 10.0;
        if t == 7 {
            f64::NAN
        } else {
            self.x
        }
    }
    fn record(&self, _t: u64) -> Vec<f64> {
        vec![self.x]
    }
}

#[test]
fn non_finite_loss_is_an_error_naming_experiment_step_and_quantity() {
    let config = common::quick(common::out_dir("nan"));
    let ctx = Ctx::new(&config, "nan_probe");
    let err = ctx
        .iterate("run", Blows { x: 1.0 }, 100, &[0, 10])
        .unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, Error::NonFinite { step: 7, .. }), "{msg}");
    assert!(
        msg.contains("nan_probe") && msg.contains("step 7") && msg.contains("loss"),
        "{msg}"
    );
}
