//! Checkpoints: stopping after k steps, saving to JSON, loading into a fresh optimizer and
//! continuing gives bit-identical parameters to an uninterrupted run.

mod common;

use autograd::Tensor;
use common::LeastSquares;
use optim::{
    Adagrad, AdagradConfig, Adam, AdamConfig, AveragedSgd, ForwardStagewise, MirrorDescent,
    MirrorMomentum, NaturalGradient, Norm, NormalizedSteepest, Optimizer, OptimizerState, PNorm,
    Quartic, RmsProp, RmsPropConfig, Sgd, SgdConfig, SignedEg, StateError, SteepestDescent,
};
use std::path::PathBuf;

type Make = dyn Fn(Vec<Tensor<f64>>) -> Box<dyn Optimizer<f64>>;

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("optim-state-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(format!("{name}.json"))
}

/// Two parameters (a [2, 1] weight used by the loss, and a [3] one that sometimes gets no
/// gradient) on the 2x2 problem; at odd steps the second has a gradient too.
fn run(
    opt: &mut dyn Optimizer<f64>,
    w: &Tensor<f64>,
    extra: &Tensor<f64>,
    steps: std::ops::Range<u64>,
) {
    let p = LeastSquares::small();
    for t in steps {
        opt.set_lr(0.05 / (1.0 + t as f64 / 7.0));
        let loss = p.backward(w);
        extra.zero_grad();
        if t % 2 == 1 {
            extra.mul(extra).sum_all().backward();
        }
        opt.step_with_loss(loss);
    }
}

fn fresh() -> (Tensor<f64>, Tensor<f64>) {
    (
        common::param(&[0.5, -0.25]),
        Tensor::from_vec(vec![0.3, -0.7, 1.1], [3])
            .unwrap()
            .requires_grad(),
    )
}

