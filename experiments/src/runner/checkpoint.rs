//! Run checkpoints: a snapshot of a training run, taken only when saving, and its restoration
//! into a freshly built model and optimizer.
//!
//! A snapshot holds the named parameters (as `f64`, exact for `f32` models too), the
//! optimizer's [`OptimizerState`], the run's RNG state, the step, the last loss and the trace
//! rows. It is one safetensors file, `OUT/NAME/checkpoints/RUN.safetensors`: tensors
//! `param/NAME` (the parameters, in their shapes), `opt/NAME` (the optimizer's vectors) and
//! `trace` (`rows x columns`), and a metadata entry `run` (JSON: the run's key, step, optimizer
//! kind and scalars, RNG state; every float as its bit pattern, so NaN and infinities survive).
//! It is written to a temporary file, synced, then renamed, so a crash leaves the previous
//! checkpoint or the new one.
//!
//! Test hook: with `EXPERIMENTS_ABORT_IN_CHECKPOINT=K` in the environment the process aborts
//! (as a SIGKILL would stop it) halfway through writing its `K`-th checkpoint file, leaving a
//! torn temporary file behind.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use autograd::Float;
use nn::Module;
use optim::{Optimizer, OptimizerState};
use rand::SeedableRng;
use safetensors::tensor::TensorView;
use safetensors::{Dtype, SafeTensors};
use serde::{Deserialize, Serialize};

use super::io::temp_path;
use super::train::TrainRng;
use crate::error::{Error, Result};

/// The environment variable of the fault-injection hook (see the module docs).
pub const ABORT_ENV: &str = "EXPERIMENTS_ABORT_IN_CHECKPOINT";

/// Checkpoint files written by this process (for the fault-injection hook).
static WRITES: AtomicU64 = AtomicU64::new(0);

/// Everything a training run needs to continue exactly where it stopped.
pub(super) struct Snapshot {
    /// Identifies the run (experiment, run name, seed, mode, length, data); a checkpoint with
    /// another key is ignored.
    pub key: String,
    /// Steps taken.
    pub step: u64,
    /// Whether the run had finished.
    pub finished: bool,
    /// The loss of the last step.
    pub last_loss: f64,
    /// Trace rows (step first).
    pub rows: Vec<Vec<f64>>,
    /// Parameters: name, shape, values.
    pub params: Vec<(String, Vec<usize>, Vec<f64>)>,
    /// The optimizer's state.
    pub opt: OptimizerState,
    /// The RNG's state.
    pub rng: RngState,
}

/// The full state of a [`TrainRng`] (ChaCha8): seed, stream, position in the stream.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(super) struct RngState {
    seed: String,
    stream: u64,
    word_pos: String,
}

impl RngState {
    pub fn of(rng: &TrainRng) -> Self {
        RngState {
            seed: rng.get_seed().iter().map(|b| format!("{b:02x}")).collect(),
            stream: rng.get_stream(),
            word_pos: rng.get_word_pos().to_string(),
        }
    }

    fn rebuild(&self) -> Option<TrainRng> {
        if self.seed.len() != 64 {
            return None;
        }
        let mut seed = [0u8; 32];
        for (i, b) in seed.iter_mut().enumerate() {
            *b = u8::from_str_radix(self.seed.get(2 * i..2 * i + 2)?, 16).ok()?;
        }
        let mut rng = TrainRng::from_seed(seed);
        rng.set_stream(self.stream);
        rng.set_word_pos(self.word_pos.parse().ok()?);
        Some(rng)
    }
}

/// The JSON metadata entry `run`.
#[derive(Serialize, Deserialize)]
struct Meta {
    key: String,
    step: u64,
    finished: bool,
    last_loss: u64,
    trace_cols: usize,
    optimizer: String,
    scalars: BTreeMap<String, u64>,
    rng: RngState,
}

