//! Test oracle for the margin losses of `logistic_margin` (2a-2e) and `steepest_descent` (3b): the
//! closed-form gradients of `L(w) = sum_n l(y_n <x_n, w>)` for the logistic and the exponential
//! loss, and of `ln L` for the exponential loss, equal the autograd tape's through the model and
//! the tensor-op loss the experiments train (a bias-free `nn::Linear` `[1, d]`, margins
//! `forward(x) * y`, the mean losses times `n`), on random f64 data, to a relative error below
//! `1e-10`.

use autograd::Tensor;
use nn::{Linear, Module};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

/// Random data: `x` (`n x d`, row-major, standard normal), labels in `{-1, 1}` and a weight `w`
/// with standard normal entries times `scale`.
fn problem(seed: u64, n: usize, d: usize, scale: f64) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let x = (0..n * d).map(|_| rng.sample(StandardNormal)).collect();
    let y = (0..n)
        .map(|_| if rng.gen_bool(0.5) { 1.0 } else { -1.0 })
        .collect();
    let w = (0..d)
        .map(|_| scale * rng.sample::<f64, _>(StandardNormal))
        .collect();
    (x, y, w)
}

/// The margins `u_n = y_n <x_n, w>`.
fn margins(x: &[f64], y: &[f64], w: &[f64]) -> Vec<f64> {
    let d = w.len();
    y.iter()
        .enumerate()
        .map(|(i, yi)| {
            yi * x[i * d..(i + 1) * d]
                .iter()
                .zip(w)
                .map(|(a, b)| a * b)
                .sum::<f64>()
        })
        .collect()
}

/// `sum_n c_n y_n x_n`.
fn combine(x: &[f64], y: &[f64], c: &[f64], d: usize) -> Vec<f64> {
    let mut g = vec![0.0; d];
    for (i, (ci, yi)) in c.iter().zip(y).enumerate() {
        for (gj, xij) in g.iter_mut().zip(&x[i * d..(i + 1) * d]) {
            *gj += ci * yi * xij;
        }
    }
    g
}

/// The closed form of the logistic loss: `grad L = sum_n l'(u_n) y_n x_n` with
/// `l'(u) = -1 / (1 + exp(u))`.
fn logistic_gradient(x: &[f64], y: &[f64], w: &[f64]) -> Vec<f64> {
    let slopes: Vec<f64> = margins(x, y, w)
        .iter()
        .map(|u| -1.0 / (1.0 + u.exp()))
        .collect();
    combine(x, y, &slopes, w.len())
}

/// The closed form of the exponential loss: `grad L = -sum_n exp(-u_n) y_n x_n`.
fn exp_gradient(x: &[f64], y: &[f64], w: &[f64]) -> Vec<f64> {
    let slopes: Vec<f64> = margins(x, y, w).iter().map(|u| -(-u).exp()).collect();
    combine(x, y, &slopes, w.len())
}

/// The closed form of `ln L` for the exponential loss: `grad ln L = grad L / L =
/// -sum_n p_n y_n x_n` with `p = softmax(-u)` (computed stably, shifted by `min u`).
fn log_exp_gradient(x: &[f64], y: &[f64], w: &[f64]) -> Vec<f64> {
    let u = margins(x, y, w);
    let u_min = u.iter().copied().fold(f64::INFINITY, f64::min);
    let e: Vec<f64> = u.iter().map(|v| (u_min - v).exp()).collect();
    let total: f64 = e.iter().sum();
    let p: Vec<f64> = e.iter().map(|v| -v / total).collect();
    combine(x, y, &p, w.len())
}

/// Which loss the tape differentiates.
#[derive(Clone, Copy)]
enum TapeLoss {
    /// `sum_n ln(1 + exp(-u_n))`: `logistic_loss()` times `n`.
    Logistic,
    /// `sum_n exp(-u_n)`: `exp_loss()` times `n`.
    Exp,
    /// `ln mean_n exp(-u_n)`: `log_exp_loss()` (its gradient is that of `ln L`).
    LogExp,
}

/// The gradient of `loss` with respect to the weight of the experiments' model at `w`.
fn tape_gradient(x: &[f64], y: &[f64], w: &[f64], loss: TapeLoss) -> Vec<f64> {
    let (n, d) = (y.len(), w.len());
    let x = Tensor::from_vec(x.to_vec(), [n, d]).unwrap();
    let y = Tensor::from_vec(y.to_vec(), [n, 1]).unwrap();
    let weight = Tensor::from_vec(w.to_vec(), [1, d])
        .unwrap()
        .requires_grad();
    let model = Linear::from_tensors(weight, None);
    let u = model.forward(&x).mul(&y);
    let l = match loss {
        TapeLoss::Logistic => u.logistic_loss().mul_scalar(n as f64),
        TapeLoss::Exp => u.exp_loss().mul_scalar(n as f64),
        TapeLoss::LogExp => u.log_exp_loss(),
    };
    l.backward();
    model
        .weight
        .grad()
        .expect("the weight requires grad")
        .to_vec()
}

fn rel_err(a: &[f64], b: &[f64]) -> f64 {
    let diff: f64 = a.iter().zip(b).map(|(p, q)| (p - q).powi(2)).sum();
    let norm: f64 = b.iter().map(|q| q * q).sum();
    (diff / norm).sqrt()
}

/// The data sizes of 2a (16 x 2), 2b (30 x 10), 2e (100 x 20) and 3b (12 x 8); weights near the
/// start (small margins) and far along a run (large margins, where `L` is tiny).
fn cases() -> Vec<(u64, usize, usize, f64)> {
    let mut all = Vec::new();
    for (n, d) in [(16, 2), (30, 10), (100, 20), (12, 8)] {
        for scale in [0.1, 1.0, 10.0] {
            all.push((all.len() as u64, n, d, scale));
        }
    }
    all
}

#[test]
fn logistic_gradient_matches_the_tape() {
    for (seed, n, d, scale) in cases() {
        let (x, y, w) = problem(seed, n, d, scale);
        let err = rel_err(
            &logistic_gradient(&x, &y, &w),
            &tape_gradient(&x, &y, &w, TapeLoss::Logistic),
        );
        assert!(err < 1e-10, "n = {n}, d = {d}, scale {scale}: {err:e}");
    }
}

#[test]
fn exp_gradient_matches_the_tape() {
    for (seed, n, d, scale) in cases() {
        let (x, y, w) = problem(seed, n, d, scale);
        let err = rel_err(
            &exp_gradient(&x, &y, &w),
            &tape_gradient(&x, &y, &w, TapeLoss::Exp),
        );
        assert!(err < 1e-10, "n = {n}, d = {d}, scale {scale}: {err:e}");
    }
}

#[test]
fn log_exp_gradient_matches_the_tape() {
    for (seed, n, d, scale) in cases() {
        let (x, y, w) = problem(seed, n, d, scale);
        let err = rel_err(
            &log_exp_gradient(&x, &y, &w),
            &tape_gradient(&x, &y, &w, TapeLoss::LogExp),
        );
        assert!(err < 1e-10, "n = {n}, d = {d}, scale {scale}: {err:e}");
    }
}

#[test]
fn log_exp_gradient_is_the_exp_gradient_over_the_loss() {
    let (x, y, w) = problem(7, 30, 10, 1.0);
    let loss: f64 = margins(&x, &y, &w).iter().map(|u| (-u).exp()).sum();
    let scaled: Vec<f64> = exp_gradient(&x, &y, &w).iter().map(|g| g / loss).collect();
    let err = rel_err(&scaled, &log_exp_gradient(&x, &y, &w));
    assert!(err < 1e-12, "{err:e}");
}
