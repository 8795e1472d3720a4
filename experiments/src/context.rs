//! The run configuration, and the context an experiment runs in: seeded RNGs,
//! output paths, the checkpointed iteration loop, a parallel map, progress bars.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressStyle};
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::io::{write_csv, write_json};
use crate::plot::Figure;
use crate::summary::Summary;

/// The default seed.
pub const DEFAULT_SEED: u64 = 20180220;

/// How to run experiments (the command-line flags).
#[derive(Clone, Debug)]
pub struct Config {
    /// Small sizes / short horizons (seconds per experiment).
    pub quick: bool,
    /// Master seed.
    pub seed: u64,
    /// Output directory; each experiment writes `OUT/NAME/`.
    pub out: PathBuf,
    /// Worker threads for independent runs inside an experiment.
    pub threads: usize,
    /// A user CSV for experiments that take a data set.
    pub data: Option<PathBuf>,
    /// Test hook: every iterative run stops (after checkpointing) when it reaches
    /// this step, returning [`Error::Interrupted`]; rerunning without it resumes.
    pub stop_after: Option<u64>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            quick: false,
            seed: DEFAULT_SEED,
            out: PathBuf::from("results"),
            threads: 1,
            data: None,
            stop_after: None,
        }
    }
}

/// A table of numbers logged during a run; column 0 is the step `t`.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Trace {
    /// Column names, `"t"` first.
    pub columns: Vec<String>,
    /// Rows.
    pub rows: Vec<Vec<f64>>,
}

impl Trace {
    /// The column named `name` (panics on an unknown name: a programming error).
    pub fn col(&self, name: &str) -> Vec<f64> {
        let j = self
            .columns
            .iter()
            .position(|c| c == name)
            .unwrap_or_else(|| panic!("no trace column {name}"));
        self.rows.iter().map(|r| r[j]).collect()
    }

    /// The step column.
    pub fn t(&self) -> Vec<f64> {
        self.col("t")
    }
}

/// An iterative method whose whole state can be checkpointed as JSON.
pub trait Iterate: Serialize + DeserializeOwned + Send {
    /// Names of the quantities [`record`](Iterate::record) returns.
    fn columns(&self) -> Vec<String>;
    /// Takes step `t -> t + 1`; returns the training loss at the iterate before the
    /// step (checked for NaN / inf).
    fn step(&mut self, t: u64) -> f64;
    /// The quantities logged at step `t`.
    fn record(&self, t: u64) -> Vec<f64>;
    /// Early stop (e.g. converged); checked before each step.
    fn done(&self) -> bool {
        false
    }
    /// Adopts the state loaded from a checkpoint (the default replaces `self`;
    /// override to keep non-serialised parts such as references to the data).
    fn resume(&mut self, saved: Self)
    where
        Self: Sized,
    {
        *self = saved;
    }
}

/// The outcome of [`Ctx::iterate`].
#[derive(Debug)]
pub struct Run<S> {
    /// The final state.
    pub state: S,
    /// Steps taken (`<= steps`, fewer on an early stop).
    pub steps: u64,
    /// The log.
    pub trace: Trace,
}

#[derive(Serialize, Deserialize)]
struct Checkpoint<S> {
    key: String,
    step: u64,
    finished: bool,
    state: S,
    rows: Vec<Vec<f64>>,
}

/// What an experiment sees while it runs.
pub struct Ctx<'a> {
    /// The configuration.
    pub config: &'a Config,
    /// The experiment name.
    pub name: &'static str,
    /// `OUT/NAME`.
    pub dir: PathBuf,
}

impl<'a> Ctx<'a> {
    /// The context of experiment `name`.
    pub fn new(config: &'a Config, name: &'static str) -> Self {
        Self {
            config,
            name,
            dir: config.out.join(name),
        }
    }

    /// Whether this is a `--quick` run.
    pub fn quick(&self) -> bool {
        self.config.quick
    }

    /// `full` normally, `quick` with `--quick`.
    pub fn pick<T>(&self, full: T, quick: T) -> T {
        if self.config.quick {
            quick
        } else {
            full
        }
    }

    /// A deterministic RNG for the named stream, derived from the seed.
    pub fn rng(&self, stream: &str) -> StdRng {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in stream.bytes().chain(self.name.bytes()) {
            h = (h ^ b as u64).wrapping_mul(0x0100_0000_01b3);
        }
        StdRng::seed_from_u64(self.config.seed ^ h)
    }

    /// Where run checkpoints live (removed once the summary is written).
    pub fn checkpoint_dir(&self) -> PathBuf {
        self.dir.join("checkpoints")
    }

