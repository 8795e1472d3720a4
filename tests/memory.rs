//! A long training loop frees its graphs: the number of live tensors stays flat.
//! (Its own test binary, so that no other test's tensors are counted.)

use autograd::{live_tensors, no_grad, Tensor};
use rand::rngs::StdRng;
use rand::SeedableRng;

#[test]
fn a_hundred_thousand_steps_do_not_grow_the_tape() {
    let mut rng = StdRng::seed_from_u64(0);
    let x = Tensor::<f64>::normal([8, 3], 0.0, 1.0, &mut rng);
    let y = Tensor::<f64>::normal([8, 1], 0.0, 1.0, &mut rng).sign();
    let w = Tensor::zeros([3, 1]).requires_grad();
    let step = || {
        let loss = x.matmul(&w).mul(&y).logistic_loss();
        loss.backward();
        let g = w.grad().unwrap();
        no_grad(|| w.assign(&w.sub(&g.mul_scalar(0.5))));
        w.zero_grad();
    };
    for _ in 0..100 {
        step();
    }
    let warm = live_tensors();
    // The count sees tensors made here, and tensors dropped on another thread.
    let kept: Vec<_> = (0..10).map(|_| x.mul_scalar(2.0)).collect();
    assert_eq!(live_tensors(), warm + 10);
    std::thread::spawn(move || drop(kept)).join().unwrap();
    assert_eq!(live_tensors(), warm);
    for _ in 0..100_000 {
        step();
    }
    assert_eq!(live_tensors(), warm, "tensors leaked over 10^5 steps");
}
