//! Steepest-descent directions and steps, mirror-descent and normalized-GD steps, against their
//! definitions.

mod common;

use common::{assert_close, param, values, LeastSquares};
use optim::{
    steepest_direction, HyperbolicEntropy, MirrorDescent, NegativeEntropy, Norm, NormalizedGd,
    Optimizer, PNorm, Potential, SignedEg, SteepestDescent,
};
use rand::{Rng, SeedableRng};

fn dot(x: &[f64], y: &[f64]) -> f64 {
    x.iter().zip(y).map(|(a, b)| a * b).sum()
}

const NORMS: [Norm; 5] = [Norm::L1, Norm::L2, Norm::LInf, Norm::Lp(1.5), Norm::Lp(3.0)];

#[test]
fn norms_and_duals_by_hand() {
    let x = [3.0, -4.0, 0.0];
    assert_eq!(Norm::L1.of(&x), 7.0);
    assert_eq!(Norm::L2.of(&x), 5.0);
    assert_eq!(Norm::LInf.of(&x), 4.0);
    // (27 + 64)^(1/3)
    assert!((Norm::Lp(3.0).of(&x) - 91f64.powf(1.0 / 3.0)).abs() < 1e-14);
    assert_eq!(Norm::L1.dual(), Norm::LInf);
    assert_eq!(Norm::LInf.dual(), Norm::L1);
    assert_eq!(Norm::Lp(1.5).dual(), Norm::Lp(3.0));
    assert_eq!(Norm::Lp(2.0).canonical(), Norm::L2);
}

#[test]
fn steepest_directions_satisfy_the_dual_norm_relations() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    for trial in 0..50 {
        let g: Vec<f64> = (0..6).map(|_| rng.gen_range(-3.0..3.0)).collect();
        for norm in NORMS {
            let (d, dual) = steepest_direction(&g, norm);
            let what = format!("trial {trial}, {norm:?}, g = {g:?}");
            assert!(
                (dual - norm.dual().of(&g)).abs() < 1e-12,
                "{what}: dual norm"
            );
            assert!(
                (dot(&g, &d) + dual).abs() < 1e-12 * dual,
                "{what}: <g, d> = {}",
                dot(&g, &d)
            );
            assert!(
                (norm.of(&d) - 1.0).abs() < 1e-12,
                "{what}: ||d|| = {}",
                norm.of(&d)
            );
            // d is the minimizer: no other unit vector does better.
            for _ in 0..20 {
                let e: Vec<f64> = (0..6).map(|_| rng.gen_range(-1.0..1.0)).collect();
                let n = norm.of(&e);
                let e: Vec<f64> = e.iter().map(|x| x / n).collect();
                assert!(dot(&g, &e) >= dot(&g, &d) - 1e-12, "{what}: {e:?} beats d");
            }
        }
    }
    let (d, dual) = steepest_direction(&[0.0, 0.0], Norm::Lp(3.0));
    assert_eq!((d, dual), (vec![0.0, 0.0], 0.0));
}

#[test]
fn steepest_directions_by_hand() {
    let g = [1.0, -3.0, 2.0];
    // l1: only the largest |g_i| (index 1) moves, against its sign.
    assert_eq!(steepest_direction(&g, Norm::L1), (vec![0.0, 1.0, 0.0], 3.0));
    // l-inf: -sign(g), dual norm ||g||_1 = 6.
    assert_eq!(
        steepest_direction(&g, Norm::LInf),
        (vec![-1.0, 1.0, -1.0], 6.0)
    );
    // l2: -g / sqrt(14).
    let (d, dual) = steepest_direction(&g, Norm::L2);
    assert_close(&d, &g.map(|x| -x / 14f64.sqrt()), 1e-15, "l2");
    assert!((dual - 14f64.sqrt()).abs() < 1e-15);
    // p = 3, q = 3/2: d_i = -sign(g_i) |g_i|^(1/2) / ||g||_(3/2)^(1/2).
    let nq = (1.0f64 + 3f64.powf(1.5) + 2f64.powf(1.5)).powf(2.0 / 3.0);
    let (d, dual) = steepest_direction(&g, Norm::Lp(3.0));
    let want = [-(1.0 / nq).sqrt(), (3.0 / nq).sqrt(), -(2.0 / nq).sqrt()];
    assert_close(&d, &want, 1e-14, "l3");
    assert!((dual - nq).abs() < 1e-14);
}

/// One step of steepest descent from w0 on the 2x2 problem, split into two parameters so that
/// the norm is that of the joint vector.
fn one_steepest_step(norm: Norm, lr: f64) -> (Vec<f64>, [f64; 2]) {
    let p = LeastSquares::small();
    let w = param::<f64>(&[0.5, -0.25]);
    let mut opt = SteepestDescent::new(vec![w.clone()], norm, lr);
    p.backward(&w);
    opt.step();
    (values(&w), [0.5, -0.25])
}

#[test]
fn steepest_steps_by_hand() {
    // g = (0.25, 4.25) at w0 (see standard.rs).
    let (w, w0) = one_steepest_step(Norm::L2, 0.1);
    assert_close(&w, &[w0[0] - 0.025, w0[1] - 0.425], 1e-15, "l2 = GD");
    // l1: coordinate 1 moves by -lr ||g||_inf sign(g_1) = -0.1 * 4.25.
    let (w, w0) = one_steepest_step(Norm::L1, 0.1);
    assert_close(&w, &[w0[0], w0[1] - 0.425], 1e-15, "l1");
    // l-inf: both move by -lr ||g||_1 sign(g_i) = -0.1 * 4.5.
    let (w, w0) = one_steepest_step(Norm::LInf, 0.1);
    assert_close(&w, &[w0[0] - 0.45, w0[1] - 0.45], 1e-15, "linf");
    // lp: w_i -= lr |g_i|^(q-1) ||g||_q^(2-q); p = 1.5 so q = 3.
    let nq = (0.25f64.powi(3) + 4.25f64.powi(3)).cbrt();
    let (w, w0) = one_steepest_step(Norm::Lp(1.5), 0.1);
    let want = [
        w0[0] - 0.1 * 0.25f64.powi(2) / nq,
        w0[1] - 0.1 * 4.25f64.powi(2) / nq,
    ];
    assert_close(&w, &want, 1e-14, "l1.5");
}

