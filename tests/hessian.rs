//! The Hessian tool (`autograd::{hvp, Hessian, top_hessian_eigenvalues}`): Hessian-vector
//! products against central finite differences of gradients (f64) on random functions and
//! small MLPs, and the top eigenvalues by Lanczos against the exact Hessian (formed column by
//! column from products and diagonalized by `faer`, through
//! `experiments::reference::symmetric_eigenvalues`) and against Hessians with eigenvalues known
//! by construction.

use autograd::{
    grad, hvp, no_grad, top_hessian_eigenvalues, try_hvp, try_top_hessian_eigenvalues, Hessian,
    Tensor,
};
use experiments::reference::{symmetric_eigenvalues, Matrix};
use nn::{Activation, Init, Mlp, Module};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

type T = Tensor<f64>;

/// Flattens tensors into one vector, in order.
fn flat(ts: &[T]) -> Vec<f64> {
    ts.iter().flat_map(|t| t.to_vec()).collect()
}

/// Splits a flat vector into tensors shaped like `like`.
fn split(v: &[f64], like: &[&T]) -> Vec<T> {
    let mut at = 0;
    like.iter()
        .map(|p| {
            let t = T::from_vec(v[at..at + p.numel()].to_vec(), p.dims()).unwrap();
            at += p.numel();
            t
        })
        .collect()
}

/// `(grad f(theta + eps v) - grad f(theta - eps v)) / (2 eps)`, moving the parameters in place
/// and restoring them.
fn fd_hvp(f: &dyn Fn() -> T, params: &[&T], v: &[f64], eps: f64) -> Vec<f64> {
    let shift = |c: f64| {
        let mut at = 0;
        for p in params {
            let n = p.numel();
            p.update(|w| {
                w.iter_mut()
                    .zip(&v[at..at + n])
                    .for_each(|(w, d)| *w += c * d)
            });
            at += n;
        }
    };
    let gradient = || flat(&grad(&f(), params, false).unwrap());
    shift(eps);
    let plus = gradient();
    shift(-2.0 * eps);
    let minus = gradient();
    shift(eps);
    plus.iter()
        .zip(&minus)
        .map(|(a, b)| (a - b) / (2.0 * eps))
        .collect()
}

fn random_vec(n: usize, rng: &mut StdRng) -> Vec<f64> {
    (0..n).map(|_| rng.gen_range(-1.0..1.0)).collect()
}

/// Asserts `|a_i - b_i| <= atol + rtol |b_i|` for every entry.
fn assert_close(a: &[f64], b: &[f64], atol: f64, rtol: f64, what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!(
            (x - y).abs() <= atol + rtol * y.abs(),
            "{what}: entry {i}: {x} vs {y}"
        );
    }
}

/// A small MLP with its data and loss: tanh (smooth, so finite differences are exact to
/// O(eps^2)), biases, and either the squared loss on one-hot targets or cross-entropy.
struct SmallMlp {
    mlp: Mlp<f64>,
    x: T,
    onehot: T,
    labels: Vec<usize>,
}

impl SmallMlp {
    fn new(sizes: &[usize], n: usize, seed: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let init = Init::KaimingNormal { scale: 1.0 };
        let mlp = Mlp::new(sizes, Activation::Tanh, true, init, &mut rng);
        let classes = *sizes.last().unwrap();
        let x = T::normal([n, sizes[0]], 0.0, 1.0, &mut rng);
        let labels: Vec<usize> = (0..n).map(|_| rng.gen_range(0..classes)).collect();
        let mut y = vec![0.0; n * classes];
        labels
            .iter()
            .enumerate()
            .for_each(|(i, &c)| y[i * classes + c] = 1.0);
        let onehot = T::from_vec(y, [n, classes]).unwrap();
        SmallMlp {
            mlp,
            x,
            onehot,
            labels,
        }
    }

    fn mse(&self) -> T {
        self.mlp.forward(&self.x).squared_loss(&self.onehot)
    }

    fn cross_entropy(&self) -> T {
        self.mlp
            .forward(&self.x)
            .softmax_cross_entropy(&self.labels)
    }

    fn params(&mut self) -> Vec<T> {
        nn::params::tensors(&mut self.mlp)
    }
}

