//! Quick runs of the parametrization experiments (protocols 2d, 4, 5, 10a):
//! every claim must hold.

use experiments::{find, run_experiment, Config};

fn quick(name: &str) {
    let out = std::env::temp_dir().join(format!("param-quick-{}-{name}", std::process::id()));
    let config = Config {
        quick: true,
        out: out.clone(),
        threads: 2,
        ..Config::default()
    };
    let s = run_experiment(find(name).expect("registered"), &config).expect("runs");
    let failed: Vec<String> = s
        .claims
        .iter()
        .filter(|c| !c.holds)
        .map(|c| format!("{}: {} = {}", c.claim, c.metric, c.value))
        .collect();
    let _ = std::fs::remove_dir_all(&out);
    assert!(failed.is_empty(), "{name}: failed claims {failed:#?}");
}

#[test]
fn matrix_sensing_quick() {
    quick("matrix_sensing");
}

#[test]
fn deep_linear_quick() {
    quick("deep_linear");
}

#[test]
fn linear_conv_quick() {
    quick("linear_conv");
}

#[test]
fn diagonal_net_quick() {
    quick("diagonal_net");
}
