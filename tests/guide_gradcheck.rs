//! GUIDE.md, walkthrough 2: gradient checks for a new op and a new module, and what a failure
//! looks like.
//!
//!     cargo test --release --test guide_gradcheck -- --nocapture
//!
//! prints the failing reports that the guide explains.

use autograd::gradcheck::{check_direction, gradcheck, gradgradcheck, Tolerances};
use autograd::{Float, Tensor};
use nn::check::{check_direction_module, gradcheck_module};
use nn::Module;

/// The new op: RMS normalization over the last axis, `x / sqrt(mean(x^2) + eps)`, composed from
/// differentiable ops (so its backward is derived by the tape, but still worth checking).
fn rms_norm<T: Float>(x: &Tensor<T>, eps: f64) -> Tensor<T> {
    let last = x.rank() - 1;
    let rms = x.square().mean(&[last], true).add_scalar(T::of(eps)).sqrt();
    x.div(&rms)
}

/// The same op with a classic bug: the normalizer is detached, so the backward pass treats it as
/// a constant and misses the term through `rms(x)`. The forward values are identical.
fn rms_norm_detached<T: Float>(x: &Tensor<T>, eps: f64) -> Tensor<T> {
    let last = x.rank() - 1;
    let rms = x.square().mean(&[last], true).add_scalar(T::of(eps)).sqrt();
    x.div(&rms.detach())
}

/// The new module: RMSNorm with a learned gain per feature, `y = g * rms_norm(x)`.
struct RmsNorm<T: Float> {
    gain: Tensor<T>,
}

impl<T: Float> Module<T> for RmsNorm<T> {
    fn forward(&self, x: &Tensor<T>) -> Tensor<T> {
        rms_norm(x, 1e-6).mul(&self.gain)
    }
    fn visit_parameters_mut<'s>(&'s mut self, f: &mut nn::VisitorMut<'s, '_, T>) {
        f(nn::Name::new("gain"), &mut self.gain)
    }
}

/// A fixed input: a batch of 2 rows of 3 features (no entry near a kink or a singularity).
fn input() -> Tensor<f64> {
    Tensor::from_vec(vec![0.5, -1.0, 2.0, 1.5, 0.3, -0.7], [2, 3]).unwrap()
}

#[test]
fn op_passes_gradcheck_and_gradgradcheck() {
    let x = input();
    // Every derivative d out[i] / d x[j]: 6 x 6 = 36 comparisons.
    let report = gradcheck(|v| rms_norm(&v[0], 1e-6), &[&x], Tolerances::default());
    assert!(report.passed(), "{report}");
    assert_eq!(report.checked, 36);
    // Second derivatives, through a recorded backward pass (Hessian-vector products).
    let report = gradgradcheck(|v| rms_norm(&v[0], 1e-6), &[&x], Tolerances::default(), 0);
    assert!(report.passed(), "{report}");
}

#[test]
fn module_passes_gradcheck_module() {
    let mut m = RmsNorm {
        gain: Tensor::from_vec(vec![1.0, -0.5, 2.0], [3])
            .unwrap()
            .requires_grad(),
    };
    // With respect to the input and every parameter (input 0 is x, input 1 the gain).
    let report = gradcheck_module(&mut m, &input(), Tolerances::default());
    assert!(report.passed(), "{report}");
    assert_eq!(report.checked, 6 * 6 + 6 * 3);
    // One backward pass along a random direction: what to use for whole networks.
    let report = check_direction_module(&mut m, &input(), Tolerances::default(), 7);
    assert!(report.passed(), "{report}");
}

#[test]
fn detached_normalizer_fails_with_a_readable_report() {
    let x = input();
    // Same values forward...
    assert_eq!(
        rms_norm(&x, 1e-6).to_vec(),
        rms_norm_detached(&x, 1e-6).to_vec()
    );
    // ...but a wrong backward, which the full check pins down to one derivative.
    let report = gradcheck(
        |v| rms_norm_detached(&v[0], 1e-6),
        &[&x],
        Tolerances::default(),
    );
    println!("{report}");
    assert!(!report.passed());
    let worst = report.worst.as_ref().unwrap();
    assert_eq!(worst.input, 0);
    assert!(worst.abs_err() > Tolerances::default().atol);
    assert!(report
        .to_string()
        .starts_with("gradcheck FAILED: 36 derivatives compared; worst:"));
    // The directional check fails too, with one number per side.
    let report = check_direction(
        |v| rms_norm_detached(&v[0], 1e-6),
        &[&x],
        Tolerances::default(),
        7,
    );
    println!("{report}");
    assert!(!report.passed());
    assert!(report
        .to_string()
        .starts_with("directional gradcheck FAILED"));
}
