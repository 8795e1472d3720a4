//! Gradient descent on the logistic loss of a separable 2-D data set (Soudry et al. 2018's toy
//! problem): the loss falls like 1/t and w(t)/||w(t)|| turns towards the max-margin direction.
//!
//! Run with `cargo run --release -p autograd --example logistic_regression`.

use autograd::{no_grad, Tensor};

fn main() {
    // The support vectors (0.5, 1.5), (1.5, 0.5) and their negatives make the hard-margin SVM
    // direction (1, 1)/sqrt(2); the far points (2, 3), (-3, -1) only pull w(t) off it early on.
    let x = Tensor::<f64>::from_vec(
        vec![0.5, 1.5, 1.5, 0.5, 2.0, 3.0, -0.5, -1.5, -1.5, -0.5, -3.0, -1.0],
        [6, 2],
    )
    .unwrap();
    let y = Tensor::from_vec(vec![1.0, 1.0, 1.0, -1.0, -1.0, -1.0], [6, 1]).unwrap();
    let w = Tensor::zeros([2, 1]).requires_grad();
    let lr = 1.0;
    println!("{:>8} {:>12} {:>10} {:>16}", "step", "loss", "||w||", "1 - cos(w, w*)");
    for t in 1..=100_000u32 {
        let loss = x.matmul(&w).mul(&y).logistic_loss();
        loss.backward();
        let g = w.grad().unwrap();
        no_grad(|| w.assign(&w.sub(&g.mul_scalar(lr))));
        w.zero_grad();
        if t.is_power_of_two() || t == 100_000 {
            let v = w.to_vec();
            let norm = (v[0] * v[0] + v[1] * v[1]).sqrt();
            let cos = (v[0] + v[1]) / (norm * 2f64.sqrt());
            println!("{t:>8} {:>12.4e} {norm:>10.4} {:>16.4e}", loss.item(), 1.0 - cos);
        }
    }
}
