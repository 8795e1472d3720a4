//! Sweeps through the binary: the 20-cell quick sweep (`tests/sweeps/quick20.toml`) run
//! serially in one process and as 4 shards in 4 processes merges to the same REPORT.md and
//! merged.json, byte for byte; a partial merge lists the missing cells and a failed cell its
//! error; bad specs are exit code 2 with the file and line; `list --params` prints the
//! declared parameters.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn exe(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_experiments"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn spec() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sweeps/quick20.toml")
}

fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn sweep(dir: &Path, extra: &[&str]) -> String {
    let spec = spec();
    let mut args = vec![
        "sweep",
        spec.to_str().unwrap(),
        "--out",
        dir.to_str().unwrap(),
        "--threads",
        "1",
    ];
    args.extend(extra);
    ok(exe(&args))
}

fn read(p: PathBuf) -> Vec<u8> {
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn four_shards_merge_to_the_serial_report_and_partial_merges_say_what_is_missing() {
    let root = common::out_dir("sweep-shards");
    let (serial, sharded) = (root.join("serial"), root.join("sharded"));
    let out = sweep(&serial, &[]);
    assert!(out.contains("20 cells: 20 run"), "{out}");
    ok(exe(&["merge", serial.to_str().unwrap()]));
    // Four shards as four processes at once.
    let children: Vec<_> = (0..4)
        .map(|i| {
            Command::new(env!("CARGO_BIN_EXE_experiments"))
                .args(["sweep", spec().to_str().unwrap(), "--threads", "1"])
                .args([
                    "--out",
                    sharded.to_str().unwrap(),
                    "--shard",
                    &format!("{i}/4"),
                ])
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .expect("the binary starts")
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().expect("the shard ends");
        assert!(String::from_utf8_lossy(&out.stdout).contains("5 cells: 5 run"));
    }
    ok(exe(&["merge", sharded.to_str().unwrap()]));
    for f in ["REPORT.md", "merged.json"] {
        assert!(
            read(serial.join(f)) == read(sharded.join(f)),
            "{f} differs between the serial and the sharded sweep"
        );
    }
    let report = String::from_utf8(read(serial.join("REPORT.md"))).unwrap();
    assert!(report.contains("All 20 cells complete."), "{report}");
    assert!(report.contains("| yes |") && report.contains("figures/heavy_ball_min_norm-n-0.svg"));
    // A rerun skips every complete cell.
    assert!(sweep(&sharded, &["--shard", "1/4"]).contains("0 run, 5 already complete"));

    // Partial: a cell without its marker is missing, and merge says so (exit code 1).
    let cells = sharded.join("cells");
    let cell = cells.join("0007-heavy_ball_min_norm-seed2-d=60-n=12");
    std::fs::remove_file(cell.join("done.json")).unwrap();
    let out = exe(&["merge", sharded.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let partial = String::from_utf8(read(sharded.join("REPORT.md"))).unwrap();
    assert!(partial.contains("**Partial sweep**: 19 of 20 cells complete, 0 failed, 1 missing"));
    assert!(partial.contains("- 0007-heavy_ball_min_norm-seed2-d=60-n=12"));
    let json: serde_json::Value =
        serde_json::from_slice(&read(sharded.join("merged.json"))).unwrap();
    assert_eq!(
        json["missing"][0],
        "0007-heavy_ball_min_norm-seed2-d=60-n=12"
    );
    // Rerunning its shard completes it: the merge equals the serial one again.
    assert!(sweep(&sharded, &["--shard", "3/4"]).contains("1 run, 4 already complete"));
    ok(exe(&["merge", sharded.to_str().unwrap()]));
    assert!(read(serial.join("REPORT.md")) == read(sharded.join("REPORT.md")));
}

#[test]
fn side_by_side_cells_and_failed_cells() {
    let root = common::out_dir("sweep-jobs");
    let spec = root.join("s.toml");
    // n = 50 >= d = 40: that cell fails with a usage error, the others run.
    std::fs::write(
        &spec,
        "experiments = [\"heavy_ball_min_norm\"]\nseeds = [1, 2]\nquick = true\n\
         [grid]\nn = [10, 50]\n",
    )
    .unwrap();
    let dir = root.join("out");
    let out = exe(&[
        "sweep",
        spec.to_str().unwrap(),
        "--out",
        dir.to_str().unwrap(),
        "--jobs",
        "2",
        "--threads",
        "2",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("4 cells: 2 run, 0 already complete, 2 failed"),
        "{text}"
    );
    exe(&["merge", dir.to_str().unwrap()]);
    let report = std::fs::read_to_string(dir.join("REPORT.md")).unwrap();
    assert!(report.contains("## Failed cells"), "{report}");
    assert!(report.contains(
        "| 0001-heavy_ball_min_norm-seed1-n=50 | heavy_ball_min_norm: expected 0 < n < d"
    ));
    // Another spec in the same directory is refused.
    std::fs::write(
        &spec,
        "experiments = [\"heavy_ball_min_norm\"]\nseeds = [3]\n",
    )
    .unwrap();
    let out = exe(&[
        "sweep",
        spec.to_str().unwrap(),
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("holds another sweep"));
}

#[test]
fn bad_specs_are_usage_errors_with_file_and_line() {
    let root = common::out_dir("sweep-bad");
    let cases = [
        ("experiments = [\"heavy_ball_min_norm\"]\nseeds = [1]\n[grid]\nwidths = [[4]]\n", "line 4: experiment heavy_ball_min_norm has no parameter \"widths\""),
        ("experiments = [\"heavy_ball_min_norm\"]\nseeds = [1]\n[params]\nsteps = -3\n", "line 4: heavy_ball_min_norm: parameter steps: expected a non-negative integer"),
        ("experiments = [\"heavy_ball_min_norm\"\nseeds = [1]\n", "line 2: missing comma"),
        ("seeds = [1]\n", "missing field `experiments`"),
        ("experiments = [\"width_sweep\"]\nseeds = [1]\n\n[[claim]]\nexperiment = \"diagonal_net\"\nclaim = \"x\"\nvalue = \"y\"\nabove = 0\n", "line 4: experiment \"diagonal_net\" is not in"),
    ];
    for (i, (text, expected)) in cases.iter().enumerate() {
        let file = root.join(format!("bad{i}.toml"));
        std::fs::write(&file, text).unwrap();
        let out = exe(&[
            "sweep",
            file.to_str().unwrap(),
            "--out",
            root.join("o").to_str().unwrap(),
        ]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(
            err.starts_with(&format!("error: {}: ", file.display())),
            "{err}"
        );
        assert!(err.contains(expected), "expected {expected:?} in {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    assert!(!root.join("o").exists(), "a bad spec wrote output");
    let out = exe(&["sweep", root.join("none.toml").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let out = exe(&["merge", root.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn list_params_prints_the_declared_parameters() {
    let out = ok(exe(&["list", "--params", "width_sweep"]));
    assert!(out.contains("widths") && out.contains("full=4,8,16,32,64,128,256,512,1024,2048"));
    let out = ok(exe(&["list", "--params", "least_squares"]));
    assert!(out.contains("declares no tunable parameters"));
    assert_eq!(exe(&["list", "--params", "nope"]).status.code(), Some(2));
}

#[test]
fn slurm_writes_an_array_and_a_merge_job() {
    let root = common::out_dir("sweep-slurm");
    let spec = spec();
    let out = ok(exe(&[
        "slurm",
        spec.to_str().unwrap(),
        "--shards",
        "4",
        "--partition",
        "short",
        "--time",
        "1:00:00",
        "--cpus-per-task",
        "2",
        "--out",
        root.to_str().unwrap(),
    ]));
    assert!(out.contains("array.sbatch"), "{out}");
    let array = std::fs::read_to_string(root.join("slurm/array.sbatch")).unwrap();
    for line in [
        "#SBATCH --array=0-3",
        "#SBATCH --partition=short",
        "#SBATCH --time=1:00:00",
        "#SBATCH --cpus-per-task=2",
        "--shard \"$SLURM_ARRAY_TASK_ID/4\" --threads \"${SLURM_CPUS_PER_TASK:-1}\"",
        "/logs/shard-%a.job%A.out",
    ] {
        assert!(array.contains(line), "{line} not in\n{array}");
    }
    let merge = std::fs::read_to_string(root.join("slurm/merge.sbatch")).unwrap();
    assert!(
        merge.contains(" merge '") && merge.contains("/logs/merge-%j.out"),
        "{merge}"
    );
}
