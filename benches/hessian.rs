//! One Hessian-vector product (`autograd::hvp`: a forward pass, a recorded backward pass, and a
//! backward pass through it) against one gradient evaluation (a forward pass and a backward
//! pass, `autograd::grad`), on the MLP of the `mlp_step` bench with tanh hidden units (whose
//! second derivative is not zero, unlike ReLU's): 784-256-256-10, biases, softmax
//! cross-entropy, batch 128, f32; and the same in f64 with the squared loss on one-hot targets
//! (the `edge_of_stability` experiment's setting). `hessian_apply` is one more product at the
//! same point with the recorded gradient reused (`Hessian::apply`, what each Lanczos step
//! costs).
//!
//! Run: `cargo bench --bench hessian -- --warm-up-time 1 --measurement-time 3`. Read the
//! ratios `hvp / gradient` (target: at most 3) and `hessian_apply / gradient` within a group.

use autograd::{grad, hvp, Float, Hessian, Tensor};
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use nn::{Activation, Init, Mlp, Module};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const BATCH: usize = 128;
const SIZES: [usize; 4] = [784, 256, 256, 10];

/// The model, its parameters, one fixed batch, and a random direction.
struct Setup<T: Float> {
    mlp: Mlp<T>,
    params: Vec<Tensor<T>>,
    x: Tensor<T>,
    labels: Vec<usize>,
    onehot: Tensor<T>,
    direction: Vec<Tensor<T>>,
}

impl<T: Float> Setup<T> {
    fn new() -> Self {
        let mut rng = StdRng::seed_from_u64(0);
        let init = Init::KaimingUniform {
            scale: 1.0 / 6f64.sqrt(),
        };
        let mut mlp = Mlp::<T>::new(&SIZES, Activation::Tanh, true, init, &mut rng);
        let params = nn::params::tensors(&mut mlp);
        let x = Tensor::normal([BATCH, SIZES[0]], 0.0, 1.0, &mut rng);
        let labels: Vec<usize> = (0..BATCH).map(|_| rng.gen_range(0..SIZES[3])).collect();
        let mut y = vec![T::of(0.0); BATCH * SIZES[3]];
        labels
            .iter()
            .enumerate()
            .for_each(|(i, &c)| y[i * SIZES[3] + c] = T::of(1.0));
        let onehot = Tensor::from_vec(y, [BATCH, SIZES[3]]).expect("sizes match");
        let direction = params
            .iter()
            .map(|p| Tensor::normal(p.dims(), 0.0, 1.0, &mut rng))
            .collect();
        Setup {
            mlp,
            params,
            x,
            labels,
            onehot,
            direction,
        }
    }

    fn cross_entropy(&self) -> Tensor<T> {
        self.mlp
            .forward(&self.x)
            .softmax_cross_entropy(&self.labels)
    }

    fn mse(&self) -> Tensor<T> {
        self.mlp.forward(&self.x).squared_loss(&self.onehot)
    }

    fn bench(&self, c: &mut Criterion, group: &str, loss: impl Fn(&Self) -> Tensor<T>) {
        let params: Vec<&Tensor<T>> = self.params.iter().collect();
        let dirs: Vec<&Tensor<T>> = self.direction.iter().collect();
        // Both sides compute what they claim: the product is finite and nonzero.
        let hv = hvp(|| loss(self), &params, &dirs);
        assert!(hv.iter().all(|t| t.to_vec().iter().all(|x| x.is_finite())));
        assert!(hv
            .iter()
            .any(|t| t.to_vec().iter().any(|x| *x != T::of(0.0))));
        let mut g = c.benchmark_group(group);
        g.sample_size(20);
        g.bench_function("gradient", |b| {
            b.iter(|| black_box(grad(&loss(self), &params, false).expect("scalar")))
        });
        g.bench_function("hvp", |b| {
            b.iter(|| black_box(hvp(|| loss(self), &params, &dirs)))
        });
        let h = Hessian::new(&loss(self), &params);
        g.bench_function("hessian_apply", |b| b.iter(|| black_box(h.apply(&dirs))));
        g.finish();
    }
}

fn benches(c: &mut Criterion) {
    let s32 = Setup::<f32>::new();
    s32.bench(c, "hessian/mlp784_tanh_ce_b128_f32", Setup::cross_entropy);
    let s64 = Setup::<f64>::new();
    s64.bench(c, "hessian/mlp784_tanh_mse_b128_f64", Setup::mse);
}

criterion_group!(hessian, benches);
criterion_main!(hessian);