impl Snapshot {
    /// Takes the snapshot of a live run.
    #[allow(clippy::too_many_arguments)]
    pub fn take<T: Float, M: Module<T>, O: Optimizer<T>>(
        key: &str,
        step: u64,
        finished: bool,
        last_loss: f64,
        rows: &[Vec<f64>],
        model: &mut M,
        opt: &O,
        rng: &TrainRng,
    ) -> Self {
        let mut params = Vec::new();
        model.visit_parameters(&mut |name, p| {
            let values = p.with_slice(|v| v.iter().map(|x| x.f64()).collect());
            params.push((name.to_string(), p.dims().to_vec(), values));
        });
        Snapshot {
            key: key.to_string(),
            step,
            finished,
            last_loss,
            rows: rows.to_vec(),
            params,
            opt: opt.state(),
            rng: RngState::of(rng),
        }
    }

    /// Loads the snapshot into the live run; on a mismatch (another model or optimizer) says
    /// what differs and changes nothing.
    pub fn restore<T: Float, M: Module<T>, O: Optimizer<T>>(
        &self,
        model: &mut M,
        opt: &mut O,
        rng: &mut TrainRng,
    ) -> std::result::Result<(), String> {
        let saved: HashMap<&str, (&Vec<usize>, &Vec<f64>)> = self
            .params
            .iter()
            .map(|(n, s, v)| (n.as_str(), (s, v)))
            .collect();
        let mut live = Vec::new();
        model.visit_parameters(&mut |name, p| live.push((name.to_string(), p.clone())));
        if live.len() != saved.len() {
            return Err(format!(
                "{} parameters saved, the model has {}",
                saved.len(),
                live.len()
            ));
        }
        for (name, p) in &live {
            match saved.get(name.as_str()) {
                Some((shape, _)) if shape.as_slice() == p.dims() => {}
                Some((shape, _)) => {
                    return Err(format!(
                        "parameter {name}: saved shape {shape:?}, model shape {:?}",
                        p.dims()
                    ))
                }
                None => return Err(format!("parameter {name} is not in the checkpoint")),
            }
        }
        let new_rng = self.rng.rebuild().ok_or("unreadable RNG state")?;
        opt.load_state(&self.opt).map_err(|e| e.to_string())?;
        for (name, p) in &live {
            let values = saved[name.as_str()].1;
            p.update(|d| {
                for (x, &v) in d.iter_mut().zip(values) {
                    *x = T::of(v);
                }
            });
        }
        *rng = new_rng;
        Ok(())
    }

    /// Writes the snapshot to `path` atomically (see the module docs for the format).
    pub fn save(&self, path: &Path) -> Result<()> {
        let cols = self.rows.first().map_or(0, Vec::len);
        let mut tensors: Vec<(String, Vec<usize>, Vec<u8>)> = Vec::new();
        let bytes = |v: &[f64]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
        for (name, shape, values) in &self.params {
            tensors.push((format!("param/{name}"), shape.clone(), bytes(values)));
        }
        for (name, values) in &self.opt.vectors {
            tensors.push((format!("opt/{name}"), vec![values.len()], bytes(values)));
        }
        if !self.rows.is_empty() {
            let flat: Vec<f64> = self.rows.iter().flatten().copied().collect();
            tensors.push(("trace".into(), vec![self.rows.len(), cols], bytes(&flat)));
        }
        let meta = Meta {
            key: self.key.clone(),
            step: self.step,
            finished: self.finished,
            last_loss: self.last_loss.to_bits(),
            trace_cols: cols,
            optimizer: self.opt.optimizer.clone(),
            scalars: self
                .opt
                .scalars
                .iter()
                .map(|(k, v)| (k.clone(), v.to_bits()))
                .collect(),
            rng: self.rng.clone(),
        };
        let meta = serde_json::to_string(&meta).map_err(|e| Error::Other(e.to_string()))?;
        let views = tensors
            .iter()
            .map(|(n, s, b)| TensorView::new(Dtype::F64, s.clone(), b).map(|v| (n.as_str(), v)))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| Error::Other(format!("{}: {e}", path.display())))?;
        let info = HashMap::from([("run".to_string(), meta)]);
        let buffer = safetensors::serialize(views, Some(info))
            .map_err(|e| Error::Other(format!("{}: {e}", path.display())))?;
        write_checkpoint(path, &buffer)
    }

    /// Reads the checkpoint at `path` if it exists and belongs to the run `key`. A missing file
    /// is `None`; an unreadable one or one of another run is `None` with a warning on stderr
    /// (the run starts over).
    pub fn load(path: &Path, key: &str) -> Option<Self> {
        let buffer = std::fs::read(path).ok()?;
        match parse(&buffer) {
            Ok(s) if s.key == key => Some(s),
            Ok(s) => {
                eprintln!(
                    "note: {} is a checkpoint of another run ({}); starting over",
                    path.display(),
                    s.key
                );
                None
            }
            Err(e) => {
                eprintln!(
                    "warning: {} is not a readable checkpoint ({e}); starting over",
                    path.display()
                );
                None
            }
        }
    }
}

