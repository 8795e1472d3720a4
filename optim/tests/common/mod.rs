//! Shared helpers of the optim tests: least-squares problems and a training loop.
#![allow(dead_code)]

use autograd::{Float, Tensor};
use optim::Optimizer;

/// `f(w) = 0.5 ||A w - b||^2` with `A` given row-major `n x n` and `w` of shape `[n, 1]`.
pub struct LeastSquares {
    pub n: usize,
    pub a: Vec<f64>,
    pub b: Vec<f64>,
}

impl LeastSquares {
    /// The 2x2 problem of the hand-computed tests.
    pub fn small() -> Self {
        LeastSquares {
            n: 2,
            a: vec![2.0, 1.0, 0.5, 3.0],
            b: vec![1.0, -2.0],
        }
    }

    /// A well-conditioned 3x3 problem whose minimizer is `w_star` (`b = A w_star`).
    pub fn with_minimizer(w_star: [f64; 3]) -> Self {
        let a = vec![2.0, 0.5, 0.0, 0.5, 1.5, 0.25, 0.0, 0.25, 1.0];
        let b = (0..3)
            .map(|i| (0..3).map(|j| a[i * 3 + j] * w_star[j]).sum())
            .collect();
        LeastSquares { n: 3, a, b }
    }

    /// Sets `w.grad` to the gradient at the current `w` (through autograd) and returns the loss.
    pub fn backward<T: Float>(&self, w: &Tensor<T>) -> f64 {
        w.zero_grad();
        let a = Tensor::<T>::from_vec(self.a.iter().map(|&x| T::of(x)).collect(), [self.n, self.n])
            .unwrap();
        let b =
            Tensor::<T>::from_vec(self.b.iter().map(|&x| T::of(x)).collect(), [self.n, 1]).unwrap();
        let r = a.matmul(w).sub(&b);
        let loss = r.mul(&r).sum_all().mul_scalar(T::of(0.5));
        loss.backward();
        loss.item().f64()
    }

    /// The gradient `A^T (A w - b)`, in plain arithmetic (for the hand-written references).
    pub fn grad(&self, w: &[f64]) -> Vec<f64> {
        let n = self.n;
        let r: Vec<f64> = (0..n)
            .map(|i| (0..n).map(|j| self.a[i * n + j] * w[j]).sum::<f64>() - self.b[i])
            .collect();
        (0..n)
            .map(|j| (0..n).map(|i| self.a[i * n + j] * r[i]).sum())
            .collect()
    }
}

/// A parameter `[n, 1]` with the given values.
pub fn param<T: Float>(values: &[f64]) -> Tensor<T> {
    Tensor::from_vec(
        values.iter().map(|&x| T::of(x)).collect(),
        [values.len(), 1],
    )
    .unwrap()
    .requires_grad()
}

/// `steps` steps of `opt` on `problem`; `lr_at(t)` (if given) sets the rate before step `t`.
pub fn train<T: Float>(
    problem: &LeastSquares,
    w: &Tensor<T>,
    opt: &mut dyn Optimizer<T>,
    steps: u64,
    lr_at: Option<&dyn Fn(u64) -> f64>,
) {
    for t in 0..steps {
        if let Some(f) = lr_at {
            opt.set_lr(f(t));
        }
        problem.backward(w);
        opt.step();
    }
}

/// `w` as `f64`s.
pub fn values<T: Float>(w: &Tensor<T>) -> Vec<f64> {
    w.to_vec().into_iter().map(|x| x.f64()).collect()
}

/// `max_i |x_i - y_i|`.
pub fn max_diff(x: &[f64], y: &[f64]) -> f64 {
    assert_eq!(x.len(), y.len());
    x.iter()
        .zip(y)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max)
}

/// Asserts `|x_i - y_i| <= tol * max(1, |y_i|)` for all `i`.
#[track_caller]
pub fn assert_close(x: &[f64], y: &[f64], tol: f64, what: &str) {
    assert_eq!(x.len(), y.len(), "{what}: lengths");
    for (i, (a, b)) in x.iter().zip(y).enumerate() {
        assert!(
            (a - b).abs() <= tol * b.abs().max(1.0),
            "{what}: entry {i}: got {a}, expected {b} (all: {x:?} vs {y:?})"
        );
    }
}
