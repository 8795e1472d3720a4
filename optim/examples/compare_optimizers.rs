//! Which global minimum does each optimizer reach?
//!
//! An underdetermined least-squares problem `min_w 0.5 ||X w - y||^2` with `X` of shape 2 x 4 has
//! a whole plane of minimizers. Started from `w = 0`, gradient descent stays in the row space of
//! `X` and so converges to the minimum-l2-norm interpolant `w_mn = X^T (X X^T)^{-1} y`; AdaGrad
//! and Adam precondition coordinates differently and reach other interpolants, of larger l2 norm.
//!
//!     cargo run --release -p optim --example compare_optimizers

use autograd::Tensor;
use optim::{
    Adagrad, AdagradConfig, Adam, AdamConfig, Cosine, Optimizer, Schedule, Sgd, SgdConfig,
};

const X: [[f64; 4]; 2] = [[1.0, 2.0, 0.5, -1.0], [0.0, 1.0, 3.0, 1.5]];
const Y: [f64; 2] = [1.0, -2.0];

/// `X^T (X X^T)^{-1} y`, with the 2 x 2 inverse in closed form.
fn min_norm_solution() -> [f64; 4] {
    let dot = |a: &[f64; 4], b: &[f64; 4]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
    let (a, b, d) = (dot(&X[0], &X[0]), dot(&X[0], &X[1]), dot(&X[1], &X[1]));
    let det = a * d - b * b;
    // (X X^T)^{-1} y = [[d, -b], [-b, a]] y / det
    let alpha = [(d * Y[0] - b * Y[1]) / det, (-b * Y[0] + a * Y[1]) / det];
    std::array::from_fn(|j| alpha[0] * X[0][j] + alpha[1] * X[1][j])
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

/// Runs `steps` steps of the optimizer from `w = 0` (rates from `schedule`) and returns the limit.
fn train(
    make: impl FnOnce(Vec<Tensor<f64>>) -> Box<dyn Optimizer<f64>>,
    schedule: &dyn Fn(u64) -> f64,
    steps: u64,
) -> (Vec<f64>, f64) {
    let x = Tensor::from_vec(X.concat(), [2, 4]).unwrap();
    let y = Tensor::from_vec(Y.to_vec(), [2, 1]).unwrap();
    let w = Tensor::<f64>::zeros([4, 1]).requires_grad();
    let mut opt = make(vec![w.clone()]);
    let mut loss = f64::NAN;
    for t in 0..steps {
        opt.set_lr(schedule(t));
        opt.zero_grad();
        let r = x.matmul(&w).sub(&y);
        let l = r.mul(&r).sum_all().mul_scalar(0.5);
        loss = l.item();
        l.backward();
        opt.step();
    }
    (w.to_vec(), loss)
}

fn main() {
    let w_mn = min_norm_solution();
    println!(
        "min-l2-norm interpolant: {w_mn:.4?}, ||w_mn||_2 = {:.6}\n",
        norm(&w_mn)
    );
    println!(
        "{:<10} {:>12} {:>12} {:>16}   limit",
        "method", "loss", "||w||_2", "||w - w_mn||_2"
    );
    let steps = 20_000;
    let adam_lr = Cosine {
        lr0: 0.01,
        lr_min: 0.0,
        t_max: steps,
    };
    type Make = Box<dyn FnOnce(Vec<Tensor<f64>>) -> Box<dyn Optimizer<f64>>>;
    type Rates = Box<dyn Fn(u64) -> f64>;
    let runs: Vec<(&str, Make, Rates)> = vec![
        (
            "GD",
            Box::new(|ps| Box::new(Sgd::new(ps, SgdConfig::default()))),
            Box::new(|_| 0.05),
        ),
        (
            "AdaGrad",
            Box::new(|ps| Box::new(Adagrad::new(ps, AdagradConfig::default()))),
            Box::new(|_| 0.1),
        ),
        (
            "Adam",
            Box::new(|ps| Box::new(Adam::new(ps, AdamConfig::default()))),
            Box::new(move |t| adam_lr.lr(t)),
        ),
    ];
    for (name, make, schedule) in runs {
        let (w, loss) = train(make, schedule.as_ref(), steps);
        let diff: Vec<f64> = w.iter().zip(&w_mn).map(|(a, b)| a - b).collect();
        println!(
            "{name:<10} {loss:>12.3e} {:>12.6} {:>16.6}   {w:.4?}",
            norm(&w),
            norm(&diff)
        );
    }
    println!(
        "\nGD reaches the min-norm interpolant; the adaptive methods reach other global minima."
    );
}
