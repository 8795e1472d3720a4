//! The tape's behaviour: accumulation, no_grad, detach, freeing and retaining graphs, and
//! higher-order gradients (Hessian-vector products against analytic Hessians).

use autograd::{grad, no_grad, BackwardOptions, Tensor};
use rand::rngs::StdRng;
use rand::SeedableRng;

type T = Tensor<f64>;

fn vec_t(v: &[f64]) -> T {
    T::from_vec(v.to_vec(), [v.len()]).unwrap()
}

#[test]
fn gradients_accumulate_until_zeroed() {
    let w = vec_t(&[1.0, 2.0]).requires_grad();
    w.mul(&w).sum_all().backward(); // 2w
    w.mul_scalar(3.0).sum_all().backward(); // + 3
    assert_eq!(w.grad().unwrap().to_vec(), vec![5.0, 7.0]);
    w.zero_grad();
    assert!(w.grad().is_none());
    w.sum_all().backward();
    assert_eq!(w.grad().unwrap().to_vec(), vec![1.0, 1.0]);
}

#[test]
fn shared_subexpressions_sum_their_paths() {
    // y = (w + w) * w = 2 w^2 -> dy/dw = 4w.
    let w = vec_t(&[3.0]).requires_grad();
    let s = w.add(&w);
    s.mul(&w).sum_all().backward();
    assert_eq!(w.grad().unwrap().item(), 12.0);
}

#[test]
fn no_grad_and_detach_record_nothing() {
    let w = vec_t(&[1.0, 2.0]).requires_grad();
    let y = no_grad(|| w.mul(&w));
    assert!(!y.requires_grad_flag());
    assert!(autograd::is_grad_enabled());
    let z = w.detach().mul(&w).sum_all(); // only the second factor is tracked
    z.backward();
    assert_eq!(w.grad().unwrap().to_vec(), vec![1.0, 2.0]);
    let err = y.sum_all().try_backward().unwrap_err();
    assert!(
        err.to_string()
            .starts_with("backward: the output requires no gradient"),
        "{err}"
    );
}

#[test]
fn the_graph_is_freed_after_backward_unless_retained() {
    let w = vec_t(&[1.0, 2.0]).requires_grad();
    let loss = w.exp().sum_all();
    loss.backward();
    let err = loss.try_backward().unwrap_err();
    assert!(
        err.to_string().contains("freed by an earlier backward"),
        "{err}"
    );

    let loss = w.exp().sum_all();
    w.zero_grad();
    loss.backward_with(BackwardOptions {
        retain_graph: true,
        create_graph: false,
    });
    loss.backward();
    // Twice the op's own exp (vectorized: within 1 ulp of libm's, not always equal to it).
    let e: Vec<f64> = w.exp().to_vec().iter().map(|e| 2.0 * e).collect();
    assert_eq!(w.grad().unwrap().to_vec(), e);
}

#[test]
fn backward_needs_a_scalar() {
    let w = vec_t(&[1.0, 2.0]).requires_grad();
    let err = w.mul_scalar(2.0).try_backward().unwrap_err();
    assert_eq!(
        err.to_string(),
        "backward: output has shape [2]; backward starts from a scalar (one element)"
    );
}

#[test]
fn grad_of_an_intermediate_and_of_an_unused_input() {
    let x = vec_t(&[1.0, -1.0]).requires_grad();
    let u = vec_t(&[5.0]).requires_grad();
    let h = x.mul_scalar(2.0);
    let y = h.square().sum_all();
    let g = grad(&y, &[&h, &x, &u], false).unwrap();
    assert_eq!(g[0].to_vec(), vec![4.0, -4.0]); // 2h
    assert_eq!(g[1].to_vec(), vec![8.0, -8.0]); // 8x
    assert_eq!(g[2].to_vec(), vec![0.0]);
    assert!(x.grad().is_none(), "grad() leaves .grad alone");
}

/// Hessian-vector product: the gradient of <grad f(x), v>.
fn hvp(f: impl Fn(&T) -> T, x: &T, v: &T) -> Vec<f64> {
    let x = x.detach().requires_grad();
    let g = grad(&f(&x), &[&x], true).unwrap().remove(0);
    grad(&g.mul(v).sum_all(), &[&x], false)
        .unwrap()
        .remove(0)
        .to_vec()
}

