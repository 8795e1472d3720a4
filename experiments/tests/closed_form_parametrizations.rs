//! Closed-form gradients of the parametrization experiments' losses, kept as test oracles for
//! the `autograd` tape on the `nn` models the experiments train (random data, f64, relative
//! error below 1e-10):
//!
//! * matrix sensing, `L = (1/2m) sum_i (<A_i, X> - y_i)^2` with `G = (1/m) sum_i r_i A_i`
//!   (`r = A(X) - y`): `dL/dU = (G + G^T) U` for `X = U U^T` (`nn::SymmetricFactorization`),
//!   `(dL/dU, dL/dV) = (G V, G^T U)` for `X = U V^T` (`nn::MatrixFactorization`);
//! * the diagonal net, `L = (1/2N) ||X beta - y||^2` with `beta = u*u - v*v` and
//!   `g = X^T r / N`: `(dL/du, dL/dv) = (2 u g, -2 v g)` (`nn::DiagonalNet`).

use autograd::Tensor;
use experiments::data::synthetic::{gaussian, gaussian_vec};
use experiments::reference::Matrix;
use experiments::stats::rel_dist;
use nn::models::factorization::{measure, MatrixFactorization, SymmetricFactorization};
use nn::{DiagonalNet, Module};
use rand::rngs::StdRng;
use rand::SeedableRng;

/// `C = A B` for `n x n` row-major matrices.
fn matmul(a: &[f64], b: &[f64], n: usize) -> Vec<f64> {
    let mut c = vec![0.0; n * n];
    for i in 0..n {
        for k in 0..n {
            for j in 0..n {
                c[i * n + j] += a[i * n + k] * b[k * n + j];
            }
        }
    }
    c
}

/// `A^T` for an `n x n` row-major matrix.
fn transpose(a: &[f64], n: usize) -> Vec<f64> {
    (0..n * n).map(|k| a[(k % n) * n + k / n]).collect()
}

/// `(1/2m) ||A(X) - y||^2` and `G = (1/m) sum_i r_i A_i`, for `a` with rows `vec(A_i)`.
fn sensing_loss_and_g(a: &Matrix, y: &[f64], x: &[f64]) -> (f64, Vec<f64>) {
    let m = a.rows as f64;
    let r: Vec<f64> = a.mul_vec(x).iter().zip(y).map(|(p, t)| p - t).collect();
    let g = a.t_mul_vec(&r).iter().map(|v| v / m).collect();
    (r.iter().map(|v| v * v).sum::<f64>() / (2.0 * m), g)
}

/// Loss and `dL/dU` of `X = U U^T`.
fn symmetric_oracle(a: &Matrix, y: &[f64], u: &[f64], n: usize) -> (f64, Vec<f64>) {
    let (loss, g) = sensing_loss_and_g(a, y, &matmul(u, &transpose(u, n), n));
    let g_sym: Vec<f64> = g.iter().zip(transpose(&g, n)).map(|(p, q)| p + q).collect();
    (loss, matmul(&g_sym, u, n))
}

/// Loss and `(dL/dU, dL/dV)` (concatenated) of `X = U V^T`.
fn general_oracle(a: &Matrix, y: &[f64], u: &[f64], v: &[f64], n: usize) -> (f64, Vec<f64>) {
    let (loss, g) = sensing_loss_and_g(a, y, &matmul(u, &transpose(v, n), n));
    let mut grad = matmul(&g, v, n);
    grad.extend(matmul(&transpose(&g, n), u, n));
    (loss, grad)
}

/// A random sensing problem: `m` measurement matrices `n x n` (symmetrized when `sym`) as rows
/// of a matrix and as a `[m, n, n]` tensor, and measurements `y` (`[m, 1]`).
fn sensing(rng: &mut StdRng, n: usize, m: usize, sym: bool) -> (Matrix, Vec<f64>, Tensor<f64>) {
    let mut a = gaussian(rng, m, n * n, 1.0);
    if sym {
        for i in 0..m {
            let row = a.row(i).to_vec();
            let t = transpose(&row, n);
            for k in 0..n * n {
                a.data[i * n * n + k] = 0.5 * (row[k] + t[k]);
            }
        }
    }
    let y = gaussian_vec(rng, m, 1.0);
    let at = Tensor::from_vec(a.data.clone(), [m, n, n]).unwrap();
    (a, y, at)
}

