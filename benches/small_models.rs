//! One full-batch training step of each small f64 model of the experiments, through the
//! framework (an `nn` model, a loss of tensor ops, `backward`, an `optim` optimizer: the
//! runner's default step), against the hand-written step the experiments used before, on the
//! same data, in the same run (`benches/common/hand_steps.rs`):
//!
//! | group | model | hand-written baseline |
//! | --- | --- | --- |
//! | `logistic_n100_d2` | bias-free `Linear` [1, 2], logistic loss, `Sgd` | closed-form gradient |
//! | `least_squares_20x50` | bias-free `Linear` [1, 50], squared loss, `Sgd` | closed-form gradient |
//! | `diagonal_net_20x50` | `DiagonalNet` (d = 50), squared loss, `Sgd` | closed-form gradient |
//! | `sensing_uut_n30_m180` | `SymmetricFactorization` (n = 30), 180 measurements, `Sgd` | closed-form gradient (`O(n^3 + m n^2)`) |
//! | `conv_depth2_d50_n30` | `LinearConvNet` depth 2 (D = 50), ln exp-loss, `NormalizedGd` | the tape on a flat vector rebuilt as tensors each step |
//!
//! Run: `AUTOGRAD_NUM_THREADS=1 cargo bench --bench small_models -- --warm-up-time 1 --measurement-time 3`.
//! Read the ratio `framework / hand` within each group.

#[path = "common/hand_steps.rs"]
mod hand_steps;

use autograd::{Float, Tensor};
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use hand_steps::Dense;
use nn::{DiagonalNet, Linear, LinearConvNet, Module, SymmetricFactorization};
use optim::{NormalizedGd, Optimizer, Sgd, SgdConfig};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// The runner's default step (`experiments::Training::loss`): clear the gradients, compute the
/// loss, back-propagate, step with the loss value.
fn step<T: Float, M: Module<T>, O: Optimizer<T>>(
    model: &mut M,
    opt: &mut O,
    loss: impl Fn(&M) -> Tensor<T>,
) -> f64 {
    model.zero_grad();
    let l = loss(model);
    let value = l.item().f64();
    l.backward();
    opt.step_with_loss(value);
    value
}

fn gaussian(rng: &mut StdRng, n: usize) -> Vec<f64> {
    (0..n)
        .map(|_| rng.sample::<f64, _>(rand_distr_normal()))
        .collect()
}

/// A standard normal sample through `rand`'s uniform (Box-Muller), to need no extra crate.
fn rand_distr_normal() -> impl rand::distributions::Distribution<f64> {
    struct Normal;
    impl rand::distributions::Distribution<f64> for Normal {
        fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
            let (u, v): (f64, f64) = (rng.gen_range(1e-12..1.0), rng.gen());
            (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
        }
    }
    Normal
}

fn sgd(params: Vec<Tensor<f64>>, lr: f64) -> Sgd<f64> {
    Sgd::new(
        params,
        SgdConfig {
            lr,
            ..Default::default()
        },
    )
}

fn tensor(data: &[f64], dims: &[usize]) -> Tensor<f64> {
    Tensor::from_vec(data.to_vec(), dims.to_vec()).unwrap()
}

fn logistic(c: &mut Criterion, rng: &mut StdRng) {
    let (n, d) = (100, 2);
    let x = gaussian(rng, n * d);
    let y: Vec<f64> = (0..n)
        .map(|i| if i % 2 == 0 { 1.0 } else { -1.0 })
        .collect();
    let z = Dense {
        rows: n,
        cols: d,
        data: (0..n * d).map(|k| x[k] * y[k / d]).collect(),
    };
    let (xt, yt) = (tensor(&x, &[n, d]), tensor(&y, &[n, 1]));
    let mut g = c.benchmark_group("logistic_n100_d2");
    let mut model = Linear::from_tensors(Tensor::zeros([1, d]).requires_grad(), None);
    let mut opt = sgd(nn::params::tensors(&mut model), 1e-3);
    g.bench_function("framework", |b| {
        b.iter(|| {
            black_box(step(&mut model, &mut opt, |m| {
                m.forward(&xt).mul(&yt).logistic_loss().mul_scalar(n as f64)
            }))
        })
    });
    let (mut w, mut grad) = (vec![0.0; d], vec![0.0; d]);
    g.bench_function("hand", |b| {
        b.iter(|| black_box(hand_steps::logistic_gd(&z, &mut w, &mut grad, 1e-3)))
    });
    g.finish();
}