#[test]
fn hvp_matches_finite_differences_of_gradients_on_a_random_function_of_two_tensors() {
    // f(A, b) = sum_ij tanh(A_ij b_j) + (sum b^2)^2 + sum A^3 / 3: every block of H is nonzero.
    let mut rng = StdRng::seed_from_u64(3);
    for trial in 0..3 {
        let a = T::normal([3, 4], 0.0, 1.0, &mut rng).requires_grad();
        let b = T::normal([4], 0.0, 1.0, &mut rng).requires_grad();
        let f = || {
            a.mul(&b.reshape([1, 4]))
                .tanh()
                .sum_all()
                .add(&b.square().sum_all().square())
                .add(&a.pow_scalar(3.0).sum_all().mul_scalar(1.0 / 3.0))
        };
        let v = random_vec(16, &mut rng);
        let parts = split(&v, &[&a, &b]);
        let got = flat(&hvp(f, &[&a, &b], &[&parts[0], &parts[1]]));
        let expected = fd_hvp(&f, &[&a, &b], &v, 1e-5);
        assert_close(&got, &expected, 1e-7, 1e-6, &format!("trial {trial}"));
    }
}

#[test]
fn hvp_matches_finite_differences_on_small_mlps_with_both_losses() {
    for (seed, sizes) in [(1u64, vec![5, 8, 3]), (2, vec![4, 6, 6, 3])] {
        let mut net = SmallMlp::new(&sizes, 12, seed);
        let params = net.params();
        let refs: Vec<&T> = params.iter().collect();
        let n: usize = params.iter().map(|p| p.numel()).sum();
        let mut rng = StdRng::seed_from_u64(seed + 100);
        for (name, loss) in [
            ("mse", &(|| net.mse()) as &dyn Fn() -> T),
            ("cross-entropy", &|| net.cross_entropy()),
        ] {
            let v = random_vec(n, &mut rng);
            let dirs = split(&v, &refs);
            let got = flat(&hvp(loss, &refs, &dirs.iter().collect::<Vec<_>>()));
            let expected = fd_hvp(loss, &refs, &v, 1e-5);
            let scale = expected.iter().fold(0.0f64, |m, x| m.max(x.abs()));
            assert!(scale > 1e-3, "{name}: a nonzero product to compare");
            assert_close(
                &got,
                &expected,
                1e-7 * scale,
                1e-5,
                &format!("{sizes:?} {name}"),
            );
        }
    }
}

#[test]
fn the_operator_is_symmetric_and_linear_and_reused_across_products() {
    let mut net = SmallMlp::new(&[4, 7, 3], 10, 5);
    let params = net.params();
    let refs: Vec<&T> = params.iter().collect();
    let h = Hessian::new(&net.mse(), &refs);
    let mut rng = StdRng::seed_from_u64(9);
    let (u, v) = (random_vec(h.dim(), &mut rng), random_vec(h.dim(), &mut rng));
    let (hu, hv) = (h.apply_flat(&u), h.apply_flat(&v));
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
    let (uhv, vhu) = (dot(&u, &hv), dot(&v, &hu));
    assert!(
        (uhv - vhu).abs() <= 1e-12 * uhv.abs().max(1.0),
        "{uhv} vs {vhu}"
    );
    // H (2u - v) = 2 Hu - Hv.
    let w: Vec<f64> = u.iter().zip(&v).map(|(a, b)| 2.0 * a - b).collect();
    let expected: Vec<f64> = hu.iter().zip(&hv).map(|(a, b)| 2.0 * a - b).collect();
    assert_close(&h.apply_flat(&w), &expected, 1e-12, 1e-10, "linearity");
    // The parameters' own .grad fields are left alone.
    assert!(params.iter().all(|p| p.grad().is_none()));
}

/// The exact Hessian, column `j` = `H e_j`, as a dense matrix.
fn exact_hessian(h: &Hessian<f64>) -> Matrix {
    let n = h.dim();
    let mut m = Matrix::zeros(n, n);
    for j in 0..n {
        let mut e = vec![0.0; n];
        e[j] = 1.0;
        for (i, x) in h.apply_flat(&e).into_iter().enumerate() {
            m.data[i * n + j] = x;
        }
    }
    m
}