    /// Runs `state` for `steps` steps, logging at the steps in `log_at` (sorted)
    /// and at the end, checkpointing periodically to `checkpoints/RUN.json`.
    /// A finished or partial checkpoint of the same run (same seed, mode and
    /// length) is resumed from.
    pub fn iterate<S: Iterate>(
        &self,
        run: &str,
        state: S,
        steps: u64,
        log_at: &[u64],
    ) -> Result<Run<S>> {
        let key = format!(
            "{}/{run}/seed={}/quick={}/steps={steps}",
            self.name, self.config.seed, self.config.quick
        );
        let path = self.checkpoint_dir().join(format!("{run}.json"));
        let mut columns = vec!["t".to_string()];
        columns.extend(state.columns());
        let mut state = state;
        let (mut t, mut rows, finished) = match load_checkpoint::<S>(&path, &key) {
            Some(c) => {
                state.resume(c.state);
                (c.step, c.rows, c.finished)
            }
            None => (0, Vec::new(), false),
        };
        if !finished {
            let start = t;
            let every = (steps / 20).max(10_000);
            let mut li = log_at.partition_point(|&s| s < t);
            let bar = self.progress(run, steps, t);
            let save = |state: &S, t: u64, rows: &Vec<Vec<f64>>, finished: bool| {
                save_checkpoint(&path, &key, state, t, rows, finished)
            };
            while t < steps {
                if t != start && self.config.stop_after == Some(t) {
                    save(&state, t, &rows, false)?;
                    bar.abandon();
                    return Err(Error::Interrupted {
                        experiment: self.name.into(),
                        step: t,
                    });
                }
                if t != start && t % every == 0 {
                    save(&state, t, &rows, false)?;
                }
                if li < log_at.len() && log_at[li] == t {
                    rows.push(row(t, &state));
                    li += 1;
                }
                if state.done() {
                    break;
                }
                let loss = state.step(t);
                if !loss.is_finite() {
                    return Err(Error::NonFinite {
                        experiment: self.name.into(),
                        run: run.into(),
                        step: t,
                        quantity: "loss".into(),
                    });
                }
                t += 1;
                if t % 4096 == 0 {
                    bar.set_position(t);
                }
            }
            if rows.last().map(|r| r[0] as u64) != Some(t) {
                rows.push(row(t, &state));
            }
            bar.finish_and_clear();
            save(&state, t, &rows, true)?;
        }
        Ok(Run {
            state,
            steps: t,
            trace: Trace { columns, rows },
        })
    }

    fn progress(&self, run: &str, steps: u64, at: u64) -> ProgressBar {
        if !std::io::stderr().is_terminal() {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::new(steps).with_message(format!("{}/{run}", self.name));
        if let Ok(style) = ProgressStyle::with_template("{msg:30} {bar:40} {pos}/{len} eta {eta}") {
            bar.set_style(style);
        }
        bar.set_position(at);
        bar
    }

    /// Applies `f` to every item on up to `--threads` threads; results in order.
    pub fn par_map<T: Sync, R: Send>(
        &self,
        items: &[T],
        f: impl Fn(&T) -> Result<R> + Sync,
    ) -> Result<Vec<R>> {
        let threads = self.config.threads.clamp(1, items.len().max(1));
        if threads == 1 {
            return items.iter().map(&f).collect();
        }
        let next = AtomicUsize::new(0);
        let out: Mutex<Vec<Option<Result<R>>>> =
            Mutex::new((0..items.len()).map(|_| None).collect());
        std::thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(|| loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= items.len() {
                        break;
                    }
                    let r = f(&items[i]);
                    if let Ok(mut o) = out.lock() {
                        o[i] = Some(r);
                    }
                });
            }
        });
        let out = out
            .into_inner()
            .map_err(|_| Error::Other("a worker thread panicked".into()))?;
        out.into_iter()
            .map(|r| r.unwrap_or_else(|| Err(Error::Other("a worker thread panicked".into()))))
            .collect()
    }

    /// Writes `NAME.csv` and lists it in the summary.
    pub fn write_trace(&self, summary: &mut Summary, name: &str, trace: &Trace) -> Result<()> {
        let file = format!("{name}.csv");
        write_csv(&self.dir.join(&file), &trace.columns, &trace.rows)?;
        summary.traces.push(file);
        Ok(())
    }

    /// Saves a figure (SVG and PNG) and lists it in the summary.
    pub fn save_figure(&self, summary: &mut Summary, fig: &Figure) -> Result<()> {
        let files = fig.save(&self.dir)?;
        summary.figures.extend(files);
        Ok(())
    }
}

fn row<S: Iterate>(t: u64, s: &S) -> Vec<f64> {
    let mut r = vec![t as f64];
    r.extend(s.record(t));
    r
}

fn load_checkpoint<S: DeserializeOwned>(path: &Path, key: &str) -> Option<Checkpoint<S>> {
    let text = std::fs::read_to_string(path).ok()?;
    let c: Checkpoint<S> = serde_json::from_str(&text).ok()?;
    (c.key == key).then_some(c)
}

fn save_checkpoint<S: Serialize>(
    path: &Path,
    key: &str,
    state: &S,
    step: u64,
    rows: &[Vec<f64>],
    finished: bool,
) -> Result<()> {
    #[derive(Serialize)]
    struct Out<'a, S> {
        key: &'a str,
        step: u64,
        finished: bool,
        state: &'a S,
        rows: &'a [Vec<f64>],
    }
    write_json(
        path,
        &Out {
            key,
            step,
            finished,
            state,
            rows,
        },
    )
}
