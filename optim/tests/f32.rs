//! The optimizers work on f32 parameters too.

mod common;

use common::{max_diff, param, train, values, LeastSquares};
use optim::{
    Adam, AdamConfig, MirrorDescent, Norm, Optimizer, OptimizerState, PNorm, Sgd, SgdConfig,
    SteepestDescent,
};

type Make = dyn Fn(Vec<autograd::Tensor<f32>>) -> Box<dyn Optimizer<f32>>;

const W_STAR: [f64; 3] = [1.0, -2.0, 0.5];

#[test]
fn f32_parameters_train_and_checkpoint() {
    let p = LeastSquares::with_minimizer(W_STAR);
    let makers: Vec<(&str, Box<Make>)> = vec![
        (
            "sgd",
            Box::new(|ps| {
                Box::new(Sgd::new(
                    ps,
                    SgdConfig {
                        lr: 0.05,
                        momentum: 0.9,
                        ..Default::default()
                    },
                ))
            }),
        ),
        (
            "adam",
            Box::new(|ps| {
                Box::new(Adam::new(
                    ps,
                    AdamConfig {
                        lr: 0.01,
                        ..Default::default()
                    },
                ))
            }),
        ),
        (
            "steepest-linf",
            Box::new(|ps| Box::new(SteepestDescent::new(ps, Norm::LInf, 0.05))),
        ),
        (
            "p-norm",
            Box::new(|ps| Box::new(MirrorDescent::new(ps, PNorm::new(3.0), 0.05))),
        ),
    ];
    for (name, make) in &makers {
        let w = param::<f32>(&[0.1, 0.1, 0.1]);
        let mut opt = make(vec![w.clone()]);
        let anneal = |t: u64| opt_lr(name, t);
        train(&p, &w, opt.as_mut(), 4000, Some(&anneal));
        let err = max_diff(&values(&w), &W_STAR);
        assert!(
            err < 1e-3,
            "{name} (f32): error {err}, w = {:?}",
            values(&w)
        );

        // The state holds f32 values widened to f64 and loads back exactly.
        let st = OptimizerState::from_json(&opt.state().to_json()).unwrap();
        let w2 = param::<f32>(&values(&w));
        let mut opt2 = make(vec![w2.clone()]);
        opt2.load_state(&st).unwrap();
        for o in [opt.as_mut(), opt2.as_mut()] {
            o.set_lr(1e-3);
        }
        p.backward(&w);
        opt.step();
        p.backward(&w2);
        opt2.step();
        assert_eq!(w.to_vec(), w2.to_vec(), "{name}: f32 resume");
    }
}

fn opt_lr(name: &str, t: u64) -> f64 {
    let base = match name {
        "adam" => 0.01,
        _ => 0.05,
    };
    base * (1.0 - t as f64 / 4000.0).max(0.01)
}

#[test]
fn f32_first_step_matches_f64() {
    let p = LeastSquares::small();
    let w32 = param::<f32>(&[0.5, -0.25]);
    let w64 = param::<f64>(&[0.5, -0.25]);
    let cfg = AdamConfig {
        lr: 0.1,
        ..Default::default()
    };
    let mut a = Adam::new(vec![w32.clone()], cfg.clone());
    let mut b = Adam::new(vec![w64.clone()], cfg);
    p.backward(&w32);
    a.step();
    p.backward(&w64);
    b.step();
    assert!(max_diff(&values(&w32), &values(&w64)) < 1e-6);
    assert_eq!(w32.dims(), &[2, 1]);
}
