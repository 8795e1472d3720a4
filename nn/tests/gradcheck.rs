//! Finite-difference gradient checks (f64) through every module, with respect to the input and
//! every parameter.

use autograd::gradcheck::{gradcheck, gradgradcheck, Tolerances};
use autograd::Tensor;
use nn::check::{check_direction_module, gradcheck_module};
use nn::{
    Activation, Conv2d, CyclicConv, DeepLinear, DiagonalNet, Dropout, FactorInit, Flatten, Init,
    Linear, LinearConvNet, LogSoftmax, MatrixFactorization, Mlp, Module, Relu, Sequential, Softmax,
    SymmetricFactorization, TwoLayerRelu,
};
use rand::rngs::StdRng;
use rand::SeedableRng;

fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

fn x(dims: &[usize], seed: u64) -> Tensor<f64> {
    Tensor::normal(dims, 0.0, 1.0, &mut rng(seed))
}

fn full<M: Module<f64>>(mut m: M, input: &Tensor<f64>) {
    let report = gradcheck_module(&mut m, input, Tolerances::default());
    assert!(report.passed(), "{report}");
    assert!(report.checked > 0);
}

fn normal(std: f64) -> Init {
    Init::Normal { std }
}

#[test]
fn linear() {
    let mut r = rng(1);
    full(
        Linear::new(3, 4, true, normal(1.0), &mut r).with_bias_init(normal(1.0), &mut r),
        &x(&[5, 3], 2),
    );
    full(
        Linear::new(3, 2, false, normal(1.0), &mut r),
        &x(&[2, 4, 3], 3),
    ); // batch dims
}

#[test]
fn activations_and_flatten() {
    full(Relu, &x(&[4, 5], 4));
    full(Activation::Tanh, &x(&[4, 5], 4));
    full(Activation::Sigmoid, &x(&[4, 5], 4));
    full(Activation::Softplus, &x(&[4, 5], 4));
    full(Softmax { axis: 1 }, &x(&[3, 4], 5));
    full(Softmax { axis: 0 }, &x(&[3, 4], 5));
    full(LogSoftmax { axis: 1 }, &x(&[3, 4], 6));
    full(Flatten, &x(&[2, 2, 3], 7));
}

#[test]
fn dropout_with_a_fixed_mask() {
    // The mask sequence restarts from the seed at every evaluation, so the checker sees one
    // fixed function (x -> mask * x / (1 - p)).
    struct Fixed(Dropout);
    impl Module<f64> for Fixed {
        fn forward(&self, x: &Tensor<f64>) -> Tensor<f64> {
            self.0.reseed(5);
            self.0.forward(x)
        }
    }
    full(Fixed(Dropout::new(0.4, 5)), &x(&[4, 6], 8));
    let mut eval = Dropout::new(0.4, 5);
    Module::<f64>::train(&mut eval, false);
    full(eval, &x(&[4, 6], 8));
}

#[test]
fn conv2d() {
    let mut r = rng(9);
    let conv =
        Conv2d::new(2, 3, 3, 2, 1, true, normal(1.0), &mut r).with_bias_init(normal(1.0), &mut r);
    full(conv, &x(&[2, 2, 5, 4], 10));
    full(
        Conv2d::new(1, 2, 2, 1, 0, false, normal(1.0), &mut r),
        &x(&[1, 1, 3, 3], 11),
    );
}

#[test]
fn cyclic_conv() {
    full(
        CyclicConv::new(6, normal(1.0), &mut rng(12)),
        &x(&[3, 6], 13),
    );
    // A filter shorter than the signal.
    full(
        CyclicConv::from_tensor(x(&[3], 14).requires_grad()),
        &x(&[3, 6], 13),
    );
}

/// The multi-channel layer on `[batch, C_in, D]` with filters `[C_out, C_in, K]`: full checks
/// with respect to the input and the filters, at full width and with short filters, lengths
/// on both sides of the FFT's minimum; second derivatives of `(x, w) -> layer(x)`; and large
/// inputs.
#[test]
fn multi_channel_cyclic_conv() {
    let tol = Tolerances::default();
    for (i, (batch, c_in, c_out, k, d)) in [
        (2, 2, 3, 4, 4),
        (2, 3, 2, 2, 5),
        (1, 1, 1, 1, 1),
        (2, 2, 2, 3, 7),
        (3, 1, 2, 3, 3),
    ]
    .into_iter()
    .enumerate()
    {
        let seed = 50 + 3 * i as u64;
        let layer = CyclicConv::channels(c_in, c_out, k, normal(1.0), &mut rng(seed));
        let input = x(&[batch, c_in, d], seed + 1);
        full(layer, &input);
        let w = x(&[c_out, c_in, k], seed + 2);
        let f = |v: &[Tensor<f64>]| CyclicConv::from_tensor(v[1].clone()).forward(&v[0]);
        let report = gradgradcheck(f, &[&input, &w], tol, seed);
        assert!(report.passed(), "{report}");
        let report = gradcheck(f, &[&input.mul_scalar(1e3), &w], tol);
        assert!(report.passed(), "large inputs: {report}");
    }
}

