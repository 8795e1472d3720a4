//! Shared helpers of the integration tests.

use std::path::PathBuf;

use experiments::Config;

/// A fresh, empty output directory for one test.
pub fn out_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("experiments-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The `--quick` configuration writing to `out`.
#[allow(dead_code)]
pub fn quick(out: PathBuf) -> Config {
    Config {
        quick: true,
        out,
        threads: 2,
        ..Config::default()
    }
}
