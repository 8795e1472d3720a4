//! The run configuration, and the context an experiment runs in: seeded RNGs,
//! output paths, the checkpointed training loop ([`Ctx::train`]), a parallel map, progress bars.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};

use autograd::Float;
use nn::Module;
use optim::Optimizer;

use super::checkpoint::Snapshot;
use super::io::write_csv;
use super::params::{self, Param, Params};
use super::plot::Figure;
use super::summary::Summary;
use super::train::{Progress, TrainRng, Trained, Training};
use crate::error::{Error, Result};

/// A run writes a periodic checkpoint (every `steps / 20` steps) only if this long has passed
/// since its last one, so that short runs spend no time on them; a run's final checkpoint is
/// always written. The numbers of a run never depend on when its checkpoints were taken.
pub const MIN_CHECKPOINT_INTERVAL: Duration = Duration::from_millis(500);

/// The default seed.
pub const DEFAULT_SEED: u64 = 20180220;

/// The `T n d` a run over the user's data may spend in its `O(n d)` steps
/// ([`Ctx::data_steps`]): `1e11`, so `T = 10^4` steps at `n d = 10^7` (10^5 rows x 100
/// features), where a step reads the 80 MB of `X` twice from memory (a forward and a backward
/// product: about 16 ms), about 3 minutes per run; a fifth with `--quick`.
pub const DATA_BUDGET: f64 = 1e11;

/// When stderr is not a terminal, a run that takes longer than this prints a progress line
/// (run, step, elapsed time) at most this often.
pub const PROGRESS_LINE_INTERVAL: Duration = Duration::from_secs(30);

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
    /// Parameter overrides (each declared by the experiment; see [`Ctx::param`]).
    pub params: Params,
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
            params: Params::new(),
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

/// What an experiment sees while it runs.
pub struct Ctx<'a> {
    /// The configuration.
    pub config: &'a Config,
    /// The experiment name.
    pub name: &'static str,
    /// `OUT/NAME`.
    pub dir: PathBuf,
    /// The parameters the experiment declares.
    declared: &'static [Param],
    /// A fingerprint of the `--data` file's bytes (part of every run's checkpoint key).
    data_hash: u64,
    /// Runs resumed from a checkpoint, with their step (reported in the summary).
    resumed: Mutex<Vec<(String, u64)>>,
}

impl<'a> Ctx<'a> {
    /// The context of a run named `name` that declares no parameters (tests, probes).
    pub fn new(config: &'a Config, name: &'static str) -> Self {
        let data_hash = config
            .data
            .as_ref()
            .and_then(|p| std::fs::read(p).ok())
            .map_or(0, |bytes| fnv1a(&bytes));
        Self {
            config,
            name,
            declared: &[],
            dir: config.out.join(name),
            data_hash,
            resumed: Mutex::new(Vec::new()),
        }
    }

    /// The context of the registered experiment `exp`, with its declared parameters.
    pub fn of(config: &'a Config, exp: &'static crate::Experiment) -> Self {
        Self {
            declared: exp.params,
            ..Self::new(config, exp.name)
        }
    }

