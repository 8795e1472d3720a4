//! Running a shard of a sweep: its cells one after another, or `--jobs J` side by side with
//! `threads / J` threads each; complete cells are skipped, interrupted ones resume from their
//! checkpoints (the runner's), failed ones are recorded and retried by the next run.

use std::io::Write;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::spec::{Cell, Spec};
use super::{cell_dir, install_spec, DONE_FILE, ERROR_FILE};
use crate::error::{Error, Result};
use crate::runner::io::{write_atomic, write_json};
use crate::{report, run_experiment, Config};

/// `--shard I/N`: the cells `i` with `i mod N = I`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// `I`, in `0..N`.
    pub index: usize,
    /// `N >= 1`.
    pub count: usize,
}

impl Shard {
    /// The whole sweep (`0/1`).
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    /// Whether cell `i` belongs to this shard.
    pub fn has(&self, i: usize) -> bool {
        i % self.count == self.index
    }
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let bad = || format!("expected I/N with 0 <= I < N (e.g. 0/4), found {s:?}");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count) = (
            i.trim().parse::<usize>().map_err(|_| bad())?,
            n.trim().parse::<usize>().map_err(|_| bad())?,
        );
        if index < count {
            Ok(Shard { index, count })
        } else {
            Err(bad())
        }
    }
}

/// The completion marker's content: which cell the directory holds.
#[derive(Debug, Serialize, Deserialize)]
pub struct CellRecord {
    /// Index in the sweep.
    pub index: usize,
    /// Experiment name.
    pub experiment: String,
    /// Seed.
    pub seed: u64,
    /// The parameter overrides it ran with.
    pub params: crate::Params,
}

/// How a cell ended in this run.
enum Outcome {
    /// Complete before this run.
    Skipped,
    /// Ran to completion: its verdict.
    Done(String),
    /// Failed: the error.
    Failed(String),
}

/// Runs the cells of `shard` of `spec` into `out`, `jobs` at a time with `threads / jobs`
/// threads each, printing one line per cell as it finishes; `Ok(false)` when some cell failed.
pub fn run_shard(
    spec: &Spec,
    out: &Path,
    shard: Shard,
    jobs: usize,
    threads: usize,
) -> Result<bool> {
    install_spec(out, spec)?;
    let cells: Vec<Cell> = spec
        .cells()
        .into_iter()
        .filter(|c| shard.has(c.index))
        .collect();
    let total = spec.cells().len();
    let jobs = jobs.clamp(1, cells.len().max(1));
    let per_cell = (threads / jobs).max(1);
    let next = AtomicUsize::new(0);
    let counts = Mutex::new([0usize; 3]);
    std::thread::scope(|s| {
        for _ in 0..jobs {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(cell) = cells.get(i) else { break };
                let start = Instant::now();
                let outcome = run_cell(spec, out, cell, per_cell);
                let (k, what) = match &outcome {
                    Outcome::Skipped => (0, "skipped (complete)".to_string()),
                    Outcome::Done(v) => (1, v.clone()),
                    Outcome::Failed(e) => (2, format!("FAILED: {e}")),
                };
                if let Ok(mut c) = counts.lock() {
                    c[k] += 1;
                }
                let mut stdout = std::io::stdout().lock();
                let _ = writeln!(
                    stdout,
                    "cell {}/{total} {}: {what} ({:.1} s)",
                    cell.index,
                    cell.label(),
                    start.elapsed().as_secs_f64()
                );
                let _ = stdout.flush();
            });
        }
    });
    let [skipped, done, failed] = counts
        .into_inner()
        .map_err(|_| Error::Other("a sweep worker panicked".into()))?;
    println!(
        "shard {}/{}: {} cells: {done} run, {skipped} already complete, {failed} failed",
        shard.index,
        shard.count,
        cells.len()
    );
    Ok(failed == 0)
}

/// Runs one cell unless it is complete; a failure (an error or a panic) is written to
/// `error.txt` and returned, never propagated: the other cells go on.
fn run_cell(spec: &Spec, out: &Path, cell: &Cell, threads: usize) -> Outcome {
    let dir = cell_dir(out, cell);
    if dir.join(DONE_FILE).is_file() {
        return Outcome::Skipped;
    }
    let attempt = || -> Result<String> {
        let error = dir.join(ERROR_FILE);
        if error.exists() {
            std::fs::remove_file(&error).map_err(|e| Error::io(&error, e))?;
        }
        let config = Config {
            quick: spec.quick,
            seed: cell.seed,
            out: dir.clone(),
            threads,
            data: None,
            params: cell.params.clone(),
            stop_after: None,
        };
        let summary = run_experiment(cell.experiment, &config)?;
        let record = CellRecord {
            index: cell.index,
            experiment: cell.experiment.name.into(),
            seed: cell.seed,
            params: cell.params.clone(),
        };
        write_json(&dir.join(DONE_FILE), &record)?;
        Ok(report::verdict(&summary))
    };
    let result = std::panic::catch_unwind(AssertUnwindSafe(attempt)).unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        Err(Error::Other(format!("panicked: {what}")))
    });
    match result {
        Ok(verdict) => Outcome::Done(verdict),
        Err(e) => {
            let message = e.to_string();
            let file: PathBuf = dir.join(ERROR_FILE);
            if let Err(w) = write_atomic(&file, format!("{message}\n").as_bytes()) {
                eprintln!("warning: {w}");
            }
            Outcome::Failed(message)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_parse_and_partition() {
        let s: Shard = "1/4".parse().unwrap();
        assert_eq!(s, Shard { index: 1, count: 4 });
        assert!(s.has(5) && !s.has(4));
        for bad in ["4/4", "1", "a/2", "1/0", "-1/2"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }
}
