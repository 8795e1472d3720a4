//! Every experiment resumes exactly: a real run of the binary is stopped twice — aborted inside
//! a checkpoint write (the `EXPERIMENTS_ABORT_IN_CHECKPOINT` fault-injection switch), then killed
//! with SIGKILL as soon as the rerun has written a new checkpoint — and the third invocation's
//! `summary.json` has the claims and arrays of an uninterrupted run, bit for bit, and says which
//! runs it resumed and from which step (not from scratch). Also: a NaN loss stops a run with an
//! error naming the experiment, run, step and quantity; a checkpoint of another run or model is
//! ignored.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, SystemTime};

use autograd::Tensor;
use experiments::runner::checkpoint::ABORT_ENV;
use experiments::{registered, Ctx, Error, Training};
use nn::{Linear, Module};
use optim::{Sgd, SgdConfig};

fn command(name: &str, out: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_experiments"));
    c.args(["run", name, "--quick", "--threads", "1", "--out"])
        .arg(out)
        .env_remove(ABORT_ENV)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    c
}

fn summary(out: &Path, name: &str) -> serde_json::Value {
    let path = out.join(name).join("summary.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// The checkpoint files of `out/name` with their modification times and sizes.
fn checkpoints(out: &Path, name: &str) -> BTreeMap<PathBuf, (SystemTime, u64)> {
    let dir = out.join(name).join("checkpoints");
    let Ok(entries) = std::fs::read_dir(dir) else {
        return BTreeMap::new();
    };
    entries
        .flatten()
        .filter(|e| {
            let n = e.file_name().to_string_lossy().into_owned();
            n.ends_with(".safetensors") && !n.starts_with('.')
        })
        .filter_map(|e| {
            let m = e.metadata().ok()?;
            Some((e.path(), (m.modified().ok()?, m.len())))
        })
        .collect()
}

/// Runs `name` and SIGKILLs it as soon as it has written a checkpoint; `true` if it was killed
/// (it may finish first).
fn kill_after_next_checkpoint(name: &str, out: &Path) -> bool {
    let before = checkpoints(out, name);
    let mut child = command(name, out).spawn().expect("the binary starts");
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "{name}: the rerun failed: {status}");
            return false;
        }
        if checkpoints(out, name) != before {
            child.kill().expect("SIGKILL");
            child.wait().unwrap();
            return true;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

fn aborted(status: ExitStatus) -> bool {
    use std::os::unix::process::ExitStatusExt;
    status.signal().is_some()
}

/// What went wrong for `name`, if anything; whether the SIGKILL landed.
fn check(name: &str) -> Result<bool, String> {
    let straight = common::out_dir(&format!("resume-{name}-straight"));
    let status = command(name, &straight).status().unwrap();
    // A claim may fail (exit 1) in quick mode; that is the quick_claims test's business.
    if !matches!(status.code(), Some(0 | 1)) {
        return Err(format!("uninterrupted run: {status}"));
    }
    let want = summary(&straight, name);

    let out = common::out_dir(&format!("resume-{name}-killed"));
    let first = command(name, &out).env(ABORT_ENV, "2").output().unwrap();
    if !aborted(first.status) {
        return Err(format!(
            "{ABORT_ENV}=2 did not abort the run ({}): it wrote fewer than 2 checkpoints",
            first.status
        ));
    }
    if out.join(name).join("summary.json").exists() {
        return Err("an aborted run wrote its summary".into());
    }
    let killed = kill_after_next_checkpoint(name, &out);
    let last = command(name, &out).output().unwrap();
    if !matches!(last.status.code(), Some(0 | 1)) {
        return Err(format!(
            "the resuming run failed: {}\n{}",
            last.status,
            String::from_utf8_lossy(&last.stderr)
        ));
    }
    let got = summary(&out, name);
    for key in ["claims", "arrays", "report"] {
        if got[key] != want[key] {
            return Err(format!("{key} differ from the uninterrupted run's"));
        }
    }
    let resumed = got["resumed"].as_object().cloned().unwrap_or_default();
    let furthest = resumed.values().filter_map(|v| v.as_u64()).max();
    if furthest.is_none_or(|s| s == 0) {
        return Err(format!("no run resumed past step 0: resumed = {resumed:?}"));
    }
    if out.join(name).join("checkpoints").exists() {
        return Err("checkpoints left behind by a finished run".into());
    }
    Ok(killed)
}

#[test]
fn every_experiment_resumes_bit_identically_after_an_abort_and_a_sigkill() {
    let names: Vec<&str> = registered().map(|e| e.name).collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let Some(name) = names.get(i) else { break };
                let r = check(name);
                results.lock().unwrap().push((name.to_string(), r));
            });
        }
    });
    let results = results.into_inner().unwrap();
    let mut failures = Vec::new();
    let mut sigkilled = 0;
    for (name, r) in &results {
        match r {
            Ok(killed) => {
                sigkilled += usize::from(*killed);
                println!("{name}: resumed exactly (SIGKILL landed: {killed})");
            }
            Err(e) => failures.push(format!("{name}: {e}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The SIGKILL is racy for the fastest experiments (they may finish before the poll sees a
    // checkpoint); it must land for most.
    assert!(
        2 * sigkilled >= results.len(),
        "the SIGKILL landed in only {sigkilled} of {} experiments",
        results.len()
    );
}

fn tiny_training<'a>(
    x: &'a Tensor<f64>,
    blow_up_at: u64,
) -> Training<'a, f64, Linear<f64>, Sgd<f64>> {
    let mut model = Linear::from_tensors(Tensor::<f64>::zeros([1, 2]).requires_grad(), None);
    let opt = Sgd::new(
        nn::params::tensors(&mut model),
        SgdConfig {
            lr: 0.1,
            ..Default::default()
        },
    );
    Training::new(model, opt).loss(move |m, _, t| {
        let l = m.forward(x).sub_scalar(1.0).square().sum_all();
        if t == blow_up_at {
            l.mul_scalar(f64::NAN)
        } else {
            l
        }
    })
}

#[test]
fn a_non_finite_loss_is_an_error_naming_experiment_run_step_and_quantity() {
    let config = common::quick(common::out_dir("nan"));
    let ctx = Ctx::new(&config, "nan_probe");
    let x = Tensor::from_vec(vec![1.0, 2.0], [1, 2]).unwrap();
    let err = ctx
        .train("run", tiny_training(&x, 7), 100, &[0, 10])
        .err()
        .expect("the NaN stops the run");
    let msg = err.to_string();
    assert!(matches!(err, Error::NonFinite { step: 7, .. }), "{msg}");
    assert!(
        msg.contains("nan_probe") && msg.contains("run") && msg.contains("step 7"),
        "{msg}"
    );
}

#[test]
fn a_checkpoint_of_another_run_length_or_model_is_not_resumed() {
    let config = common::quick(common::out_dir("stale"));
    let ctx = Ctx::new(&config, "stale_probe");
    let x = Tensor::from_vec(vec![1.0, 2.0], [1, 2]).unwrap();
    let first = ctx
        .train("r", tiny_training(&x, u64::MAX), 50, &[0])
        .unwrap();
    assert_eq!(first.resumed_from, None);
    let again = ctx
        .train("r", tiny_training(&x, u64::MAX), 50, &[0])
        .unwrap();
    assert_eq!(again.resumed_from, Some(50), "the finished run is restored");
    assert_eq!(again.model.weight.to_vec(), first.model.weight.to_vec());
    let longer = ctx
        .train("r", tiny_training(&x, u64::MAX), 60, &[0])
        .unwrap();
    assert_eq!(longer.resumed_from, None, "another length is another run");
    // Same key, another model (three weights): ignored with a note, the run starts over.
    let mut model = Linear::from_tensors(Tensor::<f64>::zeros([1, 3]).requires_grad(), None);
    let opt = Sgd::new(nn::params::tensors(&mut model), SgdConfig::default());
    let x3 = Tensor::from_vec(vec![1.0, 2.0, 3.0], [1, 3]).unwrap();
    let other = Training::new(model, opt).loss(|m, _, _| m.forward(&x3).sum_all());
    let r = ctx.train("r", other, 60, &[0]).unwrap();
    assert_eq!(r.resumed_from, None);
}

/// The library-level hook `Config::stop_after`: the run stops (checkpointed) at that step with
/// `Error::Interrupted`, and the next call resumes it there and ends where an uninterrupted run
/// ends.
#[test]
fn stop_after_interrupts_and_the_next_call_resumes() {
    let x = Tensor::from_vec(vec![1.0, 2.0], [1, 2]).unwrap();
    let straight = common::quick(common::out_dir("stop-after-straight"));
    let want = Ctx::new(&straight, "probe")
        .train("r", tiny_training(&x, u64::MAX), 40, &[0, 10])
        .unwrap();
    let config = experiments::Config {
        stop_after: Some(25),
        ..common::quick(common::out_dir("stop-after"))
    };
    let ctx = Ctx::new(&config, "probe");
    match ctx.train("r", tiny_training(&x, u64::MAX), 40, &[0, 10]) {
        Err(Error::Interrupted { step: 25, .. }) => {}
        Err(e) => panic!("expected an interruption at step 25, got {e}"),
        Ok(_) => panic!("expected an interruption at step 25"),
    }
    let resumed = Ctx::new(&common::quick(config.out.clone()), "probe")
        .train("r", tiny_training(&x, u64::MAX), 40, &[0, 10])
        .unwrap();
    assert_eq!(resumed.resumed_from, Some(25));
    assert_eq!(resumed.model.weight.to_vec(), want.model.weight.to_vec());
    assert_eq!(resumed.trace, want.trace);
}