#[test]
fn theory_models() {
    full(
        DeepLinear::new(&[4, 3, 5, 1], normal(1.0), &mut rng(14)),
        &x(&[3, 4], 15),
    );
    full(
        LinearConvNet::new(5, 3, normal(1.0), &mut rng(16)),
        &x(&[2, 5], 17),
    );
    let diag = DiagonalNet::from_tensors(x(&[4], 18).requires_grad(), x(&[4], 19).requires_grad());
    full(diag, &x(&[3, 4], 20));
    full(DiagonalNet::new(4, 0.1), &x(&[3, 4], 20));
    let a = x(&[4, 3, 3], 21);
    full(
        MatrixFactorization::new(3, 1.0, FactorInit::Gaussian, &mut rng(22)),
        &a,
    );
    full(
        SymmetricFactorization::new(3, 1.0, FactorInit::Gaussian, &mut rng(23)),
        &a,
    );
    full(
        SymmetricFactorization::new(3, 0.5, FactorInit::Identity, &mut rng(23)),
        &a,
    );
    full(
        TwoLayerRelu::new(1, 6, true, normal(1.0), normal(1.0), &mut rng(24)),
        &x(&[5, 1], 25),
    );
    full(
        TwoLayerRelu::new(3, 4, false, normal(1.0), normal(1.0), &mut rng(26)),
        &x(&[5, 3], 27),
    );
}

#[test]
fn whole_networks_along_random_directions() {
    let mut r = rng(30);
    let mut mlp = Mlp::new(
        &[6, 16, 16, 3],
        Activation::Relu,
        true,
        Init::KaimingNormal { scale: 1.0 },
        &mut r,
    );
    let input = x(&[8, 6], 31);
    for seed in 0..3 {
        let report = check_direction_module(&mut mlp, &input, Tolerances::default(), seed);
        assert!(report.passed(), "{report}");
    }
    // a small convnet: conv, relu, conv, flatten, linear, log-softmax
    let mut net = Sequential::new()
        .push(Conv2d::new(
            1,
            3,
            3,
            1,
            1,
            true,
            Init::KaimingNormal { scale: 1.0 },
            &mut r,
        ))
        .push(Relu)
        .push(Conv2d::new(
            3,
            2,
            3,
            2,
            0,
            true,
            Init::KaimingNormal { scale: 1.0 },
            &mut r,
        ))
        .push(Flatten)
        .push(Linear::new(
            2 * 2 * 2,
            4,
            true,
            Init::KaimingNormal { scale: 1.0 },
            &mut r,
        ))
        .push(LogSoftmax { axis: 1 });
    let img = x(&[3, 1, 6, 6], 32);
    let report = check_direction_module(&mut net, &img, Tolerances::default(), 7);
    assert!(report.passed(), "{report}");
}

#[test]
fn the_check_fails_on_a_wrong_gradient() {
    // A module whose backward is wrong: relu's value with a gradient of 2 through the positive
    // part (x + detach(relu(x) - x) + x ... ) — the checker must notice.
    struct Wrong;
    impl Module<f64> for Wrong {
        fn forward(&self, x: &Tensor<f64>) -> Tensor<f64> {
            // value relu(x), derivative relu'(x) + 1
            x.relu().add(&x.sub(&x.detach()).mul_scalar(1.0))
        }
    }
    let report = gradcheck_module(&mut Wrong, &x(&[3], 40), Tolerances::default());
    assert!(!report.passed(), "{report}");
}

#[test]
fn parameters_are_restored_after_a_check() {
    let mut lin = Linear::new(2, 2, true, normal(1.0), &mut rng(41));
    let before: Vec<usize> = lin.parameters().iter().map(|(_, p)| p.id()).collect();
    gradcheck_module(&mut lin, &x(&[1, 2], 42), Tolerances::default()).assert_passed();
    let after: Vec<usize> = lin.parameters().iter().map(|(_, p)| p.id()).collect();
    assert_eq!(before, after);
}
