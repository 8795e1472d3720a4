//! Checkpoints of optimizer state: [`OptimizerState`] (named flat `f64` vectors and scalars), its
//! JSON form, atomic save/load, and the per-parameter buffers ([`Slots`]) that the optimizers
//! share.

use autograd::{Float, Tensor};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// What went wrong while exporting, importing, saving or loading optimizer state.
#[derive(Debug)]
pub enum StateError {
    /// The state was written by another kind of optimizer.
    WrongOptimizer {
        /// The kind of the optimizer loading the state.
        expected: String,
        /// The kind recorded in the state.
        found: String,
    },
    /// A scalar or vector entry the optimizer needs is absent.
    Missing {
        /// The entry's name, e.g. `"exp_avg.1"`.
        entry: String,
    },
    /// A vector entry has the wrong number of elements.
    WrongLength {
        /// The entry's name.
        entry: String,
        /// The length the optimizer needs (the parameter's number of elements, ...).
        expected: usize,
        /// The length in the state.
        found: usize,
    },
    /// A value is out of its range (e.g. a negative or fractional step count).
    InvalidValue {
        /// The entry's name.
        entry: String,
        /// Why it is invalid.
        reason: String,
    },
    /// Reading or writing the file failed.
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The JSON text is not a valid optimizer state.
    Json(serde_json::Error),
}

impl fmt::Display for StateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StateError::WrongOptimizer { expected, found } => write!(
                f,
                "optimizer state: written by optimizer {found:?}, cannot load into {expected:?}"
            ),
            StateError::Missing { entry } => {
                write!(f, "optimizer state: missing entry '{entry}'")
            }
            StateError::WrongLength {
                entry,
                expected,
                found,
            } => write!(
                f,
                "optimizer state: entry '{entry}' has {found} values, expected {expected}"
            ),
            StateError::InvalidValue { entry, reason } => {
                write!(f, "optimizer state: entry '{entry}': {reason}")
            }
            StateError::Io { path, source } => {
                write!(f, "optimizer state: {}: {source}", path.display())
            }
            StateError::Json(e) => write!(f, "optimizer state: invalid JSON: {e}"),
        }
    }
}

impl std::error::Error for StateError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StateError::Io { source, .. } => Some(source),
            StateError::Json(e) => Some(e),
            _ => None,
        }
    }
}

/// All internal state of an optimizer, as named flat `f64` vectors and named scalars.
///
/// Per-parameter entries are named `"{buffer}.{index}"` with `index` the parameter's position in
/// the list given to the constructor (e.g. `"exp_avg.0"`, `"momentum_buffer.2"`); the vector
/// `"step"` holds each parameter's step count (PyTorch's `state['step']`), and the scalar `"lr"`
/// the current learning rate. Values of `f32` parameters are widened to `f64` exactly, so a
/// round trip is lossless for both float types.
///
/// The JSON form writes finite numbers in shortest round-trip form and parses them back
/// bit-identically; `NaN` and infinities are written as the strings `"NaN"`, `"inf"`, `"-inf"`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OptimizerState {
    /// The kind of optimizer that wrote the state, e.g. `"Adam"`.
    pub optimizer: String,
    /// Named scalars (`"lr"`, counters).
    #[serde(with = "crate::json::float_map")]
    pub scalars: BTreeMap<String, f64>,
    /// Named flat vectors (buffers, step counts).
    #[serde(with = "crate::json::vec_map")]
    pub vectors: BTreeMap<String, Vec<f64>>,
}

impl OptimizerState {
    /// An empty state of an optimizer of kind `optimizer`.
    pub fn new(optimizer: impl Into<String>) -> Self {
        OptimizerState {
            optimizer: optimizer.into(),
            scalars: BTreeMap::new(),
            vectors: BTreeMap::new(),
        }
    }

    /// Fails unless the state was written by an optimizer of kind `kind`.
    pub fn expect_optimizer(&self, kind: &str) -> Result<(), StateError> {
        if self.optimizer == kind {
            Ok(())
        } else {
            Err(StateError::WrongOptimizer {
                expected: kind.to_string(),
                found: self.optimizer.clone(),
            })
        }
    }

    /// The scalar `name`, or [`StateError::Missing`].
    pub fn scalar(&self, name: &str) -> Result<f64, StateError> {
        self.scalars
            .get(name)
            .copied()
            .ok_or_else(|| StateError::Missing {
                entry: name.to_string(),
            })
    }

    /// The vector `name`, checked to have `len` elements.
    pub fn vector(&self, name: &str, len: usize) -> Result<&[f64], StateError> {
        let v = self.vectors.get(name).ok_or_else(|| StateError::Missing {
            entry: name.to_string(),
        })?;
        if v.len() != len {
            return Err(StateError::WrongLength {
                entry: name.to_string(),
                expected: len,
                found: v.len(),
            });
        }
        Ok(v)
    }

    /// The scalar `name` as a step count (a non-negative integer).
    pub fn count(&self, name: &str) -> Result<u64, StateError> {
        to_count(name, self.scalar(name)?)
    }

