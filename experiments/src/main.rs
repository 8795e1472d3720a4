//! The `experiments` binary: `list`, `run NAME...`, `all`, `sweep SPEC`, `merge DIR`,
//! `slurm SPEC`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use experiments::sweep::slurm::{self, SlurmOptions};
use experiments::sweep::{run::Shard, Spec};
use experiments::{
    find, report, run_all, run_selected, Config, Experiment, Result, DEFAULT_SEED, EXPERIMENTS,
    TUTORIALS,
};

/// Experiments testing what implicit-bias theory predicts about which global
/// minimum an optimizer reaches.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List the experiments and the claim each one checks.
    List {
        /// Instead, print the tunable parameters of this experiment with their defaults.
        #[arg(long, value_name = "NAME")]
        params: Option<String>,
    },
    /// Run the named experiments (suite or tutorial) and update their sections of OUT/REPORT.md.
    Run {
        /// Experiment names (see `list`).
        #[arg(required = true)]
        names: Vec<String>,
        #[command(flatten)]
        common: Common,
    },
    /// Run every experiment of the suite and write OUT/REPORT.md.
    All {
        #[command(flatten)]
        common: Common,
        /// Also write the verdict table into this file (e.g. README.md), between
        /// the lines `<!-- verdicts:begin -->` and `<!-- verdicts:end -->`.
        #[arg(long)]
        readme: Option<PathBuf>,
    },
    /// Run a sweep (or one shard of it): each cell (experiment x seed x grid point) into its own
    /// directory, skipping complete cells and resuming interrupted ones.
    Sweep(SweepArgs),
    /// Merge the complete cells of a sweep directory into DIR/REPORT.md, DIR/merged.json and
    /// DIR/figures/ (exit code 1 when cells are missing or failed; the report lists them).
    Merge {
        /// The sweep directory (holding sweep.toml and cells/).
        dir: PathBuf,
    },
    /// Write (and with --submit, submit) a Slurm job array running the sweep's shards and a
    /// merge job that runs when the array has ended.
    Slurm {
        /// The sweep spec.
        spec: PathBuf,
        /// Array tasks: task I runs --shard I/N.
        #[arg(long)]
        shards: usize,
        /// Slurm partition.
        #[arg(long)]
        partition: Option<String>,
        /// Time limit of each array task (Slurm syntax, e.g. 2:00:00).
        #[arg(long)]
        time: Option<String>,
        /// CPUs of each array task (the threads of its cells).
        #[arg(long, default_value_t = 1)]
        cpus_per_task: usize,
        /// The sweep directory [default: results/sweeps/SPEC-STEM]
        #[arg(long)]
        out: Option<PathBuf>,
        /// Run sbatch on the scripts and print the job ids.
        #[arg(long)]
        submit: bool,
    },
}

#[derive(Args)]
struct SweepArgs {
    /// The sweep spec (TOML: experiments, seeds, params, grid; see the README).
    spec: PathBuf,
    /// Run only the cells i with i mod N = I.
    #[arg(long, value_name = "I/N", default_value = "0/1")]
    shard: Shard,
    /// Cells run side by side, each with threads/jobs threads.
    #[arg(long, default_value_t = 1)]
    jobs: usize,
    /// Threads in all [default: SLURM_CPUS_PER_TASK when set, else the cores this process may
    /// use]
    #[arg(long)]
    threads: Option<usize>,
    /// The sweep directory [default: results/sweeps/SPEC-STEM]
    #[arg(long)]
    out: Option<PathBuf>,
}

#[derive(Args)]
struct Common {
    /// Small sizes and short horizons (seconds per experiment).
    #[arg(long)]
    quick: bool,
    /// Master seed.
    #[arg(long, default_value_t = DEFAULT_SEED)]
    seed: u64,
    /// Output directory.
    #[arg(long, default_value = "results")]
    out: PathBuf,
    /// Worker threads for independent runs [default: SLURM_CPUS_PER_TASK when set, else the
    /// cores this process may use]
    #[arg(long)]
    threads: Option<usize>,
    /// A CSV data set (features..., label/target last; optional header) for the
    /// experiments that take one.
    #[arg(long)]
    data: Option<PathBuf>,
}

