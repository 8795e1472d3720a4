//! The update rules added for the implicit-bias experiments, against hand-computed steps:
//! forward stagewise (and its step halving), natural gradient, mirror descent with momentum,
//! normalized steepest descent; the potentials' derivatives; `step_with_loss` through a boxed
//! optimizer; `Sgd::set_momentum`; the inverse-square-root schedule.

mod common;

use common::{assert_close, param, values, LeastSquares};
use optim::{
    ForwardStagewise, HyperbolicEntropy, InverseSqrt, MirrorDescent, MirrorMomentum,
    NaturalGradient, NegativeEntropy, Norm, NormalizedSteepest, Optimizer, PNorm, Potential,
    Quartic, Schedule, Sgd, SgdConfig, SquaredEuclidean,
};

// On LeastSquares::small() at w = (0.5, -0.25): A w - b = (-0.25, 1.5), g = A^T (A w - b) =
// (0.25, 4.25), loss 1.15625.
const W0: [f64; 2] = [0.5, -0.25];
const G0: [f64; 2] = [0.25, 4.25];

#[test]
fn the_gradient_at_w0_is_as_written() {
    let p = LeastSquares::small();
    assert_eq!(p.grad(&W0), G0.to_vec());
}

#[test]
fn forward_stagewise_moves_the_largest_gradient_coordinate_by_lr() {
    let p = LeastSquares::small();
    let w = param::<f64>(&W0);
    let mut opt = ForwardStagewise::new(vec![w.clone()], 0.1);
    p.backward(&w);
    opt.step();
    // |g_2| = 4.25 is the largest: w_2 -= 0.1 sign(4.25).
    assert_close(&values(&w), &[0.5, -0.35], 1e-15, "one stagewise step");
}

#[test]
fn forward_stagewise_picks_across_parameters_and_halves_after_a_stall() {
    // Two parameters: the joint argmax is in the second one.
    let a = param::<f64>(&[1.0, -2.0]);
    let b = param::<f64>(&[3.0]);
    let mut opt = ForwardStagewise::new(vec![a.clone(), b.clone()], 0.5).halve_after(2);
    let set = |ga: [f64; 2], gb: f64| {
        a.set_grad(Some(
            autograd::Tensor::from_vec(ga.to_vec(), [2, 1]).unwrap(),
        ));
        b.set_grad(Some(autograd::Tensor::from_vec(vec![gb], [1, 1]).unwrap()));
    };
    set([0.1, -0.2], -0.3);
    opt.step_with_loss(1.0); // new best: no halving; b += 0.5
    assert_close(&values(&b), &[3.5], 1e-15, "joint argmax");
    assert_close(&values(&a), &[1.0, -2.0], 1e-15, "others untouched");
    set([0.1, -0.9], 0.3);
    opt.step_with_loss(1.0); // stalled once
    assert_eq!(opt.lr(), 0.5);
    assert_close(&values(&a), &[1.0, -1.5], 1e-15, "a_2 += 0.5");
    opt.step_with_loss(2.0); // stalled twice: halve before this step
    assert_eq!(opt.lr(), 0.25);
    assert_close(&values(&a), &[1.0, -1.25], 1e-15, "a_2 += 0.25");
    let st = opt.state();
    assert_eq!(st.scalars["best_loss"], 1.0);
    assert_eq!(st.scalars["stalled"], 0.0);
    // step() never halves.
    let mut plain = ForwardStagewise::new(vec![a.clone()], 0.5).halve_after(1);
    plain.step();
    plain.step();
    assert_eq!(plain.lr(), 0.5);
}

#[test]
fn natural_gradient_divides_by_the_metric() {
    let p = LeastSquares::small();
    let w = param::<f64>(&W0);
    let mut opt = NaturalGradient::new(vec![w.clone()], Quartic, 0.1);
    p.backward(&w);
    opt.step();
    // phi''(w) = 3 w^2 + 1: 1.75 at 0.5, 1.1875 at -0.25.
    let want = [0.5 - 0.1 * 0.25 / 1.75, -0.25 - 0.1 * 4.25 / 1.1875];
    assert_close(&values(&w), &want, 1e-15, "natural gradient step");
}

