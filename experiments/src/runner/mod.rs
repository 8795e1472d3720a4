//! The runner: the context an experiment runs in ([`Ctx`]: configuration, seeded RNGs, output
//! paths, a parallel map), the checkpointed training loop ([`Ctx::train`] with [`Training`]),
//! run checkpoints, summaries and claims, the report, figures and file output.

pub mod checkpoint;
pub mod context;
pub mod io;
pub mod params;
pub mod plot;
pub mod report;
pub mod summary;
pub mod train;

pub use context::{Config, Ctx, Trace, DATA_BUDGET, DEFAULT_SEED, PROGRESS_LINE_INTERVAL};
pub use params::{Param, ParamKind, Params};
pub use plot::{Figure, Series};
pub use summary::{Bound, Claim, Kind, Summary, MIN_ACCURACY};
pub use train::{EpochBatches, Progress, TrainRng, Trained, Training};
