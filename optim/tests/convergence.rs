//! On a strongly convex quadratic f(w) = 0.5 ||A w - b||^2 with b = A w*, every method reaches
//! the known minimizer w*.

mod common;

use common::{max_diff, param, train, values, LeastSquares};
use optim::{
    Adagrad, AdagradConfig, Adam, AdamConfig, AveragedSgd, Cosine, HyperbolicEntropy, InverseTime,
    MirrorDescent, Norm, NormalizedGd, Optimizer, PNorm, PathSgd, RmsProp, RmsPropConfig, Schedule,
    Sgd, SgdConfig, SignedEg, SteepestDescent, WeightLayout,
};

const W_STAR: [f64; 3] = [1.0, -2.0, 0.5];
const W0: [f64; 3] = [0.0, 0.0, 0.0];

fn converges(
    what: &str,
    make: impl FnOnce(Vec<autograd::Tensor<f64>>) -> Box<dyn Optimizer<f64>>,
    w_star: [f64; 3],
    w0: [f64; 3],
    steps: u64,
    lr_at: Option<&dyn Fn(u64) -> f64>,
    tol: f64,
) {
    let p = LeastSquares::with_minimizer(w_star);
    let w = param::<f64>(&w0);
    let mut opt = make(vec![w.clone()]);
    train(&p, &w, opt.as_mut(), steps, lr_at);
    let err = max_diff(&values(&w), &w_star);
    assert!(
        err < tol,
        "{what}: |w - w*|_inf = {err} after {steps} steps (w = {:?})",
        values(&w)
    );
}

#[test]
fn sgd_family_converges() {
    let sgd = |lr, momentum, nesterov| SgdConfig {
        lr,
        momentum,
        nesterov,
        ..Default::default()
    };
    converges(
        "GD",
        |ps| Box::new(Sgd::new(ps, sgd(0.2, 0.0, false))),
        W_STAR,
        W0,
        500,
        None,
        1e-10,
    );
    converges(
        "heavy ball",
        |ps| Box::new(Sgd::new(ps, sgd(0.05, 0.9, false))),
        W_STAR,
        W0,
        1000,
        None,
        1e-10,
    );
    converges(
        "Nesterov",
        |ps| Box::new(Sgd::new(ps, sgd(0.05, 0.9, true))),
        W_STAR,
        W0,
        1000,
        None,
        1e-10,
    );
    let damped = SgdConfig {
        lr: 0.1,
        momentum: 0.5,
        dampening: 0.5,
        ..Default::default()
    };
    converges(
        "damped momentum",
        |ps| Box::new(Sgd::new(ps, damped)),
        W_STAR,
        W0,
        1000,
        None,
        1e-10,
    );
}

#[test]
fn adaptive_methods_converge() {
    let cfg = AdagradConfig {
        lr: 0.5,
        ..Default::default()
    };
    converges(
        "AdaGrad",
        |ps| Box::new(Adagrad::new(ps, cfg)),
        W_STAR,
        W0,
        3000,
        None,
        1e-8,
    );
    // RMSprop and Adam hover at a distance ~ lr around the minimizer: anneal the rate.
    let cosine = Cosine {
        lr0: 0.02,
        lr_min: 0.0,
        t_max: 4000,
    };
    let anneal = |t| cosine.lr(t);
    for (momentum, centered) in [(0.0, false), (0.5, true)] {
        let cfg = RmsPropConfig {
            lr: 0.02,
            momentum,
            centered,
            ..Default::default()
        };
        converges(
            &format!("RMSprop {cfg:?}"),
            |ps| Box::new(RmsProp::new(ps, cfg)),
            W_STAR,
            W0,
            4000,
            Some(&anneal),
            1e-4,
        );
    }
    for amsgrad in [false, true] {
        let cfg = AdamConfig {
            lr: 0.02,
            amsgrad,
            ..Default::default()
        };
        converges(
            &format!("Adam amsgrad={amsgrad}"),
            |ps| Box::new(Adam::new(ps, cfg)),
            W_STAR,
            W0,
            4000,
            Some(&anneal),
            1e-4,
        );
    }
}

#[test]
fn steepest_descent_converges_for_every_norm() {
    for (norm, lr) in [
        (Norm::L2, 0.2),
        (Norm::L1, 0.2),
        (Norm::LInf, 0.05),
        (Norm::Lp(1.5), 0.1),
        (Norm::Lp(3.0), 0.1),
    ] {
        converges(
            &format!("steepest {norm:?}"),
            |ps| Box::new(SteepestDescent::new(ps, norm, lr)),
            W_STAR,
            W0,
            5000,
            None,
            1e-8,
        );
    }
}

#[test]
fn mirror_descent_converges() {
    // The entropy lives on the positive orthant: a positive minimizer and start.
    let positive = [0.5, 1.5, 2.0];
    converges(
        "EG",
        |ps| Box::new(MirrorDescent::exponentiated_gradient(ps, 0.1)),
        positive,
        [1.0; 3],
        5000,
        None,
        1e-8,
    );
    for p in [1.5, 3.0] {
        converges(
            &format!("p-norm {p}"),
            |ps| Box::new(MirrorDescent::new(ps, PNorm::new(p), 0.05)),
            W_STAR,
            [0.1; 3],
            20000,
            None,
            1e-6,
        );
    }
    converges(
        "hyperbolic entropy",
        |ps| {
            Box::new(MirrorDescent::new(
                ps,
                HyperbolicEntropy { beta: 0.1 },
                0.05,
            ))
        },
        W_STAR,
        W0,
        5000,
        None,
        1e-8,
    );
    converges(
        "EG+/-",
        |ps| Box::new(SignedEg::new(ps, 0.1, 0.05)),
        W_STAR,
        W0,
        5000,
        None,
        1e-8,
    );
}

#[test]
fn normalized_gd_with_decaying_step_converges() {
    let schedule = InverseTime { lr0: 0.5, t0: 10.0 };
    let lr_at = |t| schedule.lr(t);
    converges(
        "normalized GD",
        |ps| Box::new(NormalizedGd::new(ps, 0.5)),
        W_STAR,
        W0,
        20000,
        Some(&lr_at),
        1e-3,
    );
}

#[test]
fn averaged_sgd_converges() {
    let p = LeastSquares::with_minimizer(W_STAR);
    let w = param::<f64>(&W0);
    let cfg = SgdConfig {
        lr: 0.2,
        ..Default::default()
    };
    let mut opt = AveragedSgd::new(vec![w.clone()], cfg);
    train(&p, &w, &mut opt, 20000, None);
    // The iterates converge geometrically; their mean like 1/m.
    assert!(max_diff(&values(&w), &W_STAR) < 1e-10);
    let err = max_diff(&opt.averages()[0], &W_STAR);
    assert!(err < 1e-3, "average: error {err}");
}

#[test]
fn path_sgd_on_a_single_layer_is_gd_and_converges() {
    // One layer [3, 1] (InOut: 3 inputs, 1 output): every edge is its own path, gamma = 1.
    let p = LeastSquares::with_minimizer(W_STAR);
    let w = param::<f64>(&W0);
    let mut opt = PathSgd::new(vec![w.clone()], WeightLayout::InOut, 0.2);
    assert_eq!(
        optim::path_scales(opt.params(), WeightLayout::InOut),
        vec![vec![1.0; 3]]
    );
    train(&p, &w, &mut opt, 500, None);
    assert!(max_diff(&values(&w), &W_STAR) < 1e-10);
}