impl Common {
    fn config(self) -> Config {
        Config {
            quick: self.quick,
            seed: self.seed,
            out: self.out,
            threads: self.threads.unwrap_or_else(default_threads).max(1),
            data: self.data,
            params: Default::default(),
            stop_after: None,
        }
    }
}

/// The cores a run may use: `SLURM_CPUS_PER_TASK` under Slurm, else the available
/// parallelism (which respects the process's CPU affinity and cgroup quota).
fn default_threads() -> usize {
    std::env::var("SLURM_CPUS_PER_TASK")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match execute(cli.command) {
        Ok(ok) => {
            if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

/// Runs a command; `Ok(false)` when some claim failed.
fn execute(command: Command) -> Result<bool> {
    match command {
        Command::List { params: Some(name) } => {
            print_params(find(&name)?);
            Ok(true)
        }
        Command::List { params: None } => {
            print_list(EXPERIMENTS);
            println!("\ntutorials (GUIDE.md; run by name, not by `all`):");
            print_list(TUTORIALS);
            Ok(true)
        }
        Command::Sweep(a) => {
            let spec = Spec::read(&a.spec)?;
            let out = sweep_dir(&a.spec, a.out);
            let threads = a.threads.unwrap_or_else(default_threads).max(1);
            experiments::sweep::run::run_shard(&spec, &out, a.shard, a.jobs, threads)
        }
        Command::Slurm {
            spec: file,
            shards,
            partition,
            time,
            cpus_per_task,
            out,
            submit,
        } => {
            let spec = Spec::read(&file)?;
            let dir = sweep_dir(&file, out);
            let options = SlurmOptions {
                shards,
                partition,
                time,
                cpus_per_task,
            };
            let (array, merge) = slurm::write_scripts(&spec, &dir, &options)?;
            println!("wrote {} and {}", array.display(), merge.display());
            if submit {
                let (a, m) = slurm::submit(&array, &merge)?;
                println!(
                    "submitted array job {a} ({shards} tasks) and merge job {m} (afterany:{a})"
                );
            }
            Ok(true)
        }
        Command::Merge { dir } => experiments::sweep::merge::merge(&dir),
        Command::Run { names, common } => {
            let exps = names.iter().map(|n| find(n)).collect::<Result<Vec<_>>>()?;
            let summaries = run_selected(&exps, &common.config())?;
            print!("{}", report::verdict_table(&summaries));
            Ok(summaries.iter().all(|s| s.all_hold()))
        }
        Command::All { common, readme } => {
            // A README without the markers fails now, not after the whole suite.
            if let Some(file) = &readme {
                report::check_readme(file)?;
            }
            let summaries = run_all(&common.config())?;
            if let Some(file) = &readme {
                report::write_readme_verdicts(file, &summaries)?;
            }
            print!("{}", report::verdict_table(&summaries));
            Ok(summaries.iter().all(|s| s.all_hold()))
        }
    }
}

/// The sweep directory: `--out`, else `results/sweeps/STEM` of the spec file.
fn sweep_dir(spec: &Path, out: Option<PathBuf>) -> PathBuf {
    out.unwrap_or_else(|| {
        let stem = spec
            .file_stem()
            .map_or("sweep".into(), |s| s.to_string_lossy());
        Path::new("results/sweeps").join(stem.as_ref())
    })
}

/// One line per parameter: name, kind, full and quick defaults, meaning.
fn print_params(exp: &Experiment) {
    if exp.params.is_empty() {
        println!("{} declares no tunable parameters", exp.name);
    }
    let show = |v: &[f64]| {
        let vs: Vec<String> = v.iter().map(|x| x.to_string()).collect();
        vs.join(",")
    };
    for p in exp.params {
        println!(
            "{:<10} {:<7} full={:<24} quick={:<20} {}",
            p.name,
            format!("{:?}", p.kind).to_lowercase(),
            show(p.full),
            show(p.quick),
            p.doc
        );
    }
}

/// One line per experiment: name, protocol items, claim.
fn print_list(exps: &[Experiment]) {
    for e in exps {
        println!(
            "{:<20} [{}] {}",
            e.name,
            e.items,
            e.claim.split_whitespace().collect::<Vec<_>>().join(" ")
        );
    }
}