fn parse(buffer: &[u8]) -> std::result::Result<Snapshot, String> {
    let (_, header) = SafeTensors::read_metadata(buffer).map_err(|e| e.to_string())?;
    let meta = header
        .metadata()
        .as_ref()
        .and_then(|m| m.get("run"))
        .ok_or("no run metadata")?;
    let meta: Meta = serde_json::from_str(meta).map_err(|e| e.to_string())?;
    let file = SafeTensors::deserialize(buffer).map_err(|e| e.to_string())?;
    let values = |name: &str| -> std::result::Result<(Vec<usize>, Vec<f64>), String> {
        let view = file.tensor(name).map_err(|e| e.to_string())?;
        if view.dtype() != Dtype::F64 {
            return Err(format!("{name}: dtype {:?}, expected F64", view.dtype()));
        }
        let v = view
            .data()
            .chunks_exact(8)
            .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")))
            .collect();
        Ok((view.shape().to_vec(), v))
    };
    let mut params = Vec::new();
    let mut opt = OptimizerState::new(meta.optimizer);
    let mut rows = Vec::new();
    let mut names = file.names();
    names.sort();
    for name in names {
        let (shape, v) = values(name)?;
        if let Some(p) = name.strip_prefix("param/") {
            params.push((p.to_string(), shape, v));
        } else if let Some(o) = name.strip_prefix("opt/") {
            opt.vectors.insert(o.to_string(), v);
        } else if name == "trace" {
            rows = v
                .chunks(meta.trace_cols.max(1))
                .map(<[f64]>::to_vec)
                .collect();
        }
    }
    opt.scalars = meta
        .scalars
        .into_iter()
        .map(|(k, v)| (k, f64::from_bits(v)))
        .collect();
    Ok(Snapshot {
        key: meta.key,
        step: meta.step,
        finished: meta.finished,
        last_loss: f64::from_bits(meta.last_loss),
        rows,
        params,
        opt,
        rng: meta.rng,
    })
}

/// Writes `bytes` to a temporary sibling of `path`, syncs it and renames it over `path`; obeys
/// the fault-injection hook.
fn write_checkpoint(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let tmp = temp_path(path, "safetensors");
    let mut f = std::fs::File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
    let n = WRITES.fetch_add(1, Ordering::SeqCst) + 1;
    if std::env::var(ABORT_ENV).ok().and_then(|k| k.parse().ok()) == Some(n) {
        let _ = f.write_all(&bytes[..bytes.len() / 2]);
        let _ = f.sync_all();
        eprintln!(
            "{ABORT_ENV}={n}: aborting inside the write of {}",
            path.display()
        );
        std::process::abort();
    }
    f.write_all(bytes).map_err(|e| Error::io(&tmp, e))?;
    f.sync_all().map_err(|e| Error::io(&tmp, e))?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))
}