fn least_squares(c: &mut Criterion, rng: &mut StdRng) {
    let (n, d) = (20, 50);
    let x = gaussian(rng, n * d);
    let y = gaussian(rng, n);
    let xd = Dense {
        rows: n,
        cols: d,
        data: x.clone(),
    };
    let (xt, yt) = (tensor(&x, &[n, d]), tensor(&y, &[n, 1]));
    let mut g = c.benchmark_group("least_squares_20x50");
    let mut model = Linear::from_tensors(Tensor::zeros([1, d]).requires_grad(), None);
    let mut opt = sgd(nn::params::tensors(&mut model), 1e-3);
    g.bench_function("framework", |b| {
        b.iter(|| {
            black_box(step(&mut model, &mut opt, |m| {
                m.forward(&xt).squared_loss(&yt).mul_scalar(n as f64)
            }))
        })
    });
    let (mut w, mut grad) = (vec![0.0; d], vec![0.0; d]);
    g.bench_function("hand", |b| {
        b.iter(|| {
            black_box(hand_steps::least_squares_gd(
                &xd, &y, &mut w, &mut grad, 1e-3,
            ))
        })
    });
    g.finish();
}

fn diagonal(c: &mut Criterion, rng: &mut StdRng) {
    let (n, d) = (20, 50);
    let x = gaussian(rng, n * d);
    let y = gaussian(rng, n);
    let xd = Dense {
        rows: n,
        cols: d,
        data: x.clone(),
    };
    let (xt, yt) = (tensor(&x, &[n, d]), tensor(&y, &[n, 1]));
    let mut g = c.benchmark_group("diagonal_net_20x50");
    let mut model = DiagonalNet::<f64>::new(d, 0.1);
    let mut opt = sgd(nn::params::tensors(&mut model), 1e-3);
    g.bench_function("framework", |b| {
        b.iter(|| {
            black_box(step(&mut model, &mut opt, |m| {
                m.forward(&xt).squared_loss(&yt)
            }))
        })
    });
    let mut theta = vec![0.1; 2 * d];
    g.bench_function("hand", |b| {
        b.iter(|| black_box(hand_steps::diagonal_gd(&xd, &y, &mut theta, 1e-3)))
    });
    g.finish();
}

fn sensing(c: &mut Criterion, rng: &mut StdRng) {
    let (n, m) = (30, 180);
    // Symmetric Gaussian measurement matrices A_i = (G + G^T) / 2.
    let mut a = vec![0.0; m * n * n];
    for i in 0..m {
        let gm = gaussian(rng, n * n);
        for j in 0..n {
            for k in 0..n {
                a[i * n * n + j * n + k] = 0.5 * (gm[j * n + k] + gm[k * n + j]);
            }
        }
    }
    let y = gaussian(rng, m);
    let ad = Dense {
        rows: m,
        cols: n * n,
        data: a.clone(),
    };
    let (at, yt) = (tensor(&a, &[m, n, n]), tensor(&y, &[m, 1]));
    let u0: Vec<f64> = gaussian(rng, n * n).iter().map(|v| 1e-2 * v).collect();
    let mut g = c.benchmark_group("sensing_uut_n30_m180");
    let mut model = SymmetricFactorization {
        u: tensor(&u0, &[n, n]).requires_grad(),
    };
    let mut opt = sgd(nn::params::tensors(&mut model), 1e-4);
    g.bench_function("framework", |b| {
        b.iter(|| {
            black_box(step(&mut model, &mut opt, |f| {
                f.forward(&at).squared_loss(&yt)
            }))
        })
    });
    let mut u = u0.clone();
    g.bench_function("hand", |b| {
        b.iter(|| black_box(hand_steps::sensing_sym_gd(&ad, &y, n, &mut u, 1e-4)))
    });
    g.finish();
}

fn conv(c: &mut Criterion, rng: &mut StdRng) {
    let (n, d) = (30, 50);
    let x = gaussian(rng, n * d);
    let y: Vec<f64> = (0..n)
        .map(|i| if i % 3 == 0 { 1.0 } else { -1.0 })
        .collect();
    let (xt, yt) = (tensor(&x, &[n, d]), tensor(&y, &[n, 1]));
    let theta0: Vec<f64> = gaussian(rng, 2 * d).iter().map(|v| 0.1 * v).collect();
    let mut g = c.benchmark_group("conv_depth2_d50_n30");
    let mut model = LinearConvNet::from_tensors(
        vec![tensor(&theta0[..d], &[d]).requires_grad()],
        tensor(&theta0[d..], &[1, d]).requires_grad(),
    );
    let mut opt = NormalizedGd::new(nn::params::tensors(&mut model), 1e-4);
    g.bench_function("framework", |b| {
        b.iter(|| {
            black_box(step(&mut model, &mut opt, |m| {
                m.forward(&xt).mul(&yt).log_exp_loss()
            }))
        })
    });
    let mut theta = theta0.clone();
    g.bench_function("hand", |b| {
        b.iter(|| black_box(hand_steps::conv_flat_ngd(&xt, &yt, d, &mut theta, 1e-4)))
    });
    g.finish();
}

fn benches(c: &mut Criterion) {
    let mut rng = StdRng::seed_from_u64(16);
    logistic(c, &mut rng);
    least_squares(c, &mut rng);
    diagonal(c, &mut rng);
    sensing(c, &mut rng);
    conv(c, &mut rng);
}

criterion_group!(small_models, benches);
criterion_main!(small_models);