#[test]
fn lanczos_top_eigenvalues_match_the_exact_hessian_of_small_mlps() {
    for (seed, sizes, loss_is_mse) in [
        (11u64, vec![3, 6, 2], true),
        (12, vec![4, 5, 5, 3], true),
        (13, vec![4, 6, 3], false),
    ] {
        let mut net = SmallMlp::new(&sizes, 20, seed);
        let params = net.params();
        let refs: Vec<&T> = params.iter().collect();
        let value = if loss_is_mse {
            net.mse()
        } else {
            net.cross_entropy()
        };
        let h = Hessian::new(&value, &refs);
        let exact = symmetric_eigenvalues(&exact_hessian(&h));
        let k = 3;
        let top = h.top_eigenvalues(k, h.dim(), 1e-10, None);
        assert_eq!(top.values.len(), k);
        assert!(top.converged, "{sizes:?}: {top:?}");
        for i in 0..k {
            let err = (top.values[i] - exact[i]).abs();
            assert!(
                err <= 1e-8 * exact[0].abs(),
                "{sizes:?}: eigenvalue {i}: Lanczos {} vs exact {} (all top: {:?})",
                top.values[i],
                exact[i],
                &exact[..k]
            );
            // The measured residual bounds the distance to the spectrum.
            let nearest = exact
                .iter()
                .map(|e| (e - top.values[i]).abs())
                .fold(f64::INFINITY, f64::min);
            assert!(nearest <= top.residuals[i] + 1e-12 * exact[0].abs());
        }
        // The same through the one-shot function (its own start vector, same answer).
        let one_shot = if loss_is_mse {
            top_hessian_eigenvalues(|| net.mse(), &refs, 1, 60, 1e-10)
        } else {
            top_hessian_eigenvalues(|| net.cross_entropy(), &refs, 1, 60, 1e-10)
        };
        assert!((one_shot.values[0] - exact[0]).abs() <= 1e-8 * exact[0].abs());
        assert!(one_shot.iterations < h.dim(), "stops early once converged");
    }
}

/// A random rotation `Q` (product of `n` Householder reflections), row-major.
fn random_rotation(n: usize, rng: &mut StdRng) -> Vec<f64> {
    let mut q = vec![0.0; n * n];
    (0..n).for_each(|i| q[i * n + i] = 1.0);
    for _ in 0..n {
        let u = random_vec(n, rng);
        let uu: f64 = u.iter().map(|x| x * x).sum();
        // Q <- Q (I - 2 u u^T / u^T u).
        for r in 0..n {
            let qu: f64 = (0..n).map(|c| q[r * n + c] * u[c]).sum();
            (0..n).for_each(|c| q[r * n + c] -= 2.0 * qu * u[c] / uu);
        }
    }
    q
}

#[test]
fn quadratic_with_known_spectrum_gives_the_largest_not_the_largest_in_magnitude() {
    // f(x) = 0.5 x^T A x with A = Q diag(d) Q^T: H = A, eigenvalues d. The most negative one
    // has the largest magnitude, so power iteration would return -12; Lanczos gives the top.
    let n = 30;
    let mut rng = StdRng::seed_from_u64(21);
    let mut d: Vec<f64> = (0..n).map(|i| 0.1 * i as f64 - 1.0).collect();
    d[0] = -12.0;
    d[1] = 7.0;
    d[2] = 6.5;
    d[3] = 6.0;
    let q = random_rotation(n, &mut rng);
    let mut a = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            a[i * n + j] = (0..n).map(|k| q[i * n + k] * d[k] * q[j * n + k]).sum();
        }
    }
    let a = T::from_vec(a, [n, n]).unwrap();
    let x = T::normal([n, 1], 0.0, 1.0, &mut rng).requires_grad();
    let f = || {
        x.transpose(0, 1)
            .matmul(&a)
            .matmul(&x)
            .sum_all()
            .mul_scalar(0.5)
    };
    let top = top_hessian_eigenvalues(f, &[&x], 3, n, 1e-12);
    for (got, want) in top.values.iter().zip([7.0, 6.5, 6.0]) {
        assert!((got - want).abs() < 1e-9, "{:?}", top.values);
    }
    // Each Ritz vector is the matching column of Q (up to sign).
    for (i, y) in top.vectors.iter().enumerate() {
        let c: f64 = (0..n).map(|r| y[r] * q[r * n + i + 1]).sum();
        assert!((c.abs() - 1.0).abs() < 1e-8, "vector {i}: cosine {c}");
    }
}

