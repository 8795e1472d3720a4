//! Closed-form gradient oracles of the losses of `least_squares` (protocol 1) and
//! `multiclass_margin` (protocol 3a), checked against the `autograd` tape through the model and
//! tensor-op loss those experiments train: a bias-free `nn::Linear` and
//!
//! * `n * squared_loss` `= 1/2 ||X w - y||^2`, whose gradient is `X^T (X w - y)`;
//! * `n * softmax_cross_entropy` `= sum_n (logsumexp(W x_n) - (W x_n)_{y_n})`, whose gradient
//!   is `sum_n (softmax(W x_n) - e_{y_n}) x_n^T`;
//!
//! and the one-sample SGD loss `1/2 (<x_i, w> - y_i)^2` (a row picked with `narrow`), whose
//! gradient is `(<x_i, w> - y_i) x_i`. Random data, `f64`, relative error `< 1e-10`. (The
//! experiments are private to the crate, so the model and loss expressions are restated here.)

use std::sync::Arc;

use autograd::Tensor;
use nn::{Linear, Module};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

/// `||a - b|| / ||b||`.
fn rel_err(a: &[f64], b: &[f64]) -> f64 {
    let diff: f64 = a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum();
    let norm: f64 = b.iter().map(|y| y * y).sum();
    (diff / norm).sqrt()
}

fn gaussian(rng: &mut ChaCha8Rng, len: usize, scale: f64) -> Vec<f64> {
    (0..len)
        .map(|_| scale * rng.sample::<f64, _>(StandardNormal))
        .collect()
}

/// The experiments' model: a bias-free linear layer with weight `w` (`[k, d]`, row-major).
fn model(w: &[f64], k: usize, d: usize) -> Linear<f64> {
    Linear::from_tensors(
        Tensor::from_vec(w.to_vec(), [k, d])
            .unwrap()
            .requires_grad(),
        None,
    )
}

/// `(1/2 ||X w - y||^2, X^T (X w - y))` in closed form; `x` is `n x d` row-major.
fn squared_closed_form(x: &[f64], y: &[f64], w: &[f64]) -> (f64, Vec<f64>) {
    let d = w.len();
    let mut grad = vec![0.0; d];
    let mut loss = 0.0;
    for (row, yi) in x.chunks(d).zip(y) {
        let r: f64 = row.iter().zip(w).map(|(a, b)| a * b).sum::<f64>() - yi;
        loss += 0.5 * r * r;
        for (g, xj) in grad.iter_mut().zip(row) {
            *g += r * xj;
        }
    }
    (loss, grad)
}

/// `(sum_n (logsumexp(W x_n) - (W x_n)_{y_n}), sum_n (softmax(W x_n) - e_{y_n}) x_n^T)` in
/// closed form; `w` is `k x d`, `x` is `n x d`, both row-major; the gradient is `k x d`.
fn cross_entropy_closed_form(x: &[f64], labels: &[usize], w: &[f64], k: usize) -> (f64, Vec<f64>) {
    let d = w.len() / k;
    let mut grad = vec![0.0; k * d];
    let mut loss = 0.0;
    for (row, &label) in x.chunks(d).zip(labels) {
        let logits: Vec<f64> = w
            .chunks(d)
            .map(|wc| wc.iter().zip(row).map(|(a, b)| a * b).sum())
            .collect();
        let max = logits.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let z: f64 = logits.iter().map(|l| (l - max).exp()).sum();
        loss += max + z.ln() - logits[label];
        for (c, l) in logits.iter().enumerate() {
            let coef = (l - max).exp() / z - if c == label { 1.0 } else { 0.0 };
            for (g, xj) in grad[c * d..(c + 1) * d].iter_mut().zip(row) {
                *g += coef * xj;
            }
        }
    }
    (loss, grad)
}

#[test]
fn squared_loss_gradient_is_xt_residual() {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    for (n, d) in [(20, 100), (2, 3), (7, 5)] {
        let x = gaussian(&mut rng, n * d, 1.0);
        let y = gaussian(&mut rng, n, 1.0);
        let w = gaussian(&mut rng, d, 0.3);
        let (loss, grad) = squared_closed_form(&x, &y, &w);

        let m = model(&w, 1, d);
        let x_t = Tensor::from_vec(x.clone(), [n, d]).unwrap();
        let y_t = Tensor::from_vec(y.clone(), [n, 1]).unwrap();
        let tape = m.forward(&x_t).squared_loss(&y_t).mul_scalar(n as f64);
        tape.backward();
        let tape_grad = m.weight.grad().unwrap().to_vec();

        assert!((tape.item() - loss).abs() <= 1e-12 * loss, "{n}x{d}: loss");
        let err = rel_err(&grad, &tape_grad);
        assert!(
            err < 1e-10,
            "{n}x{d}: ||g_closed - g_tape|| / ||g_tape|| = {err:e}"
        );
    }
}

#[test]
fn one_sample_loss_gradient_is_residual_times_row() {
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let (n, d) = (20, 100);
    let x = gaussian(&mut rng, n * d, 1.0);
    let y = gaussian(&mut rng, n, 1.0);
    let w = gaussian(&mut rng, d, 0.3);
    let x_t = Tensor::from_vec(x.clone(), [n, d]).unwrap();
    let y_t = Tensor::from_vec(y.clone(), [n, 1]).unwrap();
    for i in [0, 7, n - 1] {
        let (loss, grad) = squared_closed_form(&x[i * d..(i + 1) * d], &y[i..i + 1], &w);

        let m = model(&w, 1, d);
        let tape = m
            .forward(&x_t.narrow(0, i, 1))
            .squared_loss(&y_t.narrow(0, i, 1));
        tape.backward();
        let tape_grad = m.weight.grad().unwrap().to_vec();

        assert!((tape.item() - loss).abs() <= 1e-12 * loss, "row {i}: loss");
        let err = rel_err(&grad, &tape_grad);
        assert!(
            err < 1e-10,
            "row {i}: ||g_closed - g_tape|| / ||g_tape|| = {err:e}"
        );
    }
}

#[test]
fn softmax_cross_entropy_gradient_is_softmax_minus_onehot_times_x() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    for (n, d, k, scale) in [(15, 5, 3, 0.2), (40, 8, 5, 1.0), (15, 5, 3, 30.0)] {
        let x = gaussian(&mut rng, n * d, 1.0);
        let labels: Arc<[usize]> = (0..n).map(|_| rng.gen_range(0..k)).collect();
        let w = gaussian(&mut rng, k * d, scale);
        let (loss, grad) = cross_entropy_closed_form(&x, &labels, &w, k);

        let m = model(&w, k, d);
        let x_t = Tensor::from_vec(x.clone(), [n, d]).unwrap();
        let tape = m
            .forward(&x_t)
            .softmax_cross_entropy_shared(&labels)
            .mul_scalar(n as f64);
        tape.backward();
        let tape_grad = m.weight.grad().unwrap().to_vec();

        assert!(
            (tape.item() - loss).abs() <= 1e-12 * loss.max(1.0),
            "n {n}, d {d}, k {k}, scale {scale}: loss {} vs {loss}",
            tape.item()
        );
        let err = rel_err(&grad, &tape_grad);
        assert!(
            err < 1e-10,
            "n {n}, d {d}, k {k}, scale {scale}: ||g_closed - g_tape|| / ||g_tape|| = {err:e}"
        );
    }
}