#[test]
fn steepest_descent_uses_the_joint_vector() {
    // Two parameters; l1 moves only the coordinate of largest |g| over both.
    let a = param::<f64>(&[1.0, 1.0]);
    let b = param::<f64>(&[1.0]);
    let mut opt = SteepestDescent::new(vec![a.clone(), b.clone()], Norm::L1, 0.5);
    // loss = 1 a_0 + 2 a_1 - 3 b_0: g = (1, 2, -3)
    let c = autograd::Tensor::from_vec(vec![1.0, 2.0], [2, 1]).unwrap();
    a.mul(&c)
        .sum_all()
        .sub(&b.mul_scalar(3.0).sum_all())
        .backward();
    opt.step();
    assert_eq!(values(&a), vec![1.0, 1.0]);
    assert_eq!(values(&b), vec![1.0 + 0.5 * 3.0]);
}

#[test]
fn mirror_steps_by_hand() {
    // g = (0.25, 4.25) at w0 = (0.5, -0.25); EG needs w > 0: use the p-norm and EG+/- there.
    let p = LeastSquares::small();
    let lr = 0.1;
    // p-norm, p = 3: z = sign(w) w^2 - lr g, w' = sign(z) sqrt|z|.
    let w = param::<f64>(&[0.5, -0.25]);
    let mut opt = MirrorDescent::new(vec![w.clone()], PNorm::new(3.0), lr);
    p.backward(&w);
    opt.step();
    let z: [f64; 2] = [0.25 - 0.025, -0.0625 - 0.425];
    assert_close(
        &values(&w),
        &[z[0].sqrt(), -(-z[1]).sqrt()],
        1e-15,
        "p-norm",
    );
    // EG on a positive start: w' = w exp(-lr g); at (0.5, 1), r = A w - b = (1 + 1 - 1,
    // 0.25 + 3 + 2) = (1, 5.25) and g = A^T r = (2 + 2.625, 1 + 15.75) = (4.625, 16.75).
    let w = param::<f64>(&[0.5, 1.0]);
    let mut opt = MirrorDescent::exponentiated_gradient(vec![w.clone()], lr);
    p.backward(&w);
    opt.step();
    let want = [0.5 * (-0.4625f64).exp(), (-1.675f64).exp()];
    assert_close(&values(&w), &want, 1e-15, "EG");
    // The generic map grad_inv(grad(w) - lr g) agrees with the closed form.
    let ne = NegativeEntropy;
    assert!((ne.grad_inv(ne.grad(0.5) - 0.4625) - want[0]).abs() < 1e-15);
}

#[test]
fn signed_eg_is_hyperbolic_entropy_mirror_descent() {
    let p = LeastSquares::small();
    let beta = 0.3;
    let w1 = param::<f64>(&[0.0, 0.0]);
    let w2 = param::<f64>(&[0.0, 0.0]);
    let mut eg = SignedEg::new(vec![w1.clone()], beta, 0.05);
    let mut md = MirrorDescent::new(vec![w2.clone()], HyperbolicEntropy { beta }, 0.05);
    // By hand, first step: u = beta exp(-lr g), v = beta exp(lr g).
    p.backward(&w1);
    eg.step();
    let g = p.grad(&[0.0, 0.0]);
    let want: Vec<f64> = g
        .iter()
        .map(|g| beta * (-0.05 * g).exp() - beta * (0.05 * g).exp())
        .collect();
    assert_close(&values(&w1), &want, 1e-15, "EG+/- step");
    p.backward(&w2);
    md.step();
    for _ in 0..200 {
        p.backward(&w1);
        eg.step();
        p.backward(&w2);
        md.step();
    }
    assert_close(
        &values(&w1),
        &values(&w2),
        1e-10,
        "EG+/- vs hyperbolic entropy",
    );
}

#[test]
fn normalized_steps_by_hand() {
    let p = LeastSquares::small();
    // g = (0.25, 4.25), ||g|| = sqrt(18.125), loss = 0.5 (0.0625 + 2.25) = 1.15625.
    let w = param::<f64>(&[0.5, -0.25]);
    let mut opt = NormalizedGd::new(vec![w.clone()], 0.1);
    let loss = p.backward(&w);
    assert_eq!(loss, 1.15625);
    opt.step();
    let n = 18.125f64.sqrt();
    assert_close(
        &values(&w),
        &[0.5 - 0.1 * 0.25 / n, -0.25 - 0.1 * 4.25 / n],
        1e-15,
        "by norm",
    );
    let w = param::<f64>(&[0.5, -0.25]);
    let mut opt = NormalizedGd::by_loss(vec![w.clone()], 0.1);
    let loss = p.backward(&w);
    opt.step_with_loss(loss);
    let want = [0.5 - 0.1 * 0.25 / 1.15625, -0.25 - 0.1 * 4.25 / 1.15625];
    assert_close(&values(&w), &want, 1e-15, "by loss");
}

#[test]
#[should_panic(expected = "outside the domain")]
fn entropy_rejects_non_positive_weights() {
    let w = param::<f64>(&[0.5, 0.0]);
    MirrorDescent::exponentiated_gradient(vec![w], 0.1);
}
