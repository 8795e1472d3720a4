//! Sweeps: experiments x seeds x parameter grids, as data ([`spec`]), run cell by cell in
//! shards that may be separate processes, machines or Slurm array tasks ([`run`]), merged into
//! one report ([`merge`]), and submitted to Slurm as a job array plus a merge job ([`slurm`]).
//! Scaling out is left to the tools that exist (GNU parallel, Slurm): a shard is a plain
//! process that runs its cells and skips those already complete.
//!
//! The layout of a sweep directory `DIR`:
//!
//! | path | what |
//! | --- | --- |
//! | `DIR/sweep.toml` | the spec (copied by the first shard; another spec in the same `DIR` is refused) |
//! | `DIR/cells/NNNN-EXPERIMENT-seedS-AXIS=V.../` | one cell: `EXPERIMENT/summary.json`, traces, figures, and while it runs `EXPERIMENT/checkpoints/` |
//! | `DIR/cells/.../done.json` | the completion marker, written last and atomically: a cell with it is skipped |
//! | `DIR/cells/.../error.txt` | why the cell's last attempt failed (removed when it is retried) |
//! | `DIR/logs/` | Slurm's logs (`experiments slurm`) |
//! | `DIR/slurm/` | the batch scripts (`experiments slurm`) |
//! | `DIR/REPORT.md`, `DIR/merged.json`, `DIR/figures/` | the merged report (`experiments merge DIR`) |

pub mod merge;
pub mod run;
pub mod slurm;
pub mod spec;

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
pub use spec::{Cell, Spec};

/// The spec's copy in a sweep directory.
pub const SPEC_FILE: &str = "sweep.toml";
/// A cell's completion marker.
pub const DONE_FILE: &str = "done.json";
/// A failed cell's error message.
pub const ERROR_FILE: &str = "error.txt";

/// The directory of `cell` in the sweep directory `out`.
pub fn cell_dir(out: &Path, cell: &Cell) -> PathBuf {
    out.join("cells").join(cell.dir_name())
}

/// Copies the spec to `out/sweep.toml`, or checks that the copy there is the same spec (a
/// usage error otherwise: one directory, one sweep). Shards starting together all write the
/// same bytes, each through its own temporary file.
pub fn install_spec(out: &Path, spec: &Spec) -> Result<()> {
    let file = out.join(SPEC_FILE);
    match std::fs::read_to_string(&file) {
        Ok(text) if text == spec.text => Ok(()),
        Ok(_) => Err(Error::Usage(format!(
            "{} holds another sweep ({}); give this one another --out",
            out.display(),
            file.display()
        ))),
        Err(_) => {
            std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
            let tmp = out.join(format!(".{SPEC_FILE}.{}.partial", std::process::id()));
            std::fs::write(&tmp, &spec.text).map_err(|e| Error::io(&tmp, e))?;
            std::fs::rename(&tmp, &file).map_err(|e| Error::io(&file, e))
        }
    }
}