    /// The runs resumed from a checkpoint so far, with the step each resumed at.
    pub fn resumed(&self) -> Vec<(String, u64)> {
        self.resumed.lock().map(|r| r.clone()).unwrap_or_default()
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

    /// The value of the declared parameter `name`: the run's override, else its default (full
    /// or `--quick`). An undeclared name is an error (declare it in `EXPERIMENT.params`).
    pub fn param(&self, name: &str) -> Result<Vec<f64>> {
        let p = params::lookup(self.name, self.declared, name).map_err(Error::Other)?;
        Ok(match self.config.params.get(name) {
            Some(v) => v.clone(),
            None => p.default_values(self.config.quick).to_vec(),
        })
    }

    /// A scalar parameter (see [`Ctx::param`]).
    pub fn param_f64(&self, name: &str) -> Result<f64> {
        match self.param(name)?[..] {
            [v] => Ok(v),
            ref vs => Err(Error::Usage(format!(
                "{}: parameter {name}: expected one number, found {vs:?}",
                self.name
            ))),
        }
    }

    /// A count parameter (see [`Ctx::param`]).
    pub fn param_usize(&self, name: &str) -> Result<usize> {
        self.param_f64(name).map(|v| v as usize)
    }

    /// A list-of-counts parameter (see [`Ctx::param`]).
    pub fn param_usizes(&self, name: &str) -> Result<Vec<usize>> {
        Ok(self.param(name)?.iter().map(|&v| v as usize).collect())
    }

    /// The budget `T n d` of [`Ctx::data_steps`] in this mode: [`DATA_BUDGET`], a fifth of it
    /// with `--quick`.
    pub fn data_budget(&self) -> f64 {
        self.pick(DATA_BUDGET, DATA_BUDGET / 5.0)
    }

    /// The horizon of a run whose steps cost `O(n d)` on `n x d` data: `steps` (the protocol's
    /// horizon) on the built-in data; on the user's data (`--data`), `steps` capped so that the
    /// run spends at most [`DATA_BUDGET`] (`T n d`), a fifth of it and a tenth of `steps` with
    /// `--quick`, and never below `min(1000, cap)` steps. So a run's cost stops growing with
    /// the data past `n d = DATA_BUDGET / steps`, and the experiment checks its claims at the
    /// horizon it reached (their decades relative to it), stating it in a note.
    pub fn data_steps(&self, steps: u64, n: usize, d: usize) -> u64 {
        if self.config.data.is_none() {
            return steps;
        }
        let cap = self.pick(steps, steps / 10);
        let affordable = (self.data_budget() / (n.max(1) * d.max(1)) as f64) as u64;
        affordable.clamp(cap.min(1000), cap.max(1))
    }

    /// A deterministic RNG for the named stream, derived from the seed.
    pub fn rng(&self, stream: &str) -> StdRng {
        StdRng::seed_from_u64(self.stream_seed(stream))
    }

    fn stream_seed(&self, stream: &str) -> u64 {
        let bytes: Vec<u8> = stream.bytes().chain(self.name.bytes()).collect();
        self.config.seed ^ fnv1a(&bytes)
    }

    /// Trains `training` for `steps` steps as the run `run` (its checkpoint is
    /// `checkpoints/RUN.safetensors`): logs a row at the steps in `log_at` (sorted) and at the
    /// end, writes a checkpoint every `steps / 20` steps (at most one per
    /// [`MIN_CHECKPOINT_INTERVAL`]) and at the end, and stops with [`Error::NonFinite`]
    /// at a NaN or infinite loss. A checkpoint of the same run (same experiment, seed, mode,
    /// length and data) is restored first: a finished run is returned as it ended, an
    /// interrupted one continues, reaching the numbers of an uninterrupted run bit for bit.
    /// See [`crate::runner::train`].
    pub fn train<'t, T: Float, M: Module<T> + 't, O: Optimizer<T> + 't>(
        &self,
        run: &str,
        training: Training<'t, T, M, O>,
        steps: u64,
        log_at: &[u64],
    ) -> Result<Trained<M, O>> {
        let Training {
            mut model,
            mut opt,
            step,
            columns: logged,
            mut record,
            mut stop,
            mut hooks,
            ..
        } = training;
        let mut step = step.ok_or_else(|| {
            Error::Other(format!(
                "{}/{run}: a Training needs a loss (or a step_with) before it runs",
                self.name
            ))
        })?;
        let mut key = format!(
            "{}/{run}/seed={}/quick={}/steps={steps}/data={:016x}",
            self.name, self.config.seed, self.config.quick, self.data_hash
        );
        if !self.config.params.is_empty() {
            key.push_str(&format!("/params={}", params::label(&self.config.params)));
        }
        let path = self.checkpoint_dir().join(format!("{run}.safetensors"));
        let mut columns = vec!["t".to_string()];
        columns.extend(logged);
        let mut rng = TrainRng::seed_from_u64(self.stream_seed(&format!("train/{run}")));
        let (mut t, mut rows, mut last_loss, mut finished) = (0, Vec::new(), f64::NAN, false);
        let mut resumed_from = None;
        if let Some(snap) = Snapshot::load(&path, &key) {
            match snap.restore(&mut model, &mut opt, &mut rng) {
                Ok(()) => {
                    (t, rows, last_loss, finished) =
                        (snap.step, snap.rows, snap.last_loss, snap.finished);
                    resumed_from = Some(t);
                    if let Ok(mut r) = self.resumed.lock() {
                        r.push((run.to_string(), t));
                    }
                    if !finished {
                        eprintln!("{}/{run}: resumed at step {t}", self.name);
                    }
                }
                Err(why) => eprintln!(
                    "note: {}: the checkpoint does not fit this run ({why}); starting over",
                    path.display()
                ),
            }
        }
        let mut row_at = |model: &mut M, t: u64| -> Vec<f64> {
            let mut r = vec![t as f64];
            if let Some(f) = record.as_mut() {
                r.extend(f(model, t));
            }
            r
        };
        if !finished {
            let start = t;
            let every = (steps / 20).max(1);
            let mut saved_at = Instant::now();
            let mut li = log_at.partition_point(|&s| s < t);
            let bar = self.progress(run, steps, t);
            let (began, mut printed) = (Instant::now(), Instant::now());
            let save =
                |model: &mut M, opt: &O, rng: &TrainRng, t, rows: &[Vec<f64>], loss, done| {
                    Snapshot::take(&key, t, done, loss, rows, model, opt, rng).save(&path)
                };
            while t < steps {
                if t != start && self.config.stop_after == Some(t) {
                    save(&mut model, &opt, &rng, t, &rows, last_loss, false)?;
                    bar.abandon();
                    return Err(Error::Interrupted {
                        experiment: self.name.into(),
                        step: t,
                    });
                }
                if t != start && t % every == 0 && saved_at.elapsed() >= MIN_CHECKPOINT_INTERVAL {
                    save(&mut model, &opt, &rng, t, &rows, last_loss, false)?;
                    saved_at = Instant::now();
                }
                let logged_now = li < log_at.len() && log_at[li] == t;
                if logged_now {
                    rows.push(row_at(&mut model, t));
                    li += 1;
                }
                if let Some(stop) = stop.as_mut() {
                    let progress = Progress {
                        t,
                        loss: last_loss,
                        row: logged_now.then(|| rows[rows.len() - 1].as_slice()),
                    };
                    if stop(&model, &progress) {
                        break;
                    }
                }
                for hook in &mut hooks {
                    hook(&mut model, &mut opt, t);
                }
                last_loss = step(&mut model, &mut opt, &mut rng, t);
                if !last_loss.is_finite() {
                    return Err(Error::NonFinite {
                        experiment: self.name.into(),
                        run: run.into(),
                        step: t,
                        quantity: "loss".into(),
                    });
                }
                t += 1;
                // Every 256 steps: often enough for slow steps (a 1e5-row data set), rarely
                // enough that reading the clock costs nothing next to the fastest steps.
                if t % 256 == 0 {
                    bar.set_position(t);
                    if bar.is_hidden() && printed.elapsed() >= PROGRESS_LINE_INTERVAL {
                        printed = Instant::now();
                        let secs = began.elapsed().as_secs_f64();
                        eprintln!("{}/{run}: step {t} of {steps} ({secs:.0} s)", self.name);
                    }
                }
            }
            if rows.last().map(|r| r[0] as u64) != Some(t) {
                rows.push(row_at(&mut model, t));
            }
            bar.finish_and_clear();
            save(&mut model, &opt, &rng, t, &rows, last_loss, true)?;
        }
        Ok(Trained {
            model,
            opt,
            steps: t,
            trace: Trace { columns, rows },
            resumed_from,
        })
    }

    /// Where run checkpoints live (removed once the summary is written).
    pub fn checkpoint_dir(&self) -> PathBuf {
        self.dir.join("checkpoints")
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

/// The 64-bit FNV-1a hash of `bytes`.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_steps_cap_the_cost_on_user_data_only() {
        let mut config = Config::default();
        let steps = |config: &Config, n, d| Ctx::new(config, "t").data_steps(1_000_000, n, d);
        assert_eq!(steps(&config, 100_000, 100), 1_000_000, "built-in data");
        config.data = Some(PathBuf::from("/nonexistent.csv"));
        // 1e11 / (1e5 * 100) = 1e4 steps; a small set keeps the protocol's horizon.
        assert_eq!(steps(&config, 100_000, 100), 10_000);
        assert_eq!(steps(&config, 30, 10), 1_000_000);
        // At least 1000 steps, however large the data.
        assert_eq!(steps(&config, 10_000_000, 1000), 1000);
        config.quick = true;
        assert_eq!(steps(&config, 100_000, 100), 2_000);
        assert_eq!(steps(&config, 30, 10), 100_000);
    }
}