#[test]
fn mirror_momentum_by_hand_and_without_momentum_is_mirror_descent() {
    let p = LeastSquares::small();
    let pot = PNorm::new(3.0);
    let w = param::<f64>(&W0);
    let mut opt = MirrorMomentum::new(vec![w.clone()], pot, 0.1, 0.5);
    // Step 1: w_{-1} = w_0, so no momentum.
    p.backward(&w);
    opt.step();
    let w1: Vec<f64> = (0..2)
        .map(|i| pot.grad_inv(pot.grad(W0[i]) - 0.1 * G0[i]))
        .collect();
    assert_close(&values(&w), &w1, 1e-15, "first step");
    // Step 2: from the look-ahead point w1 + 0.5 (w1 - w0).
    p.backward(&w);
    let g1 = p.grad(&w1);
    opt.step();
    let w2: Vec<f64> = (0..2)
        .map(|i| {
            let look = w1[i] + 0.5 * (w1[i] - W0[i]);
            pot.grad_inv(pot.grad(look) - 0.1 * g1[i])
        })
        .collect();
    assert_close(&values(&w), &w2, 1e-14, "second step");

    let (a, b) = (param::<f64>(&W0), param::<f64>(&W0));
    let mut mm = MirrorMomentum::new(vec![a.clone()], Quartic, 0.05, 0.0);
    let mut md = MirrorDescent::new(vec![b.clone()], Quartic, 0.05);
    for _ in 0..50 {
        p.backward(&a);
        mm.step();
        p.backward(&b);
        md.step();
    }
    assert_eq!(values(&a), values(&b), "beta = 0 is mirror descent");
}

#[test]
fn normalized_steepest_takes_unit_steps_in_its_norm() {
    let p = LeastSquares::small();
    let n2 = (0.25f64 * 0.25 + 4.25 * 4.25).sqrt();
    for (norm, want) in [
        (Norm::L1, [0.5, -0.25 - 0.1]),
        (Norm::L2, [0.5 - 0.1 * 0.25 / n2, -0.25 - 0.1 * 4.25 / n2]),
        (Norm::LInf, [0.5 - 0.1, -0.25 - 0.1]),
    ] {
        let w = param::<f64>(&W0);
        let mut opt = NormalizedSteepest::new(vec![w.clone()], norm, 0.1);
        p.backward(&w);
        opt.step();
        assert_close(&values(&w), &want, 1e-15, &format!("{norm:?}"));
        let step: Vec<f64> = values(&w).iter().zip(W0).map(|(a, b)| a - b).collect();
        assert!((norm.of(&step) - 0.1).abs() < 1e-15, "{norm:?}: ||step||");
    }
    // Scale-free: the gradient of 10 L gives the same step.
    let (a, b) = (param::<f64>(&W0), param::<f64>(&W0));
    let mut oa = NormalizedSteepest::new(vec![a.clone()], Norm::Lp(3.0), 0.1);
    let mut ob = NormalizedSteepest::new(vec![b.clone()], Norm::Lp(3.0), 0.1);
    p.backward(&a);
    oa.step();
    b.set_grad(Some(
        autograd::Tensor::from_vec(vec![2.5, 42.5], [2, 1]).unwrap(),
    ));
    ob.step();
    assert_close(&values(&a), &values(&b), 1e-15, "scale invariance");
}