#[test]
fn hessian_vector_product_of_a_quadratic_form() {
    // f(x) = x^T A x with A not symmetric: H = A + A^T.
    let a = T::from_vec(vec![2.0, 1.0, 0.0, -1.0, 3.0, 4.0, 0.5, 0.0, 1.0], [3, 3]).unwrap();
    let f = |x: &T| {
        x.reshape([1, 3])
            .matmul(&a)
            .matmul(&x.reshape([3, 1]))
            .sum_all()
    };
    let x = vec_t(&[0.3, -2.0, 1.0]);
    let v = vec_t(&[1.0, 2.0, -1.0]);
    let av = a.to_vec();
    let expected: Vec<f64> = (0..3)
        .map(|i| {
            (0..3)
                .map(|j| (av[i * 3 + j] + av[j * 3 + i]) * v.to_vec()[j])
                .sum()
        })
        .collect();
    let got = hvp(f, &x, &v);
    for (g, e) in got.iter().zip(&expected) {
        assert!((g - e).abs() < 1e-12, "{got:?} vs {expected:?}");
    }
}

#[test]
fn hessian_vector_product_of_the_logistic_loss() {
    // L(w) = mean_i softplus(-y_i <x_i, w>); H = (1/n) sum_i s_i (1 - s_i) x_i x_i^T with
    // s_i = sigmoid(y_i <x_i, w>).
    let mut rng = StdRng::seed_from_u64(11);
    let (n, d) = (6, 4);
    let x = T::normal([n, d], 0.0, 1.0, &mut rng);
    let y = T::normal([n, 1], 0.0, 1.0, &mut rng).sign();
    let w = T::normal([d, 1], 0.0, 1.0, &mut rng);
    let v = T::normal([d, 1], 0.0, 1.0, &mut rng);
    let f = |w: &T| x.matmul(w).mul(&y).logistic_loss();
    let (xv, wv, vv) = (x.to_vec(), w.to_vec(), v.to_vec());
    let mut expected = vec![0.0; d];
    for i in 0..n {
        let xi = &xv[i * d..(i + 1) * d];
        let z: f64 = xi.iter().zip(&wv).map(|(a, b)| a * b).sum();
        let s = 1.0 / (1.0 + (-z).exp()); // y^2 = 1, so the weight does not depend on y's sign
        let xi_v: f64 = xi.iter().zip(&vv).map(|(a, b)| a * b).sum();
        for k in 0..d {
            expected[k] += s * (1.0 - s) * xi[k] * xi_v / n as f64;
        }
    }
    let got = hvp(f, &w, &v);
    for (g, e) in got.iter().zip(&expected) {
        assert!((g - e).abs() < 1e-12, "{got:?} vs {expected:?}");
    }
}

#[test]
fn third_derivative_through_two_recorded_passes() {
    // d^3/dx^3 sin-free: x^4 -> 24 x.
    let x = vec_t(&[2.0]).requires_grad();
    let g1 = grad(&x.pow_scalar(4.0).sum_all(), &[&x], true)
        .unwrap()
        .remove(0);
    let g2 = grad(&g1.sum_all(), &[&x], true).unwrap().remove(0);
    let g3 = grad(&g2.sum_all(), &[&x], false).unwrap().remove(0);
    assert_eq!((g1.item(), g2.item(), g3.item()), (32.0, 48.0, 48.0));
}

#[test]
fn f32_tensors_train_too() {
    let x = Tensor::<f32>::from_vec(vec![1.0, 2.0, 3.0, 4.0], [2, 2]).unwrap();
    let w = Tensor::<f32>::zeros([2, 1]).requires_grad();
    let target = Tensor::<f32>::from_vec(vec![1.0, 2.0], [2, 1]).unwrap();
    for _ in 0..2000 {
        let loss = x.matmul(&w).squared_loss(&target);
        loss.backward();
        let g = w.grad().unwrap();
        no_grad(|| w.assign(&w.sub(&g.mul_scalar(0.05))));
        w.zero_grad();
    }
    // Solution of [[1, 2], [3, 4]] w = [1, 2]: w = (0, 0.5).
    let v = w.to_vec();
    assert!(v[0].abs() < 1e-3 && (v[1] - 0.5).abs() < 1e-3, "{v:?}");
}