    /// Adds the entries of `other`, each name prefixed with `prefix` (for optimizers that wrap
    /// another one).
    pub fn merge_prefixed(&mut self, prefix: &str, other: OptimizerState) {
        for (k, v) in other.scalars {
            self.scalars.insert(format!("{prefix}{k}"), v);
        }
        for (k, v) in other.vectors {
            self.vectors.insert(format!("{prefix}{k}"), v);
        }
    }

    /// The entries whose names start with `prefix`, with the prefix removed, as a state of kind
    /// `optimizer`.
    pub fn extract_prefixed(&self, prefix: &str, optimizer: &str) -> OptimizerState {
        let mut out = OptimizerState::new(optimizer);
        for (k, v) in &self.scalars {
            if let Some(rest) = k.strip_prefix(prefix) {
                out.scalars.insert(rest.to_string(), *v);
            }
        }
        for (k, v) in &self.vectors {
            if let Some(rest) = k.strip_prefix(prefix) {
                out.vectors.insert(rest.to_string(), v.clone());
            }
        }
        out
    }

    /// The JSON text of the state.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("an optimizer state always serializes")
    }

    /// Parses the JSON text written by [`to_json`](OptimizerState::to_json).
    pub fn from_json(text: &str) -> Result<Self, StateError> {
        serde_json::from_str(text).map_err(StateError::Json)
    }

    /// Writes the JSON form to `path` atomically: to a temporary file in the same folder, synced,
    /// then renamed over `path`, so a crash never leaves a half-written checkpoint.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), StateError> {
        use std::io::Write;
        let path = path.as_ref();
        let io = |p: &Path| {
            let p = p.to_path_buf();
            move |source| StateError::Io { path: p, source }
        };
        let file_name = path
            .file_name()
            .ok_or_else(|| StateError::Io {
                path: path.to_path_buf(),
                source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file path"),
            })?
            .to_string_lossy()
            .into_owned();
        let tmp = path.with_file_name(format!(".{file_name}.tmp.{}", std::process::id()));
        let result = (|| {
            let mut f = std::fs::File::create(&tmp).map_err(io(&tmp))?;
            f.write_all(self.to_json().as_bytes()).map_err(io(&tmp))?;
            f.sync_all().map_err(io(&tmp))?;
            std::fs::rename(&tmp, path).map_err(io(path))
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result
    }

    /// Reads a state saved by [`save`](OptimizerState::save).
    pub fn load(path: impl AsRef<Path>) -> Result<Self, StateError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| StateError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_json(&text)
    }
}

fn to_count(name: &str, x: f64) -> Result<u64, StateError> {
    if x >= 0.0 && x.fract() == 0.0 && x <= 2f64.powi(53) {
        Ok(x as u64)
    } else {
        Err(StateError::InvalidValue {
            entry: name.to_string(),
            reason: format!("{x} is not a step count"),
        })
    }
}

// ----- per-parameter buffers and the shared parameter loop -------------------------------------

/// Per-parameter state shared by the optimizers: each parameter's step count and its named
/// buffers (momentum, moment estimates, accumulators...), each as long as the parameter.
#[derive(Clone, Debug)]
pub(crate) struct Slots<T: Float> {
    names: Vec<&'static str>,
    steps: Vec<u64>,
    /// `bufs[param][slot]`.
    bufs: Vec<Vec<Vec<T>>>,
}