fn check_resume(name: &str, make: &Make, k: u64, n: u64) {
    // Uninterrupted.
    let (w, e) = fresh();
    let mut opt = make(vec![w.clone(), e.clone()]);
    run(opt.as_mut(), &w, &e, 0..n);
    let want = (w.to_vec(), e.to_vec());

    // Interrupted after k steps: save parameters and optimizer state.
    let (w, e) = fresh();
    let mut opt = make(vec![w.clone(), e.clone()]);
    run(opt.as_mut(), &w, &e, 0..k);
    let path = tmp(name);
    opt.save_state(&path).unwrap();
    let saved = (w.to_vec(), e.to_vec());
    drop(opt);

    // Resume in a fresh optimizer on fresh tensors holding the saved values.
    let w2 = Tensor::from_vec(saved.0, [2, 1]).unwrap().requires_grad();
    let e2 = Tensor::from_vec(saved.1, [3]).unwrap().requires_grad();
    let mut opt2 = make(vec![w2.clone(), e2.clone()]);
    opt2.load_state_file(&path).unwrap();
    assert_eq!(opt2.lr(), 0.05 / (1.0 + (k - 1) as f64 / 7.0));
    run(opt2.as_mut(), &w2, &e2, k..n);
    assert_eq!(
        (w2.to_vec(), e2.to_vec()),
        want,
        "{name}: resumed run differs"
    );
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn resumed_runs_are_bit_identical() {
    let cases: Vec<(&str, Box<Make>)> = vec![
        (
            "sgd-momentum",
            Box::new(|ps| {
                Box::new(Sgd::new(
                    ps,
                    SgdConfig {
                        lr: 0.05,
                        momentum: 0.9,
                        dampening: 0.1,
                        weight_decay: 0.01,
                        nesterov: false,
                    },
                ))
            }),
        ),
        (
            "sgd-nesterov",
            Box::new(|ps| {
                Box::new(Sgd::new(
                    ps,
                    SgdConfig {
                        lr: 0.05,
                        momentum: 0.9,
                        nesterov: true,
                        ..Default::default()
                    },
                ))
            }),
        ),
        (
            "adam-amsgrad",
            Box::new(|ps| {
                Box::new(Adam::new(
                    ps,
                    AdamConfig {
                        amsgrad: true,
                        betas: (0.8, 0.5),
                        ..Default::default()
                    },
                ))
            }),
        ),
        (
            "adamw",
            Box::new(|ps| Box::new(Adam::adamw(ps, AdamConfig::adamw()))),
        ),
        (
            "adagrad",
            Box::new(|ps| {
                Box::new(Adagrad::new(
                    ps,
                    AdagradConfig {
                        lr_decay: 0.1,
                        initial_accumulator_value: 0.1,
                        ..Default::default()
                    },
                ))
            }),
        ),
        (
            "rmsprop",
            Box::new(|ps| {
                Box::new(RmsProp::new(
                    ps,
                    RmsPropConfig {
                        momentum: 0.5,
                        centered: true,
                        ..Default::default()
                    },
                ))
            }),
        ),
        (
            "averaged-sgd",
            Box::new(|ps| {
                Box::new(AveragedSgd::new(
                    ps,
                    SgdConfig {
                        lr: 0.05,
                        momentum: 0.5,
                        ..Default::default()
                    },
                ))
            }),
        ),
        (
            "signed-eg",
            Box::new(|ps| Box::new(SignedEg::new(ps, 0.5, 0.05))),
        ),
        (
            "steepest",
            Box::new(|ps| Box::new(SteepestDescent::new(ps, Norm::Lp(3.0), 0.05))),
        ),
        (
            "normalized-steepest",
            Box::new(|ps| Box::new(NormalizedSteepest::new(ps, Norm::L1, 0.05))),
        ),
        (
            "mirror-momentum",
            Box::new(|ps| Box::new(MirrorMomentum::new(ps, PNorm::new(3.0), 0.05, 0.5))),
        ),
        (
            "natural-gradient",
            Box::new(|ps| Box::new(NaturalGradient::new(ps, Quartic, 0.05))),
        ),
        (
            "stagewise",
            Box::new(|ps| Box::new(ForwardStagewise::new(ps, 0.05).halve_after(2))),
        ),
    ];
    for (name, make) in &cases {
        check_resume(name, make.as_ref(), 6, 15);
    }
}

#[test]
fn averaged_sgd_resumes_its_average() {
    let make = |ps| {
        AveragedSgd::new(
            ps,
            SgdConfig {
                lr: 0.05,
                ..Default::default()
            },
        )
    };
    let (w, e) = fresh();
    let mut a = make(vec![w.clone(), e.clone()]);
    run(&mut a, &w, &e, 0..10);
    let (w2, e2) = fresh();
    let mut b = make(vec![w2.clone(), e2.clone()]);
    run(&mut b, &w2, &e2, 0..4);
    let json = b.state().to_json();
    let mut c = make(vec![w2.clone(), e2.clone()]);
    c.load_state(&OptimizerState::from_json(&json).unwrap())
        .unwrap();
    run(&mut c, &w2, &e2, 4..10);
    assert_eq!(c.num_averaged(), 10);
    assert_eq!(c.averages(), a.averages());
}

#[test]
fn state_entries_are_named_flat_vectors() {
    let (w, e) = fresh();
    let mut opt = Adam::new(
        vec![w.clone(), e.clone()],
        AdamConfig {
            amsgrad: true,
            ..Default::default()
        },
    );
    run(&mut opt, &w, &e, 0..3);
    let st = opt.state();
    assert_eq!(st.optimizer, "Adam");
    let names: Vec<&str> = st.vectors.keys().map(|s| s.as_str()).collect();
    assert_eq!(
        names,
        [
            "exp_avg.0",
            "exp_avg.1",
            "exp_avg_sq.0",
            "exp_avg_sq.1",
            "max_exp_avg_sq.0",
            "max_exp_avg_sq.1",
            "step"
        ]
    );
    assert_eq!(st.vectors["step"], vec![3.0, 1.0]);
    assert_eq!(st.vectors["exp_avg.1"].len(), 3);
    assert!(st.scalars.contains_key("lr"));
}

#[test]
fn non_finite_values_survive_json() {
    let mut st = OptimizerState::new("X");
    st.vectors.insert(
        "v".into(),
        vec![
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            0.1,
            -0.0,
            1e-310,
        ],
    );
    st.scalars.insert("lr".into(), 1.0 / 3.0);
    let back = OptimizerState::from_json(&st.to_json()).unwrap();
    let v = &back.vectors["v"];
    assert!(v[0].is_nan());
    assert_eq!(&v[1..], &st.vectors["v"][1..]);
    assert_eq!(v[4].to_bits(), (-0.0f64).to_bits());
    assert_eq!(back.scalars["lr"].to_bits(), (1.0f64 / 3.0).to_bits());
}

#[test]
fn load_errors_name_the_entry() {
    let (w, e) = fresh();
    let mut opt = Sgd::new(
        vec![w.clone(), e.clone()],
        SgdConfig {
            momentum: 0.9,
            ..Default::default()
        },
    );
    run(&mut opt, &w, &e, 0..2);
    let good = opt.state();

    let mut missing = good.clone();
    missing.vectors.remove("momentum_buffer.1");
    let err = opt.load_state(&missing).unwrap_err();
    assert!(matches!(err, StateError::Missing { .. }));
    assert_eq!(
        err.to_string(),
        "optimizer state: missing entry 'momentum_buffer.1'"
    );

    let mut short = good.clone();
    short.vectors.get_mut("momentum_buffer.0").unwrap().pop();
    let err = opt.load_state(&short).unwrap_err().to_string();
    assert_eq!(
        err,
        "optimizer state: entry 'momentum_buffer.0' has 1 values, expected 2"
    );

    let mut no_lr = good.clone();
    no_lr.scalars.remove("lr");
    assert_eq!(
        opt.load_state(&no_lr).unwrap_err().to_string(),
        "optimizer state: missing entry 'lr'"
    );

    let mut bad_step = good.clone();
    bad_step.vectors.insert("step".into(), vec![1.5, 0.0]);
    assert!(opt
        .load_state(&bad_step)
        .unwrap_err()
        .to_string()
        .contains("'step'"));

    let adam = Adam::new(vec![w.clone(), e.clone()], AdamConfig::default()).state();
    let err = opt.load_state(&adam).unwrap_err().to_string();
    assert_eq!(
        err,
        "optimizer state: written by optimizer \"Adam\", cannot load into \"SGD\""
    );

    // A failed load changes nothing.
    assert_eq!(opt.state(), good);

    let err = OptimizerState::load(tmp("does-not-exist")).unwrap_err();
    assert!(matches!(err, StateError::Io { .. }), "{err}");
    assert!(matches!(
        OptimizerState::from_json("{").unwrap_err(),
        StateError::Json(_)
    ));
}

#[test]
fn save_is_atomic_and_leaves_no_temporary_file() {
    let path = tmp("atomic");
    let w = common::param::<f64>(&[1.0]);
    let opt = MirrorDescent::new(vec![w], PNorm::new(3.0), 0.1);
    opt.save_state(&path).unwrap();
    opt.save_state(&path).unwrap(); // overwrites
    let dir = path.parent().unwrap();
    let leftovers: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains("atomic.json.tmp"))
        .collect();
    assert!(leftovers.is_empty());
    assert_eq!(OptimizerState::load(&path).unwrap(), opt.state());
    std::fs::remove_file(&path).unwrap();
}