#[test]
fn low_rank_and_zero_hessians_are_handled() {
    // f(x) = (u . x)^2 has H = 2 u u^T: one eigenvalue 2 |u|^2, the rest 0, so the Krylov space
    // is invariant after one step and Lanczos must restart to find the zeros.
    let u = T::from_vec(vec![1.0, 2.0, 2.0, 0.0, 0.0], [5]).unwrap();
    let x = T::from_vec(vec![0.3, -1.0, 0.5, 2.0, 1.0], [5])
        .unwrap()
        .requires_grad();
    let top = top_hessian_eigenvalues(|| x.dot(&u).square(), &[&x], 3, 5, 1e-12);
    assert!((top.values[0] - 18.0).abs() < 1e-12, "{top:?}");
    assert!(
        top.values[1].abs() < 1e-12 && top.values[2].abs() < 1e-12,
        "{top:?}"
    );
    assert!(top.converged);
    // An affine function: H = 0 (the recorded gradient does not depend on x).
    let top = top_hessian_eigenvalues(|| x.dot(&u).mul_scalar(3.0), &[&x], 2, 5, 1e-12);
    assert_eq!(top.values, vec![0.0, 0.0]);
    let z = hvp(|| x.dot(&u), &[&x], &[&u]);
    assert_eq!(z[0].to_vec(), vec![0.0; 5]);
}

#[test]
fn f32_products_agree_with_f64_to_f32_precision() {
    let mut rng = StdRng::seed_from_u64(4);
    let a64 = T::normal([6, 3], 0.0, 1.0, &mut rng);
    let w64 = T::normal([3, 1], 0.0, 1.0, &mut rng).requires_grad();
    let v64 = T::normal([3, 1], 0.0, 1.0, &mut rng);
    let (a32, w32, v32) = (
        a64.cast::<f32>(),
        w64.cast::<f32>().requires_grad(),
        v64.cast::<f32>(),
    );
    let h64 = hvp(|| a64.matmul(&w64).tanh().sum_all(), &[&w64], &[&v64]);
    let h32 = hvp(|| a32.matmul(&w32).tanh().sum_all(), &[&w32], &[&v32]);
    let h32: Vec<f64> = h32[0].to_vec().iter().map(|&x| x as f64).collect();
    assert_close(&h32, &h64[0].to_vec(), 1e-5, 1e-4, "f32 vs f64");
}

#[test]
fn errors_name_the_operation_and_the_shapes() {
    let x = T::zeros([2, 3]).requires_grad();
    let y = T::zeros([4]).requires_grad();
    let f = || x.square().sum_all().add(&y.square().sum_all());
    let err = try_hvp(f, &[&x, &y], &[&T::zeros([3, 2]), &T::zeros([4])])
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("hvp:") && err.contains("[3, 2]") && err.contains("[2, 3]"),
        "{err}"
    );
    let err = try_hvp(f, &[&x, &y], &[&T::zeros([2, 3])])
        .unwrap_err()
        .to_string();
    assert!(err.contains("1 directions for 2 parameters"), "{err}");
    let constant = T::zeros([4]);
    let err = try_hvp(|| constant.sum_all(), &[&constant], &[&constant])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("parameter 0") && err.contains("requires no gradient"),
        "{err}"
    );
    let err = try_top_hessian_eigenvalues(f, &[&x, &y], 0, 5, 1e-8)
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("top_hessian_eigenvalues:") && err.contains("k = 0"),
        "{err}"
    );
    let h = Hessian::new(&no_grad(|| T::scalar(0.0)).add(&f()), &[&x, &y]);
    let err = h
        .try_top_eigenvalues(1, 5, 1e-8, Some(&[1.0; 3]))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("length 3") && err.contains("10 entries"),
        "{err}"
    );
    let err = h
        .try_top_eigenvalues(1, 5, 1e-8, Some(&[0.0; 10]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("norm 0"), "{err}");
    let err = h.try_apply_flat(&[1.0; 9]).unwrap_err().to_string();
    assert!(
        err.contains("length 9") && err.contains("10 entries"),
        "{err}"
    );
}

#[test]
#[should_panic(expected = "direction 0 has shape [3]")]
fn the_panicking_form_reports_the_shapes() {
    let x = T::zeros([2]).requires_grad();
    hvp(|| x.square().sum_all(), &[&x], &[&T::zeros([3])]);
}