fn leaf(v: &[f64], dims: &[usize]) -> Tensor<f64> {
    Tensor::from_vec(v.to_vec(), dims).unwrap().requires_grad()
}

fn assert_close(what: &str, oracle: (f64, Vec<f64>), tape: (f64, Vec<f64>)) {
    let loss_err = (oracle.0 - tape.0).abs() / oracle.0.abs();
    let grad_err = rel_dist(&tape.1, &oracle.1);
    assert!(
        loss_err < 1e-10 && grad_err < 1e-10,
        "{what}: loss {} vs tape {} (rel. err {loss_err:e}), gradient rel. err {grad_err:e}",
        oracle.0,
        tape.0
    );
}

#[test]
fn symmetric_factorization_gradient_matches_the_tape() {
    let mut rng = StdRng::seed_from_u64(5);
    for (n, m) in [(5, 7), (8, 30)] {
        let (a, y, at) = sensing(&mut rng, n, m, true);
        let u = gaussian_vec(&mut rng, n * n, 1.0);
        let model = SymmetricFactorization {
            u: leaf(&u, &[n, n]),
        };
        let yt = Tensor::from_vec(y.clone(), [m, 1]).unwrap();
        let loss = measure(&at, &model.matrix()).squared_loss(&yt);
        loss.backward();
        let tape = (loss.item(), model.u.grad().unwrap().to_vec());
        assert_close(
            &format!("U U^T, n = {n}, m = {m}"),
            symmetric_oracle(&a, &y, &u, n),
            tape,
        );
    }
}

#[test]
fn matrix_factorization_gradient_matches_the_tape() {
    let mut rng = StdRng::seed_from_u64(6);
    for (n, m) in [(5, 7), (8, 30)] {
        let (a, y, at) = sensing(&mut rng, n, m, false);
        let (u, v) = (
            gaussian_vec(&mut rng, n * n, 1.0),
            gaussian_vec(&mut rng, n * n, 1.0),
        );
        let model = MatrixFactorization {
            u: leaf(&u, &[n, n]),
            v: leaf(&v, &[n, n]),
        };
        let yt = Tensor::from_vec(y.clone(), [m, 1]).unwrap();
        // The model's forward is `measure(A, U V^T)`, as the experiment trains it.
        let loss = model.forward(&at).squared_loss(&yt);
        loss.backward();
        let mut grad = model.u.grad().unwrap().to_vec();
        grad.extend(model.v.grad().unwrap().to_vec());
        assert_close(
            &format!("U V^T, n = {n}, m = {m}"),
            general_oracle(&a, &y, &u, &v, n),
            (loss.item(), grad),
        );
    }
}

#[test]
fn diagonal_net_gradient_matches_the_tape() {
    let mut rng = StdRng::seed_from_u64(1);
    let (n, d) = (4, 7);
    let x = gaussian(&mut rng, n, d, 1.0);
    let y = gaussian_vec(&mut rng, n, 1.0);
    let (u, v) = (
        gaussian_vec(&mut rng, d, 0.5),
        gaussian_vec(&mut rng, d, 0.5),
    );

    // The closed form.
    let beta: Vec<f64> = u.iter().zip(&v).map(|(a, b)| a * a - b * b).collect();
    let r: Vec<f64> = x
        .mul_vec(&beta)
        .iter()
        .zip(&y)
        .map(|(p, t)| p - t)
        .collect();
    let g = x.t_mul_vec(&r);
    let mut oracle: Vec<f64> = (0..d).map(|j| 2.0 * u[j] * g[j] / n as f64).collect();
    oracle.extend((0..d).map(|j| -2.0 * v[j] * g[j] / n as f64));
    let oracle_loss = r.iter().map(|a| a * a).sum::<f64>() / (2.0 * n as f64);

    // The tape, on the experiment's model and loss.
    let net = DiagonalNet::from_tensors(leaf(&u, &[d]), leaf(&v, &[d]));
    let loss = net
        .forward(&x.to_tensor())
        .squared_loss(&Tensor::from_vec(y, [n, 1]).unwrap());
    loss.backward();
    let mut tape = net.u.grad().unwrap().to_vec();
    tape.extend(net.v.grad().unwrap().to_vec());
    assert_close("diagonal net", (oracle_loss, oracle), (loss.item(), tape));
}
