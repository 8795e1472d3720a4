//! Trains an MLP on an XOR-like task (class = sign of x1 * x2) with full-batch gradient descent
//! written by hand, printing the loss and the training and test accuracy.
//!
//!     cargo run --release -p nn --example mlp_xor

use autograd::{no_grad, Tensor};
use nn::{Activation, Init, Mlp, Module};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

fn data(n: usize, rng: &mut StdRng) -> (Tensor<f32>, Vec<usize>) {
    let mut xs = Vec::with_capacity(2 * n);
    let mut labels = Vec::with_capacity(n);
    for _ in 0..n {
        let (a, b): (f32, f32) = (rng.gen_range(-1.0..1.0), rng.gen_range(-1.0..1.0));
        xs.extend([a, b]);
        labels.push(usize::from(a * b > 0.0));
    }
    (Tensor::from_vec(xs, [n, 2]).expect("2n values"), labels)
}

fn accuracy(logits: &Tensor<f32>, labels: &[usize]) -> f64 {
    let v = logits.to_vec();
    let hits = labels
        .iter()
        .enumerate()
        .filter(|&(i, &l)| usize::from(v[2 * i + 1] > v[2 * i]) == l)
        .count();
    hits as f64 / labels.len() as f64
}

fn main() {
    let mut rng = StdRng::seed_from_u64(0);
    let (x, y) = data(400, &mut rng);
    let (xt, yt) = data(2000, &mut rng);
    let mut mlp = Mlp::<f32>::new(
        &[2, 64, 64, 2],
        Activation::Relu,
        true,
        Init::KaimingNormal { scale: 1.0 },
        &mut rng,
    );
    println!("MLP 2-64-64-2, {} parameters", nn::params::count(&mut mlp));
    let lr = 0.1f32;
    for step in 0..=2000 {
        let loss = mlp.forward(&x).softmax_cross_entropy(&y);
        if step % 200 == 0 {
            let (train, test) = no_grad(|| {
                (
                    accuracy(&mlp.forward(&x), &y),
                    accuracy(&mlp.forward(&xt), &yt),
                )
            });
            println!(
                "step {step:5}  loss {:.4}  train acc {:.3}  test acc {:.3}  ||theta|| {:.3}",
                loss.item(),
                train,
                test,
                nn::params::l2_norm(&mut mlp)
            );
        }
        loss.backward();
        // `visit_parameters`, unlike `parameters`, builds no list: a step allocates nothing.
        mlp.visit_parameters(&mut |_, p| {
            let g = p.grad().expect("every parameter gets a gradient");
            g.with_slice(|g| p.update(|w| w.iter_mut().zip(g).for_each(|(w, g)| *w -= lr * g)));
        });
        mlp.zero_grad();
    }
}
