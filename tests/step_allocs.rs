//! A warm training step allocates nothing: heap allocations counted by a global allocator
//! (its own test binary, so that no other test's allocations are counted; one test function,
//! since the count covers all threads).

#[path = "../benches/common/counting.rs"]
mod counting;
#[path = "../benches/common/mlp.rs"]
mod mlp;

use autograd::Tensor;
use counting::{per_call, trace_sites, Counting};
use mlp::MlpStep;
use nn::{Activation, Init, Mlp, Module};
use optim::{Adam, AdamConfig, Optimizer, Sgd, SgdConfig};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::sync::Arc;

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Fails, naming where the allocations come from, if a warm `step` allocates.
fn assert_no_allocation<R>(what: &str, mut step: impl FnMut() -> R) {
    let per_step = per_call(3, 5, &mut step);
    if per_step > 0.0 {
        let sites = trace_sites(4, step);
        let listing: Vec<String> = sites.iter().map(|(s, n)| format!("{n:>4}  {s}")).collect();
        panic!(
            "{what}: {per_step} heap allocations per warm step; one step's:\n{}",
            listing.join("\n")
        );
    }
}

/// A small MLP, a batch and its labels, trained by an optimizer from `optim`.
fn optimizer_step(make: impl FnOnce(Vec<Tensor<f64>>) -> Box<dyn Optimizer<f64>>) -> impl FnMut() {
    let mut rng = StdRng::seed_from_u64(1);
    let init = Init::KaimingUniform { scale: 1.0 };
    let mut mlp = Mlp::<f64>::new(&[6, 8, 3], Activation::Relu, true, init, &mut rng);
    let x = Tensor::<f64>::normal([5, 6], 0.0, 1.0, &mut rng);
    let labels: Arc<[usize]> = (0..5).map(|_| rng.gen_range(0..3)).collect();
    let mut opt = make(mlp.parameters().into_iter().map(|(_, p)| p).collect());
    move || {
        let loss = mlp.forward(&x).softmax_cross_entropy_shared(&labels);
        loss.backward();
        opt.step();
        opt.zero_grad();
    }
}

#[test]
fn warm_training_steps_allocate_nothing() {
    let mut model = MlpStep::new();
    assert_no_allocation("MLP step with a hand-written SGD update", || model.step());
    assert_no_allocation(
        "MLP step with optim::Sgd (momentum)",
        optimizer_step(|p| {
            let cfg = SgdConfig {
                lr: 0.01,
                momentum: 0.9,
                ..Default::default()
            };
            Box::new(Sgd::new(p, cfg))
        }),
    );
    assert_no_allocation(
        "MLP step with optim::Adam",
        optimizer_step(|p| Box::new(Adam::new(p, AdamConfig::default()))),
    );
}