impl<T: Float> Slots<T> {
    /// Buffers `(name, initial value)` for each of `params`.
    pub fn new(params: &[Tensor<T>], slots: &[(&'static str, f64)]) -> Self {
        Slots {
            names: slots.iter().map(|s| s.0).collect(),
            steps: vec![0; params.len()],
            bufs: params
                .iter()
                .map(|p| {
                    slots
                        .iter()
                        .map(|&(_, init)| vec![T::of(init); p.numel()])
                        .collect()
                })
                .collect(),
        }
    }

    /// Replaces buffer `slot` of parameter `param` (initial values that depend on the parameter).
    pub fn set(&mut self, param: usize, slot: usize, values: Vec<T>) {
        assert_eq!(values.len(), self.bufs[param][slot].len());
        self.bufs[param][slot] = values;
    }

    /// Writes `"step"` and `"{name}.{i}"` entries into `st`.
    pub fn export(&self, st: &mut OptimizerState) {
        st.vectors.insert(
            "step".into(),
            self.steps.iter().map(|&s| s as f64).collect(),
        );
        for (i, bufs) in self.bufs.iter().enumerate() {
            for (name, b) in self.names.iter().zip(bufs) {
                st.vectors
                    .insert(format!("{name}.{i}"), b.iter().map(|x| x.f64()).collect());
            }
        }
    }

    /// Reads what [`export`](Slots::export) wrote; changes nothing unless every entry is valid.
    pub fn import(&mut self, st: &OptimizerState) -> Result<(), StateError> {
        let steps = st
            .vector("step", self.steps.len())?
            .iter()
            .map(|&x| to_count("step", x))
            .collect::<Result<Vec<_>, _>>()?;
        let mut bufs = self.bufs.clone();
        for (i, pb) in bufs.iter_mut().enumerate() {
            for (name, b) in self.names.iter().zip(pb.iter_mut()) {
                let v = st.vector(&format!("{name}.{i}"), b.len())?;
                for (dst, &src) in b.iter_mut().zip(v) {
                    *dst = T::of(src);
                }
            }
        }
        self.steps = steps;
        self.bufs = bufs;
        Ok(())
    }
}

/// One parameter during a step: its data (to update in place), its gradient (or the direction
/// computed from it), its step count after this step (1 on the first) and its buffers, in the
/// order given to [`Slots::new`].
pub(crate) struct ParamStep<'a, T> {
    pub w: &'a mut [T],
    pub g: &'a [T],
    pub step: u64,
    pub bufs: &'a mut [Vec<T>],
}

/// Each parameter's gradient as a flat vector, `None` where there is none.
///
/// # Panics
/// If a gradient has a different number of elements than its parameter.
pub(crate) fn gradients<T: Float>(params: &[Tensor<T>]) -> Vec<Option<Vec<T>>> {
    params
        .iter()
        .enumerate()
        .map(|(i, p)| checked_grad(i, p).map(|g| g.to_vec()))
        .collect()
}

/// The gradient of parameter `i`, if any.
///
/// # Panics
/// If it has a different number of elements than the parameter.
fn checked_grad<T: Float>(i: usize, p: &Tensor<T>) -> Option<Tensor<T>> {
    let g = p.grad()?;
    assert_eq!(
        g.numel(),
        p.numel(),
        "optimizer: parameter {i} of shape {:?} has a gradient of shape {:?}",
        p.shape(),
        g.shape()
    );
    Some(g)
}

/// The loop every optimizer shares: for each parameter with a direction in `dirs` (usually its
/// gradient), increments its step count and calls `f` with its data, direction and buffers.
/// Parameters whose entry is `None` are skipped and keep their state.
pub(crate) fn for_each_param<T: Float>(
    params: &[Tensor<T>],
    slots: &mut Slots<T>,
    dirs: Vec<Option<Vec<T>>>,
    mut f: impl FnMut(ParamStep<'_, T>),
) {
    for (i, (p, g)) in params.iter().zip(dirs).enumerate() {
        if let Some(g) = g {
            update_param(i, p, slots, &g, &mut f);
        }
    }
}

/// [`for_each_param`] with the parameters' own gradients, each read in place (not copied into
/// a `Vec` as [`gradients`] does), so that a warm step of the optimizers built on it allocates
/// nothing.
pub(crate) fn for_each_grad<T: Float>(
    params: &[Tensor<T>],
    slots: &mut Slots<T>,
    mut f: impl FnMut(ParamStep<'_, T>),
) {
    for (i, p) in params.iter().enumerate() {
        if let Some(g) = checked_grad(i, p) {
            g.with_slice(|g| update_param(i, p, slots, g, &mut f));
        }
    }
}

/// One parameter's turn in [`for_each_param`]: counts its step and calls `f` with its data,
/// direction `g` and buffers.
fn update_param<T: Float>(
    i: usize,
    p: &Tensor<T>,
    slots: &mut Slots<T>,
    g: &[T],
    f: &mut impl FnMut(ParamStep<'_, T>),
) {
    slots.steps[i] += 1;
    let step = slots.steps[i];
    let bufs = &mut slots.bufs[i];
    p.update(|w| f(ParamStep { w, g, step, bufs }));
}

/// The parts most optimizers have: the parameters, their buffers and the learning rate.
pub(crate) struct Core<T: Float> {
    pub params: Vec<Tensor<T>>,
    pub slots: Slots<T>,
    pub lr: f64,
}

impl<T: Float> Core<T> {
    /// Parameters with buffers `(name, initial value)`.
    pub fn new(params: Vec<Tensor<T>>, lr: f64, buffers: &[(&'static str, f64)]) -> Self {
        let slots = Slots::new(&params, buffers);
        Core { params, slots, lr }
    }

    /// The learning rate and the slots as the state of optimizer `kind`.
    pub fn export(&self, kind: &str) -> OptimizerState {
        let mut st = OptimizerState::new(kind);
        st.scalars.insert("lr".into(), self.lr);
        self.slots.export(&mut st);
        st
    }

    /// Reads what [`export`](Core::export) wrote; changes nothing on error.
    pub fn import(&mut self, kind: &str, st: &OptimizerState) -> Result<(), StateError> {
        st.expect_optimizer(kind)?;
        let lr = st.scalar("lr")?;
        self.slots.import(st)?;
        self.lr = lr;
        Ok(())
    }

    /// [`for_each_grad`] over these parameters and slots.
    pub fn for_each_grad(&mut self, f: impl FnMut(ParamStep<'_, T>)) {
        for_each_grad(&self.params, &mut self.slots, f)
    }

    /// [`for_each_param`] over these parameters and slots.
    pub fn for_each_param(&mut self, dirs: Vec<Option<Vec<T>>>, f: impl FnMut(ParamStep<'_, T>)) {
        for_each_param(&self.params, &mut self.slots, dirs, f)
    }
}
