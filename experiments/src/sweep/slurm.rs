//! `experiments slurm SPEC --shards N`: a Slurm job array running the sweep's shards (task `I`
//! runs `--shard I/N` with `SLURM_CPUS_PER_TASK` threads) and a merge job that starts when the
//! array has ended (`--dependency=afterany`), however its tasks ended; Slurm's logs go to
//! `DIR/logs/`, next to `DIR/cells/`. A resubmission (or a requeued task) skips the complete
//! cells and resumes the interrupted ones from their checkpoints.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{install_spec, Spec, SPEC_FILE};
use crate::error::{Error, Result};
use crate::runner::io::write_atomic;

/// What `experiments slurm` was asked for.
#[derive(Clone, Debug)]
pub struct SlurmOptions {
    /// Array tasks (shards).
    pub shards: usize,
    /// `--partition`, if any.
    pub partition: Option<String>,
    /// `--time` of each array task, if any (Slurm's syntax, e.g. `2:00:00`).
    pub time: Option<String>,
    /// `--cpus-per-task` of each array task (its cells' threads).
    pub cpus_per_task: usize,
}

/// `s` quoted for a POSIX shell.
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The `#SBATCH` lines shared by both jobs.
fn header(name: &str, o: &SlurmOptions, time: bool) -> String {
    let mut h = format!("#!/bin/sh\n#SBATCH --job-name={name}\n#SBATCH --ntasks=1\n");
    if let Some(p) = &o.partition {
        h.push_str(&format!("#SBATCH --partition={p}\n"));
    }
    if let (true, Some(t)) = (time, &o.time) {
        h.push_str(&format!("#SBATCH --time={t}\n"));
    }
    h
}

/// Writes `DIR/slurm/array.sbatch` and `DIR/slurm/merge.sbatch` for the sweep `spec` in `dir`
/// (absolute paths, this binary); returns their paths.
pub fn write_scripts(spec: &Spec, dir: &Path, o: &SlurmOptions) -> Result<(PathBuf, PathBuf)> {
    if o.shards == 0 || o.cpus_per_task == 0 {
        return Err(Error::Usage(
            "--shards and --cpus-per-task must be at least 1".into(),
        ));
    }
    install_spec(dir, spec)?;
    let dir = dir.canonicalize().map_err(|e| Error::io(dir, e))?;
    let exe =
        std::env::current_exe().map_err(|e| Error::Other(format!("this binary's path: {e}")))?;
    let logs = dir.join("logs");
    std::fs::create_dir_all(&logs).map_err(|e| Error::io(&logs, e))?;
    let name = format!(
        "sweep-{}",
        spec.file
            .file_stem()
            .map_or("sweep".into(), |s| s.to_string_lossy())
    );
    let (exe, d, l) = (
        quote(&exe.display().to_string()),
        quote(&dir.display().to_string()),
        dir.join("logs").display().to_string(),
    );
    let array = format!(
        "{}#SBATCH --array=0-{}\n#SBATCH --cpus-per-task={}\n#SBATCH --output={l}/shard-%a.job%A.out\n\
         # Task I runs the cells i with i mod {} = I; complete cells are skipped, interrupted ones resume.\n\
         exec {exe} sweep {} --out {d} --shard \"$SLURM_ARRAY_TASK_ID/{}\" --threads \"${{SLURM_CPUS_PER_TASK:-1}}\"\n",
        header(&name, o, true),
        o.shards - 1,
        o.cpus_per_task,
        o.shards,
        quote(&dir.join(SPEC_FILE).display().to_string()),
        o.shards,
    );
    let merge = format!(
        "{}#SBATCH --cpus-per-task=1\n#SBATCH --output={l}/merge-%j.out\n\
         # Submitted with --dependency=afterany:ARRAY_JOB_ID: runs once every task has ended.\n\
         exec {exe} merge {d}\n",
        header(&format!("{name}-merge"), o, false),
    );
    let scripts = dir.join("slurm");
    let (a, m) = (scripts.join("array.sbatch"), scripts.join("merge.sbatch"));
    write_atomic(&a, array.as_bytes())?;
    write_atomic(&m, merge.as_bytes())?;
    Ok((a, m))
}

/// `sbatch --parsable ARGS SCRIPT`: the job id.
fn sbatch(args: &[String], script: &Path) -> Result<String> {
    let out = Command::new("sbatch")
        .arg("--parsable")
        .args(args)
        .arg(script)
        .output()
        .map_err(|e| Error::Usage(format!("cannot run sbatch (is Slurm installed?): {e}")))?;
    if !out.status.success() {
        return Err(Error::Other(format!(
            "sbatch {}: {}",
            script.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    // `--parsable` prints `ID` or `ID;CLUSTER`.
    let id = text
        .trim()
        .split(';')
        .next()
        .unwrap_or_default()
        .to_string();
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_digit()) {
        return Err(Error::Other(format!(
            "sbatch {}: expected a job id, found {text:?}",
            script.display()
        )));
    }
    Ok(id)
}

/// Submits the array, then the merge job depending on it; returns their job ids.
pub fn submit(array: &Path, merge: &Path) -> Result<(String, String)> {
    let a = sbatch(&[], array)?;
    let m = sbatch(&[format!("--dependency=afterany:{a}")], merge)?;
    Ok((a, m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_survives_quotes() {
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("it's"), r"'it'\''s'");
    }
}