/// `value`, `grad`, `hess` and `grad_inv` of every potential are consistent: central
/// differences of `value` give `grad`, of `grad` give `hess`, and `grad_inv` inverts `grad`.
#[test]
fn potentials_derivatives_are_consistent() {
    let pots: [(&dyn Potential, &[f64]); 6] = [
        (&SquaredEuclidean, &[-2.0, 0.3, 1.7]),
        (&NegativeEntropy, &[0.2, 1.0, 3.0]),
        (&PNorm { p: 1.5 }, &[-2.0, 0.3, 1.7]),
        (&PNorm { p: 3.0 }, &[-2.0, 0.3, 1.7]),
        (&HyperbolicEntropy { beta: 0.3 }, &[-2.0, 0.3, 1.7]),
        (&Quartic, &[-2.0, 0.0, 0.3, 1.7]),
    ];
    for (pot, points) in pots {
        for &w in points {
            let h = 1e-5 * (1.0 + w.abs());
            let dv = (pot.value(w + h) - pot.value(w - h)) / (2.0 * h);
            let dg = (pot.grad(w + h) - pot.grad(w - h)) / (2.0 * h);
            let name = pot.name();
            assert!(
                (dv - pot.grad(w)).abs() < 1e-8 * (1.0 + dv.abs()),
                "{name} at {w}: value' {dv} vs grad {}",
                pot.grad(w)
            );
            assert!(
                (dg - pot.hess(w)).abs() < 1e-6 * (1.0 + dg.abs()),
                "{name} at {w}: grad' {dg} vs hess {}",
                pot.hess(w)
            );
            assert!(
                (pot.grad_inv(pot.grad(w)) - w).abs() < 1e-12 * (1.0 + w.abs()),
                "{name} at {w}: grad_inv"
            );
        }
    }
}

#[test]
fn a_boxed_optimizer_forwards_step_with_loss() {
    let p = LeastSquares::small();
    let w = param::<f64>(&W0);
    let mut opt: Box<dyn Optimizer<f64>> =
        Box::new(optim::NormalizedGd::by_loss(vec![w.clone()], 0.1));
    let loss = p.backward(&w);
    opt.step_with_loss(loss);
    let want = [0.5 - 0.1 * 0.25 / 1.15625, -0.25 - 0.1 * 4.25 / 1.15625];
    assert_close(
        &values(&w),
        &want,
        1e-15,
        "divided by the loss, not the norm",
    );
    // The gradient-norm form takes the same step through step() and step_with_loss().
    let (a, b) = (param::<f64>(&W0), param::<f64>(&W0));
    let mut oa = optim::NormalizedGd::new(vec![a.clone()], 0.1);
    let mut ob: Box<dyn Optimizer<f64>> = Box::new(optim::NormalizedGd::new(vec![b.clone()], 0.1));
    let loss = p.backward(&a);
    oa.step();
    p.backward(&b);
    ob.step_with_loss(loss);
    assert_eq!(values(&a), values(&b));
}

#[test]
fn set_momentum_changes_the_next_steps_only() {
    let p = LeastSquares::small();
    let cfg = SgdConfig {
        lr: 0.1,
        momentum: 0.5,
        ..Default::default()
    };
    let w = param::<f64>(&W0);
    let mut opt = Sgd::new(vec![w.clone()], cfg);
    p.backward(&w);
    opt.step(); // b = g0
    let w1 = values(&w);
    opt.set_momentum(0.9);
    p.backward(&w);
    let g1 = p.grad(&w1);
    opt.step(); // b = 0.9 g0 + g1
    let want: Vec<f64> = (0..2)
        .map(|i| w1[i] - 0.1 * (0.9 * G0[i] + g1[i]))
        .collect();
    assert_close(&values(&w), &want, 1e-15, "momentum 0.9 from step 2");
}

#[test]
#[should_panic(expected = "built with momentum")]
fn set_momentum_needs_momentum_buffers() {
    let w = param::<f64>(&W0);
    Sgd::new(vec![w], SgdConfig::default()).set_momentum(0.9);
}

#[test]
fn inverse_sqrt_schedule() {
    let s = InverseSqrt { lr0: 10.0 };
    assert_eq!(s.lr(0), 10.0);
    assert_eq!(s.lr(3), 5.0);
    assert_eq!(s.lr(99), 1.0);
}
